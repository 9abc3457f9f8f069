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

/**
 * Reads the whole stream, calling the visitor for each entry in order. Returns the number of entries.
 * `onData` gets views into the source's chunks, never copies: a visitor that keeps a piece copies it.
 */
export async function readTar(source: AsyncIterable<Buffer | Uint8Array> | Iterable<Buffer | Uint8Array>, visitor: TarVisitor): Promise<number> {
  // A header split between two chunks is gathered here; everything else is read where it arrived, so the
  // bytes of the archive are never copied on their way to the visitor.
  const partial = Buffer.alloc(BLOCK);
  let partialLength = 0;
  let remaining = 0; // body bytes of the current entry still to deliver
  let padding = 0; // zero bytes after the body
  let meta: { kind: 'pax' | 'longname' | 'longlink' | 'skip'; chunks: Buffer[] } | undefined;
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  let entries = 0;
  let ended = false;
  for await (const c of source) {
    if (ended) continue;
    const chunk = Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    let pos = 0;
    while (pos < chunk.length && !ended) {
      if (remaining > 0) {
        const take = Math.min(remaining, chunk.length - pos);
        const piece = chunk.subarray(pos, pos + take);
        pos += take;
        remaining -= take;
        if (meta) meta.chunks.push(Buffer.from(piece));
        else {
          // Awaited only when the visitor returns a promise: most pieces need none, and awaiting costs an allocation.
          const pending = visitor.onData(piece);
          if (pending) await pending;
        }
        if (remaining > 0) break;
        if (meta) {
          const text = Buffer.concat(meta.chunks).toString('utf8');
          if (meta.kind === 'pax') pax = parsePax(text);
          else if (meta.kind === 'longname') longName = text.replace(/\0.*$/s, '');
          else if (meta.kind === 'longlink') longLink = text.replace(/\0.*$/s, '');
          meta = undefined;
        } else {
          const pending = visitor.onEnd();
          if (pending) await pending;
        }
        continue;
      }
      if (padding > 0) {
        const take = Math.min(padding, chunk.length - pos);
        pos += take;
        padding -= take;
        continue;
      }
      let block: Buffer;
      if (partialLength === 0 && chunk.length - pos >= BLOCK) {
        block = chunk.subarray(pos, pos + BLOCK);
        pos += BLOCK;
      } else {
        const take = Math.min(BLOCK - partialLength, chunk.length - pos);
        chunk.copy(partial, partialLength, pos, pos + take);
        partialLength += take;
        pos += take;
        if (partialLength < BLOCK) break;
        partialLength = 0;
        block = partial;
      }
      if (isZeroBlock(block)) {
        ended = true;
        break;
      }
      verifyChecksum(block);
      const typeflag = String.fromCharCode(block[156] as number);
      const size = parseNumber(block, 124, 136, 'size');
      if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
        if (size > MAX_META) throw new TarFormatError('pax or long-name header too large');
        // Global pax headers ('g'): Docker's writers never emit them; their content is skipped.
        meta = size === 0 ? undefined : { kind: typeflag === 'x' ? 'pax' : typeflag === 'L' ? 'longname' : typeflag === 'K' ? 'longlink' : 'skip', chunks: [] };
        remaining = size;
        padding = pad(size);
        continue;
      }
      const header = parseHeader(block, size, pax, longName, longLink);
      pax = {};
      longName = undefined;
      longLink = undefined;
      entries++;
      const pending = visitor.onEntry(header);
      if (pending) await pending;
      const bodySize = header.type === 'file' ? header.size : header.type === 'link' || header.type === 'symlink' || header.type === 'directory' ? 0 : header.size;
      remaining = bodySize;
      padding = pad(bodySize);
      if (bodySize === 0) {
        const ended = visitor.onEnd();
        if (ended) await ended;
      }
    }
  }
  if (!ended && (remaining > 0 || meta || partialLength > 0)) throw new TarFormatError('unexpected end of data');
  return entries;
}

function parseHeader(block: Buffer, size: number, pax: Record<string, string>, longName: string | undefined, longLink: string | undefined): TarHeader {
  // POSIX "ustar\0" has a name prefix field; GNU's "ustar " uses those bytes for other things.
  const posix = block[257] === 0x75 && block[258] === 0x73 && block[259] === 0x74 && block[260] === 0x61 && block[261] === 0x72 && block[262] !== 0x20;
  let name = pax['path'] ?? longName;
  if (name === undefined) {
    name = cstring(block, 0, 100);
    const prefix = posix ? cstring(block, 345, 500) : '';
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  const header: TarHeader = {
    name,
    type: TYPES[String.fromCharCode(block[156] as number)] ?? 'other',
    mode: parseNumber(block, 100, 108, 'mode'),
    uid: pax['uid'] !== undefined ? Number(pax['uid']) : parseNumber(block, 108, 116, 'uid'),
    gid: pax['gid'] !== undefined ? Number(pax['gid']) : parseNumber(block, 116, 124, 'gid'),
    size: pax['size'] !== undefined ? Number(pax['size']) : size,
    mtime: new Date((pax['mtime'] !== undefined ? Number(pax['mtime']) : parseNumber(block, 136, 148, 'mtime')) * 1000),
    linkname: pax['linkpath'] ?? longLink ?? cstring(block, 157, 257),
  };
  if (!Number.isSafeInteger(header.size) || header.size < 0) throw new TarFormatError('invalid size');
  return header;
}

function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

function pad(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** A NUL-terminated string in block[start, end). */
function cstring(block: Buffer, start: number, end: number): string {
  const nul = block.indexOf(0, start);
  return block.toString('utf8', start, nul < 0 || nul > end ? end : nul);
}

/** A numeric field in block[start, end): octal digits (space or NUL padded), or GNU base-256. */
function parseNumber(block: Buffer, start: number, end: number, what: string): number {
  if (((block[start] as number) & 0x80) !== 0) {
    let n = (block[start] as number) & 0x7f;
    for (let i = start + 1; i < end; i++) n = n * 256 + (block[i] as number);
    if (!Number.isSafeInteger(n)) throw new TarFormatError(`invalid ${what}`);
    return n;
  }
  let i = start;
  while (i < end && block[i] === 0x20) i++;
  let n = 0;
  let digits = 0;
  for (; i < end; i++) {
    const b = block[i] as number;
    if (b === 0) break;
    if (b === 0x20) {
      // Trailing spaces only: anything after them is garbage.
      for (let j = i; j < end && block[j] !== 0; j++) if (block[j] !== 0x20) throw new TarFormatError(`invalid ${what} field`);
      break;
    }
    if (b < 0x30 || b > 0x37) throw new TarFormatError(`invalid ${what} field`);
    n = n * 8 + (b - 0x30);
    digits++;
  }
  if (digits > 0 && !Number.isSafeInteger(n)) throw new TarFormatError(`invalid ${what} field`);
  return n;
}

function verifyChecksum(block: Buffer): void {
  const stored = parseNumber(block, 148, 156, 'checksum');
  let sum = 8 * 32; // the checksum field itself counts as spaces
  for (let i = 0; i < 148; i++) sum += block[i] as number;
  for (let i = 156; i < BLOCK; i++) sum += block[i] as number;
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
