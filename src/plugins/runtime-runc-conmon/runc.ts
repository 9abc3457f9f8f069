import { FailedPreconditionError, InternalError, InvalidArgumentError, NotFoundError, type BerthError } from '../../core/errdefs.js';
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

  /** Freezes the container's cgroup (freezer.state on v1, cgroup.freeze on v2). */
  async pause(id: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#run(['pause', id], 'pause', opts);
  }

  async resume(id: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#run(['resume', id], 'resume', opts);
  }

  /**
   * `runc update --resources -`: the OCI `linux.resources` object on stdin. runc ignores every other flag when
   * it reads a file, so this is the one form that takes all of the spec's fields.
   */
  async update(id: string, resources: Record<string, unknown>, opts: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#run(['update', '--resources', '-', id], 'update', { ...opts, input: JSON.stringify(resources) });
  }

  /** Host pids of every process in the container's cgroup. */
  async ps(id: string, opts: { signal?: AbortSignal } = {}): Promise<number[]> {
    const out = await this.#run(['ps', '--format', 'json', id], 'ps', opts);
    // An empty cgroup is printed as `null`.
    const parsed = JSON.parse(out) as unknown;
    if (parsed === null) return [];
    if (!Array.isArray(parsed) || !parsed.every((p): p is number => Number.isInteger(p))) {
      throw new InternalError(`runc ps ${id}: unexpected output ${out.trim().slice(0, 200)}`);
    }
    return parsed;
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

  async #run(args: string[], what: string, opts: { signal?: AbortSignal; input?: string }): Promise<string> {
    // Bounded: runc waits on the kernel, and a stuck freeze or D-state must not hang us.
    const res = await exec(this.path, [...this.globalArgs(), ...args], {
      signal: opts.signal,
      timeoutMs: TIMEOUT_MS,
      ...(opts.input !== undefined ? { input: opts.input } : {}),
    });
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
  // Values runc or the kernel refuse in `update` (a string for a number, a limit below the current usage).
  if (what === 'update' && /cannot unmarshal|invalid argument|device or resource busy/.test(message)) return new InvalidArgumentError(text);
  return new InternalError(text);
}
