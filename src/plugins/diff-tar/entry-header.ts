import type { Header } from 'tar-stream';
import { invalidEntry } from './entry-path.js';

export type EntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

/** One tar header, checked and with its pax overrides applied: the only shape the layer writer sees. */
export interface EntryHeader {
  name: string;
  type: EntryType;
  /** Bytes of data that follow the header (file content). */
  size: number;
  /** Permission bits including setuid, setgid and sticky. */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch, fractional when pax gave sub-second times. */
  atime: number;
  mtime: number;
  /** Symlink or hardlink target as written in the archive. */
  linkname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes to set, by name (pax `SCHILY.xattr.<name>`, already filtered). */
  xattrs: Map<string, Buffer>;
}

const TYPES: ReadonlyMap<string, EntryType> = new Map<string, EntryType>([
  ['file', 'file'],
  ['contiguous-file', 'file'],
  ['directory', 'directory'],
  ['symlink', 'symlink'],
  ['link', 'hardlink'],
  ['character-device', 'char'],
  ['block-device', 'block'],
  ['fifo', 'fifo'],
]);

const XATTR_PREFIX = 'SCHILY.xattr.';
/** Namespaces Linux stores; anything else (e.g. macOS `com.apple.*`) the kernel would refuse with ENOTSUP. */
const XATTR_NAMESPACES = ['security.', 'system.', 'trusted.', 'user.'];
/** The setfattr dump format cannot carry `=`, spaces or control characters in a name. */
const XATTR_NAME_RE = /^[\x21-\x3c\x3e-\x7e]+$/;
const MAX_ID = 0xfffffffe;

/**
 * Checks a header from tar-stream: numbers must be numbers (a corrupt octal field decodes to NaN), and the
 * pax records tar-stream leaves alone (uid, gid, mtime, atime, xattrs) are applied here.
 */
export function readEntryHeader(h: Header): EntryHeader {
  const name = h.name;
  const type = h.type ? TYPES.get(h.type) : undefined;
  if (type === undefined) throw invalidEntry(name, `unsupported entry type ${JSON.stringify(h.type ?? 'unknown')}`);
  const pax = paxRecords(h);

  const uid = idField(name, 'uid', pax.get('uid'), h.uid);
  const gid = idField(name, 'gid', pax.get('gid'), h.gid);
  const mode = h.mode ?? 0;
  if (!Number.isInteger(mode) || mode < 0) throw invalidEntry(name, 'invalid mode');
  const mtime = timeField(name, 'mtime', pax.get('mtime'), h.mtime ? h.mtime.getTime() / 1000 : 0);
  const atime = timeField(name, 'atime', pax.get('atime'), mtime);
  const size = h.size ?? 0;
  if (!Number.isSafeInteger(size) || size < 0) throw invalidEntry(name, 'invalid size');
  const devmajor = h.devmajor ?? 0;
  const devminor = h.devminor ?? 0;
  if (![devmajor, devminor].every((n) => Number.isInteger(n) && n >= 0)) throw invalidEntry(name, 'invalid device number');

  const xattrs = new Map<string, Buffer>();
  for (const [key, value] of pax) {
    if (!key.startsWith(XATTR_PREFIX)) continue;
    const xname = key.slice(XATTR_PREFIX.length);
    // Overlay's own attributes (opaque, redirect, metacopy, origin) steer how layers are merged: they come
    // only from whiteout entries, never from the archive.
    if (xname.startsWith('trusted.overlay.')) continue;
    if (!XATTR_NAMESPACES.some((ns) => xname.startsWith(ns))) continue;
    if (!XATTR_NAME_RE.test(xname)) throw invalidEntry(name, `unsupported xattr name ${JSON.stringify(xname)}`);
    // tar-stream decodes pax values as UTF-8, so bytes that are not UTF-8 (binary capability sets can hold
    // them) arrive as U+FFFD and cannot be recovered. Refuse rather than write a different value.
    if (value.includes('\uFFFD')) {
      throw invalidEntry(name, `xattr ${JSON.stringify(xname)} has a binary value this tar reader cannot carry yet`);
    }
    xattrs.set(xname, Buffer.from(value, 'utf8'));
  }

  return { name, type, size, mode: mode & 0o7777, uid, gid, atime, mtime, linkname: h.linkname ?? '', devmajor, devminor, xattrs };
}

function paxRecords(h: Header): Map<string, string> {
  const out = new Map<string, string>();
  const pax = h.pax;
  if (pax === null || typeof pax !== 'object') return out;
  for (const [k, v] of Object.entries(pax)) if (typeof v === 'string') out.set(k, v);
  return out;
}

function idField(entry: string, field: string, paxValue: string | undefined, headerValue: number | undefined): number {
  const value = paxValue !== undefined ? (/^\d+$/.test(paxValue) ? Number(paxValue) : Number.NaN) : (headerValue ?? 0);
  if (!Number.isInteger(value) || value < 0 || value > MAX_ID) throw invalidEntry(entry, `invalid ${field}`);
  return value;
}

function timeField(entry: string, field: string, paxValue: string | undefined, fallback: number): number {
  const value = paxValue !== undefined ? (/^-?\d+(\.\d+)?$/.test(paxValue) ? Number(paxValue) : Number.NaN) : fallback;
  if (!Number.isFinite(value)) throw invalidEntry(entry, `invalid ${field}`);
  return value;
}
