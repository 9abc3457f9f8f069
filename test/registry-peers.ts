/**
 * Registries for tests and benchmarks: `berth registry serve` (the CLI binary, as a user runs it) and Debian's
 * `docker-registry` (distribution 2.8), each on a random loopback port with a temporary root. `stop()` ends only
 * the process it started (by pid) and removes the root.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { REPO } from './harness.js';

export interface RunningRegistry {
  /** `127.0.0.1:<port>` */
  host: string;
  port: number;
  root: string;
  pid: number;
  stop(): Promise<void>;
}

export const DOCKER_REGISTRY = '/usr/bin/docker-registry';
export const SKOPEO = '/usr/bin/skopeo';

export function dockerRegistryAvailable(): boolean {
  return existsSync(DOCKER_REGISTRY);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

function stopper(child: ChildProcess, cleanup: () => void): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    cleanup();
  };
}

/**
 * Starts `berth registry serve --addr 127.0.0.1:0` with extra flags; resolves once it reports its address.
 * `root` defaults to a fresh temporary directory, removed on stop (a given root is left alone).
 */
export async function startBerthRegistry(extraArgs: string[] = [], opts: { root?: string; quiet?: boolean; ip?: string } = {}): Promise<RunningRegistry> {
  const ip = opts.ip ?? '127.0.0.1';
  const ownRoot = opts.root === undefined;
  const root = opts.root ?? mkdtempSync('/tmp/bt-registry-');
  const child = spawn(process.execPath, [join(REPO, 'bin/berth'), 'registry', 'serve', '--addr', `${ip}:0`, '--root', root, ...(opts.quiet === false ? [] : ['-q']), ...extraArgs], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`berth registry did not start: ${stderr}`)), 15_000);
    child.stderr!.on('data', (b: Buffer) => {
      stderr += b.toString();
      const m = new RegExp(`listening on ${ip.replace(/\./g, '\\.')}:(\\d+)`).exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`berth registry exited (${code}): ${stderr}`));
    });
  }).catch((e: unknown) => {
    child.kill('SIGKILL');
    if (ownRoot) rmSync(root, { recursive: true, force: true });
    throw e;
  });
  return { host: `${ip}:${port}`, port, root, pid: child.pid!, stop: stopper(child, () => ownRoot && rmSync(root, { recursive: true, force: true })) };
}

/** Starts distribution's `docker-registry serve` with a filesystem root and deletion enabled. */
export async function startDockerRegistry(): Promise<RunningRegistry> {
  const root = mkdtempSync('/tmp/bt-docker-registry-');
  const port = await freePort();
  const config = join(root, 'config.yml');
  writeFileSync(
    config,
    ['version: 0.1', 'log:', '  level: error', '  accesslog:', '    disabled: true', 'storage:', '  filesystem:', `    rootdirectory: ${join(root, 'data')}`, '  delete:', '    enabled: true', 'http:', `  addr: 127.0.0.1:${port}`, ''].join('\n'),
  );
  const child = spawn(DOCKER_REGISTRY, ['serve', config], { stdio: ['ignore', 'ignore', 'ignore'] });
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/v2/`);
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
      throw new Error('docker-registry did not start');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { host: `127.0.0.1:${port}`, port, root, pid: child.pid!, stop: stopper(child, () => rmSync(root, { recursive: true, force: true })) };
}

/** Runs skopeo; throws with its stderr on failure. */
export function skopeo(args: string[], timeoutMs = 120_000): string {
  const r = spawnSync(SKOPEO, args, { encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`skopeo ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** A berth registry for one describe block (started before it, stopped by pid and its root removed after). */
export function useBerthRegistry(args: () => string[] = () => []): () => RunningRegistry {
  let reg: RunningRegistry | undefined;
  before(async () => {
    reg = await startBerthRegistry(args());
  });
  after(async () => {
    await reg?.stop();
  });
  return () => reg!;
}
