/**
 * `berth volume create|ls|inspect|rm|prune` (docker/cli cli/command/volume): Docker's flags, table, templates
 * and words.
 */
import type { Volume } from '../../client/types.js';
import { errorText, handle } from '../action.js';
import { addCommand, maxArgs, minArgs, NO_ARGS, type DockerCommand } from '../command.js';
import { StatusError } from '../errors.js';
import { DfVolumeContext } from '../format/disk-usage-context.js';
import { renderFormat } from '../format/formatter.js';
import { runInspect } from './inspect.js';
import { addFilter, parseFilters } from './filters.js';
import { confirmed, formatPruneReport, volumePruneResult } from './prune.js';

const TABLE_FORMAT = 'table {{.Driver}}\t{{.Name}}';
const HEADER = { Driver: 'DRIVER', Name: 'VOLUME NAME', Scope: 'SCOPE', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Links: 'LINKS', Size: 'SIZE' };
const ANONYMOUS_WARNING = 'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue?';
const ALL_WARNING = 'WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue?';

/** `key=value` pairs of `-o`/`--label` (a bare key is an empty value, as docker's ListOpts/MapOpts give it). */
function keyValues(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const eq = kv.indexOf('=');
    if (eq < 0) out[kv] = '';
    else out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

export function registerVolumeCommands(volume: DockerCommand): void {
  addCommand(volume, { name: 'create', use: '[OPTIONS] [VOLUME]', short: 'Create a volume', args: maxArgs(1) }, (cmd) => {
    cmd
      .str('-d, --driver <string>', 'Specify volume driver name', 'local')
      .list('--label <list>', 'Set metadata for a volume')
      .list('-o, --opt <map>', 'Set driver specific options');
    cmd.str('--name <string>', 'Specify volume name');
    cmd.options.find((o) => o.long === '--name')?.hideHelp();
    handle<{ driver?: string; label: string[]; opt: string[]; name?: string }>(cmd, async (ctx, args, opts) => {
      if (args[0] !== undefined && opts.name !== undefined && opts.name !== args[0]) {
        throw new StatusError(`conflicting options: cannot specify a volume-name through both --name and as a positional arg`, 1);
      }
      const v = await ctx.client.volumeCreate({
        Name: args[0] ?? opts.name ?? '',
        Driver: opts.driver ?? 'local',
        DriverOpts: keyValues(opts.opt),
        Labels: keyValues(opts.label),
      });
      ctx.out(`${v.Name}\n`);
    });
  });

  addCommand(volume, { name: 'ls', aliases: ['list'], use: '[OPTIONS]', short: 'List volumes', args: NO_ARGS }, (cmd) => {
    cmd
      .filter('-f, --filter <filter>', "Provide filter values (e.g. 'dangling=true')")
      .str('--format <string>', 'Format output using a custom template')
      .bool('-q, --quiet', 'Only display volume names');
    handle<{ filter: string[]; format?: string; quiet?: boolean }>(cmd, async (ctx, _args, opts) => {
      const res = await ctx.client.volumeList(parseFilters(opts.filter));
      const volumes = [...(res.Volumes ?? [])].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
      for (const w of res.Warnings ?? []) ctx.err(`${w}\n`);
      let format = opts.format ?? '';
      if (opts.quiet) format = '{{.Name}}';
      else if (format === '' || format === 'table') format = TABLE_FORMAT;
      ctx.out(renderFormat(format, HEADER, volumes.map((v: Volume) => new DfVolumeContext(v))));
    });
  });

  addCommand(volume, { name: 'inspect', use: '[OPTIONS] VOLUME [VOLUME...]', short: 'Display detailed information on one or more volumes', args: minArgs(1) }, (cmd) => {
    cmd.str('-f, --format <string>', 'Format output using a custom template');
    handle<{ format?: string }>(cmd, async (ctx, args, opts) => {
      await runInspect(ctx, args, opts.format, (ref) => ctx.client.volumeInspectRaw(ref));
    });
  });

  addCommand(volume, { name: 'rm', aliases: ['remove'], use: '[OPTIONS] VOLUME [VOLUME...]', short: 'Remove one or more volumes', args: minArgs(1) }, (cmd) => {
    cmd.bool('-f, --force', 'Force the removal of one or more volumes');
    handle<{ force?: boolean }>(cmd, async (ctx, args, opts) => {
      const errors: string[] = [];
      for (const name of args) {
        try {
          await ctx.client.volumeRemove(name, { force: opts.force === true });
          ctx.out(`${name}\n`);
        } catch (e) {
          errors.push(errorText(e));
        }
      }
      if (errors.length > 0) throw new StatusError(errors.join('\n'), 1);
    });
  });

  addCommand(volume, { name: 'prune', use: '[OPTIONS]', short: 'Remove unused local volumes', args: NO_ARGS }, (cmd) => {
    cmd
      .bool('-a, --all', 'Remove all unused volumes, not just anonymous ones')
      .filter('--filter <filter>', "Provide filter values (e.g. 'label=<label>')")
      .bool('-f, --force', 'Do not prompt for confirmation');
    handle<{ all?: boolean; filter: string[]; force?: boolean }>(cmd, async (ctx, _args, opts) => {
      let filters = parseFilters(opts.filter);
      if (opts.all) {
        if (filters['all']) throw new StatusError('conflicting options: cannot specify both --all and --filter all=1', 1);
        filters = addFilter(filters, 'all', 'true');
      }
      if (!(await confirmed(ctx, opts.force, opts.all ? ALL_WARNING : ANONYMOUS_WARNING))) return;
      ctx.out(formatPruneReport([volumePruneResult(await ctx.client.volumePrune(filters))]));
    });
  });
}
