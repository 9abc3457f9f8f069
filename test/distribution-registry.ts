/**
 * A private Debian `docker-registry` (distribution 2.8) on 127.0.0.1 and a random port, for registry tests and
 * benchmarks: its own temp storage and config, optional htpasswd auth. `stop()` kills only the PID it started
 * and removes its directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DistributionRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  port: number;
  /** Its directory: config, htpasswd, and the storage under `data/`. */
  root: string;
  pid: number;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function ping(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/v2/', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
  });
}

export async function startDistributionRegistry(opts: { htpasswd?: { user: string; password: string } } = {}): Promise<DistributionRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-registry-'));
  const port = await freePort();
  let auth = '';
  if (opts.htpasswd) {
    const { default: bcrypt } = await import('bcryptjs');
    writeFileSync(join(dir, 'htpasswd'), `${opts.htpasswd.user}:${bcrypt.hashSync(opts.htpasswd.password, 5)}\n`);
    auth = `auth:\n  htpasswd:\n    realm: basic-realm\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  writeFileSync(
    join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`,
  );
  // Its log goes to a file, not a pipe: a caller blocked in spawnSync (skopeo, the docker CLI) does not drain a
  // pipe, and a registry whose stderr fills up stops answering mid-push.
  const logPath = join(dir, 'registry.log');
  const log = openSync(logPath, 'w');
  const child: ChildProcess = spawn('/usr/bin/docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', log] });
  closeSync(log);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    const status = await ping(port);
    if (status === 200 || status === 401) return { host: `127.0.0.1:${port}`, port, root: dir, pid: child.pid ?? 0, stop };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const why = readFileSync(logPath, 'utf8');
  await stop();
  throw new Error(`docker-registry did not start: ${why}`);
}
