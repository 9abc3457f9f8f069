import { FailedPreconditionError, InternalError, NotFoundError, type BerthError } from '../../core/errdefs.js';
import { exec } from '../../pkg/exec.js';

export interface RuncState {
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  pid: number;
}

const TIMEOUT_MS = 30_000;

/**
 * The runc commands berth runs itself (conmon runs `runc create`). Always with our own `--root`, so a Docker or
 * Podman on the same host never sees our containers nor we theirs, and with JSON logs so that runc's own words
 * reach the user without logrus decoration.
 */
export class Runc {
  readonly path: string;
  readonly root: string;

  constructor(path: string, root: string) {
    this.path = path;
    this.root = root;
  }

  /** Global arguments, also handed to conmon for `runc create`. */
  globalArgs(): string[] {
    return ['--root', this.root, '--log-format', 'json'];
  }

  async start(id: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#run(['start', id], 'start', opts);
  }

  /**
   * runc finds the process through its state and checks the pid still belongs to the container (by start
   * time), so a recycled pid is never signalled.
   */
  async kill(id: string, signal: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#run(['kill', id, signal], 'kill', opts);
  }

  /** undefined when runc has no such container. */
  async state(id: string, opts: { signal?: AbortSignal } = {}): Promise<RuncState | undefined> {
    try {
      const out = await this.#run(['state', id], 'state', opts);
      const parsed = JSON.parse(out) as { status?: unknown; pid?: unknown };
      const status = typeof parsed.status === 'string' ? parsed.status : '';
      if (!['creating', 'created', 'running', 'paused', 'stopped'].includes(status)) {
        throw new InternalError(`runc state ${id}: unexpected status "${status}"`);
      }
      return { status: status as RuncState['status'], pid: typeof parsed.pid === 'number' ? parsed.pid : 0 };
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** `runc delete --force`: kills what is left and removes runc's state and the container's cgroup. Idempotent. */
  async delete(id: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      await this.#run(['delete', '--force', id], 'delete', opts);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }

  async #run(args: string[], what: string, opts: { signal?: AbortSignal }): Promise<string> {
    // Bounded: runc waits on the kernel, and a stuck freeze or D-state must not hang us.
    const res = await exec(this.path, [...this.globalArgs(), ...args], { signal: opts.signal, timeoutMs: TIMEOUT_MS });
    if (res.code === 0) return res.stdout;
    throw runcError(what, runcMessage(res.stderr) || `exit status ${res.code}`);
  }
}

/** The `msg` of runc's JSON log lines at level error (or the raw text when it is not JSON), joined. */
export function runcMessage(stderr: string): string {
  const msgs: string[] = [];
  const raw: string[] = [];
  for (const line of stderr.split('\n')) {
    const t = line.trim();
    if (!t) continue;
    try {
      const entry = JSON.parse(t) as { level?: unknown; msg?: unknown };
      if ((entry.level === 'error' || entry.level === 'fatal') && typeof entry.msg === 'string') msgs.push(entry.msg);
    } catch {
      raw.push(t);
    }
  }
  return (msgs.length > 0 ? msgs : raw).join(': ');
}

/** runc's error as a kind: Docker answers 404 for a missing container and 409 for one in the wrong state. */
function runcError(what: string, message: string): BerthError {
  const text = `OCI runtime ${what} failed: ${message}`;
  if (/container does not exist/.test(message)) return new NotFoundError(text);
  if (/not running|already running|has stopped|is not in created state|cannot start|paused/.test(message)) {
    return new FailedPreconditionError(text);
  }
  return new InternalError(text);
}
