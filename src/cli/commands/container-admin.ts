/**
 * Container commands that look at or adjust a container without streaming its stdio: `top`, `port`, `pause`,
 * `unpause`, `update` (docker/cli cli/command/container/{top,port,pause,unpause,update}.go).
 */
import type { ContainerInspect, TopResponse, UpdateConfig } from '../../client/types.js';
import { ramInBytes } from '../../pkg/units.js';
import { errorText, handle } from '../action.js';
import type { CliContext } from '../cli-context.js';
import { addCommand, minArgs, rangeArgs, type DockerCommand } from '../command.js';
import { StatusError } from '../errors.js';
import { tabwriterFormat } from '../format/tabwriter.js';
import { parseCpus, parseMemSwap, parseUint16 } from './container-options.js';
import { forEachContainer } from './containers.js';

// -- top --------------------------------------------------------------------------------------------------------

/** docker's top table: titles then one row per process, through `tabwriter.NewWriter(out, 20, 1, 3, ' ', 0)`. */
export function formatTop(top: TopResponse): string {
  const lines = [(top.Titles ?? []).join('\t'), ...(top.Processes ?? []).map((p) => p.join('\t'))];
  return tabwriterFormat(lines.join('\n') + '\n', { minwidth: 20, padding: 3, padchar: ' ' });
}

// -- port -------------------------------------------------------------------------------------------------------

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** fvbommel/sortorder's NaturalLess: digit runs compare as numbers and sort before other characters. */
export function naturalLess(a: string, b: string): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const c1 = a[i]!;
    const c2 = b[j]!;
    const d1 = isDigit(c1);
    const d2 = isDigit(c2);
    if (d1 !== d2) return d1;
    if (!d1) {
      if (c1 !== c2) return c1 < c2;
      i++;
      j++;
      continue;
    }
    while (i < a.length && a[i] === '0') i++;
    while (j < b.length && b[j] === '0') j++;
    const nz1 = i;
    const nz2 = j;
    while (i < a.length && isDigit(a[i])) i++;
    while (j < b.length && isDigit(b[j])) j++;
    if (i - nz1 !== j - nz2) return i - nz1 < j - nz2;
    const n1 = a.slice(nz1, i);
    const n2 = b.slice(nz2, j);
    if (n1 !== n2) return n1 < n2;
    if (nz1 !== nz2) return nz1 < nz2;
  }
  return a.length < b.length;
}

function naturalCompare(a: string, b: string): number {
  if (naturalLess(a, b)) return -1;
  return naturalLess(b, a) ? 1 : 0;
}

/** Go's net.JoinHostPort. */
function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Go's strconv.ParseUint(s, 10, 16) error text, or undefined when `s` is a valid port number. */
function portNumberError(s: string): string | undefined {
  if (!/^\d+$/.test(s)) return `strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax`;
  if (Number(s) > 65535) return `strconv.ParseUint: parsing ${JSON.stringify(s)}: value out of range`;
  return undefined;
}

/**
 * docker's runPort: every published mapping as `80/tcp -> 0.0.0.0:8080`, or the host addresses of one private
 * port (`80` means `80/tcp`). Lines are sorted naturally. `name` is the container as the user named it.
 */
export function formatPorts(c: Pick<ContainerInspect, 'NetworkSettings'>, name: string, privatePort?: string): string {
  const ports = c.NetworkSettings?.Ports ?? {};
  const out: string[] = [];
  if (privatePort !== undefined && privatePort !== '') {
    const slash = privatePort.indexOf('/');
    const port = slash >= 0 ? privatePort.slice(0, slash) : privatePort;
    const proto = (slash >= 0 ? privatePort.slice(slash + 1) : '') || 'tcp';
    const bad = portNumberError(port);
    if (bad !== undefined) throw new StatusError(`Error: invalid port (${port}): ${bad}`, 1);
    const frontends = ports[`${port}/${proto}`];
    if (!frontends || frontends.length === 0) throw new StatusError(`Error: No public port '${privatePort}' published for ${name}`, 1);
    for (const f of frontends) out.push(joinHostPort(f.HostIp, f.HostPort));
  } else {
    for (const [from, frontends] of Object.entries(ports)) {
      for (const f of frontends ?? []) out.push(`${from} -> ${joinHostPort(f.HostIp, f.HostPort)}`);
    }
  }
  if (out.length === 0) return '';
  return out.sort(naturalCompare).join('\n') + '\n';
}

// -- update -----------------------------------------------------------------------------------------------------

interface UpdateFlags {
  blkioWeight?: string;
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuRtPeriod?: number;
  cpuRtRuntime?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  cpuShares?: number;
  cpus?: string;
  memory?: string;
  memoryReservation?: string;
  memorySwap?: string;
  kernelMemory?: string;
  restart?: string;
  pidsLimit?: number;
}

/** docker's opts.ParseRestartPolicy; empty leaves the policy as it is (Name ""). */
export function parseRestartPolicy(policy: string): { Name: string; MaximumRetryCount: number } {
  if (policy === '') return { Name: '', MaximumRetryCount: 0 };
  const colon = policy.indexOf(':');
  const name = colon >= 0 ? policy.slice(0, colon) : policy;
  const count = colon >= 0 ? policy.slice(colon + 1) : '';
  if (colon >= 0 && name === '') throw new Error('invalid restart policy format: no policy provided before colon');
  let max = 0;
  if (count !== '') {
    if (!/^[+-]?\d+$/.test(count)) throw new Error('invalid restart policy format: maximum retry count must be an integer');
    max = Number(count);
  }
  return { Name: name, MaximumRetryCount: max };
}

/**
 * docker's UpdateConfig for the update flags, every Resources field present as Go marshals it. Zero values (and a
 * null PidsLimit) mean "leave as is" to the daemon.
 */
export function buildUpdateConfig(flags: UpdateFlags): UpdateConfig {
  const restart = parseRestartPolicy(flags.restart ?? '');
  const kernelMemory = flags.kernelMemory !== undefined ? ramInBytes(flags.kernelMemory) : 0;
  return {
    CpuShares: flags.cpuShares ?? 0,
    Memory: flags.memory !== undefined ? ramInBytes(flags.memory) : 0,
    NanoCpus: flags.cpus !== undefined ? parseCpus(flags.cpus) : 0,
    CgroupParent: '',
    BlkioWeight: flags.blkioWeight !== undefined ? parseUint16(flags.blkioWeight) : 0,
    BlkioWeightDevice: null,
    BlkioDeviceReadBps: null,
    BlkioDeviceWriteBps: null,
    BlkioDeviceReadIOps: null,
    BlkioDeviceWriteIOps: null,
    CpuPeriod: flags.cpuPeriod ?? 0,
    CpuQuota: flags.cpuQuota ?? 0,
    CpuRealtimePeriod: flags.cpuRtPeriod ?? 0,
    CpuRealtimeRuntime: flags.cpuRtRuntime ?? 0,
    CpusetCpus: flags.cpusetCpus ?? '',
    CpusetMems: flags.cpusetMems ?? '',
    Devices: null,
    DeviceCgroupRules: null,
    DeviceRequests: null,
    ...(kernelMemory !== 0 ? { KernelMemory: kernelMemory } : {}),
    MemoryReservation: flags.memoryReservation !== undefined ? ramInBytes(flags.memoryReservation) : 0,
    MemorySwap: flags.memorySwap !== undefined ? parseMemSwap(flags.memorySwap) : 0,
    MemorySwappiness: null,
    OomKillDisable: null,
    PidsLimit: flags.pidsLimit !== undefined && flags.pidsLimit !== 0 ? flags.pidsLimit : null,
    Ulimits: null,
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    RestartPolicy: restart,
  };
}

async function runUpdate(ctx: CliContext, containers: string[], flags: UpdateFlags, cmd: DockerCommand): Promise<void> {
  const given = cmd.options.filter((o) => cmd.getOptionValueSource(o.attributeName()) === 'cli').length;
  if (given === 0) throw new StatusError('you must provide one or more flags when using this command', 1);
  let config: UpdateConfig;
  try {
    config = buildUpdateConfig(flags);
  } catch (e) {
    throw new StatusError((e as Error).message, 1);
  }
  const warnings: string[] = [];
  const errors: string[] = [];
  for (const name of containers) {
    try {
      const r = await ctx.client.containerUpdate(name, config);
      ctx.out(`${name}\n`);
      warnings.push(...(r?.Warnings ?? []));
    } catch (e) {
      errors.push(errorText(e));
    }
  }
  if (warnings.length > 0) ctx.out(`${warnings.join('\n')}\n`);
  if (errors.length > 0) throw new StatusError(errors.join('\n'), 1);
}

// -- registration -----------------------------------------------------------------------------------------------

export function registerContainerAdminCommands(root: DockerCommand, container: DockerCommand): void {
  for (const parent of [root, container]) {
    addCommand(
      parent,
      {
        name: 'top',
        use: 'CONTAINER [ps OPTIONS]',
        short: 'Display the running processes of a container',
        args: minArgs(1),
        aliasesLine: 'berth container top, berth top',
        passThrough: true,
      },
      (cmd) => {
        handle(cmd, async (ctx, args) => {
          const top = await ctx.client.containerTop(args[0]!, args.slice(1));
          ctx.out(formatTop(top));
        });
      },
    );
    addCommand(
      parent,
      {
        name: 'port',
        use: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
        short: 'List port mappings or a specific mapping for the container',
        args: rangeArgs(1, 2),
        aliasesLine: 'berth container port, berth port',
      },
      (cmd) => {
        handle(cmd, async (ctx, args) => {
          const c = await ctx.client.containerInspect(args[0]!);
          ctx.out(formatPorts(c, args[0]!, args[1]));
        });
      },
    );
    addCommand(
      parent,
      {
        name: 'pause',
        use: 'CONTAINER [CONTAINER...]',
        short: 'Pause all processes within one or more containers',
        args: minArgs(1),
        aliasesLine: 'berth container pause, berth pause',
      },
      (cmd) => {
        handle(cmd, (ctx, args) => forEachContainer(ctx, args, (id) => ctx.client.containerPause(id)));
      },
    );
    addCommand(
      parent,
      {
        name: 'unpause',
        use: 'CONTAINER [CONTAINER...]',
        short: 'Unpause all processes within one or more containers',
        args: minArgs(1),
        aliasesLine: 'berth container unpause, berth unpause',
      },
      (cmd) => {
        handle(cmd, (ctx, args) => forEachContainer(ctx, args, (id) => ctx.client.containerUnpause(id)));
      },
    );
    addCommand(
      parent,
      {
        name: 'update',
        use: '[OPTIONS] CONTAINER [CONTAINER...]',
        short: 'Update configuration of one or more containers',
        args: minArgs(1),
        aliasesLine: 'berth container update, berth update',
      },
      (cmd) => {
        cmd
          .checked('--blkio-weight <uint16>', 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)', parseUint16)
          .int('--cpu-period <int>', 'Limit CPU CFS (Completely Fair Scheduler) period')
          .int('--cpu-quota <int>', 'Limit CPU CFS (Completely Fair Scheduler) quota')
          .int('--cpu-rt-period <int>', 'Limit the CPU real-time period in microseconds')
          .int('--cpu-rt-runtime <int>', 'Limit the CPU real-time runtime in microseconds')
          .int('-c, --cpu-shares <int>', 'CPU shares (relative weight)')
          .checked('--cpus <decimal>', 'Number of CPUs', parseCpus)
          .str('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)')
          .str('--cpuset-mems <string>', 'MEMs in which to allow execution (0-3, 0,1)')
          .checked('-m, --memory <bytes>', 'Memory limit', ramInBytes)
          .checked('--memory-reservation <bytes>', 'Memory soft limit', ramInBytes)
          .checked('--memory-swap <bytes>', 'Swap limit equal to memory plus swap: -1 to enable unlimited swap', parseMemSwap)
          .checked('--kernel-memory <bytes>', 'Kernel memory limit (deprecated)', ramInBytes)
          .int('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)')
          .str('--restart <string>', 'Restart policy to apply when a container exits');
        cmd.options.find((o) => o.long === '--kernel-memory')?.hideHelp();
        handle<UpdateFlags>(cmd, (ctx, args, opts, self) => runUpdate(ctx, args, opts, self));
      },
    );
  }
}
