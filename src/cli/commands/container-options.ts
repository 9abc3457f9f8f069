/**
 * The flags `create` and `run` share, and their translation into an Engine API create body with Docker's JSON
 * shapes (docker/cli cli/command/container/opts.go). The translation is a pure function of the parsed flags, the
 * client environment (for `-e KEY`) and a file reader (for `--env-file`/`--label-file`), so it is unit-tested
 * without a daemon.
 */
import { resolve as resolvePath } from 'node:path';
import type { ContainerCreateBody, EndpointSettings, HostConfig, PortBinding } from '../../client/types.js';
import { ramInBytes } from '../../pkg/units.js';
import type { DockerCommand } from '../command.js';

/** The parsed flag values commander hands us (attribute names as commander derives them). */
export interface ContainerFlags {
  attach: string[];
  addHost: string[];
  capAdd: string[];
  capDrop: string[];
  dns: string[];
  dnsOption: string[];
  dnsSearch: string[];
  domainname?: string;
  entrypoint?: string;
  env: string[];
  envFile: string[];
  expose: string[];
  groupAdd: string[];
  hostname?: string;
  init?: boolean;
  interactive?: boolean;
  ipc?: string;
  label: string[];
  labelFile: string[];
  logDriver?: string;
  logOpt: string[];
  memory?: string;
  name?: string;
  network?: string;
  /** docker's hidden alias of --network */
  net?: string;
  networkAlias: string[];
  pid?: string;
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
  volume: string[];
  volumesFrom: string[];
  workdir?: string;
  quiet?: boolean;
}

/** Registers the shared flags on `create` or `run`. */
export function addContainerFlags(cmd: DockerCommand): void {
  cmd
    .list('--add-host <list>', 'Add a custom host-to-IP mapping (host:ip)')
    .list('-a, --attach <list>', 'Attach to STDIN, STDOUT or STDERR')
    .list('--cap-add <list>', 'Add Linux capabilities')
    .list('--cap-drop <list>', 'Drop Linux capabilities')
    .list('--dns <list>', 'Set custom DNS servers')
    .list('--dns-option <list>', 'Set DNS options')
    .list('--dns-search <list>', 'Set custom DNS search domains')
    .str('--domainname <string>', 'Container NIS domain name')
    .str('--entrypoint <string>', 'Overwrite the default ENTRYPOINT of the image')
    .list('-e, --env <list>', 'Set environment variables')
    .list('--env-file <list>', 'Read in a file of environment variables')
    .list('--expose <list>', 'Expose a port or a range of ports')
    .list('--group-add <list>', 'Add additional groups to join')
    .str('-h, --hostname <string>', 'Container host name')
    .bool('--init', 'Run an init inside the container that forwards signals and reaps processes')
    .bool('-i, --interactive', 'Keep STDIN open even if not attached')
    .str('--ipc <string>', 'IPC mode to use')
    .list('-l, --label <list>', 'Set meta data on a container')
    .list('--label-file <list>', 'Read in a line delimited file of labels')
    .str('--log-driver <string>', 'Logging driver for the container')
    .list('--log-opt <list>', 'Log driver options')
    .checked('-m, --memory <bytes>', 'Memory limit', ramInBytes)
    .str('--name <string>', 'Assign a name to the container')
    .str('--network <network>', 'Connect a container to a network')
    .list('--network-alias <list>', 'Add network-scoped alias for the container')
    .str('--pid <string>', 'PID namespace to use')
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
    .int('--stop-timeout <int>', 'Timeout (in seconds) to stop a container')
    .list('--sysctl <map>', 'Sysctl options')
    .list('--tmpfs <list>', 'Mount a tmpfs directory')
    .bool('-t, --tty', 'Allocate a pseudo-TTY')
    .list('--ulimit <ulimit>', 'Ulimit options')
    .str('-u, --user <string>', 'Username or UID (format: <name|uid>[:<group|gid>])')
    .list('-v, --volume <list>', 'Bind mount a volume')
    .list('--volumes-from <list>', 'Mount volumes from the specified container(s)')
    .str('-w, --workdir <string>', 'Working directory inside the container');
  // docker's hidden alias for --network.
  cmd.str('--net <network>', 'Connect a container to a network');
  const net = cmd.options.find((o) => o.long === '--net');
  if (net) net.hideHelp();
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

/** docker's opts.ParseUlimit: `name=soft[:hard]`. */
function parseUlimit(val: string): { Name: string; Hard: number; Soft: number } {
  const eq = val.indexOf('=');
  if (eq < 0) throw new ContainerOptionsError(`invalid ulimit argument: ${val}`);
  const name = val.slice(0, eq);
  const [softS, hardS, extra] = val.slice(eq + 1).split(':');
  if (extra !== undefined) throw new ContainerOptionsError(`too many limit value arguments - ${val.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const num = (x: string): number => {
    if (!/^-?\d+$/.test(x)) throw new ContainerOptionsError(`invalid ulimit argument: ${val}`);
    return Number(x);
  };
  const soft = num(softS ?? '');
  const hard = hardS !== undefined ? num(hardS) : soft;
  if (soft > hard) throw new ContainerOptionsError(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: name, Hard: hard, Soft: soft };
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
  if (flags.network === undefined && flags.net === undefined) endpoints.default = zeroEndpoint(aliases);
  else if (aliases) endpoints[networkMode] = zeroEndpoint(aliases);

  let memory = 0;
  if (flags.memory !== undefined) {
    try {
      memory = ramInBytes(flags.memory);
    } catch (e) {
      throw new ContainerOptionsError(`invalid argument "${flags.memory}" for "-m, --memory" flag: ${(e as Error).message}`);
    }
  }
  let shmSize = 0;
  if (flags.shmSize !== undefined) {
    try {
      shmSize = ramInBytes(flags.shmSize);
    } catch (e) {
      throw new ContainerOptionsError(`invalid argument "${flags.shmSize}" for "--shm-size" flag: ${(e as Error).message}`);
    }
  }

  const tmpfs: Record<string, string> = {};
  for (const t of flags.tmpfs) {
    const c = t.indexOf(':');
    tmpfs[c >= 0 ? t.slice(0, c) : t] = c >= 0 ? t.slice(c + 1) : '';
  }
  const logConfig: Record<string, string> = {};
  for (const o of flags.logOpt) {
    const eq = o.indexOf('=');
    if (eq < 0) throw new ContainerOptionsError(`invalid key/value pair format in logging opts: ${o}`);
    logConfig[o.slice(0, eq)] = o.slice(eq + 1);
  }
  const sysctls: Record<string, string> = {};
  for (const s of flags.sysctl) {
    const eq = s.indexOf('=');
    if (eq < 0) throw new ContainerOptionsError(`sysctl '${s}' is not allowed`);
    sysctls[s.slice(0, eq)] = s.slice(eq + 1);
  }

  const detach = opts.detach;
  const openStdin = flags.interactive === true;
  const capAdd = normalizeCapabilities(flags.capAdd);
  const capDrop = normalizeCapabilities(flags.capDrop);
  // Field order follows Go's HostConfig struct, so the body reads like docker's.
  const hostConfig: HostConfig = {
    Binds: binds.length > 0 ? binds : null,
    ContainerIDFile: '',
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
    CgroupnsMode: '',
    Dns: flags.dns,
    DnsOptions: flags.dnsOption,
    DnsSearch: flags.dnsSearch,
    ExtraHosts: flags.addHost.length > 0 ? flags.addHost : null,
    GroupAdd: flags.groupAdd.length > 0 ? flags.groupAdd : null,
    IpcMode: flags.ipc ?? '',
    Cgroup: '',
    Links: null,
    OomScoreAdj: 0,
    PidMode: flags.pid ?? '',
    Privileged: flags.privileged === true,
    PublishAllPorts: flags.publishAll === true,
    ReadonlyRootfs: flags.readOnly === true,
    SecurityOpt: flags.securityOpt.length > 0 ? flags.securityOpt : null,
    ...(Object.keys(tmpfs).length > 0 ? { Tmpfs: tmpfs } : {}),
    UTSMode: '',
    UsernsMode: '',
    ShmSize: shmSize,
    ...(Object.keys(sysctls).length > 0 ? { Sysctls: sysctls } : {}),
    Isolation: '',
    CpuShares: 0,
    Memory: memory,
    NanoCpus: 0,
    CgroupParent: '',
    BlkioWeight: 0,
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [],
    CpuPeriod: 0,
    CpuQuota: 0,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: '',
    CpusetMems: '',
    Devices: [],
    DeviceCgroupRules: null,
    DeviceRequests: null,
    MemoryReservation: 0,
    MemorySwap: 0,
    MemorySwappiness: -1,
    OomKillDisable: false,
    PidsLimit: 0,
    Ulimits: flags.ulimit.map(parseUlimit),
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    MaskedPaths: null,
    ReadonlyPaths: null,
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
