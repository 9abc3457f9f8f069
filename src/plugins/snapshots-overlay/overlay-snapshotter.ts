import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '../../core/errdefs.js';
import type { Mount } from '../../core/mount.js';
import type { Snapshotter } from '../../core/snapshots.js';
import { execOrThrow } from '../../pkg/exec.js';
import { fsyncDir } from '../../pkg/fsutil.js';

/**
 * The kernel copies mount(2) data from user space one page at a time and overlayfs parses only that page,
 * NUL included: a longer option string would be cut, not refused.
 */
const MOUNT_DATA_MAX = 4096;

/** Ids become directory names and parts of overlay options, where `:` and `,` are separators. */
const SNAPSHOT_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Prefix of directories being built or being removed; never a valid id, always garbage at start-up. */
const TEMP_PREFIX = 'new-';

/**
 * A Snapshotter over overlayfs (containerd `plugins/snapshots/overlay`).
 *
 * Layout under `root` (private, 0700: layers may hold setuid binaries that no local user may reach):
 *   <id>/fs      the snapshot's own content: a layer's unpacked diff, or a container's upper dir
 *   <id>/work    overlay's work dir, for active snapshots only
 *   new-*        a snapshot being built or removed: renamed into (or out of) place in one step
 *
 * A layer is built in a `new-*` directory and renamed to its id only when complete and synced, so an id
 * directory is always whole; a crash leaves `new-*` orphans that `removeUnknown` deletes.
 */
export class OverlaySnapshotter implements Snapshotter {
  readonly #root: string;

  constructor(root: string) {
    const abs = resolve(root);
    // The root appears in overlay's comma-separated options and colon-separated lowerdir list.
    if (/[,:]/.test(abs)) throw new InvalidArgumentError(`snapshot root ${JSON.stringify(abs)} must not contain "," or ":"`);
    this.#root = abs;
  }

  /** Creates the root if needed and returns a ready snapshotter. */
  static async open(root: string): Promise<OverlaySnapshotter> {
    const snapshotter = new OverlaySnapshotter(root);
    await snapshotter.init();
    return snapshotter;
  }

  async init(): Promise<void> {
    await mkdir(this.#root, { recursive: true, mode: 0o700 });
    await chmod(this.#root, 0o700);
  }

  async createLayer(id: string, fill: (dir: string) => Promise<void>, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const target = this.#dir(id);
    opts.signal?.throwIfAborted();
    await this.#refuseExisting(id, target);
    const temp = this.#tempDir(id);
    try {
      await mkdir(join(temp, 'fs'), { recursive: true, mode: 0o755 });
      await fill(join(temp, 'fs'));
      opts.signal?.throwIfAborted();
      // The metadata will record this layer as present once we return, so its bytes must survive a power
      // loss; one syncfs costs less than an fsync per file.
      await syncFilesystem(temp, opts.signal);
      await this.#publish(id, temp, target);
    } catch (err) {
      await rm(temp, { recursive: true, force: true });
      throw err;
    }
  }

  async prepareActive(id: string): Promise<void> {
    const target = this.#dir(id);
    await this.#refuseExisting(id, target);
    const temp = this.#tempDir(id);
    try {
      await mkdir(join(temp, 'fs'), { recursive: true, mode: 0o755 });
      await mkdir(join(temp, 'work'), { mode: 0o700 });
      await this.#publish(id, temp, target);
    } catch (err) {
      await rm(temp, { recursive: true, force: true });
      throw err;
    }
  }

  mounts(id: string, lowerIds: readonly string[]): Mount[] {
    const upper = this.contentDir(id);
    if (lowerIds.length === 0) return [{ type: 'bind', source: upper, options: ['rbind', 'rw'] }];
    const options = [
      // Pin the inodes index off whatever the kernel's default: with it on, overlay records which upper
      // belongs to a lower and refuses (EBUSY/ESTALE) layers shared between containers (moby#37993).
      'index=off',
      `lowerdir=${lowerIds.map((l) => this.contentDir(l)).join(':')}`,
      `upperdir=${upper}`,
      `workdir=${join(this.#dir(id), 'work')}`,
    ];
    checkMountData(options, `snapshot "${id}"`, lowerIds.length);
    return [{ type: 'overlay', source: 'overlay', options }];
  }

  viewMounts(lowerIds: readonly string[]): Mount[] {
    const [only] = lowerIds;
    // An image without layers has an empty filesystem: an empty read-only tmpfs is exactly that.
    if (only === undefined) return [{ type: 'tmpfs', source: 'tmpfs', options: ['ro'] }];
    if (lowerIds.length === 1) return [{ type: 'bind', source: this.contentDir(only), options: ['rbind', 'ro'] }];
    // overlayfs with lower dirs only (two at least) is read-only by construction; `ro` says so to the mounter.
    const options = ['ro', 'index=off', `lowerdir=${lowerIds.map((l) => this.contentDir(l)).join(':')}`];
    checkMountData(options, 'read-only view', lowerIds.length);
    return [{ type: 'overlay', source: 'overlay', options }];
  }

  contentDir(id: string): string {
    return join(this.#dir(id), 'fs');
  }

  async remove(id: string): Promise<void> {
    const target = this.#dir(id);
    // Rename first: a crash midway through deleting leaves a `new-*` orphan, never a half snapshot under its id.
    const doomed = this.#tempDir(id);
    try {
      await rename(target, doomed);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
    await rm(doomed, { recursive: true, force: true });
  }

  async usage(id: string): Promise<{ size: number; inodes: number }> {
    const top = this.contentDir(id);
    try {
      await lstat(top);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new NotFoundError(`snapshot ${id} not found`, { cause: err });
      throw err;
    }
    // Docker's "size" of a layer: file bytes, a hardlinked inode counted once.
    const seen = new Set<string>();
    let size = 0;
    const pending = [top];
    for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
      const st = await lstat(dir, { bigint: true });
      seen.add(`${st.dev}:${st.ino}`);
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          pending.push(path);
          continue;
        }
        const child = await lstat(path, { bigint: true });
        const key = `${child.dev}:${child.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
        size += Number(child.size);
      }
    }
    return { size, inodes: seen.size };
  }

  async removeUnknown(known: ReadonlySet<string>): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.#root)) {
      if (!name.startsWith(TEMP_PREFIX) && known.has(name)) continue;
      await rm(join(this.#root, name), { recursive: true, force: true });
      removed++;
    }
    return removed;
  }

  #dir(id: string): string {
    if (!SNAPSHOT_ID_RE.test(id) || id.startsWith(TEMP_PREFIX)) {
      throw new InvalidArgumentError(`invalid snapshot id ${JSON.stringify(id)}`);
    }
    return join(this.#root, id);
  }

  #tempDir(id: string): string {
    return join(this.#root, `${TEMP_PREFIX}${id}-${randomBytes(6).toString('hex')}`);
  }

  async #refuseExisting(id: string, target: string): Promise<void> {
    try {
      await lstat(target);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
    throw new AlreadyExistsError(`snapshot ${id} already exists`);
  }

  async #publish(id: string, temp: string, target: string): Promise<void> {
    // rename(2) would silently replace an *empty* directory, so look first; ids come from the metadata
    // store and are not raced for, the check is against bugs and leftovers.
    await this.#refuseExisting(id, target);
    try {
      await rename(temp, target);
    } catch (err) {
      if (isErrno(err, 'ENOTEMPTY') || isErrno(err, 'EEXIST')) {
        throw new AlreadyExistsError(`snapshot ${id} already exists`, { cause: err });
      }
      throw err;
    }
    await fsyncDir(this.#root);
  }
}

/**
 * Refuses options the kernel could not read in one page. Today that is roughly 90 layers with a root like
 * /var/lib/berth/snapshots; a mounter that mounts from inside the root with relative lower paths (as
 * containerd does) or the kernel's `lowerdir+` fsconfig keys (6.8+) would lift it.
 */
function checkMountData(options: readonly string[], what: string, layers: number): void {
  const bytes = Buffer.byteLength(options.join(',')) + 1;
  if (bytes > MOUNT_DATA_MAX) {
    throw new InvalidArgumentError(
      `overlay options for ${what} take ${bytes} bytes with ${layers} lower layers, over the kernel's limit of ${MOUNT_DATA_MAX}: ` +
        'too many layers for this snapshot root (shorter lower paths are not implemented yet)',
    );
  }
}

/** syncfs(2) on the filesystem holding `path`, through coreutils `sync -f` (Node has no syncfs). */
async function syncFilesystem(path: string, signal: AbortSignal | undefined): Promise<void> {
  await execOrThrow('sync', ['-f', path], { stdout: 'ignore', ...(signal ? { signal } : {}) });
}

function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && 'code' in err && err.code === code;
}
