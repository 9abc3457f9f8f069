/**
 * Manifest PUT validation, as distribution does it before storing: the body is JSON of a known media type, its
 * descriptors are well formed, and it names what it references (config and layers of an image manifest, child
 * manifests of a list/index) so the server can check they exist in the repository. The bytes themselves are
 * stored untouched; only their digest names them.
 */
import { RegistryError } from './errors.js';
import { parseBlobDigest, type BlobDigest } from './names.js';

export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const SCHEMA1 = ['application/vnd.docker.distribution.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v1+prettyjws'];

/** Layers a registry never holds: their `urls` say where they live (Windows base layers, OCI non-distributable). */
const FOREIGN_LAYER_TYPES = new Set([
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
]);

/** The largest manifest accepted (distribution v3's limit; a manifest is metadata, never megabytes of it). */
export const MANIFEST_MAX_BYTES = 4 * 1024 * 1024;

export interface ParsedManifest {
  mediaType: string;
  /** Blobs that must be in the repository (config, layers). */
  blobs: BlobDigest[];
  /** Manifests that must be in the repository (children of a list or index). */
  manifests: BlobDigest[];
}

const invalid = (detail: string): RegistryError => new RegistryError('MANIFEST_INVALID', { detail });

function descriptor(v: unknown, where: string): { digest: BlobDigest; mediaType: string; urls: boolean } {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid(`${where}: descriptor must be an object`);
  const d = v as Record<string, unknown>;
  const digest = typeof d['digest'] === 'string' ? parseBlobDigest(d['digest']) : undefined;
  if (!digest) throw invalid(`${where}: invalid digest ${JSON.stringify(d['digest'])}`);
  if (typeof d['size'] !== 'number' || !Number.isSafeInteger(d['size']) || d['size'] < 0) throw invalid(`${where}: invalid size`);
  const mediaType = typeof d['mediaType'] === 'string' ? d['mediaType'] : '';
  const urls = Array.isArray(d['urls']) && d['urls'].length > 0;
  return { digest, mediaType, urls };
}

function descriptors(v: unknown, where: string): ReturnType<typeof descriptor>[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalid(`${where} must be an array`);
  return v.map((x, i) => descriptor(x, `${where}[${i}]`));
}

/**
 * Decides the manifest's media type (the Content-Type, else the body's `mediaType`, else its shape as distribution
 * falls back to OCI) and collects its references. Throws MANIFEST_INVALID for anything else.
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined): ParsedManifest {
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw invalid(`invalid JSON: ${(e as Error).message}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid('manifest must be a JSON object');
  const m = body as Record<string, unknown>;
  const declared = typeof m['mediaType'] === 'string' ? m['mediaType'] : undefined;
  const header = contentType?.split(';')[0]!.trim();
  const generic = header === undefined || header === '' || header === 'application/json' || header === 'text/plain' || header === 'application/octet-stream';
  let mediaType: string;
  if (!generic) {
    if (declared !== undefined && declared !== header) throw invalid(`mediaType in manifest should be '${header}' not '${declared}'`);
    mediaType = header;
  } else if (declared !== undefined) {
    mediaType = declared;
  } else if (Array.isArray(m['manifests'])) {
    mediaType = OCI_INDEX;
  } else {
    mediaType = OCI_MANIFEST;
  }
  if (SCHEMA1.includes(mediaType) || m['schemaVersion'] === 1) throw invalid('schema1 manifests are not supported');
  if (m['schemaVersion'] !== 2) throw invalid(`unsupported schemaVersion ${JSON.stringify(m['schemaVersion'])}`);
  switch (mediaType) {
    case DOCKER_MANIFEST:
    case OCI_MANIFEST: {
      if (m['config'] === undefined) throw invalid('config descriptor missing');
      const config = descriptor(m['config'], 'config');
      const layers = descriptors(m['layers'], 'layers');
      const blobs = [config.digest, ...layers.filter((l) => !(l.urls && FOREIGN_LAYER_TYPES.has(l.mediaType))).map((l) => l.digest)];
      return { mediaType, blobs, manifests: [] };
    }
    case DOCKER_MANIFEST_LIST:
    case OCI_INDEX:
      return { mediaType, blobs: [], manifests: descriptors(m['manifests'], 'manifests').map((d) => d.digest) };
    default:
      throw invalid(`unsupported manifest media type ${JSON.stringify(mediaType)}`);
  }
}

/**
 * Whether a client's Accept header lets it receive a stored manifest of this type (distribution's rule: an OCI
 * manifest or index is served only to a client that asks for it; Docker types are served as stored, schema1
 * conversion being long gone).
 */
export function accepts(acceptHeader: string | undefined, mediaType: string): boolean {
  if (mediaType !== OCI_MANIFEST && mediaType !== OCI_INDEX) return true;
  const accepted = (acceptHeader ?? '').split(',').map((s) => s.split(';')[0]!.trim());
  return accepted.includes(mediaType) || accepted.includes('*/*');
}
