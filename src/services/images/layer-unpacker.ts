import { randomBytes } from 'node:crypto';
import { chainIds } from '../../core/images.js';
import type { LayerRecord } from '../../core/metadata.js';
import type { Digest } from '../../pkg/digest.js';
import type { ImageStoreDeps } from './image-store-deps.js';

/**
 * Makes sure every layer of a stack is unpacked into a layer snapshot, once per chain ID. Layers already
 * recorded are reused; missing ones are applied from their (uncompressed) blobs in parallel, each into its
 * own new snapshot directory. Returns the records still to be written in the caller's transaction. Must be
 * called under the images lock, so that no sweep removes a reused layer before the caller records its image.
 */
export async function unpackLayers(
  deps: ImageStoreDeps,
  diffIds: readonly Digest[],
  opts: { signal?: AbortSignal; premade?: Map<Digest, LayerRecord> } = {},
): Promise<{ chainIds: Digest[]; newLayers: LayerRecord[] }> {
  const chains = chainIds(diffIds);
  const known = deps.metadata.view((tx) => chains.map((c) => tx.getLayer(c)));
  const jobs: Promise<LayerRecord>[] = [];
  chains.forEach((chainId, i) => {
    if (known[i] !== undefined) return;
    // Unpacked already (pull and load unpack while the bytes stream in): only its parent link is decided
    // here. Each is taken out of the map once, so no two records ever share a snapshot directory.
    const premade = opts.premade?.get(diffIds[i] as Digest);
    if (premade !== undefined) {
      opts.premade?.delete(diffIds[i] as Digest);
      jobs.push(Promise.resolve({ ...premade, chainId, parentChainId: i === 0 ? null : (chains[i - 1] as Digest) }));
      return;
    }
    const diffId = diffIds[i] as Digest;
    const snapshotId = newSnapshotId();
    jobs.push(
      (async () => {
        let size = 0;
        await deps.snapshotter.createLayer(
          snapshotId,
          async (dir) => {
            const result = await deps.differ.applyLayer(deps.content.read(diffId), dir, opts);
            if (result.diffId !== diffId) {
              throw new Error(`layer blob ${diffId} changed on disk: its content now hashes to ${result.diffId}`);
            }
            size = result.size;
          },
          opts,
        );
        return { chainId, diffId, parentChainId: i === 0 ? null : (chains[i - 1] as Digest), snapshotId, size };
      })(),
    );
  });
  const settled = await Promise.allSettled(jobs);
  const newLayers = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await discardLayers(deps, newLayers);
    throw failed.reason;
  }
  return { chainIds: chains, newLayers };
}

/** Records new layers (and their snapshots) inside a write transaction; returns those another writer beat us to. */
export function recordLayers(tx: import('../../core/metadata.js').WriteTx, layers: readonly LayerRecord[]): LayerRecord[] {
  const redundant: LayerRecord[] = [];
  for (const layer of layers) {
    if (tx.getLayer(layer.chainId)) {
      redundant.push(layer);
      continue;
    }
    tx.putSnapshot(layer.snapshotId, 'layer');
    tx.putLayer(layer);
  }
  return redundant;
}

export async function discardLayers(deps: ImageStoreDeps, layers: readonly LayerRecord[]): Promise<void> {
  await Promise.all(layers.map((l) => deps.snapshotter.remove(l.snapshotId).catch(() => undefined)));
}

/**
 * After a pull or a load, whether it was recorded or not: the snapshots unpacked ahead that no image took,
 * and the blobs it ingested that no record names.
 */
export async function discardUnused(deps: ImageStoreDeps, premade: ReadonlyMap<Digest, LayerRecord>, ingested: ReadonlySet<Digest>): Promise<void> {
  await discardLayers(deps, [...premade.values()]);
  const recorded = deps.metadata.view((tx) => new Set(tx.listBlobDigests()));
  await Promise.all([...ingested].filter((d) => !recorded.has(d)).map((d) => deps.content.delete(d).catch(() => undefined)));
}

export function newSnapshotId(): string {
  return randomBytes(8).toString('hex');
}
