import type { Readable } from 'node:stream';
import { InvalidArgumentError } from '../../core/errdefs.js';
import { chainIds, MEDIA_TYPE_DOCKER_CONFIG, MEDIA_TYPE_DOCKER_LAYER, type ImageConfig, type ImageRuntimeConfig } from '../../core/images.js';
import type { LayerRecord } from '../../core/metadata.js';
import { sha256Digest, type Digest } from '../../pkg/digest.js';
import { normalizedString, parseRepositoryTag, withDefaultTag } from '../../pkg/reference.js';
import { parseConfig } from './image-service.js';
import { IMAGES_LOCK, type ImageStoreDeps } from './image-store-deps.js';
import { discardLayers, newSnapshotId, recordLayers, unpackLayers } from './layer-unpacker.js';
import { tee } from '../../pkg/tee.js';
import type { ApplyResult } from '../../core/diff.js';

/** The diff ID of a layer tar with no entries (two zero blocks): Docker records such a commit as an empty layer. */
export const EMPTY_LAYER_DIFF_ID = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

export interface CommitImageOptions {
  /** The image the container runs; the new image is its layers plus one. */
  baseImageId: Digest;
  /** The uncompressed layer tar (Docker stores a commit's layer uncompressed). */
  layer: Readable;
  config: ImageRuntimeConfig;
  containerId: string;
  containerConfig: ImageRuntimeConfig;
  comment: string;
  author: string;
  /** The history's created_by: the container's command. */
  createdBy: string;
  repo?: string;
  tag?: string;
  signal?: AbortSignal;
}

/**
 * `docker commit`'s image half: stores the layer as a blob (its digest is the diff ID) while unpacking the same
 * bytes into a new layer snapshot on top of the base image's, writes the new config with a history entry, and records blob, layer,
 * image and tag in one transaction, as `import` does. A layer with no entries adds no diff ID (Docker's
 * `empty_layer`), and is not kept.
 */
export async function commitImage(deps: ImageStoreDeps, opts: CommitImageOptions): Promise<Digest> {
  const target = opts.repo ? withDefaultTag(parseRepositoryTag(opts.repo, opts.tag || undefined)) : undefined;
  if (target?.digest !== undefined) throw new InvalidArgumentError('cannot commit to a digest reference');
  return deps.locks.withLock(IMAGES_LOCK, async () => {
    const base = deps.metadata.view((tx) => tx.getImage(opts.baseImageId));
    if (!base) throw new InvalidArgumentError(`the container's image ${opts.baseImageId} no longer exists`);
    const baseConfig = parseConfig(base);
    const baseDiffIds = baseConfig.rootfs.diff_ids;
    // The layer tar is read once: stored as the blob and unpacked into the new layer snapshot side by side.
    const [forBlob, forLayer] = tee(opts.layer);
    const snapshotId = newSnapshotId();
    let applied: Omit<ApplyResult, 'diffId'> | undefined;
    const stopBoth = (err: unknown): never => {
      forBlob.destroy();
      forLayer.destroy();
      throw err;
    };
    const [ingested, layerMade] = await Promise.allSettled([
      deps.content.ingest(forBlob, { signal: opts.signal }).catch(stopBoth),
      deps.snapshotter
        .createLayer(snapshotId, async (dir) => {
          // The blob's digest is the diff ID: the same bytes (one stream, teed) are hashed once, by the store.
          applied = await deps.differ.applyLayer(forLayer, dir, { signal: opts.signal, digest: false });
        }, opts)
        .catch(stopBoth),
    ]);
    if (ingested.status === 'rejected' || layerMade.status === 'rejected') {
      if (layerMade.status === 'fulfilled') await deps.snapshotter.remove(snapshotId).catch(() => undefined);
      if (ingested.status === 'fulfilled') await deleteUnknownBlob(deps, ingested.value.digest);
      throw ingested.status === 'rejected' ? ingested.reason : (layerMade as PromiseRejectedResult).reason;
    }
    const blob = ingested.value;
    const empty = blob.digest === EMPTY_LAYER_DIFF_ID;
    let newLayers: LayerRecord[] = [];
    let committed = false;
    try {
      if (applied?.tarSize !== blob.size) throw new Error(`layer unpacked from ${applied?.tarSize ?? 'no'} bytes but stored from ${blob.size}`);
      const diffIds = [...baseDiffIds, ...(empty ? [] : [blob.digest])];
      const unpacked = await unpackLayers(deps, baseDiffIds, opts);
      newLayers = unpacked.newLayers;
      const chains = chainIds(diffIds);
      if (empty) await deps.snapshotter.remove(snapshotId).catch(() => undefined);
      else {
        newLayers.push({
          chainId: chains[chains.length - 1]!,
          diffId: blob.digest,
          parentChainId: baseDiffIds.length === 0 ? null : chains[chains.length - 2]!,
          snapshotId,
          size: applied.size,
        });
      }
      const created = deps.now().toISOString();
      const config: ImageConfig = {
        ...baseConfig,
        architecture: baseConfig.architecture || 'amd64',
        os: baseConfig.os || 'linux',
        created,
        author: opts.author,
        comment: opts.comment,
        container: opts.containerId,
        container_config: opts.containerConfig,
        config: opts.config,
        rootfs: { type: 'layers', diff_ids: diffIds },
        history: [
          ...(baseConfig.history ?? []),
          {
            created,
            created_by: opts.createdBy,
            ...(opts.author ? { author: opts.author } : {}),
            ...(opts.comment ? { comment: opts.comment } : {}),
            ...(empty ? { empty_layer: true } : {}),
          },
        ],
      };
      if (!opts.author) delete config.author;
      if (!opts.comment) delete config.comment;
      const configJson = JSON.stringify(config);
      const id = sha256Digest(configJson);
      await deps.content.ingest((async function* () { yield Buffer.from(configJson); })(), { expected: id });
      const redundant = deps.metadata.update((tx) => {
        if (!empty) tx.putBlob({ digest: blob.digest, size: blob.size, mediaType: MEDIA_TYPE_DOCKER_LAYER });
        tx.putBlob({ digest: id, size: Buffer.byteLength(configJson), mediaType: MEDIA_TYPE_DOCKER_CONFIG });
        const beaten = recordLayers(tx, newLayers);
        const size = chains.reduce((s, c) => s + (tx.getLayer(c)?.size ?? 0), 0);
        tx.putImage({ id, configJson, chainIds: chains, size, loadedAt: created, repoDigests: [] });
        if (target) tx.setTag(normalizedString(target), id);
        return beaten;
      });
      committed = true;
      await discardLayers(deps, redundant);
      if (empty) await deleteUnknownBlob(deps, blob.digest);
      return id;
    } catch (err) {
      if (!committed) {
        await discardLayers(deps, newLayers);
        await deps.snapshotter.remove(snapshotId).catch(() => undefined);
        await deleteUnknownBlob(deps, blob.digest);
      }
      throw err;
    }
  });
}

async function deleteUnknownBlob(deps: ImageStoreDeps, digest: Digest): Promise<void> {
  const known = deps.metadata.view((tx) => tx.getBlob(digest));
  if (!known) await deps.content.delete(digest).catch(() => undefined);
}
