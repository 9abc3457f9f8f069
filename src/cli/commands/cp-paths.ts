/**
 * moby's archive copy rules (pkg/archive/copy.go) that `docker cp` applies on the client: how a source and a
 * destination path decide the directory the archive is extracted into, and the name its top entry gets.
 */
import { posix } from 'node:path';
import type { Readable } from 'node:stream';

export interface CopyInfo {
  path: string;
  exists: boolean;
  isDir: boolean;
  /** A name the archive's top entry must be given (a followed symlink keeps the link's name). */
  rebaseName: string;
}

/** moby's ErrNotDirectory, ErrDirNotExists, ErrCannotCopyDir. */
export const ERR_DIR_NOT_EXISTS = 'no such directory';
export const ERR_CANNOT_COPY_DIR = 'cannot copy directory';

export function hasTrailingSeparator(path: string): boolean {
  return path.length > 0 && path.endsWith('/');
}

/** The path's last element is `.` (e.g. `dir/.`): it means the directory's content. */
export function specifiesCurrentDir(path: string): boolean {
  return posix.basename(path) === '.' || path === '.';
}

/** A trailing separator or `/.` says the path must be a directory. */
export function assertsDirectory(path: string): boolean {
  return hasTrailingSeparator(path) || specifiesCurrentDir(path);
}

/** moby's SplitPathDirEntry: Clean, keeping a final `.`, then Dir and Base. */
export function splitPathDirEntry(path: string): [string, string] {
  let cleaned = goClean(path);
  if (specifiesCurrentDir(path)) cleaned = cleaned === '/' ? '/.' : `${cleaned}/.`;
  return [goDir(cleaned), goBase(cleaned)];
}

/** Go's filepath.Clean. */
export function goClean(path: string): string {
  if (path === '') return '.';
  const n = posix.normalize(path);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

function goDir(path: string): string {
  const i = path.lastIndexOf('/');
  if (i < 0) return '.';
  return goClean(path.slice(0, i + 1));
}

function goBase(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return path === '' ? '.' : '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/**
 * moby's PrepareArchiveCopy: where to extract and whether to rename the archive's entries. Into an existing
 * directory the archive goes as it is; otherwise into the destination's parent, renamed to the destination's
 * base name. A directory onto an existing file, or a file onto a missing path that asserts a directory, fails.
 */
export function prepareArchiveCopy(
  archive: Readable,
  src: CopyInfo,
  dst: CopyInfo,
  rebase: (archive: Readable, oldBase: string, newBase: string) => Readable,
): { dstDir: string; archive: Readable } {
  const [dstDir, dstBase] = splitPathDirEntry(dst.path);
  let [, srcBase] = splitPathDirEntry(src.path);
  if (dst.exists && dst.isDir) return { dstDir: dst.path, archive };
  if (dst.exists && src.isDir) throw new Error(ERR_CANNOT_COPY_DIR);
  if (!dst.exists && !src.isDir && assertsDirectory(dst.path)) throw new Error(ERR_DIR_NOT_EXISTS);
  if (src.rebaseName !== '') srcBase = src.rebaseName;
  return { dstDir, archive: rebase(archive, srcBase, dstBase) };
}
