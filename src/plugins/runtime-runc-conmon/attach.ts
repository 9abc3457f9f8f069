import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

import type { OutputChunk, TaskIO } from '../../core/runtime.js';
import { UnavailableError } from '../../core/errdefs.js';
import { connectSeqpacket, type SeqpacketConnection } from './seqpacket.js';

/**
 * conmon's attach protocol (`--full-attach`: the socket is `<bundle>/attach`). Every output packet is one byte
 * naming the pipe, then up to 8 KiB the container wrote: 2 = stdout, 3 = stderr (conmon's own numbering, not
 * Docker's 1/2). Input is raw bytes; conmon reads at most 32 KiB per packet and drops the rest of a larger one,
 * so we send 8 KiB at a time. conmon closes the connection when the container has exited and its output is
 * drained, which ends `output`. Each connection gets all output from the moment it is accepted.
 */
const PIPE_STDOUT = 2;
const PIPE_STDERR = 3;
const MAX_INPUT_PACKET = 8192;

export async function openAttach(socketPath: string): Promise<TaskIO> {
  const queue = new ChunkQueue();
  let conn: SeqpacketConnection;
  try {
    conn = await connectSeqpacket(socketPath, {
      onPacket: (packet) => {
        const stream = packet[0] === PIPE_STDOUT ? 'stdout' : packet[0] === PIPE_STDERR ? 'stderr' : undefined;
        if (stream && packet.length > 1) queue.push({ stream, data: packet.subarray(1) });
      },
      onClose: (err) => queue.end(err),
    });
  } catch (err) {
    throw new UnavailableError(`Cannot attach to the container: ${(err as Error).message}`, { cause: err });
  }
  return {
    output: queue,
    async write(data: Buffer): Promise<void> {
      for (let off = 0; off < data.length; off += MAX_INPUT_PACKET) {
        await conn.send(data.subarray(off, off + MAX_INPUT_PACKET));
      }
    },
    closeStdin: () => conn.shutdownWrite(),
    close(): void {
      conn.close();
      queue.end(undefined, { discard: true });
    },
  };
}

/**
 * Connects to `<dir>/attach` through a descriptor of `dir` (`/proc/self/fd/<fd>/attach`), so the path's length
 * does not matter: an exec's socket lies deep under the container's bundle, past the 107 bytes a unix socket path
 * may have. conmon binds it the same way. The descriptor is only needed while connect(2) resolves the path.
 */
export async function openAttachInDir(dir: string): Promise<TaskIO> {
  const fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    return await openAttach(`/proc/self/fd/${fh.fd}/attach`);
  } finally {
    await fh.close();
  }
}

/**
 * The output as an async iterable for one consumer. The native socket cannot pause, so chunks queue here until
 * read; conmon itself blocks (and with it the container's writes) only once the socket buffer is full.
 */
class ChunkQueue implements AsyncIterable<OutputChunk> {
  #items: OutputChunk[] = [];
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  push(chunk: OutputChunk): void {
    if (this.#ended) return;
    this.#items.push(chunk);
    this.#wake?.();
  }

  /** No more chunks; those queued are still read unless `discard` (the reader is leaving). */
  end(err?: Error, opts: { discard?: boolean } = {}): void {
    if (opts.discard) this.#items = [];
    if (this.#ended) return;
    this.#ended = true;
    this.#error = err;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<OutputChunk> {
    for (;;) {
      const next = this.#items.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.#ended) {
        if (this.#error) throw new UnavailableError(`Attach connection failed: ${this.#error.message}`, { cause: this.#error });
        return;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }
}
