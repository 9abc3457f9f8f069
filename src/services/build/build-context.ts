import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { InvalidArgumentError } from '../../core/errdefs.js';
import { decompressStream, peek } from '../../pkg/decompress.js';
import { PatternMatcher, readDockerignore } from '../../pkg/dockerfile/dockerignore.js';
import { readTar, type TarHeader } from '../../pkg/tar-reader.js';

const MAX_DOCKERFILE_BYTES = 4 * 1024 * 1024;
/**
 * Files up to this size stay in memory; larger ones go to the scratch directory under a number. Writing a
 * file only to read it back and delete it costs more than holding it for one build.
 */
const IN_MEMORY_FILE = 16 * 1024 * 1024;
/** Past this much held in memory, every further file goes to disk. */
const IN_MEMORY_TOTAL = 256 * 1024 * 1024;
const MAX_SYMLINK_HOPS = 255;

export interface ContextNode {
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  size: number;
  linkname?: string;
  /** Content of a small file. */
  data?: Buffer;
  /** Host path of a large file's content (named by number: a context path never becomes a host path). */
  blob?: string;
  /** sha256 (hex) of a file's content. */
  digest?: string;
}

/**
 * The build context on the daemon's side, held as an index of the tar the client sent: small files in
 * memory, large ones in numbered files, every file hashed while it arrives. Nothing is unpacked by path, so a
 * hostile archive cannot write anywhere, and a warm build that copies nothing writes almost nothing. The
 * `.dockerignore` rules are applied again here so that an ignored file neither reaches an image nor affects
 * the cache, whatever client sent the context.
 */
export class BuildContext {
  readonly ignore: PatternMatcher;
  readonly #nodes: Map<string, ContextNode>;
  readonly #children: Map<string, Set<string>>;
  readonly #scratch: string;
  readonly #hashes = new Map<string, string>();

  private constructor(scratch: string, nodes: Map<string, ContextNode>, children: Map<string, Set<string>>, ignore: PatternMatcher) {
    this.#scratch = scratch;
    this.#nodes = nodes;
    this.#children = children;
    this.ignore = ignore;
  }

  /**
   * Reads the context the client sent. A body that is not a tar is the Dockerfile itself (`docker build -
   * < Dockerfile`): the context is then empty and the text is returned.
   */
  static async receive(body: Readable, scratch: string, opts: { signal?: AbortSignal } = {}): Promise<{ ctx: BuildContext; dockerfileText?: string }> {
    const index = new ContextIndex();
    const { nodes, children } = index;
    await mkdir(scratch, { recursive: true, mode: 0o700 });
    const { stream } = await decompressStream(body);
    const head = await peek(stream, 512);
    if (head.length === 0 || (head.length >= 512 && head.subarray(0, 512).every((b) => b === 0))) {
      // No body, or a tar with no entries (a synced build that changed nothing).
      stream.resume();
      return { ctx: new BuildContext(scratch, nodes, children, new PatternMatcher([])) };
    }
    if (head.length < 263 || head.subarray(257, 262).toString('latin1') !== 'ustar') {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of stream) {
        size += (c as Buffer).length;
        if (size > MAX_DOCKERFILE_BYTES) throw new InvalidArgumentError('the Dockerfile sent as the build context is too large');
        chunks.push(c as Buffer);
      }
      return { ctx: new BuildContext(scratch, nodes, children, new PatternMatcher([])), dockerfileText: Buffer.concat(chunks).toString('utf8') };
    }
    let inMemory = 0;
    let blobs = 0;
    const slabs = new SlabAllocator();
    let current: { path: string; node: ContextNode; hash: ReturnType<typeof createHash>; data?: Buffer; filled: number; out?: WriteStream } | undefined;
    try {
      await readTar(stream.pipe(padToArchiveEnd()), {
        onEntry: (h: TarHeader) => {
          opts.signal?.throwIfAborted();
          const path = cleanEntryName(h.name);
          const base = { mode: h.mode & 0o7777, uid: h.uid, gid: h.gid, mtime: h.mtime };
          current = undefined;
          if (path === '') return;
          if (h.type === 'file') {
            const node: ContextNode = { ...base, type: 'file', size: h.size };
            const hash = createHash('sha256');
            if (h.size <= IN_MEMORY_FILE && inMemory + h.size <= IN_MEMORY_TOTAL) {
              inMemory += h.size;
              current = { path, node, hash, data: slabs.take(h.size), filled: 0 };
            } else {
              node.blob = join(scratch, `blob-${blobs++}`);
              current = { path, node, hash, filled: 0, out: createWriteStream(node.blob, { mode: 0o600 }) };
            }
          } else if (h.type === 'directory') index.add(path, { ...base, type: 'dir', size: 0 });
          else if (h.type === 'symlink') index.add(path, { ...base, type: 'symlink', size: 0, linkname: h.linkname });
          else if (h.type === 'link') {
            const target = index.nodes.get(cleanEntryName(h.linkname));
            if (!target || target.type !== 'file') throw new InvalidArgumentError(`invalid build context: hardlink ${h.name} to a missing file ${h.linkname}`);
            index.add(path, { ...target, ...base });
          } else index.add(path, { ...base, type: 'other', size: 0 });
        },
        // Both return a promise only when they must wait (a file written to disk): the reader then awaits it.
        onData: (chunk: Buffer) => {
          if (!current) return undefined;
          current.hash.update(chunk);
          if (current.data) current.filled += chunk.copy(current.data, current.filled);
          else if (current.out && !current.out.write(chunk)) return once(current.out, 'drain').then(() => undefined);
          return undefined;
        },
        onEnd: () => {
          const c = current;
          current = undefined;
          if (!c) return undefined;
          c.node.digest = c.hash.digest('hex');
          if (c.data) c.node.data = c.data;
          index.add(c.path, c.node);
          const out = c.out;
          if (!out) return undefined;
          return new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
        },
      });
    } catch (err) {
      current?.out?.destroy();
      if (err instanceof InvalidArgumentError) throw err;
      throw new InvalidArgumentError(`failed to read the build context: ${(err as Error).message}`, { cause: err });
    }
    return { ctx: await BuildContext.fromIndex(scratch, index) };
  }

  /** A context made of given entries (a synced context: the unchanged files of the last build and the new ones). */
  static async fromEntries(scratch: string, entries: Iterable<[string, ContextNode]>): Promise<BuildContext> {
    const index = new ContextIndex();
    for (const [path, node] of entries) if (path !== '') index.add(path, node);
    return BuildContext.fromIndex(scratch, index);
  }

  static async fromIndex(scratch: string, index: ContextIndex): Promise<BuildContext> {
    const ignoreNode = index.nodes.get('.dockerignore');
    const ignoreText = ignoreNode?.type === 'file' ? (ignoreNode.data ?? (ignoreNode.blob ? await readFile(ignoreNode.blob) : Buffer.alloc(0))).toString('utf8') : '';
    return new BuildContext(scratch, index.nodes, index.children, new PatternMatcher(readDockerignore(ignoreText)));
  }

  /** Every path and its node ('' is the root). */
  entries(): Array<[string, ContextNode]> {
    return [...this.#nodes.entries()];
  }

  async dispose(): Promise<void> {
    await rm(this.#scratch, { recursive: true, force: true });
  }

  /** Whether a context path (relative, cleaned) is excluded by `.dockerignore`. */
  ignored(rel: string): boolean {
    return rel !== '' && rel !== '.' && this.ignore.matches(rel);
  }

  node(rel: string): ContextNode | undefined {
    return this.#nodes.get(rel);
  }

  /** Names directly under a directory, sorted (ignored ones included: callers filter). */
  children(rel: string): string[] {
    return [...(this.#children.get(rel) ?? [])].sort();
  }

  /**
   * A context path with every symlink on the way (the last one included) followed inside the context, as
   * Docker resolves COPY sources; undefined when it leads nowhere.
   */
  resolve(rel: string): string | undefined {
    let parts = rel.split('/').filter((p) => p !== '' && p !== '.');
    const out: string[] = [];
    let hops = 0;
    while (parts.length > 0) {
      const part = parts.shift() as string;
      if (part === '..') {
        out.pop();
        continue;
      }
      const candidate = [...out, part].join('/');
      const node = this.#nodes.get(candidate);
      if (node?.type === 'symlink') {
        if (++hops > MAX_SYMLINK_HOPS) return undefined;
        const target = node.linkname ?? '';
        if (target.startsWith('/')) out.length = 0;
        parts = [...target.split('/').filter((p) => p !== '' && p !== '.'), ...parts];
        continue;
      }
      if (!node) return undefined;
      out.push(part);
    }
    return out.join('/');
  }

  /**
   * A digest of one context path for the cache: for a file its content and its tar metadata except the
   * mtime (mode, owner, size, type, link target), as the classic builder's tarsum does; for a directory
   * every path under it that is not ignored, in order.
   */
  hashPath(rel: string): string {
    const cached = this.#hashes.get(rel);
    if (cached !== undefined) return cached;
    const node = this.#nodes.get(rel);
    if (!node) throw new InvalidArgumentError(`no such context path: ${rel}`);
    const h = createHash('sha256');
    if (node.type === 'dir') {
      h.update(`${node.mode.toString(8)} ${node.uid}:${node.gid} dir\n`);
      for (const name of this.children(rel)) {
        const child = rel === '' ? name : `${rel}/${name}`;
        if (this.ignored(child)) continue;
        const childNode = this.#nodes.get(child) as ContextNode;
        // A file's identity goes in as it is: hashing it first would cost a hash per file for nothing.
        h.update(`${name}\0${childNode.type === 'dir' ? this.hashPath(child) : identity(childNode)}\n`);
      }
    } else {
      h.update(identity(node));
    }
    const digest = h.digest('hex');
    this.#hashes.set(rel, digest);
    return digest;
  }

  /** A short fingerprint of a file, symlink or special file (for saying which file changed), or undefined. */
  fingerprint(rel: string): string | undefined {
    const node = this.#nodes.get(rel);
    if (!node || node.type === 'dir') return undefined;
    return `${node.digest?.slice(0, 16) ?? node.linkname ?? node.type} ${node.mode.toString(8)} ${node.uid}:${node.gid}`;
  }

  /** Every context path (files and directories, not ignored), for wildcard matching. */
  allPaths(): string[] {
    const out: string[] = [];
    const walk = (rel: string): void => {
      for (const name of this.children(rel)) {
        const child = rel === '' ? name : `${rel}/${name}`;
        const ignored = this.ignored(child);
        if (ignored && this.ignore.skipsDirectory(child)) continue;
        if (!ignored) out.push(child);
        if (this.#nodes.get(child)?.type === 'dir') walk(child);
      }
    };
    walk('');
    return out;
  }

  async content(node: ContextNode): Promise<Buffer> {
    if (node.data) return node.data;
    if (node.blob) return readFile(node.blob);
    return Buffer.alloc(0);
  }

  /** Reads a file of the context (the Dockerfile), following symlinks in scope. */
  async readText(rel: string): Promise<string | undefined> {
    const resolved = this.resolve(rel);
    const node = resolved === undefined ? undefined : this.#nodes.get(resolved);
    if (node?.type !== 'file') return undefined;
    return (await this.content(node)).toString('utf8');
  }

  /** A directory of its own under the context's scratch space, for callers that need real files. */
  scratchPath(name: string): string {
    return join(this.#scratch, name);
  }
}

/**
 * Memory for the files a context holds in memory, handed out as views of a few large buffers: one allocation
 * per small file would cost a Buffer, a backing store and, in sum, garbage collections triggered by external
 * memory for every context received. The views live exactly as long as the context (its files are dropped
 * together), and each is filled completely before anything reads it.
 */
class SlabAllocator {
  static readonly SIZE = 4 * 1024 * 1024;
  #slab = Buffer.alloc(0);
  #used = 0;

  take(size: number): Buffer {
    if (size > SlabAllocator.SIZE / 4) return Buffer.allocUnsafeSlow(size);
    if (this.#used + size > this.#slab.length) {
      this.#slab = Buffer.allocUnsafeSlow(SlabAllocator.SIZE);
      this.#used = 0;
    }
    const view = this.#slab.subarray(this.#used, this.#used + size);
    this.#used += size;
    return view;
  }
}

/** What the cache knows of a non-directory: everything in its tar header but the mtime, and its content. */
function identity(node: ContextNode): string {
  const owner = `${node.mode.toString(8)} ${node.uid}:${node.gid}`;
  if (node.type === 'file') return `${owner} file ${node.size} ${node.digest ?? ''}`;
  if (node.type === 'symlink') return `${owner} link ${node.linkname ?? ''}`;
  return `${owner} special`;
}

/** Paths and their nodes, with the directories above every path made implicitly (mode 0755, owned by root). */
export class ContextIndex {
  readonly nodes = new Map<string, ContextNode>([['', { type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: new Date(0), size: 0 }]]);
  readonly children = new Map<string, Set<string>>([['', new Set()]]);

  add(path: string, node: ContextNode): void {
    const { nodes, children } = this;
    const parts = path.split('/');
    // Archives list a directory before what is in it, so the parent is usually known, with its own parents.
    const parentKnown = parts.length === 1 || nodes.get(path.slice(0, path.lastIndexOf('/')))?.type === 'dir';
    for (let i = parentKnown ? parts.length : 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      const parent = parts.slice(0, i - 1).join('/');
      children.get(parent)?.add(parts[i - 1] as string);
      if (!nodes.has(dir) || nodes.get(dir)?.type !== 'dir') {
        nodes.set(dir, { type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: new Date(0), size: 0 });
        children.set(dir, new Set());
      }
    }
    const parent = parts.slice(0, -1).join('/');
    children.get(parent)?.add(parts[parts.length - 1] as string);
    const existing = nodes.get(path);
    if (node.type === 'dir') {
      if (!children.has(path)) children.set(path, new Set());
    } else if (existing?.type === 'dir') {
      // A later entry replaces a directory: drop what was under it.
      for (const key of [...nodes.keys()]) if (key.startsWith(`${path}/`)) nodes.delete(key);
      children.delete(path);
    }
    nodes.set(path, node);
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

export function cleanEntryName(name: string): string {
  const n = posix.normalize(name.replace(/^\/+/, '')).replace(/\/+$/, '');
  if (n === '..' || n.startsWith('../')) throw new InvalidArgumentError(`invalid build context: entry "${name}" points outside it`);
  return n === '.' ? '' : n;
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
