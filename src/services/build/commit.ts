import { rename, rm } from 'node:fs/promises';
import type { ImageConfig } from '../../core/images.js';
import { chainIds as chainIdsOf, MEDIA_TYPE_DOCKER_CONFIG, MEDIA_TYPE_DOCKER_LAYER } from '../../core/images.js';
import type { BuildCacheRecord, LayerRecord } from '../../core/metadata.js';
import { sha256Digest, type Digest } from '../../pkg/digest.js';
import { IMAGES_LOCK } from '../images/image-store-deps.js';
import { discardLayers, newSnapshotId, recordLayers } from '../images/layer-unpacker.js';
import type { BuildDeps, BuildState, StepChanges, StepDescription } from './build-types.js';

export interface CommitArgs {
  parent: BuildState;
  key: string;
  description: StepDescription;
  /** The image config after the step (runtime config changed as the instruction says). */
  config: ImageConfig;
  createdBy: string;
  /**
   * The step's changes, if it made any: their active snapshot is committed as a new layer, then removed.
   * `onLayer` is told only when that directory itself became the layer (not when an equal layer existed).
   */
  changes?: StepChanges;
}

/**
 * Commits one build step: the step's changes (if it has any) become a layer — tarred into a blob whose digest
 * is the diff ID, and the active snapshot's directory moved into place as the layer snapshot, so no byte is
 * unpacked twice — and the new config and its cache row are recorded in one transaction under the images
 * lock (so no garbage sweep can take the layer between the two). A step without changes (ENV, CMD...) gets
 * an empty-layer history entry only.
 */
export async function commitStep(deps: BuildDeps, args: CommitArgs): Promise<BuildState> {
  const created = deps.now().toISOString();
  const { parent } = args;
  let diffIds = parent.config.rootfs.diff_ids;
  let newLayer: LayerRecord | undefined;
  let blob: { digest: Digest; size: number } | undefined;
  const { changes } = args;
  try {
    if (changes !== undefined) {
      const upper = deps.snapshotter.contentDir(changes.snapshotId);
      const layer = deps.differ.diffDirectory(upper, { knownContent: changes.knownContent, neverMounted: changes.neverMounted });
      blob = await deps.content.ingest(layer.tar);
      const contentSize = await layer.contentSize;
      diffIds = [...diffIds, blob.digest];
      const chains = chainIdsOf(diffIds);
      const chainId = chains[chains.length - 1] as Digest;
      const known = deps.metadata.view((tx) => tx.getLayer(chainId));
      if (!known) {
        const snapshotId = newSnapshotId();
        await deps.snapshotter.createLayer(snapshotId, async (dir) => {
          await rm(dir, { recursive: true, force: true });
          await rename(upper, dir);
        });
        newLayer = { chainId, diffId: blob.digest, parentChainId: parent.chainIds[parent.chainIds.length - 1] ?? null, snapshotId, size: contentSize };
      }
    }
    const config: ImageConfig = {
      ...args.config,
      created,
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: [
        ...(parent.config.history ?? []),
        { created, created_by: args.createdBy, ...(changes === undefined ? { empty_layer: true } : {}) },
      ],
    };
    const configJson = JSON.stringify(config);
    const id = sha256Digest(configJson);
    const chainIds = chainIdsOf(diffIds);
    const record: BuildCacheRecord = {
      key: args.key,
      parentId: parent.id,
      imageId: id,
      configJson,
      chainIds,
      description: JSON.stringify(args.description),
      createdAt: created,
      lastUsed: created,
    };
    const redundant = await deps.locks.withLock(IMAGES_LOCK, async () =>
      deps.metadata.update((tx) => {
        if (blob) tx.putBlob({ digest: blob.digest, size: blob.size, mediaType: MEDIA_TYPE_DOCKER_LAYER });
        const beaten = newLayer ? recordLayers(tx, [newLayer]) : [];
        tx.putBuildCache(record);
        return beaten;
      }),
    );
    await discardLayers(deps, redundant);
    if (newLayer && !redundant.includes(newLayer)) changes?.onLayer?.(newLayer.chainId);
    newLayer = undefined;
    return { id, config, configJson, chainIds };
  } catch (err) {
    if (newLayer) await discardLayers(deps, [newLayer]);
    if (blob) {
      const digest = blob.digest;
      const known = deps.metadata.view((tx) => tx.getBlob(digest));
      if (!known) await deps.content.delete(digest).catch(() => undefined);
    }
    throw err;
  } finally {
    if (changes !== undefined) await deps.snapshotter.remove(changes.snapshotId).catch(() => undefined);
  }
}

/**
 * Makes a built state a real image: its config stored as a blob, the image recorded with its layers, and
 * the tags pointed at it, in one transaction.
 */
export async function recordImage(deps: BuildDeps, state: BuildState, tags: readonly string[], touchedCacheKeys: readonly string[] = []): Promise<void> {
  const { configJson } = state;
  const id = sha256Digest(configJson);
  // A rebuild from the cache usually ends at an image that exists: then nothing is written but the tags.
  const known = deps.metadata.view((tx) => tx.getImage(id) !== undefined && tx.getBlob(id) !== undefined);
  if (!known) await deps.content.ingest((async function* () { yield Buffer.from(configJson); })(), { expected: id });
  const now = deps.now().toISOString();
  await deps.locks.withLock(IMAGES_LOCK, async () =>
    deps.metadata.update((tx) => {
      for (const key of touchedCacheKeys) tx.touchBuildCache(key, now);
      if (known && !tx.getBlob(id)) throw new Error('the image was removed while it was being built: build again');
      tx.putBlob({ digest: id, size: Buffer.byteLength(configJson), mediaType: MEDIA_TYPE_DOCKER_CONFIG });
      const size = state.chainIds.reduce((s, c) => s + (tx.getLayer(c)?.size ?? 0), 0);
      if (!tx.getImage(id)) tx.putImage({ id, configJson, chainIds: state.chainIds, size, loadedAt: deps.now().toISOString(), repoDigests: [] });
      for (const t of tags) tx.setTag(t, id);
    }),
  );
}
