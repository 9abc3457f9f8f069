import type { Readable } from 'node:stream';
import type { Digest } from '../pkg/digest.js';

/**
 * Differ: moves between layer tarballs and directories, keeping archive code out of storage.
 *
 * `applyLayer` unpacks an (uncompressed) layer tar into an empty layer-snapshot directory. Docker whiteouts
 * (`.wh.<name>` files and `.wh..wh..opq` opaque markers) become overlayfs whiteouts (0/0 character devices,
 * `trusted.overlay.opaque=y`). Hardlinks, symlinks, device nodes, fifos, modes, ownership, mtimes and pax
 * xattrs are kept. The tar is hostile: an entry that would land outside the directory (`..`, an absolute path,
 * a path through a symlink, a hardlink to a target outside) is refused with an InvalidArgumentError that names
 * the entry, and nothing is ever written outside `dir`. The digest of the bytes read is the layer's diff ID.
 */
export interface ApplyResult {
  diffId: Digest;
  /** Bytes of the tar stream. */
  tarSize: number;
  /** Bytes of file content unpacked (Docker's layer "Size"). */
  size: number;
}

/** A layer tar being written, and the bytes of file content in it (known once the stream has ended). */
export interface LayerTar {
  tar: Readable;
  contentSize: Promise<number>;
}

export interface Differ {
  applyLayer(tar: Readable, dir: string, opts?: { signal?: AbortSignal }): Promise<ApplyResult>;
  /**
   * `digest: false`: the caller hashes the very same bytes already (a blob stored from one stream teed in two),
   * so the diff ID is not computed twice.
   */
  applyLayer(tar: Readable, dir: string, opts: { signal?: AbortSignal; digest: false }): Promise<Omit<ApplyResult, 'diffId'>>;
  /**
   * The reverse: an uncompressed layer tar of a directory in overlay form — a container's upper dir (`commit`)
   * or a build step's snapshot — overlay whiteouts (0/0 character devices) as `.wh.<name>` files and opaque
   * directories with a `.wh..wh..opq` entry, the bytes of file content counted on the way (the layer's Size).
   * The directory may belong to a running container: nothing in it is ever followed.
   */
  diffDirectory(dir: string, opts?: DiffDirectoryOptions): LayerTar;
}

/** Writing a layer (see `Differ.diffDirectory`). */
export interface DiffDirectoryOptions {
  /** Paths (absolute inside the container) to leave out, e.g. mount points runc made. */
  skip?: (path: string) => boolean;
  /**
   * The bytes a regular file holds, by canonical path, when the caller knows them: it wrote them itself into
   * a directory nothing else writes (a build step's fresh upper dir). Used instead of reading the file back
   * whenever the size agrees with what is on disk.
   */
  knownContent?: (path: string) => Uint8Array | undefined;
  /**
   * The directory was written directly, never mounted as an overlay upper, so it holds no opaque markers and
   * the xattr scan for them (a process) is skipped.
   */
  neverMounted?: boolean;
  signal?: AbortSignal;
}
