import * as fs from 'node:fs';
import { constants } from 'node:fs';
import { posix } from 'node:path';
import { fdClose, fdOpen, fdRead } from './fd-calls.js';
import { at, closeQuietly, DIR_OPEN_FLAGS, errnoOf } from './rooted-fs.js';
import { encodeHeader, END_OF_ARCHIVE, padding, type TarHeader } from './tar-header.js';

/** Files up to this size are read ahead in parallel while earlier entries are written. */
const SMALL_FILE_MAX = 512 * 1024;
/** Entries of one directory loaded ahead of the one being written. */
const WINDOW = 32;
const CHUNK = 1024 * 1024;
/** File content up to this size goes out in one chunk with its header and padding. */
const JOIN_MAX = 64 * 1024;
const FILE_OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export interface PackTreeOptions {
  /**
   * Archive name of the top entry. `''` packs a root: the directory itself gets no entry and its children
   * are top-level names (`bin/`, `etc/passwd`), as `docker export` and layer tars have them.
   */
  topName: string;
  /** Canonical path (inside the root) of the top entry; children are named from it for `redirect` and `skip`. */
  topPath: string;
  /** Mount emulation: a host path holding what is really at a canonical path (a stopped container's mounts). */
  redirect?: (path: string) => string | undefined;
  /** Entries to leave out (with everything below them). */
  skip?: (path: string, st: fs.Stats) => boolean;
  /**
   * Layer-diff mode (a container's overlay upper dir): a 0/0 character device (overlay whiteout) becomes an
   * empty `.wh.<name>` file and a directory listed here (overlay opaque) gets a `.wh..wh..opq` entry.
   */
  whiteouts?: { opaqueDirs: ReadonlySet<string> };
  /** Bytes the caller knows a regular file holds (see `DiffDirectoryOptions.knownContent`); read when the size differs. */
  knownContent?: (path: string) => Uint8Array | undefined;
  /** Told the content size of every regular file written whole (not of hard links to one written before). */
  onFileContent?: (bytes: number) => void;
  signal?: AbortSignal;
}

interface Loaded {
  name: string;
  path: string;
  st: fs.Stats;
  /** Where the entry lives (a redirect may move it out of the walked directory). */
  dirFd: number;
  entryName: string;
  ownedDirFd: boolean;
  content?: Buffer;
  linkTarget?: string;
}

/**
 * A tar stream of the entry `name` inside the open directory `dirFd` (and everything below it), read without
 * ever following a symlink: directories are opened with O_NOFOLLOW relative to their parent's descriptor,
 * files with O_NOFOLLOW, symlinks are stored as links. A file that grows or shrinks while being read is cut or
 * zero-padded to the size its header announced, so the archive stays well-formed. Hard links within the tree
 * become link entries, sockets are left out (as Go's archive/tar does).
 */
export async function* packTree(dirFd: number, name: string, opts: PackTreeOptions): AsyncGenerator<Buffer> {
  const packer = new TreePacker(opts);
  const top = await packer.load(dirFd, name, opts.topPath, opts.topName);
  yield* packer.emit(top, true);
  yield END_OF_ARCHIVE;
}

class TreePacker {
  readonly #opts: PackTreeOptions;
  readonly #links = new Map<string, string>();

  constructor(opts: PackTreeOptions) {
    this.#opts = opts;
  }

  async load(parentFd: number, name: string, path: string, entryName: string): Promise<Loaded> {
    let dirFd = parentFd;
    let realName = name;
    let ownedDirFd = false;
    const redirected = path !== this.#opts.topPath ? this.#opts.redirect?.(path) : undefined;
    if (redirected !== undefined) {
      dirFd = await fdOpen(posix.dirname(redirected), DIR_OPEN_FLAGS);
      realName = posix.basename(redirected);
      ownedDirFd = true;
    }
    try {
      const st = await fs.promises.lstat(at(dirFd, realName));
      const item: Loaded = { name: realName, path, st, dirFd, entryName, ownedDirFd };
      if (st.isSymbolicLink()) item.linkTarget = await fs.promises.readlink(at(dirFd, realName));
      else if (st.isFile() && !(st.nlink > 1 && this.#links.has(inodeKey(st)))) {
        const known = this.#opts.knownContent?.(path);
        if (known !== undefined && known.length === st.size) item.content = Buffer.from(known.buffer, known.byteOffset, known.byteLength);
        else if (st.size <= SMALL_FILE_MAX) item.content = await readSmall(dirFd, realName, st.size);
      }
      return item;
    } catch (err) {
      if (ownedDirFd) closeQuietly(dirFd);
      throw err;
    }
  }

  async *emit(item: Loaded, isTop: boolean): AsyncGenerator<Buffer> {
    try {
      this.#opts.signal?.throwIfAborted();
      const { st } = item;
      if (!isTop && this.#opts.skip?.(item.path, st)) return;
      if (st.isSocket()) return;
      const base = header(item);
      const whiteouts = this.#opts.whiteouts;
      if (whiteouts && st.isCharacterDevice() && st.rdev === 0) {
        const dir = posix.dirname(item.entryName);
        const whName = `${dir === '.' ? '' : `${dir}/`}.wh.${posix.basename(item.entryName)}`;
        yield encodeHeader({ ...base, name: whName, type: 'file', mode: 0o600, size: 0 });
        return;
      }
      if (st.isDirectory()) {
        if (item.entryName !== '') yield encodeHeader({ ...base, name: `${item.entryName}/`, type: 'directory', size: 0 });
        if (whiteouts?.opaqueDirs.has(item.path)) {
          yield encodeHeader({ ...base, name: `${item.entryName === '' ? '' : `${item.entryName}/`}.wh..wh..opq`, type: 'file', mode: st.mode & 0o777, size: 0 });
        }
        yield* this.#emitDir(item);
        return;
      }
      if (st.isSymbolicLink()) {
        yield encodeHeader({ ...base, type: 'symlink', size: 0, linkname: item.linkTarget ?? '' });
        return;
      }
      if (st.nlink > 1) {
        const first = this.#links.get(inodeKey(st));
        if (first !== undefined) {
          yield encodeHeader({ ...base, type: 'link', size: 0, linkname: first });
          return;
        }
        this.#links.set(inodeKey(st), item.entryName);
      }
      if (st.isCharacterDevice() || st.isBlockDevice() || st.isFIFO()) {
        const type = st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? 'character-device' : 'block-device';
        yield encodeHeader({ ...base, type, size: 0, devmajor: major(st.rdev), devminor: minor(st.rdev) });
        return;
      }
      if (!st.isFile()) return;
      if (item.content !== undefined) {
        this.#opts.onFileContent?.(item.content.length);
        const head = encodeHeader({ ...base, type: 'file', size: item.content.length });
        // One chunk per small file: every yield crosses each generator up the tree, thousands of times a layer.
        if (item.content.length <= JOIN_MAX) yield Buffer.concat([head, item.content, padding(item.content.length)]);
        else {
          yield head;
          yield item.content;
          yield padding(item.content.length);
        }
        return;
      }
      yield* this.#emitLargeFile(item, base);
    } finally {
      if (item.ownedDirFd) closeQuietly(item.dirFd);
    }
  }

  async *#emitDir(item: Loaded): AsyncGenerator<Buffer> {
    let fd: number;
    try {
      fd = await fdOpen(at(item.dirFd, item.name), DIR_OPEN_FLAGS);
    } catch (err) {
      // Swapped for something else since the lstat: the archive keeps the directory entry, empty.
      if (errnoOf(err) === 'ELOOP' || errnoOf(err) === 'ENOTDIR' || errnoOf(err) === 'ENOENT') return;
      throw err;
    }
    try {
      const names = (await fs.promises.readdir(at(fd))).sort();
      const prefix = item.entryName === '' ? '' : `${item.entryName}/`;
      const childPath = (n: string): string => (item.path === '/' ? `/${n}` : `${item.path}/${n}`);
      const loads: Array<Promise<Loaded | undefined>> = [];
      const start = (i: number): void => {
        const n = names[i]!;
        const p = this.load(fd, n, childPath(n), `${prefix}${n}`).catch((err: unknown) => {
          // Gone since the readdir: Go's tar walk also skips it.
          if (errnoOf(err) === 'ENOENT') return undefined;
          throw err;
        });
        p.catch(() => undefined);
        loads[i] = p;
      };
      for (let i = 0; i < Math.min(WINDOW, names.length); i++) start(i);
      try {
        for (let i = 0; i < names.length; i++) {
          const child = await loads[i]!;
          if (i + WINDOW < names.length) start(i + WINDOW);
          if (child) yield* this.emit(child, false);
        }
      } finally {
        // Release what was loaded ahead but never written (an error or an abort stopped us).
        for (const p of loads) {
          void p.then((l) => {
            if (l?.ownedDirFd) closeQuietly(l.dirFd);
          }, () => undefined);
        }
      }
    } finally {
      closeQuietly(fd);
    }
  }

  async *#emitLargeFile(item: Loaded, base: Omit<TarHeader, 'type'>): AsyncGenerator<Buffer> {
    const size = item.st.size;
    let fd: number;
    try {
      fd = await fdOpen(at(item.dirFd, item.name), FILE_OPEN_FLAGS);
    } catch (err) {
      if (errnoOf(err) === 'ELOOP' || errnoOf(err) === 'ENOENT') return;
      throw err;
    }
    try {
      this.#opts.onFileContent?.(size);
      yield encodeHeader({ ...base, type: 'file', size });
      let done = 0;
      while (done < size) {
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, size - done));
        const { bytesRead } = await fdRead(fd, buf, 0, buf.length, done);
        if (bytesRead === 0) {
          // Shrunk while we read: keep the promised size.
          buf.fill(0);
          yield buf;
          done += buf.length;
          continue;
        }
        yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
        done += bytesRead;
      }
      yield padding(size);
    } finally {
      await fdClose(fd);
    }
  }
}

async function readSmall(dirFd: number, name: string, size: number): Promise<Buffer | undefined> {
  let fd: number;
  try {
    fd = await fdOpen(at(dirFd, name), FILE_OPEN_FLAGS);
  } catch (err) {
    if (errnoOf(err) === 'ELOOP') return undefined;
    throw err;
  }
  try {
    const buf = Buffer.alloc(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await fdRead(fd, buf, done, size - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buf;
  } finally {
    await fdClose(fd);
  }
}

function header(item: Loaded): Omit<TarHeader, 'type'> {
  const { st } = item;
  return { name: item.entryName, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: 0, mtime: Math.floor(st.mtimeMs / 1000) };
}

function inodeKey(st: fs.Stats): string {
  return `${st.dev}:${st.ino}`;
}

/** Linux's dev_t encoding (glibc's gnu_dev_major/minor). */
export function major(dev: number): number {
  return Number(((BigInt(dev) >> 8n) & 0xfffn) | ((BigInt(dev) >> 32n) & ~0xfffn));
}

export function minor(dev: number): number {
  return Number((BigInt(dev) & 0xffn) | ((BigInt(dev) >> 12n) & ~0xffn));
}
