/**
 * A real Docker Engine for interoperability tests and benchmarks, started privately: its own data root, exec
 * root, socket and pidfile under a temporary directory, no bridge and no iptables changes. It never touches a
 * system dockerd's state, and `stop()` kills only the pid it started and removes what it made.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DOCKER } from './harness.js';

export interface PrivateDockerd {
  env: NodeJS.ProcessEnv;
  socket: string;
  pid: number;
  docker(args: string[], opts?: { input?: Buffer | string }): { code: number; stdout: string; stderr: string };
  stop(): Promise<void>;
}

export function dockerdAvailable(): boolean {
  return spawnSync('which', ['dockerd']).status === 0;
}

export async function startPrivateDockerd(): Promise<PrivateDockerd> {
  const root = mkdtempSync('/tmp/bd-');
  const socket = join(root, 'docker.sock');
  const child = spawn(
    'dockerd',
    [
      '--data-root', join(root, 'data'), '--exec-root', join(root, 'x'), '--pidfile', join(root, 'pid'), '-H', `unix://${socket}`,
      '--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-masq=false', '--storage-driver=overlay2',
    ],
    { stdio: 'ignore' },
  );
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(root, 'cfg') };
  delete env['DOCKER_CONTEXT'];
  const docker = (args: string[], opts: { input?: Buffer | string } = {}): { code: number; stdout: string; stderr: string } => {
    const r = spawnSync(DOCKER, args, { env, input: opts.input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 120_000 });
    return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const stop = async (): Promise<void> => {
    const ids = docker(['ps', '-aq']).stdout.split('\n').filter(Boolean);
    if (ids.length > 0) docker(['rm', '-f', ...ids]);
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const mounts = readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((m) => m.startsWith(`${root}/`))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) spawnSync('umount', ['-l', m]);
    rmSync(root, { recursive: true, force: true });
  };
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) break;
    if (docker(['version']).code === 0) return { env, socket, pid: child.pid ?? 0, docker, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error('the private dockerd did not start');
}
