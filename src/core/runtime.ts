import type { Mount } from './mount.js';

/**
 * Runtime: runs one container's process from an OCI bundle and outlives the daemon.
 *
 * Lifecycle of a task:
 *   1. `create(opts)` mounts `rootfs` onto `<bundle>/rootfs`, writes `config.json` and launches the monitor
 *      (conmon), which runs `runc create`: the process exists, stopped before the user's program.
 *   2. `task.attach()` connects to the monitor's stdio socket. Do it before `start` or early output is only
 *      in the log.
 *   3. `task.start()` lets the process run (`runc start`).
 *   4. `task.wait()` resolves with the exit once the monitor has recorded it. It also works for a task found
 *      again by `load` after a daemon restart, including one that exited while the daemon was down.
 *   5. `task.delete()` removes the runtime state and unmounts the rootfs. The log file is the caller's.
 *
 * The daemon keeps no process per container: the monitor owns stdio, the log and the exit code, so stopping
 * the daemon leaves containers running, and `load` finds them again.
 */
export interface TaskCreateOptions {
  /** Container id (64 hex). */
  id: string;
  /** The OCI runtime spec as JSON-able object; `root.path` is set by the runtime to the bundle's rootfs. */
  spec: OciSpec;
  /** How to assemble the root filesystem (from the snapshotter). */
  rootfs: Mount[];
  /** Where the monitor writes the container's output (k8s-file format, see pkg/container-log.ts). */
  logPath: string;
  /** Container name, for the monitor's logs only. */
  name: string;
  tty: boolean;
  openStdin: boolean;
  /** Docker's StdinOnce: the first attached client closing stdin closes the container's stdin. */
  stdinOnce: boolean;
  /**
   * The monitor's own cap on the log file, in bytes (0 = none). Rotation is the daemon's job (rename, then
   * `reopenLog`); this cap only bounds the disk while the daemon is down.
   */
  logSizeMax?: number;
  signal?: AbortSignal;
}

export interface Exit {
  exitCode: number;
  exitedAt: Date;
  oomKilled: boolean;
}

export type TaskStatus = 'created' | 'running' | 'paused' | 'stopped';

export interface OutputChunk {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

/** A connection to a task's stdio. Output ends (the iterator returns) when the process has exited. */
export interface TaskIO {
  output: AsyncIterable<OutputChunk>;
  write(data: Buffer): Promise<void>;
  closeStdin(): Promise<void>;
  close(): void;
}

export interface Task {
  readonly id: string;
  /** Host pid of the container's init process. */
  readonly pid: number;
  attach(opts?: { stdin?: boolean }): Promise<TaskIO>;
  start(): Promise<void>;
  kill(signal: NodeJS.Signals | number): Promise<void>;
  status(): Promise<TaskStatus>;
  wait(): Promise<Exit>;
  delete(): Promise<void>;
  /** Freezes every process of the container (cgroup freezer, v1 or v2). */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Sets the container's terminal size (a no-op for a container without a TTY). */
  resize(size: { height: number; width: number }): Promise<void>;
  /** Changes the container's cgroup limits while it runs (`runc update`). */
  update(resources: LinuxResources): Promise<void>;
  /** Host pids of every process in the container. */
  pids(): Promise<number[]>;
  /** Makes the monitor reopen the log file at its path (after the caller renamed it: rotation). */
  reopenLog(): Promise<void>;
  /**
   * Starts another process in the running container. Resolves once it runs; the process is attached from the
   * start (when `attach` is set), so no early output is lost.
   */
  exec(opts: ExecOptions): Promise<ExecProcess>;
}

/** The OCI `linux.resources` object (memory, cpu, pids, blockIO, devices...), passed through as is. */
export type LinuxResources = Record<string, unknown>;

export interface ExecOptions {
  /** Exec id (64 hex); also names the exec's state under the container's bundle. */
  execId: string;
  /** The process to run, in OCI form (args, env, cwd, user, capabilities, terminal...). */
  process: OciSpec['process'];
  tty: boolean;
  openStdin: boolean;
  /** Connect to the exec's stdio before it starts; `ExecProcess.io` is then set. */
  attach: boolean;
  signal?: AbortSignal;
}

export interface ExecProcess {
  readonly execId: string;
  /** Host pid of the exec'd process. */
  readonly pid: number;
  /** The exec's stdio, when created with `attach`. Output ends when the process has exited. */
  readonly io: TaskIO | undefined;
  resize(size: { height: number; width: number }): Promise<void>;
  kill(signal: NodeJS.Signals | number): Promise<void>;
  /** The exit code of the process once it ended. */
  wait(): Promise<Exit>;
  /** Removes the exec's runtime state (after it exited). */
  delete(): Promise<void>;
}

export interface Runtime {
  create(opts: TaskCreateOptions): Promise<Task>;
  /** Finds a task created by an earlier daemon; undefined when there is no runtime state for `id`. */
  load(id: string): Promise<Task | undefined>;
  /** Ids of every task with runtime state (for reconciling with the metadata on start). */
  list(): Promise<string[]>;
}

/** The subset of the OCI runtime spec berth writes. Extra fields pass through untouched. */
export interface OciSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[]; umask?: number };
    args: string[];
    env: string[];
    cwd: string;
    capabilities?: Record<'bounding' | 'effective' | 'permitted' | 'inheritable' | 'ambient', string[]>;
    /** A limit of RLIM_INFINITY means unlimited (the runtime writes it as 2^64-1). */
    rlimits?: { type: string; hard: number; soft: number }[];
    noNewPrivileges?: boolean;
    oomScoreAdj?: number;
    /** The terminal's initial size (only with `terminal`). */
    consoleSize?: { height: number; width: number };
  };
  root: { path: string; readonly?: boolean };
  hostname?: string;
  mounts: { destination: string; type: string; source: string; options?: string[] }[];
  linux: {
    namespaces: { type: string; path?: string }[];
    cgroupsPath?: string;
    resources?: Record<string, unknown>;
    maskedPaths?: string[];
    readonlyPaths?: string[];
    devices?: unknown[];
    sysctl?: Record<string, string>;
    seccomp?: unknown;
  };
  annotations?: Record<string, string>;
  [extra: string]: unknown;
}

/**
 * "Unlimited" for an rlimit in an OciSpec. The kernel's RLIM_INFINITY is 2^64-1, which a JavaScript number cannot
 * hold (JSON.stringify would write 18446744073709552000, out of uint64 range): this stand-in is the largest double
 * below it, and the runtime writes it out as exactly 2^64-1.
 */
export const RLIM_INFINITY = 2 ** 64 - 4096;

/** An OciSpec (or its process) as JSON, with RLIM_INFINITY written exactly. */
export function ociSpecJson(value: unknown): string {
  return JSON.stringify(value).replace(/("(?:hard|soft)":)18446744073709548000\b/g, '$118446744073709551615');
}
