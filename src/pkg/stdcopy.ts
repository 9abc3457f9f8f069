/**
 * Docker's multiplexed stream framing ("stdcopy"), used on attach, logs and exec when the container has no TTY.
 *
 * Each frame is an 8-byte header followed by the payload:
 *
 *     [stream, 0, 0, 0, len >> 24, len >> 16, len >> 8, len]  payload (len bytes)
 *
 * where stream is 0 (stdin), 1 (stdout), 2 (stderr) or 3 (systemerr: an error the daemon reports in-band, as in
 * moby's `stdcopy.Systemerr`). The daemon encodes with {@link encodeFrame}; the client decodes with
 * {@link StdcopyDemuxer} (push chunks as they arrive, frames may be split anywhere) or {@link demuxStream}.
 */

export type StreamId = 0 | 1 | 2 | 3;

export const STDIN: StreamId = 0;
export const STDOUT: StreamId = 1;
export const STDERR: StreamId = 2;
export const SYSTEMERR: StreamId = 3;

export const FRAME_HEADER_SIZE = 8;

export interface Frame {
  stream: StreamId;
  data: Buffer;
}

/** Encodes one frame. An empty payload is legal (a zero-length frame) though the daemon has no reason to send one. */
export function encodeFrame(stream: StreamId, data: Uint8Array): Buffer {
  if (data.length > 0xffffffff) throw new RangeError(`Frame payload too large: ${data.length} bytes`);
  const out = Buffer.allocUnsafe(FRAME_HEADER_SIZE + data.length);
  writeFrameHeader(out, 0, stream, data.length);
  out.set(data, FRAME_HEADER_SIZE);
  return out;
}

/** Writes a frame's 8-byte header at `offset` of `out` (for callers that lay several frames into one buffer). */
export function writeFrameHeader(out: Buffer, offset: number, stream: StreamId, length: number): void {
  out[offset] = stream;
  out[offset + 1] = 0;
  out[offset + 2] = 0;
  out[offset + 3] = 0;
  out.writeUInt32BE(length, offset + 4);
}

/** Raised when a header names a stream id outside 0–3: the input is not a multiplexed stream. */
export class StdcopyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StdcopyFormatError';
  }
}

/**
 * Incremental decoder. Feed arbitrary chunks with {@link push}; it returns the frames completed so far and keeps any
 * partial header or payload for the next chunk. {@link end} reports whether input stopped mid-frame.
 */
export class StdcopyDemuxer {
  #pending: Buffer[] = [];
  #pendingLength = 0;

  push(chunk: Uint8Array): Frame[] {
    if (chunk.length > 0) {
      this.#pending.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      this.#pendingLength += chunk.length;
    }
    const frames: Frame[] = [];
    while (this.#pendingLength >= FRAME_HEADER_SIZE) {
      const header = this.#peek(FRAME_HEADER_SIZE);
      const stream = header[0]!;
      if (stream > 3) {
        throw new StdcopyFormatError(`Unrecognized input header: ${stream}`);
      }
      const size = header.readUInt32BE(4);
      if (this.#pendingLength < FRAME_HEADER_SIZE + size) break;
      this.#consume(FRAME_HEADER_SIZE);
      const data = this.#consume(size);
      frames.push({ stream: stream as StreamId, data });
    }
    return frames;
  }

  /** Bytes held back waiting for the rest of a frame. */
  get bufferedLength(): number {
    return this.#pendingLength;
  }

  /** Throws if the input ended inside a frame. */
  end(): void {
    if (this.#pendingLength > 0) {
      throw new StdcopyFormatError(`Stream ended inside a frame (${this.#pendingLength} bytes left over)`);
    }
  }

  #peek(n: number): Buffer {
    const first = this.#pending[0]!;
    if (first.length >= n) return first.subarray(0, n);
    this.#pending = [Buffer.concat(this.#pending)];
    return this.#pending[0]!.subarray(0, n);
  }

  #consume(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.#pending[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.#pending.shift();
      else this.#pending[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this.#pending);
      out = all.subarray(0, n);
      this.#pending = all.length > n ? [all.subarray(n)] : [];
    }
    this.#pendingLength -= n;
    return out;
  }
}

/** Decodes a whole multiplexed byte stream, yielding frames as they complete. */
export async function* demuxStream(source: AsyncIterable<Uint8Array>): AsyncGenerator<Frame> {
  const demuxer = new StdcopyDemuxer();
  for await (const chunk of source) {
    yield* demuxer.push(chunk);
  }
  demuxer.end();
}
