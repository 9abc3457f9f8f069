import type { Mount } from './mount.js';

/**
 * Snapshotter: directories of unpacked filesystem content, stacked into overlay mounts.
 *
 * Words: a *snapshot id* is an opaque, internal directory name chosen by the caller (the metadata store hands
 * out ids, so the database is the one truth about which snapshots exist; user keys never become paths).
 * A *layer snapshot* holds the unpacked content of one image layer, with whiteouts already in overlay form;
 * it is built once in a private `new-*` directory and renamed into place, then never changes. An *active
 * snapshot* is the writable upper layer of one container.
 *
 * Lifecycle:
 *   1. import a layer:  `createLayer(id, fill)` — fill writes the layer content into a fresh directory; the
 *      directory appears under its id only when fill succeeded (a crash leaves a `new-*` orphan).
 *   2. run a container: `prepareActive(id)`, then `mounts(id, lowerIds)` gives the overlay mount whose lower
 *      dirs are the image's layer snapshots (top first) and whose upper dir is the active snapshot.
 *   3. removal:         the metadata transaction forgets the id first, then `remove(id)` deletes the directory.
 *   4. start-up:        `removeUnknown(known)` deletes every directory (and `new-*` orphan) whose id the
 *      metadata does not know, so a kill -9 at any point leaves nothing that can never be removed.
 */
export interface Snapshotter {
  /** Builds a layer snapshot. `fill` receives the directory to write into. Returns the content size in bytes. */
  createLayer(id: string, fill: (dir: string) => Promise<void>, opts?: { signal?: AbortSignal }): Promise<void>;
  /** Creates an empty writable snapshot for a container. */
  prepareActive(id: string): Promise<void>;
  /**
   * The mount for a root filesystem: an overlay of `lowerIds` (top-most first) under the active snapshot `id`.
   * With no lower ids (an image from scratch with no layers) it is a bind mount of the active snapshot.
   */
  mounts(id: string, lowerIds: readonly string[]): Mount[];
  /** A read-only view over layer snapshots (top-most first), for reading an image's filesystem. */
  viewMounts(lowerIds: readonly string[]): Mount[];
  /** Path of the directory holding a snapshot's own content (its diff), e.g. to read a container's changes. */
  contentDir(id: string): string;
  remove(id: string): Promise<void>;
  /** Disk usage of one snapshot's own content. */
  usage(id: string): Promise<{ size: number; inodes: number }>;
  removeUnknown(known: ReadonlySet<string>): Promise<number>;
}
