import { spawn } from 'node:child_process';

import { InternalError } from '../../core/errdefs.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Kills the command when it runs longer (runc waits on the kernel: a stuck freeze or D-state must not hang us). */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
}

/** Output beyond this is dropped: runc says what went wrong in a few lines; `runc state` is small. */
const MAX_OUTPUT = 1024 * 1024;

/** Runs a command (argument array, no shell) to completion and collects its output. */
export function runCommand(cmd: string, args: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    opts.signal?.throwIfAborted();
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: opts.env ?? { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
      signal: opts.signal,
      timeout: opts.timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < MAX_OUTPUT) stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < MAX_OUTPUT) stderr += d;
    });
    child.on('error', (err) => {
      reject(err.name === 'AbortError' ? err : new InternalError(`Failed to run ${cmd}: ${err.message}`, { cause: err }));
    });
    child.on('close', (code, sig) => {
      if (sig !== null) {
        if (opts.signal?.aborted) return reject(opts.signal.reason);
        reject(new InternalError(`${cmd} ${args.join(' ')} did not finish within ${opts.timeoutMs} ms (killed by ${sig})`));
      } else {
        resolve({ code: code ?? -1, stdout, stderr });
      }
    });
  });
}
