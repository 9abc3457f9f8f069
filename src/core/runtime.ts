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
    rlimits?: { type: string; hard: number; soft: number }[];
    noNewPrivileges?: boolean;
    oomScoreAdj?: number;
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
