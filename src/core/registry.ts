import type { Digest } from '../pkg/digest.js';

/**
 * Registry: one OCI distribution (Docker registry v2) endpoint as the image services see it.
 *
 * Lifecycle of a pull: `getManifest(repo, tag)` answers the manifest bytes and their digest (verified when the
 * caller asked by digest); a manifest list is resolved by a second `getManifest` by digest; `fetchBlob` streams
 * the config and then each layer, resuming a dropped transfer with a Range request and failing (after the last
 * byte) when the bytes do not hash to the digest asked for. A push is the reverse: `hasBlob` (HEAD) first, then
 * `mountBlob` from a sibling repository that is known to hold it, else `pushBlob` (POST, PATCH stream, PUT with
 * the digest computed on the way), and `putManifest` last. Credentials travel with each call: the client turns
 * them into Basic headers or Bearer tokens from the registry's challenge and caches tokens per scope.
 *
 * A repository is named by its registry host (`127.0.0.1:5000`, `docker.io`) and path (`library/busybox`);
 * the implementation maps docker.io to its real endpoint and mirrors, and chooses HTTP or HTTPS.
 */
export interface RegistryRepository {
  domain: string;
  path: string;
}

export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** A refresh token from an earlier login (OAuth2 flow). */
  identityToken?: string;
  /** A bearer token to use as is. */
  registryToken?: string;
}

export interface CallOptions {
  credentials?: RegistryCredentials | undefined;
  signal?: AbortSignal | undefined;
}

export interface FetchedManifest {
  mediaType: string;
  digest: Digest;
  bytes: Buffer;
}

export interface BlobProgress {
  /** Bytes received (or sent) so far, counting a resumed transfer from its start. */
  (done: number, total: number): void;
}

export interface PushedBlob {
  digest: Digest;
  size: number;
}

export interface SearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  is_automated: boolean;
}

export interface LoginResult {
  /** Docker's `Status` of `POST /auth`. */
  status: string;
  identityToken?: string;
}

export interface Registry {
  /** GET a manifest by tag or digest. Verified against `reference` when it is a digest. NotFound in Docker's words. */
  getManifest(repo: RegistryRepository, reference: string, opts?: CallOptions): Promise<FetchedManifest>;
  /** HEAD a manifest: its digest, or undefined when the registry does not say. */
  headManifest(repo: RegistryRepository, reference: string, opts?: CallOptions): Promise<Digest | undefined>;
  /** Streams a blob; resumes after a dropped connection; throws at the end when the bytes do not hash to `digest`. */
  fetchBlob(
    repo: RegistryRepository,
    digest: Digest,
    opts?: CallOptions & { size?: number; onProgress?: BlobProgress },
  ): AsyncIterable<Uint8Array>;
  hasBlob(repo: RegistryRepository, digest: Digest, opts?: CallOptions): Promise<boolean>;
  /** Cross-repository mount; false when the registry started an upload instead (the caller then pushes). */
  mountBlob(repo: RegistryRepository, digest: Digest, fromPath: string, opts?: CallOptions): Promise<boolean>;
  /** Uploads a stream whose digest is computed on the way (or checked against `expected`); a Buffer goes up in one request. */
  pushBlob(
    repo: RegistryRepository,
    source: AsyncIterable<Uint8Array> | Buffer,
    opts?: CallOptions & { expected?: Digest; onProgress?: (sent: number) => void },
  ): Promise<PushedBlob>;
  putManifest(repo: RegistryRepository, reference: string, mediaType: string, bytes: Buffer, opts?: CallOptions): Promise<Digest>;
  listTags(repo: RegistryRepository, opts?: CallOptions): Promise<string[]>;
  /** Checks credentials against the registry's /v2/ challenge. UnauthorizedError when refused. */
  login(domain: string, opts: CallOptions): Promise<LoginResult>;
  search(domain: string, term: string, limit: number, opts?: CallOptions): Promise<SearchResult[]>;
}

export const MEDIA_TYPE_DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const MEDIA_TYPE_DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const MEDIA_TYPE_DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
export const MEDIA_TYPE_OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const MEDIA_TYPE_OCI_LAYER_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
