import { constants } from 'node:fs';
import { chmod, copyFile, lchown, lstat, lutimes, mkdir, open, readdir, readlink, symlink, unlink, utimes, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { InvalidArgumentError } from '../../core/errdefs.js';
import type { BuildContext } from './build-context.js';
import { fileSignature, type FilePlacement } from './file-reuse.js';

const MAX_SYMLINK_HOPS = 255;
const COPY_CONCURRENCY = 32;
const EMPTY = Buffer.alloc(0);

/**
 * Resolves `path` inside `root` the way a process chrooted there would see it, following symlinks but never
 * leaving `root` (moby's FollowSymlinkInScope): an image or a context is untrusted, and a link pointing at
 * `/etc` must mean the root filesystem's /etc, not the host's. The final component is followed only when
 * `followFinal`. Missing components are kept as written (the caller creates them).
 */
export async function resolveInRoot(root: string, path: string, followFinal: boolean): Promise<string> {
  let parts = path.split('/').filter((p) => p !== '' && p !== '.');
  const resolved: string[] = [];
  let hops = 0;
  while (parts.length > 0) {
    const part = parts.shift() as string;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = join(root, ...resolved, part);
    const st = await lstat(candidate).catch(() => undefined);
    if (st?.isSymbolicLink() && (parts.length > 0 || followFinal)) {
      if (++hops > MAX_SYMLINK_HOPS) throw new InvalidArgumentError(`too many levels of symbolic links: ${path}`);
      const target = await readlink(candidate);
      if (target.startsWith('/')) resolved.length = 0;
      parts = [...target.split('/').filter((p) => p !== '' && p !== '.'), ...parts];
      continue;
    }
    resolved.push(part);
  }
  return join(root, ...resolved);
}

export interface Owner {
  uid: number;
  gid: number;
}

/** Creates the directories of `dir` (a path inside `root`) that do not exist, owned by `owner`, mode 0755. */
export async function mkdirInRoot(root: string, dir: string, owner: Owner): Promise<string> {
  const parts = dir.split('/').filter((p) => p !== '' && p !== '.');
  let current = '/';
  for (const part of parts) {
    const next = posix.join(current, part);
    const host = await resolveInRoot(root, next, true);
    const st = await lstat(host).catch(() => undefined);
    if (!st) {
      await mkdir(host, { mode: 0o755 });
      await lchown(host, owner.uid, owner.gid);
    } else if (!st.isDirectory()) {
      throw new InvalidArgumentError(`failed to copy files: mkdir ${next}: not a directory`);
    }
    current = posix.relative(root, host) === '' ? '/' : `/${posix.relative(root, host)}`;
  }
  return resolveInRoot(root, dir, true);
}

export interface CopyOptions {
  /** Owner of everything copied (COPY --chown, or 0:0); undefined keeps the source's (ADD of an archive). */
  owner: Owner | undefined;
  /** COPY --chmod: mode of every file and directory copied. */
  mode: number | undefined;
  /** Skips source paths (relative to the copy's source root) that `.dockerignore` excludes. */
  ignored?: (rel: string) => boolean;
  /** Relative path of `src` inside its root, for `ignored`. */
  rel: string;
  /** `src` is a directory whose content goes into `dst`, which the caller made: leave `dst` itself alone. */
  keepTop?: boolean;
}

/**
 * Copies a file, symlink or directory tree `src` (a host path) to `dst` (a host path already resolved inside
 * the target root). Modes and mtimes are kept (mode overridden by --chmod), ownership is set to the owner.
 * A directory's content is merged into an existing directory at `dst`.
 */
export async function copyTree(src: string, dst: string, opts: CopyOptions): Promise<void> {
  const pool = new Pool(COPY_CONCURRENCY);
  const dirTimes: Array<[string, Date, Date]> = [];
  const copyOne = async (from: string, to: string, rel: string): Promise<void> => {
    const st = await lstat(from);
    const uid = opts.owner?.uid ?? st.uid;
    const gid = opts.owner?.gid ?? st.gid;
    if (st.isDirectory()) {
      const top = from === src && opts.keepTop === true;
      if (!top) {
        const existing = await lstat(to).catch(() => undefined);
        if (existing && !existing.isDirectory()) await rm(to, { recursive: true, force: true });
        if (!existing || !existing.isDirectory()) await mkdir(to, { mode: 0o755 });
        await lchown(to, uid, gid);
        await chmod(to, opts.mode ?? st.mode & 0o7777);
      }
      for (const name of await readdir(from)) {
        const childRel = rel === '' ? name : `${rel}/${name}`;
        if (opts.ignored?.(childRel)) continue;
        await copyOne(join(from, name), join(to, name), childRel);
      }
      if (!top) dirTimes.push([to, st.atime, st.mtime]);
      return;
    }
    const existing = await lstat(to).catch(() => undefined);
    if (existing?.isDirectory()) throw new InvalidArgumentError(`failed to copy files: cannot overwrite directory ${to.split('/').pop()} with a file`);
    if (existing) await unlink(to);
    if (st.isSymbolicLink()) {
      await symlink(await readlink(from), to);
      await lchown(to, uid, gid);
      await lutimes(to, st.atime, st.mtime);
      return;
    }
    if (!st.isFile()) return; // devices, fifos and sockets of a context are not copied
    await pool.run(async () => {
      await copyFile(from, to, constants.COPYFILE_FICLONE);
      await lchown(to, uid, gid);
      await chmod(to, opts.mode ?? st.mode & 0o7777);
      await utimes(to, st.atime, st.mtime);
    });
  };
  await copyOne(src, dst, opts.rel);
  await pool.drain();
  // Children change a directory's mtime: set them last, deepest first.
  for (const [dir, atime, mtime] of dirTimes) await utimes(dir, atime, mtime);
}

/** At most `limit` tasks at once; `run` waits for room, `drain` for all, and rethrows the first failure. */
class Pool {
  readonly #limit: number;
  readonly #running = new Set<Promise<void>>();
  #failure: { error: unknown } | undefined;

  constructor(limit: number) {
    this.#limit = limit;
  }

  async run(task: () => Promise<void>): Promise<void> {
    if (this.#failure) throw this.#failure.error;
    while (this.#running.size >= this.#limit) await Promise.race(this.#running);
    const p: Promise<void> = task()
      .catch((error: unknown) => {
        this.#failure ??= { error };
      })
      .finally(() => this.#running.delete(p));
    this.#running.add(p);
  }

  async drain(): Promise<void> {
    await Promise.all(this.#running);
    if (this.#failure) throw this.#failure.error;
  }
}

/**
 * Copies a context path (file, symlink or directory tree, ignored paths skipped) to `dst`, a host path already
 * resolved inside the target root, with the same rules as {@link copyTree}. Small files are written from
 * memory, large ones copied from their scratch file.
 */
export async function copyFromContext(
  ctx: BuildContext,
  rel: string,
  dst: string,
  opts: Omit<CopyOptions, 'rel' | 'ignored'> & {
    /** `dst` is in a fresh upper directory: regular files go through this (linked when an earlier layer has them). */
    placement?: FilePlacement;
  },
): Promise<void> {
  const placement = opts.placement;
  const pool = new Pool(COPY_CONCURRENCY);
  const dirTimes: Array<[string, Date]> = [];
  const copyOne = async (path: string, to: string, top: boolean): Promise<void> => {
    const node = ctx.node(path);
    if (!node) return;
    const uid = opts.owner?.uid ?? node.uid;
    const gid = opts.owner?.gid ?? node.gid;
    if (node.type === 'dir') {
      const keep = top && opts.keepTop === true;
      if (!keep) {
        const existing = await lstat(to).catch(() => undefined);
        if (existing && !existing.isDirectory()) {
          await rm(to, { recursive: true, force: true });
          placement?.replaced(to);
        }
        if (!existing || !existing.isDirectory()) await mkdir(to, { mode: 0o755 });
        await lchown(to, uid, gid);
        await chmod(to, opts.mode ?? node.mode);
      }
      for (const name of ctx.children(path)) {
        const child = path === '' ? name : `${path}/${name}`;
        if (ctx.ignored(child)) continue;
        await copyOne(child, join(to, name), false);
      }
      if (!keep) dirTimes.push([to, node.mtime]);
      return;
    }
    if (node.type === 'other') return;
    /** Makes room at `to` for a file or link: usually there is nothing there, so look only on EEXIST. */
    const clear = async (): Promise<void> => {
      const existing = await lstat(to).catch(() => undefined);
      if (existing?.isDirectory()) throw new InvalidArgumentError(`failed to copy files: cannot overwrite directory ${to.split('/').pop()} with a file`);
      if (existing) await unlink(to);
    };
    if (node.type === 'symlink') {
      await clear();
      placement?.replaced(to);
      await symlink(node.linkname ?? '', to);
      await lchown(to, uid, gid);
      await lutimes(to, node.mtime, node.mtime);
      return;
    }
    await pool.run(async () => {
      const mode = opts.mode ?? node.mode;
      const signature = placement && node.digest !== undefined ? fileSignature(node.digest, node.size, mode, uid, gid, node.mtime) : undefined;
      if (signature !== undefined && (await placement?.link(to, signature))) {
        placement?.placed(to, signature, node.blob !== undefined ? undefined : (node.data ?? EMPTY));
        return;
      }
      if (node.blob) {
        await clear();
        await copyFile(node.blob, to, constants.COPYFILE_EXCL);
        await lchown(to, uid, gid);
        await chmod(to, mode);
        await utimes(to, node.mtime, node.mtime);
        if (signature !== undefined) placement?.placed(to, signature, undefined);
        return;
      }
      // One path lookup per file (through the overlay), the rest on the descriptor.
      const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
      const fh = await open(to, flags, 0o600).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
        await clear();
        return open(to, flags, 0o600);
      });
      try {
        if (node.data && node.data.length > 0) await fh.write(node.data, 0, node.data.length, 0);
        await fh.chown(uid, gid);
        await fh.chmod(mode);
        await fh.utimes(node.mtime, node.mtime);
      } finally {
        await fh.close();
      }
      if (signature !== undefined) placement?.placed(to, signature, node.data ?? EMPTY);
    });
  };
  await copyOne(rel, dst, true);
  await pool.drain();
  for (const [dir, mtime] of dirTimes) await utimes(dir, mtime, mtime);
}

/** Writes a context path (and what is under it, ignored paths skipped) as real files under `target`. */
export async function materializeContext(ctx: BuildContext, rel: string, target: string): Promise<void> {
  await copyFromContext(ctx, rel, target, { owner: undefined, mode: undefined });
}
