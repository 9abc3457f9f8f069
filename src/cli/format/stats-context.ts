/**
 * `stats` rows: docker/cli's StatsEntry, the figures it derives from the daemon's stats JSON (stats_helpers.go:
 * CPU %, memory without the page cache, block and network I/O) and the statsContext that prints them
 * (formatter_stats.go). Each StatsContext method is a `--format` field.
 */
import { formatFloat } from '../../pkg/go-fmt.js';
import { GO_MARSHAL_JSON, GO_TYPE } from '../../pkg/go-template.js';
import { bytesSize, humanSizeWithPrecision } from '../../pkg/units.js';
import { marshalContext, TABLE_FORMAT_KEY, truncateId } from './formatter.js';

export const DEFAULT_STATS_TABLE_FORMAT = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';
export const WINDOWS_STATS_TABLE_FORMAT = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.NetIO}}\t{{.BlockIO}}';

const WINDOWS = 'windows';

/** Column titles; the memory column is titled by the daemon's OS. */
export function statsHeader(osType: string): Record<string, string> {
  return {
    Container: 'CONTAINER',
    Name: 'NAME',
    ID: 'CONTAINER ID',
    CPUPerc: 'CPU %',
    MemUsage: osType === WINDOWS ? 'PRIV WORKING SET' : 'MEM USAGE / LIMIT',
    MemPerc: 'MEM %',
    NetIO: 'NET I/O',
    BlockIO: 'BLOCK I/O',
    PIDs: 'PIDS',
  };
}

/** docker's NewStatsFormat: `table` is the default table (fewer columns for a Windows daemon). */
export function statsFormat(source: string, osType: string): string {
  if (source === TABLE_FORMAT_KEY) return osType === WINDOWS ? WINDOWS_STATS_TABLE_FORMAT : DEFAULT_STATS_TABLE_FORMAT;
  return source;
}

/** One container's figures, as docker/cli keeps them between redraws. */
export interface StatsEntry {
  /** What the user named (or the short ID when listing all containers). */
  Container: string;
  /** The daemon's name, with its leading '/'. */
  Name: string;
  ID: string;
  CPUPercentage: number;
  /** On Windows the private working set. */
  Memory: number;
  MemoryLimit: number;
  MemoryPercentage: number;
  NetworkRx: number;
  NetworkTx: number;
  BlockRead: number;
  BlockWrite: number;
  PidsCurrent: number;
  IsInvalid: boolean;
}

export function emptyStatsEntry(container: string): StatsEntry {
  return {
    Container: container,
    Name: '',
    ID: '',
    CPUPercentage: 0,
    Memory: 0,
    MemoryLimit: 0,
    MemoryPercentage: 0,
    NetworkRx: 0,
    NetworkTx: 0,
    BlockRead: 0,
    BlockWrite: 0,
    PidsCurrent: 0,
    IsInvalid: false,
  };
}

// ---- the daemon's stats JSON, as far as the CLI reads it ----------------------------------------------------

export interface CpuStatsJson {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null };
  system_cpu_usage?: number;
  online_cpus?: number;
}

export interface StatsResponseJson {
  read?: string;
  preread?: string;
  name?: string;
  id?: string;
  num_procs?: number;
  cpu_stats?: CpuStatsJson;
  precpu_stats?: CpuStatsJson;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> | null; privateworkingset?: number };
  blkio_stats?: { io_service_bytes_recursive?: Array<{ op?: string; value?: number }> | null };
  storage_stats?: { read_size_bytes?: number; write_size_bytes?: number };
  pids_stats?: { current?: number };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }> | null;
}

/**
 * calculateCPUPercentUnix: the container's share of the whole machine's CPU time between the two samples, times
 * the number of CPUs (so one busy core of four is 100%). Zero unless both deltas are positive.
 */
export function calculateCpuPercentUnix(previousCpu: number, previousSystem: number, v: StatsResponseJson): number {
  const cpuDelta = (v.cpu_stats?.cpu_usage?.total_usage ?? 0) - previousCpu;
  const systemDelta = (v.cpu_stats?.system_cpu_usage ?? 0) - previousSystem;
  let onlineCpus = v.cpu_stats?.online_cpus ?? 0;
  if (onlineCpus === 0) onlineCpus = v.cpu_stats?.cpu_usage?.percpu_usage?.length ?? 0;
  if (systemDelta > 0 && cpuDelta > 0) return (cpuDelta / systemDelta) * onlineCpus * 100;
  return 0;
}

/** calculateCPUPercentWindows: 100 ns intervals used over those possible between `preread` and `read`. */
export function calculateCpuPercentWindows(v: StatsResponseJson): number {
  const elapsedNs = Math.max(0, goTimeNs(v.read) - goTimeNs(v.preread));
  const possible = Math.floor(elapsedNs / 100) * (v.num_procs ?? 0);
  const used = (v.cpu_stats?.cpu_usage?.total_usage ?? 0) - (v.precpu_stats?.cpu_usage?.total_usage ?? 0);
  return possible > 0 ? (used / possible) * 100 : 0;
}

/** calculateBlockIO: bytes read and written, by the first letter of each entry's op (`Read`, `read`, `Write`…). */
export function calculateBlockIo(blkio: StatsResponseJson['blkio_stats']): [read: number, write: number] {
  let read = 0;
  let write = 0;
  for (const e of blkio?.io_service_bytes_recursive ?? []) {
    const c = (e.op ?? '')[0];
    if (c === 'r' || c === 'R') read += e.value ?? 0;
    else if (c === 'w' || c === 'W') write += e.value ?? 0;
  }
  return [read, write];
}

/** calculateNetwork: received and sent bytes over all interfaces. */
export function calculateNetwork(networks: StatsResponseJson['networks']): [rx: number, tx: number] {
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(networks ?? {})) {
    rx += n.rx_bytes ?? 0;
    tx += n.tx_bytes ?? 0;
  }
  return [rx, tx];
}

/**
 * calculateMemUsageUnixNoCache: usage without the inactive page cache (`total_inactive_file` on cgroup v1,
 * `inactive_file` on v2), as cadvisor and containerd's CRI count it.
 */
export function calculateMemUsageUnixNoCache(mem: StatsResponseJson['memory_stats']): number {
  const usage = mem?.usage ?? 0;
  const stats = mem?.stats ?? {};
  const v1 = stats['total_inactive_file'];
  if (v1 !== undefined && v1 < usage) return usage - v1;
  const v2 = stats['inactive_file'] ?? 0;
  if (v2 < usage) return usage - v2;
  return usage;
}

export function calculateMemPercentUnixNoCache(limit: number, usedNoCache: number): number {
  return limit !== 0 ? (usedNoCache / limit) * 100 : 0;
}

/** The entry docker/cli's collect() builds from one stats object. */
export function statsEntryFrom(container: string, v: StatsResponseJson, osType: string): StatsEntry {
  const e = emptyStatsEntry(container);
  e.Name = v.name ?? '';
  e.ID = v.id ?? '';
  if (osType !== WINDOWS) {
    const previousCpu = v.precpu_stats?.cpu_usage?.total_usage ?? 0;
    const previousSystem = v.precpu_stats?.system_cpu_usage ?? 0;
    e.CPUPercentage = calculateCpuPercentUnix(previousCpu, previousSystem, v);
    [e.BlockRead, e.BlockWrite] = calculateBlockIo(v.blkio_stats);
    e.Memory = calculateMemUsageUnixNoCache(v.memory_stats);
    e.MemoryLimit = v.memory_stats?.limit ?? 0;
    e.MemoryPercentage = calculateMemPercentUnixNoCache(e.MemoryLimit, e.Memory);
    e.PidsCurrent = v.pids_stats?.current ?? 0;
  } else {
    e.CPUPercentage = calculateCpuPercentWindows(v);
    e.BlockRead = v.storage_stats?.read_size_bytes ?? 0;
    e.BlockWrite = v.storage_stats?.write_size_bytes ?? 0;
    e.Memory = v.memory_stats?.privateworkingset ?? 0;
  }
  [e.NetworkRx, e.NetworkTx] = calculateNetwork(v.networks);
  return e;
}

/** Nanoseconds since the epoch of an RFC 3339 time with up to nine fractional digits (0 for Go's zero time). */
function goTimeNs(s: string | undefined): number {
  if (s === undefined) return 0;
  const m = /^(.*?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (m === null) return 0;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return 0;
  return ms * 1_000_000 + Number((m[2] ?? '').padEnd(9, '0').slice(0, 9) || '0');
}

// ---- the row ---------------------------------------------------------------------------------------------------

function formatPercentage(v: number): string {
  return `${formatFloat(v, 'f', 2)}%`;
}

export class StatsContext {
  readonly [GO_TYPE] = '*container.statsContext';
  readonly #s: StatsEntry;
  readonly #os: string;
  readonly #trunc: boolean;

  constructor(s: StatsEntry = emptyStatsEntry(''), osType = '', trunc = true) {
    this.#s = s;
    this.#os = osType;
    this.#trunc = trunc;
  }

  Container(): string {
    return this.#s.Container;
  }

  Name(): string {
    return this.#s.Name.length > 1 ? this.#s.Name.slice(1) : '--';
  }

  ID(): string {
    return this.#trunc ? truncateId(this.#s.ID) : this.#s.ID;
  }

  CPUPerc(): string {
    return this.#s.IsInvalid ? '--' : formatPercentage(this.#s.CPUPercentage);
  }

  MemUsage(): string {
    if (this.#s.IsInvalid) return '-- / --';
    if (this.#os === WINDOWS) return bytesSize(this.#s.Memory);
    return `${bytesSize(this.#s.Memory)} / ${bytesSize(this.#s.MemoryLimit)}`;
  }

  MemPerc(): string {
    return this.#s.IsInvalid || this.#os === WINDOWS ? '--' : formatPercentage(this.#s.MemoryPercentage);
  }

  NetIO(): string {
    if (this.#s.IsInvalid) return '--';
    return `${humanSizeWithPrecision(this.#s.NetworkRx, 3)} / ${humanSizeWithPrecision(this.#s.NetworkTx, 3)}`;
  }

  BlockIO(): string {
    if (this.#s.IsInvalid) return '--';
    return `${humanSizeWithPrecision(this.#s.BlockRead, 3)} / ${humanSizeWithPrecision(this.#s.BlockWrite, 3)}`;
  }

  PIDs(): string {
    return this.#s.IsInvalid || this.#os === WINDOWS ? '--' : String(this.#s.PidsCurrent);
  }

  [GO_MARSHAL_JSON](): string {
    return marshalContext({
      BlockIO: this.BlockIO(),
      CPUPerc: this.CPUPerc(),
      Container: this.Container(),
      ID: this.ID(),
      MemPerc: this.MemPerc(),
      MemUsage: this.MemUsage(),
      Name: this.Name(),
      NetIO: this.NetIO(),
      PIDs: this.PIDs(),
    });
  }
}
