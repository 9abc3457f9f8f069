import { InvalidArgumentError } from '../../core/errdefs.js';
import { MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_OCI_MANIFEST } from '../../core/images.js';
import { MEDIA_TYPE_DOCKER_MANIFEST, MEDIA_TYPE_DOCKER_MANIFEST_LIST } from '../../core/registry.js';
import { isDigest, type Digest } from '../../pkg/digest.js';

/** A descriptor from an untrusted manifest, checked. */
export interface ManifestDescriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  platform?: { os?: string; architecture?: string; variant?: string };
}

export type ParsedManifest =
  | { kind: 'index'; manifests: ManifestDescriptor[] }
  | { kind: 'image'; config: ManifestDescriptor; layers: ManifestDescriptor[] };

/** Docker's schema2 / OCI image manifest or manifest list / index, from untrusted bytes into typed values. */
export function parseManifest(bytes: Buffer, mediaType: string): ParsedManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new InvalidArgumentError(`invalid manifest: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null) throw new InvalidArgumentError('invalid manifest: not a JSON object');
  const o = raw as Record<string, unknown>;
  if (o['schemaVersion'] === 1) {
    throw new InvalidArgumentError(
      'Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. Suggest the author of the image to push it with a newer version of Docker',
    );
  }
  if (mediaType === MEDIA_TYPE_DOCKER_MANIFEST_LIST || mediaType === MEDIA_TYPE_OCI_INDEX || Array.isArray(o['manifests'])) {
    const list = o['manifests'];
    if (!Array.isArray(list)) throw new InvalidArgumentError('invalid manifest list: manifests must be a list');
    return { kind: 'index', manifests: list.map((d, i) => descriptor(d, `manifests[${i}]`)) };
  }
  if (mediaType !== MEDIA_TYPE_DOCKER_MANIFEST && mediaType !== MEDIA_TYPE_OCI_MANIFEST) {
    throw new InvalidArgumentError(`unsupported manifest media type ${mediaType}`);
  }
  const layers = o['layers'];
  if (!Array.isArray(layers)) throw new InvalidArgumentError('invalid manifest: layers must be a list');
  return { kind: 'image', config: descriptor(o['config'], 'config'), layers: layers.map((d, i) => descriptor(d, `layers[${i}]`)) };
}

function descriptor(d: unknown, where: string): ManifestDescriptor {
  if (typeof d !== 'object' || d === null) throw new InvalidArgumentError(`invalid manifest: ${where} is not a descriptor`);
  const o = d as Record<string, unknown>;
  const digest = o['digest'];
  const size = o['size'];
  const mediaType = o['mediaType'];
  if (typeof digest !== 'string' || !isDigest(digest)) throw new InvalidArgumentError(`invalid manifest: ${where} has an invalid digest`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new InvalidArgumentError(`invalid manifest: ${where} has an invalid size`);
  const out: ManifestDescriptor = { mediaType: typeof mediaType === 'string' ? mediaType : '', digest, size };
  const platform = o['platform'];
  if (typeof platform === 'object' && platform !== null) {
    const p = platform as Record<string, unknown>;
    out.platform = {
      ...(typeof p['os'] === 'string' ? { os: p['os'] } : {}),
      ...(typeof p['architecture'] === 'string' ? { architecture: p['architecture'] } : {}),
      ...(typeof p['variant'] === 'string' ? { variant: p['variant'] } : {}),
    };
  }
  return out;
}

/** The linux/amd64 entry of a manifest list, as Docker chooses it on this host. */
export function chooseAmd64(manifests: readonly ManifestDescriptor[]): ManifestDescriptor | undefined {
  return manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64');
}
