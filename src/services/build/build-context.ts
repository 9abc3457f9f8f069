import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import type { Differ } from '../../core/diff.js';
import { InvalidArgumentError } from '../../core/errdefs.js';
import { decompressStream, peek } from '../../pkg/decompress.js';

const MAX_DOCKERFILE_BYTES = 4 * 1024 * 1024;
import { PatternMatcher, readDockerignore } from '../../pkg/dockerfile/dockerignore.js';

/**
 * The build context on the daemon's side: the tar the client sent, unpacked into a private directory by the
 * layer Differ (which refuses every entry that would land outside it), and the `.dockerignore` rules, which
 * the daemon applies again so that an ignored file neither reaches an image nor affects the cache, whatever
 * client sent the context.
 */
export class BuildContext {
  readonly dir: string;
  readonly ignore: PatternMatcher;
  readonly #hashes = new Map<string, string>();

  private constructor(dir: string, ignore: PatternMatcher) {
    this.dir = dir;
    this.ignore = ignore;
  }

  /**
   * Unpacks the context the client sent. A body that is not a tar is the Dockerfile itself (`docker build -
   * < Dockerfile`): the context is then empty and the text is returned.
   */
  static async receive(differ: Differ, body: Readable, dir: string, opts: { signal?: AbortSignal }): Promise<{ ctx: BuildContext; dockerfileText?: string }> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const { stream } = await decompressStream(body);
    const head = await peek(stream, 512);
    if (head.length === 0) return { ctx: new BuildContext(dir, new PatternMatcher([])) };
    if (head.length < 263 || head.subarray(257, 262).toString('latin1') !== 'ustar') {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of stream) {
        size += (c as Buffer).length;
        if (size > MAX_DOCKERFILE_BYTES) throw new InvalidArgumentError('the Dockerfile sent as the build context is too large');
        chunks.push(c as Buffer);
      }
      return { ctx: new BuildContext(dir, new PatternMatcher([])), dockerfileText: Buffer.concat(chunks).toString('utf8') };
    }
    try {
      await differ.applyLayer(stream.pipe(padToArchiveEnd()), dir, { signal: opts.signal });
    } catch (err) {
      throw new InvalidArgumentError(`failed to read the build context: ${(err as Error).message}`, { cause: err });
    }
    const ignoreText = await readFile(join(dir, '.dockerignore'), 'utf8').catch(() => '');
    const patterns = readDockerignore(ignoreText);
    return { ctx: new BuildContext(dir, new PatternMatcher(patterns)) };
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Whether a context path (relative, cleaned) is excluded by `.dockerignore`. */
  ignored(rel: string): boolean {
    return rel !== '' && rel !== '.' && this.ignore.matches(rel);
  }

  /**
   * A digest of one context path for the cache: for a file its content and its tar metadata except the
   * mtime (mode, owner, size, type, link target), as the classic builder's tarsum does; for a directory
   * every path under it that is not ignored, in order.
   */
  async hashPath(rel: string): Promise<string> {
    const cached = this.#hashes.get(rel);
    if (cached !== undefined) return cached;
    const full = rel === '' ? this.dir : join(this.dir, rel);
    const st = await lstat(full);
    const h = createHash('sha256');
    h.update(`${st.mode.toString(8)} ${st.uid}:${st.gid} `);
    if (st.isDirectory()) {
      h.update('dir\n');
      for (const name of (await readdir(full)).sort()) {
        const child = rel === '' ? name : `${rel}/${name}`;
        if (this.ignored(child)) continue;
        h.update(`${name}\0${await this.hashPath(child)}\n`);
      }
    } else if (st.isSymbolicLink()) {
      h.update(`link ${await readlink(full)}`);
    } else if (st.isFile()) {
      h.update(`file ${st.size}\n`);
      if (st.size < 1024 * 1024) h.update(await readFile(full));
      else for await (const chunk of createReadStream(full)) h.update(chunk as Buffer);
    } else {
      h.update(`special ${st.rdev}`);
    }
    const digest = h.digest('hex');
    this.#hashes.set(rel, digest);
    return digest;
  }

  /** Every context path (files and directories, not ignored), relative, for wildcard matching. */
  async allPaths(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      for (const name of (await readdir(rel === '' ? this.dir : join(this.dir, rel))).sort()) {
        const child = rel === '' ? name : `${rel}/${name}`;
        if (this.ignored(child) && this.ignore.skipsDirectory(child)) continue;
        const st = await lstat(join(this.dir, child));
        if (!this.ignored(child)) out.push(child);
        if (st.isDirectory()) await walk(child);
      }
    };
    await walk('');
    return out;
  }
}

/**
 * The docker CLI sends a context whose Dockerfile came from outside it (`-f ../x`, `-f -`) without the last
 * entry's padding and the end-of-archive blocks, which Go's reader (and so dockerd) tolerates. Padding the
 * stream to a block boundary and adding the two zero blocks makes it a well-formed archive; a well-formed one
 * only gains zero blocks after its end, which readers ignore.
 */
function padToArchiveEnd(): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      total += chunk.length;
      cb(null, chunk);
    },
    flush(cb) {
      cb(null, Buffer.alloc(((512 - (total % 512)) % 512) + 1024));
    },
  });
}

/**
 * A source path of COPY/ADD, cleaned and checked to stay inside the context (Docker's "forbidden path
 * outside the build context"). An absolute path is relative to the context root.
 */
export function contextPath(src: string): string {
  const cleaned = posix.normalize(src.replace(/^\/+/, ''));
  if (cleaned === '..' || cleaned.startsWith('../')) {
    throw new InvalidArgumentError(`forbidden path outside the build context: ${src} ()`);
  }
  return cleaned === '.' ? '' : cleaned.replace(/\/+$/, '');
}

/** Go's filepath.Match as a regular expression over a `/`-separated path (`*` and `?` never cross `/`). */
export function goMatchRegExp(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i] as string);
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new InvalidArgumentError(`syntax error in pattern: ${pattern}`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^') || cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      re += `[${cls}]`;
      i = end;
    } else re += escapeRe(ch);
  }
  return new RegExp(`${re}$`, 's');
}

export function hasWildcards(s: string): boolean {
  return /[*?[]/.test(s);
}

function escapeRe(ch: string): string {
  return /[.+^${}()|[\]\\*?]/.test(ch) ? `\\${ch}` : ch;
}
