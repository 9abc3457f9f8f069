import { link } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Digest } from '../../pkg/digest.js';

/** COPY instructions whose files are remembered; the oldest is forgotten first. */
const MAX_REMEMBERED = 16;
/** And at most this many files over all of them (a path and a signature each). */
const MAX_REMEMBERED_FILES = 200_000;
/** Why a hard link could not be made, none of which is a failure: the file is then written. */
const CANNOT_LINK = new Set(['ENOENT', 'EEXIST', 'EMLINK', 'EXDEV', 'EPERM']);

/**
 * What one COPY put into a layer: the layer, and the signature of each regular file it wrote there, by path
 * relative to the layer's directory.
 */
interface Placed {
  chainId: Digest;
  files: ReadonlyMap<string, string>;
}

/**
 * Lets a COPY that misses the cache hard-link the files it would write identically from the layer an earlier
 * run of the same COPY made, instead of creating them again: one changed file in a 2000-file directory
 * then costs one new file and 1999 links. A link allocates no inode, which on this kind of host is most of
 * the cost of a file (ext4 without a journal scans past recently freed inodes for every new one).
 *
 * Sharing an inode between layers is safe because layer directories are never written once committed:
 * overlayfs copies a lower file up before changing it. A file is linked only when its signature (content
 * digest, size, mode, owner, mtime) equals the one recorded when the earlier COPY wrote it, so the new layer
 * holds exactly what writing would have produced. Only the daemon's memory holds the record (a restart
 * forgets it), and the earlier layer may be gone by the time it is used: then the link fails and the file
 * is written. `--no-cache` builds link nothing.
 */
export class FileReuse {
  readonly #layerDir: (chainId: Digest) => string | undefined;
  readonly #placed = new Map<string, Placed>();

  /** `layerDir` finds a layer's directory, or undefined when the layer is gone. */
  constructor(layerDir: (chainId: Digest) => string | undefined) {
    this.#layerDir = layerDir;
  }

  /**
   * A placement for one run of the COPY known as `key`, writing into `upper` (a fresh upper directory). With
   * `linkEarlier` false (`--no-cache`) nothing is linked, but what it writes is remembered for later runs.
   */
  placement(key: string, upper: string, linkEarlier: boolean): FilePlacement {
    const earlier = linkEarlier ? this.#placed.get(key) : undefined;
    const dir = earlier ? this.#layerDir(earlier.chainId) : undefined;
    return new FilePlacement(upper, dir !== undefined && earlier ? { dir, files: earlier.files } : undefined, (chainId, files) => this.#remember(key, chainId, files));
  }

  #remember(key: string, chainId: Digest, files: ReadonlyMap<string, string>): void {
    this.#placed.delete(key);
    this.#placed.set(key, { chainId, files });
    let total = 0;
    for (const p of this.#placed.values()) total += p.files.size;
    for (const [k, p] of this.#placed) {
      if (this.#placed.size <= MAX_REMEMBERED && total <= MAX_REMEMBERED_FILES) break;
      this.#placed.delete(k);
      total -= p.files.size;
    }
  }
}

/**
 * The regular files one COPY places into its upper directory: linked from the earlier layer when identical,
 * otherwise written by the caller. It also keeps the bytes of what was placed, so that the layer tar is
 * made without reading the files back.
 */
export class FilePlacement {
  readonly #upper: string;
  readonly #earlier: { dir: string; files: ReadonlyMap<string, string> } | undefined;
  readonly #record: (chainId: Digest, files: ReadonlyMap<string, string>) => void;
  readonly #signatures = new Map<string, string>();
  readonly #content = new Map<string, Uint8Array>();
  #linked = 0;

  constructor(upper: string, earlier: { dir: string; files: ReadonlyMap<string, string> } | undefined, record: (chainId: Digest, files: ReadonlyMap<string, string>) => void) {
    this.#upper = resolve(upper);
    this.#earlier = earlier;
    this.#record = record;
  }

  /** Files linked rather than written so far. */
  get linked(): number {
    return this.#linked;
  }

  /**
   * Puts the file with signature `signature` at `to` (a host path in the upper directory, nothing there yet)
   * as a hard link to the earlier layer's identical file. False when there is none, or it cannot be linked:
   * the caller writes the file then.
   */
  async link(to: string, signature: string): Promise<boolean> {
    const rel = this.#relative(to);
    if (rel === undefined || this.#earlier === undefined || this.#earlier.files.get(rel) !== signature) return false;
    try {
      // The earlier COPY made every directory above `rel` (it recorded a file there), so no symlink is on the
      // way; link(2) does not follow a final symlink either.
      await link(join(this.#earlier.dir, rel), to);
    } catch (err) {
      if (CANNOT_LINK.has((err as NodeJS.ErrnoException).code ?? '')) return false;
      throw err;
    }
    this.#linked++;
    return true;
  }

  /** Records a regular file placed at `to` (linked or written), and its bytes when they are in memory. */
  placed(to: string, signature: string, data: Uint8Array | undefined): void {
    const rel = this.#relative(to);
    if (rel === undefined) return;
    this.#signatures.set(rel, signature);
    if (data !== undefined) this.#content.set(`/${rel}`, data);
    else this.#content.delete(`/${rel}`);
  }

  /**
   * Something other than a regular file (a directory, a symlink) now stands at `to`, where a file may have
   * been placed by an earlier source of the same COPY: nothing about that file may be remembered or reused.
   */
  replaced(to: string): void {
    const rel = this.#relative(to);
    if (rel === undefined) return;
    this.#signatures.delete(rel);
    this.#content.delete(`/${rel}`);
  }

  /** The bytes of a placed file, by canonical path (`/app/a.txt`): `DiffDirectoryOptions.knownContent`. */
  readonly knownContent = (path: string): Uint8Array | undefined => this.#content.get(path);

  /** The upper directory became layer `chainId`: a later run of the same COPY may link from it. */
  committed(chainId: Digest): void {
    this.#record(chainId, this.#signatures);
  }

  #relative(to: string): string | undefined {
    return to.startsWith(`${this.#upper}/`) ? to.slice(this.#upper.length + 1) : undefined;
  }
}

/** What decides whether two placed files are the same: content, size, mode, owner and mtime. */
export function fileSignature(digest: string, size: number, mode: number, uid: number, gid: number, mtime: Date): string {
  return `${digest}:${size}:${mode.toString(8)}:${uid}:${gid}:${mtime.getTime()}`;
}
