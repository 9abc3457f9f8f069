import type { ContentStore } from '../../core/content.js';
import type { Differ } from '../../core/diff.js';
import type { MetadataStore } from '../../core/metadata.js';
import type { Snapshotter } from '../../core/snapshots.js';
import type { KeyedLock } from '../../pkg/keyed-lock.js';

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}

/** What the image use cases need; the daemon wires the plugins in. */
export interface ImageStoreDeps {
  metadata: MetadataStore;
  content: ContentStore;
  snapshotter: Snapshotter;
  differ: Differ;
  /** Serialises image mutations (load, import, delete, gc) so a sweep never races a half-recorded image. */
  locks: KeyedLock;
  now: () => Date;
  log: Logger;
}

export const IMAGES_LOCK = 'images';
