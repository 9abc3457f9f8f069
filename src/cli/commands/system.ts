/**
 * `berth version`, `berth info` and the `system` group: `system info`, `system df`, `system prune`
 * (docker/cli cli/command/system/{version,info,df,prune}.go).
 */
import { EngineApiError } from '../../client/errors.js';
import type { Filters, ServerVersion, SystemInfo } from '../../client/types.js';
import { GO_TYPE, parseDockerTemplate, Template, DOCKER_FUNCS } from '../../pkg/go-template.js';
import { bytesSize } from '../../pkg/units.js';
import { DEFAULT_API_VERSION } from '../../client/engine-client.js';
import { handle, errorText } from '../action.js';
import type { CliContext } from '../cli-context.js';
import { addCommand, addGroup, NO_ARGS, type DockerCommand } from '../command.js';
import { StatusError } from '../errors.js';
import { JSON_FORMAT, JSON_FORMAT_KEY } from '../format/formatter.js';
import { tabwriterFormat } from '../format/tabwriter.js';
import { BERTH_GIT_COMMIT, BERTH_VERSION } from '../version.js';
import { formatDiskUsage } from '../format/disk-usage-context.js';
import { naturalLess } from './container-admin.js';
import { parseFilters } from './filters.js';
import { goFieldAlias } from './inspect.js';
import {
  buildCachePruneResult,
  confirmed,
  formatPruneReport,
  networkPruneResult,
  pruneContainers,
  pruneImages,
  volumePruneResult,
  type PruneResult,
} from './prune.js';

const DEFAULT_VERSION_TEMPLATE = `{{with .Client -}}
Client:{{if ne .Platform nil}}{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}{{end}}
 Version:\t{{.Version}}
 API version:\t{{.APIVersion}}{{if ne .APIVersion .DefaultAPIVersion}} (downgraded from {{.DefaultAPIVersion}}){{end}}
 Node version:\t{{.GoVersion}}
 Git commit:\t{{.GitCommit}}
 Built:\t{{.BuildTime}}
 OS/Arch:\t{{.Os}}/{{.Arch}}
 Context:\t{{.Context}}
{{- end}}

{{- if ne .Server nil}}{{with .Server}}

Server:{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}
 {{- range $component := .Components}}
 {{$component.Name}}:
  {{- if eq $component.Name "Engine" }}
  Version:\t{{.Version}}
  API version:\t{{index .Details "ApiVersion"}} (minimum version {{index .Details "MinAPIVersion"}})
  Go version:\t{{index .Details "GoVersion"}}
  Git commit:\t{{index .Details "GitCommit"}}
  Built:\t{{index .Details "BuildTime"}}
  OS/Arch:\t{{index .Details "Os"}}/{{index .Details "Arch"}}
  Experimental:\t{{index .Details "Experimental"}}
  {{- else }}
  Version:\t{{$component.Version}}
  {{- $detailsOrder := getDetailsOrder $component}}
  {{- range $key := $detailsOrder}}
  {{$key}}:\t{{index $component.Details $key}}
   {{- end}}
  {{- end}}
 {{- end}}
 {{- end}}{{- end}}`;

function goArch(): string {
  switch (process.arch) {
    case 'x64':
      return 'amd64';
    case 'ia32':
      return '386';
    default:
      return process.arch;
  }
}

/** The client half of `version`: docker's clientVersion (JSON omits empty fields, as Go's omitempty does). */
class ClientVersion {
  readonly [GO_TYPE] = 'system.clientVersion';
  Platform: { Name: string } | null = null;
  Version = BERTH_VERSION;
  APIVersion: string;
  DefaultAPIVersion = DEFAULT_API_VERSION;
  GitCommit = BERTH_GIT_COMMIT;
  GoVersion = process.version;
  Os: string = process.platform;
  Arch = goArch();
  BuildTime = '';
  Context: string;

  constructor(apiVersion: string, context: string) {
    this.APIVersion = apiVersion;
    this.Context = context;
  }

  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (this.Platform) out.Platform = this.Platform;
    const fields: [string, string][] = [
      ['Version', this.Version],
      ['ApiVersion', this.APIVersion],
      ['DefaultAPIVersion', this.DefaultAPIVersion],
      ['GitCommit', this.GitCommit],
      ['GoVersion', this.GoVersion],
      ['Os', this.Os],
      ['Arch', this.Arch],
      ['BuildTime', this.BuildTime],
    ];
    for (const [k, v] of fields) if (v !== '') out[k] = v;
    out.Context = this.Context;
    return out;
  }
}

/** Go's time.ANSIC for an RFC 3339 timestamp, or the input unchanged (docker's reformatDate). */
export function reformatDate(s: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T/.test(s)) return s;
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return s;
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${days[d.getDay()]} ${months[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}`;
}

function withEngineComponent(sv: ServerVersion): ServerVersion {
  const components = [...(sv.Components ?? [])].map((c) => ({ ...c, Details: { ...(c.Details ?? {}) } }));
  let found = false;
  for (const c of components) {
    if (c.Name === 'Engine') {
      found = true;
      if (c.Details.BuildTime !== undefined) c.Details.BuildTime = reformatDate(c.Details.BuildTime);
    }
  }
  if (!found) {
    components.push({
      Name: 'Engine',
      Version: sv.Version,
      Details: {
        ApiVersion: sv.ApiVersion,
        MinAPIVersion: sv.MinAPIVersion ?? '',
        GitCommit: sv.GitCommit,
        GoVersion: sv.GoVersion,
        Os: sv.Os,
        Arch: sv.Arch,
        BuildTime: reformatDate(sv.BuildTime ?? ''),
        Experimental: String(sv.Experimental ?? false),
      },
    });
  }
  return { ...sv, Platform: sv.Platform ?? { Name: '' }, Components: components };
}

async function runVersion(ctx: CliContext, format: string | undefined): Promise<void> {
  let text = format ?? '';
  if (text === '') text = DEFAULT_VERSION_TEMPLATE;
  else if (text === JSON_FORMAT_KEY) text = JSON_FORMAT;
  let tmpl: Template;
  try {
    tmpl = Template.parse(text, {
      name: 'version',
      funcs: {
        ...DOCKER_FUNCS,
        getDetailsOrder: {
          params: ['any'],
          fn: (v: { Details?: Record<string, string> }) => Object.keys(v?.Details ?? {}).sort(),
        },
      },
    });
  } catch (e) {
    throw new StatusError(`template parsing error: ${(e as Error).message}`, 64);
  }
  const client = ctx.client;
  let server: ServerVersion | null = null;
  let serverErr: unknown;
  try {
    server = withEngineComponent(await client.version());
  } catch (e) {
    serverErr = e;
  }
  const data = { [GO_TYPE]: 'system.versionInfo', Client: new ClientVersion(client.apiVersion, ctx.globals.context ?? 'default'), Server: server };
  let out: string;
  let execErr: unknown;
  try {
    out = tmpl.execute(data, { fieldAlias: goFieldAlias });
  } catch (e) {
    execErr = e;
    out = (e as { partial?: string }).partial ?? '';
  }
  ctx.out(tabwriterFormat(out + '\n', { minwidth: 20, padding: 1 }));
  if (serverErr !== undefined) throw new StatusError(errorText(serverErr), 1);
  if (execErr !== undefined) throw new StatusError((execErr as Error).message, 1);
}

// -- info -------------------------------------------------------------------------------------------------------

function decodeSecurityOptions(opts: string[]): { name: string; options: [string, string][] }[] {
  return opts.map((o) => {
    const out = { name: '', options: [] as [string, string][] };
    for (const kv of o.split(',')) {
      const eq = kv.indexOf('=');
      const k = eq >= 0 ? kv.slice(0, eq) : kv;
      const v = eq >= 0 ? kv.slice(eq + 1) : '';
      if (k === 'name') out.name = v;
      else out.options.push([k, v]);
    }
    return out;
  });
}

function maskBits(mask: string): number {
  return [...Buffer.from(mask, 'base64')].reduce((n, b) => n + b.toString(2).replace(/0/g, '').length, 0);
}

/** docker's prettyPrintServerInfo for the fields a daemon reports. */
export function formatServerInfo(info: SystemInfo): string {
  const lines: string[] = [];
  const ln = (...parts: unknown[]): void => {
    lines.push(parts.map((p) => String(p)).join(' '));
  };
  const nonEmpty = (label: string, v: unknown): void => {
    if (v !== undefined && v !== null && v !== '') ln(label, v);
  };
  const i = info as Record<string, unknown> & SystemInfo;
  ln(' Containers:', i.Containers ?? 0);
  ln('  Running:', i.ContainersRunning ?? 0);
  ln('  Paused:', i.ContainersPaused ?? 0);
  ln('  Stopped:', i.ContainersStopped ?? 0);
  ln(' Images:', i.Images ?? 0);
  nonEmpty(' Server Version:', i.ServerVersion);
  nonEmpty(' Storage Driver:', i.Driver);
  for (const [k, v] of i.DriverStatus ?? []) lines.push(`  ${k}: ${v}`);
  for (const [k, v] of (i.SystemStatus as [string, string][] | null | undefined) ?? []) lines.push(` ${k}: ${v}`);
  nonEmpty(' Logging Driver:', i.LoggingDriver);
  nonEmpty(' Cgroup Driver:', i.CgroupDriver);
  nonEmpty(' Cgroup Version:', i.CgroupVersion);
  const plugins = (i.Plugins as { Volume?: string[]; Network?: string[]; Authorization?: string[]; Log?: string[] } | undefined) ?? {};
  ln(' Plugins:');
  ln('  Volume:', (plugins.Volume ?? []).join(' '));
  ln('  Network:', (plugins.Network ?? []).join(' '));
  if ((plugins.Authorization ?? []).length > 0) ln('  Authorization:', plugins.Authorization!.join(' '));
  ln('  Log:', (plugins.Log ?? []).join(' '));
  const cdi = (i.CDISpecDirs as string[] | undefined) ?? [];
  if (cdi.length > 0) {
    ln(' CDI spec directories:');
    for (const d of cdi) lines.push(`  ${d}`);
  }
  const swarm = (i.Swarm as { LocalNodeState?: string } | undefined) ?? {};
  ln(' Swarm:', swarm.LocalNodeState ?? 'inactive');
  const runtimes = (i.Runtimes as Record<string, unknown> | undefined) ?? {};
  if (Object.keys(runtimes).length > 0) {
    ln(' Runtimes:', Object.keys(runtimes).join(' '));
    ln(' Default Runtime:', i.DefaultRuntime ?? '');
  }
  if (i.OSType === 'linux') {
    ln(' Init Binary:', i.InitBinary ?? '');
    ln(' containerd version:', (i.ContainerdCommit as { ID?: string } | undefined)?.ID ?? '');
    ln(' runc version:', (i.RuncCommit as { ID?: string } | undefined)?.ID ?? '');
    ln(' init version:', (i.InitCommit as { ID?: string } | undefined)?.ID ?? '');
    const sec = (i.SecurityOptions as string[] | undefined) ?? [];
    if (sec.length > 0) {
      ln(' Security Options:');
      for (const so of decodeSecurityOptions(sec)) {
        lines.push(`  ${so.name}`);
        for (const [k, v] of so.options) if (k === 'profile') ln('   Profile:', v);
      }
    }
  }
  nonEmpty(' Kernel Version:', i.KernelVersion);
  nonEmpty(' Operating System:', i.OperatingSystem);
  nonEmpty(' OSType:', i.OSType);
  nonEmpty(' Architecture:', i.Architecture);
  ln(' CPUs:', i.NCPU ?? 0);
  ln(' Total Memory:', bytesSize(Number(i.MemTotal ?? 0)));
  nonEmpty(' Name:', i.Name);
  nonEmpty(' ID:', i.ID);
  ln(' Docker Root Dir:', i.DockerRootDir ?? '');
  ln(' Debug Mode:', i.Debug ?? false);
  if (i.Debug) {
    ln('  File Descriptors:', i.NFd ?? 0);
    ln('  Goroutines:', i.NGoroutines ?? 0);
    ln('  System Time:', i.SystemTime ?? '');
    ln('  EventsListeners:', i.NEventsListener ?? 0);
  }
  nonEmpty(' HTTP Proxy:', i.HttpProxy);
  nonEmpty(' HTTPS Proxy:', i.HttpsProxy);
  nonEmpty(' No Proxy:', i.NoProxy);
  const labels = (i.Labels as string[] | undefined) ?? [];
  if (labels.length > 0) {
    ln(' Labels:');
    for (const l of labels) lines.push(`  ${l}`);
  }
  ln(' Experimental:', i.ExperimentalBuild ?? false);
  const reg = i.RegistryConfig as
    | { InsecureRegistryCIDRs?: (string | { IP: string; Mask: string })[]; IndexConfigs?: Record<string, { Name: string; Secure: boolean }>; Mirrors?: string[] }
    | undefined;
  if (reg && ((reg.InsecureRegistryCIDRs ?? []).length > 0 || Object.keys(reg.IndexConfigs ?? {}).length > 0)) {
    ln(' Insecure Registries:');
    for (const c of Object.values(reg.IndexConfigs ?? {})) if (!c.Secure) lines.push(`  ${c.Name}`);
    // The API spells a CIDR as a string; older encodings used {IP, Mask} with a base64 mask.
    for (const c of reg.InsecureRegistryCIDRs ?? []) lines.push(typeof c === 'string' ? `  ${c}` : `  ${c.IP}/${maskBits(c.Mask)}`);
  }
  if (reg && (reg.Mirrors ?? []).length > 0) {
    ln(' Registry Mirrors:');
    for (const m of reg.Mirrors!) lines.push(`  ${m}`);
  }
  ln(' Live Restore Enabled:', i.LiveRestoreEnabled ?? false);
  if (i.ProductLicense) ln(' Product License:', i.ProductLicense);
  const pools = (i.DefaultAddressPools as { Base: string; Size: number }[] | undefined) ?? [];
  if (pools.length > 0) {
    ln(' Default Address Pools:');
    for (const p of pools) lines.push(`   Base: ${p.Base}, Size: ${p.Size}`);
  }
  return lines.join('\n') + '\n\n';
}

async function runInfo(ctx: CliContext, format: string | undefined): Promise<void> {
  const clientInfo = {
    Debug: ctx.globals.debug === true,
    Version: BERTH_VERSION,
    GitCommit: BERTH_GIT_COMMIT,
    GoVersion: process.version,
    Os: process.platform,
    Arch: goArch(),
    Context: ctx.globals.context ?? 'default',
    Plugins: [] as unknown[],
    Warnings: null,
  };
  if (format === undefined || format === '') {
    ctx.out(`Client:\n Version:    ${BERTH_VERSION}\n Context:    ${clientInfo.Context}\n Debug Mode: ${clientInfo.Debug}\n\nServer:\n`);
    let info: SystemInfo;
    try {
      info = await ctx.client.info();
    } catch (e) {
      throw new StatusError(errorText(e), 1);
    }
    ctx.out(formatServerInfo(info));
    for (const w of (info.Warnings as string[] | null | undefined) ?? []) ctx.err(`${w}\n`);
    return;
  }
  const text = format === JSON_FORMAT_KEY ? JSON_FORMAT : format;
  let tmpl: Template;
  try {
    tmpl = parseDockerTemplate(text);
  } catch (e) {
    throw new StatusError(`template parsing error: ${(e as Error).message}`, 64);
  }
  let info: Record<string, unknown> = {};
  let serverErr: unknown;
  try {
    info = (await ctx.client.info()) as Record<string, unknown>;
  } catch (e) {
    serverErr = e;
  }
  const data = {
    [GO_TYPE]: 'system.dockerInfo',
    ...info,
    ClientInfo: clientInfo,
    ClientErrors: null,
    ServerErrors: serverErr !== undefined ? [errorText(serverErr)] : null,
  };
  let out = '';
  let execErr: unknown;
  try {
    out = tmpl.execute(data);
  } catch (e) {
    execErr = e;
    out = (e as { partial?: string }).partial ?? '';
  }
  ctx.out(out + '\n');
  if (serverErr !== undefined) throw new StatusError(errorText(serverErr), 1);
  if (execErr !== undefined) throw new StatusError((execErr as Error).message, 1);
}

// -- system prune -----------------------------------------------------------------------------------------------

interface SystemPruneFlags {
  all?: boolean;
  filter: string[];
  force?: boolean;
  volumes?: boolean;
}

/** docker's system prune confirmation: what will go, and the label/until filters that narrow it. */
export function systemPruneWarning(opts: { all: boolean; volumes: boolean; filters: Filters }): string {
  const warnings = ['all stopped containers', 'all networks not used by at least one container'];
  if (opts.volumes) warnings.push('all anonymous volumes not used by at least one container');
  warnings.push(opts.all ? 'all images without at least one container associated to them' : 'all dangling images');
  warnings.push(opts.all ? 'all build cache' : 'unused build cache');
  const filters: string[] = [];
  for (const name of ['label', 'label!', 'until']) for (const v of Object.keys(opts.filters[name] ?? {})) filters.push(`${name}=${v}`);
  filters.sort((a, b) => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0));
  let text = `WARNING! This will remove:${warnings.map((w) => `\n  - ${w}`).join('')}\n`;
  if (filters.length > 0) text += `\n  Items to be pruned will be filtered with:${filters.map((f) => `\n  - ${f}`).join('')}\n`;
  return `${text}\nAre you sure you want to continue?`;
}

/** A daemon without the endpoint at all (no networks, volumes or builder): that step has nothing to prune. */
function missingEndpoint(e: unknown): boolean {
  return e instanceof EngineApiError && ((e.statusCode === 404 && e.message.startsWith('page not found')) || e.statusCode === 501);
}

async function optionalStep(step: () => Promise<PruneResult>): Promise<PruneResult> {
  try {
    return await step();
  } catch (e) {
    if (missingEndpoint(e)) return { output: '', spaceReclaimed: 0 };
    throw e;
  }
}

async function runSystemPrune(ctx: CliContext, opts: SystemPruneFlags): Promise<void> {
  const filters = parseFilters(opts.filter);
  const all = opts.all === true;
  const volumes = opts.volumes === true;
  if (volumes && filters.until) throw new StatusError('ERROR: The "until" filter is not supported with "--volumes"', 1);
  if (!(await confirmed(ctx, opts.force, systemPruneWarning({ all, volumes, filters })))) return;
  const client = ctx.client;
  const steps: (() => Promise<PruneResult>)[] = [
    () => pruneContainers(client, filters),
    () => optionalStep(async () => networkPruneResult(await client.networkPrune(filters))),
  ];
  if (volumes) steps.push(() => optionalStep(async () => volumePruneResult(await client.volumePrune(filters))));
  steps.push(() => pruneImages(client, filters, all));
  steps.push(() => optionalStep(async () => buildCachePruneResult(await client.buildCachePrune({ all, filters }))));
  let total = 0;
  for (const step of steps) {
    const r = await step();
    total += r.spaceReclaimed;
    // Each step's list appears as soon as it is done, as docker prints them.
    if (r.output !== '') ctx.out(`${r.output}\n`);
  }
  ctx.out(formatPruneReport([{ output: '', spaceReclaimed: total }]));
}

export function registerSystemCommands(root: DockerCommand): void {
  addCommand(root, { name: 'version', use: '[OPTIONS]', short: 'Show the Berth version information', args: NO_ARGS }, (cmd) => {
    cmd.str('-f, --format <string>', 'Format output using a custom template');
    handle<{ format?: string }>(cmd, (ctx, _args, opts) => runVersion(ctx, opts.format));
  });
  const system = (root.commands.find((c) => c.name() === 'system') as DockerCommand | undefined) ?? addGroup(root, 'system', 'Manage Berth');
  for (const parent of [root, system]) {
    addCommand(
      parent,
      { name: 'info', use: '[OPTIONS]', short: 'Display system-wide information', args: NO_ARGS, aliasesLine: 'berth system info, berth info' },
      (cmd) => {
        cmd.str('-f, --format <string>', 'Format output using a custom template');
        handle<{ format?: string }>(cmd, (ctx, _args, opts) => runInfo(ctx, opts.format));
      },
    );
  }
  addCommand(system, { name: 'df', use: '[OPTIONS]', short: 'Show berth disk usage', args: NO_ARGS }, (cmd) => {
    cmd.str('--format <string>', 'Format output using a custom template').bool('-v, --verbose', 'Show detailed information on space usage');
    handle<{ format?: string; verbose?: boolean }>(cmd, async (ctx, _args, opts) => {
      const du = await ctx.client.systemDf();
      ctx.out(formatDiskUsage(du, { format: opts.format ?? '', verbose: opts.verbose === true }));
    });
  });
  addCommand(system, { name: 'prune', use: '[OPTIONS]', short: 'Remove unused data', args: NO_ARGS }, (cmd) => {
    cmd
      .bool('-a, --all', 'Remove all unused images not just dangling ones')
      .filter('--filter <filter>', 'Provide filter values (e.g. "label=<key>=<value>")')
      .bool('-f, --force', 'Do not prompt for confirmation')
      .bool('--volumes', 'Prune anonymous volumes');
    handle<SystemPruneFlags>(cmd, (ctx, _args, opts) => runSystemPrune(ctx, opts));
  });
}
