/**
 * `berth inspect`, `berth container inspect`, `berth image inspect` (docker/cli cli/command/inspect and
 * system/inspect.go): the daemon's JSON re-indented as docker prints it, or each object through a template.
 */
import { EngineApiError } from '../../client/errors.js';
import { parseDockerTemplate, type Template } from '../../pkg/go-template.js';
import { errorText, handle } from '../action.js';
import type { CliContext } from '../cli-context.js';
import { addCommand, minArgs, type DockerCommand } from '../command.js';
import { StatusError } from '../errors.js';
import { jsonCompact, jsonIndent } from '../format/json-indent.js';

export interface InspectedObject {
  value: unknown;
  raw: string;
}

type GetRef = (ref: string) => Promise<InspectedObject>;

/**
 * Go field names of Docker's API types whose JSON names differ. docker executes a template against the typed
 * struct first, so `{{.ID}}` works there as `{{.Id}}` does through its raw-JSON fallback; berth offers both.
 */
const GO_FIELD_ALIASES: Record<string, string> = {
  ID: 'Id',
  APIVersion: 'ApiVersion',
  DNS: 'Dns',
  DNSOptions: 'DnsOptions',
  DNSSearch: 'DnsSearch',
  CPUShares: 'CpuShares',
  CPUPeriod: 'CpuPeriod',
  CPUQuota: 'CpuQuota',
  CPURealtimePeriod: 'CpuRealtimePeriod',
  CPURealtimeRuntime: 'CpuRealtimeRuntime',
  CPUCount: 'CpuCount',
  CPUPercent: 'CpuPercent',
};

export function goFieldAlias(name: string): string | undefined {
  return GO_FIELD_ALIASES[name];
}

/** Skippable while auto-detecting the type: docker's isErrSkippable. */
function isSkippable(e: unknown): boolean {
  if (e instanceof EngineApiError && e.statusCode === 404) return true;
  const msg = errorText(e);
  return msg.includes('not supported') || msg.includes('invalid reference format');
}

/**
 * docker's inspect.Inspect: renders every reference, collecting failures; the output is flushed before the errors
 * are reported (exit 1). A bad template is exit 64.
 */
export async function runInspect(ctx: CliContext, refs: string[], format: string | undefined, getRef: GetRef): Promise<void> {
  const tmplStr = format ?? '';
  let tmpl: Template | undefined;
  if (tmplStr !== '' && tmplStr !== 'json') {
    try {
      tmpl = parseDockerTemplate(tmplStr);
    } catch (e) {
      throw new StatusError(`template parsing error: ${(e as Error).message}`, 64);
    }
  }
  const errors: string[] = [];
  const raws: string[] = [];
  let buffer = '';
  for (const ref of refs) {
    let obj: InspectedObject;
    try {
      obj = await getRef(ref);
    } catch (e) {
      errors.push(errorText(e));
      continue;
    }
    if (!tmpl) {
      raws.push(obj.raw);
      continue;
    }
    try {
      buffer += tmpl.execute(obj.value, { fieldAlias: goFieldAlias }) + '\n';
    } catch {
      // docker retries against the raw JSON with missingkey=error and reports that attempt's error.
      try {
        buffer += tmpl.execute(JSON.parse(obj.raw), { missingKey: 'error' }) + '\n';
      } catch (e2) {
        errors.push(`template parsing error: ${(e2 as Error).message}`);
      }
    }
  }
  if (!tmpl) {
    if (raws.length === 0) ctx.out('[]\n');
    else {
      const joined = `[${raws.join(',')}]`;
      ctx.out((tmplStr === 'json' ? jsonCompact(joined) : jsonIndent(joined)) + '\n');
    }
  } else {
    ctx.out(buffer === '' ? '\n' : buffer);
  }
  if (errors.length > 0) throw new StatusError(errors.join('\n'), 1);
}

const ALL_TYPES = ['config', 'container', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'task', 'volume'];
const SWARM_TYPES = new Set(['config', 'node', 'secret', 'service', 'task']);

interface InspectOptions {
  format?: string;
  size?: boolean;
  type?: string;
}

function containerRef(ctx: CliContext, size: boolean): GetRef {
  return (ref) => ctx.client.containerInspectRaw(ref, { size });
}

function imageRef(ctx: CliContext): GetRef {
  return (ref) => ctx.client.imageInspectRaw(ref);
}

async function runGenericInspect(ctx: CliContext, refs: string[], opts: InspectOptions): Promise<void> {
  const type = opts.type ?? '';
  if (type !== '' && !ALL_TYPES.includes(type)) {
    throw new StatusError(`unknown type: "${type}": must be one of "${ALL_TYPES.join('", "')}"`, 1);
  }
  const size = opts.size === true;
  const detectors: { type: string; sized: boolean; get: GetRef }[] = [
    { type: 'container', sized: true, get: containerRef(ctx, size) },
    { type: 'image', sized: false, get: imageRef(ctx) },
    { type: 'network', sized: false, get: (ref) => ctx.client.inspectRaw(`/networks/${encodeURIComponent(ref)}`) },
    { type: 'volume', sized: false, get: (ref) => ctx.client.inspectRaw(`/volumes/${encodeURIComponent(ref)}`) },
    { type: 'plugin', sized: false, get: (ref) => ctx.client.inspectRaw(`/plugins/${encodeURIComponent(ref)}/json`) },
  ];
  const getRef: GetRef = async (ref) => {
    if (SWARM_TYPES.has(type)) throw new StatusError(`Error response from daemon: This node is not a swarm manager.`, 1);
    for (const d of detectors) {
      if (type !== '' && d.type !== type) continue;
      try {
        const obj = await d.get(ref);
        if (size && !d.sized) ctx.err(`WARNING: --size ignored for ${d.type}\n`);
        return obj;
      } catch (e) {
        if (type === '' && isSkippable(e)) continue;
        throw e;
      }
    }
    throw new Error(`Error: No such object: ${ref}`);
  };
  await runInspect(ctx, refs, opts.format, getRef);
}

export function registerInspectCommands(root: DockerCommand, container: DockerCommand, image: DockerCommand): void {
  addCommand(
    root,
    { name: 'inspect', use: '[OPTIONS] NAME|ID [NAME|ID...]', short: 'Return low-level information on Docker objects', args: minArgs(1) },
    (cmd) => {
      cmd
        .str('-f, --format <string>', 'Format output using a custom template')
        .bool('-s, --size', 'Display total file sizes if the type is container')
        .str('--type <string>', 'Only inspect objects of the given type');
      handle<InspectOptions>(cmd, (ctx, args, opts) => runGenericInspect(ctx, args, opts));
    },
  );
  addCommand(
    container,
    { name: 'inspect', use: '[OPTIONS] CONTAINER [CONTAINER...]', short: 'Display detailed information on one or more containers', args: minArgs(1) },
    (cmd) => {
      cmd.str('-f, --format <string>', 'Format output using a custom template').bool('-s, --size', 'Display total file sizes');
      handle<InspectOptions>(cmd, (ctx, args, opts) => runInspect(ctx, args, opts.format, containerRef(ctx, opts.size === true)));
    },
  );
  addCommand(
    image,
    { name: 'inspect', use: '[OPTIONS] IMAGE [IMAGE...]', short: 'Display detailed information on one or more images', args: minArgs(1) },
    (cmd) => {
      cmd
        .str('-f, --format <string>', 'Format output using a custom template')
        .str('--platform <string>', 'Inspect a specific platform of the multi-platform image');
      handle<InspectOptions>(cmd, (ctx, args, opts) => runInspect(ctx, args, opts.format, imageRef(ctx)));
    },
  );
}
