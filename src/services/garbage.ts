import type { ContentStore } from '../core/content.js';
import type { GarbageCollected } from '../core/metadata.js';
import type { Snapshotter } from '../core/snapshots.js';

/**
 * Deletes the files of what a committed transaction forgot. Failures are only logged: a file left here is an
 * orphan that the next daemon start removes, never an inconsistency.
 */
export async function removeGarbageFiles(
  content: ContentStore,
  snapshotter: Snapshotter,
  garbage: GarbageCollected,
  log: { warn(msg: string, fields?: Record<string, unknown>): void },
): Promise<void> {
  await Promise.all([
    ...garbage.snapshotIds.map((id) =>
      snapshotter.remove(id).catch((err: unknown) => log.warn('could not remove snapshot', { id, error: String(err) })),
    ),
    ...garbage.blobs.map((d) =>
      content.delete(d).catch((err: unknown) => log.warn('could not remove blob', { digest: d, error: String(err) })),
    ),
  ]);
}
