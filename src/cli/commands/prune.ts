/**
 * Pruning: `container prune`, `image prune`, and the per-object steps `system prune` runs
 * (docker/cli cli/command/{container,image,network,volume,builder}/prune.go).
 *
 * Each step asks the daemon to prune and turns its report into docker's text: a "Deleted …:" list (followed by an
 * empty line, as docker prints it with Println) and the space reclaimed, which the command totals.
 */
import type { EngineClient } from '../../client/engine-client.js';
import type {
  BuildCachePruneReport,
  ContainerPruneReport,
  Filters,
  ImagePruneReport,
  NetworkPruneReport,
  VolumePruneReport,
} from '../../client/types.js';
import { humanSize4 } from '../../pkg/units.js';
import { handle } from '../action.js';
import type { CliContext } from '../cli-context.js';
import { addCommand, NO_ARGS, type DockerCommand } from '../command.js';
import { confirm } from '../terminal.js';
import { parseFilters } from './filters.js';

export interface PruneResult {
  spaceReclaimed: number;
  /** docker's output string: empty, or a "Deleted …:" header with one line per item, newline-terminated. */
  output: string;
}

function listOutput(header: string, items: readonly string[] | null | undefined): string {
  if (!items || items.length === 0) return '';
  return `${header}\n${items.map((i) => `${i}\n`).join('')}`;
}

export function containerPruneResult(r: ContainerPruneReport): PruneResult {
  const output = listOutput('Deleted Containers:', r.ContainersDeleted);
  return { output, spaceReclaimed: output ? r.SpaceReclaimed : 0 };
}

export function imagePruneResult(r: ImagePruneReport): PruneResult {
  const deleted = r.ImagesDeleted ?? [];
  if (deleted.length === 0) return { output: '', spaceReclaimed: 0 };
  const lines = deleted.map((d) => (d.Untagged ? `untagged: ${d.Untagged}` : `deleted: ${d.Deleted ?? ''}`));
  return { output: listOutput('Deleted Images:', lines), spaceReclaimed: r.SpaceReclaimed };
}

export function networkPruneResult(r: NetworkPruneReport): PruneResult {
  return { output: listOutput('Deleted Networks:', r.NetworksDeleted), spaceReclaimed: 0 };
}

export function volumePruneResult(r: VolumePruneReport): PruneResult {
  const output = listOutput('Deleted Volumes:', r.VolumesDeleted);
  return { output, spaceReclaimed: output ? r.SpaceReclaimed : 0 };
}

export function buildCachePruneResult(r: BuildCachePruneReport): PruneResult {
  return { output: listOutput('Deleted build cache objects:', r.CachesDeleted), spaceReclaimed: r.SpaceReclaimed };
}

/** What a prune command prints after the daemon answered: the list (if any) then the total. */
export function formatPruneReport(results: readonly PruneResult[]): string {
  let out = '';
  let total = 0;
  for (const r of results) {
    if (r.output !== '') out += `${r.output}\n`;
    total += r.spaceReclaimed;
  }
  return `${out}Total reclaimed space: ${humanSize4(total)}\n`;
}

/** image prune's filters: the user's plus `dangling=true` (or `false` with `--all`). */
export function imagePruneFilters(filters: Filters, all: boolean): Filters {
  const out: Filters = {};
  for (const [k, v] of Object.entries(filters)) out[k] = { ...v };
  (out.dangling ??= {})[String(!all)] = true;
  return out;
}

export async function pruneContainers(client: EngineClient, filters: Filters): Promise<PruneResult> {
  return containerPruneResult(await client.containerPrune(filters));
}

export async function pruneImages(client: EngineClient, filters: Filters, all: boolean): Promise<PruneResult> {
  return imagePruneResult(await client.imagePrune(imagePruneFilters(filters, all)));
}

const CONTAINER_WARNING = 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue?';
const ALL_IMAGES_WARNING = 'WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue?';
const DANGLING_WARNING = 'WARNING! This will remove all dangling images.\nAre you sure you want to continue?';

interface PruneFlags {
  all?: boolean;
  filter: string[];
  force?: boolean;
}

/** Asks unless `--force`; a "no" ends the command quietly with status 0, as docker's cancelled error does. */
export async function confirmed(ctx: CliContext, force: boolean | undefined, warning: string): Promise<boolean> {
  if (force) return true;
  return confirm(ctx.stdin, ctx.stdout, warning);
}

export function registerPruneCommands(container: DockerCommand, image: DockerCommand): void {
  addCommand(container, { name: 'prune', use: '[OPTIONS]', short: 'Remove all stopped containers', args: NO_ARGS }, (cmd) => {
    cmd.filter('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")').bool('-f, --force', 'Do not prompt for confirmation');
    handle<PruneFlags>(cmd, async (ctx, _args, opts) => {
      const filters = parseFilters(opts.filter);
      if (!(await confirmed(ctx, opts.force, CONTAINER_WARNING))) return;
      ctx.out(formatPruneReport([await pruneContainers(ctx.client, filters)]));
    });
  });
  addCommand(image, { name: 'prune', use: '[OPTIONS]', short: 'Remove unused images', args: NO_ARGS }, (cmd) => {
    cmd
      .bool('-a, --all', 'Remove all unused images, not just dangling ones')
      .filter('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")')
      .bool('-f, --force', 'Do not prompt for confirmation');
    handle<PruneFlags>(cmd, async (ctx, _args, opts) => {
      const filters = parseFilters(opts.filter);
      const all = opts.all === true;
      if (!(await confirmed(ctx, opts.force, all ? ALL_IMAGES_WARNING : DANGLING_WARNING))) return;
      ctx.out(formatPruneReport([await pruneImages(ctx.client, filters, all)]));
    });
  });
}
