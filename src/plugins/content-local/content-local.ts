import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { BlobInfo, ContentStore, IngestOptions } from '../../core/content.js';
import { InvalidArgumentError, NotFoundError } from '../../core/errdefs.js';
import { DigestCounter, digestHex, isDigest, type Digest } from '../../pkg/digest.js';
import { FileSink, fsyncDir } from '../../pkg/fsutil.js';

/** Bytes per read when streaming a blob out: large enough to keep syscalls few, small enough to stay off the heap's mind. */
const READ_CHUNK = 256 * 1024;

/**
 * A ContentStore on the local filesystem (containerd `plugins/content/local`).
 *
 * Layout under `root`:
 *   blobs/sha256/<hex>   committed blobs, immutable, named by their digest
 *   ingest/<random>      bytes being received; renamed into blobs/ only once verified and fsynced
 *
 * A reader therefore never sees a partial blob, and a crash leaves at most an ingest file that
 * `removeUnknown` deletes on the next start. The root is private (0700): blobs are image content that
 * other local users have no business reading.
 */
export class LocalContentStore implements ContentStore {
  readonly #blobDir: string;
  readonly #ingestDir: string;
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
    this.#blobDir = join(root, 'blobs', 'sha256');
    this.#ingestDir = join(root, 'ingest');
  }

  /** Creates the directories if needed and returns a ready store. */
  static async open(root: string): Promise<LocalContentStore> {
    const store = new LocalContentStore(root);
    await store.init();
    return store;
  }

  async init(): Promise<void> {
    await mkdir(this.#root, { recursive: true, mode: 0o700 });
    await mkdir(this.#blobDir, { recursive: true, mode: 0o700 });
    await mkdir(this.#ingestDir, { recursive: true, mode: 0o700 });
  }

  /**
   * Streams a blob, or the byte range `start..end` of it. Both bounds are inclusive, as in
   * `fs.createReadStream` (and HTTP `Range: bytes=start-end`); a range past the end yields fewer bytes.
   * A missing blob surfaces as a NotFoundError on the stream.
   */
  read(digest: Digest, opts: { start?: number; end?: number } = {}): Readable {
    const path = this.#blobPath(digest);
    const start = opts.start ?? 0;
    const end = opts.end ?? Number.POSITIVE_INFINITY;
    if (!Number.isSafeInteger(start) || start < 0 || (opts.end !== undefined && !Number.isSafeInteger(end))) {
      throw new InvalidArgumentError(`invalid byte range ${start}-${opts.end ?? ''} for blob ${digest}`);
    }
    return Readable.from(readBlob(path, digest, start, end), { objectMode: false });
  }

  async info(digest: Digest): Promise<BlobInfo> {
    try {
      const st = await stat(this.#blobPath(digest));
      return { digest, size: st.size };
    } catch (err) {
      throw notFoundOr(err, digest);
    }
  }

  async has(digest: Digest): Promise<boolean> {
    try {
      await stat(this.#blobPath(digest));
      return true;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
  }

  async ingest(source: AsyncIterable<Uint8Array> | Readable, opts: IngestOptions = {}): Promise<BlobInfo> {
    const { expected, expectedSize, signal } = opts;
    if (expected !== undefined && !isDigest(expected)) {
      throw new InvalidArgumentError(`invalid expected digest ${JSON.stringify(expected)}`);
    }
    if (expectedSize !== undefined && !(Number.isSafeInteger(expectedSize) && expectedSize >= 0)) {
      throw new InvalidArgumentError(`invalid expected size ${expectedSize}`);
    }
    signal?.throwIfAborted();

    const ingestPath = join(this.#ingestDir, randomBytes(16).toString('hex'));
    const counter = new DigestCounter();
    // A source stalled on the network would keep `for await` waiting forever: destroying it on abort makes
    // the loop throw at once. A plain async iterable is checked between chunks.
    const onAbort = (): void => {
      if (source instanceof Readable) source.destroy(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    let fh: FileHandle | undefined = await open(ingestPath, 'wx', 0o644);
    const sink = new FileSink(fh);
    let committed = false;
    try {
      for await (const chunk of source) {
        signal?.throwIfAborted();
        if (!(chunk instanceof Uint8Array)) throw new TypeError('ingest source must yield bytes, not strings or objects');
        counter.update(chunk);
        // Stop a source that sends more than announced before it fills the disk.
        if (expectedSize !== undefined && counter.size > expectedSize) {
          throw new InvalidArgumentError(`size mismatch: expected ${expectedSize} bytes, got more`);
        }
        await sink.write(chunk);
      }
      await sink.end();
      signal?.throwIfAborted();
      const info: BlobInfo = { digest: counter.digest(), size: counter.size };
      if (expectedSize !== undefined && info.size !== expectedSize) {
        throw new InvalidArgumentError(`size mismatch: expected ${expectedSize} bytes, got ${info.size}`);
      }
      if (expected !== undefined && info.digest !== expected) {
        throw new InvalidArgumentError(`digest mismatch: expected ${expected}, got ${info.digest}`);
      }
      const target = this.#blobPath(info.digest);
      // Someone stored it first: same digest, same bytes. Not an error; ours are dropped in `finally`.
      if (await this.has(info.digest)) return info;
      await fh.sync();
      await fh.close();
      fh = undefined;
      await rename(ingestPath, target);
      committed = true;
      await fsyncDir(this.#blobDir);
      return info;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await fh?.close();
      if (!committed) await rm(ingestPath, { force: true });
    }
  }

  async delete(digest: Digest): Promise<void> {
    try {
      await unlink(this.#blobPath(digest));
    } catch (err) {
      throw notFoundOr(err, digest);
    }
  }

  async list(): Promise<Digest[]> {
    const names = await readdir(this.#blobDir);
    const out: Digest[] = [];
    for (const name of names) {
      const digest = `sha256:${name}` as const;
      if (isDigest(digest)) out.push(digest);
    }
    return out.sort();
  }

  async removeUnknown(keep: ReadonlySet<Digest>): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.#ingestDir)) {
      await rm(join(this.#ingestDir, name), { recursive: true, force: true });
      removed++;
    }
    for (const name of await readdir(this.#blobDir)) {
      const digest = `sha256:${name}` as const;
      if (isDigest(digest) && keep.has(digest)) continue;
      await rm(join(this.#blobDir, name), { recursive: true, force: true });
      removed++;
    }
    return removed;
  }

  /** The digest usually comes from a request: validate it before it becomes a path. */
  #blobPath(digest: Digest): string {
    if (!isDigest(digest)) throw new InvalidArgumentError(`invalid digest ${JSON.stringify(digest)}`);
    return join(this.#blobDir, digestHex(digest));
  }
}

async function* readBlob(path: string, digest: Digest, start: number, end: number): AsyncGenerator<Buffer> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw notFoundOr(err, digest);
  }
  try {
    let pos = start;
    while (pos <= end) {
      const want = Math.min(READ_CHUNK, end - pos + 1);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await fh.read(buf, 0, want, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      yield bytesRead === want ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

function notFoundOr(err: unknown, digest: Digest): unknown {
  return isErrno(err, 'ENOENT') ? new NotFoundError(`blob ${digest} not found`, { cause: err }) : err;
}

function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && 'code' in err && err.code === code;
}
