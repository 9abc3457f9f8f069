/**
 * A small, fast reader of tar streams (ustar, pax and GNU long names; what Go's archive/tar and GNU tar
 * write) for build contexts: tar-stream's per-entry stream machinery costs more than the bytes when a context
 * holds thousands of small files. Every header's checksum is verified; sizes are checked; paths are returned as
 * written (the caller cleans them). Entries are delivered through callbacks as bytes arrive: `onEntry` once the
 * header is known, `onData` for each piece of the body, `onEnd` when the body is complete.
 */
export interface TarHeader {
  name: string;
  type: 'file' | 'link' | 'symlink' | 'directory' | 'character-device' | 'block-device' | 'fifo' | 'other';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: Date;
  linkname: string;
}

export interface TarVisitor {
  onEntry(header: TarHeader): void | Promise<void>;
  onData(chunk: Buffer): void | Promise<void>;
  onEnd(): void | Promise<void>;
}

export class TarFormatError extends Error {}

const BLOCK = 512;
const MAX_META = 1024 * 1024;

const TYPES: Record<string, TarHeader['type']> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'link', '2': 'symlink', '3': 'character-device', '4': 'block-device', '5': 'directory', '6': 'fifo',
};

/** Reads the whole stream, calling the visitor for each entry in order. Returns the number of entries. */
export async function readTar(source: AsyncIterable<Buffer | Uint8Array> | Iterable<Buffer | Uint8Array>, visitor: TarVisitor): Promise<number> {
  let buf = Buffer.alloc(0);
  let remaining = 0; // body bytes of the current entry still to deliver
  let padding = 0; // zero bytes after the body
  let meta: { kind: 'pax' | 'longname' | 'longlink' | 'skip'; size: number; chunks: Buffer[]; got: number } | undefined;
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  let entries = 0;
  let ended = false;
  for await (const c of source) {
    if (ended) continue;
    buf = buf.length === 0 ? Buffer.from(c) : Buffer.concat([buf, c]);
    for (;;) {
      if (remaining > 0) {
        if (buf.length === 0) break;
        const take = Math.min(remaining, buf.length);
        const piece = buf.subarray(0, take);
        buf = buf.subarray(take);
        remaining -= take;
        if (meta) {
          meta.chunks.push(Buffer.from(piece));
          meta.got += take;
        } else {
          await visitor.onData(piece);
        }
        if (remaining > 0) break;
        if (meta) {
          const text = Buffer.concat(meta.chunks).toString('utf8');
          if (meta.kind === 'pax') pax = parsePax(text);
          else if (meta.kind === 'skip') pax = { ...pax };
          else if (meta.kind === 'longname') longName = text.replace(/\0.*$/s, '');
          else longLink = text.replace(/\0.*$/s, '');
          meta = undefined;
        } else {
          await visitor.onEnd();
        }
      }
      if (padding > 0) {
        const take = Math.min(padding, buf.length);
        buf = buf.subarray(take);
        padding -= take;
        if (padding > 0) break;
      }
      if (buf.length < BLOCK) break;
      const block = buf.subarray(0, BLOCK);
      buf = buf.subarray(BLOCK);
      if (block.every((b) => b === 0)) {
        ended = true;
        break;
      }
      verifyChecksum(block);
      const typeflag = String.fromCharCode(block[156] as number);
      const size = parseNumber(block.subarray(124, 136), 'size');
      if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
        if (size > MAX_META) throw new TarFormatError('pax or long-name header too large');
        if (typeflag === 'g') {
          // Global pax headers: Docker's writers never emit them; their content is skipped.
          meta = { kind: 'skip', size, chunks: [], got: 0 };
          remaining = size;
          padding = pad(size);
          if (size === 0) meta = undefined;
          continue;
        }
        meta = { kind: typeflag === 'x' ? 'pax' : typeflag === 'L' ? 'longname' : 'longlink', size, chunks: [], got: 0 };
        remaining = size;
        padding = pad(size);
        if (size === 0) {
          meta = undefined;
        }
        continue;
      }
      const magic = block.subarray(257, 263).toString('latin1');
      const prefix = magic.startsWith('ustar') && magic !== 'ustar ' ? cstring(block.subarray(345, 500)) : '';
      let name = cstring(block.subarray(0, 100));
      if (prefix !== '') name = `${prefix}/${name}`;
      const header: TarHeader = {
        name: pax['path'] ?? longName ?? name,
        type: TYPES[typeflag] ?? 'other',
        mode: parseNumber(block.subarray(100, 108), 'mode'),
        uid: pax['uid'] !== undefined ? Number(pax['uid']) : parseNumber(block.subarray(108, 116), 'uid'),
        gid: pax['gid'] !== undefined ? Number(pax['gid']) : parseNumber(block.subarray(116, 124), 'gid'),
        size: pax['size'] !== undefined ? Number(pax['size']) : size,
        mtime: new Date((pax['mtime'] !== undefined ? Number(pax['mtime']) : parseNumber(block.subarray(136, 148), 'mtime')) * 1000),
        linkname: pax['linkpath'] ?? longLink ?? cstring(block.subarray(157, 257)),
      };
      if (!Number.isSafeInteger(header.size) || header.size < 0) throw new TarFormatError('invalid size');
      pax = {};
      longName = undefined;
      longLink = undefined;
      entries++;
      await visitor.onEntry(header);
      const bodySize = header.type === 'file' ? header.size : header.type === 'link' || header.type === 'symlink' || header.type === 'directory' ? 0 : header.size;
      remaining = bodySize;
      padding = pad(bodySize);
      if (bodySize === 0) await visitor.onEnd();
    }
  }
  if (!ended && (remaining > 0 || meta || buf.length > 0)) throw new TarFormatError('unexpected end of data');
  return entries;
}

function pad(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

function cstring(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end < 0 ? b.length : end).toString('utf8');
}

function parseNumber(field: Buffer, what: string): number {
  // GNU base-256: the high bit of the first byte set.
  if (((field[0] as number) & 0x80) !== 0) {
    let n = (field[0] as number) & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + (field[i] as number);
    if (!Number.isSafeInteger(n)) throw new TarFormatError(`invalid ${what}`);
    return n;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`invalid ${what} field`);
  return parseInt(text, 8);
}

function verifyChecksum(block: Buffer): void {
  const stored = parseNumber(block.subarray(148, 156), 'checksum');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (block[i] as number);
  if (sum !== stored) throw new TarFormatError('corrupt header (checksum mismatch), or not an uncompressed tar');
}

/** pax records: `<len> <key>=<value>\n`. */
function parsePax(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  const bytes = Buffer.from(text, 'utf8');
  while (i < bytes.length) {
    const sp = bytes.indexOf(0x20, i);
    if (sp < 0) break;
    const len = Number(bytes.subarray(i, sp).toString('latin1'));
    if (!Number.isSafeInteger(len) || len <= 0 || i + len > bytes.length) throw new TarFormatError('invalid pax record');
    const record = bytes.subarray(sp + 1, i + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    i += len;
  }
  return out;
}
