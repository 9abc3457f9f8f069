import { ConflictError, InvalidArgumentError } from '../../core/errdefs.js';
import type { ImageConfig } from '../../core/images.js';
import type { GarbageCollected, ImageRecord, ReadTx, WriteTx } from '../../core/metadata.js';
import type { Digest } from '../../pkg/digest.js';
import type { Filters } from '../../pkg/filters.js';
import {
  familiarString,
  matchReferenceFilter,
  normalizedString,
  parseReference,
  parseRepositoryTag,
  withDefaultTag,
} from '../../pkg/reference.js';
import { removeGarbageFiles } from '../garbage.js';
import { pruneFilter } from '../prune-filter.js';
import { IMAGES_LOCK, type ImageStoreDeps } from './image-store-deps.js';
import { isIdReference, resolveImage } from './image-resolver.js';

export interface ImageSummary {
  Containers: number;
  Created: number;
  Id: string;
  Labels: Record<string, string> | null;
  ParentId: string;
  RepoDigests: string[];
  RepoTags: string[];
  SharedSize: number;
  Size: number;
  VirtualSize?: number;
}

export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

export type DeleteRecord = { Untagged: string } | { Deleted: string };

const LIST_FILTERS = ['before', 'dangling', 'label', 'reference', 'since', 'until'];

export function parseConfig(img: ImageRecord): ImageConfig {
  return JSON.parse(img.configJson) as ImageConfig;
}

function unixSeconds(iso: string | undefined): number {
  if (!iso) return 0;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

function shortHex(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** Image use cases that only read or relabel: list, inspect, history, tag, delete. Load/save/import live apart. */
export class ImageService {
  readonly #deps: ImageStoreDeps;

  constructor(deps: ImageStoreDeps) {
    this.#deps = deps;
  }

  resolve(refOrId: string): ImageRecord {
    return this.#deps.metadata.view((tx) => resolveImage(tx, refOrId));
  }

  list(opts: { all?: boolean; filters: Filters; apiVersion: number }): ImageSummary[] {
    const { filters } = opts;
    filters.validate(LIST_FILTERS);
    return this.#deps.metadata.view((tx) => {
      const before = filters.get('before').map((r) => resolveImage(tx, r));
      const since = filters.get('since').map((r) => resolveImage(tx, r));
      const out: ImageSummary[] = [];
      for (const img of tx.listImages()) {
        const cfg = parseConfig(img);
        const created = unixSeconds(cfg.created);
        let refs = tx.tagsOf(img.id).map((r) => parseReference(r));
        let digestRefs = img.repoDigests.map((d) => parseReference(d));
        if (filters.has('reference')) {
          // Docker lists only the references that matched, tags and digests alike, so `images x` (which filters by
          // reference=x) shows x's rows alone and no `<none>` row for a digest in another repository.
          const patterns = filters.get('reference');
          const matches = (r: ReturnType<typeof parseReference>): boolean => patterns.some((p) => matchReferenceFilter(p, r));
          refs = refs.filter(matches);
          digestRefs = digestRefs.filter(matches);
          if (refs.length === 0 && digestRefs.length === 0) continue;
        }
        const tags = refs.filter((r) => r.tag !== undefined).map((r) => familiarString(r));
        if (filters.has('dangling')) {
          const want = filters.get('dangling')[0];
          if (want !== 'true' && want !== 'false' && want !== '1' && want !== '0') {
            throw new InvalidArgumentError(`Invalid filter 'dangling=${want ?? ''}'`);
          }
          const dangling = tx.tagsOf(img.id).length === 0;
          if (dangling !== (want === 'true' || want === '1')) continue;
        }
        if (filters.has('label') && !filters.matchKVList('label', cfg.config?.Labels ?? {})) continue;
        if (before.some((b) => created >= unixSeconds(parseConfig(b).created))) continue;
        if (since.some((s) => created <= unixSeconds(parseConfig(s).created))) continue;
        const summary: ImageSummary = {
          Containers: -1,
          Created: created,
          Id: img.id,
          Labels: cfg.config?.Labels ?? null,
          ParentId: '',
          RepoDigests: digestRefs.map((r) => familiarString(r)),
          RepoTags: tags,
          SharedSize: -1,
          Size: img.size,
        };
        if (opts.apiVersion < 1.44) summary.VirtualSize = img.size;
        out.push(summary);
      }
      return out.sort((a, b) => b.Created - a.Created);
    });
  }

  inspect(refOrId: string, apiVersion: number): Record<string, unknown> {
    return this.#deps.metadata.view((tx) => {
      const img = resolveImage(tx, refOrId);
      const cfg = parseConfig(img);
      const layers = img.chainIds.map((c) => tx.getLayer(c));
      const dirs = layers.map((l) => (l ? this.#deps.snapshotter.contentDir(l.snapshotId) : ''));
      const top = dirs[dirs.length - 1] ?? '';
      const out: Record<string, unknown> = {
        Id: img.id,
        RepoTags: tagsOf(tx, img.id),
        RepoDigests: img.repoDigests.map((d) => familiarString(parseReference(d))),
        Parent: '',
        Comment: cfg.comment ?? '',
        Created: cfg.created ?? '0001-01-01T00:00:00Z',
        DockerVersion: cfg.docker_version ?? '',
        Author: cfg.author ?? '',
        Config: cfg.config ?? null,
        Architecture: cfg.architecture,
        Os: cfg.os,
        Size: img.size,
        GraphDriver: {
          Name: 'overlay2',
          Data: dirs.length === 0 ? null : { LowerDir: dirs.slice(0, -1).reverse().join(':') || undefined, UpperDir: top },
        },
        RootFS: { Type: 'layers', Layers: cfg.rootfs.diff_ids },
        Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
      };
      if (cfg.variant) out['Variant'] = cfg.variant;
      if (apiVersion < 1.44) {
        out['Container'] = typeof cfg['container'] === 'string' ? cfg['container'] : '';
        out['ContainerConfig'] = cfg.container_config ?? emptyContainerConfig();
        out['VirtualSize'] = img.size;
      }
      return out;
    });
  }

  history(refOrId: string): HistoryItem[] {
    return this.#deps.metadata.view((tx) => {
      const img = resolveImage(tx, refOrId);
      const cfg = parseConfig(img);
      const layers = img.chainIds.map((c) => tx.getLayer(c));
      const items: HistoryItem[] = [];
      let layerIndex = 0;
      for (const h of cfg.history ?? []) {
        let size = 0;
        if (!h.empty_layer) {
          size = layers[layerIndex]?.size ?? 0;
          layerIndex++;
        }
        items.push({
          Id: '<missing>',
          Created: unixSeconds(h.created),
          CreatedBy: h.created_by ?? '',
          Tags: null,
          Size: size,
          Comment: h.comment ?? '',
        });
      }
      items.reverse();
      if (items.length === 0) {
        items.push({ Id: img.id, Created: unixSeconds(cfg.created), CreatedBy: '', Tags: null, Size: img.size, Comment: '' });
      }
      const topItem = items[0]!;
      topItem.Id = img.id;
      const tags = tagsOf(tx, img.id);
      topItem.Tags = tags.length > 0 ? tags : null;
      return items;
    });
  }

  tag(source: string, repo: string, tag: string | undefined): void {
    const target = parseRepositoryTag(repo, tag);
    if (target.digest !== undefined) throw new InvalidArgumentError('refusing to create a tag with a digest reference');
    this.#deps.metadata.update((tx) => {
      const img = resolveImage(tx, source);
      tx.setTag(normalizedString(withDefaultTag(target)), img.id);
    });
  }

  /** Docker's ImageDelete: untag, then delete when nothing refers to the image any more. */
  async remove(refOrId: string, opts: { force: boolean; prune: boolean }): Promise<DeleteRecord[]> {
    return this.#deps.locks.withLock(IMAGES_LOCK, async () => {
      let garbage: GarbageCollected | undefined;
      const records = this.#deps.metadata.update((tx) => {
        const out: DeleteRecord[] = [];
        const img = resolveImage(tx, refOrId);
        const deleted = deleteImage(tx, img, refOrId, opts.force, out);
        if (deleted) garbage = tx.collectGarbage();
        return out;
      });
      if (garbage) {
        for (const l of garbage.layers) records.push({ Deleted: l.chainId });
        await removeGarbageFiles(this.#deps.content, this.#deps.snapshotter, garbage, this.#deps.log);
      }
      return records;
    });
  }

  /**
   * `docker image prune`: removes dangling images (no tag), or with `dangling=false` every image no container
   * uses, narrowed by `until` and `label`. Space reclaimed is the size of the layers that went.
   */
  async prune(filters: Filters): Promise<{ ImagesDeleted: DeleteRecord[] | null; SpaceReclaimed: number }> {
    filters.validate(['dangling', 'until', 'label', 'label!']);
    const dangling = filters.get('dangling')[0] ?? 'true';
    if (!['true', 'false', '1', '0'].includes(dangling)) throw new InvalidArgumentError(`Invalid filter 'dangling=${dangling}'`);
    const danglingOnly = dangling === 'true' || dangling === '1';
    const keep = pruneFilter(filters, this.#deps.now());
    const candidates = this.#deps.metadata.view((tx) =>
      tx.listImages().filter((img) => {
        if (tx.containersUsingImage(img.id).length > 0) return false;
        if (danglingOnly && tx.tagsOf(img.id).length > 0) return false;
        const cfg = parseConfig(img);
        return keep(new Date(unixSeconds(cfg.created) * 1000), cfg.config?.Labels ?? {});
      }),
    );
    const deleted: DeleteRecord[] = [];
    let reclaimed = 0;
    for (const img of candidates) {
      try {
        const records = await this.remove(img.id, { force: true, prune: true });
        deleted.push(...records);
        reclaimed += img.size;
      } catch (err) {
        this.#deps.log.warn('prune could not remove an image', { id: img.id, error: String(err) });
      }
    }
    return { ImagesDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: reclaimed };
  }

  /** Removes unreferenced layers, snapshots and blobs (after a container or image went away). */
  async collectGarbage(): Promise<void> {
    await this.#deps.locks.withLock(IMAGES_LOCK, async () => {
      const garbage = this.#deps.metadata.update((tx) => tx.collectGarbage());
      await removeGarbageFiles(this.#deps.content, this.#deps.snapshotter, garbage, this.#deps.log);
    });
  }
}

export function tagsOf(tx: ReadTx, id: Digest): string[] {
  return tx
    .tagsOf(id)
    .map((r) => parseReference(r))
    .filter((r) => r.tag !== undefined)
    .map((r) => familiarString(r));
}

function deleteImage(tx: WriteTx, img: ImageRecord, given: string, force: boolean, out: DeleteRecord[]): boolean {
  const short = shortHex(img.id);
  const users = tx.containersUsingImage(img.id);
  const running = users.find((c) => c.state.status === 'running' || c.state.status === 'paused' || c.state.status === 'restarting');
  let quiet = false;
  if (!isIdReference(img, given)) {
    if (users.length > 0 && !force) {
      throw new ConflictError(
        `conflict: unable to remove repository reference "${given}" (must force) - container ${shortHex(users[0]!.id)} is using its referenced image ${short}`,
      );
    }
    const ref = withDefaultTag(parseReference(given));
    tx.deleteTag(normalizedString(ref));
    out.push({ Untagged: familiarString(ref) });
    if (tx.tagsOf(img.id).length > 0) return false;
    quiet = true;
  } else {
    const refs = tx.tagsOf(img.id);
    const singleRepo = new Set(refs.map((r) => r.replace(/[:@][^:@/]*$/, ''))).size <= 1 && refs.filter((r) => !r.includes('@')).length <= 1;
    if (refs.length > 0 && !singleRepo && !force) {
      throw new ConflictError(`conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`);
    }
    if (singleRepo) {
      if (running) {
        throw new ConflictError(`conflict: unable to delete ${short} (cannot be forced) - image is being used by running container ${shortHex(running.id)}`);
      }
      if (users.length > 0 && !force) {
        throw new ConflictError(`conflict: unable to delete ${short} (must be forced) - image is being used by stopped container ${shortHex(users[0]!.id)}`);
      }
    }
  }
  // The image itself: hard conflicts (a running container) can't be forced; soft ones (a stopped container) can.
  if (running || (users.length > 0 && !force)) {
    if (quiet) return false;
    if (running) {
      throw new ConflictError(`conflict: unable to delete ${short} (cannot be forced) - image is being used by running container ${shortHex(running.id)}`);
    }
    throw new ConflictError(`conflict: unable to delete ${short} (must be forced) - image is being used by stopped container ${shortHex(users[0]!.id)}`);
  }
  for (const ref of tx.tagsOf(img.id)) {
    tx.deleteTag(ref);
    out.push({ Untagged: familiarString(parseReference(ref)) });
  }
  tx.deleteImage(img.id);
  out.push({ Deleted: img.id });
  return true;
}

function emptyContainerConfig(): Record<string, unknown> {
  return {
    Hostname: '',
    Domainname: '',
    User: '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: null,
    Cmd: null,
    Image: '',
    Volumes: null,
    WorkingDir: '',
    Entrypoint: null,
    OnBuild: null,
    Labels: null,
  };
}
