/**
 * Image commands: `images`/`image ls`, `history`, `tag`, `rmi`/`image rm`, `import`, `save`, `load`
 * (docker/cli cli/command/image).
 */
import { createWriteStream, promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import { EngineApiError } from '../../client/errors.js';
import type { HistoryItem } from '../../client/types.js';
import { GO_MARSHAL_JSON, GO_TYPE } from '../../pkg/go-template.js';
import { fullName, looksLikeIdPrefix, parseReference, tryParseReference, withDefaultTag } from '../../pkg/reference.js';
import { humanDuration, humanSize } from '../../pkg/units.js';
import { errorText, handle } from '../action.js';
import type { CliContext } from '../cli-context.js';
import { addCommand, exactArgs, maxArgs, minArgs, NO_ARGS, type DockerCommand } from '../command.js';
import { StatusError } from '../errors.js';
import { DEFAULT_QUIET_FORMAT, ellipsis, goRfc3339, renderFormat, marshalContext, TABLE_FORMAT_KEY, truncateId } from '../format/formatter.js';
import { IMAGE_HEADER, imageFormat, imageRows } from '../format/image-context.js';
import { displayJsonMessages } from '../format/jsonmessage.js';
import { goOpenError } from './container-options.js';
import { addFilter, parseFilters } from './filters.js';

/** node:stream/promises, loaded when a command streams (keeps it off the start-up path). */
function pipeline(...args: Parameters<typeof import('node:stream/promises').pipeline>): Promise<void> {
  const lib = createRequire(import.meta.url)('node:stream/promises') as typeof import('node:stream/promises');
  return (lib.pipeline as (...a: unknown[]) => Promise<void>)(...args);
}

// -- images -----------------------------------------------------------------------------------------------------

interface ImagesOptions {
  quiet?: boolean;
  all?: boolean;
  /** `--no-trunc`: commander stores a negatable flag as `trunc: false`. */
  trunc?: boolean;
  digests?: boolean;
  format?: string;
  filter: string[];
  tree?: boolean;
}

const AMBIGUOUS = new Set(['build', 'history', 'import', 'inspect', 'list', 'load', 'ls', 'prune', 'pull', 'push', 'rm', 'save', 'tag']);

async function runImages(ctx: CliContext, args: string[], opts: ImagesOptions, calledAs: string): Promise<void> {
  if (opts.tree) throw new StatusError('--tree is not supported by berth yet', 1);
  const filters = parseFilters(opts.filter);
  const matchName = args[0];
  if (matchName) addFilter(filters, 'reference', matchName);
  const images = await ctx.client.imageList({ all: opts.all === true, filters });
  const format = opts.format && opts.format.length > 0 ? opts.format : TABLE_FORMAT_KEY;
  const finalFormat = imageFormat(format, opts.quiet === true, opts.digests === true);
  const rows = imageRows(images, { trunc: opts.trunc !== false, digest: opts.digests === true, format: finalFormat });
  ctx.out(renderFormat(finalFormat, IMAGE_HEADER, rows));
  if (matchName && images.length === 0 && calledAs === 'images' && AMBIGUOUS.has(matchName)) {
    ctx.err(`\nNo images found matching "${matchName}": did you mean "berth image ${matchName}"?\n`);
  }
}

function defineImages(parent: DockerCommand, name: string, aliases: string[]): void {
  addCommand(parent, {
    name,
    aliases,
    use: '[OPTIONS] [REPOSITORY[:TAG]]',
    short: 'List images',
    args: maxArgs(1),
    aliasesLine: 'berth image ls, berth image list, berth images',
  }, (cmd) => {
    cmd
      .bool('-a, --all', 'Show all images (default hides intermediate images)')
      .bool('--digests', 'Show digests')
      .filter('-f, --filter <filter>', 'Filter output based on conditions provided')
      .str('--format <string>', 'Format output using a custom template')
      .bool('--no-trunc', "Don't truncate output")
      .bool('-q, --quiet', 'Only show image IDs')
      .bool('--tree', 'List multi-platform images as a tree (EXPERIMENTAL)');
    handle<ImagesOptions>(cmd, (ctx, args, opts) => runImages(ctx, args, opts, name));
  });
}

// -- history ----------------------------------------------------------------------------------------------------

const HISTORY_HEADER: Record<string, string> = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};
const EPOCH_2000 = Date.UTC(2000, 0, 1) / 1000;

export class HistoryContext {
  readonly [GO_TYPE] = '*image.historyContext';
  readonly #h: HistoryItem;
  readonly #trunc: boolean;
  readonly #human: boolean;
  readonly #now: number;
  constructor(h: HistoryItem, trunc: boolean, human: boolean, now = Date.now()) {
    this.#h = h;
    this.#trunc = trunc;
    this.#human = human;
    this.#now = now;
  }
  ID(): string {
    return this.#trunc ? truncateId(this.#h.Id) : this.#h.Id;
  }
  CreatedAt(): string {
    return goRfc3339(this.#h.Created);
  }
  CreatedSince(): string {
    if (!this.#human) return this.CreatedAt();
    if (this.#h.Created <= EPOCH_2000) return 'N/A';
    return `${humanDuration(this.#now - this.#h.Created * 1000)} ago`;
  }
  CreatedBy(): string {
    const by = (this.#h.CreatedBy ?? '').replace(/\t/g, ' ');
    return this.#trunc ? ellipsis(by, 45) : by;
  }
  Size(): string {
    return this.#human ? humanSize(this.#h.Size) : String(this.#h.Size);
  }
  Comment(): string {
    return this.#h.Comment ?? '';
  }
  [GO_MARSHAL_JSON](): string {
    return marshalContext({
      Comment: this.Comment(),
      CreatedAt: this.CreatedAt(),
      CreatedBy: this.CreatedBy(),
      CreatedSince: this.CreatedSince(),
      ID: this.ID(),
      Size: this.Size(),
    });
  }
}

interface HistoryOptions {
  format?: string;
  human?: boolean;
  /** `--no-trunc`: commander stores a negatable flag as `trunc: false`. */
  trunc?: boolean;
  quiet?: boolean;
  platform?: string;
}

function defineHistory(parent: DockerCommand): void {
  addCommand(parent, {
    name: 'history',
    use: '[OPTIONS] IMAGE',
    short: 'Show the history of an image',
    args: exactArgs(1),
    aliasesLine: 'berth image history, berth history',
  }, (cmd) => {
    cmd
      .str('--format <string>', 'Format output using a custom template')
      .bool('-H, --human', 'Print sizes and dates in human readable format (default true)')
      .bool('--no-trunc', "Don't truncate output")
      .str('--platform <string>', 'Show history for the given platform')
      .bool('-q, --quiet', 'Only show image IDs');
    handle<HistoryOptions>(cmd, async (ctx, args, opts, self) => {
      const human = !self.explicitFalse.has('human');
      const history = await ctx.client.imageHistory(args[0]!);
      let format = opts.format && opts.format.length > 0 ? opts.format : TABLE_FORMAT_KEY;
      if (format === TABLE_FORMAT_KEY) {
        if (opts.quiet) format = DEFAULT_QUIET_FORMAT;
        else if (!human) format = 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
        else format = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
      }
      const now = Date.now();
      ctx.out(renderFormat(format, HISTORY_HEADER, history.map((h) => new HistoryContext(h, opts.trunc !== false, human, now))));
    });
  });
}

// -- tag --------------------------------------------------------------------------------------------------------

/** The query docker's client sends for `tag`: the target normalised, `:latest` added. */
export function tagTarget(source: string, target: string): { repo: string; tag: string } {
  if (!tryParseReference(source) && !looksLikeIdPrefix(source)) {
    throw new StatusError(`Error parsing reference: "${source}" is not a valid repository/tag: invalid reference format`, 1);
  }
  let ref;
  try {
    ref = parseReference(target);
  } catch (e) {
    throw new StatusError(`Error parsing reference: "${target}" is not a valid repository/tag: ${e instanceof Error ? e.message : String(e)}`, 1);
  }
  if (ref.digest !== undefined) throw new StatusError('refusing to create a tag with a digest reference', 1);
  const tagged = withDefaultTag(ref);
  return { repo: fullName(tagged), tag: tagged.tag ?? 'latest' };
}

function defineTag(parent: DockerCommand): void {
  addCommand(parent, {
    name: 'tag',
    use: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
    short: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
    args: exactArgs(2),
    aliasesLine: 'berth image tag, berth tag',
  }, (cmd) => {
    handle(cmd, async (ctx, args) => {
      const { repo, tag } = tagTarget(args[0]!, args[1]!);
      await ctx.client.imageTag(args[0]!, repo, tag);
    });
  });
}

// -- rmi --------------------------------------------------------------------------------------------------------

interface RmiOptions {
  force?: boolean;
  /** `--no-prune` (commander: `prune: false`) */
  prune?: boolean;
  platform: string[];
}

function defineRmi(parent: DockerCommand, name: string, aliases: string[]): void {
  addCommand(parent, {
    name,
    aliases,
    use: '[OPTIONS] IMAGE [IMAGE...]',
    short: 'Remove one or more images',
    args: minArgs(1),
    aliasesLine: 'berth image rm, berth image remove, berth rmi',
  }, (cmd) => {
    cmd
      .bool('-f, --force', 'Force removal of the image')
      .bool('--no-prune', 'Do not delete untagged parents')
      .list('--platform <strings>', 'Remove only the given platform variant');
    handle<RmiOptions>(cmd, async (ctx, args, opts) => {
      const errors: string[] = [];
      let fatal = false;
      for (const img of args) {
        try {
          const dels = await ctx.client.imageRemove(img, { force: opts.force === true, noPrune: opts.prune === false });
          for (const d of dels ?? []) ctx.out(d.Deleted ? `Deleted: ${d.Deleted}\n` : `Untagged: ${d.Untagged ?? ''}\n`);
        } catch (e) {
          if (!(e instanceof EngineApiError && e.statusCode === 404)) fatal = true;
          errors.push(errorText(e));
        }
      }
      if (errors.length > 0) {
        if (!opts.force || fatal) throw new StatusError(errors.join('\n'), 1);
        ctx.err(`${errors.join('\n')}\n`);
      }
    });
  });
}

// -- import -----------------------------------------------------------------------------------------------------

interface ImportOptions {
  change: string[];
  message?: string;
  platform?: string;
}

async function openInput(path: string): Promise<Readable> {
  try {
    const handle = await fsp.open(path, 'r');
    return handle.createReadStream();
  } catch (e) {
    throw new StatusError(goOpenError(e, path), 1);
  }
}

function defineImport(parent: DockerCommand): void {
  addCommand(parent, {
    name: 'import',
    use: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
    short: 'Import the contents from a tarball to create a filesystem image',
    args: minArgs(1),
    aliasesLine: 'berth image import, berth import',
  }, (cmd) => {
    cmd
      .list('-c, --change <list>', 'Apply Dockerfile instruction to the created image')
      .str('-m, --message <string>', 'Set commit message for imported image')
      .str('--platform <string>', 'Set platform if server is multi-platform capable');
    handle<ImportOptions>(cmd, async (ctx, args, opts) => {
      const source = args[0]!;
      const ref = args[1];
      let body: Readable | undefined;
      let fromSrc = '-';
      if (source === '-') body = ctx.stdin;
      else if (source.startsWith('https://') || source.startsWith('http://')) fromSrc = source;
      else body = await openInput(source);
      if (ref) {
        try {
          parseReference(ref);
        } catch (e) {
          throw new StatusError(e instanceof Error ? e.message : String(e), 1);
        }
      }
      const res = await ctx.client.imageCreate(
        { fromSrc, repo: ref || undefined, message: opts.message || undefined, platform: opts.platform || undefined, changes: opts.change },
        body ? { body, contentType: 'text/plain' } : {},
      );
      await displayJsonMessages(res, ctx.stdout, ctx.stdout.isTTY === true);
    });
  });
}

// -- save -------------------------------------------------------------------------------------------------------

function defineSave(parent: DockerCommand): void {
  addCommand(parent, {
    name: 'save',
    use: '[OPTIONS] IMAGE [IMAGE...]',
    short: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
    args: minArgs(1),
    aliasesLine: 'berth image save, berth save',
  }, (cmd) => {
    cmd.str('-o, --output <string>', 'Write to a file, instead of STDOUT').list('--platform <stringSlice>', 'Save only the given platform(s)');
    handle<{ output?: string }>(cmd, async (ctx, args, opts) => {
      if (!opts.output) {
        if (ctx.stdout.isTTY) throw new StatusError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
        const res = await ctx.client.imageSave(args);
        await pipeline(res, ctx.stdout, { end: false });
        return;
      }
      // Like docker's atomicwriter: a temp file beside the target, renamed into place when complete.
      const target = opts.output;
      const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
      let out;
      try {
        out = createWriteStream(tmp, { mode: 0o600, flags: 'wx' });
        await new Promise<void>((resolve, reject) => {
          out!.once('open', () => resolve());
          out!.once('error', reject);
        });
      } catch (e) {
        throw new StatusError(`failed to save image: ${goOpenError(e, target)}`, 1);
      }
      try {
        const res = await ctx.client.imageSave(args);
        await pipeline(res, out);
        await fsp.rename(tmp, target);
      } catch (e) {
        out.destroy();
        await fsp.rm(tmp, { force: true });
        throw e;
      }
    });
  });
}

// -- load -------------------------------------------------------------------------------------------------------

function defineLoad(parent: DockerCommand): void {
  addCommand(parent, {
    name: 'load',
    use: '[OPTIONS]',
    short: 'Load an image from a tar archive or STDIN',
    args: NO_ARGS,
    aliasesLine: 'berth image load, berth load',
  }, (cmd) => {
    cmd
      .str('-i, --input <string>', 'Read from tar archive file, instead of STDIN')
      .list('--platform <stringSlice>', 'Load only the given platform(s)')
      .bool('-q, --quiet', 'Suppress the load output');
    handle<{ input?: string; quiet?: boolean }>(cmd, async (ctx, _args, opts) => {
      let input: Readable;
      if (!opts.input) {
        if (ctx.stdin.isTTY) throw new StatusError('requested load from stdin, but stdin is empty', 1);
        input = ctx.stdin;
      } else {
        input = await openInput(opts.input);
      }
      const quiet = opts.quiet === true || ctx.stdout.isTTY !== true;
      const res = await ctx.client.imageLoad(input, { quiet });
      const type = String(res.headers['content-type'] ?? '');
      if (type.includes('json')) await displayJsonMessages(res, ctx.stdout, ctx.stdout.isTTY === true);
      else await pipeline(res, ctx.stdout, { end: false });
    });
  });
}

export function registerImageCommands(root: DockerCommand, image: DockerCommand): void {
  defineImages(root, 'images', []);
  defineImages(image, 'ls', ['list']);
  for (const parent of [root, image]) {
    defineHistory(parent);
    defineTag(parent);
    defineImport(parent);
    defineSave(parent);
    defineLoad(parent);
  }
  defineRmi(root, 'rmi', []);
  defineRmi(image, 'rm', ['remove']);
}

