import type { Readable } from 'node:stream';

import type { TaskIO } from '../../core/runtime.js';
import { DetachScanner } from '../../pkg/detach-keys.js';

/** Where an attached client's output goes. */
export interface AttachSink {
  write(stream: 'stdout' | 'stderr', data: Buffer): void;
  end(): void;
}

export interface StdioSessionOptions {
  stdout: boolean;
  stderr: boolean;
  /** The client's input (the hijacked connection), when it attached stdin to a container that has one. */
  stdin?: Readable;
  /** The byte sequence that detaches (empty: none). */
  detachKeys?: Buffer;
  signal: AbortSignal;
}

/**
 * Copies one attached client's stdio to and from a task's (or an exec's) monitor until the process exits, the
 * client leaves, or the client types the detach keys. Input goes through in order and one write at a time, so
 * a fast client is held back by the monitor's socket rather than queued here. Resolves with `detached` true when
 * the session ended by the detach keys (the process keeps running). Ending the sink is the caller's: an exec's
 * client must find the exit code set once its stream ends.
 */
export async function runStdioSession(io: TaskIO, opts: StdioSessionOptions, sink: AttachSink): Promise<{ detached: boolean }> {
  const scanner = opts.stdin && opts.detachKeys && opts.detachKeys.length > 0 ? new DetachScanner(opts.detachKeys) : undefined;
  let detached = false;
  const onAbort = (): void => io.close();
  opts.signal.addEventListener('abort', onAbort);
  const input = opts.stdin
    ? pumpInput(io, opts.stdin, scanner, () => {
        detached = true;
        io.close();
      })
    : undefined;
  try {
    for await (const chunk of io.output) {
      if ((chunk.stream === 'stdout' && opts.stdout) || (chunk.stream === 'stderr' && opts.stderr)) sink.write(chunk.stream, chunk.data);
    }
  } catch {
    // The connection to the monitor broke; the client sees the end of the stream.
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
    io.close();
  }
  // The process is gone (or the client detached): whatever the client still sends has nowhere to go.
  input?.stop();
  opts.stdin?.resume();
  return { detached };
}

function pumpInput(io: TaskIO, stdin: Readable, scanner: DetachScanner | undefined, onDetach: () => void): { stop(): void } {
  let stop = (): void => undefined;
  new Promise<void>((resolve) => {
    let chain = Promise.resolve();
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('close', onEnd);
      chain.then(resolve, resolve);
    };
    const onData = (chunk: Buffer): void => {
      const data = scanner ? scanner.feed(chunk) : chunk;
      if (data.length > 0) {
        stdin.pause();
        chain = chain.then(() => io.write(data)).then(
          () => {
            stdin.resume();
          },
          () => finish(),
        );
      }
      if (scanner?.detached) {
        finish();
        chain.then(onDetach, onDetach);
      }
    };
    // The client closed its input (docker's CloseWrite): the container's stdin closes unless the monitor was
    // told to leave it open (StdinOnce false, or a TTY).
    const onEnd = (): void => {
      if (finished) return;
      chain = chain.then(() => io.closeStdin()).catch(() => undefined);
      finish();
    };
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.once('close', onEnd);
    stdin.resume();
    stop = finish;
  }).catch(() => undefined);
  return { stop: () => stop() };
}
