import { open, stat, type FileHandle } from 'node:fs/promises';

/**
 * Makes changes to a directory's entries durable (a rename into it, a file created or removed), not only the
 * bytes of the files: fsync(2) on the directory itself. Ingest-verify-rename and build-then-rename both end here.
 */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Whether `path` names something (symlinks followed); any failure to stat it counts as no. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

const GATHER_BYTES = 1024 * 1024;
const WRITEBACK_EVERY = 32 * 1024 * 1024;

/**
 * Writes a stream of chunks to a file: gathered into writes of about 1 MiB (one thread-pool round trip for
 * sixteen 64 KiB network chunks), and with the file's writeback started every 32 MiB by an fdatasync in the
 * background (one at a time), so a big file's bytes go to the disk while the rest is still arriving and the
 * caller's final fsync has little left to wait for. The chunks are kept until written: callers must not reuse
 * them.
 */
export class FileSink {
  readonly #fh: FileHandle;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #sinceFlush = 0;
  #flushing: Promise<void> | undefined;
  #flushError: unknown;

  constructor(fh: FileHandle) {
    this.#fh = fh;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.length === 0) return;
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    if (this.#pendingBytes >= GATHER_BYTES) await this.#writePending();
  }

  /** Writes what is gathered and waits for a writeback in flight; the caller closes (and fsyncs) the file. */
  async end(): Promise<void> {
    await this.#writePending();
    await this.#flushing;
    if (this.#flushError !== undefined) throw this.#flushError;
  }

  async #writePending(): Promise<void> {
    if (this.#pendingBytes === 0) return;
    let buffers = this.#pending;
    const total = this.#pendingBytes;
    this.#pending = [];
    this.#pendingBytes = 0;
    let left = total;
    while (left > 0) {
      const { bytesWritten } = await this.#fh.writev(buffers);
      left -= bytesWritten;
      if (left > 0) buffers = dropFront(buffers, bytesWritten);
    }
    this.#sinceFlush += total;
    if (this.#sinceFlush >= WRITEBACK_EVERY && !this.#flushing) {
      this.#sinceFlush = 0;
      this.#flushing = this.#fh.datasync().then(
        () => {
          this.#flushing = undefined;
        },
        (err: unknown) => {
          this.#flushError ??= err;
          this.#flushing = undefined;
        },
      );
    }
  }
}

/** `buffers` without their first `n` bytes (after a short writev). */
export function dropFront(buffers: Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const b of buffers) {
    if (n >= b.length) {
      n -= b.length;
      continue;
    }
    out.push(n > 0 ? b.subarray(n) : b);
    n = 0;
  }
  return out;
}
