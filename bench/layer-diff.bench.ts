// How fast the Differ turns an overlay-form directory into a layer tar (what `commit` and every build step
// with changes do). No peer: dockerd's side of this is inside `docker commit`/`build` and not separable.
//   node scripts/build.mjs && node scripts/run-ts.mjs bench/layer-diff.bench.ts [total-MB] [rounds]
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { TarDiffer } from '../src/plugins/diff-tar/tar-differ.js';

const totalMb = Number(process.argv[2] ?? 200);
const rounds = Number(process.argv[3] ?? 3);

/**
 * Half the bytes in 4 KiB files spread over directories of 100 (the shape of a package install), half in
 * 8 MiB files; a few symlinks, hard links, whiteouts and an opaque directory so every branch runs.
 */
async function makeTree(dir: string): Promise<{ files: number }> {
  const smallCount = Math.floor((totalMb * 1024 * 1024) / 2 / 4096);
  const bigCount = Math.max(1, Math.floor((totalMb * 1024 * 1024) / 2 / (8 * 1024 * 1024)));
  const small = Buffer.alloc(4096, 'x');
  for (let d = 0; d * 100 < smallCount; d++) {
    const sub = join(dir, 'usr', 'lib', `pkg${d}`);
    await mkdir(sub, { recursive: true });
    const n = Math.min(100, smallCount - d * 100);
    await Promise.all(Array.from({ length: n }, (_, i) => writeFile(join(sub, `file${i}.js`), small)));
    await symlink(`file0.js`, join(sub, 'index.js'));
  }
  await mkdir(join(dir, 'opt', 'big'), { recursive: true });
  const big = Buffer.alloc(8 * 1024 * 1024, 'y');
  for (let i = 0; i < bigCount; i++) await writeFile(join(dir, 'opt', 'big', `blob${i}`), big);
  spawnSync('ln', [join(dir, 'opt', 'big', 'blob0'), join(dir, 'opt', 'blob0-link')]);
  spawnSync('mknod', [join(dir, 'opt', 'gone'), 'c', '0', '0']);
  spawnSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(dir, 'opt', 'big')]);
  return { files: smallCount + bigCount };
}

async function drain(tar: Readable): Promise<number> {
  let bytes = 0;
  for await (const chunk of tar) bytes += (chunk as Buffer).length;
  return bytes;
}

const dir = await mkdtemp(join(tmpdir(), 'layer-diff-bench-'));
try {
  const { files } = await makeTree(dir);
  const differ = new TarDiffer();
  const cases: Array<[string, () => Readable]> = [['diffDirectory', () => differ.diffDirectory(dir).tar]];
  console.log(`tree: ${totalMb} MB, ${files} files; ${rounds} rounds each, alternating, warm page cache`);
  const times = new Map<string, number[]>(cases.map(([n]) => [n, []]));
  let tarBytes = 0;
  for (let r = 0; r < rounds + 1; r++) {
    for (const [name, run] of cases) {
      const t0 = performance.now();
      tarBytes = await drain(run());
      const ms = performance.now() - t0;
      if (r > 0) times.get(name)!.push(ms); // round 0 warms the page cache
    }
  }
  console.log('| method | best ms | median ms | MB/s (best) |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [name, ts] of times) {
    const sorted = [...ts].sort((a, b) => a - b);
    const best = sorted[0]!;
    const median = sorted[Math.floor(sorted.length / 2)]!;
    console.log(`| ${name} | ${best.toFixed(0)} | ${median.toFixed(0)} | ${(tarBytes / 1024 / 1024 / (best / 1000)).toFixed(0)} |`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
