/**
 * Engine API (v1.43) shapes the client reads and writes. Field names are Docker's. Responses are typed as far as
 * berth reads them; inspect documents keep every other field (index signature) because `inspect` prints them whole.
 */

export type Labels = Record<string, string>;

/** `filters` query parameter: `{"dangling":{"true":true}}`. */
export type Filters = Record<string, Record<string, boolean>>;

export interface PingInfo {
  apiVersion: string | undefined;
  osType: string | undefined;
  experimental: boolean;
}

export interface Port {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

export interface MountPoint {
  Type?: string;
  Name?: string;
  Source?: string;
  Destination?: string;
  Driver?: string;
  Mode?: string;
  RW?: boolean;
  Propagation?: string;
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  Ports: Port[];
  SizeRw?: number;
  SizeRootFs?: number;
  Labels: Labels | null;
  State: string;
  Status: string;
  HostConfig?: { NetworkMode?: string };
  NetworkSettings?: { Networks?: Record<string, unknown> } | null;
  Mounts: MountPoint[];
}

export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize?: number;
  Labels: Labels | null;
  Containers: number;
}

export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

export interface DeleteItem {
  Untagged?: string;
  Deleted?: string;
}

export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, Record<string, never>>;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Image?: string;
  Volumes?: Record<string, Record<string, never>> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  OnBuild?: string[] | null;
  Labels?: Labels | null;
  StopSignal?: string;
  StopTimeout?: number;
  [key: string]: unknown;
}

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

export interface HostConfig {
  Binds?: string[] | null;
  NetworkMode?: string;
  PortBindings?: Record<string, PortBinding[]>;
  RestartPolicy?: { Name: string; MaximumRetryCount: number };
  AutoRemove?: boolean;
  ConsoleSize?: [number, number];
  Privileged?: boolean;
  PublishAllPorts?: boolean;
  ReadonlyRootfs?: boolean;
  [key: string]: unknown;
}

export interface EndpointSettings {
  Aliases?: string[] | null;
  [key: string]: unknown;
}

export interface ContainerCreateBody extends ContainerConfig {
  HostConfig?: HostConfig;
  NetworkingConfig?: { EndpointsConfig: Record<string, EndpointSettings> };
}

export interface ContainerCreateResponse {
  Id: string;
  Warnings: string[] | null;
}

export interface ContainerState {
  Status: string;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  [key: string]: unknown;
}

/** `GET /containers/{id}/json`. */
export interface ContainerInspect {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerState;
  Image: string;
  Name: string;
  Config: ContainerConfig;
  HostConfig: HostConfig;
  NetworkSettings?: { Ports?: Record<string, PortBinding[] | null> | null; [key: string]: unknown } | null;
  [key: string]: unknown;
}

/** `GET /images/{name}/json`. */
export interface ImageInspect {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: string;
  Size: number;
  Config: ContainerConfig | null;
  [key: string]: unknown;
}

export interface WaitResponse {
  StatusCode: number;
  Error?: { Message: string } | null;
}

export interface VersionComponent {
  Name: string;
  Version: string;
  Details?: Record<string, string>;
}

/** `GET /version`. */
export interface ServerVersion {
  Platform?: { Name: string };
  Components?: VersionComponent[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  GitCommit: string;
  GoVersion: string;
  Os: string;
  Arch: string;
  KernelVersion?: string;
  Experimental?: boolean;
  BuildTime?: string;
  [key: string]: unknown;
}

/** `GET /info`, the fields berth prints. */
export interface SystemInfo {
  ID?: string;
  Containers: number;
  ContainersRunning: number;
  ContainersPaused: number;
  ContainersStopped: number;
  Images: number;
  Driver: string;
  DriverStatus: [string, string][] | null;
  [key: string]: unknown;
}

/** One message of a JSON-lines progress stream (`docker load`, `import`, `pull`). */
export interface JsonMessage {
  stream?: string;
  status?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  id?: string;
  from?: string;
  time?: number;
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: unknown;
}

export interface ContainerListOptions {
  all?: boolean;
  limit?: number;
  size?: boolean;
  filters?: Filters;
}

export interface ImageListOptions {
  all?: boolean;
  filters?: Filters;
  digests?: boolean;
}

export interface LogsOptions {
  stdout?: boolean;
  stderr?: boolean;
  follow?: boolean;
  timestamps?: boolean;
  tail?: string;
  since?: string;
  until?: string;
  details?: boolean;
}

export interface AttachOptions {
  stream?: boolean;
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  logs?: boolean;
  detachKeys?: string;
}

/** `POST /containers/{id}/exec` body (docker's container.ExecOptions, in Go's field order). */
export interface ExecCreateBody {
  User: string;
  Privileged: boolean;
  Tty: boolean;
  /** [height, width]; omitted unless a TTY was asked for. */
  ConsoleSize?: [number, number];
  AttachStdin: boolean;
  AttachStderr: boolean;
  AttachStdout: boolean;
  DetachKeys: string;
  Env: string[] | null;
  WorkingDir: string;
  Cmd: string[];
  Detach: boolean;
}

/** `POST /exec/{id}/start` body. */
export interface ExecStartBody {
  Detach: boolean;
  Tty: boolean;
  ConsoleSize?: [number, number];
}

/** `GET /exec/{id}/json`. */
export interface ExecInspect {
  ID: string;
  ContainerID: string;
  Running: boolean;
  /** null while the process has not exited (the daemon reports no code yet). */
  ExitCode: number | null;
  Pid: number;
  [key: string]: unknown;
}

/** `GET /containers/{id}/top`. */
export interface TopResponse {
  Titles: string[] | null;
  Processes: string[][] | null;
}

/** `POST /containers/{id}/update` body: docker's UpdateConfig (Resources flattened, then RestartPolicy). */
export interface UpdateConfig {
  CpuShares: number;
  Memory: number;
  NanoCpus: number;
  CgroupParent: string;
  BlkioWeight: number;
  BlkioWeightDevice: null;
  BlkioDeviceReadBps: null;
  BlkioDeviceWriteBps: null;
  BlkioDeviceReadIOps: null;
  BlkioDeviceWriteIOps: null;
  CpuPeriod: number;
  CpuQuota: number;
  CpuRealtimePeriod: number;
  CpuRealtimeRuntime: number;
  CpusetCpus: string;
  CpusetMems: string;
  Devices: null;
  DeviceCgroupRules: null;
  DeviceRequests: null;
  KernelMemory?: number;
  MemoryReservation: number;
  MemorySwap: number;
  MemorySwappiness: null;
  OomKillDisable: null;
  /** null leaves the limit unchanged. */
  PidsLimit: number | null;
  Ulimits: null;
  CpuCount: number;
  CpuPercent: number;
  IOMaximumIOps: number;
  IOMaximumBandwidth: number;
  RestartPolicy: { Name: string; MaximumRetryCount: number };
}

export interface UpdateResponse {
  Warnings: string[] | null;
}

/** `POST /containers/prune`. */
export interface ContainerPruneReport {
  ContainersDeleted: string[] | null;
  SpaceReclaimed: number;
}

/** `POST /images/prune`. */
export interface ImagePruneReport {
  ImagesDeleted: DeleteItem[] | null;
  SpaceReclaimed: number;
}

/** `POST /networks/prune`. */
export interface NetworkPruneReport {
  NetworksDeleted: string[] | null;
}

/** `POST /volumes/prune`. */
export interface VolumePruneReport {
  VolumesDeleted: string[] | null;
  SpaceReclaimed: number;
}

/** `POST /build/prune`. */
export interface BuildCachePruneReport {
  CachesDeleted: string[] | null;
  SpaceReclaimed: number;
}

export interface Volume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  Labels: Labels | null;
  Scope: string;
  Options?: Record<string, string> | null;
  CreatedAt?: string;
  /** RefCount and Size are -1 when unknown. */
  UsageData?: { RefCount: number; Size: number } | null;
  [key: string]: unknown;
}

export interface BuildCacheRecord {
  ID: string;
  Parent?: string;
  Parents?: string[] | null;
  Type: string;
  Description: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  CreatedAt: string;
  LastUsedAt: string | null;
  UsageCount: number;
}

/** `GET /system/df`. */
export interface DiskUsage {
  LayersSize: number;
  Images: ImageSummary[] | null;
  Containers: ContainerSummary[] | null;
  Volumes: Volume[] | null;
  BuildCache: BuildCacheRecord[] | null;
}
