import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { link, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '../../core/errdefs.js';
import type { Mount } from '../../core/mount.js';
import { OverlaySnapshotter } from './overlay-snapshotter.js';

const isRoot = process.getuid?.() === 0;

describe('OverlaySnapshotter', () => {
  let base: string;
  let n = 0;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'berth-snap-'));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });
  async function fresh(): Promise<{ snap: OverlaySnapshotter; root: string }> {
    const root = join(base, `case-${n++}`);
    return { snap: await OverlaySnapshotter.open(root), root };
  }

  it('builds a layer in a temp dir and renames it into place', async () => {
    const { snap, root } = await fresh();
    let seen = '';
    await snap.createLayer('1', async (dir) => {
      seen = dir;
      assert.match(dir, /\/new-1-[0-9a-f]+\/fs$/);
      await writeFile(join(dir, 'hello'), 'world');
    });
    assert.equal(await readFile(join(snap.contentDir('1'), 'hello'), 'utf8'), 'world');
    assert.equal(snap.contentDir('1'), join(root, '1', 'fs'));
    assert.deepEqual(await readdir(root), ['1'], 'no temp dir is left');
    await assert.rejects(stat(seen), { code: 'ENOENT' });
    assert.equal((await stat(root)).mode & 0o777, 0o700, 'the root is private');
  });

  it('leaves nothing when fill fails', async () => {
    const { snap, root } = await fresh();
    await assert.rejects(
      snap.createLayer('1', async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.deepEqual(await readdir(root), []);
  });

  it('refuses to create a snapshot whose id exists, and cleans its temp dir', async () => {
    const { snap, root } = await fresh();
    await snap.createLayer('1', async () => {});
    await assert.rejects(snap.createLayer('1', async () => {}), AlreadyExistsError);
    await assert.rejects(snap.prepareActive('1'), AlreadyExistsError);
    assert.deepEqual(await readdir(root), ['1']);
  });

  it('refuses ids that are not plain names', async () => {
    const { snap } = await fresh();
    for (const id of ['', '..', '../x', 'a/b', 'a,b', 'a:b', 'new-1', '.hidden']) {
      await assert.rejects(snap.createLayer(id, async () => {}), InvalidArgumentError, `id ${JSON.stringify(id)}`);
      assert.throws(() => snap.contentDir(id), InvalidArgumentError);
    }
  });

  it('refuses a root that would break overlay options', () => {
    assert.throws(() => new OverlaySnapshotter('/tmp/a,b'), InvalidArgumentError);
    assert.throws(() => new OverlaySnapshotter('/tmp/a:b'), InvalidArgumentError);
  });

  it('describes active mounts: overlay over lowers (top first), bind without lowers', async () => {
    const { snap, root } = await fresh();
    await snap.prepareActive('9');
    assert.deepEqual((await readdir(join(root, '9'))).sort(), ['fs', 'work']);
    assert.deepEqual(snap.mounts('9', []), [{ type: 'bind', source: join(root, '9', 'fs'), options: ['rbind', 'rw'] }]);
    assert.deepEqual(snap.mounts('9', ['2', '1']), [
      {
        type: 'overlay',
        source: 'overlay',
        options: [
          'index=off',
          `lowerdir=${root}/2/fs:${root}/1/fs`,
          `upperdir=${root}/9/fs`,
          `workdir=${root}/9/work`,
        ],
      },
    ]);
  });

  it('describes read-only views', async () => {
    const { snap, root } = await fresh();
    assert.deepEqual(snap.viewMounts(['1']), [{ type: 'bind', source: `${root}/1/fs`, options: ['rbind', 'ro'] }]);
    assert.deepEqual(snap.viewMounts(['2', '1']), [
      { type: 'overlay', source: 'overlay', options: ['ro', 'index=off', `lowerdir=${root}/2/fs:${root}/1/fs`] },
    ]);
    assert.deepEqual(snap.viewMounts([]), [{ type: 'tmpfs', source: 'tmpfs', options: ['ro'] }]);
  });

  it('refuses a lowerdir list longer than one page of mount data', async () => {
    const { snap } = await fresh();
    const lowers = Array.from({ length: 200 }, (_, i) => String(i + 1));
    assert.throws(() => snap.mounts('active', lowers), (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError);
      assert.match(err.message, /200 lower layers, over the kernel's limit of 4096/);
      return true;
    });
    assert.throws(() => snap.viewMounts(lowers), InvalidArgumentError);
  });

  it('removes a snapshot, and a missing one without error', async () => {
    const { snap, root } = await fresh();
    await snap.createLayer('1', async (dir) => writeFile(join(dir, 'f'), 'x'));
    await snap.remove('1');
    await snap.remove('1');
    assert.deepEqual(await readdir(root), []);
  });

  it('measures usage, counting a hardlinked inode once', async () => {
    const { snap } = await fresh();
    await snap.createLayer('1', async (dir) => {
      await writeFile(join(dir, 'a'), Buffer.alloc(1000));
      await link(join(dir, 'a'), join(dir, 'a-link'));
      await mkdir(join(dir, 'sub'));
      await writeFile(join(dir, 'sub', 'b'), Buffer.alloc(24));
    });
    // Inodes: fs/, a (twice linked), sub/, sub/b.
    assert.deepEqual(await snap.usage('1'), { size: 1024, inodes: 4 });
    await assert.rejects(snap.usage('missing'), NotFoundError);
  });

  it('removeUnknown deletes unknown snapshots and orphaned temp dirs', async () => {
    const { snap, root } = await fresh();
    await snap.createLayer('1', async () => {});
    await snap.createLayer('2', async () => {});
    await mkdir(join(root, 'new-3-abcdef', 'fs'), { recursive: true });
    assert.equal(await snap.removeUnknown(new Set(['1'])), 2);
    assert.deepEqual(await readdir(root), ['1']);
  });

  it('mounts an overlay that writes into the active snapshot', { skip: isRoot ? false : 'needs root to mount' }, async () => {
    const { snap } = await fresh();
    await snap.createLayer('1', async (dir) => writeFile(join(dir, 'base'), 'lower'));
    await snap.createLayer('2', async (dir) => writeFile(join(dir, 'top'), 'upper layer'));
    await snap.prepareActive('c');
    const target = join(base, `merged-${n++}`);
    await mkdir(target);
    const [mount] = snap.mounts('c', ['2', '1']);
    assert.ok(mount);
    mountOrThrow(mount, target);
    try {
      assert.equal(await readFile(join(target, 'base'), 'utf8'), 'lower');
      assert.equal(await readFile(join(target, 'top'), 'utf8'), 'upper layer');
      await writeFile(join(target, 'new'), 'written');
    } finally {
      umountOrThrow(target);
    }
    assert.equal(await readFile(join(snap.contentDir('c'), 'new'), 'utf8'), 'written');
    assert.deepEqual(await readdir(snap.contentDir('1')), ['base'], 'lower layers stay untouched');
  });
});

function mountOrThrow(m: Mount, target: string): void {
  const data = m.options.filter((o) => o !== 'ro');
  const flags = m.options.includes('ro') ? ['-r'] : [];
  const res = spawnSync('mount', ['-t', m.type, ...flags, '-o', data.join(','), m.source, target], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`mount failed: ${res.stderr}`);
}

function umountOrThrow(target: string): void {
  const res = spawnSync('umount', [target], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`umount failed: ${res.stderr}`);
}
