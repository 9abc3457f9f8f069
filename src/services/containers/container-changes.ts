import * as fs from 'node:fs';
import { at, closeQuietly, DIR_OPEN_FLAGS, errnoOf, fdOpen } from '../../pkg/rooted-fs.js';
import { opaqueDirs } from '../../pkg/overlay-opaque.js';

/** Docker's change kinds (`docker diff` prints C, A, D). */
export const CHANGE_MODIFY = 0;
export const CHANGE_ADD = 1;
export const CHANGE_DELETE = 2;

export interface Change {
  Path: string;
  Kind: 0 | 1 | 2;
}

/**
 * The changes of a container's writable layer against the image, as moby's overlay `changes` walk reports
 * them: walking the upper dir in lexical order, an overlay whiteout (0/0 character device) or an opaque
 * directory is a deletion, a path that exists in some lower layer a modification, anything else an addition;
 * a directory that exists below is only reported when its own mode or owner changed or something under it did
 * (its times move with every copy-up, so they say nothing).
 *
 * The upper dir belongs to a possibly running container: directories are opened with O_NOFOLLOW relative to
 * their parent's descriptor, so a symlink swapped in is never walked into. Each lower layer is followed in
 * step the same way.
 */
export async function containerChanges(
  upperDir: string,
  lowerDirs: readonly string[],
  opts: { skip?: (path: string) => boolean } = {},
): Promise<Change[]> {
  const opaque = await opaqueDirs(upperDir);
  const upperFd = await fdOpen(upperDir, DIR_OPEN_FLAGS);
  const lowerFds = await Promise.all(lowerDirs.map((d) => fdOpen(d, DIR_OPEN_FLAGS).catch(() => undefined)));
  try {
    return await walk(upperFd, lowerFds, '/', opaque, opts.skip ?? (() => false));
  } finally {
    closeQuietly(upperFd);
    for (const fd of lowerFds) if (fd !== undefined) closeQuietly(fd);
  }
}

async function walk(
  dirFd: number,
  lowerFds: ReadonlyArray<number | undefined>,
  dirPath: string,
  opaque: ReadonlySet<string>,
  skip: (path: string) => boolean,
): Promise<Change[]> {
  const out: Change[] = [];
  const names = (await fs.promises.readdir(at(dirFd))).sort();
  for (const name of names) {
    const path = dirPath === '/' ? `/${name}` : `${dirPath}/${name}`;
    if (skip(path)) continue;
    let st: fs.Stats;
    try {
      st = await fs.promises.lstat(at(dirFd, name));
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') continue;
      throw err;
    }
    if (st.isCharacterDevice() && st.rdev === 0) {
      out.push({ Path: path, Kind: CHANGE_DELETE });
      continue;
    }
    const lowerStats = await Promise.all(lowerFds.map((fd) => (fd === undefined ? undefined : fs.promises.lstat(at(fd, name)).catch(() => undefined))));
    const below = lowerStats.find((s) => s !== undefined);
    if (!st.isDirectory()) {
      out.push({ Path: path, Kind: below ? CHANGE_MODIFY : CHANGE_ADD });
      continue;
    }
    const isOpaque = opaque.has(path);
    const childFd = await fdOpen(at(dirFd, name), DIR_OPEN_FLAGS).catch(() => undefined);
    if (childFd === undefined) continue;
    // Lower layers are followed only through directories, and not at all below an opaque one.
    const childLowers = isOpaque
      ? []
      : await Promise.all(
          lowerFds.map((fd, i) => (fd === undefined || !lowerStats[i]?.isDirectory() ? undefined : fdOpen(at(fd, name), DIR_OPEN_FLAGS).catch(() => undefined))),
        );
    let children: Change[];
    try {
      children = await walk(childFd, childLowers, path, opaque, skip);
    } finally {
      closeQuietly(childFd);
      for (const fd of childLowers) if (fd !== undefined) closeQuietly(fd);
    }
    if (isOpaque) {
      out.push({ Path: path, Kind: CHANGE_DELETE }, ...children);
      continue;
    }
    if (!below) {
      out.push({ Path: path, Kind: CHANGE_ADD }, ...children);
      continue;
    }
    const ownChange = !below.isDirectory() || (below.mode & 0o7777) !== (st.mode & 0o7777) || below.uid !== st.uid || below.gid !== st.gid;
    if (ownChange || children.length > 0) out.push({ Path: path, Kind: CHANGE_MODIFY });
    out.push(...children);
  }
  return out;
}
