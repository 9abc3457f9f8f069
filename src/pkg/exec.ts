import { spawn } from 'node:child_process';

import { InternalError } from '../core/errdefs.js';

/**
 * Running a helper program for what Node cannot do itself (mount, mknod, setxattr, syncfs, runc): an argument
 * array, never a shell; output collected; the run bounded by an AbortSignal and an optional timeout.
 */
export interface ExecOptions {
  /** Aborting kills the command (with `killSignal`) and rejects with an AbortError. */
  signal?: AbortSignal;
  /**
   * Kills the command (with `killSignal`) when it runs longer, and rejects. No limit when omitted: use one for
   * anything that waits on the kernel or another process (a stuck freeze, a hung NFS source).
   */
  timeoutMs?: number;
  /** The signal a timeout or an abort sends. Default SIGKILL. */
  killSignal?: NodeJS.Signals;
  /** Written to the command's stdin, which is then closed. Without it stdin is /dev/null. */
  input?: string | Uint8Array;
  cwd?: string;
  /** Default: `DEFAULT_EXEC_ENV`, so messages callers match on are not translated. */
  env?: NodeJS.ProcessEnv;
  /** `ignore` sends stdout to /dev/null (the result's `stdout` is then ''). Default `collect`. */
  stdout?: 'collect' | 'ignore';
  /** Characters kept of each of stdout and stderr; the rest is read and dropped. Default 1 MiB. */
  maxOutput?: number;
}

export interface ExecResult {
  /** The exit status. A command killed by a signal rejects instead. */
  code: number;
  stdout: string;
  stderr: string;
}

export const DEFAULT_EXEC_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
/** A fixed PATH, and the C locale so that messages such as "not mounted" read the same on every host. */
export const DEFAULT_EXEC_ENV: Readonly<NodeJS.ProcessEnv> = { PATH: DEFAULT_EXEC_PATH, LC_ALL: 'C' };

/** Enough for what helpers say when they fail, and for `runc state`. */
const DEFAULT_MAX_OUTPUT = 1024 * 1024;

/**
 * Runs `cmd` with `args` to completion and resolves with its exit status and output, whatever the status. It
 * rejects when the command cannot be started (InternalError), is aborted (AbortError), times out or dies of a
 * signal (InternalError).
 */
export function exec(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    opts.signal?.throwIfAborted();
    const killSignal = opts.killSignal ?? 'SIGKILL';
    const child = spawn(cmd, args, {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', opts.stdout === 'ignore' ? 'ignore' : 'pipe', 'pipe'],
      env: opts.env ?? DEFAULT_EXEC_ENV,
      killSignal,
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    let timedOut = false;
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill(killSignal);
          }, opts.timeoutMs);
    const max = opts.maxOutput ?? DEFAULT_MAX_OUTPUT;
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < max) stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < max) stderr += d;
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err.name === 'AbortError' ? err : new InternalError(`Failed to run ${cmd}: ${err.message}`, { cause: err }));
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      if (sig === null) return resolve({ code: code ?? -1, stdout, stderr });
      // An abort has already rejected through 'error'; this only settles a promise that is settled.
      if (opts.signal?.aborted) return reject(opts.signal.reason);
      const what = [cmd, ...args].join(' ');
      reject(new InternalError(timedOut ? `${what} did not finish within ${opts.timeoutMs} ms (killed by ${sig})` : `${what} was killed by ${sig}`));
    });
    if (opts.input !== undefined && child.stdin) {
      // EPIPE when the command exits without reading everything is reported through its exit status instead.
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input);
    }
  });
}

/** Like `exec`, but fails with the command's stderr unless it exits 0. */
export async function execOrThrow(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const res = await exec(cmd, args, opts);
  if (res.code !== 0) throw new InternalError(`${[cmd, ...args].join(' ')} failed (exit ${res.code}): ${res.stderr.trim()}`);
  return res;
}
