/**
 * Test harness for end-to-end tests: a real berthd on a private data root, exec root, socket and cgroup
 * parent, driven by the real docker CLI and by berth. `stop()` removes everything the run made, even after a
 * failure: containers (through the API, then their monitors by pid), mounts under the private roots, the
 * cgroup parent, the directories. It never touches another engine's state and kills only pids it started.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { join, resolve } from 'node:path';

// Tests are bundled into dist/ before they run, so paths are taken from the working directory (the repo root).
export const REPO = resolve(process.cwd());
const BERTH = join(REPO, 'bin/berth');
const BERTHD = join(REPO, 'bin/berthd');
export const BUSYBOX_TAR = join(REPO, 'images/busybox.tar');

/** The real docker CLI (v28 on this machine image), falling back to whatever `docker` is on PATH. */
export const DOCKER = existsSync('/usr/local/bin/docker') ? '/usr/local/bin/docker' : 'docker';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestDaemon {
  root: string;
  dataRoot: string;
  execRoot: string;
  socket: string;
  host: string;
  cgroupParent: string;
  /** The daemon's network tag (in its bridge, veth and chain names), its default bridge and address space. */
  net: TestNetwork;
  env: NodeJS.ProcessEnv;
  pid: number;
  /** Runs the docker CLI against this daemon. */
  docker(args: string[], opts?: { input?: string | Buffer; timeoutMs?: number }): CommandResult;
  /** Runs berth against this daemon. */
  berth(args: string[], opts?: { input?: string | Buffer; timeoutMs?: number }): CommandResult;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }>;
  /** Stops berthd (containers keep running), as a crash or an upgrade would. */
  stopDaemon(signal?: NodeJS.Signals): Promise<void>;
  startDaemon(): Promise<void>;
  stop(): Promise<void>;
}

export function ensureBusyboxImage(): string {
  // A cached archive older than the script that makes it is made again (the image's content changed).
  const script = join(REPO, 'scripts/make-busybox-image.mjs');
  if (!existsSync(BUSYBOX_TAR) || statSync(BUSYBOX_TAR).mtimeMs < statSync(script).mtimeMs) {
    mkdirSync(join(REPO, 'images'), { recursive: true });
    const r = spawnSync(process.execPath, [join(REPO, 'scripts/make-busybox-image.mjs'), BUSYBOX_TAR], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`make-busybox-image failed: ${r.stderr}`);
  }
  return BUSYBOX_TAR;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, opts: { input?: string | Buffer; timeoutMs?: number } = {}): CommandResult {
  const r = spawnSync(cmd, args, { env, input: opts.input, encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000, maxBuffer: 256 * 1024 * 1024 });
  return { code: r.status ?? (r.signal ? 128 : 1), stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export async function startTestDaemon(opts: { loadBusybox?: boolean; extraArgs?: string[] } = {}): Promise<TestDaemon> {
  // Short paths: conmon's attach socket lives under the exec root and must stay under 108 bytes.
  const root = mkdtempSync('/tmp/bt');
  const dataRoot = join(root, 'data');
  const execRoot = join(root, 'r');
  const socket = join(root, 'berth.sock');
  const host = `unix://${socket}`;
  const cgroupParent = `/berth-test-${root.slice(-6)}`;
  const net = testNetwork(execRoot);
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: host, DOCKER_CONFIG: join(root, 'docker-config'), DOCKER_CLI_HINTS: 'false' };
  delete env['DOCKER_CONTEXT'];
  let child: ChildProcess | undefined;
  const daemonLog: string[] = [];

  const startDaemon = async (): Promise<void> => {
    // bin/berthd itself (not `node bin/berthd`), so the Node flags in its first line apply as they do for users.
    child = spawn(
      BERTHD,
      ['-H', host, '--data-root', dataRoot, '--exec-root', execRoot, '--pidfile', join(root, 'berthd.pid'), '--cgroup-parent', cgroupParent, '--log-level', 'debug', ...net.daemonArgs, ...(opts.extraArgs ?? [])],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.on('data', (d: Buffer) => daemonLog.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => daemonLog.push(d.toString()));
    const started = Date.now();
    for (;;) {
      if (child.exitCode !== null) throw new Error(`berthd exited early (${child.exitCode}):\n${daemonLog.join('')}`);
      const ok = await ping(socket).catch(() => false);
      if (ok) return;
      if (Date.now() - started > 20_000) throw new Error(`berthd did not answer within 20 s:\n${daemonLog.join('')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const stopDaemon = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await exited;
    }
  };

  const daemon: TestDaemon = {
    root,
    dataRoot,
    execRoot,
    socket,
    host,
    cgroupParent,
    net,
    env,
    get pid() {
      return child?.pid ?? 0;
    },
    docker: (args, o) => run(DOCKER, args, env, o),
    berth: (args, o) => run(process.execPath, [BERTH, ...args], env, o),
    api: (method, path, body) => apiRequest(socket, method, path, body),
    stopDaemon,
    startDaemon,
    async stop() {
      try {
        if (child && child.exitCode === null) {
          const list = await apiRequest(socket, 'GET', '/containers/json?all=1').catch(() => undefined);
          const ids = list && list.status === 200 ? (JSON.parse(list.body) as { Id: string }[]).map((c) => c.Id) : [];
          await Promise.all(ids.map((id) => apiRequest(socket, 'DELETE', `/containers/${id}?force=1`).catch(() => undefined)));
        }
      } finally {
        await stopDaemon();
        cleanupRoots(root, cgroupParent);
        cleanupNetwork(net);
      }
      if (process.env['BERTH_TEST_DAEMON_LOG'] === '1') process.stderr.write(daemonLog.join(''));
    },
  };
  try {
    await startDaemon();
    if (opts.loadBusybox !== false) {
      const r = daemon.berth(['load', '-i', ensureBusyboxImage()]);
      if (r.code !== 0) throw new Error(`loading busybox failed: ${r.stderr}`);
    }
  } catch (err) {
    await daemon.stop();
    throw err;
  }
  return daemon;
}

/**
 * Kills monitors and container processes that still run from our exec root (only pids whose command line
 * names it, which only we can have started), unmounts everything under the test root, removes the cgroup
 * parent in every hierarchy and deletes the tree.
 */
function cleanupRoots(root: string, cgroupParent: string): void {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmdline.includes(`${root}/`) && Number(pid) !== process.pid) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  const runcRoot = join(root, 'r/runtime/runc');
  if (existsSync(runcRoot)) {
    for (const id of readdirSync(runcRoot)) spawnSync('runc', ['--root', runcRoot, 'delete', '--force', id]);
  }
  for (let i = 0; i < 3; i++) {
    const mounts = readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((m) => m.startsWith(`${root}/`))
      .sort((a, b) => b.length - a.length);
    if (mounts.length === 0) break;
    for (const m of mounts) spawnSync('umount', ['-l', m]);
  }
  for (const hierarchy of cgroupHierarchies()) removeCgroupTree(join(hierarchy, cgroupParent));
  rmSync(root, { recursive: true, force: true });
}

function cgroupHierarchies(): string[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f[2] === 'cgroup' || f[2] === 'cgroup2')
    .map((f) => f[1] ?? '')
    .filter(Boolean);
}

function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeCgroupTree(join(dir, entry.name));
  }
  try {
    rmdirSync(dir);
  } catch {
    // Still has processes; nothing more we may do.
  }
}

/** Mounts and processes that mention a root: what a test must have cleaned up. */
export function leftovers(root: string): { mounts: string[]; pids: number[] } {
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(`${root}/`));
  const pids: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`${root}/`)) pids.push(Number(pid));
    } catch {
      // Gone.
    }
  }
  return { mounts, pids };
}

function ping(socket: string): Promise<boolean> {
  return apiRequest(socket, 'GET', '/_ping').then((r) => r.status === 200);
}

export function apiRequest(
  socket: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolvePromise, reject) => {
    const data = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const req = request(
      { socketPath: socket, method, path, agent: false, headers: data === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(60_000, () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    if (data !== undefined) req.write(data);
    req.end();
  });
}

/**
 * One daemon for a test file: started before its tests, stopped after them, and then an assertion that nothing
 * it ran left a mount or a process behind. Returns an accessor, since the daemon exists only once `before` ran.
 */
export function useTestDaemon(opts: Parameters<typeof startTestDaemon>[0] = {}): () => TestDaemon {
  let daemon: TestDaemon | undefined;
  before(async () => {
    daemon = await startTestDaemon(opts);
  });
  after(async () => {
    if (!daemon) return;
    const root = daemon.root;
    await daemon.stop();
    assert.deepEqual(leftovers(root), { mounts: [], pids: [] }, 'the test run left mounts or processes behind');
    assert.deepEqual(networkLeftovers(daemon.net), { links: [], rules: [] }, 'the test run left network devices or iptables rules behind');
  });
  return () => {
    if (!daemon) throw new Error('the test daemon is not running');
    return daemon;
  };
}

export interface TestNetwork {
  tag: string;
  /** The default bridge device. */
  bridge: string;
  /** A /20 of 10.240.0.0/12 no host route uses: the default bridge gets its first /24, user networks the rest. */
  block: string;
  bip: string;
  daemonArgs: string[];
}

/**
 * Host-level network names and addresses of one test daemon, apart from every other daemon's: the tag is a
 * hash of the exec root (the daemon derives the same), the block is drawn at random among the /20s of
 * 10.240.0.0/12 that no route on the host touches (docker0's 172.17/16 and the host's own nets are elsewhere).
 */
export function testNetwork(execRoot: string): TestNetwork {
  const tag = createHash('sha256').update(execRoot).digest('hex').slice(0, 6);
  const routes = spawnSync('ip', ['-4', 'route', 'show'], { encoding: 'utf8' }).stdout ?? '';
  const used = new Set<number>();
  for (const m of routes.matchAll(/^10\.(\d+)\.(\d+)\.\d+\/(\d+)/gm)) {
    const second = Number(m[1]);
    const third = Number(m[2]);
    if (second >= 240) used.add((second - 240) * 16 + (third >> 4));
  }
  let block = 0;
  for (let i = 0; i < 64; i++) {
    block = Math.floor(Math.random() * 256);
    if (!used.has(block)) break;
  }
  const second = 240 + (block >> 4);
  const third = (block & 15) << 4;
  const bip = `10.${second}.${third}.1/24`;
  const blockCidr = `10.${second}.${third}.0/20`;
  const bridge = `b${tag}-0`;
  return { tag, bridge, block: blockCidr, bip, daemonArgs: ['--bridge', bridge, '--bip', bip, '--default-address-pool', `base=${blockCidr},size=24`] };
}

/** Links (bridges, veths) and iptables rules or chains carrying a daemon's tag. */
export function networkLeftovers(net: TestNetwork): { links: string[]; rules: string[] } {
  const links = (spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout ?? '')
    .split('\n')
    .map((l) => (l.split(': ')[1] ?? '').split('@')[0] ?? '')
    .filter((n) => n.startsWith(`b${net.tag}`) || n.startsWith(`v${net.tag}`));
  const rules: string[] = [];
  for (const table of ['nat', 'filter']) {
    const out = spawnSync('iptables', ['-w', '5', '-t', table, '-S'], { encoding: 'utf8' }).stdout ?? '';
    for (const l of out.split('\n')) if (l.includes(`BERTH-${net.tag}`) || l.includes(`b${net.tag}`)) rules.push(`${table}: ${l}`);
  }
  return { links, rules };
}

/**
 * Removes what a test daemon made on the host's network stack even after a kill -9: its links (deleting a
 * veth's host end deletes the pair), the jumps into its chains, then the chains. Namespace files are bind
 * mounts under the exec root, which cleanupRoots unmounts.
 */
export function cleanupNetwork(net: TestNetwork): void {
  const left = networkLeftovers(net);
  for (const l of left.links) spawnSync('ip', ['link', 'del', l]);
  for (const table of ['nat', 'filter']) {
    const out = spawnSync('iptables', ['-w', '5', '-t', table, '-S'], { encoding: 'utf8' }).stdout ?? '';
    const lines = out.split('\n');
    // Jumps and rules in chains that are not ours first (they name our chains or bridges), then our chains.
    for (const l of lines) {
      if (!l.startsWith('-A ') || !(l.includes(`BERTH-${net.tag}`) || l.includes(`b${net.tag}`))) continue;
      if (l.startsWith(`-A BERTH-${net.tag}`)) continue;
      spawnSync('iptables', ['-w', '5', '-t', table, '-D', ...splitRule(l.slice(3))]);
    }
    for (const l of lines) {
      const m = /^-N (BERTH-\S+)/.exec(l);
      if (!m || !m[1]!.startsWith(`BERTH-${net.tag}`)) continue;
      spawnSync('iptables', ['-w', '5', '-t', table, '-F', m[1]!]);
    }
    for (const l of lines) {
      const m = /^-N (BERTH-\S+)/.exec(l);
      if (!m || !m[1]!.startsWith(`BERTH-${net.tag}`)) continue;
      spawnSync('iptables', ['-w', '5', '-t', table, '-X', m[1]!]);
    }
  }
}

/** An `iptables -S` rule as arguments (quoted comments kept whole). */
function splitRule(rule: string): string[] {
  return [...rule.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

