import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { makeTar, type FixtureEntry } from './tar-fixtures.js';
import { TarDiffer } from './tar-differ.js';
import { OverlaySnapshotter } from '../snapshots-overlay/overlay-snapshotter.js';

it('bench', async () => {
  const base = await mkdtemp(join(tmpdir(), 'bench-'));
  try {
    for (const [label, count, size] of [['small', 12800, 4096], ['tiny', 50000, 1024], ['mixed', 500, 100_000]] as const) {
      const entries: FixtureEntry[] = [];
      for (let d = 0; d < 100; d++) entries.push({ name: `d${d}/`, type: 'directory' });
      for (let i = 0; i < count; i++) entries.push({ name: `d${i % 100}/f${i}`, data: Buffer.alloc(size, i & 0xff), mode: 0o644, uid: 1, gid: 1 });
      const tar = await makeTar(entries);
      const tarPath = join(base, `${label}.tar`);
      await writeFile(tarPath, tar);
      for (const withSnap of [false, true]) {
        const t0 = process.hrtime.bigint();
        if (withSnap) {
          const snap = await OverlaySnapshotter.open(join(base, `snap-${label}`));
          await snap.createLayer('1', async (dir) => { await new TarDiffer().applyLayer(createReadStream(tarPath), dir); });
        } else {
          const dir = await mkdtemp(join(base, 'l-'));
          await new TarDiffer().applyLayer(createReadStream(tarPath), dir);
        }
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        console.log(`${label}${withSnap ? '+createLayer(syncfs)' : ''}: ${count} files x ${size} B, tar ${(tar.length / 1048576).toFixed(1)} MiB in ${ms.toFixed(0)} ms = ${(tar.length / 1048576 / (ms / 1000)).toFixed(1)} MiB/s, ${(count / (ms / 1000)).toFixed(0)} files/s`);
      }
    }
    const bb = await readFile('/tmp/bb.tar');
    void bb;
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});
