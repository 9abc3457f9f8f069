/** `images` rows: docker/cli's imageContext and the REPOSITORY/TAG/DIGEST expansion of each image. */
import type { ImageSummary } from '../../client/types.js';
import { GO_MARSHAL_JSON, GO_TYPE } from '../../pkg/go-template.js';
import { familiarName, tryParseReference } from '../../pkg/reference.js';
import { humanDuration, humanSize, humanSize4 } from '../../pkg/units.js';
import { DEFAULT_QUIET_FORMAT, goTimeString, isTableFormat, RAW_FORMAT_KEY, marshalContext, TABLE_FORMAT_KEY, truncateId } from './formatter.js';

const DEFAULT_IMAGE_TABLE_FORMAT = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
const DEFAULT_IMAGE_TABLE_FORMAT_WITH_DIGEST =
  'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';

export const IMAGE_HEADER: Record<string, string> = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

/** docker's NewImageFormat. */
export function imageFormat(source: string, quiet: boolean, digest: boolean): string {
  if (source === TABLE_FORMAT_KEY) {
    if (quiet) return DEFAULT_QUIET_FORMAT;
    return digest ? DEFAULT_IMAGE_TABLE_FORMAT_WITH_DIGEST : DEFAULT_IMAGE_TABLE_FORMAT;
  }
  if (source === RAW_FORMAT_KEY) {
    if (quiet) return 'image_id: {{.ID}}';
    if (digest) {
      return 'repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n';
    }
    return 'repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n';
  }
  if (isTableFormat(source) && digest && !source.includes('{{.Digest}}')) return `${source}\t{{.Digest}}`;
  return source;
}

export class ImageContext {
  readonly [GO_TYPE] = '*formatter.imageContext';
  readonly #i: ImageSummary;
  readonly #trunc: boolean;
  readonly #repo: string;
  readonly #tag: string;
  readonly #digest: string;
  readonly #now: number;

  constructor(i: ImageSummary, trunc: boolean, repo: string, tag: string, digest: string, now = Date.now()) {
    this.#i = i;
    this.#trunc = trunc;
    this.#repo = repo;
    this.#tag = tag;
    this.#digest = digest;
    this.#now = now;
  }

  ID(): string {
    return this.#trunc ? truncateId(this.#i.Id) : this.#i.Id;
  }
  Repository(): string {
    return this.#repo;
  }
  Tag(): string {
    return this.#tag;
  }
  Digest(): string {
    return this.#digest;
  }
  CreatedSince(): string {
    // Go's time.Unix(...).IsZero() is never true for a real timestamp; keep its shape.
    return `${humanDuration(this.#now - this.#i.Created * 1000)} ago`;
  }
  CreatedAt(): string {
    return goTimeString(this.#i.Created);
  }
  Size(): string {
    return humanSize(this.#i.Size);
  }
  Containers(): string {
    return this.#i.Containers === -1 ? 'N/A' : String(this.#i.Containers);
  }
  VirtualSize(): string {
    return humanSize4(this.#i.Size);
  }
  SharedSize(): string {
    return this.#i.SharedSize === -1 ? 'N/A' : humanSize4(this.#i.SharedSize);
  }
  UniqueSize(): string {
    if (this.#i.Size === -1 || this.#i.SharedSize === -1) return 'N/A';
    return humanSize4(this.#i.Size - this.#i.SharedSize);
  }

  [GO_MARSHAL_JSON](): string {
    return marshalContext({
      Containers: this.Containers(),
      CreatedAt: this.CreatedAt(),
      CreatedSince: this.CreatedSince(),
      Digest: this.Digest(),
      ID: this.ID(),
      Repository: this.Repository(),
      SharedSize: this.SharedSize(),
      Size: this.Size(),
      Tag: this.Tag(),
      UniqueSize: this.UniqueSize(),
      VirtualSize: this.VirtualSize(),
    });
  }
}

function isDangling(img: ImageSummary): boolean {
  const tags = img.RepoTags ?? [];
  const digests = img.RepoDigests ?? [];
  if (tags.length === 0 && digests.length === 0) return true;
  return tags.length === 1 && tags[0] === '<none>:<none>' && digests.length === 1 && digests[0] === '<none>@<none>';
}

/**
 * One row per (repository, tag[, digest]) of each image, as docker's imageFormat builds them. Docker walks Go maps
 * here, so its row order for multi-tag images is random; berth keeps the daemon's order.
 */
export function imageRows(images: readonly ImageSummary[], opts: { trunc: boolean; digest: boolean; format: string; now?: number }): ImageContext[] {
  const now = opts.now ?? Date.now();
  const needDigest = opts.digest || opts.format.includes('{{.Digest}}');
  const rows: ImageContext[] = [];
  for (const img of images) {
    if (isDangling(img)) {
      rows.push(new ImageContext(img, opts.trunc, '<none>', '<none>', '<none>', now));
      continue;
    }
    const repoTags = new Map<string, string[]>();
    const repoDigests = new Map<string, string[]>();
    for (const s of img.RepoTags ?? []) {
      const ref = tryParseReference(s);
      if (ref?.tag === undefined || ref.digest !== undefined) continue;
      const name = familiarName(ref);
      repoTags.set(name, [...(repoTags.get(name) ?? []), ref.tag]);
    }
    for (const s of img.RepoDigests ?? []) {
      const ref = tryParseReference(s);
      if (ref?.digest === undefined) continue;
      const name = familiarName(ref);
      repoDigests.set(name, [...(repoDigests.get(name) ?? []), ref.digest]);
    }
    for (const [repo, tags] of repoTags) {
      let digests = repoDigests.get(repo) ?? [];
      repoDigests.delete(repo);
      if (!needDigest) digests = [];
      for (const tag of tags) {
        if (digests.length === 0) {
          rows.push(new ImageContext(img, opts.trunc, repo, tag, '<none>', now));
          continue;
        }
        for (const d of digests) rows.push(new ImageContext(img, opts.trunc, repo, tag, d, now));
      }
    }
    for (const [repo, digests] of repoDigests) {
      if (opts.digest) {
        for (const d of digests) rows.push(new ImageContext(img, opts.trunc, repo, '<none>', d, now));
      } else {
        rows.push(new ImageContext(img, opts.trunc, repo, '<none>', '', now));
      }
    }
  }
  return rows;
}
