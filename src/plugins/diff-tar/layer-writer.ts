import { chmod, lchown, link, lstat, lutimes, mkdir, open, readdir, rm, symlink, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { FailedPreconditionError } from '../../core/errdefs.js';
import { DEFAULT_EXEC_PATH, execOrThrow, type ExecOptions } from '../../pkg/exec.js';
import { CREATE_FILE, fdChmod, fdChown, fdClose, fdOpen, fdUtimes, fdWrite } from '../../pkg/fd-calls.js';
import { FileSink } from '../../pkg/fsutil.js';
import { ancestorsOf, cleanEntryPath, invalidEntry, parentOf } from './entry-path.js';
import type { EntryHeader } from './entry-header.js';
import { setXattrs } from './xattr-batch.js';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
/** AUFS bookkeeping (`.wh..wh.plnk`, `.wh..wh.aufs`): meaningless outside AUFS, skipped as Docker does. */
const WHITEOUT_META_PREFIX = '.wh..wh.';

/**
 * Files up to this size are read into memory and written in the background while later entries are
 * parsed. Each file costs five or six syscalls, and one at a time through libuv's pool they bound the
 * whole unpack (measured ≈ 0.45 ms per small file here, ≈ 0.12 ms with several in flight).
 */
const SMALL_FILE_MAX = 1024 * 1024;
const MAX_TASKS = 64;
const MAX_TASK_BYTES = 16 * 1024 * 1024;

/** What this layer holds at a path, as far as the entries so far made it. */
type Kind = 'dir' | 'symlink' | 'other';

interface Times {
  atime: number;
  mtime: number;
}

/**
 * Writes the entries of one layer tar into an empty layer directory, in archive order.
 *
 * The archive is hostile. Entry paths are cleaned lexically (no absolute paths, no `..` above the root).
 * Everything in the directory is made by this writer, which records the kind of each path it creates
 * (`#kinds`): a symlink among an entry's parents can only have been planted by the archive, and is
 * refused. Each parent directory is also confirmed with lstat the first time it is used. Final components
 * are never followed: whatever an earlier entry put at a path is removed first, files are created with
 * O_EXCL|O_NOFOLLOW, symlink/link/mkdir/mknod fail on an existing name, and metadata calls are the l*
 * variants. A symlink entry itself is created exactly as written (`bin/sh -> /bin/busybox` is normal); it
 * is just never written through.
 *
 * Small files and symlinks are finished by background tasks keyed by path; an entry that depends on a path
 * (replaces it, goes through it, links to it) waits for that path's task first. Directory mtimes are set
 * at the end (adding children changes them), and xattrs after every chown (a chown clears
 * `security.capability`), both in `finish`.
 */
export class LayerWriter {
  readonly #root: string;
  readonly #signal: AbortSignal | undefined;
  /** Every path created so far and its kind ('' is the root, always a directory). */
  readonly #kinds = new Map<string, Kind>([['', 'dir']]);
  /** Directories confirmed on disk with lstat. */
  readonly #confirmed = new Set<string>(['']);
  readonly #tasks = new Map<string, Promise<void>>();
  #taskBytes = 0;
  /** Callers of #startTask waiting for room: woken one per finished task. */
  readonly #roomWaiters: Array<() => void> = [];
  #taskFailure: { error: unknown } | undefined;
  /** xattrs to set in `finish`, by relative path. */
  readonly #xattrs = new Map<string, Map<string, Buffer>>();
  readonly #dirTimes = new Map<string, Times>();
  /** A whiteout already made in this layer: later ones are hard links to it (see #whiteout). */
  #whiteoutTemplate: string | undefined;
  #size = 0;

  private constructor(root: string, signal: AbortSignal | undefined) {
    this.#root = root;
    this.#signal = signal;
  }

  /** A writer for `root`, which must be an empty directory: the writer's record of paths starts from nothing. */
  static async open(root: string, signal?: AbortSignal): Promise<LayerWriter> {
    const present = await readdir(root);
    if (present.length > 0) throw new FailedPreconditionError(`layer directory ${JSON.stringify(root)} is not empty`);
    return new LayerWriter(root, signal);
  }

  /** Bytes of regular-file content taken from the archive so far. */
  get size(): number {
    return this.#size;
  }

  /** Applies one entry; `body` is its data stream, always consumed before this returns. */
  async apply(h: EntryHeader, body: AsyncIterable<unknown>): Promise<void> {
    this.#throwIfTaskFailed();
    const rel = cleanEntryPath(h.name, h.name);
    const parts = rel === '' ? [] : rel.split('/');
    const base = parts.at(-1) ?? '';
    // AUFS bookkeeping and anything inside it is skipped; the opaque marker is the one `.wh..wh.` name with a meaning.
    const inMeta = parts.slice(0, -1).some((p) => p.startsWith(WHITEOUT_META_PREFIX));
    const kind =
      inMeta || (base.startsWith(WHITEOUT_META_PREFIX) && base !== OPAQUE_MARKER)
        ? 'skip'
        : base === OPAQUE_MARKER
          ? 'opaque'
          : base.startsWith(WHITEOUT_PREFIX)
            ? 'whiteout'
            : 'entry';
    if (kind !== 'entry' || h.type !== 'file') await drain(body);
    if (kind === 'skip') return;

    if (kind === 'opaque') {
      // Only the directory matters; it may not have had an entry of its own yet.
      const dir = parentOf(rel);
      for (const d of [...ancestorsOf(dir), dir]) if (d !== '') await this.#checkDir(d, h.name, 'parent');
      this.#queueXattrs(dir, new Map([['trusted.overlay.opaque', Buffer.from('y')]]));
      return;
    }
    if (kind === 'whiteout') {
      const hidden = base.slice(WHITEOUT_PREFIX.length);
      if (hidden === '' || hidden === '.' || hidden === '..') throw invalidEntry(h.name, 'whiteout names nothing');
      const target = rel.slice(0, rel.length - base.length) + hidden;
      await this.#prepare(target, h.name, false);
      await this.#whiteout(target, h);
      return;
    }
    if (rel === '' && h.type !== 'directory') throw invalidEntry(h.name, 'the layer root can only be a directory');

    switch (h.type) {
      case 'directory':
        await this.#directory(rel, h);
        break;
      case 'file':
        await this.#prepare(rel, h.name, false);
        await this.#file(rel, h, body);
        break;
      case 'symlink':
        if (h.linkname === '') throw invalidEntry(h.name, 'symlink has no target');
        await this.#prepare(rel, h.name, false);
        await this.#symlink(rel, h);
        break;
      case 'hardlink':
        await this.#hardlink(rel, h);
        break;
      case 'char':
      case 'block':
      case 'fifo':
        await this.#prepare(rel, h.name, false);
        await this.#node(rel, h);
        break;
    }
    if (h.xattrs.size > 0) this.#queueXattrs(rel, h.xattrs);
  }

  /** Waits for the background tasks, then sets what had to wait for the whole archive: xattrs, directory times. */
  async finish(): Promise<void> {
    await this.#settle();
    const byPath = new Map<string, Map<string, Buffer>>();
    for (const [rel, attrs] of this.#xattrs) byPath.set(this.#abs(rel), attrs);
    await setXattrs(byPath, this.#toolOpts());
    for (const [rel, t] of this.#dirTimes) await lutimes(this.#abs(rel), t.atime, t.mtime);
  }

  /** After a failure: waits until no background task can still write, ignoring their outcome. */
  async abandon(): Promise<void> {
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks.values()]);
  }

  #abs(rel: string): string {
    return rel === '' ? this.#root : join(this.#root, rel);
  }

  async #directory(rel: string, h: EntryHeader): Promise<void> {
    const kept = await this.#prepare(rel, h.name, true);
    if (!kept) {
      await mkdir(this.#abs(rel), { mode: 0o700 });
      this.#kinds.set(rel, 'dir');
      this.#confirmed.add(rel);
    }
    await lchown(this.#abs(rel), h.uid, h.gid);
    // chmod after chown: chown clears setgid (and setuid). The path is a directory this writer made.
    await chmod(this.#abs(rel), h.mode);
    this.#dirTimes.set(rel, { atime: h.atime, mtime: h.mtime });
  }

  async #file(rel: string, h: EntryHeader, body: AsyncIterable<unknown>): Promise<void> {
    this.#kinds.set(rel, 'other');
    if (h.size > SMALL_FILE_MAX) {
      const fh = await open(this.#abs(rel), CREATE_FILE, 0o600);
      try {
        const sink = new FileSink(fh);
        for await (const chunk of body) {
          if (!(chunk instanceof Uint8Array)) throw new TypeError('tar entry data must be bytes');
          await sink.write(chunk);
          this.#size += chunk.length;
        }
        await sink.end();
        await finishFile(fh, h);
      } finally {
        await fh.close();
      }
      return;
    }
    // Small: hold the bytes (slices of the input chunks) and let a task write them.
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    for await (const chunk of body) {
      if (!(chunk instanceof Uint8Array)) throw new TypeError('tar entry data must be bytes');
      chunks.push(chunk);
      bytes += chunk.length;
    }
    this.#size += bytes;
    const abs = this.#abs(rel);
    await this.#startTask(rel, bytes, async () => {
      const fd = await fdOpen(abs, CREATE_FILE, 0o600);
      try {
        if (chunks.length === 1) await fdWriteAll(fd, chunks[0]!);
        else if (chunks.length > 1) await fdWriteAll(fd, Buffer.concat(chunks));
        // Same order as finishFile: ownership, then mode, then times.
        await fdChown(fd, h.uid, h.gid);
        await fdChmod(fd, h.mode);
        await fdUtimes(fd, h.atime, h.mtime);
      } finally {
        await fdClose(fd);
      }
    });
  }

  async #symlink(rel: string, h: EntryHeader): Promise<void> {
    this.#kinds.set(rel, 'symlink');
    const abs = this.#abs(rel);
    await this.#startTask(rel, 0, async () => {
      await symlink(h.linkname, abs);
      await lchown(abs, h.uid, h.gid);
      await lutimes(abs, h.atime, h.mtime);
    });
  }

  async #hardlink(rel: string, h: EntryHeader): Promise<void> {
    const target = cleanEntryPath(h.linkname, h.name, 'hardlink target');
    const what = `hardlink target ${JSON.stringify(h.linkname)}`;
    if (target === '' || target === rel || target.startsWith(`${rel}/`)) throw invalidEntry(h.name, `${what} is not a file`);
    // The target must be an earlier entry of this layer, reached without any symlink on the way.
    for (const dir of ancestorsOf(target)) await this.#checkDir(dir, h.name, what);
    await this.#waitFor(target);
    const kind = this.#kinds.get(target);
    if (kind === undefined) throw invalidEntry(h.name, `${what} does not exist in this layer`);
    if (kind === 'dir') throw invalidEntry(h.name, `${what} is a directory`);
    await this.#prepare(rel, h.name, false);
    // link(2) does not follow a symlink target: linking to a symlink makes another symlink, recorded as one.
    await link(this.#abs(target), this.#abs(rel));
    this.#kinds.set(rel, kind);
  }

  /**
   * Overlay whiteouts are 0:0 character devices. Node has no mknod, and a process per whiteout costs
   * milliseconds, so only the first whiteout of a layer is made with mknod(1) and the others are hard
   * links to it. The kernel does the same in upper dirs (since 5.8 overlayfs links whiteouts to one
   * shared inode), so readers of snapshots meet shared whiteouts anyway.
   */
  async #whiteout(rel: string, h: EntryHeader): Promise<void> {
    const abs = this.#abs(rel);
    this.#kinds.set(rel, 'other');
    if (this.#whiteoutTemplate !== undefined) {
      try {
        await link(this.#abs(this.#whiteoutTemplate), abs);
        return;
      } catch (err) {
        // EMLINK: the template has as many links as the filesystem allows; start a new one.
        if (!isErrno(err, 'EMLINK')) throw err;
      }
    }
    await execOrThrow('mknod', ['-m', '0', '--', abs, 'c', '0', '0'], this.#toolOpts());
    await lchown(abs, h.uid, h.gid);
    this.#whiteoutTemplate = rel;
  }

  async #node(rel: string, h: EntryHeader): Promise<void> {
    const abs = this.#abs(rel);
    this.#kinds.set(rel, 'other');
    const args =
      h.type === 'fifo' ? ['--', abs, 'p'] : ['--', abs, h.type === 'char' ? 'c' : 'b', String(h.devmajor), String(h.devminor)];
    await execOrThrow('mknod', args, this.#toolOpts());
    await lchown(abs, h.uid, h.gid);
    await chmod(abs, h.mode);
    await lutimes(abs, h.atime, h.mtime);
  }

  /**
   * Makes `rel` ready to be created: its parents exist as real directories (created 0755 if missing, as
   * Docker does) and whatever an earlier entry put at `rel` is gone. Returns true when `rel` is a directory
   * that stays because the new entry is a directory too (it only updates the metadata).
   */
  async #prepare(rel: string, entryName: string, entryIsDir: boolean): Promise<boolean> {
    for (const dir of ancestorsOf(rel)) await this.#checkDir(dir, entryName, 'parent');
    if (rel === '') return true;
    await this.#waitFor(rel);
    const kind = this.#kinds.get(rel);
    if (kind === undefined) return false;
    if (kind === 'dir') {
      if (entryIsDir) return true;
      // Tasks may still be writing below it.
      await this.#settle();
      await rm(this.#abs(rel), { recursive: true, force: true });
    } else {
      // Never write into the old inode: it may be shared with a hard link made by an earlier entry.
      await unlink(this.#abs(rel));
    }
    this.#forget(rel);
    return false;
  }

  /**
   * Makes sure `rel` is a real directory, creating it 0755 when missing. `role` says how the entry reaches
   * it, for the error: `parent`, or `hardlink target "<linkname>"` (which never creates anything).
   */
  async #checkDir(rel: string, entryName: string, role: string): Promise<void> {
    if (this.#confirmed.has(rel)) return;
    await this.#waitFor(rel);
    const dir = JSON.stringify(rel);
    const kind = this.#kinds.get(rel);
    if (kind === undefined) {
      if (role !== 'parent') throw invalidEntry(entryName, `${role} does not exist in this layer`);
      await mkdir(this.#abs(rel), { mode: 0o755 });
      await chmod(this.#abs(rel), 0o755); // whatever the daemon's umask
      this.#kinds.set(rel, 'dir');
    } else if (kind === 'symlink') {
      throw invalidEntry(entryName, role === 'parent' ? `parent ${dir} is a symlink` : `${role} runs through symlink ${dir}`);
    } else if (kind === 'other') {
      throw invalidEntry(entryName, role === 'parent' ? `parent ${dir} is not a directory` : `${role} runs through ${dir}, which is not a directory`);
    } else {
      // Recorded as a directory: confirm it on disk once before anything is written through it.
      const st = await lstat(this.#abs(rel));
      if (!st.isDirectory()) throw new FailedPreconditionError(`layer path ${dir} changed under the writer`);
    }
    this.#confirmed.add(rel);
  }

  /** Forgets everything known about `rel` and below it: the path was just removed. */
  #forget(rel: string): void {
    const under = `${rel}/`;
    const gone = (p: string): boolean => p === rel || p.startsWith(under);
    for (const p of this.#kinds.keys()) if (gone(p)) this.#kinds.delete(p);
    for (const p of this.#confirmed) if (gone(p)) this.#confirmed.delete(p);
    for (const p of this.#xattrs.keys()) if (gone(p)) this.#xattrs.delete(p);
    for (const p of this.#dirTimes.keys()) if (gone(p)) this.#dirTimes.delete(p);
    if (this.#whiteoutTemplate !== undefined && gone(this.#whiteoutTemplate)) this.#whiteoutTemplate = undefined;
  }

  #queueXattrs(rel: string, attrs: ReadonlyMap<string, Buffer>): void {
    let queued = this.#xattrs.get(rel);
    if (queued === undefined) this.#xattrs.set(rel, (queued = new Map()));
    for (const [k, v] of attrs) queued.set(k, v);
  }

  /** Runs `work` in the background for `rel`, once there is room; its failure fails the next call. */
  async #startTask(rel: string, bytes: number, work: () => Promise<void>): Promise<void> {
    // Not Promise.race over the tasks: each race leaves a reaction on every pending task, thousands per
    // layer, and running them starved the event loop (measured: 6x slower).
    while (this.#tasks.size >= MAX_TASKS || (this.#tasks.size > 0 && this.#taskBytes + bytes > MAX_TASK_BYTES)) {
      await new Promise<void>((wake) => this.#roomWaiters.push(wake));
    }
    this.#throwIfTaskFailed();
    this.#taskBytes += bytes;
    const task = work()
      .catch((error: unknown) => {
        this.#taskFailure ??= { error };
      })
      .finally(() => {
        this.#taskBytes -= bytes;
        if (this.#tasks.get(rel) === task) this.#tasks.delete(rel);
        this.#roomWaiters.shift()?.();
      });
    this.#tasks.set(rel, task);
  }

  async #waitFor(rel: string): Promise<void> {
    const task = this.#tasks.get(rel);
    if (task !== undefined) await task;
    this.#throwIfTaskFailed();
  }

  async #settle(): Promise<void> {
    while (this.#tasks.size > 0) await Promise.all([...this.#tasks.values()]);
    this.#throwIfTaskFailed();
  }

  #throwIfTaskFailed(): void {
    if (this.#taskFailure !== undefined) throw this.#taskFailure.error;
  }

  /** How mknod and setfattr run: found on the daemon's PATH, in the C locale so their messages can be read. */
  #toolOpts(): ExecOptions {
    return {
      env: { PATH: process.env['PATH'] ?? DEFAULT_EXEC_PATH, LC_ALL: 'C' },
      stdout: 'ignore',
      ...(this.#signal ? { signal: this.#signal } : {}),
    };
  }
}

/** Ownership, then mode (chown clears setuid/setgid), then times, all through the open descriptor. */
async function finishFile(fh: FileHandle, h: EntryHeader): Promise<void> {
  await fh.chown(h.uid, h.gid);
  await fh.chmod(h.mode);
  await fh.utimes(h.atime, h.mtime);
}

async function drain(body: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of body) {
    // discard: the bytes were already hashed on the way in
  }
}

async function fdWriteAll(fd: number, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await fdWrite(fd, data, off, data.length - off, null).then((r) => r.bytesWritten);
}

function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && 'code' in err && err.code === code;
}
