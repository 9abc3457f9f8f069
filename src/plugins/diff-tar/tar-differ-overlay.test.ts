import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import type { Mount } from '../../core/mount.js';
import { OverlaySnapshotter } from '../snapshots-overlay/overlay-snapshotter.js';
import tarStream from 'tar-stream';
import { createReadStream } from 'node:fs';
import { makeTar, type FixtureEntry } from './tar-fixtures.js';
import { TarDiffer } from './tar-differ.js';

const isRoot = process.getuid?.() === 0;

/**
 * The snapshotter and the differ together on a real overlay mount: whiteouts and opaque markers written by
 * the differ must mean to the kernel what they meant in the Docker layer.
 */
describe('TarDiffer layers under an overlay mount', { skip: isRoot ? false : 'needs root to mount overlayfs' }, () => {
  let base: string;
  let snap: OverlaySnapshotter;
  const mounted: string[] = [];
  let targets = 0;
  const differ = new TarDiffer();

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'berth-overlay-'));
    snap = await OverlaySnapshotter.open(join(base, 'snapshots'));
    const layer = (id: string, entries: FixtureEntry[]): Promise<void> =>
      snap.createLayer(id, async (dir) => {
        await differ.applyLayer(Readable.from([await makeTar(entries)]), dir);
      });
    await layer('1', [
      { name: 'etc/', type: 'directory' },
      { name: 'etc/keep', data: 'kept' },
      { name: 'etc/gone', data: 'deleted above' },
      { name: 'etc/dir-gone/inner', data: 'deleted with its dir' },
      { name: 'opq/', type: 'directory' },
      { name: 'opq/old', data: 'hidden by opaque' },
      { name: 'opq/sub/old2', data: 'hidden by opaque' },
    ]);
    await layer('2', [
      { name: 'etc/', type: 'directory' },
      { name: 'etc/.wh.gone', data: '' },
      { name: 'etc/.wh.dir-gone', data: '' },
      { name: 'opq/', type: 'directory' },
      { name: 'opq/.wh..wh..opq', data: '' },
      { name: 'opq/new', data: 'only this' },
    ]);
    await snap.prepareActive('c1');
  });

  after(async () => {
    // Unmount whatever a failed case left behind before deleting the tree under it.
    for (const target of mounted.reverse()) spawnSync('umount', [target]);
    await rm(base, { recursive: true, force: true });
  });

  async function mountAt(m: Mount): Promise<string> {
    const target = join(base, `mnt-${targets++}`);
    await mkdir(target);
    const flags = m.options.includes('ro') ? ['-r'] : [];
    const data = m.options.filter((o) => o !== 'ro');
    const res = spawnSync('mount', ['-t', m.type, ...flags, '-o', data.join(','), m.source, target], { encoding: 'utf8' });
    assert.equal(res.status, 0, `mount failed: ${res.stderr}`);
    mounted.push(target);
    return target;
  }

  function unmount(target: string): void {
    const res = spawnSync('umount', [target], { encoding: 'utf8' });
    assert.equal(res.status, 0, `umount failed: ${res.stderr}`);
    mounted.splice(mounted.indexOf(target), 1);
  }

  it('hides whited-out files and directories and the lower content of an opaque directory', async () => {
    const [m] = snap.mounts('c1', ['2', '1']);
    assert.ok(m);
    const root = await mountAt(m);
    try {
      assert.deepEqual(await readdir(join(root, 'etc')), ['keep']);
      assert.equal(await readFile(join(root, 'etc/keep'), 'utf8'), 'kept');
      assert.deepEqual(await readdir(join(root, 'opq')), ['new']);
      // The container writes; only its own snapshot changes.
      await writeFile(join(root, 'etc/added'), 'by the container');
    } finally {
      unmount(root);
    }
    assert.deepEqual(await readdir(join(snap.contentDir('c1'), 'etc')), ['added']);
  });

  it('unpacks the busybox image from scripts/make-busybox-image.mjs into a layer that runs', async () => {
    const archive = join(base, 'busybox.tar');
    const made = spawnSync(process.execPath, ['scripts/make-busybox-image.mjs', archive], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const [manifest] = JSON.parse((await readArchiveMember(archive, 'manifest.json')).toString('utf8')) as Array<{ Layers: string[] }>;
    const layerPath = manifest?.Layers[0];
    assert.ok(layerPath);
    const layerTar = await readArchiveMember(archive, layerPath);
    let diffId = '';
    await snap.createLayer('bb', async (dir) => {
      ({ diffId } = await differ.applyLayer(Readable.from([layerTar]), dir));
    });
    assert.equal(diffId, `sha256:${layerPath.split('/').at(-1)}`);
    const root = snap.contentDir('bb');
    const run = spawnSync('chroot', [root, '/bin/sh', '-c', 'echo hello from $(id -un) && ls /usr/bin/wget'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, 'hello from root\n/usr/bin/wget\n');
  });

  it('shows the same through a read-only view', async () => {
    const [m] = snap.viewMounts(['2', '1']);
    assert.ok(m);
    const root = await mountAt(m);
    try {
      assert.deepEqual(await readdir(join(root, 'etc')), ['keep']);
      assert.deepEqual(await readdir(join(root, 'opq')), ['new']);
      await assert.rejects(writeFile(join(root, 'x'), 'no'), { code: 'EROFS' });
    } finally {
      unmount(root);
    }
  });
});

/** One member of a (small) archive, read whole. */
async function readArchiveMember(archive: string, name: string): Promise<Buffer> {
  const extract = tarStream.extract();
  createReadStream(archive).pipe(extract);
  let found: Buffer | undefined;
  for await (const entry of extract) {
    if (entry.header.name === name) found = await buffer(entry);
    else for await (const _ of entry);
  }
  if (found === undefined) throw new Error(`${name} not in ${archive}`);
  return found;
}
