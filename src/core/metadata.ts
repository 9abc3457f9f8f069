import type { Digest } from '../pkg/digest.js';
import type { ContainerRecord, ContainerState } from './containers.js';
import type { VolumeRecord } from './volumes.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from './networks.js';

/**
 * MetadataStore: the one truth about what exists — blobs, layers, images, references, containers and the
 * snapshot ids they own. Everything else on disk (blob files, snapshot directories, bundles) is derived and is
 * reconciled against this store on daemon start.
 *
 * Transactions are synchronous callbacks (no await inside): an `update` either commits whole or not at all, so a
 * kill -9 at any moment leaves either the old or the new state. The order for creating things is disk first
 * (content written and verified, directories renamed into place), then one `update` that records them; for
 * removing things, one `update` that forgets them, then disk. A crash in between leaves only files the store
 * does not know, which start-up removes.
 */
export interface BlobRecord {
  digest: Digest;
  size: number;
  mediaType: string;
}

export interface LayerRecord {
  chainId: Digest;
  diffId: Digest;
  parentChainId: Digest | null;
  snapshotId: string;
  /** Bytes of unpacked content (Docker's layer Size). */
  size: number;
}

export interface ImageRecord {
  /** The config digest. */
  id: Digest;
  /** The config JSON exactly as stored in the blob (its digest is the id). */
  configJson: string;
  /** Chain IDs of the layers, bottom first. */
  chainIds: Digest[];
  /** Sum of the layers' unpacked sizes. */
  size: number;
  /** When this engine first stored the image (ISO). */
  loadedAt: string;
  /** Repo digests (`name@sha256:...`) known for this image. */
  repoDigests: string[];
}

export interface TagRecord {
  /** Fully normalised reference, e.g. `docker.io/library/busybox:latest`. */
  ref: string;
  imageId: Digest;
}

/**
 * One built step of a Dockerfile: the state after the step (an image config and its layers) under the key
 * the cache looks it up by. `description` is JSON the builder reads back to say why a later step missed.
 */
export interface BuildCacheRecord {
  key: string;
  /** The id of the state the step ran on (an image or another step's config digest). */
  parentId: string;
  /** Digest of `configJson`. */
  imageId: Digest;
  configJson: string;
  chainIds: Digest[];
  description: string;
  createdAt: string;
  lastUsed: string;
}

/** A compressed registry blob known to hold a layer (by diff ID), in `repository` (`127.0.0.1:5000/app`). */
export interface BlobSourceRecord {
  diffId: Digest;
  digest: Digest;
  mediaType: string;
  size: number;
  repository: string;
}

export type SnapshotKind = 'layer' | 'active';

export interface ReadTx {
  getBlob(digest: Digest): BlobRecord | undefined;
  listBlobDigests(): Digest[];

  getLayer(chainId: Digest): LayerRecord | undefined;
  listLayers(): LayerRecord[];

  getImage(id: Digest): ImageRecord | undefined;
  listImages(): ImageRecord[];
  /** Image ids whose hex starts with `hexPrefix`. */
  findImageIds(hexPrefix: string): Digest[];

  getTag(ref: string): Digest | undefined;
  listTags(): TagRecord[];
  tagsOf(imageId: Digest): string[];

  getContainer(id: string): ContainerRecord | undefined;
  getContainerByName(name: string): ContainerRecord | undefined;
  /** Container ids starting with `prefix`. */
  findContainerIds(prefix: string): string[];
  listContainers(): ContainerRecord[];
  containersUsingImage(imageId: Digest): ContainerRecord[];

  listSnapshotIds(): string[];

  getVolume(name: string): VolumeRecord | undefined;
  listVolumes(): VolumeRecord[];
  /** Ids of the containers (running or not) that use the volume. */
  volumeUsers(name: string): string[];
  /** Every (volume, container) use, for listing many volumes at once. */
  listVolumeUses(): { volume: string; containerId: string }[];
  getNetwork(id: string): NetworkRecord | undefined;
  getNetworkByName(name: string): NetworkRecord | undefined;
  /** Network ids starting with `prefix`. */
  findNetworkIds(prefix: string): string[];
  listNetworks(): NetworkRecord[];
  /** Endpoints of a network or of a container. */
  listEndpoints(by: { networkId?: string; containerId?: string }): EndpointRecord[];
  getSandbox(containerId: string): SandboxRecord | undefined;
  listSandboxes(): SandboxRecord[];
  getBuildCache(key: string): BuildCacheRecord | undefined;
  /** Steps built on `parentId`, newest first. */
  buildCacheByParent(parentId: string): BuildCacheRecord[];
  /** The first step whose resulting state is `imageId` (to find a built state by id). */
  buildCacheByImage(imageId: Digest): BuildCacheRecord | undefined;
  listBuildCache(): BuildCacheRecord[];
  /** Registry blobs known to hold this layer, most useful first is the caller's choice. */
  blobSourcesOf(diffId: Digest): BlobSourceRecord[];
}

export interface WriteTx extends ReadTx {
  putBlob(blob: BlobRecord): void;
  deleteBlob(digest: Digest): void;
  /** Returns false (and changes nothing) when the chain ID is already recorded. */
  putLayer(layer: LayerRecord): boolean;
  deleteLayer(chainId: Digest): void;
  putImage(image: ImageRecord): void;
  deleteImage(id: Digest): void;
  setTag(ref: string, imageId: Digest): void;
  deleteTag(ref: string): void;
  putSnapshot(id: string, kind: SnapshotKind): void;
  putBlobSource(source: BlobSourceRecord): void;
  deleteSnapshot(id: string): void;
  /** AlreadyExistsError-free: callers check names first inside the same transaction. */
  putContainer(container: ContainerRecord): void;
  updateContainerState(id: string, state: ContainerState, opts?: { restartCount?: number }): void;
  renameContainer(id: string, name: string): void;
  deleteContainer(id: string): void;
  putVolume(volume: VolumeRecord): void;
  /** Fails (a foreign key) while a container uses the volume: callers check `volumeUsers` first for Docker's words. */
  deleteVolume(name: string): void;
  /** Records which volumes a container uses; forgotten with the container. */
  setContainerVolumes(containerId: string, names: string[]): void;
  putNetwork(net: NetworkRecord): void;
  deleteNetwork(id: string): void;
  /** Fails (constraint) when the address is already held on that network. */
  putEndpoint(ep: EndpointRecord): void;
  deleteEndpoint(networkId: string, containerId: string): void;
  putSandbox(sb: SandboxRecord): void;
  deleteSandbox(containerId: string): void;
  putBuildCache(record: BuildCacheRecord): void;
  touchBuildCache(key: string, at: string): void;
  deleteBuildCache(key: string): void;
  /**
   * Forgets every layer no image or container needs (following parent links), every layer snapshot no layer
   * owns and every blob nothing references, and returns what it forgot so the caller can delete the files
   * after the transaction commits.
   */
  collectGarbage(): GarbageCollected;
}

export interface GarbageCollected {
  layers: LayerRecord[];
  blobs: Digest[];
  snapshotIds: string[];
}

export interface MetadataStore {
  view<T>(fn: (tx: ReadTx) => T): T;
  update<T>(fn: (tx: WriteTx) => T): T;
  close(): void;
}
