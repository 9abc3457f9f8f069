import { promisify } from 'node:util';
import { gzip as gzipCallback, type ZlibOptions } from 'node:zlib';

const gzip = promisify(gzipCallback) as (buf: Buffer, opts: ZlibOptions) => Promise<Buffer>;

export interface ParallelGzipOptions {
  /** Uncompressed bytes per gzip member. */
  chunkSize?: number;
  /** Members compressed at once (on libuv's thread pool). */
  concurrency?: number;
  level?: number;
}

/**
 * Compresses a stream as a series of independent gzip members, several at a time on the thread pool, and
 * yields them in order. A concatenation of gzip members is one valid gzip stream (RFC 1952 §2.2; Go's
 * gzip.Reader and zlib's gunzip read it whole), so registries and every client accept it, while a big layer
 * is compressed on every core instead of one. The price is a few bytes per member and a little ratio.
 */
export async function* gzipParallel(source: AsyncIterable<Uint8Array>, opts: ParallelGzipOptions = {}): AsyncGenerator<Buffer> {
  const chunkSize = opts.chunkSize ?? 4 * 1024 * 1024;
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  // Output in 1 MiB pieces, not zlib's 16 KiB: a 4 MiB member then takes two or three thread-pool round trips
  // instead of a hundred (measured on 200 MB: 1.96 s -> 1.33 s, and the main thread 34% -> 10% busy).
  const zopts: ZlibOptions = { level: opts.level ?? 1, chunkSize: 1024 * 1024 };
  const pending: Promise<Buffer>[] = [];
  let parts: Buffer[] = [];
  let have = 0;
  let emitted = false;
  const flush = (): void => {
    const buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts, have);
    const p = gzip(buf, zopts);
    p.catch(() => undefined); // Awaited in order below; this only keeps an early rejection from being "unhandled".
    pending.push(p);
    parts = [];
    have = 0;
  };
  for await (const raw of source) {
    let chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    while (chunk.length > 0) {
      const take = Math.min(chunk.length, chunkSize - have);
      parts.push(chunk.subarray(0, take));
      have += take;
      chunk = chunk.subarray(take);
      if (have === chunkSize) flush();
    }
    while (pending.length >= concurrency) {
      emitted = true;
      yield await pending.shift()!;
    }
  }
  if (have > 0 || (!emitted && pending.length === 0)) flush();
  while (pending.length > 0) yield await pending.shift()!;
}
