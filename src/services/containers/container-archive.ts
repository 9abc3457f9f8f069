import { lstat, mkdir, mkdtemp, readFile, rmdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import type { ContainerRecord } from '../../core/containers.js';
import { InvalidArgumentError, NotFoundError } from '../../core/errdefs.js';
import type { Mount } from '../../core/mount.js';
import type { Snapshotter } from '../../core/snapshots.js';
import { goFileMode } from '../../pkg/go-file-mode.js';
import type { KeyedLock } from '../../pkg/keyed-lock.js';
import { isMountPoint, mountAll, unmount } from '../../pkg/mounter.js';
import { RootedFs, RootedFsError, at, type RootedMount } from '../../pkg/rooted-fs.js';
import { untarInRoot } from '../../pkg/rooted-untar.js';
import { packTree } from '../../pkg/tree-tar.js';
import type { ContainerPathStat } from '../../pkg/container-path-stat.js';
import { containerMounts } from './container-mounts.js';
import { resolveUser } from './user-lookup.js';

export interface ContainerArchiveDeps {
  /** The container record by id or name (throws Docker's "No such container"). */
  container(idOrName: string): ContainerRecord;
  snapshotter: Snapshotter;
  locks: KeyedLock;
}

export interface PutArchiveOptions {
  noOverwriteDirNonDir: boolean;
  copyUIDGID: boolean;
  signal?: AbortSignal;
}

const LIVE = new Set(['running', 'paused']);

/**
 * The container filesystem commands that read or write paths: `cp` in both directions (path stat, get, put)
 * and `export`. What they see is the container's view of its files, mounts included:
 *   - a running (or paused) container: its root through /proc/<pid>/root, which walks the container's own
 *     mount namespace, so volumes and the engine's bind mounts are where the container sees them;
 *   - a stopped one: its overlay mounted for the operation under the container's lock (a start waits), with
 *     its bind mounts emulated by the resolver (see RootedFs's `mounts`).
 * Every path goes through RootedFs, so nothing a container planted can lead outside it.
 */
export class ContainerArchiveService {
  readonly #deps: ContainerArchiveDeps;

  constructor(deps: ContainerArchiveDeps) {
    this.#deps = deps;
  }

  async statPath(idOrName: string, path: string): Promise<ContainerPathStat> {
    const c = this.#deps.container(idOrName);
    return this.#withRoot(c, (root) => statIn(root, path, idOrName));
  }

  /**
   * `GET /containers/{id}/archive`: the stat of `path` and a tar of it (entries named after the path's base
   * name). `sink` consumes the stream before the container's filesystem is released.
   */
  async getArchive(
    idOrName: string,
    path: string,
    sink: (stat: ContainerPathStat, tar: Readable) => Promise<void>,
    opts: { signal?: AbortSignal } = {},
  ): Promise<void> {
    const c = this.#deps.container(idOrName);
    await this.#withRoot(c, async (root) => {
      const stat = await statIn(root, path, idOrName);
      const absPath = absolutePath(path);
      const r = await root.resolve(absPath, { followFinal: followsFinal(absPath) }).catch((err: unknown) => {
        throw notFoundOr(err, path, idOrName);
      });
      try {
        const topName = r.path === '/' ? '' : goBase(absPath);
        const tar = Readable.from(
          packTree(r.dirFd, r.name, { topName, topPath: r.path, redirect: (p) => root.mountAt(p), signal: opts.signal }),
          { objectMode: false },
        );
        await sink(stat, tar);
      } finally {
        r.close();
      }
    });
  }

  /** `PUT /containers/{id}/archive`: extracts a tar into the directory `path`, as Docker's ContainerExtractToDir. */
  async putArchive(idOrName: string, path: string, tar: Readable, opts: PutArchiveOptions): Promise<void> {
    const c = this.#deps.container(idOrName);
    await this.#withRoot(c, async (root) => {
      const absPath = absolutePath(path);
      let dir: { fd: number; path: string; close(): void };
      try {
        dir = await root.openDir(absPath);
      } catch (err) {
        if (err instanceof RootedFsError && err.code === 'ENOTDIR') {
          // An existing non-directory is Docker's "extraction point is not a directory"; a missing parent not.
          const exists = await root.resolve(absPath, { followFinal: true }).then(
            async (r) => {
              try {
                return (await lstat(at(r.dirFd, r.name)).catch(() => undefined)) !== undefined;
              } finally {
                r.close();
              }
            },
            () => false,
          );
          if (exists) throw new InvalidArgumentError('extraction point is not a directory');
        }
        throw notFoundOr(err, path, idOrName);
      }
      try {
        const mount = containerMounts(c)
          .filter((m) => dir.path === m.destination || dir.path.startsWith(`${m.destination}/`))
          .sort((a, b) => b.destination.length - a.destination.length)[0];
        if (mount && !mount.rw) throw new InvalidArgumentError('mounted volume is marked read-only');
        if (!mount && c.hostConfig.ReadonlyRootfs) throw new InvalidArgumentError('container rootfs is marked read-only');
        let chown: { uid: number; gid: number } | undefined;
        if (opts.copyUIDGID && c.config.User) {
          const snap = this.#deps.snapshotter;
          const user = await resolveUser(c.config.User, [snap.contentDir(c.snapshotId), ...c.lowerSnapshotIds.map((s) => snap.contentDir(s))]);
          chown = { uid: user.uid, gid: user.gid };
        }
        await untarInRoot(tar, root, dir.path, { noOverwriteDirNonDir: opts.noOverwriteDirNonDir, chown, signal: opts.signal });
      } finally {
        dir.close();
      }
    });
  }

  /** `GET /containers/{id}/export`: the container's whole filesystem as one tar, mounts left out as Docker does. */
  async export(idOrName: string, sink: (tar: Readable) => Promise<void>, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const c = this.#deps.container(idOrName);
    // A read-only overlay of the writable layer over the image's layers: the root filesystem without any mount,
    // whether or not the container runs (the upper dir as a lower layer keeps its whiteouts' meaning).
    const snap = this.#deps.snapshotter;
    await this.#withMounted(c, snap.viewMounts([c.snapshotId, ...c.lowerSnapshotIds]), [], async (root) => {
      await sink(Readable.from(packTree(root.rootFd, '.', { topName: '', topPath: '/', signal: opts.signal }), { objectMode: false }));
    });
  }

  /** Runs `fn` with the container's filesystem as it sees it (see the class comment). */
  async #withRoot<T>(c: ContainerRecord, fn: (root: RootedFs) => Promise<T>): Promise<T> {
    const live = await liveRoot(c);
    if (live) return useRoot(live, fn);
    return this.#deps.locks.withLock(c.id, async () => {
      const current = this.#deps.container(c.id);
      const started = await liveRoot(current);
      if (started) return useRoot(started, fn);
      const mounts = this.#deps.snapshotter.mounts(current.snapshotId, current.lowerSnapshotIds);
      return this.#withMounted(current, mounts, containerMounts(current), fn);
    });
  }

  /** Mounts `mounts` on a fresh directory beside the container's files for the length of `fn`. */
  async #withMounted<T>(c: ContainerRecord, mounts: Mount[], emulated: RootedMount[], fn: (root: RootedFs) => Promise<T>): Promise<T> {
    await mkdir(c.dir, { recursive: true });
    const target = await mkdtemp(posix.join(c.dir, 'mnt-'));
    try {
      await mountAll(mounts, target);
      try {
        return await useRoot(await RootedFs.open(target, emulated), fn);
      } finally {
        await unmount(target).catch(() => unmount(target, { lazy: true }));
      }
    } finally {
      if (!(await isMountPoint(target).catch(() => true))) await rmdir(target).catch(() => undefined);
    }
  }
}

/** A running (or paused) container's root as its own mount namespace shows it, or undefined when it is not live. */
async function liveRoot(c: ContainerRecord): Promise<RootedFs | undefined> {
  if (!LIVE.has(c.state.status) || c.state.pid <= 0) return undefined;
  const root = await RootedFs.open(`/proc/${c.state.pid}/root`).catch(() => undefined);
  if (!root) return undefined;
  // The pid comes from the record: had the container exited and its pid gone to a host process, that root
  // would be the host's. Checked after opening, so the descriptor we hold is the container's.
  const cgroup = await readFile(`/proc/${c.state.pid}/cgroup`, 'utf8').catch(() => '');
  if (!cgroup.includes(c.id)) {
    root.close();
    return undefined;
  }
  return root;
}

async function useRoot<T>(root: RootedFs, fn: (root: RootedFs) => Promise<T>): Promise<T> {
  try {
    return await fn(root);
  } finally {
    root.close();
  }
}

/** Docker's ContainerStatPath: the last component is not followed unless the path ends in `/` or `/.`. */
async function statIn(root: RootedFs, path: string, idOrName: string): Promise<ContainerPathStat> {
  const absPath = absolutePath(path);
  const r = await root.resolve(absPath, { followFinal: followsFinal(absPath) }).catch((err: unknown) => {
    throw notFoundOr(err, path, idOrName);
  });
  try {
    const st = await lstat(at(r.dirFd, r.name), { bigint: true }).catch((err: unknown) => {
      throw notFoundOr(err, path, idOrName);
    });
    let linkTarget = '';
    if (st.isSymbolicLink()) {
      const full = await root.resolve(absPath, { followFinal: true });
      linkTarget = full.path;
      full.close();
    }
    return { name: goBase(absPath), size: Number(st.size), mode: goFileMode(Number(st.mode)), mtime: rfc3339Nano(st.mtimeNs), linkTarget };
  } finally {
    r.close();
  }
}

function notFoundOr(err: unknown, path: string, idOrName: string): unknown {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new NotFoundError(`Could not find the file ${path} in container ${idOrName}`);
  return err;
}

/** Docker's PreserveTrailingDotOrSeparator(filepath.Join("/", path), path). */
export function absolutePath(path: string): string {
  let abs = posix.join('/', path);
  if (abs !== '/' && abs.endsWith('/')) abs = abs.slice(0, -1);
  if ((path.endsWith('/.') || path === '.') && !abs.endsWith('/.')) abs = abs === '/' ? '/.' : `${abs}/.`;
  else if (path.endsWith('/') && !abs.endsWith('/')) abs = `${abs}/`;
  return abs;
}

function followsFinal(absPath: string): boolean {
  return absPath === '/' || absPath.endsWith('/') || absPath.endsWith('/.');
}

/** Go's filepath.Base. */
function goBase(p: string): string {
  const trimmed = p.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** Go's time.Time JSON form (RFC 3339 with trailing zeros of the fraction removed). */
export function rfc3339Nano(ns: bigint): string {
  const secs = ns / 1_000_000_000n;
  const frac = ns % 1_000_000_000n;
  const base = new Date(Number(secs) * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  const f = frac === 0n ? '' : `.${frac.toString().padStart(9, '0').replace(/0+$/, '')}`;
  return `${base}${f}Z`;
}
