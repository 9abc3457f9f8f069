// Container filesystem throughput, berthd against a private dockerd in the same run, both driven by the
// real docker CLI: `docker cp` of a 200 MB directory tree (many small files and a few big ones) into and out
// of a running container, and `docker commit` of a container whose writable layer holds those 200 MB.
//
//   node scripts/build.mjs && node scripts/run-ts.mjs bench/archive.bench.ts
//
// BERTH_BENCH_DOCKER=0 skips the peer; BERTH_BENCH_RUNS sets the runs per figure (median reported).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BUSYBOX_TAR, DOCKER, ensureBusyboxImage, startTestDaemon } from '../test/harness.js';
import { dockerdAvailable, startPrivateDockerd } from '../test/private-dockerd.js';

const RUNS = Number(process.env['BERTH_BENCH_RUNS'] ?? 3);
const SMALL_FILES = 2000;
const SMALL_SIZE = 50 * 1024;
const BIG_FILES = 4;
const BIG_SIZE = 25 * 1024 * 1024;
const TOTAL_MB = (SMALL_FILES * SMALL_SIZE + BIG_FILES * BIG_SIZE) / (1024 * 1024);

interface Engine {
  name: string;
  env: NodeJS.ProcessEnv;
  /** The daemon's pid: its CPU time (with reaped children, e.g. dockerd's docker-untar) is measured too. */
  pid: number;
  stop(): Promise<void>;
}

interface Figures {
  cpIn: number;
  cpOut: number;
  commit: number;
  /** Daemon CPU milliseconds (user + system, children included) for the same three. */
  cpInCpu: number;
  cpOutCpu: number;
  commitCpu: number;
}

/** utime + stime + cutime + cstime of a process, in ms (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0) * 10;
}

/** Wall and daemon CPU time of one command. */
function timedCpu(pid: number, fn: () => void): [number, number] {
  const c = cpuMs(pid);
  const ms = timed(fn);
  return [ms, cpuMs(pid) - c];
}

function docker(env: NodeJS.ProcessEnv, args: string[]): string {
  const r = spawnSync(DOCKER, args, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 600_000 });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function timed(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function makeTree(dir: string): void {
  for (let i = 0; i < SMALL_FILES; i++) {
    const sub = join(dir, `d${i % 20}`, `e${i % 7}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${i}.dat`), randomBytes(SMALL_SIZE));
  }
  mkdirSync(join(dir, 'big'), { recursive: true });
  for (let i = 0; i < BIG_FILES; i++) writeFileSync(join(dir, 'big', `b${i}.bin`), randomBytes(BIG_SIZE));
}

function setUp(engine: Engine): void {
  const ids = docker(engine.env, ['ps', '-aq']).split('\n').filter(Boolean);
  if (ids.length > 0) docker(engine.env, ['rm', '-f', ...ids]);
  docker(engine.env, ['run', '-d', '--name', 'bench-cp', '--network', 'none', 'busybox', 'sleep', '3600']);
}

/** One run of each workload on one engine. */
function runOnce(engine: Engine, tree: string, scratch: string, i: number): Figures {
  const env = engine.env;
  docker(env, ['exec', 'bench-cp', 'rm', '-rf', '/tmp/tree']);
  const [cpIn, cpInCpu] = timedCpu(engine.pid, () => docker(env, ['cp', tree, 'bench-cp:/tmp/tree']));
  const out = join(scratch, `out-${engine.name}-${i}`);
  const [cpOut, cpOutCpu] = timedCpu(engine.pid, () => docker(env, ['cp', 'bench-cp:/tmp/tree', out]));
  rmSync(out, { recursive: true, force: true });
  const name = `bench-commit-${i}`;
  docker(env, ['create', '--name', name, '--network', 'none', 'busybox', 'true']);
  docker(env, ['cp', tree, `${name}:/data`]);
  const [commit, commitCpu] = timedCpu(engine.pid, () => docker(env, ['commit', name, `bench-committed:${i}`]));
  docker(env, ['rm', '-f', name]);
  docker(env, ['rmi', `bench-committed:${i}`]);
  return { cpIn, cpOut, commit, cpInCpu, cpOutCpu, commitCpu };
}

/**
 * The engines take turns run by run, so the load of a shared machine falls on both alike; medians per figure.
 */
function measure(engines: Engine[], tree: string, scratch: string): { figures: Map<string, Figures>; floor: number } {
  for (const e of engines) setUp(e);
  const runs = new Map<string, Figures[]>(engines.map((e) => [e.name, []]));
  const floors: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    for (const e of engines) runs.get(e.name)!.push(runOnce(e, tree, scratch, i));
    floors.push(extractionFloor(tree, scratch, i));
  }
  const out = new Map<string, Figures>();
  for (const [name, fs] of runs) {
    const m = (k: keyof Figures): number => median(fs.map((f) => f[k]));
    out.set(name, { cpIn: m('cpIn'), cpOut: m('cpOut'), commit: m('commit'), cpInCpu: m('cpInCpu'), cpOutCpu: m('cpOutCpu'), commitCpu: m('commitCpu') });
  }
  return { figures: out, floor: median(floors) };
}

/**
 * GNU tar packing the tree into a pipe and unpacking it into a fresh directory on the same filesystem: what
 * making these files costs the kernel, which every engine pays once per copy (cp in: the daemon; cp out: the
 * CLI; commit: the new layer). On this VM's root filesystem (ext4 without a journal) creating a file costs
 * 0.3-0.9 ms in the inode allocator, so this is most of each figure.
 */
function extractionFloor(tree: string, scratch: string, i: number): number {
  const dst = join(scratch, `floor-${i}`);
  mkdirSync(dst);
  const ms = timed(() => {
    const r = spawnSync('sh', ['-c', 'tar -C "$1" -cf - . | tar -C "$2" -xf -', 'floor', tree, dst]);
    if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
  });
  rmSync(dst, { recursive: true, force: true });
  return ms;
}

async function main(): Promise<void> {
  ensureBusyboxImage();
  const scratch = mkdtempSync('/tmp/barchbench-');
  const tree = join(scratch, 'tree');
  makeTree(tree);
  const engines: Engine[] = [];
  try {
    const berth = await startTestDaemon();
    engines.push({ name: 'berthd', env: berth.env, pid: berth.pid, stop: () => berth.stop() });
    if (process.env['BERTH_BENCH_DOCKER'] !== '0' && dockerdAvailable()) {
      const d = await startPrivateDockerd();
      engines.push({ name: 'dockerd', env: d.env, pid: d.pid, stop: () => d.stop() });
      docker(d.env, ['load', '-i', BUSYBOX_TAR]);
    }
    const { figures: results, floor } = measure(engines, tree, scratch);
    const mbps = (ms: number): string => (ms > 0 ? (TOTAL_MB / (ms / 1000)).toFixed(0) : '-');
    const peer = engines.length > 1;
    const rows: string[][] = [
      ['workload', ...engines.flatMap((e) => [`${e.name} ms`, `${e.name} MB/s`, `${e.name} cpu ms`]), ...(peer ? ['throughput vs dockerd', 'cpu vs dockerd'] : [])],
    ];
    for (const [label, key, cpuKey] of [
      ['cp into a running container', 'cpIn', 'cpInCpu'],
      ['cp out of a running container', 'cpOut', 'cpOutCpu'],
      ['commit of a 200 MB writable layer', 'commit', 'commitCpu'],
    ] as const) {
      const row: string[] = [label];
      for (const e of engines) {
        const f = results.get(e.name)!;
        row.push(f[key].toFixed(0), mbps(f[key]), f[cpuKey].toFixed(0));
      }
      if (peer) {
        const b = results.get('berthd')!;
        const d = results.get('dockerd')!;
        row.push(`${(d[key] / b[key]).toFixed(2)}x`, `${(b[cpuKey] / Math.max(1, d[cpuKey])).toFixed(2)}x`);
      }
      rows.push(row);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
    console.log(`archive benchmark: ${TOTAL_MB.toFixed(0)} MB tree (${SMALL_FILES} x ${SMALL_SIZE / 1024} KiB + ${BIG_FILES} x ${BIG_SIZE / 1024 / 1024} MiB), median of ${RUNS}`);
    for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
    console.log(`GNU tar into a fresh directory, same filesystem (the cost of making the files): ${floor.toFixed(0)} ms`);
    const d = results.get('dockerd');
    if (d) {
      const best = (ms: number): string => `${(ms / floor).toFixed(2)}x`;
      console.log(`  highest throughput vs dockerd an engine could reach if it cost nothing beyond that: cp in ${best(d.cpIn)}, cp out ${best(d.cpOut)}, commit ${best(d.commit)}`);
    }
  } finally {
    for (const e of engines.reverse()) await e.stop().catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
