import { availableParallelism } from 'node:os';
import { noSuchImage, NotFoundError } from '../../core/errdefs.js';
import type { BlobSourceRecord, ImageRecord } from '../../core/metadata.js';
import {
  MEDIA_TYPE_DOCKER_LAYER_GZIP,
  MEDIA_TYPE_DOCKER_MANIFEST,
  type RegistryCredentials,
  type RegistryRepository,
} from '../../core/registry.js';
import { MEDIA_TYPE_DOCKER_CONFIG } from '../../core/images.js';
import type { Digest } from '../../pkg/digest.js';
import { forEachConcurrently } from '../../pkg/for-each-concurrently.js';
import { gzipParallel } from '../../pkg/parallel-gzip.js';
import { familiarName, fullName, normalizedString, parseReference, type ImageReference } from '../../pkg/reference.js';
import type { RegistryDeps } from './image-pull.js';
import { IMAGES_LOCK } from './image-store-deps.js';
import { progressEmitter, shortId, type Emit } from './progress.js';

/** Layers uploaded at once (dockerd's max-concurrent-uploads is 5). */
const UPLOAD_CONCURRENCY = 10;
/** Layers up to this size (uncompressed) are compressed in memory and uploaded in one request. */
const SMALL_LAYER_BYTES = 8 * 1024 * 1024;

export interface PushOptions {
  credentials?: RegistryCredentials | undefined;
  signal?: AbortSignal | undefined;
  /** gzip level for layers compressed here (1 = fastest; the registry cannot tell). */
  gzipLevel?: number;
}

interface PushedLayer {
  digest: Digest;
  size: number;
  mediaType: string;
}

/**
 * `docker push`: for each tag of the repository (or the one asked for), every layer the registry lacks is
 * uploaded, compressed as parallel gzip members on the way with its digest computed as it streams. A layer
 * the engine knows a registry blob for (from a pull or an earlier push) is checked with a HEAD first, and
 * mounted from a sibling repository of the same registry when that is where it was seen. The config goes
 * next and the Docker schema2 manifest last; the repo digest and the blob sources are recorded after.
 */
export async function pushImage(deps: RegistryDeps, ref: ImageReference, emit: Emit, opts: PushOptions = {}): Promise<void> {
  const repo: RegistryRepository = { domain: ref.domain, path: ref.path };
  const repoName = fullName(ref);
  const targets = deps.metadata.view((tx) => {
    if (ref.tag !== undefined) {
      const id = tx.getTag(normalizedString(ref));
      const img = id === undefined ? undefined : tx.getImage(id);
      if (img === undefined) throw noSuchImage(`${familiarName(ref)}:${ref.tag}`);
      return [{ tag: ref.tag, image: img }];
    }
    const all = tx
      .listTags()
      .filter((t) => t.ref.startsWith(`${repoName}:`))
      .map((t) => ({ tag: parseReference(t.ref).tag ?? 'latest', image: tx.getImage(t.imageId)! }));
    if (all.length === 0) throw new NotFoundError(`An image does not exist locally with the tag: ${familiarName(ref)}`);
    return all;
  });
  emit({ status: `The push refers to repository [${repoName}]` });
  for (const { tag, image } of targets) await pushTag(deps, repo, repoName, tag, image, emit, opts);
}

async function pushTag(
  deps: RegistryDeps,
  repo: RegistryRepository,
  repoName: string,
  tag: string,
  image: ImageRecord,
  emit: Emit,
  opts: PushOptions,
): Promise<void> {
  const call = { credentials: opts.credentials, signal: opts.signal };
  const { diffIds, sources } = deps.metadata.view((tx) => {
    const ids = image.chainIds.map((c) => tx.getLayer(c)!.diffId);
    return { diffIds: ids, sources: ids.map((d) => tx.blobSourcesOf(d)) };
  });
  const ids = diffIds.map((d) => shortId(d));
  // Docker lists layers top first.
  for (let i = diffIds.length - 1; i >= 0; i--) emit({ status: 'Preparing', progressDetail: {}, id: ids[i]! });
  for (let i = diffIds.length - 1 - UPLOAD_CONCURRENCY; i >= 0; i--) emit({ status: 'Waiting', progressDetail: {}, id: ids[i]! });

  const results: PushedLayer[] = new Array<PushedLayer>(diffIds.length);
  const order = diffIds.map((_, i) => i).reverse();
  await forEachConcurrently(order, UPLOAD_CONCURRENCY, opts.signal, async (i, signal) => {
    results[i] = await pushLayer(deps, repo, repoName, diffIds[i]!, sources[i]!, ids[i]!, emit, { ...call, signal, gzipLevel: opts.gzipLevel });
  });

  const configBytes = Buffer.from(image.configJson);
  if (!(await deps.registry.hasBlob(repo, image.id, call))) {
    await deps.registry.pushBlob(repo, configBytes, { ...call, expected: image.id });
  }
  const manifest = Buffer.from(
    JSON.stringify(
      {
        schemaVersion: 2,
        mediaType: MEDIA_TYPE_DOCKER_MANIFEST,
        config: { mediaType: MEDIA_TYPE_DOCKER_CONFIG, size: configBytes.length, digest: image.id },
        layers: results.map((r) => ({ mediaType: r.mediaType, size: r.size, digest: r.digest })),
      },
      null,
      3,
    ),
  );
  const digest = await deps.registry.putManifest(repo, tag, MEDIA_TYPE_DOCKER_MANIFEST, manifest, call);
  const repoDigest = `${repoName}@${digest}`;
  await deps.locks.withLock(IMAGES_LOCK, () =>
    deps.metadata.update((tx) => {
      const img = tx.getImage(image.id);
      if (img !== undefined && !img.repoDigests.includes(repoDigest)) tx.putImage({ ...img, repoDigests: [...img.repoDigests, repoDigest] });
      for (const [i, r] of results.entries()) {
        if (tx.getBlob(diffIds[i]!) !== undefined) tx.putBlobSource({ diffId: diffIds[i]!, ...r, repository: repoName });
      }
    }),
  );
  emit({ status: `${tag}: digest: ${digest} size: ${manifest.length}` });
  emit({ progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: manifest.length } });
}

async function pushLayer(
  deps: RegistryDeps,
  repo: RegistryRepository,
  repoName: string,
  diffId: Digest,
  sources: readonly BlobSourceRecord[],
  id: string,
  emit: Emit,
  opts: { credentials?: RegistryCredentials | undefined; signal: AbortSignal; gzipLevel?: number | undefined },
): Promise<PushedLayer> {
  const registryHost = `${repo.domain}/`;
  // Known blobs of this registry: the target repository's first, then its siblings' (candidates to mount).
  const here = sources.filter((s) => s.repository === repoName);
  const siblings = sources.filter((s) => s.repository !== repoName && s.repository.startsWith(registryHost));
  for (const s of here) {
    if (await deps.registry.hasBlob(repo, s.digest, opts)) {
      emit({ status: 'Layer already exists', progressDetail: {}, id });
      return { digest: s.digest, size: s.size, mediaType: s.mediaType };
    }
  }
  for (const s of siblings) {
    if (await deps.registry.hasBlob(repo, s.digest, opts)) {
      emit({ status: 'Layer already exists', progressDetail: {}, id });
      return { digest: s.digest, size: s.size, mediaType: s.mediaType };
    }
    const from = s.repository.slice(registryHost.length);
    if (await deps.registry.mountBlob(repo, s.digest, from, opts)) {
      emit({ status: `Mounted from ${familiarName(parseReference(s.repository))}`, progressDetail: {}, id });
      return { digest: s.digest, size: s.size, mediaType: s.mediaType };
    }
  }
  const total = (await deps.content.info(diffId)).size;
  const progress = progressEmitter(emit, 'Pushing', id);
  let read = 0;
  const source = deps.content.read(diffId);
  const counted = (async function* () {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      read += chunk.length;
      progress(read, total);
      yield chunk;
    }
  })();
  const compressed = gzipParallel(counted, { concurrency: availableParallelism() + 1, level: opts.gzipLevel ?? 1 });
  let pushed;
  if (total <= SMALL_LAYER_BYTES) {
    // Small layers: compress in memory and upload whole (POST, then PUT with the bytes and their digest)
    // instead of POST + PATCH + PUT. Layers this registry has already seen were found above.
    const chunks: Buffer[] = [];
    for await (const c of compressed) chunks.push(c);
    pushed = await deps.registry.pushBlob(repo, Buffer.concat(chunks), opts);
  } else {
    pushed = await deps.registry.pushBlob(repo, compressed, opts);
  }
  emit({ status: 'Pushed', progressDetail: {}, id });
  return { digest: pushed.digest, size: pushed.size, mediaType: MEDIA_TYPE_DOCKER_LAYER_GZIP };
}
