/**
 * `berth build` / `berth image build` (docker/cli cli/command/image/build.go, classic builder): sends the
 * context as a tar that honours `.dockerignore` (the Dockerfile and `.dockerignore` always go), and shows the
 * build as plain lines, or as a compact live view on a terminal.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { EngineApiError } from '../../client/errors.js';
import { createReadStream, lstatSync, promises as fsp, readdirSync, readlinkSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { readDockerignore, PatternMatcher } from '../../pkg/dockerfile/dockerignore.js';
import { handle } from '../action.js';
import type { CliContext } from '../cli-context.js';
import { addCommand, exactArgs, type DockerCommand } from '../command.js';
import { StatusError } from '../errors.js';
import { JsonMessageError, displayJsonMessages } from '../format/jsonmessage.js';
import { readJsonMessages } from '../../client/engine-client.js';
import { ramInBytes } from '../../pkg/units.js';

interface BuildFlags {
  tag: string[];
  file?: string;
  buildArg: string[];
  target?: string;
  cache?: boolean;
  pull?: boolean;
  label: string[];
  quiet?: boolean;
  iidfile?: string;
  rm?: boolean;
  forceRm?: boolean;
  network?: string;
  addHost: string[];
  platform?: string;
  shmSize?: string;
  ulimit: string[];
  secret: string[];
  progress?: string;
}

export function registerBuildCommands(root: DockerCommand, image: DockerCommand): void {
  for (const parent of [root, image]) defineBuild(parent);
}

function defineBuild(parent: DockerCommand): void {
  addCommand(parent, {
    name: 'build',
    use: '[OPTIONS] PATH | URL | -',
    short: 'Build an image from a Dockerfile',
    args: exactArgs(1),
    aliasesLine: 'berth image build, berth build',
  }, (cmd) => {
    cmd
      .list('--add-host <list>', 'Add a custom host-to-IP mapping ("host:ip")')
      .list('--build-arg <list>', 'Set build-time variables')
      .str('-f, --file <string>', 'Name of the Dockerfile (Default is "PATH/Dockerfile")')
      .bool('--force-rm', 'Always remove intermediate containers')
      .str('--iidfile <string>', 'Write the image ID to the file')
      .list('--label <list>', 'Set metadata for an image')
      .str('--network <string>', 'Set the networking mode for the RUN instructions during build', 'default')
      .bool('--no-cache', 'Do not use cache when building the image')
      .str('--platform <string>', 'Set platform if server is multi-platform capable')
      .str('--progress <string>', 'Set type of progress output (auto, plain, tty)', 'auto')
      .bool('--pull', 'Always attempt to pull a newer version of the image')
      .bool('-q, --quiet', 'Suppress the build output and print image ID on success')
      .bool('--rm', 'Remove intermediate containers after a successful build (default true)')
      .list('--secret <list>', 'Secret to expose to the build (format: "id=mysecret[,src=/local/secret]")')
      .str('--shm-size <bytes>', 'Size of "/dev/shm"')
      .list('-t, --tag <list>', 'Name and optionally a tag in the "name:tag" format')
      .str('--target <string>', 'Set the target build stage to build.')
      .list('--ulimit <ulimit>', 'Ulimit options');
    handle<BuildFlags>(cmd, (ctx, args, opts) => runBuild(ctx, args[0] ?? '', opts));
  });
}

async function runBuild(ctx: CliContext, target: string, opts: BuildFlags): Promise<void> {
  const query: Record<string, string | string[] | undefined> = {
    t: opts.tag,
    target: opts.target,
    nocache: opts.cache === false ? '1' : undefined,
    pull: opts.pull ? '1' : undefined,
    q: opts.quiet ? '1' : undefined,
    rm: '1',
    forcerm: opts.forceRm ? '1' : undefined,
    networkmode: opts.network && opts.network !== 'default' ? opts.network : undefined,
    platform: opts.platform,
    extrahosts: opts.addHost.length > 0 ? opts.addHost.join(',') : undefined,
    shmsize: opts.shmSize ? String(ramInBytes(opts.shmSize)) : undefined,
    buildargs: JSON.stringify(Object.fromEntries(opts.buildArg.map((a) => parseBuildArg(a)))),
    labels: JSON.stringify(Object.fromEntries(opts.label.map((l) => splitOnce(l, '=')))),
    ulimits: JSON.stringify(opts.ulimit.map(parseUlimit)),
    version: '1',
  };
  const headers: Record<string, string> = {};
  if (opts.secret.length > 0) headers['X-Berth-Build-Secrets'] = await secretsHeader(opts.secret);
  let body: Readable | undefined;
  let size = 0;
  if (/^https?:\/\//.test(target)) {
    query['remote'] = target;
    if (opts.file) query['dockerfile'] = opts.file;
  } else if (target === '-') {
    if (opts.file === '-') throw new StatusError('invalid argument: can\'t use stdin for both build context and dockerfile', 1);
    body = ctx.stdin;
  } else {
    const dir = resolve(target);
    const st = await fsp.stat(dir).catch(() => undefined);
    if (!st?.isDirectory()) throw new StatusError(`unable to prepare context: path "${target}" not found`, 1);
    const extra = await dockerfileOutside(ctx, dir, opts.file);
    query['dockerfile'] = extra?.name ?? opts.file ?? 'Dockerfile';
    const walked = await walkContext(dir);
    let only: Set<string> | undefined;
    if (process.env['BERTH_BUILD_SYNC'] !== '0') {
      // Send only what the daemon does not have from the last build of this directory (BuildKit-style sync).
      const key = createHash('sha256').update(`${hostname()}\0${dir}\0${String(query['dockerfile'])}`).digest('hex').slice(0, 32);
      const manifest = walked.entries.flatMap(({ rel, st }) => {
        const t = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : undefined;
        return t ? [{ p: rel, t, m: st.mode & 0o7777, s: st.size, mt: st.mtimeMs, ...(t === 'symlink' ? { l: walked.links.get(rel) ?? '' } : {}) }] : [];
      });
      try {
        const answer = await ctx.client.json<{ need: string[] }>('POST', '/berth/build-sync', { query: { key }, body: manifest });
        only = new Set(answer.need);
        query['berth-sync'] = key;
      } catch (err) {
        // Another engine (or an older berthd) has no sync: send the whole context.
        if (!(err instanceof EngineApiError) || err.statusCode !== 404) throw err;
      }
    }
    const packed = await packContext(dir, walked, extra, only);
    body = packed.stream;
    size = packed.files;
  }
  const plain = opts.progress === 'plain' || ctx.stdout.isTTY !== true || opts.quiet === true;
  if (!opts.quiet && plain && body !== undefined && target !== '-') ctx.err(`Sending build context to berth (${size} ${size === 1 ? 'file' : 'files'})\n`);
  const res = await ctx.client.request('POST', '/build', {
    query,
    ...(body ? { body } : {}),
    contentType: 'application/x-tar',
    headers,
  });
  let imageId = '';
  const onAux = (aux: unknown): void => {
    const id = (aux as { ID?: unknown } | null)?.ID;
    if (typeof id === 'string') imageId = id;
  };
  try {
    if (opts.quiet) {
      for await (const jm of readJsonMessages(res)) {
        if (jm.errorDetail?.message || jm.error) throw new JsonMessageError(jm.errorDetail?.message ?? jm.error ?? '', jm.errorDetail?.code);
        if (jm.aux !== undefined) onAux(jm.aux);
      }
      ctx.out(`${imageId}\n`);
    } else if (plain) {
      await displayJsonMessages(res, ctx.stdout, false, onAux);
    } else {
      await liveView(ctx, res, onAux);
    }
  } catch (err) {
    if (err instanceof JsonMessageError) throw new StatusError(err.message, err.code && err.code > 0 ? err.code : 1);
    throw err;
  }
  if (opts.iidfile) await fsp.writeFile(opts.iidfile, imageId);
}

/**
 * The terminal view: one line per finished step (`[3/7] RUN make   1.2s` or `CACHED`) and a live line for
 * the running one; a step's own output is kept and shown only when the build fails.
 */
async function liveView(ctx: CliContext, res: AsyncIterable<Buffer | string>, onAux: (aux: unknown) => void): Promise<void> {
  const out = ctx.stdout;
  let current: { label: string; started: number; cached: boolean; output: string } | undefined;
  const finish = (): void => {
    if (!current) return;
    const took = current.cached ? 'CACHED' : `${((Date.now() - current.started) / 1000).toFixed(1)}s`;
    out.write(`\r\x1b[2K${current.label}  ${took}\n`);
    current = undefined;
  };
  const timer = setInterval(() => {
    if (current && !current.cached) out.write(`\r\x1b[2K${current.label.slice(0, (out.columns || 80) - 10)}  ${((Date.now() - current.started) / 1000).toFixed(1)}s`);
  }, 200);
  try {
    for await (const jm of readJsonMessages(res)) {
      if (jm.aux !== undefined) {
        onAux(jm.aux);
        continue;
      }
      if (jm.errorDetail?.message || jm.error) {
        if (current?.output) out.write(`\r\x1b[2K${current.output}`);
        throw new JsonMessageError(jm.errorDetail?.message ?? jm.error ?? '', jm.errorDetail?.code);
      }
      const text = jm.stream ?? '';
      const step = /^Step (\d+)\/(\d+) : (.*)\n$/.exec(text);
      if (step) {
        finish();
        current = { label: `[${step[1]}/${step[2]}] ${step[3]}`, started: Date.now(), cached: false, output: '' };
        out.write(current.label);
      } else if (text === ' ---> Using cache\n' && current) {
        current.cached = true;
      } else if (/^Successfully (built|tagged) /.test(text) || text.startsWith('[Warning]')) {
        finish();
        out.write(text);
      } else if (current && !text.startsWith(' ---> ') && !text.startsWith('Removing intermediate container')) {
        current.output += text;
      }
    }
    finish();
  } finally {
    clearInterval(timer);
  }
}

/** `-f` naming a file outside the context, or `-f -`: the Dockerfile travels in the tar under a random name. */
async function dockerfileOutside(ctx: CliContext, dir: string, file: string | undefined): Promise<{ name: string; content: Buffer } | undefined> {
  if (file === undefined) return undefined;
  let content: Buffer;
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of ctx.stdin) chunks.push(c as Buffer);
    content = Buffer.concat(chunks);
  } else {
    const abs = resolve(file);
    const rel = relative(dir, abs);
    if (!rel.startsWith('..') && !rel.startsWith(sep)) return undefined;
    content = await fsp.readFile(abs).catch(() => {
      throw new StatusError(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${abs}: no such file or directory`, 1);
    });
  }
  return { name: `.dockerfile.${randomBytes(10).toString('hex')}`, content };
}

interface WalkedContext {
  entries: Array<{ rel: string; st: import('node:fs').Stats }>;
  links: Map<string, string>;
  ignoreText: string;
}

/** The context's paths in tar order, `.dockerignore` applied (the file itself always goes). */
async function walkContext(dir: string): Promise<WalkedContext> {
  const ignoreText = await fsp.readFile(join(dir, '.dockerignore'), 'utf8').catch(() => '');
  const matcher = new PatternMatcher(readDockerignore(ignoreText));
  const entries: Array<{ rel: string; st: import('node:fs').Stats }> = [];
  const links = new Map<string, string>();
  // Synchronous calls: nothing else runs in the CLI meanwhile, and for thousands of small stats they take a
  // third of the time of promises through the thread pool.
  const walk = (rel: string): void => {
    const names = readdirSync(rel === '' ? dir : join(dir, rel)).sort();
    for (const name of names) {
      const child = rel === '' ? name : `${rel}/${name}`;
      const keepAlways = child === '.dockerignore';
      const ignored = !keepAlways && matcher.matches(child);
      if (ignored && matcher.skipsDirectory(child)) continue;
      const st = lstatSync(join(dir, child));
      if (!ignored) entries.push({ rel: child, st });
      if (st.isSymbolicLink()) links.set(child, readlinkSync(join(dir, child)));
      if (st.isDirectory()) walk(child);
    }
  };
  walk('');
  return { entries, links, ignoreText };
}

/**
 * The context as a tar stream, owners reset to 0:0 as the docker CLI does. With `only`, regular files not in
 * it are left out (the daemon has them from the last build).
 */
async function packContext(
  dir: string,
  walked: WalkedContext,
  extra: { name: string; content: Buffer } | undefined,
  only?: ReadonlySet<string>,
): Promise<{ stream: Readable; files: number }> {
  const { ignoreText, links } = walked;
  const entries = only ? walked.entries.filter((e) => e.st.isFile() && only.has(e.rel)) : walked.entries;
  const reads = new ReadAhead(dir, entries.filter((e) => e.st.isFile() && e.st.size <= SMALL_FILE).map((e) => e.rel));
  const { default: tar } = await import('tar-stream');
  const pack = tar.pack();
  const out = new PassThrough();
  pack.pipe(out);
  void (async () => {
    try {
      for (const { rel, st } of entries) {
        const base = { name: rel, mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 };
        if (st.isDirectory()) await entry(pack, { ...base, type: 'directory' });
        else if (st.isSymbolicLink()) await entry(pack, { ...base, type: 'symlink', linkname: links.get(rel) ?? '' });
        else if (st.isFile() && st.size <= SMALL_FILE) {
          // Small files are read ahead in parallel: one at a time, their round trips bound the whole send.
          await entry(pack, { ...base, type: 'file', size: st.size }, await reads.get(rel));
        } else if (st.isFile()) {
          await new Promise<void>((res, rej) => {
            const sink = pack.entry({ ...base, type: 'file', size: st.size }, (err) => (err ? rej(err) : res()));
            createReadStream(join(dir, rel)).on('error', rej).pipe(sink as unknown as NodeJS.WritableStream);
          });
        }
      }
      if (extra) {
        await entry(pack, { name: extra.name, mode: 0o600, uid: 0, gid: 0, type: 'file' }, extra.content);
        // Keep the travelling Dockerfile out of `COPY .`, as the docker CLI does.
        await entry(pack, { name: '.dockerignore', mode: 0o600, uid: 0, gid: 0, type: 'file' }, Buffer.from(`${ignoreText}\n.dockerignore\n${extra.name}\n`));
      }
      pack.finalize();
    } catch (err) {
      out.destroy(err as Error);
    }
  })();
  return { stream: out, files: entries.length };
}

const SMALL_FILE = 256 * 1024;
const READ_AHEAD = 64;

/** Reads the given files in order, keeping up to READ_AHEAD reads in flight ahead of the consumer. */
class ReadAhead {
  readonly #dir: string;
  readonly #order: string[];
  readonly #pending = new Map<string, Promise<Buffer>>();
  #next = 0;

  constructor(dir: string, order: string[]) {
    this.#dir = dir;
    this.#order = order;
    this.#fill();
  }

  get(rel: string): Promise<Buffer> {
    const p = this.#pending.get(rel) ?? fsp.readFile(join(this.#dir, rel));
    this.#pending.delete(rel);
    this.#fill();
    return p;
  }

  #fill(): void {
    while (this.#pending.size < READ_AHEAD && this.#next < this.#order.length) {
      const rel = this.#order[this.#next++] as string;
      const p = fsp.readFile(join(this.#dir, rel));
      p.catch(() => undefined);
      this.#pending.set(rel, p);
    }
  }
}

function entry(pack: import('tar-stream').Pack, header: Parameters<import('tar-stream').Pack['entry']>[0], body: Buffer = Buffer.alloc(0)): Promise<void> {
  return new Promise((res, rej) => pack.entry(header, body, (err) => (err ? rej(err) : res())));
}

function parseBuildArg(a: string): [string, string | null] {
  const eq = a.indexOf('=');
  if (eq >= 0) return [a.slice(0, eq), a.slice(eq + 1)];
  // `--build-arg NAME` takes NAME from the environment, or sends no value.
  return [a, process.env[a] ?? null];
}

function splitOnce(s: string, sepChar: string): [string, string] {
  const i = s.indexOf(sepChar);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

function parseUlimit(u: string): { Name: string; Soft: number; Hard: number } {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(u);
  if (!m) throw new StatusError(`invalid argument "${u}" for "--ulimit" flag: invalid ulimit argument: ${u}`, 125);
  const soft = Number(m[2]);
  return { Name: m[1] as string, Soft: soft, Hard: m[3] !== undefined ? Number(m[3]) : soft };
}

async function secretsHeader(specs: string[]): Promise<string> {
  const out: Record<string, string> = {};
  for (const spec of specs) {
    const kv = new Map(spec.split(',').map((p) => splitOnce(p, '=')));
    const id = kv.get('id');
    if (!id) throw new StatusError(`invalid secret ${spec}: an id is required`, 1);
    const src = kv.get('src') ?? kv.get('source');
    const env = kv.get('env');
    let value: Buffer;
    if (src) value = await fsp.readFile(src);
    else if (env !== undefined || process.env[id] !== undefined) value = Buffer.from(process.env[env ?? id] ?? '');
    else throw new StatusError(`invalid secret ${spec}: src or env is required`, 1);
    out[id] = value.toString('base64');
  }
  return Buffer.from(JSON.stringify(out)).toString('base64');
}
