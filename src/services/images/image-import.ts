import type { Readable } from 'node:stream';
import { InvalidArgumentError } from '../../core/errdefs.js';
import { MEDIA_TYPE_DOCKER_CONFIG, MEDIA_TYPE_DOCKER_LAYER, type ImageConfig } from '../../core/images.js';
import type { LayerRecord } from '../../core/metadata.js';
import { sha256Digest, type Digest } from '../../pkg/digest.js';
import { decompressStream } from '../../pkg/decompress.js';
import { normalizedString, parseRepositoryTag, withDefaultTag } from '../../pkg/reference.js';
import { applyChanges } from './import-changes.js';
import { IMAGES_LOCK, type ImageStoreDeps } from './image-store-deps.js';
import { discardLayers, recordLayers, unpackLayers } from './layer-unpacker.js';

export interface ImportOptions {
  repo?: string;
  tag?: string;
  message?: string;
  changes: string[];
  /** What Docker records as the source in the history comment ("-" for a request body). */
  source: string;
  signal?: AbortSignal;
}

/**
 * `docker import`: a root filesystem tar (plain or compressed) becomes a one-layer image. The tar is stored
 * uncompressed as the layer blob (its digest is the diff ID), unpacked into a layer snapshot, and the image
 * is recorded in one transaction. The `--change` lines are validated before any byte is read.
 */
export async function importImage(deps: ImageStoreDeps, body: Readable, opts: ImportOptions): Promise<Digest> {
  const runtimeConfig = applyChanges({}, opts.changes);
  const target = opts.repo ? withDefaultTag(parseRepositoryTag(opts.repo, opts.tag || undefined)) : undefined;
  if (target?.digest !== undefined) throw new InvalidArgumentError('cannot import into a digest reference');
  return deps.locks.withLock(IMAGES_LOCK, async () => {
    const { stream } = await decompressStream(body);
    const blob = await deps.content.ingest(stream, { signal: opts.signal });
    let newLayers: LayerRecord[] = [];
    let committed = false;
    try {
      const unpacked = await unpackLayers(deps, [blob.digest], opts);
      newLayers = unpacked.newLayers;
      const created = deps.now().toISOString();
      const config: ImageConfig = {
        architecture: 'amd64',
        os: 'linux',
        created,
        comment: opts.message || `Imported from ${opts.source}`,
        config: runtimeConfig,
        rootfs: { type: 'layers', diff_ids: [blob.digest] },
        history: [{ created, comment: opts.message || `Imported from ${opts.source}` }],
      };
      const configJson = JSON.stringify(config);
      const id = sha256Digest(configJson);
      await deps.content.ingest((async function* () { yield Buffer.from(configJson); })(), { expected: id });
      const redundant = deps.metadata.update((tx) => {
        tx.putBlob({ digest: blob.digest, size: blob.size, mediaType: MEDIA_TYPE_DOCKER_LAYER });
        tx.putBlob({ digest: id, size: Buffer.byteLength(configJson), mediaType: MEDIA_TYPE_DOCKER_CONFIG });
        const beaten = recordLayers(tx, newLayers);
        const size = unpacked.chainIds.reduce((s, c) => s + (tx.getLayer(c)?.size ?? 0), 0);
        tx.putImage({ id, configJson, chainIds: unpacked.chainIds, size, loadedAt: created, repoDigests: [] });
        if (target) tx.setTag(normalizedString(target), id);
        return beaten;
      });
      committed = true;
      await discardLayers(deps, redundant);
      return id;
    } catch (err) {
      if (!committed) {
        await discardLayers(deps, newLayers);
        const known = deps.metadata.view((tx) => tx.getBlob(blob.digest));
        if (!known) await deps.content.delete(blob.digest).catch(() => undefined);
      }
      throw err;
    }
  });
}
