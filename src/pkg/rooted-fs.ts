import * as fs from 'node:fs';
import { constants } from 'node:fs';
import { posix } from 'node:path';
import { fdClose, fdOpen } from './fd-calls.js';

/**
 * Paths inside a directory that someone else controls (a container's root filesystem), resolved the way the
 * kernel would inside that root, without ever leaving it.
 *
 * The directory's owner may plant symlinks anywhere (absolute ones, `../../..`, links into /proc) and swap a
 * directory for a symlink while we work. So nothing here hands the kernel a path with more than one
 * component it could follow: every step is an open of *one* name relative to a directory we already hold
 * open, through `/proc/self/fd/<dirfd>/<name>` (the magic link is our own descriptor; only `<name>` is looked
 * up, which is openat(dirfd, name)). Directories are opened with O_NOFOLLOW|O_DIRECTORY; a symlink met on the
 * way is read (readlink) and its target resolved again from the root, absolute targets relative to the root;
 * `..` is cleaned lexically first, as Docker's FollowSymlinkInScope does, so it never reaches the kernel. A
 * swap between our lstat and open makes the open fail (ELOOP/ENOTDIR) and the step is redone.
 *
 * Mounts that the root directory itself does not show (a stopped container's volumes and engine files) can be
 * given as `mounts`: crossing one of their destinations continues in its (trusted) host source.
 */
export interface RootedMount {
  /** Absolute, clean path inside the root. */
  destination: string;
  /** Host path of the mount's source: a directory, or a file for a file bind mount. */
  source: string;
}

/** A resolved path: `name` inside the open directory `dirFd` ('.' when the path is that directory itself). */
export interface Resolved {
  dirFd: number;
  name: string;
  /** The canonical path inside the root (symlinks followed as asked). */
  path: string;
  close(): void;
}

const O_PATH = 0o10000000;
export const DIR_OPEN_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
/** Docker's (and the kernel's) bound on symlinks followed in one resolution. */
const MAX_LINKS = 255;
/** Times one step is retried when the directory changes under us; a container that keeps racing loses. */
const MAX_RACES = 64;

export { fdClose, fdOpen };
export const lstatP = fs.promises.lstat;
export const readlinkP = fs.promises.readlink;

/** The path naming `name` inside the directory open as `fd` (openat's view). `name` must be one component, or '.'. */
export function at(fd: number, name = '.'): string {
  if (name !== '.' && (name === '' || name === '..' || name.includes('/') || name.includes('\0'))) {
    throw new RootedFsError('EINVAL', `invalid path component ${JSON.stringify(name)}`);
  }
  // `/.` so that the magic link itself is never the last component (lstat or O_NOFOLLOW would see a link).
  return name === '.' ? `/proc/self/fd/${fd}/.` : `/proc/self/fd/${fd}/${name}`;
}

export class RootedFsError extends Error {
  readonly code: string;
  /** The path inside the root that failed, when known. */
  readonly path: string | undefined;
  constructor(code: string, message: string, path?: string) {
    super(message);
    this.name = 'RootedFsError';
    this.code = code;
    this.path = path;
  }
}

export function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/** `path` as clean components below the root: `..` is lexical, and never climbs above the root. */
export function cleanComponents(path: string): string[] {
  return posix
    .normalize(`/${path}`)
    .split('/')
    .filter((c) => c !== '' && c !== '.' && c !== '..');
}

export function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // already closed or never valid: nothing to release
  }
}

export class RootedFs {
  readonly #rootFd: number;
  readonly #mounts: ReadonlyMap<string, string>;

  private constructor(rootFd: number, mounts: ReadonlyMap<string, string>) {
    this.#rootFd = rootFd;
    this.#mounts = mounts;
  }

  /** Opens `rootPath` (trusted: e.g. `/proc/<pid>/root` or a mount point the daemon made). */
  static async open(rootPath: string, mounts: readonly RootedMount[] = []): Promise<RootedFs> {
    const fd = await fdOpen(rootPath, constants.O_RDONLY | constants.O_DIRECTORY);
    const byDest = new Map<string, string>();
    for (const m of mounts) {
      const dest = `/${cleanComponents(m.destination).join('/')}`;
      if (dest !== '/') byDest.set(dest, m.source);
    }
    return new RootedFs(fd, byDest);
  }

  get rootFd(): number {
    return this.#rootFd;
  }

  close(): void {
    closeQuietly(this.#rootFd);
  }

  /** The host source of a mount whose destination is exactly `path`, if any. */
  mountAt(path: string): string | undefined {
    return this.#mounts.get(path);
  }

  /**
   * Resolves `path` inside the root. Symlinks among the parents are always followed (inside the root); the
   * last component is followed only with `followFinal`. The last component need not exist: a missing
   * parent is ENOENT, a parent that is not a directory ENOTDIR (RootedFsError with that code).
   */
  async resolve(path: string, opts: { followFinal: boolean }): Promise<Resolved> {
    let pending = cleanComponents(path);
    let links = 0;
    let races = 0;
    restart: for (;;) {
      let cur = { fd: this.#rootFd, path: '/', owned: false };
      const release = (): void => {
        if (cur.owned) closeQuietly(cur.fd);
        cur.owned = false;
      };
      try {
        for (let i = 0; i < pending.length; i++) {
          const comp = pending[i]!;
          const childPath = cur.path === '/' ? `/${comp}` : `${cur.path}/${comp}`;
          const last = i === pending.length - 1;
          const mountSource = this.#mounts.get(childPath);
          if (mountSource !== undefined) {
            const st = await fs.promises.stat(mountSource);
            if (!st.isDirectory()) {
              if (!last) throw new RootedFsError('ENOTDIR', `${childPath}: not a directory`, childPath);
              const parentFd = await fdOpen(posix.dirname(mountSource), DIR_OPEN_FLAGS);
              release();
              return resolved(parentFd, posix.basename(mountSource), childPath, true);
            }
            const fd = await fdOpen(mountSource, DIR_OPEN_FLAGS);
            release();
            cur = { fd, path: childPath, owned: true };
            continue;
          }
          if (!last) {
            // A parent: opening it as a directory (never following) settles the common case in one call.
            const fd = await fdOpen(at(cur.fd, comp), DIR_OPEN_FLAGS).catch((err: unknown) => {
              const code = errnoOf(err);
              if (code === 'ELOOP' || code === 'ENOTDIR') return undefined;
              if (code === 'ENOENT') throw new RootedFsError('ENOENT', `${childPath}: no such file or directory`, childPath);
              throw err;
            });
            if (fd !== undefined) {
              release();
              cur = { fd, path: childPath, owned: true };
              continue;
            }
          }
          let st: fs.Stats;
          try {
            st = await lstatP(at(cur.fd, comp));
          } catch (err) {
            if (errnoOf(err) === 'ENOENT' && last) {
              const out = resolved(cur.fd, comp, childPath, cur.owned);
              cur.owned = false;
              return out;
            }
            if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') {
              throw new RootedFsError(errnoOf(err)!, `${childPath}: no such file or directory`, childPath);
            }
            throw err;
          }
          if (st.isSymbolicLink() && (!last || opts.followFinal)) {
            if (++links > MAX_LINKS) throw new RootedFsError('ELOOP', `${childPath}: too many levels of symbolic links`, childPath);
            const target = await readlinkP(at(cur.fd, comp));
            const base = target.startsWith('/') ? '/' : cur.path;
            pending = cleanComponents(posix.join(base, target, ...pending.slice(i + 1)));
            release();
            continue restart;
          }
          if (last) {
            const out = resolved(cur.fd, comp, childPath, cur.owned);
            cur.owned = false;
            return out;
          }
          if (!st.isDirectory()) throw new RootedFsError('ENOTDIR', `${childPath}: not a directory`, childPath);
          let fd: number;
          try {
            fd = await fdOpen(at(cur.fd, comp), DIR_OPEN_FLAGS);
          } catch (err) {
            const code = errnoOf(err);
            if ((code === 'ELOOP' || code === 'ENOTDIR' || code === 'ENOENT') && ++races < MAX_RACES) {
              // Swapped between our lstat and open: look again from the root.
              release();
              continue restart;
            }
            throw err;
          }
          release();
          cur = { fd, path: childPath, owned: true };
        }
        const out = resolved(cur.fd, '.', cur.path, cur.owned);
        cur.owned = false;
        return out;
      } finally {
        release();
      }
    }
  }

  /** Resolves a path that must be an existing directory and opens it (following a final symlink). */
  async openDir(path: string): Promise<{ fd: number; path: string; close(): void }> {
    const r = await this.resolve(path, { followFinal: true });
    try {
      if (r.name === '.') {
        // Our own descriptor for the directory: a fresh one, so the caller owns what it closes.
        const fd = await fdOpen(at(r.dirFd), DIR_OPEN_FLAGS);
        return { fd, path: r.path, close: () => closeQuietly(fd) };
      }
      let fd: number;
      try {
        fd = await fdOpen(at(r.dirFd, r.name), DIR_OPEN_FLAGS);
      } catch (err) {
        const code = errnoOf(err);
        if (code === 'ENOENT') throw new RootedFsError('ENOENT', `${r.path}: no such file or directory`, r.path);
        if (code === 'ENOTDIR' || code === 'ELOOP') throw new RootedFsError('ENOTDIR', `${r.path}: not a directory`, r.path);
        throw err;
      }
      return { fd, path: r.path, close: () => closeQuietly(fd) };
    } finally {
      r.close();
    }
  }
}

function resolved(dirFd: number, name: string, path: string, owned: boolean): Resolved {
  return { dirFd, name, path, close: () => (owned ? closeQuietly(dirFd) : undefined) };
}

/** Opens a directory entry without following it; O_PATH lets it be any kind of file (for fstat, or as a dirfd). */
export async function openNoFollow(dirFd: number, name: string, flags: number): Promise<number> {
  return fdOpen(at(dirFd, name), flags | constants.O_NOFOLLOW);
}

export { O_PATH };
