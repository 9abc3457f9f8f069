/**
 * The flags `create` and `run` share, and their translation into an Engine API create body with Docker's JSON
 * shapes (docker/cli cli/command/container/opts.go). The translation is a pure function of the parsed flags, the
 * client environment (for `-e KEY`) and a file reader (for `--env-file`/`--label-file`), so it is unit-tested
 * without a daemon.
 */
import { posix, resolve as resolvePath } from 'node:path';
import type { ContainerCreateBody, EndpointSettings, HostConfig, PortBinding } from '../../client/types.js';
import { quote } from '../../pkg/go-fmt.js';
import { parseGoDurationNs } from '../../pkg/go-duration.js';
import { ramInBytes } from '../../pkg/units.js';
import type { DockerCommand } from '../command.js';
import { parseMountFlag } from './mount-flag.js';

/** The parsed flag values commander hands us (attribute names as commander derives them). */
export interface ContainerFlags {
  attach: string[];
  addHost: string[];
  blkioWeight?: string;
  capAdd: string[];
  capDrop: string[];
  cgroupns?: string;
  cidfile?: string;
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuRtPeriod?: number;
  cpuRtRuntime?: number;
  cpuShares?: number;
  cpus?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  device: string[];
  deviceCgroupRule: string[];
  dns: string[];
  dnsOption: string[];
  dnsSearch: string[];
  domainname?: string;
  entrypoint?: string;
  env: string[];
  envFile: string[];
  expose: string[];
  groupAdd: string[];
  healthCmd?: string;
  healthInterval?: string;
  healthRetries?: number;
  healthStartInterval?: string;
  healthStartPeriod?: string;
  healthTimeout?: string;
  /** `--no-healthcheck` (commander's negatable form): false when given. */
  healthcheck?: boolean;
  hostname?: string;
  init?: boolean;
  interactive?: boolean;
  ipc?: string;
  label: string[];
  labelFile: string[];
  logDriver?: string;
  logOpt: string[];
  kernelMemory?: string;
  memory?: string;
  memoryReservation?: string;
  memorySwap?: string;
  memorySwappiness?: number;
  name?: string;
  network?: string;
  /** docker's hidden alias of --network */
  net?: string;
  networkAlias: string[];
  /** --ip, --mac-address, --link */
  ip?: string;
  macAddress?: string;
  link: string[];
  oomKillDisable?: boolean;
  oomScoreAdj?: number;
  pid?: string;
  pidsLimit?: number;
  platform?: string;
  privileged?: boolean;
  publish: string[];
  publishAll?: boolean;
  pull?: string;
  readOnly?: boolean;
  restart?: string;
  rm?: boolean;
  securityOpt: string[];
  shmSize?: string;
  stopSignal?: string;
  stopTimeout?: number;
  sysctl: string[];
  tmpfs: string[];
  tty?: boolean;
  ulimit: string[];
  user?: string;
  uts?: string;
  volume: string[];
  volumesFrom: string[];
  mount: string[];
  workdir?: string;
  quiet?: boolean;
}

/** Registers the shared flags on `create` or `run`. */
export function addContainerFlags(cmd: DockerCommand): void {
  cmd
    .list('--add-host <list>', 'Add a custom host-to-IP mapping (host:ip)')
    .list('-a, --attach <list>', 'Attach to STDIN, STDOUT or STDERR')
    .checked('--blkio-weight <uint16>', 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)', parseUint16)
    .list('--cap-add <list>', 'Add Linux capabilities')
    .list('--cap-drop <list>', 'Drop Linux capabilities')
    .str('--cgroupns <string>', 'Cgroup namespace to use (host|private)')
    .str('--cidfile <string>', 'Write the container ID to the file')
    .int('--cpu-period <int>', 'Limit CPU CFS (Completely Fair Scheduler) period')
    .int('--cpu-quota <int>', 'Limit CPU CFS (Completely Fair Scheduler) quota')
    .int('--cpu-rt-period <int>', 'Limit CPU real-time period in microseconds')
    .int('--cpu-rt-runtime <int>', 'Limit CPU real-time runtime in microseconds')
    .int('-c, --cpu-shares <int>', 'CPU shares (relative weight)')
    .checked('--cpus <decimal>', 'Number of CPUs', parseCpus)
    .str('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)')
    .str('--cpuset-mems <string>', 'MEMs in which to allow execution (0-3, 0,1)')
    .list('--device <list>', 'Add a host device to the container');
  checkedList(cmd, '--device-cgroup-rule <list>', 'Add a rule to the cgroup allowed devices list', validateDeviceCgroupRule);
  cmd
    .list('--dns <list>', 'Set custom DNS servers')
    .list('--dns-option <list>', 'Set DNS options')
    .list('--dns-search <list>', 'Set custom DNS search domains')
    .str('--domainname <string>', 'Container NIS domain name')
    .str('--entrypoint <string>', 'Overwrite the default ENTRYPOINT of the image')
    .list('-e, --env <list>', 'Set environment variables')
    .list('--env-file <list>', 'Read in a file of environment variables')
    .list('--expose <list>', 'Expose a port or a range of ports')
    .list('--group-add <list>', 'Add additional groups to join')
    .str('--health-cmd <string>', 'Command to run to check health')
    .checked('--health-interval <duration>', 'Time between running the check (ms|s|m|h) (default 0s)', parseGoDurationNs)
    .int('--health-retries <int>', 'Consecutive failures needed to report unhealthy')
    .checked('--health-start-interval <duration>', 'Time between running the check during the start period (ms|s|m|h) (default 0s)', parseGoDurationNs)
    .checked(
      '--health-start-period <duration>',
      'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)',
      parseGoDurationNs,
    )
    .checked('--health-timeout <duration>', 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)', parseGoDurationNs)
    .str('-h, --hostname <string>', 'Container host name')
    .bool('--init', 'Run an init inside the container that forwards signals and reaps processes')
    .bool('-i, --interactive', 'Keep STDIN open even if not attached')
    .str('--ipc <string>', 'IPC mode to use')
    .checked('--kernel-memory <bytes>', 'Kernel memory limit', ramInBytes)
    .list('-l, --label <list>', 'Set meta data on a container')
    .list('--label-file <list>', 'Read in a line delimited file of labels')
    .str('--log-driver <string>', 'Logging driver for the container')
    .list('--log-opt <list>', 'Log driver options')
    .checked('-m, --memory <bytes>', 'Memory limit', ramInBytes)
    .checked('--memory-reservation <bytes>', 'Memory soft limit', ramInBytes)
    .checked('--memory-swap <bytes>', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", parseMemSwap)
    .int('--memory-swappiness <int>', 'Tune container memory swappiness (0 to 100)', -1)
    .str('--name <string>', 'Assign a name to the container')
    .str('--network <network>', 'Connect a container to a network')
    .list('--network-alias <list>', 'Add network-scoped alias for the container')
    .str('--ip <string>', 'IPv4 address (e.g., 172.30.100.104)')
    .str('--mac-address <string>', 'Container MAC address (e.g., 92:d0:c6:0a:29:33)')
    .list('--link <list>', 'Add link to another container')
    .bool('--no-healthcheck', 'Disable any container-specified HEALTHCHECK')
    .bool('--oom-kill-disable', 'Disable OOM Killer')
    .int('--oom-score-adj <int>', "Tune host's OOM preferences (-1000 to 1000)")
    .str('--pid <string>', 'PID namespace to use')
    .int('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)')
    .str('--platform <string>', 'Set platform if server is multi-platform capable')
    .bool('--privileged', 'Give extended privileges to this container')
    .list('-p, --publish <list>', "Publish a container's port(s) to the host")
    .bool('-P, --publish-all', 'Publish all exposed ports to random ports')
    .str('--pull <string>', 'Pull image before running ("always", "missing", "never")', 'missing')
    .bool('-q, --quiet', 'Suppress the pull output')
    .bool('--read-only', "Mount the container's root filesystem as read only")
    .str('--restart <string>', 'Restart policy to apply when a container exits', 'no')
    .bool('--rm', 'Automatically remove the container and its associated anonymous volumes when it exits')
    .list('--security-opt <list>', 'Security Options')
    .checked('--shm-size <bytes>', 'Size of /dev/shm', ramInBytes)
    .str('--stop-signal <string>', 'Signal to stop the container')
    .int('--stop-timeout <int>', 'Timeout (in seconds) to stop a container');
  checkedList(cmd, '--mount <mount>', 'Attach a filesystem mount to the container', (v) => void parseMountFlag(v));
  checkedList(cmd, '--sysctl <map>', 'Sysctl options', validateSysctl);
  cmd
    .list('--tmpfs <list>', 'Mount a tmpfs directory')
    .bool('-t, --tty', 'Allocate a pseudo-TTY');
  checkedList(cmd, '--ulimit <ulimit>', 'Ulimit options', (v) => void parseUlimit(v));
  cmd
    .str('-u, --user <string>', 'Username or UID (format: <name|uid>[:<group|gid>])')
    .str('--uts <string>', 'UTS namespace to use')
    .list('-v, --volume <list>', 'Bind mount a volume')
    .list('--volumes-from <list>', 'Mount volumes from the specified container(s)')
    .str('-w, --workdir <string>', 'Working directory inside the container');
  // docker's hidden alias for --network.
  cmd.str('--net <network>', 'Connect a container to a network');
  const net = cmd.options.find((o) => o.long === '--net');
  if (net) net.hideHelp();
}

/**
 * A repeatable flag whose every value is checked while parsing, as pflag's typed list flags are (`--ulimit`,
 * `--sysctl`): a bad value is a usage error naming the flag.
 */
function checkedList(cmd: DockerCommand, flags: string, description: string, check: (value: string) => void): void {
  const m = /--([\w-]+)\s+<([^>]+)>/.exec(flags);
  if (m) cmd.valueTypes.set(m[1]!, m[2]!);
  const display = flags.replace(/\s*<[^>]*>/, '');
  cmd.option(
    flags,
    description,
    (value: string, previous: string[] | undefined) => {
      try {
        check(value);
      } catch (e) {
        throw cmd.usageError(`invalid argument "${value}" for "${display}" flag: ${(e as Error).message}`);
      }
      return [...(previous ?? []), value];
    },
    [] as string[],
  );
}

/** A Go-flavoured error from flag translation; the caller wraps it as docker does (`berth: …`, exit 125). */
export class ContainerOptionsError extends Error {}

export interface EnvSource {
  lookup(key: string): string | undefined;
  readFile(path: string): string;
}

export interface CreateRequest {
  body: ContainerCreateBody;
  name: string | undefined;
  platform: string | undefined;
  pull: string;
}

/** docker's kvfile.Parse: `KEY=value` lines, `#` comments, and bare `KEY` looked up when a lookup is given. */
export function parseKeyValueFile(content: string, filename: string, lookup?: (key: string) => string | undefined): string[] {
  const out: string[] = [];
  const text = content.startsWith('\ufeff') ? content.slice(1) : content;
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (const raw of lines) {
    const line = raw.replace(/^\s+/, '');
    if (line.length === 0 || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq >= 0 ? line.slice(0, eq) : line;
    if (key.length === 0) throw new ContainerOptionsError(`invalid env file (${filename}): no variable name on line '${line}'`);
    if (/[ \t]/.test(key)) throw new ContainerOptionsError(`invalid env file (${filename}): variable '${key}' contains whitespaces`);
    if (eq >= 0) {
      out.push(line);
      continue;
    }
    if (lookup) {
      const v = lookup(line);
      if (v !== undefined) out.push(`${key}=${v}`);
    }
  }
  return out;
}

/** docker's opts.ValidateEnv: `KEY` alone takes the client's value when it has one. */
export function validateEnv(val: string, lookup: (key: string) => string | undefined): string {
  const eq = val.indexOf('=');
  const key = eq >= 0 ? val.slice(0, eq) : val;
  if (key === '') throw new ContainerOptionsError(`invalid environment variable: ${val}`);
  if (eq >= 0) return val;
  const v = lookup(key);
  return v !== undefined ? `${key}=${v}` : val;
}

/** Go's os.Open error text for a Node fs error. */
export function goOpenError(e: unknown, path: string): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return `open ${path}: no such file or directory`;
    case 'EACCES':
      return `open ${path}: permission denied`;
    case 'EISDIR':
      return `read ${path}: is a directory`;
    default:
      return `open ${path}: ${(e as Error).message}`;
  }
}

function readKv(files: string[], env: EnvSource, lookup: ((k: string) => string | undefined) | undefined): string[] {
  const out: string[] = [];
  for (const f of files) {
    let content: string;
    try {
      content = env.readFile(f);
    } catch (e) {
      throw new ContainerOptionsError(goOpenError(e, f));
    }
    out.push(...parseKeyValueFile(content, f, lookup));
  }
  return out;
}

// -- ports ------------------------------------------------------------------------------------------------------

function parsePortRange(s: string): [number, number] {
  if (s === '') throw new Error('empty string specified for ports');
  const dash = s.indexOf('-');
  const parse = (p: string): number => {
    if (!/^\d+$/.test(p)) throw new Error(`invalid syntax`);
    const n = Number(p);
    if (n > 65535) throw new Error('value out of range');
    return n;
  };
  if (dash < 0) {
    const n = parse(s);
    return [n, n];
  }
  const start = parse(s.slice(0, dash));
  const end = parse(s.slice(dash + 1));
  if (end < start) throw new Error(`invalid range specified for port: ${s}`);
  return [start, end];
}

function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split('/');
  if (raw.length === 0 || parts.length === 0 || parts[0]!.length === 0) return ['', ''];
  if (parts.length === 1) return ['tcp', raw];
  if (parts[1]!.length === 0) return ['tcp', parts[0]!];
  return [parts[1]!, parts[0]!];
}

/** Splits `ip:host:container` where the IP may be a bracketed IPv6 address. */
function splitPortParts(raw: string): string[] {
  const m = /^(\[[^\]]*\]):(.*)$/.exec(raw);
  if (m) return [m[1]!, ...m[2]!.split(':')];
  const parts = raw.split(':');
  if (parts.length > 3) {
    // An unbracketed IPv6 address: the last two parts are host and container port.
    return [parts.slice(0, -2).join(':'), parts[parts.length - 2]!, parts[parts.length - 1]!];
  }
  return parts;
}

/** docker's convertToStandardNotation: long `target=80,published=8080,protocol=udp` syntax to `8080:80/udp`. */
function toStandardNotation(spec: string): string {
  if (!spec.includes('=')) return spec;
  const params: Record<string, string> = {};
  for (const kv of spec.split(',')) {
    const eq = kv.indexOf('=');
    if (eq < 0) throw new ContainerOptionsError(`invalid publish opts format (should be name=value but got '${kv}')`);
    params[kv.slice(0, eq).toLowerCase()] = kv.slice(eq + 1);
  }
  if (!params.target) throw new ContainerOptionsError('missing required field: target');
  return `${params.published ?? ''}:${params.target}/${params.protocol ?? 'tcp'}`.replace(/^:/, '');
}

/** nat.ParsePortSpecs: exposed ports and bindings keyed `80/tcp`. */
export function parsePortSpecs(specs: string[]): { exposed: Record<string, Record<string, never>>; bindings: Record<string, PortBinding[]> } {
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, PortBinding[]> = {};
  for (const rawSpec of specs) {
    const raw = toStandardNotation(rawSpec);
    const parts = splitPortParts(raw);
    let ip = '';
    let hostPort = '';
    let containerPort: string;
    if (parts.length === 1) containerPort = parts[0]!;
    else if (parts.length === 2) [hostPort, containerPort] = parts as [string, string];
    else [ip, hostPort, containerPort] = parts as [string, string, string];
    const bare = ip.replace(/^\[(.*)\]$/, '$1');
    if (ip !== '' && !/^(\d{1,3}\.){3}\d{1,3}$/.test(bare) && !/^[0-9a-fA-F:.]+$/.test(bare)) {
      throw new ContainerOptionsError(`invalid IP address: ${ip}`);
    }
    const [proto, port] = splitProtoPort(containerPort);
    if (port === '') throw new ContainerOptionsError(`no port specified: ${containerPort}<empty>`);
    let start: number;
    let end: number;
    try {
      [start, end] = parsePortRange(port);
    } catch {
      throw new ContainerOptionsError(`invalid containerPort: ${port}`);
    }
    let hStart = 0;
    let hEnd = 0;
    if (hostPort !== '') {
      try {
        [hStart, hEnd] = parsePortRange(hostPort);
      } catch {
        throw new ContainerOptionsError(`invalid hostPort: ${hostPort}`);
      }
    }
    if (hostPort !== '' && end - start !== hEnd - hStart && end !== start) {
      throw new ContainerOptionsError(`invalid ranges specified for container and host Ports: ${port} and ${hostPort}`);
    }
    if (!['tcp', 'udp', 'sctp'].includes(proto.toLowerCase())) throw new ContainerOptionsError(`invalid proto: ${proto}`);
    for (let i = 0; i <= end - start; i++) {
      const key = `${start + i}/${proto.toLowerCase()}`;
      let hp = hostPort;
      if (hostPort !== '' && hEnd - hStart === end - start) hp = String(hStart + i);
      exposed[key] = {};
      (bindings[key] ??= []).push({ HostIp: bare, HostPort: hp });
    }
  }
  return { exposed, bindings };
}

// -- the create body --------------------------------------------------------------------------------------------

function zeroEndpoint(aliases: string[] | null): EndpointSettings {
  return {
    IPAMConfig: null,
    Links: null,
    Aliases: aliases,
    MacAddress: '',
    DriverOpts: null,
    GwPriority: 0,
    NetworkID: '',
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}

function parseRestart(policy: string): { Name: string; MaximumRetryCount: number } {
  if (policy === '') return { Name: 'no', MaximumRetryCount: 0 };
  const colon = policy.indexOf(':');
  const name = colon >= 0 ? policy.slice(0, colon) : policy;
  const count = colon >= 0 ? policy.slice(colon + 1) : '';
  if (name === '') throw new ContainerOptionsError('invalid restart policy format: no policy provided before colon');
  let max = 0;
  if (count !== '') {
    if (!/^-?\d+$/.test(count)) throw new ContainerOptionsError('invalid restart policy format: maximum retry count must be an integer');
    max = Number(count);
  }
  return { Name: name, MaximumRetryCount: max };
}

/** docker's opts.NormalizeCapabilities: upper-case, `CAP_` prefix (except ALL), duplicates dropped. */
export function normalizeCapabilities(caps: string[]): string[] {
  const out: string[] = [];
  for (const c of caps) {
    let cap = c.trim().toUpperCase();
    if (cap !== 'ALL' && !cap.startsWith('CAP_')) cap = `CAP_${cap}`;
    if (!out.includes(cap)) out.push(cap);
  }
  return out;
}

/** go-units' ulimit names (`as` is left out, as Docker does). */
const ULIMIT_NAMES = ['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'];

/** go-units ParseUlimit: `name=soft[:hard]`, -1 meaning unlimited. */
export function parseUlimit(val: string): { Name: string; Hard: number; Soft: number } {
  const eq = val.indexOf('=');
  if (eq < 0) throw new ContainerOptionsError(`invalid ulimit argument: ${val}`);
  const name = val.slice(0, eq);
  if (!ULIMIT_NAMES.includes(name)) throw new ContainerOptionsError(`invalid ulimit type: ${name}`);
  const limits = val.slice(eq + 1).split(':');
  if (limits.length > 2) throw new ContainerOptionsError(`too many limit value arguments - ${val.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const soft = parseInt64(limits[0]!);
  const hard = limits.length === 2 ? parseInt64(limits[1]!) : soft;
  if (hard !== -1) {
    if (soft === -1) throw new ContainerOptionsError(`ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: ${hard}`);
    if (soft > hard) throw new ContainerOptionsError(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  }
  return { Name: name, Hard: hard, Soft: soft };
}

/** strconv.ParseInt(s, 10, 64) with Go's error text. */
function parseInt64(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new ContainerOptionsError(`strconv.ParseInt: parsing ${quote(s)}: invalid syntax`);
  const n = BigInt(s);
  if (n > 2n ** 63n - 1n || n < -(2n ** 63n)) throw new ContainerOptionsError(`strconv.ParseInt: parsing ${quote(s)}: value out of range`);
  return Number(n);
}

/** pflag's uint16 (`--blkio-weight`). */
export function parseUint16(s: string): number {
  if (!/^\+?\d+$/.test(s)) throw new ContainerOptionsError(`strconv.ParseUint: parsing ${quote(s)}: invalid syntax`);
  const n = Number(s);
  if (n > 65535) throw new ContainerOptionsError(`strconv.ParseUint: parsing ${quote(s)}: value out of range`);
  return n;
}

/** docker's opts.ParseCPUs: a decimal or fraction (big.Rat syntax) → nano CPUs, refusing what is finer than 1e-9. */
export function parseCpus(value: string): number {
  const fail = (): never => {
    throw new ContainerOptionsError(`failed to parse ${value} as a rational number`);
  };
  let num: bigint;
  let den: bigint;
  const frac = /^([+-]?\d+)\/(\d+)$/.exec(value);
  const dec = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(value);
  if (frac) {
    num = BigInt(frac[1]!);
    den = BigInt(frac[2]!);
    if (den === 0n) fail();
  } else if (dec && (dec[2] !== '' || (dec[3] ?? '') !== '')) {
    const digits = `${dec[2]}${dec[3] ?? ''}` || '0';
    const exp = Number(dec[4] ?? '0') - (dec[3] ?? '').length;
    if (Math.abs(exp) > 1000) fail();
    num = BigInt(digits) * (dec[1] === '-' ? -1n : 1n);
    den = 1n;
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den = 10n ** BigInt(-exp);
  } else {
    return fail();
  }
  const nano = num * 1_000_000_000n;
  if (nano % den !== 0n) throw new ContainerOptionsError('value is too precise');
  return Number(nano / den);
}

/** docker's MemSwapBytes: `-1` (unlimited swap) or a size. */
export function parseMemSwap(value: string): number {
  return value === '-1' ? -1 : ramInBytes(value);
}

/** docker's opts.ValidateSysctl: namespaced sysctls only. */
export function validateSysctl(val: string): void {
  const allowed = ['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'];
  const eq = val.indexOf('=');
  const k = eq < 0 ? '' : val.slice(0, eq);
  if (k !== '' && (allowed.includes(k) || k.startsWith('net.') || k.startsWith('fs.mqueue.'))) return;
  throw new ContainerOptionsError(`sysctl '${val}' is not allowed`);
}

function validateDeviceCgroupRule(val: string): void {
  if (!/^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/.test(val)) throw new ContainerOptionsError(`invalid device cgroup format '${val}'`);
}

/** A device mode: some of r, w and m, each at most once. */
function validDeviceMode(mode: string): boolean {
  return mode !== '' && /^[rwm]{1,3}$/.test(mode) && new Set(mode).size === mode.length;
}

/** Go's path.Clean. */
function cleanPath(p: string): string {
  if (p === '') return '.';
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** A CDI device name (`vendor.com/class=name`): sent as a device request instead of a device. */
function isCdiName(device: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*=[A-Za-z0-9][A-Za-z0-9_.:-]*$/.test(device);
}

/** docker's validateLinuxPath + parseLinuxDevice: `host[:container][:mode]` → a device mapping. */
export function parseDevice(device: string): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string } {
  if ((device.match(/:/g) ?? []).length > 2) throw new ContainerOptionsError(`bad format for path: ${device}`);
  const split = device.split(':');
  if (split[0] === '') throw new ContainerOptionsError(`bad format for path: ${device}`);
  let containerPath: string;
  let val: string;
  if (split.length === 1) {
    containerPath = split[0]!;
    val = cleanPath(containerPath);
  } else if (split.length === 2) {
    if (validDeviceMode(split[1]!)) {
      containerPath = split[0]!;
      val = `${cleanPath(containerPath)}:${split[1]}`;
    } else {
      containerPath = split[1]!;
      val = `${split[0]}:${cleanPath(containerPath)}`;
    }
  } else {
    containerPath = split[1]!;
    if (!validDeviceMode(split[2]!)) throw new ContainerOptionsError(`bad mode specified: ${split[2]}`);
    val = device;
  }
  if (!containerPath.startsWith('/')) throw new ContainerOptionsError(`${containerPath} is not an absolute path`);

  const arr = val.split(':');
  let permissions = 'rwm';
  let dst = '';
  if (arr.length === 3) permissions = arr[2]!;
  if (arr.length >= 2) {
    if (validDeviceMode(arr[1]!)) permissions = arr[1]!;
    else dst = arr[1]!;
  }
  const src = arr[0]!;
  return { PathOnHost: src, PathInContainer: dst || src, CgroupPermissions: permissions };
}

/**
 * docker's parseSecurityOpts and parseSystemPaths: `seccomp=<file>` sends the file's content (compacted JSON),
 * and `systempaths=unconfined` is not sent but empties MaskedPaths and ReadonlyPaths.
 */
export function parseSecurityOpts(
  opts: string[],
  readFile: (path: string) => string,
): { securityOpt: string[]; maskedPaths: string[] | null; readonlyPaths: string[] | null } {
  const out: string[] = [];
  let unconfinedPaths = false;
  for (const opt of opts) {
    let sep = opt.indexOf('=');
    let k = sep >= 0 ? opt.slice(0, sep) : opt;
    if (sep < 0 && k !== 'no-new-privileges') {
      sep = opt.indexOf(':');
      k = sep >= 0 ? opt.slice(0, sep) : opt;
    }
    const v = sep >= 0 ? opt.slice(sep + 1) : '';
    if ((sep < 0 || v === '') && k !== 'no-new-privileges') throw new ContainerOptionsError(`Invalid --security-opt: ${quote(opt)}`);
    if (opt === 'systempaths=unconfined') {
      unconfinedPaths = true;
      continue;
    }
    if (k === 'seccomp' && v !== 'builtin' && v !== 'unconfined') {
      let content: string;
      try {
        content = readFile(v);
      } catch (e) {
        throw new ContainerOptionsError(`opening seccomp profile (${v}) failed: ${goOpenError(e, v)}`);
      }
      try {
        JSON.parse(content);
      } catch (e) {
        throw new ContainerOptionsError(`compacting json for seccomp profile (${v}) failed: ${(e as Error).message}`);
      }
      out.push(`seccomp=${compactJson(content)}`);
      continue;
    }
    out.push(opt);
  }
  return { securityOpt: out, maskedPaths: unconfinedPaths ? [] : null, readonlyPaths: unconfinedPaths ? [] : null };
}

/** Go's json.Compact: whitespace outside strings removed, every token kept as written. */
export function compactJson(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') {
      out += c;
    }
  }
  return out;
}

/** docker's health check flags: `--no-healthcheck` alone, or a probe from `--health-*`. */
function parseHealthcheck(flags: ContainerFlags): Record<string, unknown> | undefined {
  const ns = (v: string | undefined): bigint => (v === undefined ? 0n : parseGoDurationNs(v));
  const interval = ns(flags.healthInterval);
  const timeout = ns(flags.healthTimeout);
  const startPeriod = ns(flags.healthStartPeriod);
  const startInterval = ns(flags.healthStartInterval);
  const retries = flags.healthRetries ?? 0;
  const cmd = flags.healthCmd ?? '';
  const have = cmd !== '' || interval !== 0n || timeout !== 0n || startPeriod !== 0n || retries !== 0 || startInterval !== 0n;
  if (flags.healthcheck === false) {
    if (have) throw new ContainerOptionsError('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!have) return undefined;
  if (interval < 0n) throw new ContainerOptionsError('--health-interval cannot be negative');
  if (timeout < 0n) throw new ContainerOptionsError('--health-timeout cannot be negative');
  if (retries < 0) throw new ContainerOptionsError('--health-retries cannot be negative');
  if (startPeriod < 0n) throw new ContainerOptionsError('--health-start-period cannot be negative');
  if (startInterval < 0n) throw new ContainerOptionsError('--health-start-interval cannot be negative');
  // Go's HealthConfig omits zero fields.
  const hc: Record<string, unknown> = {};
  if (cmd !== '') hc['Test'] = ['CMD-SHELL', cmd];
  if (interval !== 0n) hc['Interval'] = Number(interval);
  if (timeout !== 0n) hc['Timeout'] = Number(timeout);
  if (startPeriod !== 0n) hc['StartPeriod'] = Number(startPeriod);
  if (startInterval !== 0n) hc['StartInterval'] = Number(startInterval);
  if (retries !== 0) hc['Retries'] = retries;
  return hc;
}

function labelsToMap(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq >= 0) out[v.slice(0, eq)] = v.slice(eq + 1);
    else out[v] = '';
  }
  return out;
}

/**
 * Builds the create request from parsed flags and the positional `IMAGE [COMMAND] [ARG...]`.
 * `detach` is run's `-d` (create never attaches); `consoleSize` is the terminal's [height, width] or [0, 0].
 */
export function buildCreateRequest(
  flags: ContainerFlags,
  args: string[],
  env: EnvSource,
  opts: { detach: boolean; consoleSize: [number, number]; entrypointSet: boolean },
): CreateRequest {
  const image = args[0]!;
  const cmd = args.length > 1 ? args.slice(1) : null;

  for (const a of flags.attach) {
    if (!['stdin', 'stdout', 'stderr'].includes(a.toLowerCase())) {
      throw new ContainerOptionsError(`valid streams are STDIN, STDOUT and STDERR`);
    }
  }
  const attachSet = new Set(flags.attach.map((a) => a.toLowerCase()));
  let attachStdin = attachSet.has('stdin');
  let attachStdout = attachSet.has('stdout');
  let attachStderr = attachSet.has('stderr');
  if (flags.interactive) attachStdin = true;
  if (flags.attach.length === 0) {
    attachStdout = true;
    attachStderr = true;
  }

  const volumes: Record<string, Record<string, never>> = {};
  const binds: string[] = [];
  for (const v of flags.volume) {
    const parts = v.split(':');
    if (parts.length >= 2 && parts[0] !== '') {
      let host = parts[0]!;
      if (!host.startsWith('/') && host.startsWith('.')) host = resolvePath(host);
      binds.push([host, ...parts.slice(1)].join(':'));
    } else {
      volumes[v] = {};
    }
  }

  const { exposed, bindings } = parsePortSpecs(flags.publish);
  for (const e of flags.expose) {
    if (e.includes(':')) throw new ContainerOptionsError(`invalid port format for --expose: ${e}`);
    const [proto, port] = splitProtoPort(e);
    let start: number;
    let end: number;
    try {
      [start, end] = parsePortRange(port);
    } catch (err) {
      throw new ContainerOptionsError(`invalid range format for --expose: ${e}, error: ${(err as Error).message}`);
    }
    for (let i = start; i <= end; i++) exposed[`${i}/${proto}`] ??= {};
  }

  const lookup = env.lookup.bind(env);
  const envVars = [...readKv(flags.envFile, env, lookup), ...flags.env.map((e) => validateEnv(e, lookup))];
  const labels = labelsToMap([...readKv(flags.labelFile, env, undefined), ...flags.label]);

  let entrypoint: string[] | null = null;
  if (flags.entrypoint !== undefined && flags.entrypoint !== '') entrypoint = [flags.entrypoint];
  else if (opts.entrypointSet) entrypoint = [''];

  const restart = parseRestart(flags.restart ?? 'no');
  if (flags.rm && restart.Name !== '' && restart.Name !== 'no') {
    throw new ContainerOptionsError('conflicting options: cannot specify both --restart and --rm');
  }

  const networkMode = flags.network ?? flags.net ?? 'default';
  const endpoints: Record<string, EndpointSettings> = {};
  const aliases = flags.networkAlias.length > 0 ? flags.networkAlias : null;
  const endpointExtras = (e: EndpointSettings): EndpointSettings => ({
    ...e,
    ...(flags.ip ? { IPAMConfig: { IPv4Address: flags.ip } } : {}),
    ...(flags.macAddress ? { MacAddress: flags.macAddress } : {}),
  });
  if (flags.network === undefined && flags.net === undefined) endpoints.default = endpointExtras(zeroEndpoint(aliases));
  else if (aliases || flags.ip || flags.macAddress) endpoints[networkMode] = endpointExtras(zeroEndpoint(aliases));

  const size = (value: string | undefined, flag: string, parse: (v: string) => number = ramInBytes): number => {
    if (value === undefined) return 0;
    try {
      return parse(value);
    } catch (e) {
      throw new ContainerOptionsError(`invalid argument "${value}" for "${flag}" flag: ${(e as Error).message}`);
    }
  };
  const memory = size(flags.memory, '-m, --memory');
  const memoryReservation = size(flags.memoryReservation, '--memory-reservation');
  const memorySwap = size(flags.memorySwap, '--memory-swap', parseMemSwap);
  const kernelMemory = size(flags.kernelMemory, '--kernel-memory');
  const shmSize = size(flags.shmSize, '--shm-size');
  const nanoCpus = size(flags.cpus, '--cpus', parseCpus);
  const blkioWeight = size(flags.blkioWeight, '--blkio-weight', parseUint16);
  const swappiness = flags.memorySwappiness ?? -1;
  if (swappiness !== -1 && (swappiness < 0 || swappiness > 100)) {
    throw new ContainerOptionsError(`invalid value: ${swappiness}. Valid memory swappiness range is 0-100`);
  }

  const devices: { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[] = [];
  const cdiDevices: string[] = [];
  for (const d of flags.device) {
    if (isCdiName(d)) cdiDevices.push(d);
    else devices.push(parseDevice(d));
  }

  const pid = flags.pid ?? '';
  if (pid !== '' && pid !== 'host' && !(pid.startsWith('container:') && pid.length > 'container:'.length)) {
    throw new ContainerOptionsError('--pid: invalid PID mode');
  }
  const uts = flags.uts ?? '';
  if (uts !== '' && uts !== 'host') throw new ContainerOptionsError('--uts: invalid UTS mode');
  const cgroupns = flags.cgroupns ?? '';
  if (cgroupns !== '' && cgroupns !== 'host' && cgroupns !== 'private') throw new ContainerOptionsError('--cgroupns: invalid CGROUP mode');

  const tmpfs: Record<string, string> = {};
  for (const t of flags.tmpfs) {
    const c = t.indexOf(':');
    tmpfs[c >= 0 ? t.slice(0, c) : t] = c >= 0 ? t.slice(c + 1) : '';
  }
  // docker's ConvertKVStringsToMap: a bare key gets an empty value.
  const logConfig: Record<string, string> = {};
  for (const o of flags.logOpt) {
    const eq = o.indexOf('=');
    if (eq < 0) logConfig[o] = '';
    else logConfig[o.slice(0, eq)] = o.slice(eq + 1);
  }
  if (flags.logDriver === 'none' && flags.logOpt.length > 0) throw new ContainerOptionsError('invalid logging opts for driver none');
  const security = parseSecurityOpts(flags.securityOpt, (p) => env.readFile(p));
  const healthcheck = parseHealthcheck(flags);
  const sysctls: Record<string, string> = {};
  for (const s of flags.sysctl) {
    validateSysctl(s);
    const eq = s.indexOf('=');
    sysctls[s.slice(0, eq)] = s.slice(eq + 1);
  }
  // docker's UlimitOpt: one per name (the last wins), sorted by name.
  const ulimits = new Map<string, { Name: string; Hard: number; Soft: number }>();
  for (const u of flags.ulimit) {
    const parsed = parseUlimit(u);
    ulimits.set(parsed.Name, parsed);
  }

  const detach = opts.detach;
  const openStdin = flags.interactive === true;
  const capAdd = normalizeCapabilities(flags.capAdd);
  const capDrop = normalizeCapabilities(flags.capDrop);
  // Field order follows Go's HostConfig struct, so the body reads like docker's.
  const hostConfig: HostConfig = {
    Binds: binds.length > 0 ? binds : null,
    ...(flags.mount.length > 0 ? { Mounts: flags.mount.map(parseMountFlag) } : {}),
    ContainerIDFile: flags.cidfile ?? '',
    LogConfig: { Type: flags.logDriver ?? '', Config: logConfig },
    NetworkMode: networkMode,
    PortBindings: bindings,
    RestartPolicy: restart,
    AutoRemove: flags.rm === true,
    VolumeDriver: '',
    VolumesFrom: flags.volumesFrom.length > 0 ? flags.volumesFrom : null,
    ConsoleSize: opts.consoleSize,
    CapAdd: capAdd.length > 0 ? capAdd : null,
    CapDrop: capDrop.length > 0 ? capDrop : null,
    CgroupnsMode: cgroupns,
    Dns: flags.dns,
    DnsOptions: flags.dnsOption,
    DnsSearch: flags.dnsSearch,
    ExtraHosts: flags.addHost.length > 0 ? flags.addHost : null,
    GroupAdd: flags.groupAdd.length > 0 ? flags.groupAdd : null,
    IpcMode: flags.ipc ?? '',
    Cgroup: '',
    Links: flags.link.length > 0 ? flags.link : null,
    OomScoreAdj: flags.oomScoreAdj ?? 0,
    PidMode: pid,
    Privileged: flags.privileged === true,
    PublishAllPorts: flags.publishAll === true,
    ReadonlyRootfs: flags.readOnly === true,
    SecurityOpt: security.securityOpt.length > 0 ? security.securityOpt : null,
    ...(Object.keys(tmpfs).length > 0 ? { Tmpfs: tmpfs } : {}),
    UTSMode: uts,
    UsernsMode: '',
    ShmSize: shmSize,
    ...(Object.keys(sysctls).length > 0 ? { Sysctls: sysctls } : {}),
    Isolation: '',
    CpuShares: flags.cpuShares ?? 0,
    Memory: memory,
    NanoCpus: nanoCpus,
    CgroupParent: '',
    BlkioWeight: blkioWeight,
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [],
    CpuPeriod: flags.cpuPeriod ?? 0,
    CpuQuota: flags.cpuQuota ?? 0,
    CpuRealtimePeriod: flags.cpuRtPeriod ?? 0,
    CpuRealtimeRuntime: flags.cpuRtRuntime ?? 0,
    CpusetCpus: flags.cpusetCpus ?? '',
    CpusetMems: flags.cpusetMems ?? '',
    Devices: devices,
    DeviceCgroupRules: flags.deviceCgroupRule.length > 0 ? flags.deviceCgroupRule : null,
    DeviceRequests: cdiDevices.length > 0 ? [{ Driver: 'cdi', Count: 0, DeviceIDs: cdiDevices, Capabilities: null, Options: null }] : null,
    ...(kernelMemory !== 0 ? { KernelMemory: kernelMemory } : {}),
    MemoryReservation: memoryReservation,
    MemorySwap: memorySwap,
    MemorySwappiness: swappiness,
    OomKillDisable: flags.oomKillDisable === true,
    PidsLimit: flags.pidsLimit ?? 0,
    Ulimits: [...ulimits.values()].sort((x, y) => (x.Name < y.Name ? -1 : x.Name > y.Name ? 1 : 0)),
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    MaskedPaths: security.maskedPaths,
    ReadonlyPaths: security.readonlyPaths,
    ...(flags.init !== undefined ? { Init: flags.init } : {}),
  };
  const body: ContainerCreateBody = {
    Hostname: flags.hostname ?? '',
    Domainname: flags.domainname ?? '',
    User: flags.user ?? '',
    AttachStdin: detach ? false : attachStdin,
    AttachStdout: detach ? false : attachStdout,
    AttachStderr: detach ? false : attachStderr,
    ...(Object.keys(exposed).length > 0 ? { ExposedPorts: exposed } : {}),
    Tty: flags.tty === true,
    OpenStdin: openStdin,
    StdinOnce: !detach && openStdin && attachStdin,
    Env: envVars.length > 0 ? envVars : null,
    Cmd: cmd,
    ...(healthcheck ? { Healthcheck: healthcheck } : {}),
    Image: image,
    Volumes: volumes,
    WorkingDir: flags.workdir ?? '',
    Entrypoint: entrypoint,
    OnBuild: null,
    Labels: labels,
    ...(flags.stopSignal !== undefined ? { StopSignal: flags.stopSignal } : {}),
    ...(flags.stopTimeout !== undefined ? { StopTimeout: flags.stopTimeout } : {}),
    HostConfig: hostConfig,
    NetworkingConfig: { EndpointsConfig: endpoints },
  };
  return { body, name: flags.name, platform: flags.platform, pull: flags.pull ?? 'missing' };
}
