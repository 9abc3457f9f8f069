/**
 * `docker stats` for one container, as moby's daemon/stats.go (v24, API 1.43) produces it: Docker's stats JSON
 * objects, sampled from the container's cgroup once a second.
 *
 * The cadence follows Docker's:
 * - `stream`: a sample now, then one every interval, each carrying the previous one's CPU figures as `precpu_stats`
 *   and its time as `preread` (the first has zero ones), until the signal aborts or the container is removed.
 *   A container that is not running yields zeroed samples, and real ones again once it runs.
 * - not `stream`: one object. Two samples an interval apart, so `precpu_stats` is filled and a CPU percentage can
 *   be computed, unless `oneShot` asks for a single sample. A container that is not running answers at once with
 *   the zero-valued object (`read` is Go's zero time, `0001-01-01T00:00:00Z`).
 *
 * Free of any service: the caller passes the container's identity and callbacks for its live state.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import { InvalidArgumentError } from '../../core/errdefs.js';
import {
  emptyBlkioStats,
  emptyCpuStats,
  readCgroupStats,
  readMachineMemory,
  readNetworkStats,
  readSystemCpu,
  MAX_UINT64,
  type BlkioStats,
  type CpuStats,
  type MemoryStats,
  type NetworkStats,
  type PidsStats,
} from '../../pkg/cgroup-stats.js';
import { goJsonEscapeHtml } from '../../pkg/go-template.js';

/** Go's zero time.Time in JSON. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** One object of `GET /containers/{id}/stats` (moby api/types StatsJSON), keys in Docker's order. */
export interface StatsJson {
  read: string;
  preread: string;
  pids_stats: PidsStats;
  blkio_stats: BlkioStats;
  num_procs: number;
  storage_stats: Record<string, never>;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: MemoryStats;
  name: string;
  id: string;
  networks?: Record<string, NetworkStats>;
}

/** What one reading of a running container gives (the generator stamps `read`). */
export interface StatsSample {
  pids_stats: PidsStats;
  blkio_stats: BlkioStats;
  /** Including `system_cpu_usage` and `online_cpus`. */
  cpu_stats: CpuStats;
  memory_stats: MemoryStats;
  networks?: Record<string, NetworkStats>;
}

export type StatsReader = (target: { cgroupsPath: string; pid: number | undefined }) => Promise<StatsSample>;

export interface ContainerStatsOptions {
  id: string;
  /** The container name, with or without Docker's leading '/'. */
  name: string;
  /** The cgroup given to the runtime, e.g. `/berth/<id>`. */
  cgroupsPath: string;
  /** The container's init pid while it runs (its network namespace is read through it). */
  pid: () => number | undefined;
  running: () => boolean;
  /** True once the container is gone: a stream then ends (Docker closes it on removal). */
  removed?: () => boolean;
  stream: boolean;
  oneShot: boolean;
  signal: AbortSignal;
  /** Takes one reading; default: cgroup files, /proc/stat and the container's /proc/<pid>/net/dev. */
  read?: StatsReader;
  /** Milliseconds between samples (Docker's collector interval: 1 s). */
  interval?: number;
  /** Waits `ms` or until the signal aborts (tests pass a fake). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Wall-clock time of a sample. */
  now?: () => Date;
}

/**
 * Yields Docker's stats objects (see the file comment). Throws InvalidArgumentError for `stream` with `oneShot`,
 * as Docker 24 answers 400 to it.
 */
export async function* containerStats(opts: ContainerStatsOptions): AsyncGenerator<StatsJson, void, undefined> {
  if (opts.stream && opts.oneShot) throw new InvalidArgumentError('cannot have stream=true and one-shot=true');
  const name = opts.name.startsWith('/') ? opts.name : `/${opts.name}`;
  const interval = opts.interval ?? 1000;
  const sleep = opts.sleep ?? sleepAbortable;
  const now = opts.now ?? ((): Date => new Date());
  const read = opts.read ?? defaultReader();

  const zero = (): StatsJson => ({
    read: ZERO_TIME,
    preread: ZERO_TIME,
    pids_stats: {},
    blkio_stats: emptyBlkioStats(),
    num_procs: 0,
    storage_stats: {},
    cpu_stats: emptyCpuStats(),
    precpu_stats: emptyCpuStats(),
    memory_stats: {},
    name,
    id: opts.id,
  });

  /** One reading; zeroed when the container is not running or its cgroup is already gone (Docker's collector). */
  const sample = async (): Promise<StatsJson> => {
    if (!opts.running()) return zero();
    const at = now();
    let s: StatsSample;
    try {
      s = await read({ cgroupsPath: opts.cgroupsPath, pid: opts.pid() });
    } catch {
      return zero();
    }
    const out: StatsJson = {
      read: goTimeJson(at),
      preread: ZERO_TIME,
      pids_stats: s.pids_stats,
      blkio_stats: s.blkio_stats,
      num_procs: 0,
      storage_stats: {},
      cpu_stats: s.cpu_stats,
      precpu_stats: emptyCpuStats(),
      memory_stats: s.memory_stats,
      name,
      id: opts.id,
    };
    if (s.networks !== undefined && Object.keys(s.networks).length > 0) out.networks = s.networks;
    return out;
  };

  if (!opts.stream) {
    if (!opts.running()) {
      yield zero();
      return;
    }
    const first = await sample();
    if (opts.oneShot) {
      yield first;
      return;
    }
    await sleep(interval, opts.signal);
    if (opts.signal.aborted) return;
    const second = await sample();
    yield { ...second, preread: first.read, precpu_stats: first.cpu_stats };
    return;
  }

  let previous: StatsJson | undefined;
  while (!opts.signal.aborted && !(opts.removed?.() ?? false)) {
    const current = await sample();
    if (previous !== undefined) {
      current.preread = previous.read;
      current.precpu_stats = previous.cpu_stats;
    }
    previous = current;
    yield current;
    await sleep(interval, opts.signal);
  }
}

/**
 * The JSON text of a stats object as Go's encoder writes it: integers in full (no rounding to 17 digits, MaxUint64
 * as 18446744073709551615), HTML characters escaped, no trailing newline.
 */
export function statsJson(value: unknown): string {
  return goJsonEscapeHtml(encode(value));
}

function encode(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return '0';
    if (!Number.isInteger(v)) return JSON.stringify(v);
    if (v >= MAX_UINT64) return '18446744073709551615';
    return BigInt(v).toString();
  }
  if (typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(encode).join(',')}]`;
  const parts: string[] = [];
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (val === undefined) continue;
    parts.push(`${JSON.stringify(k)}:${encode(val)}`);
  }
  return `{${parts.join(',')}}`;
}

/** Go's time.Time JSON (RFC 3339 with nanoseconds, trailing zeros trimmed) for a UTC instant. */
export function goTimeJson(d: Date): string {
  return d.toISOString().replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits === '' ? 'Z' : `.${digits}Z`));
}

function sleepAbortable(ms: number, signal: AbortSignal): Promise<void> {
  return sleepFor(ms, undefined, { signal }).catch(() => undefined);
}

/** Reads the host: the cgroup, the system CPU time, and the container's network namespace. */
function defaultReader(): StatsReader {
  let machineMemory: number | undefined;
  return async ({ cgroupsPath, pid }) => {
    machineMemory ??= await readMachineMemory();
    const cgroup = await readCgroupStats(cgroupsPath, { machineMemory });
    // Sampled right after the cgroup, so the two CPU figures describe the same moment.
    const system = await readSystemCpu();
    const networks = pid === undefined ? undefined : await readNetworkStats(pid);
    return {
      pids_stats: cgroup.pids_stats,
      blkio_stats: cgroup.blkio_stats,
      cpu_stats: {
        cpu_usage: cgroup.cpu_stats.cpu_usage,
        system_cpu_usage: system.systemUsage,
        online_cpus: system.onlineCpus,
        throttling_data: cgroup.cpu_stats.throttling_data,
      },
      memory_stats: cgroup.memory_stats,
      ...(networks !== undefined ? { networks } : {}),
    };
  };
}
