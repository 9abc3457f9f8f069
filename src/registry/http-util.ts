/**
 * Small HTTP pieces the handlers share: reading a bounded body, parsing `Range` and `Content-Range`, pagination
 * parameters and the `Link` header that points at the next page.
 */
import type { IncomingMessage } from 'node:http';
import { RegistryError } from './errors.js';

/** Reads a body of at most `limit` bytes; more is an error of the caller's choosing. */
export async function readBody(req: IncomingMessage, limit: number, tooBig: () => RegistryError): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooBig();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * A single `Range: bytes=a-b` (or `a-`, or `-n`) over a blob of `size` bytes: the inclusive span to send, undefined
 * for no or an unusable header (the whole blob is sent, as RFC 9110 allows), or 'unsatisfiable' for a 416.
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined | 'unsatisfiable' {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || (m[2] !== '' && Number(m[2]) < start)) return 'unsatisfiable';
  return { start, end };
}

/** A PATCH's `Content-Range: <start>-<end>` (distribution's form, no unit); throws RANGE_INVALID when malformed. */
export function parseContentRange(header: string | undefined): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const m = /^(?:bytes )?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  if (!m || Number(m[2]) < Number(m[1])) throw new RegistryError('RANGE_INVALID', { detail: `invalid Content-Range ${JSON.stringify(header)}` });
  return { start: Number(m[1]), end: Number(m[2]) };
}

/** The most entries one page may hold (distribution's default `maxentries`). */
export const MAX_PAGE_ENTRIES = 1000;

/** `n` and `last` from a listing URL; `n` absent means "up to the maximum". */
export function parsePagination(params: URLSearchParams): { n: number; last: string | undefined } {
  const raw = params.get('n');
  let n = MAX_PAGE_ENTRIES;
  if (raw !== null && raw !== '') {
    if (!/^\d+$/.test(raw) || Number(raw) > MAX_PAGE_ENTRIES) {
      throw new RegistryError('PAGINATION_NUMBER_INVALID', { detail: { n: raw, max: MAX_PAGE_ENTRIES } });
    }
    n = Number(raw);
  }
  const last = params.get('last') ?? undefined;
  return { n, last: last === '' ? undefined : last };
}

/** One page of a sorted list after `last`, and whether entries remain beyond it. */
export function paginate(sorted: string[], n: number, last: string | undefined): { page: string[]; more: boolean } {
  const rest = last === undefined ? sorted : sorted.filter((s) => s > last);
  return { page: rest.slice(0, n), more: rest.length > n && n > 0 };
}

/** RFC 5988 next link, as distribution writes it. */
export function nextLink(path: string, n: number, last: string): string {
  return `<${path}?last=${encodeURIComponent(last)}&n=${n}>; rel="next"`;
}
