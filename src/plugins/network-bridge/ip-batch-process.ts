import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { InternalError } from '../../core/errdefs.js';
import { DEFAULT_EXEC_ENV } from '../../pkg/exec.js';

/** What `ip link show dev lo` prints first: the mark that everything written before it has run. */
const MARK = /^1: lo: /;
const SYNC_LINE = 'link show dev lo';
const MAX_STDERR = 16 * 1024;

/**
 * A started `ip -batch -` (maybe behind `unshare --net`) that waits for its commands on stdin, so that the
 * fork and exec are paid ahead of time, off a container start's critical path. iproute2 runs each line as it
 * arrives and stops at the first failing one (no `-force`), so:
 * - `run(lines)` writes the lines and a `link show dev lo`, and resolves when that one's output appears (every
 *   line before it succeeded: ip flushes stdout after each command); it rejects with ip's stderr if ip exits.
 * - `finish(lines)` writes the last lines, closes stdin and resolves when ip exits with 0.
 * The lines must print nothing on stdout themselves (the mark is what `link show dev lo` prints).
 * The process runs in its own namespace (unshare) or in the daemon's; it ends when stdin closes, and so also
 * when the daemon dies (the pipe's other end goes): nothing of it outlives berthd.
 */
export class IpBatchProcess {
  readonly #child: ChildProcess;
  #stdout = '';
  #stderr = '';
  #marks = 0;
  #waiters: { mark: number; resolve: () => void; reject: (err: Error) => void }[] = [];
  #exit: Promise<number | null>;
  #exitCode: number | null | undefined;
  #sent = 0;
  #ended = false;
  readonly #label: string;

  /** `label` names the helper in errors ("the ip helper exited with 1"). */
  constructor(cmd: string, args: string[], label = 'the ip helper') {
    this.#label = label;
    this.#child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: DEFAULT_EXEC_ENV });
    this.#exit = new Promise((resolve) => {
      this.#child.once('error', (err) => {
        this.#stderr += `${String(err)}\n`;
        this.#settle(null);
        resolve(null);
      });
      this.#child.once('exit', (code) => {
        this.#settle(code);
        resolve(code);
      });
    });
    this.#child.stdin!.on('error', () => undefined); // EPIPE when ip has already gone: the exit says why.
    this.#child.stdout!.setEncoding('utf8').on('data', (d: string) => this.#onStdout(d));
    this.#child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      if (this.#stderr.length < MAX_STDERR) this.#stderr += d;
    });
    // An idle helper must not keep the daemon's event loop alive (one that is awaited does).
    this.#hold(false);
  }

  get pid(): number {
    return this.#child.pid ?? 0;
  }

  /** Whether the process is still there to take commands. */
  get alive(): boolean {
    return this.#exitCode === undefined && !this.#ended;
  }

  /** Runs `lines` and waits until they have all succeeded; rejects (with ip's words) if one failed. */
  run(lines: string[], timeoutMs = 30_000): Promise<void> {
    if (!this.alive) return Promise.reject(this.#failure());
    this.#sent += 1;
    const mark = this.#sent;
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ mark, resolve, reject }));
    this.#child.stdin!.write(`${[...lines, SYNC_LINE].join('\n')}\n`);
    return this.#awaited(withTimeout(done, timeoutMs, this.#label, () => this.kill()));
  }

  /** Runs the last `lines`, closes stdin and waits for a clean exit. */
  async finish(lines: string[], timeoutMs = 30_000): Promise<void> {
    if (!this.alive) throw this.#failure();
    this.#ended = true;
    this.#child.stdin!.end(lines.length > 0 ? `${lines.join('\n')}\n` : '');
    const code = await this.#awaited(withTimeout(this.#exit, timeoutMs, this.#label, () => this.kill()));
    if (code !== 0) throw this.#failure();
  }

  /** Closes stdin: ip exits, and a namespace only it held goes with it. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#child.stdin!.end();
  }

  kill(): void {
    this.#ended = true;
    if (this.#exitCode === undefined) this.#child.kill('SIGKILL');
  }

  /** Resolves when the process has exited. */
  exited(): Promise<number | null> {
    return this.#awaited(this.#exit);
  }

  #pending = 0;

  async #awaited<T>(p: Promise<T>): Promise<T> {
    if (this.#pending++ === 0) this.#hold(true);
    try {
      return await p;
    } finally {
      if (--this.#pending === 0) this.#hold(false);
    }
  }

  #hold(on: boolean): void {
    if (on) this.#child.ref();
    else this.#child.unref();
    for (const s of [this.#child.stdin, this.#child.stdout, this.#child.stderr] as (Socket | null)[]) {
      if (on) s?.ref?.();
      else s?.unref?.();
    }
  }

  #onStdout(d: string): void {
    this.#stdout += d;
    let nl: number;
    while ((nl = this.#stdout.indexOf('\n')) >= 0) {
      const line = this.#stdout.slice(0, nl);
      this.#stdout = this.#stdout.slice(nl + 1);
      if (MARK.test(line)) {
        this.#marks += 1;
        while (this.#waiters.length > 0 && this.#waiters[0]!.mark <= this.#marks) this.#waiters.shift()!.resolve();
      }
    }
  }

  #settle(code: number | null): void {
    if (this.#exitCode !== undefined) return;
    this.#exitCode = code;
    const err = this.#failure();
    for (const w of this.#waiters.splice(0)) w.reject(err);
  }

  #failure(): InternalError {
    const why = this.#stderr.trim() || (this.#exitCode === undefined ? `${this.#label} was closed` : `${this.#label} exited with ${String(this.#exitCode)}`);
    return new InternalError(why);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, label: string, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new InternalError(`${label} did not answer within ${ms} ms`));
    }, ms);
    timer.unref();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
