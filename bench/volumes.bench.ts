/**
 * Volumes benchmark: berthd against a private dockerd (when installed) on the same workloads, through the real
 * docker CLI: volume create + rm, `run --rm -v <new volume>:/etc` (create, copy-up from the image, run, remove),
 * `run --rm` with a bind mount, and `volume ls` with 100 volumes. Prints p50 times and the ratios.
 *
 *   node scripts/build.mjs && node scripts/run-ts.mjs bench/volumes.bench.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BUSYBOX_TAR, DOCKER, startTestDaemon } from '../test/harness.js';
import { dockerdAvailable, startPrivateDockerd } from '../test/private-dockerd.js';

const RUNS = Number(process.env['BERTH_BENCH_RUNS'] ?? 15);

interface Engine {
  env: NodeJS.ProcessEnv;
  root: string;
}

function timed(env: NodeJS.ProcessEnv, args: string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(DOCKER, args, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function p50(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function workloads(e: Engine): Record<string, number> {
  const out: Record<string, number> = {};
  out['volume create + volume rm'] = p50(Array.from({ length: RUNS }, (_, i) => timed(e.env, ['volume', 'create', `bv${i}`]) + timed(e.env, ['volume', 'rm', `bv${i}`])));
  out['run --rm -v new:/etc (copy-up) + volume rm'] = p50(
    Array.from({ length: RUNS }, (_, i) => timed(e.env, ['run', '--rm', '-v', `cv${i}:/etc`, 'busybox', 'true']) + timed(e.env, ['volume', 'rm', `cv${i}`])),
  );
  const host = join(e.root, 'bench-bind');
  mkdirSync(host, { recursive: true });
  out['run --rm -v /host:/h (bind)'] = p50(Array.from({ length: RUNS }, () => timed(e.env, ['run', '--rm', '-v', `${host}:/h`, 'busybox', 'true'])));
  out['run --rm (no mounts, for reference)'] = p50(Array.from({ length: RUNS }, () => timed(e.env, ['run', '--rm', 'busybox', 'true'])));
  for (let i = 0; i < 100; i++) timed(e.env, ['volume', 'create', `lv${i}`]);
  out['volume ls, 100 volumes'] = p50(Array.from({ length: RUNS }, () => timed(e.env, ['volume', 'ls'])));
  timed(e.env, ['volume', 'rm', ...Array.from({ length: 100 }, (_, i) => `lv${i}`)]);
  return out;
}

async function main(): Promise<void> {
  const berthd = await startTestDaemon({ loadBusybox: true });
  let docker: Awaited<ReturnType<typeof startPrivateDockerd>> | undefined;
  try {
    const b = workloads({ env: berthd.env, root: berthd.root });
    let d: Record<string, number> | undefined;
    if (process.env['BERTH_BENCH_DOCKER'] !== '0' && dockerdAvailable()) {
      docker = await startPrivateDockerd();
      if (docker.docker(['load', '-i', BUSYBOX_TAR]).code === 0) d = workloads({ env: docker.env, root: docker.socket.replace(/\/docker\.sock$/, '') });
    }
    const rows = Object.keys(b).map((k) => [k, `${b[k]!.toFixed(1)} ms`, d ? `${d[k]!.toFixed(1)} ms` : 'n/a', d ? `${(b[k]! / d[k]!).toFixed(2)}×` : 'n/a']);
    const head = ['workload (p50)', 'berth', 'dockerd', 'ratio'];
    const widths = head.map((_, i) => Math.max(...[head, ...rows].map((r) => r[i]!.length)));
    for (const r of [head, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  } finally {
    await docker?.stop();
    await berthd.stop();
  }
}

await main();
