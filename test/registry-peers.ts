/**
 * Registries for tests and benchmarks: `berth registry serve` (the CLI binary, as a user runs it) and Debian's
 * `docker-registry` (distribution 2.8), each on a random loopback port with a temporary root. `stop()` ends only
 * the process it started (by pid) and removes the root.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { startDistributionRegistry } from './distribution-registry.js';
import { REPO, type CommandResult } from './harness.js';

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
export function startDockerRegistry(): Promise<RunningRegistry> {
  return startDistributionRegistry();
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

/**
 * The push scenario both registries must pass: busybox pushed as `<host>/app/busybox:1`, then again (every
 * layer already there, nothing pushed), then tagged `<host>/other/busybox:2`. Returns that last push's output
 * (a cross-repository mount, which each caller checks in its registry's words).
 */
export function pushOnlyWhatIsMissing(docker: (args: string[]) => CommandResult, host: string): string {
  const ok = (args: string[]): string => {
    const r = docker(args);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const ref = `${host}/app/busybox:1`;
  ok(['tag', 'busybox', ref]);
  const first = ok(['push', ref]);
  assert.match(first, /The push refers to repository \[127\.0\.0\.1:\d+\/app\/busybox\]/);
  assert.match(first, /: Pushed/);
  assert.match(first, /1: digest: sha256:[a-f0-9]{64} size: \d+/);
  const again = ok(['push', ref]);
  assert.match(again, /: Layer already exists/);
  assert.doesNotMatch(again, /Pushed/);
  const other = `${host}/other/busybox:2`;
  ok(['tag', 'busybox', other]);
  return ok(['push', other]);
}
