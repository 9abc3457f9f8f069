import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { isMountPoint, mountAll, unmount } from './mounter.js';

const skip = process.getuid?.() !== 0 ? 'mounting needs root' : false;

describe('mounter', { skip }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-mounter-'));
  });
  after(async () => {
    // Whatever a failed case left mounted goes first, or rm would descend into (and delete through) it.
    await unmount(join(dir, 'target'), { lazy: true }).catch(() => undefined);
    await unmount(join(dir, 'with space'), { lazy: true }).catch(() => undefined);
    await unmount(join(dir, 'merged'), { lazy: true }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  test('mountAll bind-mounts read-only and unmount removes it', async () => {
    const src = join(dir, 'src');
    const target = join(dir, 'target');
    await mkdir(src);
    await mkdir(target);
    await writeFile(join(src, 'f'), 'hello');
    await mountAll([{ type: 'bind', source: src, options: ['rbind', 'ro'] }], target);
    try {
      assert.equal(await isMountPoint(target), true);
      assert.equal(await readFile(join(target, 'f'), 'utf8'), 'hello');
      await assert.rejects(writeFile(join(target, 'g'), 'x'), { code: 'EROFS' });
    } finally {
      await unmount(target);
    }
    assert.equal(await isMountPoint(target), false);
  });

  test('unmount peels off stacked mounts and tolerates "not mounted" and missing paths', async () => {
    const src = join(dir, 'src2');
    const target = join(dir, 'target');
    await mkdir(src, { recursive: true });
    await mkdir(target, { recursive: true });
    await mountAll(
      [
        { type: 'bind', source: src, options: [] },
        { type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] },
      ],
      target,
    );
    assert.equal(await isMountPoint(target), true);
    await unmount(target);
    assert.equal(await isMountPoint(target), false);
    await unmount(target);
    await unmount(join(dir, 'does-not-exist'));
    await unmount(join(dir, 'does-not-exist'), { lazy: true });
  });

  test('isMountPoint decodes escaped mount points', async () => {
    const target = join(dir, 'with space');
    await mkdir(target);
    await mountAll([{ type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] }], target);
    try {
      assert.equal(await isMountPoint(target), true);
      assert.equal(await isMountPoint(dir), false);
      assert.equal(await isMountPoint(join(dir, 'missing')), false);
    } finally {
      await unmount(target);
    }
  });

  test('mountAll reports mount errors with mount words and leaves nothing mounted', async () => {
    const target = join(dir, 'target');
    await mkdir(target, { recursive: true });
    await assert.rejects(
      mountAll(
        [
          { type: 'tmpfs', source: 'tmpfs', options: [] },
          { type: 'bind', source: join(dir, 'no-such-source'), options: [] },
        ],
        target,
      ),
      (err: Error) => err.name === 'InternalError' && /no-such-source/.test(err.message),
    );
    assert.equal(await isMountPoint(target), false);
  });

  // mount(2) copies the option string into one page: a 100-layer image's lowerdir does not fit. The mounter
  // must switch to relative paths, as containerd does, instead of failing.
  test('overlay with a lowerdir longer than a page mounts', async () => {
    const layers = join(dir, 'snapshots-with-a-fairly-long-directory-name-to-make-paths-longer');
    const lowers: string[] = [];
    for (let i = 0; i < 100; i++) {
      const l = join(layers, `${String(i).padStart(4, '0')}-layer-with-a-long-name`, 'fs');
      await mkdir(l, { recursive: true });
      await writeFile(join(l, `file${i}`), String(i));
      lowers.push(l);
    }
    const upper = join(layers, 'upper', 'fs');
    const work = join(layers, 'upper', 'work');
    await mkdir(upper, { recursive: true });
    await mkdir(work, { recursive: true });
    const merged = join(dir, 'merged');
    await mkdir(merged);
    const options = [`workdir=${work}`, `upperdir=${upper}`, `lowerdir=${lowers.reverse().join(':')}`];
    assert.ok(options.join(',').length > 4096);
    await mountAll([{ type: 'overlay', source: 'overlay', options }], merged);
    try {
      assert.equal(await readFile(join(merged, 'file0'), 'utf8'), '0');
      assert.equal(await readFile(join(merged, 'file99'), 'utf8'), '99');
      await writeFile(join(merged, 'new'), 'x');
      assert.equal(await readFile(join(upper, 'new'), 'utf8'), 'x');
    } finally {
      await unmount(merged);
    }
  });

  test('an aborted signal stops mountAll before it spawns', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(mountAll([{ type: 'tmpfs', source: 'tmpfs', options: [] }], join(dir, 'target'), { signal: ac.signal }), {
      name: 'AbortError',
    });
  });
});
