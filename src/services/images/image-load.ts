import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { InvalidArgumentError } from '../../core/errdefs.js';
import { MEDIA_TYPE_DOCKER_CONFIG, MEDIA_TYPE_DOCKER_LAYER } from '../../core/images.js';
import type { LayerRecord } from '../../core/metadata.js';
import type { Digest } from '../../pkg/digest.js';
import { decompressStream } from '../../pkg/decompress.js';
import { familiarString, normalizedString, parseReference, withDefaultTag } from '../../pkg/reference.js';
import { tee } from '../../pkg/tee.js';
import { parseImageConfig } from './image-config.js';
import { IMAGES_LOCK, type ImageStoreDeps } from './image-store-deps.js';
import { discardLayers, discardUnused, newSnapshotId, recordLayers, unpackLayers } from './layer-unpacker.js';

/** Files small enough to hold in memory that describe the archive rather than hold content. */
const METADATA_FILES = new Set(['manifest.json', 'repositories', 'index.json', 'oci-layout']);
const MAX_METADATA_BYTES = 8 * 1024 * 1024;
const MAX_ENTRIES = 100_000;

interface ManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

/** A line of Docker's JSON message stream, as `docker load` prints it. */
export type LoadMessage = { stream: string };

/**
 * Loads a `docker save` archive (both the legacy layout and Docker 25+'s OCI-layout one). Every regular file
 * is ingested into the content store as it streams past (the manifest may come last), then manifest.json
 * says which blob is which. Layers are checked against the config's diff IDs, unpacked once per chain ID, and
 * the images and tags are recorded in one transaction at the very end: a bad or truncated archive leaves no
 * image, and files it left behind are removed before this returns.
 */
export async function loadImageArchive(
  deps: ImageStoreDeps,
  body: Readable,
  emit: (msg: LoadMessage) => void,
  opts: { signal?: AbortSignal } = {},
): Promise<void> {
  await deps.locks.withLock(IMAGES_LOCK, async () => {
    const ingested = new Set<Digest>();
    // Files that are plain tars are unpacked while they are stored (a guess the manifest confirms later).
    const premade = new Map<Digest, LayerRecord>();
    let newLayers: LayerRecord[] = [];
    let committed = false;
    try {
      const archive = await readArchive(deps, body, ingested, premade, opts);
      const manifestBytes = archive.metadata.get('manifest.json');
      if (manifestBytes === undefined) {
        throw new InvalidArgumentError('invalid archive: manifest.json not found (is this a docker save archive?)');
      }
      const manifest = parseManifest(manifestBytes);
      const blobOf = (name: string): Digest => {
        const resolved = archive.resolve(name);
        const digest = resolved === undefined ? undefined : archive.files.get(resolved);
        if (digest === undefined) throw new InvalidArgumentError(`invalid archive: "${name}" named in manifest.json is missing`);
        return digest;
      };

      const images: { id: Digest; configJson: string; diffIds: Digest[]; chainIds: Digest[]; tags: string[] }[] = [];
      for (const entry of manifest) {
        const configDigest = blobOf(entry.Config);
        const configBytes = await readAll(deps.content.read(configDigest));
        const config = parseImageConfig(configBytes, entry.Config);
        const expected = config.rootfs.diff_ids;
        if (expected.length !== entry.Layers.length) {
          throw new InvalidArgumentError(
            `invalid archive: image config lists ${expected.length} layers but manifest.json lists ${entry.Layers.length}`,
          );
        }
        const diffIds: Digest[] = [];
        for (const [i, layerName] of entry.Layers.entries()) {
          const diffId = await uncompressedBlob(deps, blobOf(layerName), ingested, opts.signal);
          if (diffId !== expected[i]) {
            throw new InvalidArgumentError(`invalid diffID for layer ${i}: expected "${expected[i]}", got "${diffId}"`);
          }
          diffIds.push(diffId);
        }
        const unpacked = await unpackLayers(deps, diffIds, { ...opts, premade });
        newLayers = newLayers.concat(unpacked.newLayers);
        const tags = (entry.RepoTags ?? []).map((t) => {
          try {
            return withDefaultTag(parseReference(t));
          } catch {
            throw new InvalidArgumentError(`invalid archive: invalid tag "${t}" in manifest.json`);
          }
        });
        images.push({
          id: configDigest,
          configJson: configBytes.toString('utf8'),
          diffIds,
          chainIds: unpacked.chainIds,
          tags: tags.map((t) => normalizedString(t)),
        });
      }

      const blobSizes = new Map<Digest, number>();
      for (const img of images) {
        blobSizes.set(img.id, Buffer.byteLength(img.configJson));
        for (const diffId of img.diffIds) blobSizes.set(diffId, (await deps.content.info(diffId)).size);
      }
      const messages: string[] = [];
      const redundant = deps.metadata.update((tx) => {
        // Blobs first: layers and images reference them.
        for (const img of images) {
          tx.putBlob({ digest: img.id, size: blobSizes.get(img.id) ?? 0, mediaType: MEDIA_TYPE_DOCKER_CONFIG });
          for (const diffId of img.diffIds) {
            tx.putBlob({ digest: diffId, size: blobSizes.get(diffId) ?? 0, mediaType: MEDIA_TYPE_DOCKER_LAYER });
          }
        }
        const beaten = recordLayers(tx, newLayers);
        for (const img of images) {
          const existing = tx.getImage(img.id);
          const size = img.chainIds.reduce((sum, c) => sum + (tx.getLayer(c)?.size ?? 0), 0);
          tx.putImage({
            id: img.id,
            configJson: img.configJson,
            chainIds: img.chainIds,
            size,
            loadedAt: existing?.loadedAt ?? deps.now().toISOString(),
            repoDigests: existing?.repoDigests ?? [],
          });
          for (const ref of img.tags) {
            const old = tx.getTag(ref);
            const familiar = familiarString(parseReference(ref));
            if (old !== undefined && old !== img.id) {
              messages.push(`The image ${familiar} already exists, renaming the old one with ID ${old} to empty string`);
            }
            tx.setTag(ref, img.id);
            messages.push(`Loaded image: ${familiar}`);
          }
          if (img.tags.length === 0) messages.push(`Loaded image ID: ${img.id}`);
        }
        return beaten;
      });
      committed = true;
      await discardLayers(deps, redundant);
      for (const m of messages) emit({ stream: `${m}\n` });
    } catch (err) {
      if (!committed) await discardLayers(deps, newLayers);
      throw err;
    } finally {
      // Snapshots unpacked on a guess that no image used; whatever was ingested but is not recorded (a failed
      // load, or archive files that are not image content).
      await discardUnused(deps, premade, ingested);
    }
  });
}

interface ReadArchive {
  /** Archive path → blob digest of its content. */
  files: Map<string, Digest>;
  metadata: Map<string, Buffer>;
  /** Follows symlinks inside the archive (legacy archives link duplicate layers). */
  resolve(name: string): string | undefined;
}

async function readArchive(
  deps: ImageStoreDeps,
  body: Readable,
  ingested: Set<Digest>,
  premade: Map<Digest, LayerRecord>,
  opts: { signal?: AbortSignal },
): Promise<ReadArchive> {
  const { stream } = await decompressStream(body);
  const { default: tar } = await import('tar-stream');
  const extract = tar.extract();
  stream.on('error', (err) => extract.destroy(err));
  stream.pipe(extract);
  const files = new Map<string, Digest>();
  const metadata = new Map<string, Buffer>();
  const links = new Map<string, string>();
  let entries = 0;
  try {
    for await (const entry of extract) {
      if (++entries > MAX_ENTRIES) throw new InvalidArgumentError('invalid archive: too many entries');
      const name = normalizeName(entry.header.name);
      if (entry.header.type === 'file' || entry.header.type === 'contiguous-file') {
        if (METADATA_FILES.has(name)) {
          metadata.set(name, await readAll(entry as unknown as Readable, MAX_METADATA_BYTES, name));
        } else {
          const info = await ingestEntry(deps, entry as AsyncIterable<Buffer>, premade, opts.signal);
          ingested.add(info.digest);
          files.set(name, info.digest);
        }
      } else {
        if (entry.header.type === 'symlink' && entry.header.linkname) {
          links.set(name, normalizeName(posix.join(posix.dirname(name), entry.header.linkname)));
        }
        entry.resume();
      }
    }
  } catch (err) {
    throw archiveError(err);
  }
  return {
    files,
    metadata,
    resolve(name: string): string | undefined {
      let n = normalizeName(name);
      for (let hops = 0; hops < 16; hops++) {
        if (files.has(n)) return n;
        const next = links.get(n);
        if (next === undefined) return undefined;
        n = next;
      }
      return undefined;
    },
  };
}

function archiveError(err: unknown): Error {
  if (err instanceof InvalidArgumentError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new InvalidArgumentError(`invalid archive: ${msg}`, { cause: err });
}

function normalizeName(name: string): string {
  const n = posix.normalize(name.replace(/^\.\//, ''));
  if (n.startsWith('/') || n === '..' || n.startsWith('../')) {
    throw new InvalidArgumentError(`invalid archive: entry "${name}" points outside the archive`);
  }
  return n.replace(/\/$/, '');
}

function parseManifest(bytes: Buffer): ManifestEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new InvalidArgumentError(`invalid archive: manifest.json: ${(err as Error).message}`);
  }
  const bad = (): never => {
    throw new InvalidArgumentError('invalid archive: manifest.json must be a list of {Config, RepoTags, Layers}');
  };
  if (!Array.isArray(raw) || raw.length === 0) return bad();
  return raw.map((e: unknown): ManifestEntry => {
    if (typeof e !== 'object' || e === null) return bad();
    const o = e as Record<string, unknown>;
    const config = o['Config'];
    const layers = o['Layers'];
    const tags = o['RepoTags'];
    if (typeof config !== 'string') return bad();
    if (!Array.isArray(layers) || !layers.every((l) => typeof l === 'string')) return bad();
    if (tags !== null && tags !== undefined && (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string'))) return bad();
    return { Config: config, Layers: layers as string[], RepoTags: (tags as string[] | null | undefined) ?? null };
  });
}

/**
 * Returns the digest of the uncompressed form of a layer blob: the blob itself when it is a plain tar,
 * otherwise a new blob holding its decompressed bytes.
 */
async function uncompressedBlob(deps: ImageStoreDeps, digest: Digest, ingested: Set<Digest>, signal?: AbortSignal): Promise<Digest> {
  const { compression, stream } = await decompressStream(deps.content.read(digest));
  if (compression === 'none') {
    stream.destroy();
    return digest;
  }
  const info = await deps.content.ingest(stream, { signal });
  ingested.add(info.digest);
  return info.digest;
}

export async function readAll(stream: AsyncIterable<Uint8Array>, limit = Number.MAX_SAFE_INTEGER, what = 'data'): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream) {
    size += c.length;
    if (size > limit) throw new InvalidArgumentError(`invalid archive: ${what} is too large`);
    chunks.push(Buffer.from(c));
  }
  return Buffer.concat(chunks);
}

/** A tar's first header has `ustar` at offset 257. */
function looksLikeTar(head: Buffer): boolean {
  return head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar';
}

/**
 * Stores one archive file. When it looks like an uncompressed tar (a layer, most likely), the same bytes are
 * also unpacked into a new layer snapshot on the way, so a load reads each layer once instead of storing it
 * and reading it back. A failed unpack only drops the guess: if the file really is a layer, `unpackLayers`
 * tries again from the stored blob and reports the error then.
 */
async function ingestEntry(
  deps: ImageStoreDeps,
  entry: AsyncIterable<Buffer>,
  premade: Map<Digest, LayerRecord>,
  signal: AbortSignal | undefined,
): Promise<{ digest: Digest; size: number }> {
  // Read the first header's worth, then stream it and the rest as one Node Readable (two-way pipe below).
  const it = entry[Symbol.asyncIterator]();
  const first: Buffer[] = [];
  let have = 0;
  while (have < 512) {
    const r = await it.next();
    if (r.done) break;
    first.push(r.value);
    have += r.value.length;
  }
  const rest = async function* (): AsyncGenerator<Buffer> {
    yield* first;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  };
  const source = Readable.from(rest(), { objectMode: false });
  if (!looksLikeTar(Buffer.concat(first))) return deps.content.ingest(source, { signal });
  // The unpacking reader may give up (the file is not a layer after all) while the store reads on.
  const [toStore, toUnpack] = tee(source, { secondMayStop: true });
  // Their consumers see their errors; a late one (after a consumer gave up) must not crash the daemon.
  for (const branch of [toStore, toUnpack]) branch.on('error', () => undefined);
  const snapshotId = newSnapshotId();
  let applied: { tarSize: number; size: number } | undefined;
  const unpack = deps.snapshotter
    .createLayer(snapshotId, async (dir) => {
      // One stream teed in two: the store's digest of these bytes is the diff ID (hashed once, not twice).
      applied = await deps.differ.applyLayer(toUnpack, dir, { ...(signal ? { signal } : {}), digest: false });
    }, signal ? { signal } : {})
    .then(
      () => true,
      () => {
        // The store keeps reading: this file may simply not be a layer.
        toUnpack.destroy();
        return false;
      },
    );
  const stored = deps.content.ingest(toStore, { signal });
  // A store that failed may not have read to the end: ending its branch ends the other one too.
  stored.catch(() => toStore.destroy());
  const [info, ok] = await Promise.all([stored, unpack]).catch(async (err: unknown) => {
    if (await unpack) await deps.snapshotter.remove(snapshotId).catch(() => undefined);
    throw err;
  });
  if (ok && applied !== undefined && applied.tarSize === info.size && !premade.has(info.digest)) {
    premade.set(info.digest, { chainId: info.digest, diffId: info.digest, parentChainId: null, snapshotId, size: applied.size });
  } else if (ok) {
    await deps.snapshotter.remove(snapshotId).catch(() => undefined);
  }
  return info;
}
