import type { Readable } from 'node:stream';
import type { Digest } from '../pkg/digest.js';

/**
 * ContentStore: immutable blobs (layer tars, configs, manifests) addressed by digest.
 *
 * Lifecycle: a blob is *ingested* from a stream: bytes go to a private ingest file while being hashed; when
 * the stream ends the size and digest are checked against what the caller expected, the file is fsynced and
 * renamed into place. A reader never sees a partial blob. Ingesting a digest that already exists is not an
 * error: the new bytes are verified and dropped. The store knows nothing of images: what a blob *is* and who
 * holds it lives in the MetadataStore, and a blob on disk that the metadata does not know is garbage that
 * `removeUnknown` deletes on daemon start.
 */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
}

export interface BlobInfo {
  digest: Digest;
  size: number;
}

export interface IngestOptions {
  /** When given, the ingest fails (and stores nothing) unless the content hashes to it. */
  expected?: Digest;
  expectedSize?: number;
  signal?: AbortSignal;
}

export interface ContentProvider {
  /** Streams a blob; NotFoundError when absent. */
  read(digest: Digest, opts?: { start?: number; end?: number }): Readable;
  info(digest: Digest): Promise<BlobInfo>;
  has(digest: Digest): Promise<boolean>;
}

export interface ContentIngester {
  ingest(source: AsyncIterable<Uint8Array> | Readable, opts?: IngestOptions): Promise<BlobInfo>;
}

export interface ContentManager {
  delete(digest: Digest): Promise<void>;
  /** Every blob on disk (for reconciliation with the metadata). */
  list(): Promise<Digest[]>;
  /** Removes abandoned ingests and every blob not in `keep`. Only safe when no ingest is under way. */
  removeUnknown(keep: ReadonlySet<Digest>): Promise<number>;
}

export type ContentStore = ContentProvider & ContentIngester & ContentManager;
