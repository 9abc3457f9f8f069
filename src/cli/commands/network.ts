/**
 * `berth network create|ls|inspect|rm|prune|connect|disconnect`, docker's flags and output
 * (docker/cli cli/command/network/*.go).
 */
import type { Filters } from '../../client/types.js';
import { errorText, handle } from '../action.js';
import { encodeFilters } from '../../client/engine-client.js';
import type { CliContext } from '../cli-context.js';
import { addCommand, addGroup, exactArgs, minArgs, NO_ARGS, type DockerCommand } from '../command.js';
import { StatusError } from '../errors.js';
import { DEFAULT_QUIET_FORMAT, renderFormat, TABLE_FORMAT_KEY, truncateId } from '../format/formatter.js';
import { runInspect } from './inspect.js';
import { confirmed, networkPruneResult } from './prune.js';
import { parseFilters } from './filters.js';

interface NetworkResource {
  Name: string;
  Id: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv6: boolean;
  Internal: boolean;
  Labels: Record<string, string> | null;
}

const NETWORK_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';
const NETWORK_HEADER = { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv6: 'IPV6', Internal: 'INTERNAL', Labels: 'LABELS', CreatedAt: 'CREATED AT' };
const PRUNE_WARNING = 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?';

/** `-o k=v` and `--label k=v` lists as a map (a bare key gets ''). */
export function keyValues(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const eq = kv.indexOf('=');
    out[eq < 0 ? kv : kv.slice(0, eq)] = eq < 0 ? '' : kv.slice(eq + 1);
  }
  return out;
}

/** The `POST /networks/create` body for docker's create flags. */
export function networkCreateBody(name: string, o: CreateFlags): Record<string, unknown> {
  if (o.ipRange.length > o.subnet.length || o.gateway.length > o.subnet.length) throw new StatusError('every ip-range or gateway must have a corresponding subnet', 1);
  const config = o.subnet.map((subnet, i) => ({
    Subnet: subnet,
    ...(o.ipRange[i] ? { IPRange: o.ipRange[i] } : {}),
    ...(o.gateway[i] ? { Gateway: o.gateway[i] } : {}),
  }));
  return {
    Name: name,
    Driver: o.driver ?? 'bridge',
    Options: keyValues(o.opt),
    IPAM: { Driver: 'default', Options: {}, Config: config },
    Internal: o.internal === true,
    EnableIPv6: o.ipv6 === true,
    Attachable: o.attachable === true,
    Labels: keyValues(o.label),
  };
}

interface CreateFlags {
  driver?: string;
  subnet: string[];
  gateway: string[];
  ipRange: string[];
  internal?: boolean;
  attachable?: boolean;
  ipv6?: boolean;
  label: string[];
  opt: string[];
}

export function networkRows(list: NetworkResource[], trunc: boolean): Record<string, unknown>[] {
  return list.map((n) => ({
    ID: trunc ? truncateId(n.Id) : n.Id,
    Name: n.Name,
    Driver: n.Driver,
    Scope: n.Scope,
    IPv6: String(n.EnableIPv6),
    Internal: String(n.Internal),
    Labels: Object.entries(n.Labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    CreatedAt: n.Created,
  }));
}

async function listNetworks(ctx: CliContext, filters: Filters): Promise<NetworkResource[]> {
  return ctx.client.json<NetworkResource[]>('GET', '/networks', { query: { filters: encodeFilters(filters) } });
}

export function registerNetworkCommands(program: DockerCommand): void {
  const network = addGroup(program, 'network', 'Manage networks');
  addCommand(network, { name: 'create', use: '[OPTIONS] NETWORK', short: 'Create a network', args: exactArgs(1) }, (cmd) => {
    cmd
      .bool('--attachable', 'Enable manual container attachment')
      .str('-d, --driver <string>', 'Driver to manage the Network', 'bridge')
      .list('--gateway <list>', 'IPv4 or IPv6 Gateway for the master subnet')
      .bool('--internal', 'Restrict external access to the network')
      .list('--ip-range <list>', 'Allocate container ip from a sub-range')
      .bool('--ipv6', 'Enable or disable IPv6 networking')
      .list('--label <list>', 'Set metadata on a network')
      .list('-o, --opt <list>', 'Set driver specific options')
      .list('--subnet <list>', 'Subnet in CIDR format that represents a network segment');
    handle<CreateFlags>(cmd, async (ctx, args, opts) => {
      const r = await ctx.client.json<{ Id: string }>('POST', '/networks/create', { body: networkCreateBody(args[0]!, opts) });
      ctx.out(`${r.Id}\n`);
    });
  });
  addCommand(network, { name: 'ls', aliases: ['list'], use: '[OPTIONS]', short: 'List networks', args: NO_ARGS, aliasesLine: 'berth network ls, berth network list' }, (cmd) => {
    cmd
      .filter('-f, --filter <filter>', 'Provide filter values (e.g. "driver=bridge")')
      .str('--format <string>', 'Format output using a custom template')
      .bool('--no-trunc', 'Do not truncate the output')
      .bool('-q, --quiet', 'Only display network IDs');
    handle<{ filter: string[]; format?: string; trunc?: boolean; quiet?: boolean }>(cmd, async (ctx, _args, opts) => {
      const list = await listNetworks(ctx, parseFilters(opts.filter));
      let format = opts.format && opts.format !== '' ? opts.format : NETWORK_TABLE;
      if (opts.quiet) format = DEFAULT_QUIET_FORMAT;
      else if (format === TABLE_FORMAT_KEY) format = NETWORK_TABLE;
      ctx.out(renderFormat(format, NETWORK_HEADER, networkRows(list, opts.trunc !== false)));
    });
  });
  addCommand(network, { name: 'inspect', use: '[OPTIONS] NETWORK [NETWORK...]', short: 'Display detailed information on one or more networks', args: minArgs(1) }, (cmd) => {
    cmd.str('-f, --format <string>', 'Format output using a custom template').bool('-v, --verbose', 'Verbose output for diagnostics');
    handle<{ format?: string }>(cmd, (ctx, args, opts) => runInspect(ctx, args, opts.format, (ref) => ctx.client.inspectRaw(`/networks/${encodeURIComponent(ref)}`)));
  });
  addCommand(network, { name: 'rm', aliases: ['remove'], use: 'NETWORK [NETWORK...]', short: 'Remove one or more networks', args: minArgs(1), aliasesLine: 'berth network rm, berth network remove' }, (cmd) => {
    cmd.bool('-f, --force', 'Do not error if the network does not exist');
    handle<{ force?: boolean }>(cmd, async (ctx, args, opts) => {
      const errors: string[] = [];
      for (const ref of args) {
        try {
          await ctx.client.call('DELETE', `/networks/${encodeURIComponent(ref)}`);
          ctx.out(`${ref}\n`);
        } catch (err) {
          if (opts.force && /not found/.test((err as Error).message)) continue;
          errors.push(errorText(err));
        }
      }
      if (errors.length > 0) throw new StatusError(errors.join('\n'), 1);
    });
  });
  addCommand(network, { name: 'prune', use: '[OPTIONS]', short: 'Remove all unused networks', args: NO_ARGS }, (cmd) => {
    cmd.filter('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")').bool('-f, --force', 'Do not prompt for confirmation');
    handle<{ filter: string[]; force?: boolean }>(cmd, async (ctx, _args, opts) => {
      const filters = parseFilters(opts.filter);
      if (!(await confirmed(ctx, opts.force, PRUNE_WARNING))) return;
      const r = networkPruneResult(await ctx.client.networkPrune(filters));
      ctx.out(r.output);
    });
  });
  addCommand(network, { name: 'connect', use: '[OPTIONS] NETWORK CONTAINER', short: 'Connect a container to a network', args: exactArgs(2) }, (cmd) => {
    cmd
      .list('--alias <list>', 'Add network-scoped alias for the container')
      .str('--ip <string>', 'IPv4 address (e.g., "172.30.100.104")')
      .list('--link <list>', 'Add link to another container');
    handle<{ alias: string[]; ip?: string; link: string[] }>(cmd, async (ctx, args, opts) => {
      const EndpointConfig = {
        ...(opts.ip ? { IPAMConfig: { IPv4Address: opts.ip } } : {}),
        Aliases: opts.alias.length > 0 ? opts.alias : null,
        Links: opts.link.length > 0 ? opts.link : null,
      };
      await ctx.client.call('POST', `/networks/${encodeURIComponent(args[0]!)}/connect`, { body: { Container: args[1], EndpointConfig } });
    });
  });
  addCommand(network, { name: 'disconnect', use: '[OPTIONS] NETWORK CONTAINER', short: 'Disconnect a container from a network', args: exactArgs(2) }, (cmd) => {
    cmd.bool('-f, --force', 'Force the container to disconnect from a network');
    handle<{ force?: boolean }>(cmd, async (ctx, args, opts) => {
      await ctx.client.call('POST', `/networks/${encodeURIComponent(args[0]!)}/disconnect`, { body: { Container: args[1], Force: opts.force === true } });
    });
  });
}
