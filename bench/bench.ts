/**
 * `npm run bench`: berth's speed and footprint, and the same workloads on a Docker Engine when one is
 * available (a private dockerd started here on its own data root and socket when the binary is installed, or
 * the socket in BERTH_BENCH_DOCKER_HOST). Prints one table with the ratios the issues set targets for.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { BUSYBOX_TAR, DOCKER, ensureBusyboxImage, REPO, startTestDaemon } from '../test/harness.js';
import { dockerdAvailable, startPrivateDockerd } from '../test/private-dockerd.js';

interface Engine {
  name: string;
  env: NodeJS.ProcessEnv;
  socket: string;
  stop(): Promise<void>;
}

const RUNS = Number(process.env['BERTH_BENCH_RUNS'] ?? 20);

function timeCmd(cmd: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

function samples(n: number, f: () => number): number[] {
  f(); // warm-up
  return Array.from({ length: n }, f);
}

function apiGet(socket: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const req = request({ socketPath: socket, path, method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => resolve(Number(process.hrtime.bigint() - t) / 1e6));
    });
    req.on('error', reject);
    req.end();
  });
}

async function apiSamples(socket: string, path: string, n: number): Promise<number[]> {
  await apiGet(socket, path);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await apiGet(socket, path));
  return out;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function startDockerPeer(): Promise<(Engine & { pid: number; root?: string }) | undefined> {
  if (process.env['BERTH_BENCH_DOCKER'] === '0') return undefined;
  const external = process.env['BERTH_BENCH_DOCKER_HOST'];
  if (external) {
    return { name: 'dockerd', env: { ...process.env, DOCKER_HOST: external }, socket: external.replace('unix://', ''), pid: 0, stop: async () => undefined };
  }
  if (!dockerdAvailable()) return undefined;
  const d = await startPrivateDockerd();
  if (d.docker(['load', '-i', BUSYBOX_TAR]).code !== 0) {
    await d.stop();
    return undefined;
  }
  return { name: 'dockerd', env: d.env, socket: d.socket, pid: d.pid, root: d.socket.replace(/\/docker\.sock$/, ''), stop: d.stop };
}

/** RSS (MB) of every process whose command line names `root`: the engine and its per-container monitors. */
function engineRssMb(root: string): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(root)) continue;
      total += rssMb(Number(pid));
    } catch {
      // Gone meanwhile.
    }
  }
  return total;
}

function dockerOk(env: NodeJS.ProcessEnv, args: string[]): string {
  const r = spawnSync(DOCKER, args, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** The issue-3 workloads on one engine; containers are removed after. */
function workloads(env: NodeJS.ProcessEnv, root: string): { execP50: number; start100: number; perContainerMb: number; statsMs: number; logsP50: number } {
  const ids = dockerOk(env, ['ps', '-aq']).split('\n').filter(Boolean);
  if (ids.length > 0) dockerOk(env, ['rm', '-f', ...ids]);
  dockerOk(env, ['run', '-d', '--name', 'bench-exec', '--network', 'none', 'busybox', 'sleep', '600']);
  const exec = samples(RUNS, () => timeCmd(DOCKER, ['exec', 'bench-exec', 'true'], env));
  dockerOk(env, ['rm', '-f', 'bench-exec']);

  dockerOk(env, ['run', '-d', '--name', 'bench-logs', '--network', 'none', 'busybox', 'seq', '1', '100000']);
  dockerOk(env, ['wait', 'bench-logs']);
  const logs = samples(Math.min(RUNS, 10), () => timeCmd(DOCKER, ['logs', 'bench-logs'], env));
  dockerOk(env, ['rm', '-f', 'bench-logs']);

  const before = engineRssMb(root);
  const t = process.hrtime.bigint();
  for (let i = 0; i < 100; i++) dockerOk(env, ['run', '-d', '--network', 'none', 'busybox', 'sleep', '600']);
  const start100 = Number(process.hrtime.bigint() - t) / 1e6;
  spawnSync('sleep', ['2']);
  const perContainerMb = (engineRssMb(root) - before) / 100;
  const statsMs = timeCmd(DOCKER, ['stats', '--no-stream'], env);
  const running = dockerOk(env, ['ps', '-aq']).split('\n').filter(Boolean);
  dockerOk(env, ['rm', '-f', ...running]);
  return { execP50: percentile(exec, 50), start100, perContainerMb, statsMs, logsP50: percentile(logs, 50) };
}

async function main(): Promise<void> {
  ensureBusyboxImage();
  const rows: [string, string, string, string][] = [];
  const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;
  const berthd = await startTestDaemon();
  // Idle = a daemon started over a data root that holds images, before any request: restart after the load.
  await berthd.stopDaemon();
  await berthd.startDaemon();
  await new Promise((r) => setTimeout(r, 1000));
  const rssAtStart = rssMb(berthd.pid);
  const docker = await startDockerPeer();
  const dockerRssAtStart = docker && docker.pid ? rssMb(docker.pid) : undefined;
  const hasDocker = docker !== undefined;
  try {
    const berthRun = samples(RUNS, () => timeCmd(DOCKER, ['run', '--rm', '--network', 'none', 'busybox', 'true'], berthd.env));
    const berthCliRun = samples(RUNS, () => timeCmd(process.execPath, [join(REPO, 'bin/berth'), 'run', '--rm', 'busybox', 'true'], berthd.env));
    let dockerRun: number[] | undefined;
    if (docker) dockerRun = samples(RUNS, () => timeCmd(DOCKER, ['run', '--rm', '--network', 'none', 'busybox', 'true'], docker.env));
    const ratio = (a: number, b: number | undefined): string => (b === undefined ? 'n/a' : `${(a / b).toFixed(2)}×`);
    rows.push(['docker run --rm busybox true (p50 / p90)', `${fmt(percentile(berthRun, 50))} / ${fmt(percentile(berthRun, 90))}`, dockerRun ? `${fmt(percentile(dockerRun, 50))} / ${fmt(percentile(dockerRun, 90))}` : 'n/a', `${ratio(percentile(berthRun, 50), dockerRun && percentile(dockerRun, 50))} (target ≤ 0.35×)`]);
    rows.push(['berth run --rm busybox true (p50 / p90)', `${fmt(percentile(berthCliRun, 50))} / ${fmt(percentile(berthCliRun, 90))}`, '', '']);

    const node0 = samples(RUNS, () => timeCmd(process.execPath, ['-e', '0'], process.env));
    const version = samples(RUNS, () => timeCmd(process.execPath, [join(REPO, 'bin/berth'), '--version'], process.env));
    rows.push(['berth --version vs node -e 0 (p50)', fmt(percentile(version, 50)), fmt(percentile(node0, 50)), `${ratio(percentile(version, 50), percentile(node0, 50))} (target ≤ 1.5×)`]);

    await new Promise((r) => setTimeout(r, 2000));
    const idle = rssMb(berthd.pid);
    rows.push(['berthd idle RSS (started, images loaded, no requests yet)', `${rssAtStart.toFixed(1)} MB`, dockerRssAtStart === undefined ? 'n/a' : `${dockerRssAtStart.toFixed(1)} MB`, 'target ≤ 60 MB']);
    rows.push(['berthd RSS idle again after the runs above', `${idle.toFixed(1)} MB`, docker && docker.pid ? `${rssMb(docker.pid).toFixed(1)} MB` : 'n/a', 'target ≤ 60 MB']);

    const create = (env: NodeJS.ProcessEnv): void => {
      for (let i = 0; i < 100; i++) {
        const r = spawnSync(DOCKER, ['create', '--network', 'none', 'busybox', 'true'], { env, encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`create failed: ${r.stderr}`);
      }
      const count = spawnSync(DOCKER, ['ps', '-aq'], { env, encoding: 'utf8' }).stdout.trim().split('\n').length;
      if (count < 100) throw new Error(`expected 100 containers, found ${count}`);
    };
    create(berthd.env);
    if (docker) create(docker.env);
    const list = await apiSamples(berthd.socket, '/containers/json?all=1', RUNS * 2);
    // Unversioned: each engine answers in its own newest API version (dockerd 20.10 stops at 1.41).
    const dockerList = docker ? await apiSamples(docker.socket, '/containers/json?all=1', RUNS * 2) : undefined;
    rows.push(['GET /containers/json?all=1, 100 containers (p50)', fmt(percentile(list, 50)), dockerList ? fmt(percentile(dockerList, 50)) : 'n/a', `${ratio(percentile(list, 50), dockerList && percentile(dockerList, 50))} (target ≤ 0.5×)`]);
    const ps = samples(RUNS, () => timeCmd(DOCKER, ['ps', '-a'], berthd.env));
    const dockerPs = docker ? samples(RUNS, () => timeCmd(DOCKER, ['ps', '-a'], docker.env)) : undefined;
    rows.push(['docker ps -a, 100 containers (p50)', fmt(percentile(ps, 50)), dockerPs ? fmt(percentile(dockerPs, 50)) : 'n/a', ratio(percentile(ps, 50), dockerPs && percentile(dockerPs, 50))]);
    const berthPs = samples(RUNS, () => timeCmd(process.execPath, [join(REPO, 'bin/berth'), 'ps', '-a'], berthd.env));
    rows.push(['berth ps -a, 100 containers (p50)', fmt(percentile(berthPs, 50)), '', '']);

    // Containers, complete (issue 3): exec, 100 detached starts, memory per running container, stats, logs.
    const engines: { env: NodeJS.ProcessEnv; root: string }[] = [{ env: berthd.env, root: berthd.root }];
    if (docker?.root) engines.push({ env: docker.env, root: docker.root });
    const results = engines.map((e) => workloads(e.env, e.root));
    const [b, d] = [results[0]!, results[1]];
    rows.push(['docker exec <c> true (p50)', fmt(b.execP50), d ? fmt(d.execP50) : 'n/a', `${ratio(b.execP50, d?.execP50)} (target ≤ 0.5×)`]);
    rows.push(['100 × docker run -d sleep, one after another (total)', `${(b.start100 / 1000).toFixed(2)} s`, d ? `${(d.start100 / 1000).toFixed(2)} s` : 'n/a', `${ratio(b.start100, d?.start100)} (target ≤ 0.35×)`]);
    rows.push(['engine + monitors RSS per running container (100 running)', `${b.perContainerMb.toFixed(2)} MB`, d ? `${d.perContainerMb.toFixed(2)} MB` : 'n/a', `${ratio(b.perContainerMb, d?.perContainerMb)} (target ≤ 0.2×)`]);
    rows.push(['docker stats --no-stream, 100 running', fmt(b.statsMs), d ? fmt(d.statsMs) : 'n/a', ratio(b.statsMs, d?.statsMs)]);
    rows.push(['docker logs of 100,000 lines (p50)', fmt(b.logsP50), d ? fmt(d.logsP50) : 'n/a', `${ratio(b.logsP50, d?.logsP50)} (target ≤ 0.5×)`]);
  } finally {
    await docker?.stop();
    await berthd.stop();
  }
  const widths = [0, 1, 2, 3].map((i) => Math.max(...[['workload', 'berth', 'dockerd', 'ratio'], ...rows].map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(['workload', 'berth', 'dockerd', 'ratio']));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  console.log(`\n${RUNS} runs each; ${hasDocker ? 'dockerd started privately (--bridge=none); both engines run containers with --network none' : 'no Docker Engine available: berth figures only'}`);
}

void main();
