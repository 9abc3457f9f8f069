/**
 * Build benchmark: a 12-step Dockerfile over a ~20 MB context (2000 small files and one 10 MB file), built
 * cold (no cache), warm (nothing changed) and after one copied file changed; through the classic API with the
 * docker CLI (DOCKER_BUILDKIT=0) against berthd and against a private dockerd's classic builder, and through
 * `berth build`. BuildKit (docker-buildx) is not installed on this machine, so its column is absent; the
 * issue's reference figures for it (2.1 s / 0.10 s / 1.1 s) are printed for scale only.
 *
 *   node scripts/build.mjs && node scripts/run-ts.mjs bench/build.bench.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOCKER, REPO, startTestDaemon, BUSYBOX_TAR, ensureBusyboxImage } from '../test/harness.js';
import { dockerdAvailable, startPrivateDockerd } from '../test/private-dockerd.js';

const RUNS = Number(process.env['BENCH_BUILD_RUNS'] ?? '3');
const BUILDKIT_REFERENCE = { cold: 2.1, warm: 0.1, changed: 1.1 };

const DOCKERFILE = [
  'FROM busybox',
  'ENV APP=/app',
  'WORKDIR /app',
  'COPY small/ /app/small/',
  'COPY big.bin /app/big.bin',
  'RUN ls /app/small | wc -l > /count',
  'ARG V=1',
  'LABEL v=$V',
  'RUN echo built > /built',
  'COPY Dockerfile /app/',
  'EXPOSE 8080',
  'CMD ["sh"]',
].join('\n');

function makeContext(): string {
  const dir = mkdtempSync('/tmp/bbench-');
  mkdirSync(join(dir, 'small'));
  for (let i = 0; i < 2000; i++) {
    mkdirSync(join(dir, 'small', `d${i % 40}`), { recursive: true });
    writeFileSync(join(dir, 'small', `d${i % 40}`, `f${i}.txt`), Buffer.alloc(5000, i % 251));
  }
  writeFileSync(join(dir, 'big.bin'), Buffer.alloc(10 * 1024 * 1024, 7));
  writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
  return dir;
}

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
  return ms / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

interface Figures {
  cold: number;
  warm: number;
  changed: number;
}

/** Cold (--no-cache), warm (same context again) and one-file-changed, `RUNS` times each; medians. */
function measure(build: (extra: string[]) => number, dir: string): Figures {
  const cold: number[] = [];
  const warm: number[] = [];
  const changed: number[] = [];
  build([]); // prime: the base image's first use, page cache
  for (let i = 0; i < RUNS; i++) {
    cold.push(build(['--no-cache']));
    warm.push(build([]));
    writeFileSync(join(dir, 'small', 'd0', 'f0.txt'), `changed ${Date.now()} ${i}`);
    changed.push(build([]));
  }
  return { cold: median(cold), warm: median(warm), changed: median(changed) };
}

async function main(): Promise<void> {
  ensureBusyboxImage();
  const rows: Array<[string, Figures | undefined]> = [];
  const berthd = await startTestDaemon();
  const dirs: string[] = [];
  try {
    const env = { ...berthd.env, DOCKER_BUILDKIT: '0' };
    const d1 = makeContext();
    dirs.push(d1);
    rows.push(['berthd, docker CLI (classic API)', measure((extra) => timed(DOCKER, ['build', '-q', ...extra, '-t', 'bench', d1], env), d1)]);
    const d2 = makeContext();
    dirs.push(d2);
    rows.push(['berthd, berth build', measure((extra) => timed(process.execPath, [join(REPO, 'bin/berth'), 'build', '-q', ...extra, '-t', 'bench2', d2], env), d2)]);
  } finally {
    await berthd.stop();
  }
  if (dockerdAvailable()) {
    const dockerd = await startPrivateDockerd();
    try {
      const env = { ...dockerd.env, DOCKER_BUILDKIT: '0' };
      const load = spawnSync(DOCKER, ['load', '-i', BUSYBOX_TAR], { env, encoding: 'utf8' });
      if (load.status !== 0) throw new Error(`docker load failed: ${load.stderr}`);
      const d3 = makeContext();
      dirs.push(d3);
      rows.push(['dockerd classic builder', measure((extra) => timed(DOCKER, ['build', '-q', ...extra, '-t', 'bench', d3], env), d3)]);
    } finally {
      await dockerd.stop();
    }
  } else {
    rows.push(['dockerd classic builder (not installed)', undefined]);
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });

  const fmt = (n: number | undefined): string => (n === undefined || Number.isNaN(n) ? '   n/a' : `${n.toFixed(2).padStart(6)}`);
  console.log(`\nBuild benchmark: 12 steps, ~20 MB context (2000 x 5 kB + 10 MB), median of ${RUNS} (seconds)\n`);
  console.log(`${'engine'.padEnd(40)} ${'cold'.padStart(6)} ${'warm'.padStart(6)} ${'1 file'.padStart(6)}`);
  for (const [name, f] of rows) console.log(`${name.padEnd(40)} ${fmt(f?.cold)} ${fmt(f?.warm)} ${fmt(f?.changed)}`);
  console.log(`${'BuildKit (issue reference, not run here)'.padEnd(40)} ${fmt(BUILDKIT_REFERENCE.cold)} ${fmt(BUILDKIT_REFERENCE.warm)} ${fmt(BUILDKIT_REFERENCE.changed)}`);
  const classic = rows.find(([n]) => n.startsWith('berthd, docker CLI'))?.[1];
  const berthCli = rows.find(([n]) => n.startsWith('berthd, berth build'))?.[1];
  const dockerd = rows.find(([n]) => n === 'dockerd classic builder')?.[1];
  console.log('\nRatios (targets in brackets):');
  if (classic && dockerd) console.log(`  classic API warm / dockerd classic warm      ${(classic.warm / dockerd.warm).toFixed(3)}  [<= 0.15]`);
  if (classic) console.log(`  classic API cold / BuildKit reference cold   ${(classic.cold / BUILDKIT_REFERENCE.cold).toFixed(3)}  [<= 0.6; reference figure, not same-run]`);
  if (berthCli) console.log(`  berth build warm / BuildKit reference warm   ${(berthCli.warm / BUILDKIT_REFERENCE.warm).toFixed(3)}  [<= 1.0; reference figure, not same-run]`);
  if (berthCli) console.log(`  berth build 1-file / BuildKit reference      ${(berthCli.changed / BUILDKIT_REFERENCE.changed).toFixed(3)}  [<= 0.5; reference figure, not same-run]`);
  if (classic && dockerd) {
    console.log(`  classic API cold / dockerd classic cold      ${(classic.cold / dockerd.cold).toFixed(3)}`);
    console.log(`  classic API 1-file / dockerd classic 1-file  ${(classic.changed / dockerd.changed).toFixed(3)}`);
  }
}

await main();
