import { InvalidArgumentError } from '../../core/errdefs.js';

/** The error for anything wrong with one tar entry: it always names the entry, quoted as JSON (names are hostile). */
export function invalidEntry(entryName: string, reason: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid tar entry ${JSON.stringify(entryName)}: ${reason}`);
}

/**
 * Turns a path from a tar header (an entry name or a hardlink target) into a clean path relative to the
 * layer root: `./` prefixes, empty and `.` components are dropped, `..` is resolved lexically. The layer
 * root itself is `''`. Absolute paths and `..` that climbs above the root are refused, naming the entry.
 *
 * Lexical resolution is the whole truth here because nothing is ever resolved through the filesystem:
 * the writer refuses any path whose parents include a symlink.
 */
export function cleanEntryPath(raw: string, entryName: string, role = 'path'): string {
  const what = role === 'path' ? 'path' : `${role} ${JSON.stringify(raw)}`;
  if (raw.includes('\0')) throw invalidEntry(entryName, `${what} contains a NUL byte`);
  if (raw.startsWith('/')) throw invalidEntry(entryName, `${what} is absolute`);
  const parts: string[] = [];
  for (const part of raw.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) throw invalidEntry(entryName, `${what} escapes the layer root`);
      parts.pop();
      continue;
    }
    parts.push(part);
  }
  return parts.join('/');
}

/** The parent of a clean relative path (`''` for a top-level name). */
export function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i === -1 ? '' : rel.slice(0, i);
}

/** Every ancestor of a clean relative path, outermost first, excluding the root and the path itself. */
export function ancestorsOf(rel: string): string[] {
  const out: string[] = [];
  for (let i = rel.indexOf('/'); i !== -1; i = rel.indexOf('/', i + 1)) out.push(rel.slice(0, i));
  return out;
}
