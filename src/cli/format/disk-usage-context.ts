/**
 * `system df`: docker/cli's DiskUsageContext. The summary is one row per kind of object (Images, Containers, Local
 * Volumes, Build Cache) with its count, how many are in use, the space taken and how much of it could be reclaimed;
 * `-v` prints a table per kind instead.
 */
import type { BuildCacheRecord, ContainerSummary, DiskUsage, ImageSummary, Volume } from '../../client/types.js';
import { GO_MARSHAL_JSON, GO_TYPE } from '../../pkg/go-template.js';
import { familiarName, tryParseReference } from '../../pkg/reference.js';
import { humanDuration, humanSize, humanSize4 } from '../../pkg/units.js';
import { CONTAINER_HEADER, ContainerContext } from './container-context.js';
import { marshalContext, parseFormat, RAW_FORMAT_KEY, renderFormat, TABLE_FORMAT_KEY, truncateId } from './formatter.js';
import { IMAGE_HEADER, ImageContext } from './image-context.js';
import { StatusError } from '../errors.js';

const DEFAULT_TABLE_FORMAT = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
const RAW_SUMMARY_FORMAT = 'type: {{.Type}}\ntotal: {{.TotalCount}}\nactive: {{.Active}}\nsize: {{.Size}}\nreclaimable: {{.Reclaimable}}\n';
const IMAGE_TABLE_FORMAT = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}';
const CONTAINER_TABLE_FORMAT = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}';
const VOLUME_TABLE_FORMAT = 'table {{.Name}}\t{{.Links}}\t{{.Size}}';
const BUILD_CACHE_TABLE_FORMAT = 'table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}';

export const DISK_USAGE_HEADER: Record<string, string> = {
  Type: 'TYPE',
  TotalCount: 'TOTAL',
  Active: 'ACTIVE',
  Size: 'SIZE',
  Reclaimable: 'RECLAIMABLE',
};

const VOLUME_HEADER: Record<string, string> = {
  Name: 'VOLUME NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS',
  Links: 'LINKS',
  Size: 'SIZE',
  Group: 'GROUP',
  Availability: 'AVAILABILITY',
  Status: 'STATUS',
};

const BUILD_CACHE_HEADER: Record<string, string> = {
  ID: 'CACHE ID',
  Parent: 'PARENT',
  CacheType: 'CACHE TYPE',
  Size: 'SIZE',
  CreatedSince: 'CREATED',
  LastUsedSince: 'LAST USED',
  UsageCount: 'USAGE',
  InUse: 'IN USE',
  Shared: 'SHARED',
  Description: 'DESCRIPTION',
};

/** `12.5MB (40%)`: the percentage is Go's integer division. */
function withPercent(reclaimable: number, total: number): string {
  if (total > 0) return `${humanSize4(reclaimable)} (${Math.trunc((reclaimable * 100) / total)}%)`;
  return humanSize4(reclaimable);
}

/** One summary row; the four kinds differ only in how they count. */
abstract class SummaryRow {
  abstract readonly [GO_TYPE]: string;
  abstract Type(): string;
  abstract TotalCount(): string;
  abstract Active(): string;
  abstract Size(): string;
  abstract Reclaimable(): string;

  [GO_MARSHAL_JSON](): string {
    return marshalContext({ Active: this.Active(), Reclaimable: this.Reclaimable(), Size: this.Size(), TotalCount: this.TotalCount(), Type: this.Type() });
  }
}

class ImagesRow extends SummaryRow {
  readonly [GO_TYPE] = '*formatter.diskUsageImagesContext';
  constructor(
    readonly totalSize: number,
    readonly images: readonly ImageSummary[],
  ) {
    super();
  }
  Type(): string {
    return 'Images';
  }
  TotalCount(): string {
    return String(this.images.length);
  }
  Active(): string {
    return String(this.images.filter((i) => i.Containers > 0).length);
  }
  Size(): string {
    return humanSize4(this.totalSize);
  }
  Reclaimable(): string {
    let used = 0;
    for (const i of this.images) {
      if (i.Containers === 0 || i.Size === -1 || i.SharedSize === -1) continue;
      used += i.Size - i.SharedSize;
    }
    return withPercent(this.totalSize - used, this.totalSize);
  }
}

function isActiveContainer(c: ContainerSummary): boolean {
  return c.State === 'running' || c.State === 'paused' || c.State === 'restarting';
}

class ContainersRow extends SummaryRow {
  readonly [GO_TYPE] = '*formatter.diskUsageContainersContext';
  constructor(readonly containers: readonly ContainerSummary[]) {
    super();
  }
  Type(): string {
    return 'Containers';
  }
  TotalCount(): string {
    return String(this.containers.length);
  }
  Active(): string {
    return String(this.containers.filter(isActiveContainer).length);
  }
  Size(): string {
    return humanSize4(this.containers.reduce((n, c) => n + (c.SizeRw ?? 0), 0));
  }
  Reclaimable(): string {
    let reclaimable = 0;
    let total = 0;
    for (const c of this.containers) {
      if (!isActiveContainer(c)) reclaimable += c.SizeRw ?? 0;
      total += c.SizeRw ?? 0;
    }
    return withPercent(reclaimable, total);
  }
}

class VolumesRow extends SummaryRow {
  readonly [GO_TYPE] = '*formatter.diskUsageVolumesContext';
  constructor(readonly volumes: readonly Volume[]) {
    super();
  }
  Type(): string {
    return 'Local Volumes';
  }
  TotalCount(): string {
    return String(this.volumes.length);
  }
  Active(): string {
    return String(this.volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length);
  }
  Size(): string {
    let size = 0;
    for (const v of this.volumes) {
      const s = v.UsageData?.Size ?? -1;
      if (s !== -1) size += s;
    }
    return humanSize4(size);
  }
  Reclaimable(): string {
    let reclaimable = 0;
    let total = 0;
    for (const v of this.volumes) {
      const s = v.UsageData?.Size ?? -1;
      if (s === -1) continue;
      if ((v.UsageData?.RefCount ?? 0) === 0) reclaimable += s;
      total += s;
    }
    return withPercent(reclaimable, total);
  }
}

class BuildCacheRow extends SummaryRow {
  readonly [GO_TYPE] = '*formatter.diskUsageBuilderContext';
  constructor(
    readonly builderSize: number,
    readonly records: readonly BuildCacheRecord[],
  ) {
    super();
  }
  Type(): string {
    return 'Build Cache';
  }
  TotalCount(): string {
    return String(this.records.length);
  }
  Active(): string {
    return String(this.records.filter((r) => r.InUse).length);
  }
  Size(): string {
    return humanSize4(this.builderSize);
  }
  Reclaimable(): string {
    const inUse = this.records.filter((r) => r.InUse && !r.Shared).reduce((n, r) => n + r.Size, 0);
    return humanSize4(this.builderSize - inUse);
  }
}

/** The four summary rows, in docker's order. The build cache counts only records that are not shared. */
export function diskUsageRows(du: DiskUsage): SummaryRow[] {
  const cache = du.BuildCache ?? [];
  const builderSize = cache.filter((r) => !r.Shared).reduce((n, r) => n + r.Size, 0);
  return [
    new ImagesRow(du.LayersSize ?? 0, du.Images ?? []),
    new ContainersRow(du.Containers ?? []),
    new VolumesRow(du.Volumes ?? []),
    new BuildCacheRow(builderSize, cache),
  ];
}

// -- verbose ----------------------------------------------------------------------------------------------------

export class DfVolumeContext {
  readonly [GO_TYPE] = '*formatter.volumeContext';
  readonly #v: Volume;
  constructor(v: Volume) {
    this.#v = v;
  }
  Name(): string {
    return this.#v.Name;
  }
  Driver(): string {
    return this.#v.Driver;
  }
  Scope(): string {
    return this.#v.Scope;
  }
  Mountpoint(): string {
    return this.#v.Mountpoint;
  }
  Labels(): string {
    return Object.entries(this.#v.Labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
  }
  Label(name: string): string {
    return this.#v.Labels?.[name] ?? '';
  }
  Links(): string {
    return this.#v.UsageData ? String(this.#v.UsageData.RefCount) : 'N/A';
  }
  Size(): string {
    return this.#v.UsageData ? humanSize4(this.#v.UsageData.Size) : 'N/A';
  }
  [GO_MARSHAL_JSON](): string {
    return marshalContext({
      Driver: this.Driver(),
      Labels: this.Labels(),
      Links: this.Links(),
      Mountpoint: this.Mountpoint(),
      Name: this.Name(),
      Scope: this.Scope(),
      Size: this.Size(),
    });
  }
}

export class BuildCacheContext {
  readonly [GO_TYPE] = '*formatter.buildCacheContext';
  readonly #r: BuildCacheRecord;
  readonly #trunc: boolean;
  readonly #now: number;
  constructor(r: BuildCacheRecord, trunc: boolean, now: number) {
    this.#r = r;
    this.#trunc = trunc;
    this.#now = now;
  }
  ID(): string {
    const id = this.#trunc ? truncateId(this.#r.ID) : this.#r.ID;
    return this.#r.InUse ? `${id}*` : id;
  }
  Parent(): string {
    const parent = (this.#r.Parents ?? []).length > 0 ? this.#r.Parents!.join(', ') : (this.#r.Parent ?? '');
    return this.#trunc ? truncateId(parent) : parent;
  }
  CacheType(): string {
    return this.#r.Type;
  }
  Description(): string {
    return this.#r.Description;
  }
  Size(): string {
    return humanSize(this.#r.Size);
  }
  CreatedAt(): string {
    return this.#r.CreatedAt;
  }
  CreatedSince(): string {
    return `${humanDuration(this.#now - Date.parse(this.#r.CreatedAt))} ago`;
  }
  LastUsedAt(): string {
    return this.#r.LastUsedAt ?? '';
  }
  LastUsedSince(): string {
    if (!this.#r.LastUsedAt) return '';
    return `${humanDuration(this.#now - Date.parse(this.#r.LastUsedAt))} ago`;
  }
  UsageCount(): string {
    return String(this.#r.UsageCount);
  }
  InUse(): string {
    return String(this.#r.InUse);
  }
  Shared(): string {
    return String(this.#r.Shared);
  }
  [GO_MARSHAL_JSON](): string {
    return marshalContext({
      CacheType: this.CacheType(),
      CreatedAt: this.CreatedAt(),
      CreatedSince: this.CreatedSince(),
      Description: this.Description(),
      ID: this.ID(),
      InUse: this.InUse(),
      LastUsedAt: this.LastUsedAt(),
      LastUsedSince: this.LastUsedSince(),
      Parent: this.Parent(),
      Shared: this.Shared(),
      Size: this.Size(),
      UsageCount: this.UsageCount(),
    });
  }
}

/** docker's buildCacheSort: never-used records first, then by last use, ties by ID. */
export function sortBuildCache(records: readonly BuildCacheRecord[]): BuildCacheRecord[] {
  return [...records].sort((a, b) => {
    const la = a.LastUsedAt ? Date.parse(a.LastUsedAt) : undefined;
    const lb = b.LastUsedAt ? Date.parse(b.LastUsedAt) : undefined;
    if (la === undefined && lb !== undefined) return -1;
    if (lb === undefined && la !== undefined) return 1;
    if (la !== undefined && lb !== undefined && la !== lb) return la - lb;
    return a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0;
  });
}

function isDangling(img: ImageSummary): boolean {
  const tags = img.RepoTags ?? [];
  const digests = img.RepoDigests ?? [];
  if (tags.length === 0 && digests.length === 0) return true;
  return tags.length === 1 && tags[0] === '<none>:<none>' && digests.length === 1 && digests[0] === '<none>@<none>';
}

/** The verbose image rows: repository and tag from the first tag only, `<none>` for dangling images. */
function verboseImageRows(images: readonly ImageSummary[], trunc: boolean, now: number): ImageContext[] {
  const rows: ImageContext[] = [];
  for (const i of images) {
    let repo = '<none>';
    let tag = '<none>';
    if ((i.RepoTags ?? []).length > 0 && !isDangling(i)) {
      const ref = tryParseReference(i.RepoTags![0]!);
      if (!ref) continue;
      if (ref.tag !== undefined && ref.digest === undefined) {
        repo = familiarName(ref);
        tag = ref.tag;
      }
    }
    rows.push(new ImageContext(i, trunc, repo, tag, '', now));
  }
  return rows;
}

/** docker's NewDiskUsageFormat for the summary (non-verbose) output. */
export function diskUsageFormat(source: string): string {
  if (source === '' || source === TABLE_FORMAT_KEY) return DEFAULT_TABLE_FORMAT;
  if (source === RAW_FORMAT_KEY) return RAW_SUMMARY_FORMAT;
  return source;
}

/** Renders `system df` output for `format` (empty: the table). */
export function formatDiskUsage(du: DiskUsage, opts: { format: string; verbose: boolean; now?: number }): string {
  const now = opts.now ?? Date.now();
  const format = opts.format === '' ? TABLE_FORMAT_KEY : opts.format;
  if (!opts.verbose) return renderFormat(diskUsageFormat(format), DISK_USAGE_HEADER, diskUsageRows(du));

  const trunc = format.startsWith(TABLE_FORMAT_KEY);
  const images = verboseImageRows(du.Images ?? [], trunc, now);
  // The verbose container rows never show the virtual size.
  const containers = (du.Containers ?? []).map((c) => new ContainerContext({ ...c, SizeRootFs: 0 }, trunc, now));
  const volumes = (du.Volumes ?? []).map((v) => new DfVolumeContext(v));
  const cache = du.BuildCache ?? [];
  const builds = sortBuildCache(cache).map((r) => new BuildCacheContext(r, trunc, now));
  if (format === TABLE_FORMAT_KEY) {
    const builderSize = cache.filter((r) => !r.Shared).reduce((n, r) => n + r.Size, 0);
    return [
      'Images space usage:\n\n',
      renderFormat(IMAGE_TABLE_FORMAT, IMAGE_HEADER, images),
      '\nContainers space usage:\n\n',
      renderFormat(CONTAINER_TABLE_FORMAT, CONTAINER_HEADER, containers),
      '\nLocal Volumes space usage:\n\n',
      renderFormat(VOLUME_TABLE_FORMAT, VOLUME_HEADER, volumes),
      `\nBuild cache usage: ${humanSize4(builderSize)}\n\n`,
      renderFormat(BUILD_CACHE_TABLE_FORMAT, BUILD_CACHE_HEADER, builds),
    ].join('');
  }
  // Any other verbose format runs once over all four lists, as docker's does (no newline added).
  const tmpl = parseFormat(format);
  try {
    return tmpl.execute({ [GO_TYPE]: '*formatter.diskUsageContext', Images: images, Containers: containers, Volumes: volumes, BuildCache: builds });
  } catch (e) {
    throw new StatusError(`template parsing error: ${(e as Error).message}`, 1);
  }
}
