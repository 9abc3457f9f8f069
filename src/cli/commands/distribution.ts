/**
 * Distribution commands: `pull`, `push`, `login`, `logout`, `search` (docker/cli cli/command/image/pull.go,
 * push.go, cli/command/registry/*). Credentials come from the docker config file and travel as X-Registry-Auth.
 */
import { fullName, normalizedString, parseReference, tryParseReference, withDefaultTag, familiarString } from '../../pkg/reference.js';
import { handle } from '../action.js';
import type { CliContext } from '../cli-context.js';
import { addCommand, exactArgs, maxArgs, type DockerCommand } from '../command.js';
import { StatusError } from '../errors.js';
import { ellipsis, renderFormat, TABLE_FORMAT_KEY } from '../format/formatter.js';
import { displayJsonMessages } from '../format/jsonmessage.js';
import { configDir, registryAuthHeader, removeAuth, serverKey, storeAuth, DOCKER_HUB_SERVER } from '../registry-auth.js';

function authDir(ctx: CliContext): string {
  return configDir(ctx.globals.config, ctx.env);
}

/** Prints a pull/push stream: live bars on a terminal, plain lines otherwise, nothing with -q. */
async function showStream(ctx: CliContext, res: AsyncIterable<Buffer | string>, quiet: boolean): Promise<void> {
  const sink = quiet ? { write: () => true } : ctx.stdout;
  await displayJsonMessages(res, sink, !quiet && ctx.stdout.isTTY === true);
}

// -- pull -------------------------------------------------------------------------------------------------------

function definePull(parent: DockerCommand): void {
  addCommand(parent, {
    name: 'pull',
    use: '[OPTIONS] NAME[:TAG|@DIGEST]',
    short: 'Download an image from a registry',
    args: exactArgs(1),
    aliasesLine: 'berth image pull, berth pull',
  }, (cmd) => {
    cmd
      .bool('-a, --all-tags', 'Download all tagged images in the repository')
      .bool('--disable-content-trust', 'Skip image verification (default true)')
      .str('--platform <string>', 'Set platform if server is multi-platform capable')
      .bool('-q, --quiet', 'Suppress verbose output');
    handle<{ allTags?: boolean; platform?: string; quiet?: boolean }>(cmd, async (ctx, args, opts) => {
      const ref = tryParseReference(args[0]!);
      if (!ref) throw new StatusError('invalid reference format', 1);
      if (opts.allTags && (ref.tag !== undefined || ref.digest !== undefined)) throw new StatusError('tag can\'t be used with --all-tags/-a', 1);
      let named = ref;
      if (!opts.allTags && ref.tag === undefined && ref.digest === undefined) {
        named = withDefaultTag(ref);
        if (!opts.quiet) ctx.out('Using default tag: latest\n');
      }
      const res = await ctx.client.imageCreate(
        {
          fromImage: fullName(named),
          tag: named.digest ?? named.tag,
          platform: opts.platform || undefined,
        },
        { registryAuth: registryAuthHeader(authDir(ctx), args[0]!) },
      );
      await showStream(ctx, res, opts.quiet === true);
      ctx.out(`${opts.allTags ? fullName(named) : normalizedString(named)}\n`);
    });
  });
}

// -- push -------------------------------------------------------------------------------------------------------

function definePush(parent: DockerCommand): void {
  addCommand(parent, {
    name: 'push',
    use: '[OPTIONS] NAME[:TAG]',
    short: 'Upload an image to a registry',
    args: exactArgs(1),
    aliasesLine: 'berth image push, berth push',
  }, (cmd) => {
    cmd
      .bool('-a, --all-tags', 'Push all tags of an image to the repository')
      .bool('--disable-content-trust', 'Skip image signing (default true)')
      .str('--platform <string>', 'Push a platform-specific manifest as a single-platform image to the registry')
      .bool('-q, --quiet', 'Suppress verbose output');
    handle<{ allTags?: boolean; quiet?: boolean }>(cmd, async (ctx, args, opts) => {
      const ref = tryParseReference(args[0]!);
      if (!ref) throw new StatusError('invalid reference format', 1);
      if (opts.allTags && ref.tag !== undefined) throw new StatusError('tag can\'t be used with --all-tags/-a', 1);
      if (ref.digest !== undefined) throw new StatusError('cannot push a digest reference', 1);
      let named = ref;
      if (!opts.allTags && ref.tag === undefined) {
        named = withDefaultTag(ref);
        if (!opts.quiet) ctx.out('Using default tag: latest\n');
      }
      const res = await ctx.client.imagePush(fullName(named), named.tag, registryAuthHeader(authDir(ctx), args[0]!));
      await showStream(ctx, res, opts.quiet === true);
      if (opts.quiet) ctx.out(`${familiarString(named)}\n`);
    });
  });
}

// -- login / logout ---------------------------------------------------------------------------------------------

async function readStdin(ctx: CliContext): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of ctx.stdin) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function defineLogin(root: DockerCommand): void {
  addCommand(root, {
    name: 'login',
    use: '[OPTIONS] [SERVER]',
    short: 'Authenticate to a registry',
    args: maxArgs(1),
  }, (cmd) => {
    cmd
      .str('-u, --username <string>', 'Username')
      .str('-p, --password <string>', 'Password or Personal Access Token (PAT)')
      .bool('--password-stdin', 'Take the Password or Personal Access Token (PAT) from stdin');
    handle<{ username?: string; password?: string; passwordStdin?: boolean }>(cmd, async (ctx, args, opts) => {
      if (opts.password && opts.passwordStdin) throw new StatusError('--password and --password-stdin are mutually exclusive', 1);
      let password = opts.password;
      if (opts.passwordStdin) {
        if (!opts.username) throw new StatusError('Must provide --username with --password-stdin', 1);
        password = await readStdin(ctx);
      } else if (password) {
        ctx.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
      }
      if (!opts.username || password === undefined || password === '') {
        throw new StatusError('Error: Cannot perform an interactive login from a non TTY device', 1);
      }
      const server = serverKey(args[0]);
      const res = await ctx.client.registryLogin({ username: opts.username, password, serveraddress: server });
      storeAuth(authDir(ctx), server, { username: opts.username, password });
      ctx.out(`${res.Status || 'Login Succeeded'}\n`);
    });
  });
}

function defineLogout(root: DockerCommand): void {
  addCommand(root, {
    name: 'logout',
    use: '[SERVER]',
    short: 'Log out from a registry',
    args: maxArgs(1),
  }, (cmd) => {
    handle(cmd, (ctx, args) => {
      const server = serverKey(args[0]);
      const shown = args[0] ?? DOCKER_HUB_SERVER;
      if (!removeAuth(authDir(ctx), server)) {
        ctx.out(`Not logged in to ${shown}\n`);
        return;
      }
      ctx.out(`Removing login credentials for ${shown}\n`);
    });
  });
}

// -- search -----------------------------------------------------------------------------------------------------

const SEARCH_HEADER = { Name: 'NAME', Description: 'DESCRIPTION', StarCount: 'STARS', IsOfficial: 'OFFICIAL' };

function defineSearch(root: DockerCommand): void {
  addCommand(root, {
    name: 'search',
    use: '[OPTIONS] TERM',
    short: 'Search Docker Hub for images',
    args: exactArgs(1),
  }, (cmd) => {
    cmd
      .list('-f, --filter <filter>', 'Filter output based on conditions provided')
      .str('--format <string>', 'Pretty-print search using a Go template')
      .int('--limit <int>', 'Max number of search results')
      .bool('--no-trunc', "Don't truncate output");
    handle<{ format?: string; limit?: number; trunc?: boolean }>(cmd, async (ctx, args, opts) => {
      const term = args[0]!;
      const slash = term.indexOf('/');
      const image = slash > 0 ? `${term.slice(0, slash)}/x` : 'x';
      const results = await ctx.client.imageSearch(term, {
        ...(opts.limit ? { limit: opts.limit } : {}),
        registryAuth: registryAuthHeader(authDir(ctx), parseReferenceSafe(image)),
      });
      const trunc = opts.trunc !== false;
      const rows = results.map((r) => ({
        Name: r.name,
        Description: trunc ? ellipsis(r.description.replace(/\n/g, ' '), 45) : r.description,
        StarCount: String(r.star_count),
        IsOfficial: r.is_official ? '[OK]' : '',
        IsAutomated: r.is_automated ? '[OK]' : '',
      }));
      const format = opts.format && opts.format !== '' ? opts.format : `${TABLE_FORMAT_KEY} {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}`;
      ctx.out(renderFormat(format === TABLE_FORMAT_KEY ? `${TABLE_FORMAT_KEY} {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}` : format, SEARCH_HEADER, rows));
    });
  });
}

function parseReferenceSafe(s: string): string {
  try {
    parseReference(s);
    return s;
  } catch {
    return 'x';
  }
}

export function registerDistributionCommands(root: DockerCommand, image: DockerCommand): void {
  for (const parent of [root, image]) {
    definePull(parent);
    definePush(parent);
  }
  defineLogin(root);
  defineLogout(root);
  defineSearch(root);
}
