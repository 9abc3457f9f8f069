import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, lchown, lstat, mkdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError, NotImplementedError } from '../../core/errdefs.js';
import { detectCompression, decompressStream } from '../../pkg/decompress.js';
import { parseFlags, type Instruction } from '../../pkg/dockerfile/parse.js';
import { expandWords, type Lookup } from '../../pkg/dockerfile/shell-words.js';
import { mountAll, unmount } from '../../pkg/mounter.js';
import { resolveUser } from '../containers/user-lookup.js';
import { newSnapshotId } from '../images/layer-unpacker.js';
import { contextPath, goMatchRegExp, hasWildcards, type BuildContext } from './build-context.js';
import type { BuildDeps, BuildState, StepChanges } from './build-types.js';
import { copyFromContext, copyTree, mkdirInRoot, resolveInRoot, type Owner } from './copy-files.js';
import type { FileReuse } from './file-reuse.js';
import { expandOrThrow } from './stages.js';

export interface CopyEnv {
  deps: BuildDeps;
  ctx: BuildContext;
  scratch: string;
  escape: string;
  lookup: Lookup;
  workingDir: string;
  state: BuildState;
  stageState: (ref: string) => Promise<BuildState>;
  /** Files earlier runs of a COPY placed, to link rather than write again. */
  reuse: FileReuse | undefined;
  /** `--no-cache`: nothing from earlier builds is used, not even their files. */
  noCache: boolean;
  signal: AbortSignal | undefined;
}

type Source =
  | { kind: 'context'; rel: string; shown: string }
  | { kind: 'state'; path: string; shown: string }
  | { kind: 'file'; hostPath: string; name: string; shown: string; mode: number; mtime?: Date };

export interface PreparedCopy {
  cacheText: string;
  createdBy: string;
  /**
   * Every copied file's fingerprint, by path, for explaining cache misses. Worked out when asked (on a
   * miss): a cache hit, the common case, never needs it.
   */
  files(): Record<string, string>;
  /** Runs the copy into a new active snapshot over the state. */
  execute: () => Promise<StepChanges>;
}

const MAX_DESCRIBED_FILES = 5000;

/**
 * COPY and ADD. Sources are resolved and hashed first (content and metadata, not mtimes) so the cache can
 * decide; on a miss the files are copied into an overlay over the current state, whose upper directory is
 * then the step's layer. Paths inside the target root are resolved in scope, never through to the host.
 */
export async function copyStep(env: CopyEnv, ins: Instruction): Promise<PreparedCopy> {
  const isAdd = ins.cmd === 'add';
  const NAME = ins.cmd.toUpperCase();
  const flags = parseFlags(ins, isAdd ? ['chown', 'chmod', 'link', 'checksum', 'keep-git-dir', 'exclude', 'from'] : ['from', 'chown', 'chmod', 'link', 'parents', 'exclude']);
  for (const unsupported of ['parents', 'exclude', 'checksum']) {
    if (flags.has(unsupported)) throw new NotImplementedError(`${NAME} --${unsupported} is not supported by berth yet`);
  }
  const expand = (w: string): string => expandOrThrow(w, env.lookup, env.escape, ins);
  const words = ins.json ? ins.json.map(expand) : expandWords(ins.rest, env.lookup, env.escape);
  if (words.length < 2) {
    throw new InvalidArgumentError(`dockerfile parse error on line ${ins.line}: ${NAME} requires at least two arguments, but only one was provided. Destination could not be determined.`);
  }
  const dest = words[words.length - 1] as string;
  const srcArgs = words.slice(0, -1);
  const chown = flags.get('chown')?.[0] !== undefined ? expand(flags.get('chown')?.[0] as string) : undefined;
  const chmodText = flags.get('chmod')?.[0];
  let chmodMode: number | undefined;
  if (chmodText !== undefined) {
    if (!/^[0-7]{1,4}$/.test(chmodText)) throw new InvalidArgumentError(`invalid chmod parameter: ${chmodText}`);
    chmodMode = parseInt(chmodText, 8);
  }
  const fromRef = flags.get('from')?.[0] !== undefined ? expand(flags.get('from')?.[0] as string) : undefined;
  const fromState = fromRef !== undefined ? await env.stageState(fromRef) : undefined;

  const sources: Source[] = [];
  const files: Record<string, string> = {};
  const hashes: string[] = [];
  /** Context paths whose files are listed by `describeFiles`. */
  const describedRoots: string[] = [];
  let described = 0;
  const describe = (rel: string): void => {
    const node = env.ctx.node(rel);
    if (node?.type === 'dir') {
      for (const name of env.ctx.children(rel)) {
        const child = rel === '' ? name : `${rel}/${name}`;
        if (env.ctx.ignored(child)) continue;
        describe(child);
      }
    } else if (node && described++ < MAX_DESCRIBED_FILES) {
      files[rel] = env.ctx.fingerprint(rel) ?? '';
    }
  };
  for (const src of srcArgs) {
    const heredoc = /^<<-?(\w+)$/.exec(src);
    const doc = heredoc ? ins.heredocs.find((h) => h.name === heredoc[1]) : undefined;
    if (doc) {
      const hostPath = join(env.scratch, `heredoc-${randomBytes(6).toString('hex')}`);
      const content = doc.expand ? expandOrThrow(doc.content.replace(/"/g, '\\"'), env.lookup, env.escape, ins) : doc.content;
      await writeFile(hostPath, content);
      sources.push({ kind: 'file', hostPath, name: doc.name, shown: src, mode: 0o644 });
      hashes.push(`heredoc:${sha(content)}`);
      continue;
    }
    if (isAdd && /^https?:\/\//i.test(src)) {
      const fetched = await download(src, env.scratch, env.signal);
      sources.push({ kind: 'file', hostPath: fetched.path, name: fetched.name, shown: src, mode: 0o600, ...(fetched.mtime ? { mtime: fetched.mtime } : {}) });
      hashes.push(`url:${src}:${fetched.digest}`);
      files[src] = fetched.digest.slice(0, 16);
      continue;
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(src) || /^git@/.test(src)) {
      throw new InvalidArgumentError(`${NAME} failed: source ${src} is not supported${isAdd ? ' (ADD takes http and https URLs)' : ''}`);
    }
    if (fromState) {
      const p = posix.normalize(`/${src}`);
      sources.push({ kind: 'state', path: p, shown: src });
      hashes.push(`state:${fromState.id}:${p}`);
      continue;
    }
    const cleaned = contextPath(src);
    const matches = hasWildcards(cleaned) ? env.ctx.allPaths().filter((p) => goMatchRegExp(cleaned).test(p)) : [cleaned];
    if (hasWildcards(cleaned) && matches.length === 0) throw new InvalidArgumentError(`${NAME} failed: no source files were specified`);
    for (const rel of matches) {
      const resolved = env.ctx.resolve(rel);
      const node = resolved === undefined ? undefined : env.ctx.node(resolved);
      if (resolved === undefined || !node || env.ctx.ignored(rel) || env.ctx.ignored(resolved)) {
        throw new InvalidArgumentError(`${NAME} failed: file not found in build context or excluded by .dockerignore: stat ${src}: file does not exist`);
      }
      sources.push({ kind: 'context', rel: resolved, shown: rel === '' ? '.' : rel });
      hashes.push(`${node.type === 'dir' ? 'dir' : 'file'}:${env.ctx.hashPath(resolved)}:${rel}`);
      describedRoots.push(resolved);
    }
  }
  const destIsDir = dest.endsWith('/') || dest === '.' || dest === '..' || dest.endsWith('/.');
  if (sources.length > 1 && !destIsDir) {
    throw new InvalidArgumentError(`When using ${NAME} with more than one source file, the destination must be a directory and end with a /`);
  }
  const destAbs = dest.startsWith('/') ? dest : posix.join(env.workingDir, dest);
  const first = hashes[0] ?? '';
  const summary = hashes.length === 1 ? `${first.split(':')[0]}:${sha(first)}` : `multi:${sha(hashes.join('\n'))}`;
  const createdBy = `/bin/sh -c #(nop) ${NAME} ${summary} in ${destAbs}${destIsDir ? '/' : ''} `;
  const cacheText = JSON.stringify([createdBy, hashes, chown ?? null, chmodMode ?? null, fromState?.id ?? null]);
  // Which earlier runs count as this COPY's for linking files: the same sources to the same place.
  const reuseKey = JSON.stringify([NAME, srcArgs, destAbs, chmodMode ?? null]);

  const execute = async (allowFast = true): Promise<StepChanges> => {
    const deps = env.deps;
    const slow = (): Promise<StepChanges> => execute(false);
    const lowerIds = snapshotIdsOf(deps, env.state);
    const snapshotId = newSnapshotId();
    await deps.snapshotter.prepareActive(snapshotId);
    const root = join(env.scratch, `root-${snapshotId}`);
    const fromRoot = join(env.scratch, `from-${snapshotId}`);
    let mounted = false;
    let fromMounted = false;
    try {
      const fast = allowFast && sources.every((src) => src.kind === 'context') && chown === undefined ? await directTarget(deps, snapshotId, lowerIds, destAbs) : undefined;
      if (fast) {
        // Nothing at the destination in any layer: write straight into the step's upper directory, no overlay.
        const upper = deps.snapshotter.contentDir(snapshotId);
        const owner: Owner = { uid: 0, gid: 0 };
        const placement = env.reuse?.placement(reuseKey, upper, !env.noCache);
        for (const src of sources) {
          if (src.kind !== 'context') continue;
          const node = env.ctx.node(src.rel);
          if (!node || (isAdd && node.type === 'file' && isArchive(await env.ctx.content(node)))) throw new FallBack();
          if (node.type === 'dir') {
            await fast.ensure(destAbs, owner);
            await copyFromContext(env.ctx, src.rel, join(upper, destAbs), { owner, mode: chmodMode, keepTop: true, placement });
          } else {
            const target = destIsDir ? posix.join(destAbs, posix.basename(src.rel)) : destAbs;
            await fast.ensure(posix.dirname(target), owner);
            await copyFromContext(env.ctx, src.rel, join(upper, target), { owner, mode: chmodMode, placement });
          }
        }
        if (placement && placement.linked > 0) deps.log.debug('build copy reused files', { linked: placement.linked });
        return { snapshotId, neverMounted: true, knownContent: placement?.knownContent, onLayer: (chainId) => placement?.committed(chainId) };
      }
      await mkdir(root, { recursive: true });
      await mountAll(deps.snapshotter.mounts(snapshotId, lowerIds), root);
      mounted = true;

      let owner: Owner | undefined = { uid: 0, gid: 0 };
      if (chown !== undefined) {
        const layerDirs = [deps.snapshotter.contentDir(snapshotId), ...lowerIds.map((s) => deps.snapshotter.contentDir(s))];
        const u = await resolveUser(chown, layerDirs);
        owner = { uid: u.uid, gid: u.gid };
      }
      if (fromState) {
        await mkdir(fromRoot, { recursive: true });
        const ids = snapshotIdsOf(deps, fromState);
        if (ids.length > 0) {
          await mountAll(deps.snapshotter.viewMounts(ids), fromRoot);
          fromMounted = true;
        }
      }
      for (const s of sources) {
        if (s.kind === 'context') {
          const node = env.ctx.node(s.rel);
          if (!node) continue;
          if (isAdd && node.type === 'file' && isArchive(await env.ctx.content(node))) {
            const unpacked = env.ctx.scratchPath(`unpack-${randomBytes(6).toString('hex')}`);
            await mkdir(unpacked);
            const { stream } = await decompressStream(Readable.from([await env.ctx.content(node)]));
            await deps.differ.applyLayer(stream, unpacked, env.signal ? { signal: env.signal } : {});
            const target = await mkdirInRoot(root, destAbs, owner);
            await copyTree(unpacked, target, { owner: chown !== undefined ? owner : undefined, mode: chmodMode, rel: '', keepTop: true });
            await rm(unpacked, { recursive: true, force: true });
            continue;
          }
          if (node.type === 'dir') {
            const target = await mkdirInRoot(root, destAbs, owner);
            await copyFromContext(env.ctx, s.rel, target, { owner, mode: chmodMode, keepTop: true });
            continue;
          }
          const hostDst = await fileTarget(root, destAbs, destIsDir, posix.basename(s.rel), owner);
          await copyFromContext(env.ctx, s.rel, hostDst, { owner, mode: chmodMode });
          continue;
        }
        let hostSrc: string;
        let name: string;
        if (s.kind === 'state') {
          hostSrc = await resolveInRoot(fromRoot, s.path, true);
          if (!(await lstat(hostSrc).catch(() => undefined))) {
            throw new InvalidArgumentError(`${NAME} failed: stat ${s.path}: file does not exist`);
          }
          name = posix.basename(s.path);
        } else {
          hostSrc = s.hostPath;
          name = s.name;
          await utimes(hostSrc, s.mtime ?? new Date(), s.mtime ?? new Date());
        }
        const st = await stat(hostSrc);
        if (st.isDirectory()) {
          const target = await mkdirInRoot(root, destAbs, owner);
          await copyTree(hostSrc, target, { owner, mode: chmodMode, rel: '', keepTop: true });
          continue;
        }
        const hostDst = await fileTarget(root, destAbs, destIsDir, name, owner);
        await copyTree(hostSrc, hostDst, { owner, mode: chmodMode ?? (s.kind === 'file' ? s.mode : undefined), rel: '' });
      }
    } catch (err) {
      if (mounted) await unmount(root, { lazy: true }).catch(() => undefined);
      mounted = false;
      await deps.snapshotter.remove(snapshotId).catch(() => undefined);
      if (err instanceof FallBack) return slow();
      throw err;
    } finally {
      if (fromMounted) await unmount(fromRoot, { lazy: true }).catch(() => undefined);
      if (mounted) await unmount(root);
      await rm(root, { recursive: true, force: true }).catch(() => undefined);
      await rm(fromRoot, { recursive: true, force: true }).catch(() => undefined);
    }
    return { snapshotId };
  };
  let listed = false;
  const describeFiles = (): Record<string, string> => {
    if (!listed) for (const rel of describedRoots) describe(rel);
    listed = true;
    return files;
  };
  return { cacheText, createdBy, files: describeFiles, execute: () => execute() };
}

export function snapshotIdsOf(deps: BuildDeps, state: BuildState): string[] {
  return deps.metadata.view((tx) =>
    state.chainIds
      .map((c) => {
        const l = tx.getLayer(c);
        if (!l) throw new InvalidArgumentError(`layer ${c} of the build state is gone`);
        return l.snapshotId;
      })
      .reverse(),
  );
}

function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** A local file ADD unpacks: a tar, plain or compressed. */
function isArchive(content: Buffer): boolean {
  if (detectCompression(content.subarray(0, 8)) !== 'none') return true;
  return content.length >= 262 && content.subarray(257, 262).toString('latin1') === 'ustar';
}

/** Where a single file goes: into `dest` when it names a directory (trailing `/` or an existing one), else `dest`. */
async function fileTarget(root: string, destAbs: string, destIsDir: boolean, name: string, owner: Owner): Promise<string> {
  let targetPath = destAbs;
  const existing = await lstat(await resolveInRoot(root, destAbs, true)).catch(() => undefined);
  if (destIsDir || existing?.isDirectory()) targetPath = posix.join(destAbs, name);
  await mkdirInRoot(root, posix.dirname(targetPath), owner);
  return resolveInRoot(root, targetPath, false);
}

/** ADD <url>: fetched into the scratch directory, hashed on the way. */
async function download(url: string, scratch: string, signal: AbortSignal | undefined): Promise<{ path: string; name: string; digest: string; mtime?: Date }> {
  const res = await fetch(url, signal ? { signal } : {}).catch((err: unknown) => {
    throw new InvalidArgumentError(`failed to fetch ${url}: ${(err as Error).message}`);
  });
  if (!res.ok || !res.body) throw new InvalidArgumentError(`failed to GET ${url} with status ${res.status} ${res.statusText}`);
  const path = join(scratch, `download-${randomBytes(6).toString('hex')}`);
  const h = createHash('sha256');
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  body.on('data', (c: Buffer) => h.update(c));
  await pipeline(body, createWriteStream(path, { mode: 0o600 }));
  const name = decodeURIComponent(new URL(url).pathname.split('/').filter(Boolean).pop() ?? '') || '__unnamed__';
  const lm = res.headers.get('last-modified');
  const mtime = lm ? new Date(lm) : undefined;
  return { path, name, digest: h.digest('hex'), ...(mtime && !Number.isNaN(mtime.getTime()) ? { mtime } : {}) };
}

class FallBack extends Error {}

/**
 * Whether a COPY can write straight into the step's (empty) upper directory: true when the destination exists
 * in no layer and every existing directory above it is a plain directory. `ensure` then makes the directories
 * of a path in the upper directory, existing ones with their metadata from the top-most layer that has them
 * (what overlayfs's copy-up would do), new ones owned by `owner`. Anything else (a symlink on the way, a
 * whiteout, an existing destination) goes through the mounted overlay.
 */
async function directTarget(deps: BuildDeps, snapshotId: string, lowerIds: readonly string[], destAbs: string): Promise<{ ensure: (dir: string, owner: Owner) => Promise<void> } | undefined> {
  const lowers = lowerIds.map((id) => deps.snapshotter.contentDir(id));
  const upper = deps.snapshotter.contentDir(snapshotId);
  const topMost = async (p: string): Promise<import('node:fs').Stats | undefined> => {
    for (const l of lowers) {
      const st = await lstat(join(l, p)).catch(() => undefined);
      if (st) return st;
    }
    return undefined;
  };
  const parts = destAbs.split('/').filter(Boolean);
  if (parts.length === 0) return undefined;
  for (let i = 1; i <= parts.length; i++) {
    const st = await topMost(parts.slice(0, i).join('/'));
    if (i === parts.length) {
      if (st) return undefined;
    } else if (st && !st.isDirectory()) {
      return undefined;
    } else if (!st) {
      break;
    }
  }
  const made = new Set<string>();
  return {
    ensure: async (dir: string, owner: Owner): Promise<void> => {
      const comps = dir.split('/').filter(Boolean);
      for (let i = 1; i <= comps.length; i++) {
        const p = comps.slice(0, i).join('/');
        if (made.has(p)) continue;
        const host = join(upper, p);
        const st = await topMost(p);
        if (st && !st.isDirectory()) throw new FallBack();
        await mkdir(host, { mode: 0o755 }).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err;
        });
        await lchown(host, st?.uid ?? owner.uid, st?.gid ?? owner.gid);
        await chmod(host, st ? st.mode & 0o7777 : 0o755);
        made.add(p);
      }
    },
  };
}
