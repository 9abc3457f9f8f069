import { existsSync, lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerRecord } from '../../core/containers.js';
import { FailedPreconditionError, InternalError, InvalidArgumentError } from '../../core/errdefs.js';
import { RLIM_INFINITY, type OciSpec } from '../../core/runtime.js';
import {
  currentCapabilities,
  KNOWN_CAPABILITIES,
  linuxResources,
  normalizeCapabilities,
  parseSecurityOpts,
  tmpfsOptions,
  type DeviceMapping,
  type OciDeviceRule,
  type OciLinuxResources,
  type Ulimit,
} from './host-config.js';
import { DEFAULT_SECCOMP_PROFILE, parseSeccompProfile, seccompToOci, type OciSeccomp } from './seccomp-profile.js';
import type { ResolvedUser } from './user-lookup.js';

/** Docker's default capability set for unprivileged containers. */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** Paths Docker hides from containers (information leaks about the host, or dangerous knobs). */
export const MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Where `--init` puts the init binary inside the container, as Docker does. */
export const CONTAINER_INIT_PATH = '/sbin/docker-init';

/** Host paths of a static tini, most Docker-like first (Debian's tini package installs /usr/bin/tini-static). */
export const INIT_BINARY_CANDIDATES = ['/usr/libexec/docker/docker-init', '/usr/bin/docker-init', '/usr/bin/tini-static', '/usr/local/bin/tini-static'];

/** The first init binary present on this host, for the daemon to pass as `initPath`. */
export function findInitBinary(candidates: readonly string[] = INIT_BINARY_CANDIDATES, exists: (p: string) => boolean = existsSync): string | undefined {
  return candidates.find((p) => exists(p));
}

/** A host device node as the OCI spec lists it. */
export interface OciDevice {
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

/** What the spec needs from the host beyond the container record; tests replace these. */
export interface SpecHost {
  /** Native architecture for the seccomp profile (libseccomp's names: amd64, arm64...); default: this process's. */
  arch?: string;
  /** Kernel release (`uname -r`), for seccomp rules with a minimum kernel; default: this host's. */
  kernel?: string;
  /** The device node at a host path, or undefined when it is not one (default: lstat). */
  deviceAt?: (path: string) => OciDevice | undefined;
  /** Every device of the host, for privileged containers (default: a walk of /dev). */
  hostDevices?: () => OciDevice[];
  /** Whether the kernel has a sysctl (default: its file under /proc/sys exists). */
  sysctlExists?: (name: string) => boolean;
  /** The daemon's own capabilities, all a privileged container gets (default: this process's effective set). */
  capabilities?: readonly string[];
}

export interface SpecInputs {
  container: ContainerRecord;
  /** The resolved user; its additionalGids should already include the GroupAdd gids (see `groupAdd`). */
  user: ResolvedUser;
  /** Cgroup path for the container, e.g. `/berth/<id>`. */
  cgroupsPath: string;
  /** A private cgroup namespace: Docker's default on cgroup v2; on v1 it shares the host's. */
  privateCgroupns: boolean;
  /** HostConfig.GroupAdd resolved to gids against the container's /etc/group, when not already in `user`. */
  groupAdd?: number[];
  /**
   * Namespaces of other containers to join (PidMode / IpcMode `container:<x>`), resolved by the caller to
   * `/proc/<pid>/ns/pid` and `/proc/<pid>/ns/ipc` of the running donor.
   */
  namespacePaths?: { pid?: string | undefined; ipc?: string | undefined; net?: string | undefined };
  /**
   * A host directory to bind at /dev/shm (Docker's ShmPath): for IpcMode `shareable`, a tmpfs the caller mounted
   * (size ShmSize) so that others can join it; for `container:<x>`, the donor's. Without it /dev/shm is a tmpfs
   * in the container's own mount namespace.
   */
  shmPath?: string | undefined;
  /** Host path of a static init (tini) for HostConfig.Init; see {@link findInitBinary}. */
  initPath?: string | undefined;
  /** Volumes, bind mounts and `--mount` tmpfs mounts (services/containers/mounts.ts), parents first. */
  extraMounts?: OciSpec['mounts'];
  host?: SpecHost;
}

/**
 * Builds the OCI runtime spec for a container from its record, the way Docker's daemon/oci_linux.go does:
 * namespaces (a private network with only loopback until the networking work lands; pid, ipc and uts shared
 * with the host or another container on request), capabilities (Docker's defaults, --cap-add/--cap-drop, all
 * for --privileged), seccomp (Docker's default profile unless unconfined or privileged), cgroup limits and
 * device rules, rlimits, sysctls, masked and read-only /proc paths, the standard /dev, /dev/shm, /dev/mqueue,
 * /sys and cgroup mounts, --tmpfs mounts, --init, and the engine-managed /etc/hosts, /etc/hostname and
 * /etc/resolv.conf bind-mounted from the container's directory.
 */
export function buildOciSpec(inputs: SpecInputs): OciSpec {
  const { container, user, cgroupsPath } = inputs;
  const hostOps = inputs.host ?? {};
  const cfg = container.config;
  const host = container.hostConfig as Record<string, unknown>;
  const privileged = host['Privileged'] === true;
  const security = parseSecurityOpts(stringList(host['SecurityOpt']));
  const tty = cfg.Tty === true;
  const pidMode = str(host['PidMode']);
  const ipcMode = str(host['IpcMode']);
  const utsHost = host['UTSMode'] === 'host';
  const hostname = cfg.Hostname || container.id.slice(0, 12);
  const all = hostOps.capabilities ?? currentCapabilities() ?? KNOWN_CAPABILITIES;
  const caps = privileged ? [...all] : tweakCapabilities(DEFAULT_CAPABILITIES, stringList(host['CapAdd']), stringList(host['CapDrop']), all);

  // --init runs tini as PID 1, only where there is a PID namespace of our own to be init of.
  const pidPrivate = pidMode === '' || (pidMode !== 'host' && !pidMode.startsWith('container:'));
  const useInit = host['Init'] === true && pidPrivate;
  if (useInit && !inputs.initPath) throw new FailedPreconditionError('exec: "docker-init": executable file not found in $PATH');
  const args = useInit ? [CONTAINER_INIT_PATH, '--', container.path, ...container.args] : [container.path, ...container.args];

  const gids = dedupe([user.gid, ...user.additionalGids, ...(inputs.groupAdd ?? [])]);
  const process: OciSpec['process'] = {
    terminal: tty,
    user: { uid: user.uid, gid: user.gid, additionalGids: gids },
    args,
    env: processEnv(container, hostname, user.home),
    cwd: cfg.WorkingDir || '/',
    capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
    noNewPrivileges: security.noNewPrivileges,
    oomScoreAdj: num(host['OomScoreAdj']),
  };
  const rlimits = ulimitsToRlimits(host['Ulimits'] as Ulimit[] | null | undefined);
  if (rlimits.length > 0) process.rlimits = rlimits;

  const spec: OciSpec = {
    ociVersion: '1.0.2',
    process,
    root: { path: 'rootfs', readonly: host['ReadonlyRootfs'] === true },
    mounts: buildMounts(inputs, { privileged, writableCgroups: security.writableCgroups ?? privileged, useInit }),
    linux: {
      namespaces: buildNamespaces(inputs, pidMode, ipcMode, utsHost),
      cgroupsPath,
      resources: {},
      maskedPaths: privileged ? [] : MASKED_PATHS,
      readonlyPaths: privileged ? [] : READONLY_PATHS,
    },
  };
  if (!utsHost) {
    spec.hostname = hostname;
    if (cfg.Domainname) spec['domainname'] = cfg.Domainname;
  }
  // Set explicitly (the CLI's `--security-opt systempaths=unconfined` sends empty lists), they win even over --privileged.
  if (Array.isArray(host['MaskedPaths'])) spec.linux.maskedPaths = stringList(host['MaskedPaths']);
  if (Array.isArray(host['ReadonlyPaths'])) spec.linux.readonlyPaths = stringList(host['ReadonlyPaths']);

  const { devices, rules } = buildDevices(host, privileged, hostOps);
  const resources: OciLinuxResources = { devices: rules, ...linuxResources(container.hostConfig) };
  addBlkioDevices(resources, host, hostOps);
  spec.linux.resources = resources;
  if (devices.length > 0) spec.linux.devices = devices;

  const sysctl = buildSysctls(host, hostOps);
  if (Object.keys(sysctl).length > 0) spec.linux.sysctl = sysctl;

  const seccomp = buildSeccomp(security.seccomp, privileged, caps, hostOps);
  if (seccomp) spec.linux.seccomp = seccomp;
  return spec;
}

/** The process environment: Docker puts PATH (when the config has none), HOSTNAME, TERM for a tty, then the config's. */
export function processEnv(container: ContainerRecord, hostname: string, home: string): string[] {
  const configured = container.config.Env ?? [];
  const has = (k: string): boolean => configured.some((e) => e === k || e.startsWith(`${k}=`));
  const env: string[] = [];
  if (!has('PATH')) env.push(`PATH=${DEFAULT_PATH}`);
  env.push(`HOSTNAME=${hostname}`);
  if (container.config.Tty) env.push('TERM=xterm');
  env.push(...configured);
  if (!has('HOME')) env.push(`HOME=${home}`);
  return env;
}

/**
 * Docker's caps.TweakCapabilities: drop then add; `ALL` in the adds means every capability but the dropped
 * ones, `ALL` in the drops means only the added ones.
 */
export function tweakCapabilities(
  base: readonly string[],
  adds: readonly string[],
  drops: readonly string[],
  all: readonly string[] = KNOWN_CAPABILITIES,
): string[] {
  if (adds.length === 0 && drops.length === 0) return [...base];
  const capDrop = normalizeCapabilities(drops);
  const capAdd = normalizeCapabilities(adds);
  if (capAdd.includes('ALL')) return all.filter((c) => !capDrop.includes(c));
  if (capDrop.includes('ALL')) return dedupe(capAdd);
  return dedupe([...base.filter((c) => !capDrop.includes(c)), ...capAdd]);
}

// -- mounts ----------------------------------------------------------------------------------------------------

type Mount = OciSpec['mounts'][number];

function buildMounts(inputs: SpecInputs, opts: { privileged: boolean; writableCgroups: boolean; useInit: boolean }): Mount[] {
  const { container } = inputs;
  const host = container.hostConfig as Record<string, unknown>;
  const ipcMode = str(host['IpcMode']);
  const shmSize = num(host['ShmSize']) > 0 ? num(host['ShmSize']) : 64 * 1024 * 1024;
  const defaults: Mount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  ];
  // /dev/shm: a tmpfs of its own; none for IpcMode none; the host's for host; a host directory the caller
  // prepared (shareable: a tmpfs the caller mounted; container:<x>: the donor's) when given. A mount cannot be
  // bound in from another container's mount namespace, so without `shmPath` a joiner gets its own tmpfs (its
  // System V IPC is still shared, through the namespace).
  const shm: Mount = { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize}`] };
  const userMounts: Mount[] = [];
  if (ipcMode === 'host') {
    userMounts.push({ destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate'] });
  } else if (inputs.shmPath && ipcMode !== 'none') {
    userMounts.push({ destination: '/dev/shm', type: 'bind', source: inputs.shmPath, options: ['rbind', 'rprivate'] });
  } else if (ipcMode !== 'none') {
    defaults.push(shm);
  }
  if (opts.useInit) {
    userMounts.push({ destination: CONTAINER_INIT_PATH, type: 'bind', source: inputs.initPath!, options: ['bind', 'ro'] });
  }
  userMounts.push(
    { destination: '/etc/resolv.conf', type: 'bind', source: `${container.dir}/resolv.conf`, options: ['rbind', 'rprivate'] },
    { destination: '/etc/hostname', type: 'bind', source: `${container.dir}/hostname`, options: ['rbind', 'rprivate'] },
    { destination: '/etc/hosts', type: 'bind', source: `${container.dir}/hosts`, options: ['rbind', 'rprivate'] },
  );
  const tmpfs = Object.entries((host['Tmpfs'] as Record<string, string> | null | undefined) ?? {})
    .map(([dest, data]): Mount => ({ destination: dest, type: 'tmpfs', source: 'tmpfs', options: tmpfsOptions(data) }))
    // Parents before children (Docker's sortMounts).
    .sort((a, b) => depth(a.destination) - depth(b.destination));
  // A tmpfs on the engine's own files would hide them: it replaces their bind mounts, as a user mount does in Docker.
  const extra = inputs.extraMounts ?? [];
  const tmpfsDests = new Set([...tmpfs, ...extra].map((m) => m.destination));
  const mounts = [...userMounts.filter((m) => !tmpfsDests.has(m.destination)), ...[...tmpfs, ...extra].sort((a, b) => depth(a.destination) - depth(b.destination))];

  const overridden = new Set(mounts.map((m) => m.destination));
  const devMounted = overridden.has('/dev');
  const kept = defaults.filter((m) => !overridden.has(m.destination) && !(devMounted && m.destination.startsWith('/dev/')));

  if (host['ReadonlyRootfs'] === true) {
    for (const m of kept) {
      if (['/proc', '/dev/pts', '/dev/shm', '/dev/mqueue', '/dev'].includes(m.destination)) continue;
      if (!m.options?.includes('ro')) m.options = [...(m.options ?? []), 'ro'];
    }
  }
  if (opts.privileged) {
    for (const m of kept) if (m.destination === '/sys') m.options = m.options?.filter((o) => o !== 'ro');
  }
  if (opts.writableCgroups) {
    for (const m of kept) if (m.type === 'cgroup') m.options = m.options?.filter((o) => o !== 'ro');
  }
  return [...kept, ...mounts];
}

function depth(p: string): number {
  return p.split('/').filter(Boolean).length;
}

// -- namespaces ------------------------------------------------------------------------------------------------

function buildNamespaces(inputs: SpecInputs, pidMode: string, ipcMode: string, utsHost: boolean): { type: string; path?: string }[] {
  const host = inputs.container.hostConfig as Record<string, unknown>;
  const joined = (kind: 'pid' | 'ipc'): { type: string; path: string } => {
    const path = inputs.namespacePaths?.[kind];
    if (!path) throw new InternalError(`the ${kind === 'pid' ? 'PID' : 'IPC'} namespace to join was not resolved`);
    return { type: kind, path };
  };
  const ns: { type: string; path?: string }[] = [];
  if (pidMode.startsWith('container:')) ns.push(joined('pid'));
  else if (pidMode !== 'host') ns.push({ type: 'pid' });
  if (ipcMode.startsWith('container:')) ns.push(joined('ipc'));
  else if (ipcMode !== 'host') ns.push({ type: 'ipc' });
  if (!utsHost) ns.push({ type: 'uts' });
  ns.push({ type: 'mount' });
  // The network: the host's (no entry), a prepared sandbox or another container's (a path), or a new one with loopback only.
  const netMode = str(host['NetworkMode']);
  const netPath = inputs.namespacePaths?.net;
  if (netMode !== 'host') ns.push(netPath ? { type: 'network', path: netPath } : { type: 'network' });
  const cgroupns = str(host['CgroupnsMode']);
  if (cgroupns === 'private' || (cgroupns === '' && inputs.privateCgroupns)) ns.push({ type: 'cgroup' });
  return ns;
}

// -- devices ---------------------------------------------------------------------------------------------------

/** Docker's default device cgroup rules: deny all, then the standard nodes and ptys. */
const DEFAULT_DEVICE_RULES: OciDeviceRule[] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
  { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
  { allow: true, type: 'c', major: 136, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
];

/** Docker's WithDevices: the nodes to create in the container and the device cgroup rules. */
function buildDevices(host: Record<string, unknown>, privileged: boolean, ops: SpecHost): { devices: OciDevice[]; rules: OciDeviceRule[] } {
  const mappings = (host['Devices'] as DeviceMapping[] | null | undefined) ?? [];
  const devices: OciDevice[] = [];
  if (privileged) {
    devices.push(...(ops.hostDevices ?? listHostDevices)());
    for (const m of mappings) {
      const inContainer = m.PathInContainer || m.PathOnHost;
      // The host's /dev is there already.
      if (inContainer === m.PathOnHost) continue;
      devices.push(...devicesFromPath(m.PathOnHost, inContainer, 'rwm', ops).devices);
    }
    return { devices, rules: [{ allow: true, access: 'rwm' }] };
  }
  const rules = DEFAULT_DEVICE_RULES.map((r) => ({ ...r }));
  for (const m of mappings) {
    const got = devicesFromPath(m.PathOnHost, m.PathInContainer || m.PathOnHost, m.CgroupPermissions || 'rwm', ops);
    devices.push(...got.devices);
    rules.push(...got.rules);
  }
  for (const rule of stringList(host['DeviceCgroupRules'])) rules.push(parseDeviceCgroupRule(rule));
  return { devices, rules };
}

/** `c 1:3 rwm`, `b *:* m`, `a 7:* r` → a device cgroup rule (`*` matches any number). */
export function parseDeviceCgroupRule(rule: string): OciDeviceRule {
  const m = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/.exec(rule);
  if (!m) throw new InvalidArgumentError(`invalid device cgroup rule format: '${rule}'`);
  const out: OciDeviceRule = { allow: true, type: m[1]!, access: m[4]! };
  if (m[2] !== '*') out.major = Number(m[2]);
  if (m[3] !== '*') out.minor = Number(m[3]);
  return out;
}

/**
 * moby's oci.DevicesFromPath: a device node (symlinks followed), or every node under a directory, placed at
 * `inContainer` and allowed with `permissions`.
 */
export function devicesFromPath(onHost: string, inContainer: string, permissions: string, ops: SpecHost = {}): { devices: OciDevice[]; rules: OciDeviceRule[] } {
  const deviceAt = ops.deviceAt ?? readDeviceNode;
  let resolved = onHost;
  try {
    if (lstatSync(onHost).isSymbolicLink()) resolved = realpathSync(onHost);
  } catch {
    // not there: reported below
  }
  const rule = (d: OciDevice): OciDeviceRule => ({ allow: true, type: d.type, major: d.major, minor: d.minor, access: permissions });
  const one = deviceAt(resolved);
  if (one) {
    const d = { ...one, path: inContainer };
    return { devices: [d], rules: [rule(d)] };
  }
  const devices: OciDevice[] = [];
  let isDir = false;
  try {
    isDir = statSync(resolved).isDirectory();
  } catch {
    isDir = false;
  }
  if (isDir) {
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, entry.name);
        if (entry.isDirectory()) walk(p);
        const d = deviceAt(p);
        if (d) devices.push({ ...d, path: inContainer + p.slice(resolved.length) });
      }
    };
    walk(resolved);
  }
  if (devices.length === 0) {
    const why = existsSync(resolved) ? 'not a device node' : 'no such file or directory';
    throw new InvalidArgumentError(`error gathering device information while adding custom device "${onHost}": ${why}`);
  }
  return { devices, rules: devices.map(rule) };
}

/** The device node at a host path (not following symlinks), or undefined when it is none. */
export function readDeviceNode(path: string): OciDevice | undefined {
  let st;
  try {
    st = lstatSync(path, { bigint: true });
  } catch {
    return undefined;
  }
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined;
  if (!type) return undefined;
  const { major, minor } = splitDeviceNumber(st.rdev);
  return { path, type, major, minor, fileMode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid) };
}

/** Linux's encoding of dev_t (glibc gnu_dev_major / gnu_dev_minor). */
export function splitDeviceNumber(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

/** containerd's HostDevices: every device node under /dev, minus pseudo-terminal, shm and friends. */
export function listHostDevices(root = '/dev'): OciDevice[] {
  const out: OciDevice[] = [];
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (!['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev'].includes(e.name)) walk(p);
        continue;
      }
      if (e.name === 'console') continue;
      const d = readDeviceNode(p);
      if (d) out.push(d);
    }
  };
  walk(root);
  return out;
}

/** Per-device blkio weights and throttles need the devices' numbers (moby getBlkioWeightDevices and friends). */
function addBlkioDevices(resources: OciLinuxResources, host: Record<string, unknown>, ops: SpecHost): void {
  const lookup = (path: string): { major: number; minor: number } => {
    let resolved = path;
    try {
      resolved = realpathSync(path);
    } catch {
      // reported below
    }
    const d = (ops.deviceAt ?? readDeviceNode)(resolved);
    if (!d) throw new InvalidArgumentError(`stat ${path}: no such device`);
    return { major: d.major, minor: d.minor };
  };
  const weights = (host['BlkioWeightDevice'] as { Path: string; Weight: number }[] | null | undefined) ?? [];
  const throttles: [string, 'throttleReadBpsDevice' | 'throttleWriteBpsDevice' | 'throttleReadIOPSDevice' | 'throttleWriteIOPSDevice'][] = [
    ['BlkioDeviceReadBps', 'throttleReadBpsDevice'],
    ['BlkioDeviceWriteBps', 'throttleWriteBpsDevice'],
    ['BlkioDeviceReadIOps', 'throttleReadIOPSDevice'],
    ['BlkioDeviceWriteIOps', 'throttleWriteIOPSDevice'],
  ];
  const blockIO = { ...(resources.blockIO ?? {}) };
  if (weights.length > 0) blockIO.weightDevice = weights.map((w) => ({ ...lookup(w.Path), weight: w.Weight }));
  for (const [field, oci] of throttles) {
    const list = (host[field] as { Path: string; Rate: number }[] | null | undefined) ?? [];
    if (list.length > 0) blockIO[oci] = list.map((t) => ({ ...lookup(t.Path), rate: t.Rate }));
  }
  if (Object.keys(blockIO).length > 0) resources.blockIO = blockIO;
}

// -- rlimits, sysctls, seccomp ---------------------------------------------------------------------------------

function ulimitsToRlimits(ulimits: Ulimit[] | null | undefined): { type: string; hard: number; soft: number }[] {
  const limit = (n: number): number => (n < 0 ? RLIM_INFINITY : n);
  return (ulimits ?? []).map((u) => ({ type: `RLIMIT_${u.Name.toUpperCase()}`, hard: limit(u.Hard), soft: limit(u.Soft) }));
}

/**
 * Docker's defaults for a container with its own network namespace (unprivileged ping, ports below 1024
 * without CAP_NET_BIND_SERVICE), where the kernel has them, then the user's sysctls.
 */
function buildSysctls(host: Record<string, unknown>, ops: SpecHost): Record<string, string> {
  const exists = ops.sysctlExists ?? ((name: string) => existsSync(join('/proc/sys', name.replace(/\./g, '/'))));
  const out: Record<string, string> = {};
  const net = str(host['NetworkMode']);
  if (net !== 'host' && !net.startsWith('container:')) {
    if (exists('net.ipv4.ping_group_range')) out['net.ipv4.ping_group_range'] = '0 2147483647';
    if (exists('net.ipv4.ip_unprivileged_port_start')) out['net.ipv4.ip_unprivileged_port_start'] = '0';
  }
  Object.assign(out, (host['Sysctls'] as Record<string, string> | null | undefined) ?? {});
  return out;
}

/** Docker's WithSeccomp: none when unconfined; for --privileged only a profile the user gave; else default or custom. */
function buildSeccomp(choice: ReturnType<typeof parseSecurityOpts>['seccomp'], privileged: boolean, caps: string[], ops: SpecHost): OciSeccomp | undefined {
  if (choice === 'unconfined') return undefined;
  if (privileged && choice === undefined) return undefined;
  const profile = choice === undefined ? DEFAULT_SECCOMP_PROFILE : parseSeccompProfile(choice.profile);
  return seccompToOci(profile, { capabilities: caps, ...(ops.arch ? { arch: ops.arch } : {}), ...(ops.kernel ? { kernel: ops.kernel } : {}) });
}

// -- helpers ---------------------------------------------------------------------------------------------------

function dedupe<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

function stringList(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
