import type { Readable } from 'node:stream';

import type { ContainerRecord } from '../../core/containers.js';
import { ConflictError, InvalidArgumentError, isBerthError, NotFoundError } from '../../core/errdefs.js';
import type { EventPublisher } from '../../core/events.js';
import type { ExecProcess, OciSpec, Task } from '../../core/runtime.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../pkg/detach-keys.js';
import { newId } from '../../pkg/ids.js';
import type { Logger } from '../images/image-store-deps.js';
import { delay } from '../../pkg/delay.js';
import { startFailureCode } from './start-failure.js';
import { runStdioSession, type AttachSink } from './stdio-session.js';

/** What an exec needs from the container service. */
export interface ExecHost {
  /** The running container and its task; 409 in Docker's words when it is not running, paused or restarting. */
  execTarget(idOrName: string): { container: ContainerRecord; task: Task };
  /** The OCI process for a command in this container: the container's user, env and capabilities, adjusted. */
  execProcess(container: ContainerRecord, opts: ExecProcessOptions): Promise<OciSpec['process']>;
  /** Docker's event attributes of a container (name, image, labels). */
  eventAttributes(container: ContainerRecord): Record<string, string>;
  /** The default detach keys of the daemon. */
  readonly detachKeys: string;
}

export interface ExecProcessOptions {
  cmd: string[];
  env: string[];
  user: string;
  workingDir: string;
  privileged: boolean;
  tty: boolean;
  consoleSize?: [number, number] | null;
}

export interface ExecConfig {
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  Tty: boolean;
  Privileged: boolean;
  User: string;
  WorkingDir: string;
  Env: string[];
  Cmd: string[];
  DetachKeys: string;
  ConsoleSize: [number, number] | null;
}

interface ExecEntry {
  id: string;
  containerId: string;
  config: ExecConfig;
  detachKeys: Buffer;
  state: 'created' | 'running' | 'exited';
  pid: number;
  exitCode: number | null;
  process: ExecProcess | undefined;
  exited: Promise<void>;
  markExited: () => void;
}

/** How long an attached exec's stream waits for the exit code after the output ended. */
const EXIT_WAIT_MS = 10_000;

/**
 * `docker exec`: exec instances live in memory, as in Docker (they are gone after a daemon restart, while the
 * processes they started keep running). Create checks the container and the request; start runs the process
 * through the container's task and, unless detached, streams its stdio over the hijacked connection.
 */
export class ExecService {
  readonly #host: ExecHost;
  readonly #events: EventPublisher;
  readonly #log: Logger;
  readonly #execs = new Map<string, ExecEntry>();

  constructor(deps: { host: ExecHost; events: EventPublisher; log: Logger }) {
    this.#host = deps.host;
    this.#events = deps.events;
    this.#log = deps.log;
  }

  create(idOrName: string, raw: unknown): { Id: string } {
    const config = parseExecConfig(raw, this.#host.detachKeys);
    const detachKeys = parseDetachKeys(config.DetachKeys);
    const { container } = this.#host.execTarget(idOrName);
    const id = newId();
    let markExited = (): void => undefined;
    const exited = new Promise<void>((resolve) => (markExited = resolve));
    this.#execs.set(id, { id, containerId: container.id, config, detachKeys, state: 'created', pid: 0, exitCode: null, process: undefined, exited, markExited });
    this.#publish(container, `exec_create: ${config.Cmd.join(' ')}`, id);
    return { Id: id };
  }

  /** The container an exec belongs to (the API checks the TTY setting to pick the stream format). */
  get(execId: string): ExecConfig {
    return this.#entry(execId).config;
  }

  /** Docker's 409s for a start that cannot happen, checked before the connection is hijacked. */
  assertStartable(execId: string): void {
    const e = this.#entry(execId);
    if (e.state === 'running') throw new ConflictError(`Error: Exec command ${execId} is already running`);
    if (e.state === 'exited') throw new ConflictError(`Error: Exec command ${execId} has already run`);
    this.#host.execTarget(e.containerId);
  }

  /**
   * Starts the exec. Detached: returns once the process runs. Attached: streams until the process exits (or
   * the client detaches), then returns; the exit code is recorded before the sink ends.
   */
  async start(
    execId: string,
    opts: { detach: boolean; consoleSize?: [number, number] | null; stdin?: Readable; sink?: AttachSink; signal: AbortSignal },
  ): Promise<void> {
    const e = this.#entry(execId);
    if (e.state === 'running') throw new ConflictError(`Error: Exec command ${execId} is already running`);
    if (e.state === 'exited') throw new ConflictError(`Error: Exec command ${execId} has already run`);
    const { container, task } = this.#host.execTarget(e.containerId);
    e.state = 'running';
    const cfg = e.config;
    let proc: ExecProcess;
    try {
      const processSpec = await this.#host.execProcess(container, {
        cmd: cfg.Cmd,
        env: cfg.Env,
        user: cfg.User,
        workingDir: cfg.WorkingDir,
        privileged: cfg.Privileged,
        tty: cfg.Tty,
        consoleSize: opts.consoleSize ?? cfg.ConsoleSize,
      });
      proc = await task.exec({ execId, process: processSpec, tty: cfg.Tty, openStdin: cfg.AttachStdin, attach: !opts.detach, signal: opts.signal });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      e.state = 'exited';
      e.exitCode = startFailureCode(message, 126);
      e.markExited();
      if (opts.detach || !opts.sink || !isBerthError(err)) throw err;
      // The connection is already hijacked: Docker writes the error into the stream and the client reads the
      // exit code (126/127) from inspect.
      opts.sink.write('stdout', Buffer.from(`${message}\r\n`));
      opts.sink.end();
      return;
    }
    e.process = proc;
    e.pid = proc.pid;
    this.#publish(container, `exec_start: ${cfg.Cmd.join(' ')}`, execId);
    const size = opts.consoleSize ?? cfg.ConsoleSize;
    if (cfg.Tty && size && size[0] > 0 && size[1] > 0) await proc.resize({ height: size[0], width: size[1] }).catch(() => undefined);
    void proc.wait().then(
      async (exit) => {
        e.state = 'exited';
        e.exitCode = exit.exitCode;
        e.markExited();
        this.#publish(container, 'exec_die', execId, { exitCode: String(exit.exitCode) });
        await proc.delete().catch((err: unknown) => this.#log.warn('exec cleanup failed', { id: execId, error: String(err) }));
      },
      (err: unknown) => {
        e.state = 'exited';
        e.exitCode = 126;
        e.markExited();
        this.#log.error('waiting for an exec failed', { id: execId, error: String(err) });
      },
    );
    if (opts.detach || !opts.sink || !proc.io) return;
    const { detached } = await runStdioSession(
      proc.io,
      {
        stdout: cfg.AttachStdout,
        stderr: cfg.AttachStderr,
        stdin: cfg.AttachStdin ? opts.stdin : undefined,
        detachKeys: e.detachKeys,
        signal: opts.signal,
      },
      opts.sink,
    );
    if (!detached) await Promise.race([e.exited, delay(EXIT_WAIT_MS)]);
    opts.sink.end();
  }

  inspect(execId: string): Record<string, unknown> {
    const e = this.#entry(execId);
    const cfg = e.config;
    return {
      ID: e.id,
      Running: e.state === 'running',
      ExitCode: e.exitCode,
      ProcessConfig: {
        tty: cfg.Tty,
        entrypoint: cfg.Cmd[0],
        arguments: cfg.Cmd.slice(1),
        privileged: cfg.Privileged,
        ...(cfg.User ? { user: cfg.User } : {}),
      },
      OpenStdin: cfg.AttachStdin,
      OpenStderr: cfg.AttachStderr,
      OpenStdout: cfg.AttachStdout,
      CanRemove: false,
      ContainerID: e.containerId,
      DetachKeys: cfg.DetachKeys === this.#host.detachKeys ? '' : cfg.DetachKeys,
      Pid: e.pid,
    };
  }

  async resize(execId: string, size: { height: number; width: number }): Promise<void> {
    const e = this.#entry(execId);
    if (!e.process || e.state !== 'running') throw new ConflictError(`Exec ${execId} is not running, so it can not be resized.`);
    await e.process.resize(size);
  }

  /** Forgets a removed container's execs. */
  forgetContainer(containerId: string): void {
    for (const [id, e] of this.#execs) if (e.containerId === containerId) this.#execs.delete(id);
  }

  #entry(execId: string): ExecEntry {
    const e = this.#execs.get(execId);
    if (!e) throw new NotFoundError(`No such exec instance: ${execId}`);
    return e;
  }

  #publish(container: ContainerRecord, action: string, execId: string, extra: Record<string, string> = {}): void {
    this.#events.publish({
      Type: 'container',
      Action: action,
      Actor: { ID: container.id, Attributes: { ...this.#host.eventAttributes(container), execID: execId, ...extra } },
    });
  }
}

/** Validates an untrusted exec create body into Docker's ExecConfig. */
export function parseExecConfig(raw: unknown, defaultDetachKeys: string = DEFAULT_DETACH_KEYS): ExecConfig {
  if (raw === undefined || raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidArgumentError('invalid exec config: not a JSON object');
  }
  const b = raw as Record<string, unknown>;
  const bool = (k: string): boolean => {
    const v = b[k];
    if (v !== undefined && v !== null && typeof v !== 'boolean') throw new InvalidArgumentError(`invalid ${k}: must be a boolean`);
    return v === true;
  };
  const str = (k: string): string => {
    const v = b[k];
    if (v !== undefined && v !== null && typeof v !== 'string') throw new InvalidArgumentError(`invalid ${k}: must be a string`);
    return typeof v === 'string' ? v : '';
  };
  const list = (k: string): string[] => {
    const v = b[k];
    if (v === undefined || v === null) return [];
    if (typeof v === 'string') return [v];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new InvalidArgumentError(`invalid ${k}: must be a list of strings`);
    return v as string[];
  };
  const cmd = list('Cmd');
  if (cmd.length === 0) throw new InvalidArgumentError('No exec command specified');
  const env = list('Env');
  for (const e of env) {
    if (e === '' || e.startsWith('=')) throw new InvalidArgumentError(`invalid environment variable: ${e}`);
  }
  const workingDir = str('WorkingDir');
  if (workingDir && !workingDir.startsWith('/')) throw new InvalidArgumentError(`the working directory '${workingDir}' is invalid, it needs to be an absolute path`);
  let consoleSize: [number, number] | null = null;
  if (b['ConsoleSize'] !== undefined && b['ConsoleSize'] !== null) {
    const cs = b['ConsoleSize'];
    if (!Array.isArray(cs) || cs.length !== 2 || !cs.every((n) => Number.isInteger(n) && (n as number) >= 0)) {
      throw new InvalidArgumentError('invalid ConsoleSize: must be [height, width]');
    }
    consoleSize = [cs[0] as number, cs[1] as number];
  }
  return {
    AttachStdin: bool('AttachStdin'),
    AttachStdout: bool('AttachStdout'),
    AttachStderr: bool('AttachStderr'),
    Tty: bool('Tty'),
    Privileged: bool('Privileged'),
    User: str('User'),
    WorkingDir: workingDir,
    Env: env,
    Cmd: cmd,
    DetachKeys: str('DetachKeys') || defaultDetachKeys,
    ConsoleSize: consoleSize,
  };
}
