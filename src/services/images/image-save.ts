import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MEDIA_TYPE_OCI_CONFIG, MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_OCI_LAYER, MEDIA_TYPE_OCI_MANIFEST } from '../../core/images.js';
import type { ImageRecord, ReadTx } from '../../core/metadata.js';
import { digestHex, sha256Digest, type Digest } from '../../pkg/digest.js';
import { familiarName, familiarString, normalizedString, parseReference, withDefaultTag } from '../../pkg/reference.js';
import type { ImageStoreDeps } from './image-store-deps.js';
import { findByReference, isIdReference, resolveImage } from './image-resolver.js';

interface SaveItem {
  image: ImageRecord;
  /** Normalised references to record in the archive. */
  refs: string[];
  layers: Digest[];
}

/**
 * Writes a `docker save` archive in Docker 25+'s layout: an OCI image layout (`oci-layout`, `index.json`,
 * `blobs/sha256/...`) plus the `manifest.json` every Docker since 1.10 loads. Layers are stored uncompressed,
 * once however many images share them. Names resolve as Docker resolves them: `busybox` saves every tag of the
 * repository, `busybox:1` one tag, an id no tag. All names are resolved before the first byte is written, so
 * an unknown name is a clean 404 rather than a broken stream.
 */
export function planSave(deps: ImageStoreDeps, names: readonly string[]): SaveItem[] {
  return deps.metadata.view((tx) => {
    const items = new Map<Digest, SaveItem>();
    for (const name of names) {
      const image = resolveImage(tx, name);
      const item = items.get(image.id) ?? { image, refs: [], layers: image.chainIds.map((c) => tx.getLayer(c)!.diffId) };
      items.set(image.id, item);
      for (const ref of refsToSave(tx, image, name)) if (!item.refs.includes(ref)) item.refs.push(ref);
    }
    return [...items.values()];
  });
}

function refsToSave(tx: ReadTx, image: ImageRecord, name: string): string[] {
  if (isIdReference(image, name) && !findByReferenceSafe(tx, name)) return [];
  const ref = parseReference(name);
  if (ref.tag !== undefined || ref.digest !== undefined) return ref.tag !== undefined ? [normalizedString(ref)] : [];
  const repo = normalizedString({ ...ref, tag: undefined, digest: undefined });
  return tx.tagsOf(image.id).filter((r) => r.startsWith(`${repo}:`));
}

function findByReferenceSafe(tx: ReadTx, name: string): ImageRecord | undefined {
  try {
    return findByReference(tx, parseReference(name));
  } catch {
    return undefined;
  }
}

export function writeSaveArchive(deps: ImageStoreDeps, items: readonly SaveItem[]): Readable {
  const out = new PassThrough();
  void (async () => {
    // Loaded on first use: most daemons never save an image, and the idle footprint counts.
    const { default: tar } = await import('tar-stream');
    const pack = tar.pack();
    pack.pipe(out);
    const written = new Set<Digest>();
    const mtime = new Date(0);
    const addBlob = async (digest: Digest): Promise<void> => {
      if (written.has(digest)) return;
      written.add(digest);
      const { size } = await deps.content.info(digest);
      const entry = pack.entry({ name: `blobs/sha256/${digestHex(digest)}`, size, mode: 0o444, mtime });
      await pipeline(deps.content.read(digest), entry);
    };
    const addFile = (name: string, text: string): void => {
      pack.entry({ name, mode: 0o444, mtime }, text);
    };
    try {
      pack.entry({ name: 'blobs/', type: 'directory', mode: 0o755, mtime });
      pack.entry({ name: 'blobs/sha256/', type: 'directory', mode: 0o755, mtime });
      const manifestJson: object[] = [];
      const indexManifests: object[] = [];
      const repositories: Record<string, Record<string, string>> = {};
      for (const item of items) {
        for (const layer of item.layers) await addBlob(layer);
        await addBlob(item.image.id);
        const layerSizes = await Promise.all(item.layers.map(async (l) => (await deps.content.info(l)).size));
        const ociManifest = JSON.stringify({
          schemaVersion: 2,
          mediaType: MEDIA_TYPE_OCI_MANIFEST,
          config: { mediaType: MEDIA_TYPE_OCI_CONFIG, digest: item.image.id, size: Buffer.byteLength(item.image.configJson) },
          layers: item.layers.map((d, i) => ({ mediaType: MEDIA_TYPE_OCI_LAYER, digest: d, size: layerSizes[i] })),
        });
        const manifestDigest = sha256Digest(ociManifest);
        if (!written.has(manifestDigest)) {
          written.add(manifestDigest);
          addFile(`blobs/sha256/${digestHex(manifestDigest)}`, ociManifest);
        }
        const familiar = item.refs.map((r) => familiarString(parseReference(r)));
        manifestJson.push({
          Config: `blobs/sha256/${digestHex(item.image.id)}`,
          RepoTags: familiar.length > 0 ? familiar : null,
          Layers: item.layers.map((d) => `blobs/sha256/${digestHex(d)}`),
        });
        const descriptor = { mediaType: MEDIA_TYPE_OCI_MANIFEST, digest: manifestDigest, size: Buffer.byteLength(ociManifest) };
        if (item.refs.length === 0) indexManifests.push(descriptor);
        for (const r of item.refs) {
          const ref = withDefaultTag(parseReference(r));
          indexManifests.push({
            ...descriptor,
            annotations: { 'io.containerd.image.name': normalizedString(ref), 'org.opencontainers.image.ref.name': ref.tag ?? 'latest' },
          });
          const repo = familiarName(ref);
          repositories[repo] = { ...(repositories[repo] ?? {}), [ref.tag ?? 'latest']: digestHex(item.image.id) };
        }
      }
      addFile('index.json', JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_INDEX, manifests: indexManifests }));
      addFile('manifest.json', JSON.stringify(manifestJson));
      addFile('oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' }));
      if (Object.keys(repositories).length > 0) addFile('repositories', JSON.stringify(repositories));
      pack.finalize();
    } catch (err) {
      deps.log.error('save failed', { error: String(err) });
      out.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  })();
  return out;
}
