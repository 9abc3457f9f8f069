/**
 * Encoding tar headers (POSIX ustar, with a PAX extended header when a name, link target, size or id does not
 * fit), as Go's archive/tar writes them for Docker. Only writing: parsing stays with tar-stream.
 */
export type TarEntryType = 'file' | 'link' | 'symlink' | 'character-device' | 'block-device' | 'directory' | 'fifo';

export interface TarHeader {
  name: string;
  type: TarEntryType;
  /** Permission bits with setuid/setgid/sticky (07777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}

const TYPE_FLAGS: Record<TarEntryType, string> = {
  file: '0',
  link: '1',
  symlink: '2',
  'character-device': '3',
  'block-device': '4',
  directory: '5',
  fifo: '6',
};

const BLOCK = 512;
export const END_OF_ARCHIVE = Buffer.alloc(BLOCK * 2);
const ZEROS = Buffer.alloc(BLOCK);

/** Zero bytes that pad `size` bytes of content to a whole block. */
export function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? ZEROS.subarray(0, 0) : ZEROS.subarray(0, BLOCK - rest);
}

/** The header block(s) of one entry: a PAX header first when some field does not fit ustar. */
export function encodeHeader(h: TarHeader): Buffer {
  const pax: Array<[string, string]> = [];
  const nameBytes = Buffer.byteLength(h.name);
  if (nameBytes > 100) pax.push(['path', h.name]);
  if (h.linkname !== undefined && Buffer.byteLength(h.linkname) > 100) pax.push(['linkpath', h.linkname]);
  if (h.size > 0o77777777777) pax.push(['size', String(h.size)]);
  if (h.uid > 0o7777777) pax.push(['uid', String(h.uid)]);
  if (h.gid > 0o7777777) pax.push(['gid', String(h.gid)]);
  const main = ustar(h, {
    name: nameBytes > 100 ? truncateUtf8(h.name, 100) : h.name,
    linkname: h.linkname !== undefined && Buffer.byteLength(h.linkname) > 100 ? truncateUtf8(h.linkname, 100) : (h.linkname ?? ''),
    size: h.size > 0o77777777777 ? 0 : h.size,
    uid: h.uid > 0o7777777 ? 0 : h.uid,
    gid: h.gid > 0o7777777 ? 0 : h.gid,
  });
  if (pax.length === 0) return main;
  const body = Buffer.from(pax.map(([k, v]) => paxRecord(k, v)).join(''));
  const paxHeader = ustar(
    { name: '', type: 'file', mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: h.mtime },
    { name: truncateUtf8(`PaxHeaders.0/${h.name.split('/').filter(Boolean).pop() ?? ''}`, 100), linkname: '', size: body.length, uid: 0, gid: 0 },
    'x',
  );
  return Buffer.concat([paxHeader, body, padding(body.length), main]);
}

function ustar(
  h: TarHeader,
  f: { name: string; linkname: string; size: number; uid: number; gid: number },
  typeFlag = TYPE_FLAGS[h.type],
): Buffer {
  const buf = Buffer.alloc(BLOCK);
  buf.write(f.name, 0, 100, 'utf8');
  octal(buf, 100, 8, h.mode & 0o7777);
  octal(buf, 108, 8, f.uid);
  octal(buf, 116, 8, f.gid);
  octal(buf, 124, 12, f.size);
  octal(buf, 136, 12, Math.max(0, Math.floor(h.mtime)));
  buf.write(typeFlag, 156, 1, 'latin1');
  buf.write(f.linkname, 157, 100, 'utf8');
  buf.write('ustar\x0000', 257, 8, 'latin1');
  octal(buf, 329, 8, h.devmajor ?? 0);
  octal(buf, 337, 8, h.devminor ?? 0);
  // The checksum is computed with its own field as spaces.
  buf.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += buf[i]!;
  buf.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return buf;
}

function octal(buf: Buffer, offset: number, width: number, value: number): void {
  buf.write(`${value.toString(8).padStart(width - 1, '0')}\0`, offset, width, 'latin1');
}

/** A PAX record: "<len> <key>=<value>\n", where len counts its own digits. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  const restBytes = Buffer.byteLength(rest);
  let len = restBytes + 1;
  while (String(len).length + restBytes !== len) len = String(len).length + restBytes;
  return `${len}${rest}`;
}

function truncateUtf8(s: string, bytes: number): string {
  const b = Buffer.from(s);
  return b.length <= bytes ? s : b.subarray(0, bytes).toString('utf8').replace(/\uFFFD$/, '');
}
