/**
 * Registry benchmark: push and pull of an image with one 200 MB layer and of one with 50 small layers, to and
 * from Debian's docker-registry on loopback, plus `save` and `load` of the same images; berthd against a
 * private dockerd in the same run (each engine gets its own fresh registry, so neither finds the other's
 * blobs). Prints wall times and the throughput ratio dockerd time / berth time (≥ 1.5 is the target).
 *
 *   node scripts/build.mjs && node scripts/run-ts.mjs bench/registry.bench.ts
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { startDistributionRegistry, type DistributionRegistry } from '../test/distribution-registry.js';
import { DOCKER, startTestDaemon } from '../test/harness.js';
import { dockerdAvailable, startPrivateDockerd } from '../test/private-dockerd.js';

const BIG_LAYER = 200 * 1024 * 1024;
const SMALL_LAYERS = 50;
const REPS = Number(process.env['BERTH_BENCH_REPS'] ?? 3);

/** Half-compressible bytes (random 2 KiB, then 2 KiB of a repeating pattern): layers are neither noise nor zeros. */
function* layerBytes(total: number): Generator<Buffer> {
  const block = 1024 * 1024;
  const pattern = Buffer.alloc(2048, 'berth registry benchmark ');
  for (let done = 0; done < total; done += block) {
    const n = Math.min(block, total - done);
    const buf = Buffer.allocUnsafe(n);
    for (let off = 0; off < n; off += 4096) {
      randomBytes(Math.min(2048, n - off)).copy(buf, off);
      if (off + 2048 < n) pattern.copy(buf, off + 2048, 0, Math.min(2048, n - off - 2048));
    }
    yield buf;
  }
}

/** A layer tar holding one file of `size` bytes; returns its path and diff ID. */
async function writeLayer(dir: string, name: string, size: number): Promise<{ file: string; diffId: string }> {
  const pack = tar.pack();
  const file = join(dir, `${name}.tar`);
  const hash = createHash('sha256');
  pack.on('data', (c: unknown) => hash.update(c as Buffer));
  const done = pipeline(pack as unknown as NodeJS.ReadableStream, createWriteStream(file));
  pack.entry({ name: `data/${name}.bin`, mode: 0o644, mtime: new Date(0) }, Buffer.concat([...layerBytes(size)]));
  pack.finalize();
  await done;
  return { file, diffId: `sha256:${hash.digest('hex')}` };
}

/** A `docker save` archive (legacy layout) of an image made of the given layer sizes. */
async function writeArchive(dir: string, tag: string, sizes: number[]): Promise<string> {
  const layers = [];
  for (const [i, size] of sizes.entries()) layers.push(await writeLayer(dir, `${tag.replace(/\W/g, '_')}-${i}`, size));
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    created: new Date(0).toISOString(),
    config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map(() => ({ created: new Date(0).toISOString(), created_by: 'bench' })),
  });
  const archive = join(dir, `${tag.replace(/\W/g, '_')}.tar`);
  const pack = tar.pack();
  const done = pipeline(pack as unknown as NodeJS.ReadableStream, createWriteStream(archive));
  pack.entry({ name: 'config.json' }, config);
  pack.entry({ name: 'manifest.json' }, JSON.stringify([{ Config: 'config.json', RepoTags: [tag], Layers: layers.map((_, i) => `${i}/layer.tar`) }]));
  for (const [i, l] of layers.entries()) {
    const { size } = await import('node:fs').then((fs) => fs.statSync(l.file));
    const entry = pack.entry({ name: `${i}/layer.tar`, size });
    await pipeline((await import('node:fs')).createReadStream(l.file), entry);
    rmSync(l.file);
  }
  pack.finalize();
  await done;
  return archive;
}

function timed(env: NodeJS.ProcessEnv, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(DOCKER, args, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 600_000 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}

interface Figures {
  load: number;
  save: number;
  push: number;
  pull: number;
  /** Pulls of the same image again: every layer is present (target ≤ 50 ms, docker CLI included). */
  upToDate: number;
}

function workload(env: NodeJS.ProcessEnv, registry: DistributionRegistry, archive: string, tag: string, dir: string): Figures {
  const load = timed(env, ['load', '-i', archive]);
  const save = timed(env, ['save', '-o', join(dir, 'saved.tar'), tag]);
  rmSync(join(dir, 'saved.tar'), { force: true });
  const remote = `${registry.host}/${tag}`;
  timed(env, ['tag', tag, remote]);
  const push = timed(env, ['push', remote]);
  timed(env, ['rmi', tag, remote]);
  const pull = timed(env, ['pull', remote]);
  // The median of three: the first one right after a full pull also meets that pull's writeback still going on.
  const again = [0, 1, 2].map(() => timed(env, ['pull', remote])).sort((a, b) => a - b);
  const upToDate = again[1]!;
  timed(env, ['rmi', remote]);
  // Leave nothing for the next repetition to find.
  timed(env, ['image', 'prune', '-f']);
  return { load, save, push, pull, upToDate };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-regbench-'));
  const cleanups: (() => Promise<void>)[] = [() => Promise.resolve(rmSync(dir, { recursive: true, force: true }))];
  try {
    const images: [string, string, number][] = [
      ['bench/big:1', await writeArchive(dir, 'bench/big:1', [BIG_LAYER]), BIG_LAYER],
      ['bench/many:1', await writeArchive(dir, 'bench/many:1', Array.from({ length: SMALL_LAYERS }, (_, i) => 64 * 1024 + i * 997)), 0],
    ];
    const berthd = await startTestDaemon({ loadBusybox: false });
    cleanups.push(() => berthd.stop());
    const dockerd = dockerdAvailable() ? await startPrivateDockerd() : undefined;
    if (dockerd) cleanups.push(() => dockerd.stop());
    const rows: string[][] = [];
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    for (const [tag, archive, bytes] of images) {
      // Interleaved repetitions, each against fresh registries, and the median: the host is shared and noisy.
      const bRuns: Figures[] = [];
      const dRuns: Figures[] = [];
      for (let rep = 0; rep < REPS; rep++) {
        const regB = await startDistributionRegistry();
        try {
          bRuns.push(workload(berthd.env, regB, archive, tag, dir));
        } finally {
          await regB.stop();
        }
        if (dockerd) {
          const regD = await startDistributionRegistry();
          try {
            dRuns.push(workload(dockerd.env, regD, archive, tag, dir));
          } finally {
            await regD.stop();
          }
        }
      }
      for (const op of ['push', 'pull', 'save', 'load'] as const) {
        const b = median(bRuns.map((f) => f[op]));
        const d = dRuns.length > 0 ? median(dRuns.map((f) => f[op])) : undefined;
        const mbps = bytes > 0 ? ` (${((bytes / 1e6) / (b / 1000)).toFixed(0)} MB/s)` : '';
        rows.push([
          `${op} ${tag}`,
          `${(b / 1000).toFixed(2)} s${mbps}`,
          d !== undefined ? `${(d / 1000).toFixed(2)} s` : '-',
          d !== undefined ? `${(d / b).toFixed(2)}x` : '-',
        ]);
      }
      const b = median(bRuns.map((f) => f.upToDate));
      const d = dRuns.length > 0 ? median(dRuns.map((f) => f.upToDate)) : undefined;
      rows.push([`pull, all present ${tag}`, `${b.toFixed(0)} ms (target ≤ 50)`, d !== undefined ? `${d.toFixed(0)} ms` : '-', d !== undefined ? `${(d / b).toFixed(2)}x` : '-']);
    }
    const widths = [0, 1, 2, 3].map((i) => Math.max(...[['workload', 'berth', 'dockerd', 'ratio'], ...rows].map((r) => r[i]!.length)));
    const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
    console.log(line(['workload', 'berth', 'dockerd', 'ratio']));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const r of rows) console.log(line(r));
    console.log(`\nmedian of ${REPS} interleaved runs; ratio = dockerd time / berth time (throughput ratio; target ≥ 1.5); each run pushes to a fresh docker-registry on 127.0.0.1`);
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
}

await main();
