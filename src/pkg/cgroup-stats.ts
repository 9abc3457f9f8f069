/**
 * A container's resource usage read straight from the kernel, shaped like the pieces of Docker's stats JSON
 * (moby api/types StatsJSON; the field names are the JSON keys). Docker gets the same numbers through containerd's
 * cgroups library and maps them in daemon/stats_unix.go (statsV1, statsV2); this file does both steps, following
 * their choices: which memory.stat keys are reported, "max" as 0 on cgroup v1 but as MaxUint64 on v2, an
 * unlimited memory limit replaced by the machine's memory, user/system CPU time from ticks, no per-CPU usage on v2.
 *
 * Both layouts are read:
 * - cgroup v2 (`<root>/cgroup.controllers` exists): one directory, `<root><cgroupsPath>`.
 * - cgroup v1, including hybrid hosts that also mount an empty cgroup2 at `<root>/unified`: one directory per
 *   controller, `<root>/<controller><cgroupsPath>`, where cpu and cpuacct may be one co-mounted `cpu,cpuacct`.
 *
 * The roots are parameters so tests can build a fake tree. Numbers are JavaScript numbers: exact below 2^53
 * (about 104 days of CPU time in nanoseconds per container), and {@link MAX_UINT64} stands for Go's MaxUint64.
 */
import { existsSync } from 'node:fs';
import { readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError } from '../core/errdefs.js';

/** Go's math.MaxUint64 as a number (2^64 exactly; encoders print it as 18446744073709551615). */
export const MAX_UINT64 = 2 ** 64;

export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';
export const DEFAULT_PROC_ROOT = '/proc';

export interface CpuUsage {
  total_usage: number;
  percpu_usage?: number[];
  usage_in_kernelmode: number;
  usage_in_usermode: number;
}

export interface ThrottlingData {
  periods: number;
  throttled_periods: number;
  throttled_time: number;
}

export interface CpuStats {
  cpu_usage: CpuUsage;
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: ThrottlingData;
}

/** Zero fields are left out, as Go's omitempty does. */
export interface MemoryStats {
  usage?: number;
  max_usage?: number;
  stats?: Record<string, number>;
  failcnt?: number;
  limit?: number;
}

export interface BlkioStatEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

/** `null` where Docker leaves a list nil (most of them on cgroup v2). */
export interface BlkioStats {
  io_service_bytes_recursive: BlkioStatEntry[] | null;
  io_serviced_recursive: BlkioStatEntry[] | null;
  io_queue_recursive: BlkioStatEntry[] | null;
  io_service_time_recursive: BlkioStatEntry[] | null;
  io_wait_time_recursive: BlkioStatEntry[] | null;
  io_merged_recursive: BlkioStatEntry[] | null;
  io_time_recursive: BlkioStatEntry[] | null;
  sectors_recursive: BlkioStatEntry[] | null;
}

export interface PidsStats {
  current?: number;
  limit?: number;
}

export interface NetworkStats {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

/** What the cgroup tells (system CPU usage and network come from /proc, below). */
export interface CgroupSample {
  pids_stats: PidsStats;
  blkio_stats: BlkioStats;
  cpu_stats: CpuStats;
  memory_stats: MemoryStats;
}

export interface CgroupReadOptions {
  /** Where the cgroup hierarchies are mounted (default /sys/fs/cgroup). */
  cgroupRoot?: string;
  /** Where procfs is mounted (default /proc). */
  procRoot?: string;
  /** The machine's memory in bytes; read from `<procRoot>/meminfo` when absent. */
  machineMemory?: number;
}

export type CgroupVersion = 1 | 2;

/** v2 when the root is itself a cgroup2 mount (it has `cgroup.controllers`); v1 (or hybrid) otherwise. */
export function cgroupVersion(cgroupRoot: string = DEFAULT_CGROUP_ROOT): CgroupVersion {
  return existsSync(join(cgroupRoot, 'cgroup.controllers')) ? 2 : 1;
}

/** Docker's zero-valued pieces: what a stopped container reports. */
export function emptyBlkioStats(): BlkioStats {
  return {
    io_service_bytes_recursive: null,
    io_serviced_recursive: null,
    io_queue_recursive: null,
    io_service_time_recursive: null,
    io_wait_time_recursive: null,
    io_merged_recursive: null,
    io_time_recursive: null,
    sectors_recursive: null,
  };
}

export function emptyCpuStats(): CpuStats {
  return {
    cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

/**
 * Reads the cgroup `cgroupsPath` (as given to the runtime, e.g. `/berth/<id>`). Throws NotFoundError when the
 * cgroup does not exist (the container stopped, or never ran); missing individual files count as zero.
 */
export async function readCgroupStats(cgroupsPath: string, options: CgroupReadOptions = {}): Promise<CgroupSample> {
  const root = options.cgroupRoot ?? DEFAULT_CGROUP_ROOT;
  const machineMemory = options.machineMemory ?? (await readMachineMemory(options.procRoot));
  const rel = cgroupsPath.startsWith('/') ? cgroupsPath.slice(1) : cgroupsPath;
  return cgroupVersion(root) === 2 ? readV2(join(root, rel), machineMemory) : readV1(root, rel, machineMemory);
}

// ---- cgroup v1 -------------------------------------------------------------------------------------------------

// The memory.stat keys Docker reports on v1, in moby's statsV1 order (JSON prints them sorted anyway).
const V1_MEMORY_KEYS = [
  'cache', 'rss', 'rss_huge', 'mapped_file', 'dirty', 'writeback', 'pgpgin', 'pgpgout', 'pgfault', 'pgmajfault',
  'inactive_anon', 'active_anon', 'inactive_file', 'active_file', 'unevictable', 'hierarchical_memory_limit',
  'hierarchical_memsw_limit', 'total_cache', 'total_rss', 'total_rss_huge', 'total_mapped_file', 'total_dirty',
  'total_writeback', 'total_pgpgin', 'total_pgpgout', 'total_pgfault', 'total_pgmajfault', 'total_inactive_anon',
  'total_active_anon', 'total_inactive_file', 'total_active_file', 'total_unevictable',
];

// The CFQ files containerd tries first, with the Docker field each fills.
const V1_CFQ_FILES: ReadonlyArray<[file: string, field: keyof BlkioStats]> = [
  ['blkio.sectors_recursive', 'sectors_recursive'],
  ['blkio.io_service_bytes_recursive', 'io_service_bytes_recursive'],
  ['blkio.io_serviced_recursive', 'io_serviced_recursive'],
  ['blkio.io_queued_recursive', 'io_queue_recursive'],
  ['blkio.io_service_time_recursive', 'io_service_time_recursive'],
  ['blkio.io_wait_time_recursive', 'io_wait_time_recursive'],
  ['blkio.io_merged_recursive', 'io_merged_recursive'],
  ['blkio.time_recursive', 'io_time_recursive'],
];

/** USER_HZ: the unit of cpuacct.stat and /proc/stat (100 on every Linux Docker supports). */
const CLOCK_TICKS_PER_SECOND = 100;
const NS_PER_TICK = 1_000_000_000 / CLOCK_TICKS_PER_SECOND;

async function readV1(root: string, rel: string, machineMemory: number): Promise<CgroupSample> {
  const memoryDir = join(root, 'memory', rel);
  const memStat = await readKeyValues(join(memoryDir, 'memory.stat'));
  if (memStat === undefined) throw new NotFoundError(`cgroup ${JSON.stringify(`/${rel}`)} not found`);
  const cpuacctDir = controllerDir(root, ['cpuacct', 'cpu,cpuacct', 'cpuacct,cpu'], rel);
  const cpuDir = controllerDir(root, ['cpu', 'cpu,cpuacct', 'cpuacct,cpu'], rel);
  const pidsDir = join(root, 'pids', rel);
  const blkioDir = join(root, 'blkio', rel);

  const [usage, maxUsage, failcnt, limit, total, percpu, acctStat, cpuStat, pidsCurrent, pidsMax, blkio] = await Promise.all([
    readUint(join(memoryDir, 'memory.usage_in_bytes'), 0),
    readUint(join(memoryDir, 'memory.max_usage_in_bytes'), 0),
    readUint(join(memoryDir, 'memory.failcnt'), 0),
    readUint(join(memoryDir, 'memory.limit_in_bytes'), 0),
    readUint(join(cpuacctDir, 'cpuacct.usage'), 0),
    readText(join(cpuacctDir, 'cpuacct.usage_percpu')),
    readKeyValues(join(cpuacctDir, 'cpuacct.stat')),
    readKeyValues(join(cpuDir, 'cpu.stat')),
    readUint(join(pidsDir, 'pids.current'), 0),
    readUint(join(pidsDir, 'pids.max'), 0),
    readV1Blkio(blkioDir),
  ]);

  const raw: Record<string, number> = {};
  for (const key of V1_MEMORY_KEYS) raw[key] = memStat.get(key) ?? 0;
  const perCpu = (percpu ?? '').split(/\s+/).filter(Boolean).map((v) => parseUintText(v, 0));
  const cpu_usage: CpuUsage = {
    total_usage: total,
    // Go's omitempty drops an empty slice.
    ...(perCpu.length > 0 ? { percpu_usage: perCpu } : {}),
    usage_in_kernelmode: (acctStat?.get('system') ?? 0) * NS_PER_TICK,
    usage_in_usermode: (acctStat?.get('user') ?? 0) * NS_PER_TICK,
  };
  return {
    pids_stats: omitZero({ current: pidsCurrent, limit: pidsMax }),
    blkio_stats: blkio,
    cpu_stats: {
      cpu_usage,
      throttling_data: {
        periods: cpuStat?.get('nr_periods') ?? 0,
        throttled_periods: cpuStat?.get('nr_throttled') ?? 0,
        throttled_time: cpuStat?.get('throttled_time') ?? 0,
      },
    },
    memory_stats: omitZero({
      usage,
      max_usage: maxUsage,
      stats: raw,
      failcnt,
      limit: capLimit(limit, machineMemory),
    }),
  };
}

function controllerDir(root: string, names: readonly string[], rel: string): string {
  for (const name of names) {
    const dir = join(root, name);
    if (existsSync(dir)) return join(dir, rel);
  }
  return join(root, names[0]!, rel);
}

/**
 * containerd's blkio Stat: the CFQ files when the kernel has them and they hold entries, else the throttle files
 * (which every kernel keeps). Lists Docker fills are empty rather than null on v1.
 */
async function readV1Blkio(dir: string): Promise<BlkioStats> {
  const stats: BlkioStats = {
    io_service_bytes_recursive: [],
    io_serviced_recursive: [],
    io_queue_recursive: [],
    io_service_time_recursive: [],
    io_wait_time_recursive: [],
    io_merged_recursive: [],
    io_time_recursive: [],
    sectors_recursive: [],
  };
  if (existsSync(join(dir, 'blkio.io_serviced_recursive'))) {
    let size = 0;
    for (const [file, field] of V1_CFQ_FILES) {
      const entries = parseBlkioFile(await readText(join(dir, file)));
      stats[field] = entries;
      size += entries.length;
    }
    if (size > 0) return stats;
  }
  const throttled = async (name: string): Promise<BlkioStatEntry[]> => {
    const recursive = await readText(join(dir, `blkio.throttle.${name}_recursive`));
    return parseBlkioFile(recursive ?? (await readText(join(dir, `blkio.throttle.${name}`))));
  };
  stats.io_serviced_recursive = await throttled('io_serviced');
  stats.io_service_bytes_recursive = await throttled('io_service_bytes');
  return stats;
}

/** Lines `8:0 Read 4096` (the op is absent in some files); the closing `Total n` line is skipped. */
export function parseBlkioFile(text: string | undefined): BlkioStatEntry[] {
  const out: BlkioStatEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const fields = line.split(/[ :]+/).filter(Boolean);
    if (fields.length < 3) continue;
    const op = fields.length >= 4 ? fields[2]! : '';
    out.push({
      major: parseUintText(fields[0]!, 0),
      minor: parseUintText(fields[1]!, 0),
      op,
      value: parseUintText(fields[fields.length >= 4 ? 3 : 2]!, 0),
    });
  }
  return out;
}

// ---- cgroup v2 -------------------------------------------------------------------------------------------------

// The memory.stat keys Docker reports on v2 (moby statsV2).
const V2_MEMORY_KEYS = [
  'anon', 'file', 'kernel_stack', 'slab', 'sock', 'shmem', 'file_mapped', 'file_dirty', 'file_writeback', 'anon_thp',
  'inactive_anon', 'active_anon', 'inactive_file', 'active_file', 'unevictable', 'slab_reclaimable',
  'slab_unreclaimable', 'pgfault', 'pgmajfault', 'workingset_refault', 'workingset_activate',
  'workingset_nodereclaim', 'pgrefill', 'pgscan', 'pgsteal', 'pgactivate', 'pgdeactivate', 'pglazyfree',
  'pglazyfreed', 'thp_fault_alloc', 'thp_collapse_alloc',
];

async function readV2(dir: string, machineMemory: number): Promise<CgroupSample> {
  if (!existsSync(dir)) throw new NotFoundError(`cgroup ${JSON.stringify(dir)} not found`);
  // On v2 "max" means unlimited and reads as MaxUint64 (containerd's getStatFileContentUint64).
  const [memStat, usage, limit, events, cpuStat, pidsCurrent, pidsMax, ioStat] = await Promise.all([
    readKeyValues(join(dir, 'memory.stat')),
    readUint(join(dir, 'memory.current'), MAX_UINT64),
    readUint(join(dir, 'memory.max'), MAX_UINT64),
    readKeyValues(join(dir, 'memory.events')),
    readKeyValues(join(dir, 'cpu.stat')),
    readUint(join(dir, 'pids.current'), MAX_UINT64),
    readUint(join(dir, 'pids.max'), MAX_UINT64),
    readText(join(dir, 'io.stat')),
  ]);
  const stats: Record<string, number> = {};
  for (const key of V2_MEMORY_KEYS) stats[key] = memStat?.get(key) ?? 0;
  const usec = (key: string): number => (cpuStat?.get(key) ?? 0) * 1000;
  const io = parseIoStat(ioStat);
  return {
    pids_stats: omitZero({ current: pidsCurrent, limit: pidsMax }),
    blkio_stats: { ...emptyBlkioStats(), io_service_bytes_recursive: io.length > 0 ? io : null },
    cpu_stats: {
      cpu_usage: { total_usage: usec('usage_usec'), usage_in_kernelmode: usec('system_usec'), usage_in_usermode: usec('user_usec') },
      throttling_data: { periods: cpuStat?.get('nr_periods') ?? 0, throttled_periods: cpuStat?.get('nr_throttled') ?? 0, throttled_time: usec('throttled_usec') },
    },
    // v2 has no max usage in Docker's mapping; failcnt is memory.events' oom count.
    memory_stats: omitZero({
      usage,
      stats,
      failcnt: events?.get('oom') ?? 0,
      limit: capLimit(limit, machineMemory),
    }),
  };
}

/** io.stat lines `8:0 rbytes=1 wbytes=2 rios=3 …` → a read and a write entry per device, as moby statsV2. */
export function parseIoStat(text: string | undefined): BlkioStatEntry[] {
  const out: BlkioStatEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const parts = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(parts[0] ?? '');
    if (m === null) continue;
    const kv = new Map<string, number>();
    for (const p of parts.slice(1)) {
      const eq = p.indexOf('=');
      if (eq > 0) kv.set(p.slice(0, eq), parseUintText(p.slice(eq + 1), 0));
    }
    const major = Number(m[1]);
    const minor = Number(m[2]);
    out.push({ major, minor, op: 'read', value: kv.get('rbytes') ?? 0 }, { major, minor, op: 'write', value: kv.get('wbytes') ?? 0 });
  }
  return out;
}

// ---- /proc -----------------------------------------------------------------------------------------------------

export interface SystemCpu {
  /** All CPUs' time since boot in nanoseconds: Docker's system_cpu_usage. */
  systemUsage: number;
  /** CPUs listed in /proc/stat: Docker's online_cpus. */
  onlineCpus: number;
}

/**
 * moby's getSystemCPUUsage: the first seven fields of the `cpu` line of /proc/stat (user, nice, system, idle,
 * iowait, irq, softirq) in clock ticks, as nanoseconds; and the number of `cpuN` lines.
 */
export async function readSystemCpu(procRoot: string = DEFAULT_PROC_ROOT): Promise<SystemCpu> {
  const text = await readFile(join(procRoot, 'stat'), 'utf8');
  let systemUsage: number | undefined;
  let onlineCpus = 0;
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts[0] === 'cpu') {
      if (parts.length < 8) throw new Error('invalid number of cpu fields');
      let ticks = 0n;
      for (const v of parts.slice(1, 8)) ticks += BigInt(parseUintText(v, 0));
      systemUsage = Number(ticks * BigInt(NS_PER_TICK));
    } else if (/^cpu\d+$/.test(parts[0] ?? '')) {
      onlineCpus++;
    }
  }
  if (systemUsage === undefined) throw new Error("invalid stat format. Error trying to parse the '/proc/stat' file");
  return { systemUsage, onlineCpus };
}

/** MemTotal from /proc/meminfo in bytes, or 0 when unknown. */
export async function readMachineMemory(procRoot: string = DEFAULT_PROC_ROOT): Promise<number> {
  const text = await readText(join(procRoot, 'meminfo'));
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(text ?? '');
  return m === null ? 0 : Number(m[1]) * 1024;
}

/**
 * The interfaces of the network namespace process `pid` lives in, from `<procRoot>/<pid>/net/dev`, loopback
 * left out: Docker reports a container's endpoints (eth0…), so a container with only `lo` has no `networks` key.
 * Undefined too when the process shares berthd's own namespace (`--network host`): those are the host's
 * interfaces, which Docker does not report either.
 */
export async function readNetworkStats(pid: number, procRoot: string = DEFAULT_PROC_ROOT): Promise<Record<string, NetworkStats> | undefined> {
  const [mine, theirs] = await Promise.all([
    readlink(join(procRoot, 'self', 'ns', 'net')).catch(() => undefined),
    readlink(join(procRoot, String(pid), 'ns', 'net')).catch(() => undefined),
  ]);
  if (mine !== undefined && mine === theirs) return undefined;
  const text = await readText(join(procRoot, String(pid), 'net', 'dev'));
  if (text === undefined) return undefined;
  const out: Record<string, NetworkStats> = {};
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === '' || name === 'lo') continue;
    const v = line.slice(colon + 1).trim().split(/\s+/).map((f) => parseUintText(f, 0));
    if (v.length < 16) continue;
    out[name] = {
      rx_bytes: v[0]!,
      rx_packets: v[1]!,
      rx_errors: v[2]!,
      rx_dropped: v[3]!,
      tx_bytes: v[8]!,
      tx_packets: v[9]!,
      tx_errors: v[10]!,
      tx_dropped: v[11]!,
    };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

// ---- helpers ---------------------------------------------------------------------------------------------------

/** Docker reports an unlimited (or larger than the machine) memory limit as the machine's memory. */
function capLimit(limit: number, machineMemory: number): number {
  return machineMemory > 0 && limit > machineMemory ? machineMemory : limit;
}

/** Go's omitempty for numbers and maps: zero and undefined fields go. */
function omitZero<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== 0) out[k] = v;
  return out as T;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A one-number file; `max` reads as `maxValue`; a missing or unreadable file as 0. */
async function readUint(path: string, maxValue: number): Promise<number> {
  const text = await readText(path);
  return text === undefined ? 0 : parseUintText(text.trim(), maxValue);
}

/** strconv.ParseUint as containerd uses it: negatives read as 0, `max` as `maxValue`, junk as 0. */
function parseUintText(s: string, maxValue: number): number {
  if (s === 'max') return maxValue;
  if (/^-\d+$/.test(s)) return 0;
  if (!/^\d+$/.test(s)) return 0;
  const n = Number(s);
  return n >= MAX_UINT64 ? MAX_UINT64 : n;
}

/** `key value` lines (memory.stat, cpu.stat, cpuacct.stat, memory.events); undefined when the file is missing. */
async function readKeyValues(path: string): Promise<Map<string, number> | undefined> {
  const text = await readText(path);
  if (text === undefined) return undefined;
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined) out.set(key, parseUintText(value, MAX_UINT64));
  }
  return out;
}
