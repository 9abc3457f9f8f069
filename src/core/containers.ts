import type { Digest } from '../pkg/digest.js';
import type { MountPoint } from './volumes.js';

/**
 * Container model as the Engine API shapes it. `ContainerConfig` and `HostConfig` are stored as the client
 * sent them (after validation and defaulting), so `inspect` shows what Docker would show.
 */
export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Healthcheck?: object;
  ArgsEscaped?: boolean;
  Image?: string;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  NetworkDisabled?: boolean;
  MacAddress?: string;
  OnBuild?: string[] | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  StopTimeout?: number;
  Shell?: string[] | null;
  [extra: string]: unknown;
}

export interface HostConfig {
  AutoRemove?: boolean;
  NetworkMode?: string;
  Privileged?: boolean;
  ReadonlyRootfs?: boolean;
  Binds?: string[] | null;
  RestartPolicy?: { Name: string; MaximumRetryCount?: number };
  LogConfig?: { Type: string; Config: Record<string, string> };
  ShmSize?: number;
  [extra: string]: unknown;
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** One probe's outcome, as `inspect` shows it under State.Health.Log (Docker keeps the last five). */
export interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

export interface HealthState {
  Status: HealthStatus;
  FailingStreak: number;
  Log: HealthLogEntry[];
}

export interface ContainerState {
  status: ContainerStatus;
  pid: number;
  exitCode: number;
  /** RFC 3339 with nanoseconds, or Docker's zero time "0001-01-01T00:00:00Z". */
  startedAt: string;
  finishedAt: string;
  error: string;
  oomKilled: boolean;
  /** Present while a container with a health check runs (and kept after it stops, as Docker does). */
  health?: HealthState;
  /** The user stopped it: `unless-stopped` does not bring it back after a daemon restart. */
  manuallyStopped?: boolean;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface ContainerRecord {
  id: string;
  /** Without the leading slash Docker shows in some places. */
  name: string;
  /** The image as the user named it (shown in `ps`). */
  imageName: string;
  imageId: Digest;
  /** Chain ID of the image's top layer at create time: keeps those layers alive even if the image goes. */
  topChainId: Digest | null;
  /** Layer snapshot ids of the image (top-most first), fixed at create. */
  lowerSnapshotIds: string[];
  /** The container's writable snapshot. */
  snapshotId: string;
  created: string;
  /** The process: resolved entrypoint + cmd. */
  path: string;
  args: string[];
  config: ContainerConfig;
  hostConfig: HostConfig;
  state: ContainerState;
  logPath: string;
  /** Directory holding hosts, hostname, resolv.conf and the log. */
  dir: string;
  restartCount: number;
  /** Volumes, bind mounts and `--mount` tmpfs mounts, resolved at create (absent in records made before volumes). */
  mounts?: MountPoint[];
}
