import * as fs from 'node:fs';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { Header } from 'tar-stream';
import { InvalidArgumentError } from '../core/errdefs.js';
import { exec } from './exec.js';
import { CREATE_FILE, fdChmod, fdChown, fdClose, fdOpen, fdUtimes, fdWrite } from './fd-calls.js';
import { at, cleanComponents, closeQuietly, DIR_OPEN_FLAGS, errnoOf, RootedFsError, type Resolved, type RootedFs } from './rooted-fs.js';

/** Small files are buffered and written by background tasks while the next entries are parsed. */
const SMALL_FILE_MAX = 1024 * 1024;
const MAX_TASKS = 32;
const WRITE_BATCH = 1024 * 1024;
/** Directory descriptors held for `finish` (and cached parents): bounded, well under any fd limit. */
const MAX_HELD_DIRS = 2048;
const EUID = process.geteuid?.() ?? 0;
const EGID = process.getegid?.() ?? 0;
/** The process umask, read once (open(2)'s mode is masked by it). */
const UMASK = readUmask();

function readUmask(): number {
  const old = process.umask(0o022);
  process.umask(old);
  return old;
}

export interface UntarOptions {
  /** Docker's NoOverwriteDirNonDir: refuse to replace a directory with a non-directory or the reverse. */
  noOverwriteDirNonDir: boolean;
  /** Owner of everything extracted; the tar's own uid/gid when undefined. */
  chown?: { uid: number; gid: number };
  /** Docker's NoLchown (a client extracting on its own machine): files keep the extracting user's ownership. */
  noLchown?: boolean;
  signal?: AbortSignal;
}

interface Entry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
}

const TYPES = new Set(['file', 'directory', 'symlink', 'link', 'character-device', 'block-device', 'fifo']);

/**
 * Extracts a tar stream into the directory `dest` (a path inside `root`), as Docker's archive.Unpack does for
 * `docker cp`, without ever writing outside `root`.
 *
 * The archive and the directory are both hostile. Entry names are cleaned (absolute names land below `dest`;
 * a name, hard-link target or relative symlink target that climbs out of `dest` is refused, Docker's
 * "breakout" check). Every path is resolved through the RootedFs, so a symlink planted by the container (or
 * by an earlier entry) is followed only inside the root; final components are never followed (O_EXCL,
 * O_NOFOLLOW, l* calls); a replaced directory is removed through descriptors only.
 */
export async function untarInRoot(tar: Readable, root: RootedFs, dest: string, opts: UntarOptions): Promise<void> {
  const { default: tarStream } = await import('tar-stream');
  const extract = tarStream.extract({ allowUnknownFormat: true } as Parameters<typeof tarStream.extract>[0]);
  const writer = new RootedWriter(root, `/${cleanComponents(dest).join('/')}`, opts);
  const onAbort = (): void => {
    extract.destroy(new Error('aborted'));
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let feedError: unknown;
  const feeding = (async () => {
    for await (const chunk of tar) {
      // Once the parser is gone the rest is read and dropped, not cut: the input may be a request whose
      // answer (the error) still has to go out on the same connection.
      if (extract.destroyed || extract.destroying) continue;
      if (!extract.write(chunk as Buffer)) {
        await new Promise<void>((r) => {
          const done = (): void => {
            extract.off('drain', done);
            extract.off('close', done);
            r();
          };
          extract.once('drain', done);
          extract.once('close', done);
        });
      }
    }
    if (!extract.destroyed) extract.end(null);
  })().catch((err: unknown) => {
    feedError = err;
    extract.destroy(err instanceof Error ? err : new Error(String(err)));
  });
  try {
    for await (const e of extract) {
      const entry = checkEntry(e.header);
      await writer.apply(entry, e as unknown as Readable);
    }
    await feeding;
    if (feedError !== undefined) throw feedError;
    await writer.finish();
  } catch (err) {
    extract.destroy();
    await feeding;
    await writer.abandon();
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (err instanceof Error && !('code' in err) && /tar header|Unexpected end of data|Invalid header/.test(err.message)) {
      throw new InvalidArgumentError(`invalid tar: ${err.message}`);
    }
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    writer.close();
  }
}

function checkEntry(h: Header): Entry {
  const type = h.type === 'contiguous-file' ? 'file' : h.type;
  if (type === undefined || type === null || !TYPES.has(type)) {
    throw new InvalidArgumentError(`invalid tar: unsupported entry type ${JSON.stringify(h.type)} for ${JSON.stringify(h.name)}`);
  }
  const num = (v: number | undefined, what: string): number => {
    const n = v ?? 0;
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`invalid tar: invalid ${what} for ${JSON.stringify(h.name)}`);
    return n;
  };
  return {
    name: h.name,
    type: type as Entry['type'],
    size: num(h.size, 'size'),
    mode: num(h.mode, 'mode') & 0o7777,
    uid: num(h.uid, 'uid'),
    gid: num(h.gid, 'gid'),
    mtime: h.mtime ? h.mtime.getTime() / 1000 : 0,
    linkname: h.linkname ?? '',
    devmajor: num(h.devmajor, 'device number'),
    devminor: num(h.devminor, 'device number'),
  };
}

/** Docker's breakout error words. */
function breakout(what: string, dest: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid tar: ${JSON.stringify(what)} is outside of ${JSON.stringify(dest)}`);
}

class RootedWriter {
  readonly #root: RootedFs;
  readonly #dest: string;
  readonly #opts: UntarOptions;
  /** Open parent directories by requested path, dropped whenever an entry may change how paths resolve. */
  readonly #dirs = new Map<string, Resolved>();
  readonly #tasks = new Map<string, Promise<void>>();
  #failure: { error: unknown } | undefined;
  readonly #dirTimes: Array<{ path: string; mtime: number; fd?: number }> = [];
  /** Directories this extraction made, and every path it wrote: see `apply`'s fast path. */
  readonly #fresh = new Set<string>();
  readonly #made = new Set<string>();
  readonly #setgidDirs = new Map<number, boolean>();
  /** Small files whose create found the name taken (see `#createSmallFile`). */
  readonly #taken: Array<{ target: string; e: Entry; content: Buffer }> = [];

  constructor(root: RootedFs, dest: string, opts: UntarOptions) {
    this.#root = root;
    this.#dest = dest;
    this.#opts = opts;
  }

  async apply(e: Entry, data: Readable): Promise<void> {
    this.#throwIfFailed();
    // Docker cleans the name and joins it to the destination: an absolute name lands below it.
    const rel = cleanRel(e.name);
    if (rel === null) throw breakout(e.name, this.#dest);
    const target = rel === '' ? this.#dest : joinPath(this.#dest, rel);
    if (rel === '') {
      // The destination itself: only its metadata, as Go's tar would chmod/chown it.
      data.resume();
      if (e.type !== 'directory') throw new InvalidArgumentError(`invalid tar: ${JSON.stringify(e.name)} names the destination directory`);
      return;
    }
    if (e.type === 'symlink' && !e.linkname.startsWith('/')) {
      const resolved = posix.normalize(posix.join(posix.dirname(target), e.linkname));
      if (!within(resolved, this.#dest)) throw breakout(e.linkname, this.#dest);
    }
    if (e.type === 'link') {
      const linkRel = cleanRel(e.linkname);
      if (linkRel === null || linkRel === '') throw breakout(e.linkname, this.#dest);
    }
    const small = e.type === 'file' && e.size <= SMALL_FILE_MAX;
    // Background writes go on while other entries are made; they finish first when this entry is one of
    // theirs, or a hard link (which may name one of them). Anything that removes or replaces a path flushes
    // on its own (`#makeRoom`).
    if (e.type === 'link' || this.#tasks.has(target)) await this.#flush();
    const parentPath = posix.dirname(target);
    let parent = await this.#parent(parentPath);
    const name = posix.basename(target);
    // In a directory this archive made, a name it has not written yet cannot exist (unless the container
    // races to make it: then the exclusive create fails and the careful path below runs after all).
    const fast = this.#fresh.has(parentPath) && !this.#made.has(target);
    if (fast && small) {
      // Even the create runs in the background: it is the costly call (the kernel's inode allocation), and
      // several in flight at once take a fraction of the time of one after another.
      const content = await collect(data, e.size);
      await this.#startTask(target, this.#createSmallFile(parent, name, target, e, content));
      this.#made.add(target);
      return;
    }
    if (!fast) {
      const free = await this.#makeRoom(parent, name, e, target);
      if (!free) {
        data.resume();
        return;
      }
      parent = free;
    }
    try {
      await this.#create(e, parent, name, target, data, small);
    } catch (err) {
      if (!fast || errnoOf(err) !== 'EEXIST') throw err;
      const free = await this.#makeRoom(parent, name, e, target);
      if (!free) {
        data.resume();
        return;
      }
      await this.#create(e, free, name, target, data, small);
    }
    this.#made.add(target);
    if (e.type === 'directory') this.#fresh.add(target);
  }

  /**
   * Makes room for an entry where something may exist. A directory over a directory only takes the new
   * metadata (undefined: nothing more to do); anything else is removed first (or refused, with
   * NoOverwriteDirNonDir). Returns the parent to create in: after a removal the open directories were
   * dropped (a removal may change how paths resolve), so it is the parent opened again.
   */
  async #makeRoom(parent: Resolved, name: string, e: Entry, target: string): Promise<Resolved | undefined> {
    const existing = await lstatOrNull(at(parent.dirFd, name));
    if (!existing) return parent;
    if (existing.isDirectory() && e.type === 'directory') {
      await this.#dirMeta(parent, name, e, target);
      return undefined;
    }
    if (this.#opts.noOverwriteDirNonDir) {
      if (existing.isDirectory()) throw new InvalidArgumentError(`cannot overwrite directory ${JSON.stringify(target)} with non-directory ${JSON.stringify(target)}`);
      if (e.type === 'directory') throw new InvalidArgumentError(`cannot overwrite non-directory ${JSON.stringify(target)} with directory ${JSON.stringify(target)}`);
    }
    await this.#flush();
    await removeAt(parent.dirFd, name);
    this.#forgetDirs();
    return this.#parent(posix.dirname(target));
  }

  /**
   * A small file at a name that should be free (see `apply`'s fast path), as a background task. The parent's
   * descriptor stays open until the task ends: the cache of parents is only dropped after a flush. When the
   * name is taken after all (the container made it meanwhile), the file waits for the next flush, which takes
   * the careful path for it.
   */
  async #createSmallFile(parent: Resolved, name: string, target: string, e: Entry, content: Buffer): Promise<void> {
    try {
      await this.#writeSmallFile(parent, name, e, content);
    } catch (err) {
      if (errnoOf(err) !== 'EEXIST') throw err;
      this.#taken.push({ target, e, content });
    }
  }

  /** Creates a file with its whole content at a free name; fails with EEXIST (writing nothing) when it is taken. */
  async #writeSmallFile(parent: Resolved, name: string, e: Entry, content: Buffer): Promise<void> {
    const owner = this.#owner(e);
    const plan = await this.#filePlan(e, parent, owner);
    const fd = await fdOpen(at(parent.dirFd, name), CREATE_FILE, e.mode & 0o777);
    await finishFile(fd, content, e, owner, plan);
  }

  #owner(e: Entry): Owner | undefined {
    return this.#opts.noLchown ? undefined : (this.#opts.chown ?? { uid: e.uid, gid: e.gid });
  }

  /** What open(2) already gave: the creator's ids (unless a setgid parent lends its group) and mode & ~umask. */
  async #filePlan(e: Entry, parent: Resolved, owner: Owner | undefined): Promise<FilePlan> {
    return {
      chown: owner !== undefined && !(owner.uid === EUID && owner.gid === EGID && !(await this.#setgid(parent))),
      chmod: (e.mode & 0o7000) !== 0 || (e.mode & UMASK) !== 0,
    };
  }

  /** Creates the entry at a free name; fails with EEXIST (before reading any data) when the name is taken. */
  async #create(e: Entry, parent: Resolved, name: string, target: string, data: Readable, small: boolean): Promise<void> {
    const owner = this.#owner(e);
    switch (e.type) {
      case 'directory':
        await fs.promises.mkdir(at(parent.dirFd, name), { mode: 0o700 });
        data.resume();
        await this.#dirMeta(parent, name, e, target);
        return;
      case 'file': {
        const fd = await fdOpen(at(parent.dirFd, name), CREATE_FILE, e.mode & 0o777);
        const plan = await this.#filePlan(e, parent, owner);
        if (small) {
          let content: Buffer;
          try {
            content = await collect(data, e.size);
          } catch (err) {
            closeQuietly(fd);
            throw err;
          }
          await this.#startTask(target, finishFile(fd, content, e, owner, plan));
        } else {
          await finishFile(fd, data, e, owner, plan);
        }
        return;
      }
      case 'symlink':
        await fs.promises.symlink(e.linkname, at(parent.dirFd, name));
        data.resume();
        if (owner) await fs.promises.lchown(at(parent.dirFd, name), owner.uid, owner.gid);
        await fs.promises.lutimes(at(parent.dirFd, name), e.mtime, e.mtime);
        // Nothing cached can go through it: cached parents are existing directories, and a symlink is only
        // made at a free name (a replaced path was removed first, which dropped the cache).
        return;
      case 'link': {
        const src = await this.#root.resolve(joinPath(this.#dest, cleanRel(e.linkname)!), { followFinal: false });
        try {
          if (src.name === '.') throw breakout(e.linkname, this.#dest);
          await fs.promises.link(at(src.dirFd, src.name), at(parent.dirFd, name));
        } finally {
          src.close();
        }
        data.resume();
        return;
      }
      default: {
        // Node has no mknod(2): mknod(1) reaches our descriptor through /proc/<our pid>/fd, and fails on an
        // existing name rather than following it.
        const path = `/proc/${process.pid}/fd/${parent.dirFd}/${name}`;
        const kind = e.type === 'fifo' ? ['p'] : [e.type === 'character-device' ? 'c' : 'b', String(e.devmajor), String(e.devminor)];
        const res = await exec('mknod', ['-m', (e.mode & 0o777).toString(8), '--', path, ...kind], { timeoutMs: 30_000 });
        if (res.code !== 0) {
          const err = new Error(`mknod ${JSON.stringify(target)}: ${res.stderr.trim()}`);
          if (/File exists/.test(res.stderr)) Object.assign(err, { code: 'EEXIST' });
          throw err;
        }
        data.resume();
        if (owner) await fs.promises.lchown(at(parent.dirFd, name), owner.uid, owner.gid);
        return;
      }
    }
  }

  async #setgid(parent: Resolved): Promise<boolean> {
    let v = this.#setgidDirs.get(parent.dirFd);
    if (v === undefined) {
      v = ((await fs.promises.stat(at(parent.dirFd))).mode & 0o2000) !== 0;
      this.#setgidDirs.set(parent.dirFd, v);
    }
    return v;
  }

  async finish(): Promise<void> {
    await this.#flush();
    // Adding children changed the directories' times: set them last, deepest first.
    for (const d of this.#dirTimes.reverse()) {
      let fd = d.fd;
      d.fd = undefined;
      if (fd === undefined) {
        const r = await this.#root.resolve(d.path, { followFinal: false }).catch(() => undefined);
        if (!r) continue;
        fd = await fdOpen(at(r.dirFd, r.name), DIR_OPEN_FLAGS).catch(() => undefined);
        r.close();
      }
      if (fd === undefined) continue;
      await fdUtimes(fd, d.mtime, d.mtime).catch(() => undefined);
      closeQuietly(fd);
    }
  }

  async abandon(): Promise<void> {
    await Promise.allSettled([...this.#tasks.values()]);
  }

  close(): void {
    this.#forgetDirs();
    for (const d of this.#dirTimes) if (d.fd !== undefined) closeQuietly(d.fd);
    this.#dirTimes.length = 0;
  }

  async #dirMeta(parent: Resolved, name: string, e: Entry, target: string): Promise<void> {
    const fd = await fdOpen(at(parent.dirFd, name), DIR_OPEN_FLAGS);
    try {
      if (!this.#opts.noLchown) {
        const owner = this.#opts.chown ?? { uid: e.uid, gid: e.gid };
        await fdChown(fd, owner.uid, owner.gid);
      }
      await fdChmod(fd, e.mode);
    } catch (err) {
      closeQuietly(fd);
      throw err;
    }
    // Kept open for its time, set in `finish` (after its children changed it), without resolving it again.
    if (this.#dirTimes.length < MAX_HELD_DIRS) this.#dirTimes.push({ path: target, mtime: e.mtime, fd });
    else {
      closeQuietly(fd);
      this.#dirTimes.push({ path: target, mtime: e.mtime });
    }
  }

  /** The open directory `path` (inside the root), made (0755, as Docker's MkdirAll) when missing. */
  async #parent(path: string): Promise<Resolved> {
    const cached = this.#dirs.get(path);
    if (cached) return cached;
    // A file of this archive still on its way at this path: it lands first (and the entry then fails on it).
    if (this.#tasks.has(path)) await this.#flush();
    if (this.#dirs.size >= MAX_HELD_DIRS) {
      // Background tasks use these descriptors: they finish first.
      await this.#flush();
      this.#forgetDirs();
    }
    const up = this.#dirs.get(posix.dirname(path));
    if (up && this.#fresh.has(path)) {
      // A directory this archive made, below an open one: one open, never through a symlink.
      const fd = await fdOpen(at(up.dirFd, posix.basename(path)), DIR_OPEN_FLAGS).catch(() => undefined);
      if (fd !== undefined) {
        const r: Resolved = { dirFd: fd, name: '.', path: up.path === '/' ? `/${posix.basename(path)}` : `${up.path}/${posix.basename(path)}`, close: () => closeQuietly(fd) };
        this.#dirs.set(path, r);
        return r;
      }
    }
    let dir: { fd: number; path: string; close(): void };
    try {
      dir = await this.#root.openDir(path);
    } catch (err) {
      if (!(err instanceof RootedFsError) || err.code !== 'ENOENT' || path === '/') throw err;
      const up = await this.#parent(posix.dirname(path));
      await fs.promises.mkdir(at(up.dirFd, posix.basename(path)), { mode: 0o755 }).then(
        () => this.#fresh.add(path),
        (e: unknown) => {
          if (errnoOf(e) !== 'EEXIST') throw e;
        },
      );
      dir = await this.#root.openDir(path);
    }
    const r: Resolved = { dirFd: dir.fd, name: '.', path: dir.path, close: dir.close };
    this.#dirs.set(path, r);
    return r;
  }

  #forgetDirs(): void {
    for (const r of this.#dirs.values()) r.close();
    this.#dirs.clear();
    this.#setgidDirs.clear();
  }

  async #startTask(key: string, work: Promise<void>): Promise<void> {
    const task = work.then(
      () => {
        this.#tasks.delete(key);
      },
      (error: unknown) => {
        this.#tasks.delete(key);
        this.#failure ??= { error };
      },
    );
    this.#tasks.set(key, task);
    if (this.#tasks.size >= MAX_TASKS) await Promise.race(this.#tasks.values());
  }

  async #flush(): Promise<void> {
    await Promise.all([...this.#tasks.values()]);
    this.#throwIfFailed();
    // Files whose name was taken while they waited: now, with nothing else running, the careful way.
    for (const { target, e, content } of this.#taken.splice(0)) {
      const name = posix.basename(target);
      const parent = await this.#makeRoom(await this.#parent(posix.dirname(target)), name, e, target);
      if (parent) await this.#writeSmallFile(parent, name, e, content);
    }
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }
}

type Owner = { uid: number; gid: number };
/** Which metadata calls a created file still needs. */
type FilePlan = { chown: boolean; chmod: boolean };

/** Writes a created file's content and metadata and closes it. */
async function finishFile(fd: number, content: Buffer | Readable, e: Entry, owner: Owner | undefined, plan: FilePlan): Promise<void> {
  try {
    if (Buffer.isBuffer(content)) {
      let off = 0;
      while (off < content.length) off += (await fdWrite(fd, content, off, content.length - off)).bytesWritten;
    } else {
      // The parser hands out the request's chunks (often 16-64 KiB): gathered into ~1 MiB writes, one trip
      // through the thread pool each instead of dozens.
      let batch: Buffer[] = [];
      let batched = 0;
      const flush = async (): Promise<void> => {
        const buf = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batched);
        batch = [];
        batched = 0;
        let off = 0;
        while (off < buf.length) off += (await fdWrite(fd, buf, off, buf.length - off)).bytesWritten;
      };
      for await (const chunk of content) {
        batch.push(chunk as Buffer);
        batched += (chunk as Buffer).length;
        if (batched >= WRITE_BATCH) await flush();
      }
      if (batched > 0) await flush();
    }
    if (owner && plan.chown) await fdChown(fd, owner.uid, owner.gid);
    // After the chown, which clears setuid/setgid bits.
    if (plan.chmod) await fdChmod(fd, e.mode);
    await fdUtimes(fd, e.mtime, e.mtime);
  } finally {
    await fdClose(fd);
  }
}

async function collect(data: Readable, size: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of data) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

async function lstatOrNull(path: string): Promise<fs.Stats | null> {
  try {
    return await fs.promises.lstat(path);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Removes `name` in the directory `dirFd` and, for a directory, everything below it, through descriptors only:
 * a path string with several components could be redirected by a symlink swapped in meanwhile.
 */
export async function removeAt(dirFd: number, name: string): Promise<void> {
  const st = await lstatOrNull(at(dirFd, name));
  if (!st) return;
  if (!st.isDirectory()) {
    await fs.promises.unlink(at(dirFd, name));
    return;
  }
  let fd: number;
  try {
    fd = await fdOpen(at(dirFd, name), DIR_OPEN_FLAGS);
  } catch (err) {
    if (errnoOf(err) === 'ELOOP' || errnoOf(err) === 'ENOTDIR') return removeAt(dirFd, name);
    throw err;
  }
  try {
    for (const child of await fs.promises.readdir(at(fd))) await removeAt(fd, child);
  } finally {
    closeQuietly(fd);
  }
  await fs.promises.rmdir(at(dirFd, name));
}

/** An entry name cleaned as Go's filepath.Clean, relative to the destination; null when it climbs above it. */
function cleanRel(name: string): string | null {
  const parts: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (parts.length === 0) {
        // An absolute name's `..` stops at its root (Join cleans it); a relative one climbs out.
        if (name.startsWith('/')) continue;
        return null;
      }
      parts.pop();
      continue;
    }
    parts.push(c);
  }
  return parts.join('/');
}

function joinPath(dir: string, rel: string): string {
  return dir === '/' ? `/${rel}` : `${dir}/${rel}`;
}

function within(path: string, dir: string): boolean {
  return dir === '/' || path === dir || path.startsWith(`${dir}/`);
}
