/**
 * Seccomp profiles: Docker's default, Docker's profile format, and its conversion to the OCI form runc reads.
 *
 * Docker's format (moby/profiles seccomp.Seccomp) is the OCI `linux.seccomp` object plus two things runc does
 * not know: an `archMap` (the native architecture and the sub-architectures whose syscall tables a process may
 * also use, e.g. x86 and x32 on x86_64), and rules that apply only under conditions (`includes`/`excludes` on
 * capabilities, architecture or minimum kernel). The conversion keeps the rules whose conditions hold for one
 * container (its bounding capabilities) on one host (architecture, kernel) and drops the conditions.
 *
 * The default profile denies every syscall with EPERM except an allow-list of ordinary ones; syscalls guarded by
 * a capability (mount needs CAP_SYS_ADMIN, ptrace CAP_SYS_PTRACE...) are allowed only when the container has it,
 * and without CAP_SYS_ADMIN `clone` may not create namespaces and `clone3` fails with ENOSYS (so that libc falls
 * back to `clone`, whose flags a classic BPF filter can inspect).
 */
import { release } from 'node:os';
import { InvalidArgumentError } from '../../core/errdefs.js';

export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

/** A condition on a rule, in Docker's format: every listed capability and one of the listed architectures. */
export interface SeccompFilter {
  caps?: string[];
  /** Native architecture names as libseccomp spells them: amd64, x86, x32, arm64, arm, s390x... */
  arches?: string[];
  /** `<kernel>.<major>`, e.g. "4.8". */
  minKernel?: string;
}

export interface SeccompRule {
  names?: string[];
  /** Docker's older spelling for a single syscall. */
  name?: string;
  action: string;
  errnoRet?: number;
  args?: SeccompArg[] | null;
  comment?: string;
  includes?: SeccompFilter;
  excludes?: SeccompFilter;
}

/** A profile in Docker's format (what `--security-opt seccomp=<file>` sends). */
export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: { architecture: string; subArchitectures: string[] | null }[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: SeccompRule[];
}

export interface OciSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: SeccompArg[];
}

/** The OCI `linux.seccomp` object. */
export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: OciSyscall[];
}

/** Facts the conditional rules depend on. */
export interface SeccompContext {
  /** The container's bounding capabilities (`CAP_…`). */
  capabilities: readonly string[];
  /** Native architecture (libseccomp's names); default: this process's, see {@link nativeArch}. */
  arch?: string;
  /** Kernel release as `uname -r` prints it; default: this host's. */
  kernel?: string;
}

const EPERM = 1;
const ENOSYS = 38;

/** Node's `process.arch` → libseccomp's native architecture name (Go's GOARCH → "native" in moby/profiles). */
const NODE_TO_NATIVE: Record<string, string> = {
  x64: 'amd64',
  ia32: 'x86',
  arm64: 'arm64',
  arm: 'arm',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  mips64el: 'mipsel64',
  loong64: 'loong64',
};

/** Native architecture → the SCMP_ARCH_ constant naming its syscall table. */
const NATIVE_TO_SCMP: Record<string, string> = {
  amd64: 'SCMP_ARCH_X86_64',
  x86: 'SCMP_ARCH_X86',
  x32: 'SCMP_ARCH_X32',
  arm64: 'SCMP_ARCH_AARCH64',
  arm: 'SCMP_ARCH_ARM',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  s390x: 'SCMP_ARCH_S390X',
  s390: 'SCMP_ARCH_S390',
  riscv64: 'SCMP_ARCH_RISCV64',
  mipsel64: 'SCMP_ARCH_MIPSEL64',
  loong64: 'SCMP_ARCH_LOONGARCH64',
};

export function nativeArch(nodeArch: string = process.arch): string {
  return NODE_TO_NATIVE[nodeArch] ?? nodeArch;
}

/** Syscalls every container may make. Unknown names (newer than the host's libseccomp) are skipped by runc. */
const ALLOWED = `
  accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod chown chown32 clock_adjtime
  clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep
  clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 dup3 epoll_create epoll_create1
  epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2 execve execveat exit
  exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchmodat2
  fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat
  fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_requeue futex_time64 futex_wait
  futex_waitv futex_wake futimesat getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32 getgid
  getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom
  getresgid getresgid32 getresuid getresuid32 getrlimit get_robust_list getrusage getsid getsockname getsockopt
  get_thread_area gettid gettimeofday getuid getuid32 getxattr getxattrat inotify_add_watch inotify_init
  inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents io_pgetevents_time64
  ioprio_get ioprio_set io_setup io_submit ipc kill landlock_add_rule landlock_create_ruleset
  landlock_restrict_self lchown lchown32 lgetxattr link linkat listen listmount listxattr listxattrat llistxattr
  _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise map_shadow_stack membarrier memfd_create memfd_secret
  mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open
  mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap mseal msgctl msgget
  msgrcv msgsnd msync munlock munlockall munmap name_to_handle_at nanosleep newfstatat _newselect open openat
  openat2 pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64
  prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read
  readahead readlink readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr
  removexattrat rename renameat renameat2 restart_syscall riscv_hwprobe rmdir rseq rt_sigaction rt_sigpending
  rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64
  rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min
  sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr
  sched_setparam sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop semtimedop_time64
  send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32
  setgroups setgroups32 setitimer setpgid setpriority setregid setregid32 setresgid setresgid32 setresuid
  setresuid32 setreuid setreuid32 setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address
  setuid setuid32 setxattr setxattrat shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4
  sigprocmask sigreturn socketcall socketpair splice stat stat64 statfs statfs64 statmount statx symlink symlinkat
  sync sync_file_range syncfs sysinfo tee tgkill time timer_create timer_delete timer_getoverrun timer_gettime
  timer_gettime64 timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime
  timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat uretprobe utime
  utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid write writev
`;

const words = (s: string): string[] => s.trim().split(/\s+/);
const allow = (names: string, extra: Omit<SeccompRule, 'names' | 'action'> = {}): SeccompRule => ({ names: words(names), action: 'SCMP_ACT_ALLOW', ...extra });
const withCap = (cap: string, names: string): SeccompRule => allow(names, { includes: { caps: [cap] } });
const onArches = (arches: string[], names: string): SeccompRule => allow(names, { includes: { arches } });

/**
 * clone(2) flags that create namespaces: CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |
 * CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET. Without CAP_SYS_ADMIN, clone is allowed only when none is set.
 */
export const CLONE_NAMESPACE_FLAGS = 0x7e020000;

/** personality(2) values a container may set: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, query (0xffffffff). */
const PERSONALITIES = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

/** AF_VSOCK: sockets to the hypervisor are refused. */
const AF_VSOCK = 40;

/** Docker's default profile, in Docker's format. */
export const DEFAULT_SECCOMP_PROFILE: SeccompProfile = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: EPERM,
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
    { architecture: 'SCMP_ARCH_S390X', subArchitectures: ['SCMP_ARCH_S390'] },
    { architecture: 'SCMP_ARCH_RISCV64', subArchitectures: null },
  ],
  syscalls: [
    allow(ALLOWED),
    // Kernels before 4.8 let ptrace bypass seccomp; on newer ones it is harmless enough to allow.
    allow('process_vm_readv process_vm_writev ptrace', { includes: { minKernel: '4.8' } }),
    allow('socket', { args: [{ index: 0, value: AF_VSOCK, valueTwo: 0, op: 'SCMP_CMP_NE' }] }),
    ...PERSONALITIES.map((p) => allow('personality', { args: [{ index: 0, value: p, valueTwo: 0, op: 'SCMP_CMP_EQ' }] })),
    onArches(['ppc64le'], 'sync_file_range2 swapcontext'),
    onArches(['arm', 'arm64'], 'arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls'),
    onArches(['amd64', 'x32'], 'arch_prctl'),
    onArches(['amd64', 'x32', 'x86'], 'modify_ldt'),
    onArches(['s390', 's390x'], 's390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr'),
    onArches(['riscv64'], 'riscv_flush_icache'),
    withCap('CAP_DAC_READ_SEARCH', 'open_by_handle_at'),
    withCap(
      'CAP_SYS_ADMIN',
      `bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie lsm_get_self_attr lsm_list_modules
       lsm_set_self_attr mount mount_setattr move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname
       sethostname setns syslog umount umount2 unshare`,
    ),
    // Without CAP_SYS_ADMIN: clone without namespace flags (s390 passes the flags as the second argument).
    allow('clone', {
      args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] },
    }),
    allow('clone', {
      args: [{ index: 1, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      includes: { arches: ['s390', 's390x'] },
      excludes: { caps: ['CAP_SYS_ADMIN'] },
    }),
    // clone3 passes its flags in memory, out of a filter's reach: make libc fall back to clone.
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, excludes: { caps: ['CAP_SYS_ADMIN'] } },
    withCap('CAP_SYS_BOOT', 'reboot'),
    withCap('CAP_SYS_CHROOT', 'chroot'),
    withCap('CAP_SYS_MODULE', 'delete_module init_module finit_module'),
    withCap('CAP_SYS_PACCT', 'acct'),
    withCap('CAP_SYS_PTRACE', 'kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace'),
    withCap('CAP_SYS_RAWIO', 'iopl ioperm'),
    withCap('CAP_SYS_TIME', 'settimeofday stime clock_settime clock_settime64'),
    withCap('CAP_SYS_TTY_CONFIG', 'vhangup'),
    withCap('CAP_SYS_NICE', 'get_mempolicy mbind set_mempolicy set_mempolicy_home_node'),
    withCap('CAP_SYSLOG', 'syslog'),
    withCap('CAP_BPF', 'bpf'),
    withCap('CAP_PERFMON', 'perf_event_open'),
  ],
};

/**
 * Parses a profile in Docker's format (the JSON the docker CLI sends as `seccomp=<content>`). The checks are the
 * ones Go's decoder would make; Docker's words for the failure.
 */
export function parseSeccompProfile(json: string): SeccompProfile {
  const fail = (why: string): never => {
    throw new InvalidArgumentError(`Decoding seccomp profile failed: ${why}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    return fail((e as Error).message);
  }
  if (!isObject(raw)) return fail('json: cannot unmarshal non-object into Go value of type seccomp.Seccomp');
  const str = (v: unknown, what: string): string | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') fail(`json: cannot unmarshal ${jsonType(v)} into Go struct field ${what} of type string`);
    return v as string;
  };
  const strList = (v: unknown, what: string): string[] | undefined => {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) fail(`json: cannot unmarshal ${jsonType(v)} into Go struct field ${what} of type []string`);
    return v as string[];
  };
  const uint = (v: unknown, what: string): number | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(`json: cannot unmarshal ${jsonType(v)} into Go struct field ${what} of type uint`);
    return v as number;
  };
  const filter = (v: unknown, what: string): SeccompFilter | undefined => {
    if (v === undefined || v === null) return undefined;
    if (!isObject(v)) return fail(`json: cannot unmarshal ${jsonType(v)} into Go struct field ${what} of type seccomp.Filter`);
    const f: SeccompFilter = {};
    const caps = strList(v['caps'], `${what}.caps`);
    const arches = strList(v['arches'], `${what}.arches`);
    const minKernel = str(v['minKernel'], `${what}.minKernel`);
    if (caps) f.caps = caps;
    if (arches) f.arches = arches;
    if (minKernel) {
      if (parseKernelVersion(minKernel) === undefined) fail(`invalid kernel version: "${minKernel}", expected "<kernel>.<major>"`);
      f.minKernel = minKernel;
    }
    return f;
  };

  const profile: SeccompProfile = { defaultAction: str(raw['defaultAction'], 'Seccomp.defaultAction') ?? '' };
  const defaultErrnoRet = uint(raw['defaultErrnoRet'], 'Seccomp.defaultErrnoRet');
  if (defaultErrnoRet !== undefined) profile.defaultErrnoRet = defaultErrnoRet;
  const architectures = strList(raw['architectures'], 'Seccomp.architectures');
  if (architectures) profile.architectures = architectures;
  const flags = strList(raw['flags'], 'Seccomp.flags');
  if (flags) profile.flags = flags;
  const listenerPath = str(raw['listenerPath'], 'Seccomp.listenerPath');
  if (listenerPath) profile.listenerPath = listenerPath;
  const listenerMetadata = str(raw['listenerMetadata'], 'Seccomp.listenerMetadata');
  if (listenerMetadata) profile.listenerMetadata = listenerMetadata;
  const archMap = raw['archMap'];
  if (archMap !== undefined && archMap !== null) {
    if (!Array.isArray(archMap)) return fail(`json: cannot unmarshal ${jsonType(archMap)} into Go struct field Seccomp.archMap of type []seccomp.Architecture`);
    profile.archMap = archMap.map((a: unknown) => {
      if (!isObject(a)) return fail(`json: cannot unmarshal ${jsonType(a)} into Go struct field Seccomp.archMap of type seccomp.Architecture`);
      return {
        architecture: str(a['architecture'], 'Seccomp.archMap.architecture') ?? '',
        subArchitectures: strList(a['subArchitectures'], 'Seccomp.archMap.subArchitectures') ?? null,
      };
    });
  }
  const syscalls = raw['syscalls'];
  if (syscalls !== undefined && syscalls !== null) {
    if (!Array.isArray(syscalls)) return fail(`json: cannot unmarshal ${jsonType(syscalls)} into Go struct field Seccomp.syscalls of type []*seccomp.Syscall`);
    profile.syscalls = syscalls.map((s: unknown): SeccompRule => {
      if (!isObject(s)) return fail(`json: cannot unmarshal ${jsonType(s)} into Go struct field Seccomp.syscalls of type seccomp.Syscall`);
      const rule: SeccompRule = { action: str(s['action'], 'Syscall.action') ?? '' };
      const names = strList(s['names'], 'Syscall.names');
      const name = str(s['name'], 'Syscall.name');
      if (names) rule.names = names;
      if (name) rule.name = name;
      const errnoRet = uint(s['errnoRet'], 'Syscall.errnoRet');
      if (errnoRet !== undefined) rule.errnoRet = errnoRet;
      const args = s['args'];
      if (args !== undefined && args !== null) {
        if (!Array.isArray(args)) return fail(`json: cannot unmarshal ${jsonType(args)} into Go struct field Syscall.args of type []specs.LinuxSeccompArg`);
        rule.args = args.map((a: unknown): SeccompArg => {
          if (!isObject(a)) return fail(`json: cannot unmarshal ${jsonType(a)} into Go struct field Syscall.args of type specs.LinuxSeccompArg`);
          const arg: SeccompArg = {
            index: uint(a['index'], 'Syscall.args.index') ?? 0,
            value: uint(a['value'], 'Syscall.args.value') ?? 0,
            op: str(a['op'], 'Syscall.args.op') ?? '',
          };
          const valueTwo = uint(a['valueTwo'], 'Syscall.args.valueTwo');
          if (valueTwo !== undefined) arg.valueTwo = valueTwo;
          return arg;
        });
      }
      const includes = filter(s['includes'], 'Syscall.includes');
      const excludes = filter(s['excludes'], 'Syscall.excludes');
      if (includes) rule.includes = includes;
      if (excludes) rule.excludes = excludes;
      return rule;
    });
  }
  return profile;
}

/**
 * Converts a profile in Docker's format to the OCI form for one container on this host (moby/profiles
 * setupSeccomp): the native architecture's entry of `archMap` becomes `architectures`, and each conditional
 * rule is kept only when its conditions hold. Undefined means no filter at all (a profile with neither a
 * default action nor rules).
 */
export function seccompToOci(profile: SeccompProfile, ctx: SeccompContext): OciSeccomp | undefined {
  if (!profile.defaultAction && (profile.syscalls ?? []).length === 0) return undefined;
  if ((profile.architectures ?? []).length > 0 && (profile.archMap ?? []).length > 0) {
    throw new InvalidArgumentError("both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'");
  }
  const arch = ctx.arch ?? nativeArch();
  const kernel = parseKernelVersion(ctx.kernel ?? hostKernelRelease());
  const out: OciSeccomp = { defaultAction: profile.defaultAction };
  if (profile.defaultErrnoRet !== undefined) out.defaultErrnoRet = profile.defaultErrnoRet;
  const architectures = [...(profile.architectures ?? [])];
  const scmp = NATIVE_TO_SCMP[arch];
  const entry = scmp === undefined ? undefined : profile.archMap?.find((a) => a.architecture === scmp);
  if (entry) architectures.push(entry.architecture, ...(entry.subArchitectures ?? []));
  if (architectures.length > 0) out.architectures = architectures;
  if (profile.flags && profile.flags.length > 0) out.flags = profile.flags;
  if (profile.listenerPath) out.listenerPath = profile.listenerPath;
  if (profile.listenerMetadata) out.listenerMetadata = profile.listenerMetadata;

  const hasCap = (c: string): boolean => ctx.capabilities.includes(c);
  const atLeast = (v: string): boolean => {
    const want = parseKernelVersion(v);
    if (want === undefined || kernel === undefined) return false;
    return kernel.kernel > want.kernel || (kernel.kernel === want.kernel && kernel.major >= want.major);
  };
  const syscalls: OciSyscall[] = [];
  for (const rule of profile.syscalls ?? []) {
    if (rule.name && rule.names && rule.names.length > 0) {
      throw new InvalidArgumentError("both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'");
    }
    const names = rule.name ? [rule.name] : (rule.names ?? []);
    const ex = rule.excludes;
    if (ex) {
      if (ex.arches?.includes(arch)) continue;
      if (ex.caps?.some(hasCap)) continue;
      if (ex.minKernel && atLeast(ex.minKernel)) continue;
    }
    const inc = rule.includes;
    if (inc) {
      if (inc.arches && inc.arches.length > 0 && !inc.arches.includes(arch)) continue;
      if (inc.caps && !inc.caps.every(hasCap)) continue;
      if (inc.minKernel && !atLeast(inc.minKernel)) continue;
    }
    const call: OciSyscall = { names, action: rule.action };
    if (rule.errnoRet !== undefined) call.errnoRet = rule.errnoRet;
    if (rule.args && rule.args.length > 0) call.args = rule.args.map((a) => ({ index: a.index, value: a.value, valueTwo: a.valueTwo ?? 0, op: a.op }));
    syscalls.push(call);
  }
  if (syscalls.length > 0) out.syscalls = syscalls;
  return out;
}

/** `4.8.0-generic` → {4, 8}; minor revisions and suffixes do not count (moby/profiles kernel_linux.go). */
function parseKernelVersion(text: string): { kernel: number; major: number } | undefined {
  const m = /^(\d+)\.(\d+)/.exec(text);
  if (!m) return undefined;
  const kernel = Number(m[1]);
  const major = Number(m[2]);
  return kernel === 0 && major === 0 ? undefined : { kernel, major };
}

function hostKernelRelease(): string {
  return release();
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** How Go's decoder names a JSON value's type in "cannot unmarshal X into …". */
function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return `number ${v}`;
  return typeof v;
}
