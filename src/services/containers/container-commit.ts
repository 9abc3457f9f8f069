import type { ContainerConfig, ContainerRecord } from '../../core/containers.js';
import type { Differ } from '../../core/diff.js';
import { InvalidArgumentError } from '../../core/errdefs.js';
import type { ImageRuntimeConfig } from '../../core/images.js';
import type { Snapshotter } from '../../core/snapshots.js';
import type { Digest } from '../../pkg/digest.js';
import { familiarString, parseRepositoryTag, withDefaultTag } from '../../pkg/reference.js';
import { commitImage } from '../images/image-commit.js';
import type { ImageStoreDeps } from '../images/image-store-deps.js';
import { applyChanges } from '../images/import-changes.js';
import { containerChanges, type Change } from './container-changes.js';
import { containerMounts, INIT_LAYER_PATHS } from './container-mounts.js';
import { mergeImageConfig } from './create-config.js';

export interface ContainerFsDeps {
  container(idOrName: string): ContainerRecord;
  pause(id: string): Promise<void>;
  unpause(id: string): Promise<void>;
  snapshotter: Snapshotter;
  differ: Differ;
  images: ImageStoreDeps;
  /** Publishes the container's `commit` event, with these attributes added to the container's own. */
  committed(c: ContainerRecord, attributes: Record<string, string>): void;
}

export interface CommitRequest {
  container: string;
  repo?: string;
  tag?: string;
  comment: string;
  author: string;
  pause: boolean;
  changes: string[];
  /** The request body: a container Config whose set fields win over the container's. */
  config: unknown;
  signal?: AbortSignal;
}

/** Runtime config fields an image carries (the rest of a container's Config is the container's own). */
const IMAGE_FIELDS = ['User', 'ExposedPorts', 'Env', 'Entrypoint', 'Cmd', 'Volumes', 'WorkingDir', 'Labels', 'StopSignal', 'Healthcheck', 'OnBuild', 'Shell', 'ArgsEscaped'] as const;

/** `docker diff`: the container's writable layer against its image (see containerChanges). */
export async function changesOf(deps: ContainerFsDeps, idOrName: string): Promise<Change[]> {
  const c = deps.container(idOrName);
  const snap = deps.snapshotter;
  return containerChanges(snap.contentDir(c.snapshotId), c.lowerSnapshotIds.map((s) => snap.contentDir(s)), { skip: hiddenPaths(c) });
}

/**
 * `docker commit`: the container's writable layer becomes a new layer over its image. A running container is
 * paused meanwhile (unless `pause` is false), so the layer is one consistent moment.
 */
export async function commitContainer(deps: ContainerFsDeps, req: CommitRequest): Promise<{ Id: Digest }> {
  const c = deps.container(req.container);
  const userConfig = parseConfigBody(req.config);
  const merged = mergeImageConfig(userConfig, imageConfigOf(c.config));
  const config = applyChanges(imageConfigOf(merged), req.changes);
  const paused = req.pause && c.state.status === 'running';
  if (paused) await deps.pause(c.id);
  try {
    const snap = deps.snapshotter;
    const layer = deps.differ.diffDirectory(snap.contentDir(c.snapshotId), { skip: hiddenPaths(c), signal: req.signal }).tar;
    const id = await commitImage(deps.images, {
      baseImageId: c.imageId,
      layer,
      config,
      containerId: c.id,
      containerConfig: imageConfigOf(c.config),
      comment: req.comment,
      author: req.author,
      createdBy: (c.config.Cmd ?? []).join(' '),
      repo: req.repo,
      tag: req.tag,
      signal: req.signal,
    });
    // Docker's attributes: the comment, the new image's ID, and the reference it was tagged with (or '').
    const imageRef = req.repo ? familiarTag(req.repo, req.tag) : '';
    deps.committed(c, { comment: req.comment, imageID: id, imageRef });
    return { Id: id };
  } finally {
    if (paused) await deps.unpause(c.id).catch(() => undefined);
  }
}

/**
 * What a container's writable layer holds that is not its own change: mount points runc made (Docker keeps
 * them in an init layer) and the destinations of its mounts, whose content lives elsewhere.
 */
function hiddenPaths(c: ContainerRecord): (path: string) => boolean {
  const tmpfs = Object.keys((c.hostConfig['Tmpfs'] as Record<string, string> | undefined) ?? {});
  const hidden = new Set([...INIT_LAYER_PATHS, ...containerMounts(c).map((m) => m.destination), ...tmpfs]);
  return (path) => hidden.has(path);
}

/** The reference the image was tagged with, short form, `:latest` when no tag was given (as dockerd says). */
function familiarTag(repo: string, tag: string | undefined): string {
  return familiarString(withDefaultTag(parseRepositoryTag(repo, tag || undefined)));
}

function imageConfigOf(config: ContainerConfig): ImageRuntimeConfig {
  const out: Record<string, unknown> = {};
  for (const key of IMAGE_FIELDS) {
    const v = config[key];
    if (v !== undefined && v !== null && v !== '') out[key] = structuredClone(v);
  }
  return out satisfies ImageRuntimeConfig;
}

function parseConfigBody(raw: unknown): ContainerConfig {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidArgumentError('invalid config: must be a JSON object');
  return raw as ContainerConfig;
}
