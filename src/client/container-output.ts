/**
 * Reading a container's output from an attach or logs stream: stdcopy frames when the container has no TTY, raw
 * bytes (reported as stdout) when it has one. A `systemerr` frame is the daemon reporting an error in-band and
 * ends the stream with that error.
 */
import { StdcopyDemuxer, STDOUT, SYSTEMERR, type Frame } from '../pkg/stdcopy.js';

export class StreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamError';
  }
}

/**
 * Yields output frames from `source`. `head` holds bytes that arrived with an upgrade response. Connection resets
 * after output ended (the daemon closing a hijacked socket) end the stream normally.
 */
export async function* readContainerOutput(source: AsyncIterable<Buffer | string>, opts: { tty: boolean; head?: Buffer }): AsyncGenerator<Frame> {
  const demux = opts.tty ? undefined : new StdcopyDemuxer();
  const toFrames = (chunk: Buffer): Frame[] => {
    if (!demux) return chunk.length > 0 ? [{ stream: STDOUT, data: chunk }] : [];
    return demux.push(chunk);
  };
  const check = (f: Frame): Frame => {
    if (f.stream === SYSTEMERR) throw new StreamError(`error from daemon in stream: ${f.data.toString('utf8')}`);
    return f;
  };
  if (opts.head && opts.head.length > 0) for (const f of toFrames(opts.head)) yield check(f);
  try {
    for await (const chunk of source) {
      for (const f of toFrames(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) yield check(f);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ECONNRESET' && code !== 'ERR_STREAM_PREMATURE_CLOSE') throw e;
  }
}
