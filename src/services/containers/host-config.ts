/**
 * The `HostConfig` of a create request: type checks, Docker's validation of resources and isolation options
 * (moby daemon/container.go validateHostConfig, daemon_unix.go verifyPlatformContainerResources and
 * verifyPlatformContainerSettings), and Docker's defaulting (adaptContainerSettings and the create route), in
 * Docker's words.
 *
 * The stored HostConfig keeps every field the client sent, so `inspect` shows it back; numbers are normalised
 * (null → 0) and Docker's defaults filled in (MemorySwap twice Memory, ShmSize 64 MiB, IpcMode "private",
 * PidsLimit ≤ 0 → null, MemorySwappiness -1 → null). Helpers at the bottom read the validated record back for
 * the service and the OCI spec builder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { ConflictError, InvalidArgumentError, NotImplementedError } from '../../core/errdefs.js';
import type { HostConfig } from '../../core/containers.js';
import { quote } from '../../pkg/go-fmt.js';
import { fromHumanSize } from '../../pkg/units.js';
import { parseSeccompProfile } from './seccomp-profile.js';

/** Facts about the host the validation depends on. */
export interface HostLimits {
  /** CPUs this process may run on (Go's runtime.NumCPU). */
  ncpu: number;
  /** CPUs containers may be pinned to, as cpuset lists them ("0-7"). */
  cpus: string;
  /** Memory nodes, likewise ("0"). */
  mems: string;
  /** Unified cgroup hierarchy: no swappiness and no OOM-killer switch there. */
  cgroupV2: boolean;
  /**
   * The capabilities this daemon holds (its effective set): all a privileged container gets, and the only
   * ones --cap-add may add. Undefined: every known capability.
   */
  capabilities?: string[];
}

export interface HostConfigOptions {
  limits: HostLimits;
  /** The daemon's default /dev/shm size (dockerd --default-shm-size); 64 MiB. */
  defaultShmSize?: number;
  /** The daemon's default IPC mode (dockerd --default-ipc-mode); "private". */
  defaultIpcMode?: string;
  /** The daemon's default cgroup namespace mode; left as sent when not given. */
  defaultCgroupnsMode?: 'host' | 'private';
}

export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/** Docker's lowest memory limit and reservation (linuxMinMemory). */
export const MIN_MEMORY = 6 * 1024 * 1024;

/** Every capability the kernel knows (5.9 and later), in the kernel's order. */
export const KNOWN_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/** go-units' ulimit names (`as` is left out, as Docker does). */
export const ULIMIT_NAMES = ['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'];

/** Sysctls that live in the IPC namespace (besides `fs.mqueue.*`). */
const IPC_SYSCTLS = ['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'];

const DEVICE_CGROUP_RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/** Log drivers Docker ships that berth does not implement (yet): named, not mistaken for typos. */
const DOCKER_LOG_DRIVERS = ['none', 'local', 'syslog', 'journald', 'gelf', 'fluentd', 'awslogs', 'splunk', 'etwlogs', 'gcplogs', 'logentries'];
const JSON_FILE_OPTS = ['max-file', 'max-size', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag'];
/** Options every driver accepts (the daemon's own, and the local read cache's). */
const BUILTIN_LOG_OPTS = ['mode', 'max-buffer-size', 'cache-disabled', 'cache-max-size', 'cache-max-file', 'cache-compress'];

// -- host facts ------------------------------------------------------------------------------------------------

let hostLimits: HostLimits | undefined;

/** This host's CPUs and memory nodes as the container cgroups see them (read once, then cached). */
export function readHostLimits(): HostLimits {
  hostLimits ??= probeHostLimits();
  return hostLimits;
}

function probeHostLimits(): HostLimits {
  const cgroupV2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  const first = (paths: string[], fallback: string): string => {
    for (const p of paths) {
      try {
        const v = readFileSync(p, 'utf8').trim();
        if (v !== '') return v;
      } catch {
        // try the next source
      }
    }
    return fallback;
  };
  const ncpu = availableParallelism();
  const cpus = first(
    cgroupV2 ? ['/sys/fs/cgroup/cpuset.cpus.effective'] : ['/sys/fs/cgroup/cpuset/cpuset.effective_cpus', '/sys/fs/cgroup/cpuset/cpuset.cpus'],
    first(['/sys/devices/system/cpu/online'], `0-${ncpu - 1}`),
  );
  const mems = first(
    cgroupV2 ? ['/sys/fs/cgroup/cpuset.mems.effective'] : ['/sys/fs/cgroup/cpuset/cpuset.effective_mems', '/sys/fs/cgroup/cpuset/cpuset.mems'],
    first(['/sys/devices/system/node/online'], '0'),
  );
  return { ncpu, cpus, mems, cgroupV2, capabilities: currentCapabilities() };
}

let ownCapabilities: { caps: string[] | undefined } | undefined;

function readStatus(): string {
  try {
    return readFileSync('/proc/self/status', 'utf8');
  } catch {
    return '';
  }
}

/** The capabilities in this process's effective set (containerd's cap.Current), or undefined when unreadable. */
export function currentCapabilities(status?: string): string[] | undefined {
  if (status === undefined) {
    ownCapabilities ??= { caps: currentCapabilities(readStatus()) };
    return ownCapabilities.caps;
  }
  const text = status;
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(text);
  if (!m) return undefined;
  const mask = BigInt(`0x${m[1]}`);
  return KNOWN_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

// -- parsing ---------------------------------------------------------------------------------------------------

/**
 * Validates and normalises a create request's HostConfig (untrusted). Returns the record to store and Docker's
 * warnings (options the kernel cannot honour, discarded). Throws InvalidArgumentError (400) with Docker's words,
 * or NotImplementedError (501) naming an option berth does not support yet.
 */
export function parseHostConfig(raw: unknown, opts: HostConfigOptions): { hostConfig: HostConfig; warnings: string[] } {
  if (raw === undefined || raw === null) raw = {};
  if (!isObject(raw)) throw new InvalidArgumentError('invalid HostConfig: not a JSON object');
  const h: Record<string, unknown> = { ...raw };
  const warnings: string[] = [];
  checkTypes(h);
  refuseUnsupported(h);

  // validateHostConfig (daemon/container.go)
  const restart = h['RestartPolicy'] as { Name: string; MaximumRetryCount: number } | undefined;
  if (h['AutoRemove'] === true && restart && restart.Name !== '' && restart.Name !== 'no') {
    throw new InvalidArgumentError("can't create 'AutoRemove' container with restart policy");
  }
  if (restart) validateRestartPolicy(restart);
  checkCapabilities(h['CapAdd'] as string[] | null | undefined, 'CapAdd', opts.limits.capabilities);
  checkCapabilities(h['CapDrop'] as string[] | null | undefined, 'CapDrop', opts.limits.capabilities);

  verifyResources(h, opts.limits, warnings);

  // verifyPlatformContainerSettings (daemon/daemon_unix.go)
  const ipc = str(h['IpcMode']);
  if (!validIpcMode(ipc)) throw new InvalidArgumentError(`invalid IPC mode: ${ipc}`);
  const pid = str(h['PidMode']);
  if (!validPidMode(pid)) throw new InvalidArgumentError(`invalid PID mode: ${pid}`);
  if (num(h['ShmSize']) < 0) throw new InvalidArgumentError('SHM size can not be less than 0');
  const uts = str(h['UTSMode']);
  if (uts !== '' && uts !== 'host') throw new InvalidArgumentError(`invalid UTS mode: ${uts}`);
  const oomScoreAdj = num(h['OomScoreAdj']);
  if (oomScoreAdj < -1000 || oomScoreAdj > 1000) {
    throw new InvalidArgumentError(`Invalid value ${oomScoreAdj}, range for oom score adj is [-1000, 1000]`);
  }
  for (const [dest, data] of Object.entries((h['Tmpfs'] as Record<string, string> | null | undefined) ?? {})) {
    validateTmpfsDestination(dest);
    tmpfsOptions(data);
  }
  const cgroupns = str(h['CgroupnsMode']);
  if (cgroupns !== '' && cgroupns !== 'host' && cgroupns !== 'private') throw new InvalidArgumentError(`invalid cgroup namespace mode: ${cgroupns}`);

  // What Docker checks later (at start, or in runc), checked here so that a bad value is a 400 at create.
  parseSecurityOpts((h['SecurityOpt'] as string[] | null | undefined) ?? []);
  validateSysctls(h);
  validateDevices(h);
  validateUlimits(h['Ulimits'] as Ulimit[] | null | undefined);
  for (const g of (h['GroupAdd'] as string[] | null | undefined) ?? []) {
    if (g === '') throw new InvalidArgumentError('Unable to find group : no matching entries in group file');
  }
  validateLogConfig(h);

  adapt(h, opts);
  return { hostConfig: h as HostConfig, warnings };
}

// -- types -----------------------------------------------------------------------------------------------------

const INT_FIELDS = [
  'Memory',
  'MemorySwap',
  'MemoryReservation',
  'KernelMemory',
  'KernelMemoryTCP',
  'NanoCpus',
  'CpuShares',
  'CpuPeriod',
  'CpuQuota',
  'CpuRealtimePeriod',
  'CpuRealtimeRuntime',
  'ShmSize',
  'OomScoreAdj',
  'CpuCount',
  'CpuPercent',
];
const UINT_FIELDS = ['BlkioWeight', 'IOMaximumIOps', 'IOMaximumBandwidth'];
const NULLABLE_INT_FIELDS = ['MemorySwappiness', 'PidsLimit'];
const BOOL_FIELDS = ['AutoRemove', 'Privileged', 'ReadonlyRootfs', 'PublishAllPorts'];
const NULLABLE_BOOL_FIELDS = ['OomKillDisable', 'Init'];
const STRING_FIELDS = [
  'NetworkMode',
  'PidMode',
  'IpcMode',
  'UTSMode',
  'UsernsMode',
  'CgroupnsMode',
  'CgroupParent',
  'CpusetCpus',
  'CpusetMems',
  'ContainerIDFile',
  'VolumeDriver',
  'Runtime',
  'Isolation',
  'Cgroup',
];
const STRING_LIST_FIELDS = ['GroupAdd', 'SecurityOpt', 'DeviceCgroupRules', 'Dns', 'DnsOptions', 'DnsSearch', 'ExtraHosts', 'Links', 'MaskedPaths', 'ReadonlyPaths', 'Binds', 'VolumesFrom'];
/** Docker's StrSlice: a string or a list of strings. */
const STR_SLICE_FIELDS = ['CapAdd', 'CapDrop'];
const STRING_MAP_FIELDS = ['Tmpfs', 'Sysctls', 'StorageOpt', 'Annotations'];

function checkTypes(h: Record<string, unknown>): void {
  const bad = (key: string, what: string): never => {
    throw new InvalidArgumentError(`invalid ${key}: must be ${what}`);
  };
  for (const k of INT_FIELDS) {
    const v = h[k];
    if (v === undefined) continue;
    if (v === null) h[k] = 0;
    else if (!Number.isSafeInteger(v)) bad(k, 'an integer');
  }
  for (const k of UINT_FIELDS) {
    const v = h[k];
    if (v === undefined) continue;
    if (v === null) h[k] = 0;
    else if (!Number.isSafeInteger(v) || (v as number) < 0) bad(k, 'a non-negative integer');
  }
  if (typeof h['BlkioWeight'] === 'number' && h['BlkioWeight'] > 65535) bad('BlkioWeight', 'a 16-bit unsigned integer');
  for (const k of NULLABLE_INT_FIELDS) {
    const v = h[k];
    if (v !== undefined && v !== null && !Number.isSafeInteger(v)) bad(k, 'an integer');
  }
  for (const k of BOOL_FIELDS) {
    const v = h[k];
    if (v === undefined) continue;
    if (v === null) h[k] = false;
    else if (typeof v !== 'boolean') bad(k, 'a boolean');
  }
  for (const k of NULLABLE_BOOL_FIELDS) {
    const v = h[k];
    if (v !== undefined && v !== null && typeof v !== 'boolean') bad(k, 'a boolean');
  }
  for (const k of STRING_FIELDS) {
    const v = h[k];
    if (v === undefined) continue;
    if (v === null) h[k] = '';
    else if (typeof v !== 'string') bad(k, 'a string');
  }
  for (const k of STRING_LIST_FIELDS) {
    const v = h[k];
    if (v !== undefined && v !== null && !isStringList(v)) bad(k, 'a list of strings');
  }
  for (const k of STR_SLICE_FIELDS) {
    const v = h[k];
    if (typeof v === 'string') h[k] = [v];
    else if (v !== undefined && v !== null && !isStringList(v)) bad(k, 'a list of strings');
  }
  for (const k of STRING_MAP_FIELDS) {
    const v = h[k];
    if (v !== undefined && v !== null && !(isObject(v) && Object.values(v).every((x) => typeof x === 'string'))) bad(k, 'a map of strings');
  }

  const rp = h['RestartPolicy'];
  if (rp === null) delete h['RestartPolicy'];
  else if (rp !== undefined) {
    if (!isObject(rp)) bad('RestartPolicy', 'an object');
    const r = rp as Record<string, unknown>;
    const name = r['Name'] ?? '';
    const count = r['MaximumRetryCount'] ?? 0;
    if (typeof name !== 'string') bad('RestartPolicy.Name', 'a string');
    if (!Number.isSafeInteger(count)) bad('RestartPolicy.MaximumRetryCount', 'an integer');
    h['RestartPolicy'] = { ...r, Name: name, MaximumRetryCount: count };
  }
  const lc = h['LogConfig'];
  if (lc === null) delete h['LogConfig'];
  else if (lc !== undefined) {
    if (!isObject(lc)) bad('LogConfig', 'an object');
    const l = lc as Record<string, unknown>;
    const type = l['Type'] ?? '';
    const config = l['Config'] ?? {};
    if (typeof type !== 'string') bad('LogConfig.Type', 'a string');
    if (!isObject(config) || !Object.values(config).every((x) => typeof x === 'string')) bad('LogConfig.Config', 'a map of strings');
    h['LogConfig'] = { ...l, Type: type, Config: config };
  }
  const ulimits = h['Ulimits'];
  if (ulimits !== undefined && ulimits !== null) {
    if (!Array.isArray(ulimits)) bad('Ulimits', 'a list');
    h['Ulimits'] = (ulimits as unknown[]).map((u) => {
      if (!isObject(u)) return bad('Ulimits', 'a list of {Name, Soft, Hard}');
      const name = u['Name'];
      const soft = u['Soft'] ?? 0;
      const hard = u['Hard'] ?? 0;
      if (typeof name !== 'string' || !Number.isSafeInteger(soft) || !Number.isSafeInteger(hard)) bad('Ulimits', 'a list of {Name, Soft, Hard}');
      return { ...u, Name: name, Soft: soft, Hard: hard };
    });
  }
  const devices = h['Devices'];
  if (devices !== undefined && devices !== null) {
    if (!Array.isArray(devices)) bad('Devices', 'a list');
    h['Devices'] = (devices as unknown[]).map((d) => {
      if (!isObject(d)) return bad('Devices', 'a list of {PathOnHost, PathInContainer, CgroupPermissions}');
      const out = { ...d, PathOnHost: d['PathOnHost'] ?? '', PathInContainer: d['PathInContainer'] ?? '', CgroupPermissions: d['CgroupPermissions'] ?? '' };
      if (typeof out.PathOnHost !== 'string' || typeof out.PathInContainer !== 'string' || typeof out.CgroupPermissions !== 'string') {
        bad('Devices', 'a list of {PathOnHost, PathInContainer, CgroupPermissions}');
      }
      return out;
    });
  }
  for (const k of ['BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps']) {
    const v = h[k];
    if (v === undefined || v === null) continue;
    const field = k === 'BlkioWeightDevice' ? 'Weight' : 'Rate';
    if (!Array.isArray(v)) bad(k, 'a list');
    for (const d of v as unknown[]) {
      if (!isObject(d) || typeof d['Path'] !== 'string' || !Number.isSafeInteger(d[field]) || (d[field] as number) < 0) bad(k, `a list of {Path, ${field}}`);
    }
  }
  const cs = h['ConsoleSize'];
  if (cs !== undefined && cs !== null) {
    if (!Array.isArray(cs) || cs.length !== 2 || !cs.every((n) => Number.isSafeInteger(n) && n >= 0)) bad('ConsoleSize', 'two non-negative integers');
  }
}

function refuseUnsupported(h: Record<string, unknown>): void {
  const refuse = (what: string): never => {
    throw new NotImplementedError(`berth does not support ${what} yet`);
  };
  const volumeDriver = str(h['VolumeDriver']);
  if (volumeDriver !== '' && volumeDriver !== 'local') refuse(`volume driver "${volumeDriver}"`);
  if (nonEmpty(h['DeviceRequests'])) refuse('device requests (--gpus, CDI devices)');
  if (str(h['CgroupParent']) !== '') refuse('a cgroup parent (--cgroup-parent)');
  const userns = str(h['UsernsMode']);
  if (userns !== '' && userns !== 'host') refuse(`user namespace mode "${userns}"`);
}

// -- validation ------------------------------------------------------------------------------------------------

/** Docker's container.ValidateRestartPolicy. */
export function validateRestartPolicy(policy: { Name: string; MaximumRetryCount?: number }): void {
  const count = policy.MaximumRetryCount ?? 0;
  switch (policy.Name) {
    case 'always':
    case 'unless-stopped':
    case 'no':
      if (count !== 0) {
        let msg = "invalid restart policy: maximum retry count can only be used with 'on-failure'";
        if (count < 0) msg += ' and cannot be negative';
        throw new InvalidArgumentError(msg);
      }
      return;
    case 'on-failure':
      if (count < 0) throw new InvalidArgumentError('invalid restart policy: maximum retry count cannot be negative');
      return;
    case '':
      // Daemons before v25 stored an empty name by default; any count is accepted for it.
      return;
    default:
      throw new InvalidArgumentError(
        `invalid restart policy: unknown policy '${policy.Name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`,
      );
  }
}

/** Docker's caps.NormalizeLegacyCapabilities: upper case, `CAP_` prefix, `ALL` kept; unknown names refused. */
export function normalizeCapabilities(caps: readonly string[], available?: readonly string[]): string[] {
  const out: string[] = [];
  for (const c of caps) {
    let cap = c.toUpperCase();
    if (cap !== 'ALL') {
      if (!cap.startsWith('CAP_')) cap = `CAP_${cap}`;
      if (!KNOWN_CAPABILITIES.includes(cap)) throw new InvalidArgumentError(`unknown capability: ${quote(cap)}`);
      if (available && !available.includes(cap)) {
        throw new InvalidArgumentError(`capability not supported by your kernel or not available in the current environment: ${quote(cap)}`);
      }
    }
    out.push(cap);
  }
  return out;
}

function checkCapabilities(caps: string[] | null | undefined, field: 'CapAdd' | 'CapDrop', available: readonly string[] | undefined): void {
  try {
    normalizeCapabilities(caps ?? [], available);
  } catch (e) {
    throw new InvalidArgumentError(`invalid ${field}: ${(e as Error).message}`);
  }
}

/** verifyPlatformContainerResources, for the settings berth's cgroup setup honours. */
function verifyResources(h: Record<string, unknown>, limits: HostLimits, warnings: string[], update = false): void {
  // The CLI sends -1 when the user did not set swappiness.
  if (h['MemorySwappiness'] === -1) h['MemorySwappiness'] = null;
  const memory = num(h['Memory']);
  const swap = num(h['MemorySwap']);
  const reservation = num(h['MemoryReservation']);
  if (memory !== 0 && memory < MIN_MEMORY) throw new InvalidArgumentError('Minimum memory limit allowed is 6MB');
  if (memory > 0 && swap > 0 && swap < memory) throw new InvalidArgumentError('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (memory === 0 && swap > 0 && !update) {
    throw new InvalidArgumentError('You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  const swappiness = h['MemorySwappiness'];
  if (typeof swappiness === 'number' && limits.cgroupV2) {
    warnings.push('Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.');
    h['MemorySwappiness'] = null;
  } else if (typeof swappiness === 'number' && (swappiness < 0 || swappiness > 100)) {
    throw new InvalidArgumentError(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
  }
  if (reservation > 0 && reservation < MIN_MEMORY) throw new InvalidArgumentError('Minimum memory reservation allowed is 6MB');
  if (memory > 0 && reservation > 0 && memory < reservation) {
    throw new InvalidArgumentError('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if (h['OomKillDisable'] === true && limits.cgroupV2) {
    warnings.push('Your kernel does not support OomKillDisable. OomKillDisable discarded.');
    h['OomKillDisable'] = null;
  }
  if (h['OomKillDisable'] === true && memory === 0) {
    warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  }

  const nano = num(h['NanoCpus']);
  const period = num(h['CpuPeriod']);
  const quota = num(h['CpuQuota']);
  if (nano > 0 && period > 0) throw new InvalidArgumentError('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && quota > 0) throw new InvalidArgumentError('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (nano !== 0 && (nano < 0 || nano > limits.ncpu * 1e9)) {
    throw new InvalidArgumentError(`Range of CPUs is from 0.01 to ${limits.ncpu}.00, as there are only ${limits.ncpu} CPUs available`);
  }
  if (num(h['CpuShares']) < 0) throw new InvalidArgumentError(`invalid CPU shares (${num(h['CpuShares'])}): value must be a positive integer`);
  if (period !== 0 && (period < 1000 || period > 1000000)) {
    throw new InvalidArgumentError('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  if (quota > 0 && quota < 1000) throw new InvalidArgumentError('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if (num(h['CpuPercent']) > 0) {
    warnings.push('linux does not support CPU percent. Percent discarded.');
    h['CpuPercent'] = 0;
  }

  const cpus = str(h['CpusetCpus']);
  if (!cpusetAvailable(cpus, limits.cpus, 'cpus')) {
    throw new InvalidArgumentError(`Requested CPUs are not available - requested ${cpus}, available: ${limits.cpus}`);
  }
  const mems = str(h['CpusetMems']);
  if (!cpusetAvailable(mems, limits.mems, 'mems')) {
    throw new InvalidArgumentError(`Requested memory nodes are not available - requested ${mems}, available: ${limits.mems}`);
  }

  const weight = num(h['BlkioWeight']);
  if (weight > 0 && (weight < 10 || weight > 1000)) throw new InvalidArgumentError('Range of blkio weight is from 10 to 1000');
  if (num(h['IOMaximumBandwidth']) !== 0 || num(h['IOMaximumIOps']) !== 0) {
    throw new InvalidArgumentError('Invalid QoS settings: linux does not support Maximum IO Bandwidth or Maximum IO IOps');
  }
}

/** Linux's usual maximum CPU number; a list naming more is refused before it is expanded (CVE-2018-20699). */
const MAX_CPUS = 8192;

/** Parses a cpuset list ("0-3,5") as the kernel's cgroup files write it. */
export function parseCpusetList(val: string, maximum = 0): Set<number> {
  const out = new Set<number>();
  if (val === '') return out;
  const invalid = (): InvalidArgumentError => new InvalidArgumentError(`invalid format: ${val}`);
  const atoi = (s: string): number => {
    if (!/^[+-]?\d+$/.test(s)) throw invalid();
    return Number(s);
  };
  for (const r of val.split(',')) {
    const dash = r.indexOf('-');
    const [lo, hi] = dash < 0 ? [atoi(r), atoi(r)] : [atoi(r.slice(0, dash)), atoi(r.slice(dash + 1))];
    if (hi < lo) throw invalid();
    if (maximum !== 0 && hi > maximum) throw new InvalidArgumentError(`value of out range, maximum is ${maximum}`);
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return out;
}

function cpusetAvailable(requested: string, available: string, what: 'cpus' | 'mems'): boolean {
  let have: Set<number>;
  try {
    have = parseCpusetList(available);
  } catch {
    return true; // the host's own list is unreadable: leave the check to the kernel
  }
  let want: Set<number>;
  try {
    want = parseCpusetList(requested, Math.max(MAX_CPUS, ...have));
  } catch (e) {
    throw new InvalidArgumentError(`Invalid value ${requested} for cpuset ${what}: ${(e as Error).message}`);
  }
  for (const n of want) if (!have.has(n)) return false;
  return true;
}

function validIpcMode(m: string): boolean {
  return ['', 'none', 'private', 'host', 'shareable'].includes(m) || m.startsWith('container:');
}

function validPidMode(m: string): boolean {
  return m === '' || m === 'host' || (m.startsWith('container:') && m.length > 'container:'.length);
}

function validateTmpfsDestination(dest: string): void {
  const p = dest.replace(/\\/g, '/');
  if (p.replace(/\/+$/, '') === '' && p.startsWith('/')) throw new InvalidArgumentError("invalid specification: destination can't be '/'");
  if (!p.startsWith('/')) throw new InvalidArgumentError(`invalid mount path: '${p}' mount path must be absolute`);
}

/** Mount option → the flag it sets or clears (both spellings of a flag collide; so do all propagation modes). */
const MOUNT_FLAGS: Record<string, string> = {
  ro: 'rdonly',
  rw: 'rdonly',
  suid: 'nosuid',
  nosuid: 'nosuid',
  dev: 'nodev',
  nodev: 'nodev',
  exec: 'noexec',
  noexec: 'noexec',
  sync: 'sync',
  async: 'sync',
  dirsync: 'dirsync',
  remount: 'remount',
  mand: 'mand',
  nomand: 'mand',
  atime: 'noatime',
  noatime: 'noatime',
  diratime: 'nodiratime',
  nodiratime: 'nodiratime',
  bind: 'propagation',
  rbind: 'propagation',
  unbindable: 'propagation',
  runbindable: 'propagation',
  private: 'propagation',
  rprivate: 'propagation',
  shared: 'propagation',
  rshared: 'propagation',
  slave: 'propagation',
  rslave: 'propagation',
  relatime: 'relatime',
  norelatime: 'relatime',
  strictatime: 'strictatime',
  nostrictatime: 'strictatime',
};
const TMPFS_DATA = ['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol'];

/**
 * The options of a `--tmpfs` mount: Docker's defaults (noexec, nosuid, nodev, rprivate) followed by the user's,
 * later ones winning per flag (moby/sys/mount MergeTmpfsOptions).
 */
export function tmpfsOptions(data: string): string[] {
  const options = ['noexec', 'nosuid', 'nodev', 'rprivate', ...(data === '' ? [] : data.split(','))];
  const seenFlags = new Set<string>();
  const seenData = new Set<string>();
  const out: string[] = [];
  for (let i = options.length - 1; i >= 0; i--) {
    const o = options[i]!;
    if (o === 'defaults') continue;
    const flag = MOUNT_FLAGS[o];
    if (flag !== undefined) {
      if (!seenFlags.has(flag)) {
        out.unshift(o);
        seenFlags.add(flag);
      }
      continue;
    }
    const eq = o.indexOf('=');
    const key = eq < 0 ? o : o.slice(0, eq);
    if (eq < 0 || !TMPFS_DATA.includes(key)) {
      const parts = eq < 0 ? [o] : [key, o.slice(eq + 1)];
      throw new InvalidArgumentError(`invalid tmpfs option [${parts.map(quote).join(' ')}]`);
    }
    if (!seenData.has(key)) {
      out.unshift(o);
      seenData.add(key);
    }
  }
  return out;
}

export interface SecurityOptions {
  noNewPrivileges: boolean;
  /** `undefined`: the default profile; `unconfined`: none; otherwise a profile's JSON (Docker's format). */
  seccomp: undefined | 'unconfined' | { profile: string };
  /** `--security-opt writable-cgroups`: undefined leaves it to Privileged. */
  writableCgroups: boolean | undefined;
}

/** Docker's parseSecurityOpt. `label`, `apparmor` and `disable` are accepted and have no effect in berth. */
export function parseSecurityOpts(opts: readonly string[]): SecurityOptions {
  const out: SecurityOptions = { noNewPrivileges: false, seccomp: undefined, writableCgroups: undefined };
  const parseBool = (v: string, opt: string): boolean => {
    if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
    if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
    throw new InvalidArgumentError(`invalid --security-opt 2: ${quote(opt)}`);
  };
  for (const opt of opts) {
    if (opt === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    if (opt === 'writable-cgroups') {
      out.writableCgroups = true;
      continue;
    }
    if (opt === 'disable') continue;
    const sep = opt.includes('=') ? '=' : opt.includes(':') ? ':' : undefined;
    if (sep === undefined) throw new InvalidArgumentError(`invalid --security-opt 1: ${quote(opt)}`);
    const i = opt.indexOf(sep);
    const k = opt.slice(0, i);
    const v = opt.slice(i + 1);
    switch (k) {
      case 'label':
      case 'apparmor':
        break;
      case 'seccomp':
        if (v === 'unconfined') out.seccomp = 'unconfined';
        else if (v === '' || v === 'builtin') out.seccomp = undefined;
        else {
          // Docker decodes the profile when the container starts; doing it here makes a bad one a 400 at create.
          parseSeccompProfile(v);
          out.seccomp = { profile: v };
        }
        break;
      case 'no-new-privileges':
        out.noNewPrivileges = parseBool(v, opt);
        break;
      case 'writable-cgroups':
        out.writableCgroups = parseBool(v, opt);
        break;
      default:
        throw new InvalidArgumentError(`invalid --security-opt 2: ${quote(opt)}`);
    }
  }
  return out;
}

/**
 * Namespaced sysctls only (the docker CLI's list), and only when the container has its own namespace for them
 * (runc's checks: a net.* sysctl in the host's network namespace would change the host).
 */
function validateSysctls(h: Record<string, unknown>): void {
  const sysctls = (h['Sysctls'] as Record<string, string> | null | undefined) ?? {};
  for (const [k, v] of Object.entries(sysctls)) {
    if (IPC_SYSCTLS.includes(k) || k.startsWith('fs.mqueue.')) {
      if (str(h['IpcMode']) === 'host') throw new InvalidArgumentError(`sysctl ${quote(k)} is not allowed in the hosts ipc namespace`);
      continue;
    }
    if (k.startsWith('net.')) {
      if (str(h['NetworkMode']) === 'host') throw new InvalidArgumentError(`sysctl ${quote(k)} is not allowed in the hosts network namespace`);
      continue;
    }
    throw new InvalidArgumentError(`sysctl '${k}=${v}' is not allowed`);
  }
}

function validateDevices(h: Record<string, unknown>): void {
  for (const d of (h['Devices'] as DeviceMapping[] | null | undefined) ?? []) {
    if (d.PathOnHost === '') throw new InvalidArgumentError('invalid device mapping: PathOnHost is empty');
    const inContainer = d.PathInContainer || d.PathOnHost;
    if (!inContainer.startsWith('/')) throw new InvalidArgumentError(`${inContainer} is not an absolute path`);
    if (!/^[rwm]{0,3}$/.test(d.CgroupPermissions) || new Set(d.CgroupPermissions).size !== d.CgroupPermissions.length) {
      throw new InvalidArgumentError(`invalid device cgroup permissions: ${quote(d.CgroupPermissions)} (a combination of r, w and m)`);
    }
  }
  for (const rule of (h['DeviceCgroupRules'] as string[] | null | undefined) ?? []) {
    if (!DEVICE_CGROUP_RULE.test(rule)) throw new InvalidArgumentError(`invalid device cgroup rule format: '${rule}'`);
  }
}

function validateUlimits(ulimits: Ulimit[] | null | undefined): void {
  for (const u of ulimits ?? []) {
    if (!ULIMIT_NAMES.includes(u.Name)) throw new InvalidArgumentError(`invalid ulimit type: ${u.Name}`);
    if (u.Hard === -1) continue;
    if (u.Soft === -1) throw new InvalidArgumentError(`ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: ${u.Hard}`);
    if (u.Soft > u.Hard) throw new InvalidArgumentError(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
  }
}

function validateLogConfig(h: Record<string, unknown>): void {
  const lc = h['LogConfig'] as { Type: string; Config: Record<string, string> } | undefined;
  if (!lc) return;
  const type = lc.Type;
  if (type !== '' && type !== 'json-file' && type !== 'k8s-file') {
    if (DOCKER_LOG_DRIVERS.includes(type)) throw new NotImplementedError(`berth does not support the "${type}" log driver yet`);
    throw new InvalidArgumentError(`logger: no log driver named '${type}' is registered`);
  }
  const cfg = lc.Config;
  const mode = cfg['mode'] ?? '';
  if (mode !== '' && mode !== 'blocking' && mode !== 'non-blocking') throw new InvalidArgumentError(`logger: logging mode not supported: ${mode}`);
  if (cfg['max-buffer-size'] !== undefined && mode !== 'non-blocking') {
    throw new InvalidArgumentError("logger: max-buffer-size option is only supported with 'mode=non-blocking'");
  }
  for (const key of Object.keys(cfg)) {
    if (BUILTIN_LOG_OPTS.includes(key)) continue;
    if (!JSON_FILE_OPTS.includes(key)) throw new InvalidArgumentError(`unknown log opt '${key}' for json-file log driver`);
  }
  // Docker finds bad values when it opens the log at start; here they are a 400 at create, in the same words.
  readLogOptions(cfg, (msg) => new InvalidArgumentError(`failed to initialize logging driver: ${msg}`));
}

/** Docker's adaptContainerSettings and the create route's defaulting. */
function adapt(h: Record<string, unknown>, opts: HostConfigOptions): void {
  const memory = num(h['Memory']);
  if (memory > 0 && num(h['MemorySwap']) === 0) h['MemorySwap'] = memory * 2;
  if (num(h['ShmSize']) === 0) h['ShmSize'] = opts.defaultShmSize ?? DEFAULT_SHM_SIZE;
  if (str(h['IpcMode']) === '') h['IpcMode'] = opts.defaultIpcMode ?? 'private';
  if (str(h['CgroupnsMode']) === '' && opts.defaultCgroupnsMode) h['CgroupnsMode'] = opts.defaultCgroupnsMode;
  if (h['OomKillDisable'] === undefined || h['OomKillDisable'] === null) h['OomKillDisable'] = false;
  const pids = h['PidsLimit'];
  // 0 and -1 both mean unlimited; Docker stores neither.
  if (typeof pids === 'number' && pids <= 0) h['PidsLimit'] = null;
  // KernelMemory was removed in API 1.42.
  if (h['KernelMemory'] !== undefined) h['KernelMemory'] = 0;
  const lc = h['LogConfig'] as { Type: string; Config: Record<string, string> } | undefined;
  h['LogConfig'] = { Type: lc?.Type || 'json-file', Config: lc?.Config ?? {} };
}

// -- docker update ---------------------------------------------------------------------------------------------

/** The HostConfig fields `POST /containers/{id}/update` may change: Docker's Resources. */
const RESOURCE_FIELDS = [
  'CpuShares',
  'Memory',
  'NanoCpus',
  'CgroupParent',
  'BlkioWeight',
  'BlkioWeightDevice',
  'BlkioDeviceReadBps',
  'BlkioDeviceWriteBps',
  'BlkioDeviceReadIOps',
  'BlkioDeviceWriteIOps',
  'CpuPeriod',
  'CpuQuota',
  'CpuRealtimePeriod',
  'CpuRealtimeRuntime',
  'CpusetCpus',
  'CpusetMems',
  'Devices',
  'DeviceCgroupRules',
  'DeviceRequests',
  'KernelMemory',
  'KernelMemoryTCP',
  'MemoryReservation',
  'MemorySwap',
  'MemorySwappiness',
  'OomKillDisable',
  'PidsLimit',
  'Ulimits',
  'CpuCount',
  'CpuPercent',
  'IOMaximumIOps',
  'IOMaximumBandwidth',
];

/**
 * `docker update`: validates an update body (Docker's UpdateConfig: Resources and RestartPolicy) and merges it
 * into the container's HostConfig as moby's Container.UpdateContainer does: a zero value leaves a setting as
 * it was, and Nano CPUs never meet CPU period/quota. Conflicts are ConflictErrors (409), prefixed with
 * "Cannot update container <id>: " when `id` is given.
 */
export function applyUpdate(current: HostConfig, raw: unknown, opts: { limits?: HostLimits; id?: string } = {}): HostConfig {
  if (raw === undefined || raw === null) raw = {};
  if (!isObject(raw)) throw new InvalidArgumentError('invalid update config: not a JSON object');
  const u: Record<string, unknown> = {};
  for (const k of [...RESOURCE_FIELDS, 'RestartPolicy']) if (k in raw) u[k] = raw[k];
  checkTypes(u);
  // The update route: KernelMemory is gone since API 1.42; 0 and -1 both lift the pids limit.
  u['KernelMemory'] = 0;
  if (typeof u['PidsLimit'] === 'number' && u['PidsLimit'] <= 0) u['PidsLimit'] = 0;
  const restart = u['RestartPolicy'] as { Name: string; MaximumRetryCount: number } | undefined;
  if (restart) validateRestartPolicy(restart);
  verifyResources(u, opts.limits ?? readHostLimits(), [], true);

  const conflict = (msg: string): never => {
    throw new ConflictError(opts.id ? `Cannot update container ${opts.id}: ${msg}` : msg);
  };
  const cur = current as Record<string, unknown>;
  const next: Record<string, unknown> = { ...cur };
  const nano = num(u['NanoCpus']);
  const period = num(u['CpuPeriod']);
  const quota = num(u['CpuQuota']);
  if (nano > 0 && num(cur['CpuPeriod']) > 0) conflict('Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set');
  if (nano > 0 && num(cur['CpuQuota']) > 0) conflict('Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set');
  if (period > 0 && num(cur['NanoCpus']) > 0) conflict('Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
  if (quota > 0 && num(cur['NanoCpus']) > 0) conflict('Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
  for (const k of ['BlkioWeight', 'CpuShares', 'NanoCpus', 'CpuPeriod', 'CpuQuota', 'CpuRealtimePeriod', 'CpuRealtimeRuntime']) {
    if (num(u[k]) !== 0) next[k] = u[k];
  }
  for (const k of ['CpusetCpus', 'CpusetMems']) if (str(u[k]) !== '') next[k] = u[k];
  const memory = num(u['Memory']);
  if (memory !== 0) {
    if (memory > num(cur['MemorySwap']) && num(u['MemorySwap']) === 0) {
      conflict('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    }
    next['Memory'] = memory;
  }
  if (num(u['MemorySwap']) !== 0) next['MemorySwap'] = u['MemorySwap'];
  if (num(u['MemoryReservation']) !== 0) next['MemoryReservation'] = u['MemoryReservation'];
  if (u['PidsLimit'] !== undefined && u['PidsLimit'] !== null) next['PidsLimit'] = u['PidsLimit'];
  if (restart && restart.Name !== '') {
    if (cur['AutoRemove'] === true && restart.Name !== 'no') {
      conflict('Restart policy cannot be updated because AutoRemove is enabled for the container');
    }
    next['RestartPolicy'] = restart;
  }
  return next as HostConfig;
}

// -- OCI resources ---------------------------------------------------------------------------------------------

export type OciDeviceRule = {
  allow: boolean;
  type?: string;
  major?: number;
  minor?: number;
  access?: string;
};

/** The OCI `linux.resources` object. */
export type OciLinuxResources = {
  devices?: OciDeviceRule[];
  memory?: { limit?: number; reservation?: number; swap?: number; swappiness?: number; disableOOMKiller?: boolean };
  cpu?: { shares?: number; quota?: number; period?: number; realtimePeriod?: number; realtimeRuntime?: number; cpus?: string; mems?: string };
  pids?: { limit: number };
  blockIO?: {
    weight?: number;
    weightDevice?: { major: number; minor: number; weight: number }[];
    throttleReadBpsDevice?: { major: number; minor: number; rate: number }[];
    throttleWriteBpsDevice?: { major: number; minor: number; rate: number }[];
    throttleReadIOPSDevice?: { major: number; minor: number; rate: number }[];
    throttleWriteIOPSDevice?: { major: number; minor: number; rate: number }[];
  };
};

/** The CFS period Docker pairs with NanoCpus: 100ms, in microseconds. */
const NANO_CPUS_PERIOD = 100_000;

/**
 * The cgroup limits of a HostConfig in OCI form (moby getMemoryResources, getCPUResources, getPidsLimit and the
 * blkio weight): what `runc update` applies to a running container. Devices and per-device blkio limits need
 * the host's device numbers; the spec builder adds them.
 */
export function linuxResources(host: HostConfig): OciLinuxResources {
  const h = host as Record<string, unknown>;
  const out: OciLinuxResources = {};
  const memory: NonNullable<OciLinuxResources['memory']> = {};
  if (num(h['Memory']) > 0) memory.limit = num(h['Memory']);
  if (num(h['MemoryReservation']) > 0) memory.reservation = num(h['MemoryReservation']);
  if (num(h['MemorySwap']) > 0) memory.swap = num(h['MemorySwap']);
  const swappiness = h['MemorySwappiness'];
  if (typeof swappiness === 'number' && swappiness >= 0) memory.swappiness = swappiness;
  if (typeof h['OomKillDisable'] === 'boolean' && h['OomKillDisable']) memory.disableOOMKiller = true;
  if (Object.keys(memory).length > 0) out.memory = memory;

  const cpu: NonNullable<OciLinuxResources['cpu']> = {};
  if (num(h['CpuShares']) > 0) cpu.shares = num(h['CpuShares']);
  if (str(h['CpusetCpus']) !== '') cpu.cpus = str(h['CpusetCpus']);
  if (str(h['CpusetMems']) !== '') cpu.mems = str(h['CpusetMems']);
  const nano = num(h['NanoCpus']);
  if (nano > 0) {
    cpu.period = NANO_CPUS_PERIOD;
    // NanoCpus × period / 1e9, exactly (the product can pass 2^53).
    cpu.quota = Number((BigInt(nano) * BigInt(NANO_CPUS_PERIOD)) / 1_000_000_000n);
  }
  if (num(h['CpuPeriod']) !== 0) cpu.period = num(h['CpuPeriod']);
  if (num(h['CpuQuota']) !== 0) cpu.quota = num(h['CpuQuota']);
  if (num(h['CpuRealtimePeriod']) !== 0) cpu.realtimePeriod = num(h['CpuRealtimePeriod']);
  if (num(h['CpuRealtimeRuntime']) !== 0) cpu.realtimeRuntime = num(h['CpuRealtimeRuntime']);
  if (Object.keys(cpu).length > 0) out.cpu = cpu;

  const pids = h['PidsLimit'];
  // 0 and negative values mean unlimited; runc needs -1 to lift an earlier limit.
  if (typeof pids === 'number') out.pids = { limit: pids > 0 ? pids : -1 };
  if (num(h['BlkioWeight']) !== 0) out.blockIO = { weight: num(h['BlkioWeight']) };
  return out;
}

// -- reading the stored record ---------------------------------------------------------------------------------

export interface RestartPolicy {
  Name: 'no' | 'always' | 'unless-stopped' | 'on-failure';
  /** on-failure only: restarts allowed before giving up; 0 = no limit. */
  MaximumRetryCount: number;
}

/** The container's restart policy; an empty name (what Docker before v25 stored) is "no". */
export function restartPolicyOf(host: HostConfig): RestartPolicy {
  const name = host.RestartPolicy?.Name ?? '';
  const count = host.RestartPolicy?.MaximumRetryCount ?? 0;
  switch (name) {
    case 'always':
    case 'unless-stopped':
      return { Name: name, MaximumRetryCount: 0 };
    case 'on-failure':
      return { Name: name, MaximumRetryCount: Math.max(0, count) };
    default:
      return { Name: 'no', MaximumRetryCount: 0 };
  }
}

export interface LogOptions {
  /** Rotate when the log reaches this many bytes; 0 = never. */
  maxSize: number;
  /** Files to keep, the current one included (at least 1). Rotation needs maxSize. */
  maxFile: number;
  /** Compress rotated files (json-file `compress=true`). */
  compress: boolean;
}

/** The json-file options of a container's LogConfig (validated at create). */
export function logOptions(host: HostConfig): LogOptions {
  return readLogOptions(host.LogConfig?.Config ?? {}, (msg) => new InvalidArgumentError(msg));
}

/** jsonfilelog.New's reading of max-size, max-file and compress, with its errors. */
function readLogOptions(cfg: Record<string, string>, err: (msg: string) => Error): LogOptions {
  let maxSize = 0;
  const size = cfg['max-size'];
  if (size !== undefined) {
    try {
      maxSize = fromHumanSize(size);
    } catch (e) {
      throw err((e as Error).message);
    }
    if (maxSize <= 0) throw err('max-size must be a positive number');
  }
  let maxFile = 1;
  const files = cfg['max-file'];
  if (files !== undefined) {
    if (!/^[+-]?\d+$/.test(files)) throw err(`strconv.Atoi: parsing ${quote(files)}: invalid syntax`);
    maxFile = Number(files);
    if (maxFile < 1) throw err('max-file cannot be less than 1');
  }
  let compress = false;
  const c = cfg['compress'];
  if (c !== undefined) {
    if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(c)) compress = true;
    else if (!['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(c)) throw err(`strconv.ParseBool: parsing ${quote(c)}: invalid syntax`);
    if (compress && (maxFile === 1 || maxSize === 0)) throw err('compress cannot be true when max-file is less than 2 or max-size is not set');
  }
  return { maxSize, maxFile, compress };
}

export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

// -- small helpers ---------------------------------------------------------------------------------------------

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function nonEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return v !== '' && v !== false && v !== 0;
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
