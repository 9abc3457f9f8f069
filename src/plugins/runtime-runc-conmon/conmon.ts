import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';

import { FailedPreconditionError, InternalError, InvalidArgumentError, type BerthError } from '../../core/errdefs.js';
import { runcMessage } from './runc.js';

export interface ConmonLaunch {
  conmonPath: string;
  runcPath: string;
  /** Global runc arguments (`--root`, log format) for conmon's `runc create`. */
  runcArgs: string[];
  id: string;
  name: string;
  bundle: string;
  pidFile: string;
  conmonPidFile: string;
  exitDir: string;
  logPath: string;
  tty: boolean;
  openStdin: boolean;
  stdinOnce: boolean;
  /** conmon's own cap on the log file in bytes; 0 or undefined: none. */
  logSizeMax?: number;
  logLevel?: string;
  syslog?: boolean;
  signal?: AbortSignal;
  timeoutMs: number;
}

/**
 * Launches conmon for one container and waits until `runc create` has run: resolves with the container's
 * pid (the process exists, stopped before the user's program) or throws runc's error.
 *
 * Handshake (conmon's "api version 1"): fd 3 is the sync pipe, fd 4 the start pipe. conmon blocks reading the
 * start pipe (a parent could move it into a cgroup meanwhile), then double-forks and setsids, so it is nobody's
 * child here and outlives the daemon, runs `runc create` and writes one JSON line to the sync pipe:
 * `{"data": <pid>}`, or `{"data": -1, "message": "<runc's stderr>"}`.
 */
export async function launchConmon(l: ConmonLaunch): Promise<number> {
  l.signal?.throwIfAborted();
  const args = [
    '--api-version', '1',
    '-c', l.id,
    '-u', l.id,
    '-n', l.name || l.id,
    '-r', l.runcPath,
    ...l.runcArgs.flatMap((a) => ['--runtime-arg', a]),
    '-b', l.bundle,
    '-p', l.pidFile,
    '--conmon-pidfile', l.conmonPidFile,
    '--exit-dir', l.exitDir,
    '--persist-dir', l.bundle,
    '-l', `k8s-file:${l.logPath}`,
    // With --full-attach the socket is <bundle>/attach, not a symlinked directory under --socket-dir-path.
    '--socket-dir-path', l.bundle,
    '--full-attach',
  ];
  if (l.tty) args.push('-t');
  if (l.openStdin) args.push('-i');
  if (!l.stdinOnce) args.push('--leave-stdin-open');
  if (l.logSizeMax !== undefined && l.logSizeMax > 0) {
    if (!Number.isSafeInteger(l.logSizeMax)) throw new InvalidArgumentError(`Invalid log size limit: ${l.logSizeMax}`);
    args.push('--log-size-max', String(l.logSizeMax));
  }
  if (l.syslog) args.push('--syslog');
  if (l.logLevel) args.push('--log-level', l.logLevel);

  const child = spawn(l.conmonPath, args, {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    detached: true,
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4' },
  });
  const [, stdout, stderr, sync, start] = child.stdio as [null, Readable, Readable, Readable, Writable];
  let output = '';
  const collect = (d: Buffer): void => {
    if (output.length < 16 * 1024) output += d.toString('utf8');
  };
  stdout.on('data', collect);
  stderr.on('data', collect);

  const release = (): void => {
    // conmon keeps its end of the sync pipe for life; ours must not keep this process alive or leak.
    for (const s of [stdout, stderr, sync, start]) s.destroy();
    child.unref();
  };

  try {
    return await new Promise<number>((resolve, reject) => {
      let buf = '';
      let settled = false;
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      // An abort does not cut the handshake short: killing conmon while `runc create` runs would leave a
      // half-made container (cgroups and all) that runc no longer knows. We let it finish, report the abort, and
      // the caller deletes what was made the ordinary way. The create timeout still bounds the wait.
      const aborted = (): boolean => l.signal?.aborted === true;
      const timer = setTimeout(
        () => settle(() => reject(new InternalError(`conmon did not report the container's creation within ${l.timeoutMs} ms${detail(output)}`))),
        l.timeoutMs,
      );
      child.on('error', (err) => settle(() => reject(new InternalError(`Failed to run conmon (${l.conmonPath}): ${err.message}`, { cause: err }))));
      sync.setEncoding('utf8');
      sync.on('data', (d: string) => {
        buf += d;
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        let msg: { data?: unknown; message?: unknown };
        try {
          msg = JSON.parse(buf.slice(0, nl)) as typeof msg;
        } catch {
          return settle(() => reject(new InternalError(`conmon sent an unreadable sync message: ${buf.slice(0, nl)}`)));
        }
        if (aborted()) return settle(() => reject(l.signal?.reason));
        if (typeof msg.data === 'number' && msg.data > 0) return settle(() => resolve(msg.data as number));
        const message = typeof msg.message === 'string' ? runcMessage(msg.message) : '';
        settle(() => reject(createError(message || `conmon reported ${String(msg.data)}${detail(output)}`)));
      });
      // conmon died before saying anything (bad arguments, cannot open the log...): its stderr says why.
      sync.on('end', () => settle(() => reject(aborted() ? l.signal?.reason : new InternalError(`conmon exited before the container was created${detail(output)}`))));
      sync.on('error', () => undefined);
      start.on('error', () => undefined);
      // Go: conmon proceeds once the start pipe is written.
      start.end('0');
    });
  } finally {
    release();
  }
}

function detail(output: string): string {
  const t = output.trim();
  return t ? `: ${t}` : '';
}

/**
 * Docker's words for a failed create, which the docker CLI reads: "executable file not found" and "no such file
 * or directory" make `docker run` exit 127, "permission denied" 126. Those are the user's mistake (400).
 */
export function createError(runcMsg: string): BerthError {
  return startError('create', runcMsg);
}

/**
 * The same for `runc exec` ("OCI runtime exec failed: ..."), from which dockerd sets an exec's exit code to 126 or
 * 127. A container that stopped in the meantime is the caller's race, not ours: 409.
 */
export function execError(runcMsg: string): BerthError {
  if (/stopped container|not running|paused/.test(runcMsg)) return new FailedPreconditionError(`OCI runtime exec failed: ${runcMsg}`);
  return startError('exec', runcMsg);
}

function startError(what: 'create' | 'exec', runcMsg: string): BerthError {
  const message = `OCI runtime ${what} failed: ${runcMsg}`;
  if (/executable file not found|no such file or directory|permission denied/i.test(runcMsg)) return new InvalidArgumentError(message);
  return new InternalError(message);
}

/**
 * The pid of the conmon watching `bundle`, or undefined when it is gone. Checked by command line, not just by
 * pid: after a crash or a reboot the pid in the file may belong to anything.
 */
export async function runningConmon(conmonPidFile: string, bundle: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(conmonPidFile, 'utf8'), 10);
    if (!(pid > 0)) return undefined;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.split('\0').includes(bundle) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Waits up to `graceMs` for the conmon watching `bundle` to exit by itself, then kills it. Only ever that conmon:
 * the pid is checked against the bundle each time (see runningConmon).
 */
export async function stopConmon(conmonPidFile: string, bundle: string, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const pid = await runningConmon(conmonPidFile, bundle);
    if (pid === undefined) return;
    if (Date.now() >= deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
