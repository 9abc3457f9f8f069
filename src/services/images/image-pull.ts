import { Readable } from 'node:stream';
import { InvalidArgumentError, isBerthError, NotFoundError } from '../../core/errdefs.js';
import { MEDIA_TYPE_DOCKER_CONFIG, MEDIA_TYPE_DOCKER_LAYER } from '../../core/images.js';
import type { BlobSourceRecord, LayerRecord } from '../../core/metadata.js';
import type { Registry, RegistryCredentials, RegistryRepository } from '../../core/registry.js';
import { isDigest, type Digest } from '../../pkg/digest.js';
import { decompressStream } from '../../pkg/decompress.js';
import { forEachConcurrently } from '../../pkg/for-each-concurrently.js';
import { familiarName, familiarString, fullName, normalizedString, type ImageReference } from '../../pkg/reference.js';
import { tee } from '../../pkg/tee.js';
import { parseImageConfig } from './image-config.js';
import { readAll } from './image-load.js';
import { IMAGES_LOCK, type ImageStoreDeps } from './image-store-deps.js';
import { discardLayers, discardUnused, newSnapshotId, recordLayers, unpackLayers } from './layer-unpacker.js';
import { chooseAmd64, parseManifest, type ManifestDescriptor } from './manifest.js';
import { progressEmitter, shortId, type Emit } from './progress.js';

/** Layers downloaded at once (dockerd's max-concurrent-downloads is 3). */
const DOWNLOAD_CONCURRENCY = 3;
const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

export interface RegistryDeps extends ImageStoreDeps {
  registry: Registry;
}

export interface PullOptions {
  credentials?: RegistryCredentials | undefined;
  allTags?: boolean;
  signal?: AbortSignal | undefined;
}

/**
 * `docker pull`: manifest (a list resolves to its linux/amd64 entry), config, then the layers this engine lacks,
 * a few at a time. Each layer streams from the registry through its digest check and the decompressor into the
 * content store under its diff ID (so compressed bytes never touch the disk); a dropped connection resumes
 * with a Range request. Layers are unpacked with the load path's code, and the image, its tag, its repo digest
 * and where its layers came from are recorded in one transaction at the end: a failure at any point leaves no
 * image and no blob. An image whose config is already known costs one manifest request.
 */
export async function pullImage(deps: RegistryDeps, ref: ImageReference, emit: Emit, opts: PullOptions = {}): Promise<void> {
  const repo: RegistryRepository = { domain: ref.domain, path: ref.path };
  if (opts.allTags) {
    const tags = await deps.registry.listTags(repo, opts);
    let anyNew = false;
    for (const tag of tags) anyNew = (await pullOne(deps, { ...repo, tag }, emit, opts)) || anyNew;
    emit({ status: anyNew ? `Status: Downloaded newer image for ${familiarName(ref)}` : `Status: Image is up to date for ${familiarName(ref)}` });
    return;
  }
  const updated = await pullOne(deps, ref, emit, opts);
  emit({ status: updated ? `Status: Downloaded newer image for ${familiarString(ref)}` : `Status: Image is up to date for ${familiarString(ref)}` });
}

/** Pulls one tag or digest; true when the reference now names a different (or new) image. */
async function pullOne(deps: RegistryDeps, ref: ImageReference, emit: Emit, opts: PullOptions): Promise<boolean> {
  const repo: RegistryRepository = { domain: ref.domain, path: ref.path };
  const reference = ref.digest ?? ref.tag ?? 'latest';
  const call = { credentials: opts.credentials, signal: opts.signal };
  let fetched;
  try {
    fetched = await deps.registry.getManifest(repo, reference, call);
  } catch (err) {
    if (err instanceof NotFoundError) throw new NotFoundError(`manifest for ${familiarString(ref)} not found: ${err.message}`, { cause: err });
    throw err;
  }
  const manifestDigest = fetched.digest;
  let manifest = parseManifest(fetched.bytes, fetched.mediaType);
  if (manifest.kind === 'index') {
    const entry = chooseAmd64(manifest.manifests);
    if (entry === undefined) throw new NotFoundError('no matching manifest for linux/amd64 in the manifest list entries');
    const inner = await deps.registry.getManifest(repo, entry.digest, call);
    manifest = parseManifest(inner.bytes, inner.mediaType);
    if (manifest.kind !== 'image') throw new InvalidArgumentError('invalid manifest list: an entry is itself a list');
  }
  emit({ status: `Pulling from ${familiarName(ref)}`, id: reference });
  const { config: configDesc, layers } = manifest;
  const repoDigest = `${fullName(ref)}@${manifestDigest}`;
  const tagRef = ref.digest === undefined ? normalizedString(ref) : undefined;

  // Fast path: the image is known; only the names may be new.
  const known = deps.metadata.view((tx) => tx.getImage(configDesc.digest));
  if (known !== undefined) {
    const updated = await deps.locks.withLock(IMAGES_LOCK, () =>
      deps.metadata.update((tx) => {
        const img = tx.getImage(configDesc.digest);
        if (img === undefined) return undefined;
        if (!img.repoDigests.includes(repoDigest)) tx.putImage({ ...img, repoDigests: [...img.repoDigests, repoDigest] });
        if (tagRef === undefined) return false;
        const old = tx.getTag(tagRef);
        tx.setTag(tagRef, img.id);
        return old !== img.id;
      }),
    );
    if (updated !== undefined) {
      emit({ status: `Digest: ${manifestDigest}` });
      return updated;
    }
  }

  const configBytes = await readAll(deps.registry.fetchBlob(repo, configDesc.digest, { ...call, size: configDesc.size }), MAX_CONFIG_BYTES, 'image config');
  const config = parseImageConfig(configBytes, configDesc.digest);
  if (config.os !== 'linux' || (config.architecture !== 'amd64' && config.architecture !== '')) {
    throw new InvalidArgumentError(`image with reference ${familiarString(ref)} was found but its platform (${config.os}/${config.architecture}) does not match the specified platform (linux/amd64)`);
  }
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== layers.length) {
    throw new InvalidArgumentError(`invalid manifest: it lists ${layers.length} layers but the image config ${diffIds.length}`);
  }

  const ingested = new Set<Digest>();
  const premade = new Map<Digest, LayerRecord>();
  let newLayers: LayerRecord[] = [];
  let committed = false;
  try {
    await downloadLayers(deps, repo, layers, diffIds, ingested, premade, emit, call);
    let updated = true;
    await deps.locks.withLock(IMAGES_LOCK, async () => {
      const unpacked = await unpackLayers(deps, diffIds, { signal: opts.signal, premade });
      newLayers = unpacked.newLayers;
      for (const l of layers) if (ingested.has(diffIds[layers.indexOf(l)]!)) emit({ status: 'Pull complete', id: shortId(l.digest) });
      const sizes = new Map<Digest, number>();
      for (const d of diffIds) sizes.set(d, (await deps.content.info(d)).size);
      const redundant = deps.metadata.update((tx) => {
        tx.putBlob({ digest: configDesc.digest, size: configBytes.length, mediaType: MEDIA_TYPE_DOCKER_CONFIG });
        for (const d of diffIds) tx.putBlob({ digest: d, size: sizes.get(d) ?? 0, mediaType: MEDIA_TYPE_DOCKER_LAYER });
        const beaten = recordLayers(tx, newLayers);
        const existing = tx.getImage(configDesc.digest);
        const size = unpacked.chainIds.reduce((sum, c) => sum + (tx.getLayer(c)?.size ?? 0), 0);
        tx.putImage({
          id: configDesc.digest,
          configJson: configBytes.toString('utf8'),
          chainIds: unpacked.chainIds,
          size,
          loadedAt: existing?.loadedAt ?? deps.now().toISOString(),
          repoDigests: [...(existing?.repoDigests ?? []).filter((d) => d !== repoDigest), repoDigest],
        });
        if (tagRef !== undefined) {
          updated = tx.getTag(tagRef) !== configDesc.digest;
          tx.setTag(tagRef, configDesc.digest);
        }
        for (const [i, l] of layers.entries()) tx.putBlobSource(sourceOf(diffIds[i]!, l, fullName(ref)));
        return beaten;
      });
      committed = true;
      await discardLayers(deps, redundant);
    });
    emit({ status: `Digest: ${manifestDigest}` });
    return updated;
  } catch (err) {
    if (!committed) await discardLayers(deps, newLayers);
    throw err;
  } finally {
    // Layers unpacked during the download that the image did not need (its chain was known already); the
    // ones it used were taken out of the map.
    await discardUnused(deps, premade, ingested);
  }
}

function sourceOf(diffId: Digest, l: ManifestDescriptor, repository: string): BlobSourceRecord {
  return { diffId, digest: l.digest, mediaType: l.mediaType, size: l.size, repository };
}

/**
 * Downloads the layers the content store lacks, `DOWNLOAD_CONCURRENCY` at a time, with Docker's progress
 * messages. Each ends up in the content store as its uncompressed tar, verified against both digests.
 */
async function downloadLayers(
  deps: RegistryDeps,
  repo: RegistryRepository,
  layers: readonly ManifestDescriptor[],
  diffIds: readonly Digest[],
  ingested: Set<Digest>,
  premade: Map<Digest, LayerRecord>,
  emit: Emit,
  call: { credentials?: RegistryCredentials | undefined; signal?: AbortSignal | undefined },
): Promise<void> {
  const present = deps.metadata.view((tx) => diffIds.map((d) => tx.getBlob(d) !== undefined));
  const todo: number[] = [];
  const seen = new Set<Digest>();
  for (const [i, l] of layers.entries()) {
    if (!isDigest(l.digest)) throw new InvalidArgumentError('invalid manifest: bad layer digest');
    if (present[i] || seen.has(diffIds[i]!)) {
      if (present[i]) emit({ status: 'Already exists', progressDetail: {}, id: shortId(l.digest) });
      continue;
    }
    seen.add(diffIds[i]!);
    emit({ status: 'Pulling fs layer', progressDetail: {}, id: shortId(l.digest) });
    todo.push(i);
  }
  for (const i of todo.slice(DOWNLOAD_CONCURRENCY)) emit({ status: 'Waiting', progressDetail: {}, id: shortId(layers[i]!.digest) });
  await forEachConcurrently(todo, DOWNLOAD_CONCURRENCY, call.signal, async (i, signal) => {
    const layer = layers[i]!;
    const diffId = diffIds[i]!;
    const id = shortId(layer.digest);
    const progress = progressEmitter(emit, 'Downloading', id);
    const body = Readable.from(
      deps.registry.fetchBlob(repo, layer.digest, { credentials: call.credentials, signal, size: layer.size, onProgress: progress }),
      { objectMode: false },
    );
    const { stream } = await decompressStream(body);
    body.on('error', (e) => stream.destroy(e));
    // One pass over the bytes: they go to the content store (the layer blob) and into a new layer snapshot
    // at once, so a pulled layer is never read back from disk to be unpacked.
    const [toStore, toUnpack] = tee(stream);
    // Their consumers see their errors; a late one (after a consumer gave up) must not crash the daemon.
    for (const branch of [toStore, toUnpack]) branch.on('error', () => undefined);
    const snapshotId = newSnapshotId();
    // A blob already on disk but not yet recorded belongs to a concurrent pull or load: never ours to delete.
    const existed = await deps.content.has(diffId);
    let unpackedSize = 0;
    const unpack = deps.snapshotter.createLayer(
      snapshotId,
      async (dir) => {
        const result = await deps.differ.applyLayer(toUnpack, dir, { signal });
        if (result.diffId !== diffId) {
          throw new InvalidArgumentError(`failed to register layer: layer ${layer.digest} does not match its diff ID ${diffId}`);
        }
        unpackedSize = result.size;
      },
      { signal },
    );
    const store = deps.content.ingest(toStore, { expected: diffId, signal });
    // Either consumer failing stops the other, with its reason (the other branch ends with it), and the download.
    for (const [failed, other] of [[unpack, toStore], [store, toUnpack]] as const) {
      failed.catch((e: unknown) => {
        other.destroy(e instanceof Error ? e : new Error(String(e)));
        body.destroy();
      });
    }
    const [stored, unpacked] = await Promise.allSettled([store, unpack]);
    if (stored.status === 'rejected' || unpacked.status === 'rejected') {
      body.destroy();
      toStore.destroy();
      toUnpack.destroy();
      if (unpacked.status === 'fulfilled') await discardLayers(deps, [{ chainId: diffId, diffId, parentChainId: null, snapshotId, size: 0 }]);
      if (stored.status === 'fulfilled' && !existed) ingested.add(stored.value.digest);
      // The download's own verdict (a digest mismatch, a dead registry) explains more than what it caused
      // downstream; a plain error from the body is only the echo of our own cancelling.
      const consumer: unknown = stored.status === 'rejected' ? stored.reason : (unpacked as PromiseRejectedResult).reason;
      const err: unknown = isBerthError(body.errored) ? body.errored : consumer;
      if (err instanceof InvalidArgumentError && /expected sha256/.test(err.message)) {
        throw new InvalidArgumentError(`failed to register layer: layer ${layer.digest} does not match its diff ID ${diffId}`, { cause: err });
      }
      if (isBerthError(err) || signal.aborted) throw err;
      // A decompressor or tar error: the bytes are bad (the digest check at the end was not reached).
      throw new InvalidArgumentError(`failed to register layer: ${layer.digest}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const info = stored.value;
    premade.set(diffId, { chainId: diffId, diffId, parentChainId: null, snapshotId, size: unpackedSize });
    if (!existed) ingested.add(info.digest);
    emit({ status: 'Verifying Checksum', progressDetail: {}, id });
    emit({ status: 'Download complete', progressDetail: {}, id });
    emit({ status: 'Extracting', progressDetail: { current: info.size, total: info.size }, id });
  });
}
