/**
 * The small part of the DNS wire format (RFC 1035) the embedded name server needs: read a query's header and
 * first question, and write an answer with A or PTR records, an empty answer, or an error code. Names are
 * read with compression pointers followed (bounded, so a looping packet is refused, not spun on).
 */

export const TYPE_A = 1;
export const TYPE_PTR = 12;
export const TYPE_AAAA = 28;
export const CLASS_IN = 1;

export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;

export interface DnsQuestion {
  name: string;
  type: number;
  klass: number;
}

export interface DnsQuery {
  id: number;
  /** Recursion desired, echoed in the answer. */
  rd: boolean;
  opcode: number;
  question: DnsQuestion;
  /** The bytes of the question section, echoed in the answer. */
  questionBytes: Buffer;
}

export class DnsFormatError extends Error {}

/** Reads a query (QR=0, one question at least); throws DnsFormatError on anything malformed. */
export function parseQuery(msg: Buffer): DnsQuery {
  if (msg.length < 12) throw new DnsFormatError('Short DNS header');
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000) throw new DnsFormatError('Not a query');
  const qdcount = msg.readUInt16BE(4);
  if (qdcount < 1) throw new DnsFormatError('No question');
  const { name, end } = readName(msg, 12);
  if (end + 4 > msg.length) throw new DnsFormatError('Truncated question');
  const type = msg.readUInt16BE(end);
  const klass = msg.readUInt16BE(end + 2);
  return { id, rd: (flags & 0x0100) !== 0, opcode: (flags >> 11) & 0xf, question: { name, type, klass }, questionBytes: msg.subarray(12, end + 4) };
}

/** A name at `offset`, lower-cased, without the final dot; `end` is where the name ends in place. */
export function readName(msg: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let pos = offset;
  let end = -1;
  for (let jumps = 0; ; ) {
    if (pos >= msg.length) throw new DnsFormatError('Name runs past the message');
    const len = msg[pos]!;
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= msg.length) throw new DnsFormatError('Truncated pointer');
      if (++jumps > 16) throw new DnsFormatError('Too many compression pointers');
      if (end < 0) end = pos + 2;
      pos = ((len & 0x3f) << 8) | msg[pos + 1]!;
      continue;
    }
    if (len > 63) throw new DnsFormatError('Bad label length');
    if (pos + 1 + len > msg.length) throw new DnsFormatError('Label runs past the message');
    labels.push(msg.subarray(pos + 1, pos + 1 + len).toString('latin1').toLowerCase());
    pos += 1 + len;
    if (labels.join('.').length > 253) throw new DnsFormatError('Name too long');
  }
  return { name: labels.join('.'), end };
}

export function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter((l) => l !== '');
  const bufs: Buffer[] = [];
  for (const p of parts) {
    const b = Buffer.from(p, 'latin1');
    if (b.length > 63) throw new DnsFormatError('Label too long');
    bufs.push(Buffer.from([b.length]), b);
  }
  bufs.push(Buffer.from([0]));
  return Buffer.concat(bufs);
}

export interface DnsAnswer {
  type: typeof TYPE_A | typeof TYPE_PTR;
  ttl: number;
  /** An IPv4 address for A, a name for PTR. */
  data: string;
}

/**
 * The response to `q`: authoritative-free (AA=0, as Docker's resolver), RA set, the question echoed, then the
 * answers, each naming the question by a pointer to offset 12.
 */
export function buildResponse(q: DnsQuery, rcode: number, answers: DnsAnswer[] = []): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  header.writeUInt16BE(0x8000 | (q.opcode << 11) | (q.rd ? 0x0100 : 0) | 0x0080 | (rcode & 0xf), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  const rrs = answers.map((a) => {
    const rdata = a.type === TYPE_A ? Buffer.from(a.data.split('.').map(Number)) : encodeName(a.data);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(a.type, 2);
    rr.writeUInt16BE(CLASS_IN, 4);
    rr.writeUInt32BE(a.ttl, 6);
    rr.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([rr, rdata]);
  });
  return Buffer.concat([header, q.questionBytes, ...rrs]);
}

/** A minimal error answer for a packet that could not be parsed but has an id (FORMERR). */
export function formatErrorResponse(msg: Buffer): Buffer | undefined {
  if (msg.length < 2) return undefined;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(msg.readUInt16BE(0), 0);
  header.writeUInt16BE(0x8000 | RCODE_FORMERR, 2);
  return header;
}

/** Builds a query (for tests and for clients): one question, RD set. */
export function buildQuery(id: number, name: string, type: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(CLASS_IN, 2);
  return Buffer.concat([header, encodeName(name), tail]);
}

/** Reads a response's rcode and its A/PTR answers (for tests and the forwarder's checks). */
export function parseResponse(msg: Buffer): { id: number; rcode: number; answers: { type: number; data: string }[] } {
  if (msg.length < 12) throw new DnsFormatError('Short DNS header');
  const id = msg.readUInt16BE(0);
  const rcode = msg.readUInt16BE(2) & 0xf;
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  let pos = 12;
  for (let i = 0; i < qd; i++) pos = readName(msg, pos).end + 4;
  const answers: { type: number; data: string }[] = [];
  for (let i = 0; i < an; i++) {
    pos = readName(msg, pos).end;
    if (pos + 10 > msg.length) throw new DnsFormatError('Truncated record');
    const type = msg.readUInt16BE(pos);
    const len = msg.readUInt16BE(pos + 8);
    const start = pos + 10;
    if (start + len > msg.length) throw new DnsFormatError('Truncated record data');
    const data = type === TYPE_A && len === 4 ? [...msg.subarray(start, start + 4)].join('.') : type === TYPE_PTR ? readName(msg, start).name : msg.subarray(start, start + len).toString('hex');
    answers.push({ type, data });
    pos = start + len;
  }
  return { id, rcode, answers };
}

/** `4.3.2.1.in-addr.arpa` → `1.2.3.4`, or undefined for another name. */
export function reverseName(name: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(name);
  return m ? `${m[4]}.${m[3]}.${m[2]}.${m[1]}` : undefined;
}
