import type { ContainerRecord } from '../../core/containers.js';
import type { OciSpec } from '../../core/runtime.js';
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

export interface SpecInputs {
  container: ContainerRecord;
  user: ResolvedUser;
  /** Cgroup path for the container, e.g. `/berth/<id>`. */
  cgroupsPath: string;
  /** A private cgroup namespace: Docker's default on cgroup v2; on v1 it shares the host's. */
  privateCgroupns: boolean;
}

/**
 * Builds the OCI runtime spec for a container from its record, the way Docker's daemon/oci_linux.go does for
 * the options berth supports so far: namespaces (network is a private one with only loopback until the
 * networking work lands), Docker's default capabilities, masked and read-only /proc paths, the standard /dev,
 * /dev/shm, /dev/mqueue, /sys and cgroup mounts, and the engine-managed /etc/hosts, /etc/hostname and
 * /etc/resolv.conf bind-mounted from the container's directory.
 */
export function buildOciSpec({ container, user, cgroupsPath, privateCgroupns }: SpecInputs): OciSpec {
  const cfg = container.config;
  const host = container.hostConfig;
  const tty = cfg.Tty === true;
  const hostname = cfg.Hostname || container.id.slice(0, 12);
  const caps = host.Privileged ? ALL_CAPABILITIES : DEFAULT_CAPABILITIES;
  const shmSize = typeof host.ShmSize === 'number' && host.ShmSize > 0 ? host.ShmSize : 64 * 1024 * 1024;
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: tty,
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      args: [container.path, ...container.args],
      env: processEnv(container, hostname, user.home),
      cwd: cfg.WorkingDir || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
      noNewPrivileges: false,
      oomScoreAdj: 0,
    },
    root: { path: 'rootfs', readonly: host.ReadonlyRootfs === true },
    hostname,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize}`] },
      { destination: '/etc/resolv.conf', type: 'bind', source: `${container.dir}/resolv.conf`, options: ['rbind', 'rprivate'] },
      { destination: '/etc/hostname', type: 'bind', source: `${container.dir}/hostname`, options: ['rbind', 'rprivate'] },
      { destination: '/etc/hosts', type: 'bind', source: `${container.dir}/hosts`, options: ['rbind', 'rprivate'] },
    ],
    linux: {
      namespaces: [
        { type: 'pid' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
        { type: 'network' },
        ...(privateCgroupns ? [{ type: 'cgroup' }] : []),
      ],
      cgroupsPath,
      resources: { devices: [{ allow: false, access: 'rwm' }, ...DEFAULT_DEVICE_RULES] },
      maskedPaths: host.Privileged ? [] : MASKED_PATHS,
      readonlyPaths: host.Privileged ? [] : READONLY_PATHS,
    },
  };
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

const DEFAULT_DEVICE_RULES = [
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

const ALL_CAPABILITIES = [
  ...DEFAULT_CAPABILITIES,
  'CAP_DAC_READ_SEARCH',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_LEASE',
  'CAP_AUDIT_CONTROL',
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
