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

async function openAttach(socketPath: string): Promise<TaskIO> {
  const queue = new ChunkQueue();
  const conn = await connectAttach(socketPath, (chunk) => queue.push(chunk), (err) => queue.end(err));
  return {
    output: queue,
    write: (data) => sendInput(conn, data),
    closeStdin: () => conn.shutdownWrite(),
    close(): void {
      conn.close();
      queue.end(undefined, { discard: true });
    },
  };
}

/**
 * Every client of one container reads its output through one shared connection to conmon. conmon accepts one
 * pending connection per turn of its event loop, and a container that exits before that loop first turns (a
 * short command on a busy machine) gets its output drained to the connections accepted in that one turn: with a
 * connection per client, clients that attached before the start lost output. One connection is always
 * accepted before conmon reads any output (its listening socket is the first source in its loop).
 *
 * Input keeps conmon's per-connection meaning: the first client writes on the shared connection, later ones on a
 * connection of their own opened when they first write or close their stdin (its output is read and dropped).
 * conmon treats the end of a connection's input (shutdown or close) as that client's stdin closing, and keeps
 * writing output to a connection whose input has ended, so the shared one outlives its first client.
 */
export class AttachHub {
  readonly #socketPath: string;
  #shared: Promise<SharedConnection> | undefined;

  constructor(socketPath: string) {
    this.#socketPath = socketPath;
  }

  async open(): Promise<TaskIO> {
    let shared = await this.#connection();
    // The last client may have closed it while this one waited; its successor is a new connection.
    while (shared.ended) shared = await this.#connection();
    const queue = new ChunkQueue();
    shared.queues.add(queue);
    const ownsShared = !shared.inputTaken;
    shared.inputTaken = true;
    let own: Promise<SeqpacketConnection> | undefined;
    const input = (): Promise<SeqpacketConnection> => {
      if (ownsShared) return Promise.resolve(shared.conn);
      own ??= connectAttach(this.#socketPath, () => undefined, () => undefined);
      return own;
    };
    let closed = false;
    return {
      output: queue,
      write: async (data) => sendInput(await input(), data),
      closeStdin: async () => (await input()).shutdownWrite(),
      close: () => {
        if (closed) return;
        closed = true;
        queue.end(undefined, { discard: true });
        shared.queues.delete(queue);
        void own?.then((c) => c.close(), () => undefined);
        if (shared.queues.size === 0) shared.conn.close();
        // The other clients still read from it; conmon takes the end of its input as this client's stdin closing.
        else if (ownsShared) void shared.conn.shutdownWrite();
      },
    };
  }

  #connection(): Promise<SharedConnection> {
    if (this.#shared) return this.#shared;
    const queues = new Set<ChunkQueue>();
    const forget = (): void => {
      if (this.#shared === opening) this.#shared = undefined;
    };
    let shared: SharedConnection | undefined;
    const opening = connectAttach(
      this.#socketPath,
      (chunk) => {
        for (const q of queues) q.push(chunk);
      },
      (err) => {
        if (shared) shared.ended = true;
        for (const q of queues) q.end(err);
        forget();
      },
    ).then(
      (conn) => (shared = { conn, queues, inputTaken: false, ended: false }),
      (err: unknown) => {
        forget();
        throw err;
      },
    );
    this.#shared = opening;
    return opening;
  }
}

interface SharedConnection {
  conn: SeqpacketConnection;
  /** One per attached client. */
  queues: Set<ChunkQueue>;
  /** Whether a client writes its input on this connection. */
  inputTaken: boolean;
  /** conmon closed it (the container exited) or its last client left. */
  ended: boolean;
}

async function connectAttach(
  socketPath: string,
  onChunk: (chunk: OutputChunk) => void,
  onEnd: (err?: Error) => void,
): Promise<SeqpacketConnection> {
  try {
    return await connectSeqpacket(socketPath, {
      onPacket: (packet) => {
        const stream = packet[0] === PIPE_STDOUT ? 'stdout' : packet[0] === PIPE_STDERR ? 'stderr' : undefined;
        if (stream && packet.length > 1) onChunk({ stream, data: packet.subarray(1) });
      },
      onClose: onEnd,
    });
  } catch (err) {
    throw new UnavailableError(`Cannot attach to the container: ${(err as Error).message}`, { cause: err });
  }
}

async function sendInput(conn: SeqpacketConnection, data: Buffer): Promise<void> {
  for (let off = 0; off < data.length; off += MAX_INPUT_PACKET) {
    await conn.send(data.subarray(off, off + MAX_INPUT_PACKET));
  }
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
