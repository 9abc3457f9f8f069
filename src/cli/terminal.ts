/**
 * The terminal side of a hijacked connection, shared by `run`, `start -a`, `attach` and `exec` (docker/cli
 * hijack.go, tty.go, signals.go).
 *
 * A stream's life: output is copied from the connection (raw bytes with a TTY, stdcopy frames without); input, when
 * attached, is copied to it, and its end half-closes the connection (docker's CloseWrite) so the process sees EOF
 * while its output keeps flowing. No input at all half-closes at once, as docker does. With a TTY and an input, the
 * user's terminal goes raw and the detach keys are watched on the client side: they never reach the daemon, and
 * seeing them ends the stream as `detached`. The stream is over when the output ends, or when the input ends and
 * there is no output to wait for.
 */
import { createRequire } from 'node:module';
import type { Readable, Writable } from 'node:stream';
import type { EngineClient, HijackedConnection } from '../client/engine-client.js';
import { readContainerOutput } from '../client/container-output.js';
import { DEFAULT_DETACH_KEYS, DetachScanner, parseDetachKeys } from '../pkg/detach-keys.js';
import { STDERR } from '../pkg/stdcopy.js';
import { StatusError } from './errors.js';

/** The user's stdin as far as streaming needs it: a readable that may be a terminal. */
export type InputStream = Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

/** A terminal-ish output stream: its size when it is one. */
export type OutputStream = Writable & { isTTY?: boolean; columns?: number; rows?: number };

export interface StreamOptions {
  /** Copied to the process's stdin; undefined when stdin is not attached. */
  input?: InputStream | undefined;
  /** Where the process's stdout goes; undefined discards it. */
  stdout?: Writable | undefined;
  /** Where the process's stderr goes (docker passes stdout here for a TTY); undefined discards it. */
  stderr?: Writable | undefined;
  tty: boolean;
  /** docker's `--detach-keys` (`ctrl-p,ctrl-q` when empty); watched only with a TTY. */
  detachKeys?: string | undefined;
  /** Put a TTY input into raw mode (docker skips it when NORAW is set). Default true. */
  raw?: boolean;
}

/** How a stream ended: the output ended (or the input, with nothing to read), or the user typed the detach keys. */
export type StreamEnd = 'eof' | 'detached';

export interface HijackedStream {
  /** Settles when the stream is over; rejects when reading the output failed (e.g. an in-band daemon error). */
  done: Promise<StreamEnd>;
  /** Tears the connection down, stops reading the input and restores the terminal. Idempotent. */
  close(): void;
}

/** The bytes of a detach-key string; docker falls back to ctrl-p,ctrl-q when the string does not parse. */
export function detachKeyBytes(keys: string | undefined): Buffer {
  try {
    return parseDetachKeys(keys || DEFAULT_DETACH_KEYS);
  } catch {
    return parseDetachKeys(DEFAULT_DETACH_KEYS);
  }
}

/** Puts a terminal input into raw mode; returns what undoes it. */
function makeRaw(input: InputStream): () => void {
  if (!input.isTTY || typeof input.setRawMode !== 'function') return () => undefined;
  input.setRawMode(true);
  // libuv's raw mode keeps output post-processing (ONLCR), so the container's "\r\n" would reach the screen as
  // "\r\r\n"; docker's raw mode (cfmakeraw) clears it. Clear it the only way Node allows: stty on the same
  // terminal. Leaving raw mode restores libuv's saved termios, OPOST included.
  const { spawnSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
  return () => {
    input.setRawMode?.(false);
  };
}

/** Starts copying between the connection and the user's streams (docker's hijackedIOStreamer.stream). */
export function streamHijacked(conn: HijackedConnection, opts: StreamOptions): HijackedStream {
  const input = opts.input;
  const socket = conn.socket;
  let restoreTerminal: (() => void) | undefined;
  let scanner: DetachScanner | undefined;
  if (input && opts.tty) {
    if (opts.raw !== false) restoreTerminal = makeRaw(input);
    scanner = new DetachScanner(detachKeyBytes(opts.detachKeys));
  }
  const restoreInput = (): void => {
    const r = restoreTerminal;
    restoreTerminal = undefined;
    r?.();
  };
  const closeWrite = (): void => {
    if (socket && !socket.writableEnded && !socket.destroyed) socket.end();
  };

  // -- output ---------------------------------------------------------------------------------------------------
  let output: Promise<void> | undefined;
  if (opts.stdout || opts.stderr) {
    output = (async () => {
      try {
        for await (const f of readContainerOutput(conn.readable, { tty: opts.tty, head: conn.head })) {
          const sink = f.stream === STDERR ? opts.stderr : opts.stdout;
          sink?.write(f.data);
        }
      } finally {
        // Back to a cooked terminal as soon as the process is gone, so what berth prints next reads normally.
        if (opts.tty) restoreInput();
      }
    })();
  }

  // -- input ----------------------------------------------------------------------------------------------------
  let stopInput = (): void => undefined;
  let onDetach: (() => void) | undefined;
  const detached = new Promise<'detached'>((resolve) => {
    onDetach = () => resolve('detached');
  });
  const inputDone = new Promise<void>((resolve) => {
    if (!input || !socket) {
      closeWrite();
      resolve();
      return;
    }
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onEnd);
      socket.off('drain', onDrain);
      input.pause();
    };
    const onDrain = (): void => {
      if (!finished) input.resume();
    };
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const data = scanner ? scanner.feed(bytes) : bytes;
      if (data.length > 0 && !socket.destroyed && !socket.writableEnded) {
        if (!socket.write(data)) {
          input.pause();
          socket.once('drain', onDrain);
        }
      }
      if (scanner?.detached) {
        finish();
        restoreInput();
        onDetach?.();
      }
    };
    const onEnd = (): void => {
      finish();
      restoreInput();
      closeWrite();
      resolve();
    };
    stopInput = finish;
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('error', onEnd);
    input.resume();
  });

  const outputEnd = output?.then((): StreamEnd => 'eof');
  // With output attached, the end of the input only half-closes: the stream lasts until the output ends.
  const done = Promise.race<StreamEnd>([outputEnd ?? inputDone.then((): StreamEnd => 'eof'), detached]);
  done.catch(() => undefined);

  let closed = false;
  return {
    done,
    close(): void {
      if (closed) return;
      closed = true;
      stopInput();
      restoreInput();
      conn.readable.destroy();
      socket?.destroy();
    },
  };
}

/** docker's In().CheckTty: a TTY session reading stdin needs stdin to be a terminal. */
export function checkTty(input: { isTTY?: boolean }, attachStdin: boolean, tty: boolean): void {
  if (tty && attachStdin && input.isTTY !== true) throw new StatusError('the input device is not a TTY', 1);
}

/** docker's Out().GetTtySize as [height, width]; [0, 0] when stdout is not a terminal. */
export function ttySize(out: OutputStream): [number, number] {
  return out.isTTY && out.rows && out.columns ? [out.rows, out.columns] : [0, 0];
}

export interface ResizeTarget {
  /** The container or exec ID. */
  id: string;
  /** An exec (`/exec/{id}/resize`) rather than a container. */
  exec: boolean;
}

function resizeTo(client: EngineClient, target: ResizeTarget, height: number, width: number): Promise<void> {
  if (height === 0 && width === 0) return Promise.resolve();
  return target.exec ? client.execResize(target.id, height, width) : client.containerResize(target.id, height, width);
}

/**
 * docker's MonitorTtySize: sizes the process's TTY like ours now (retrying ten times, 10 ms apart and growing,
 * since an exec may not have its TTY yet) and again on every SIGWINCH. Returns the function that stops watching.
 */
export function monitorTtySize(client: EngineClient, out: OutputStream, err: Writable, target: ResizeTarget): () => void {
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const resize = (): Promise<void> => {
    const [h, w] = ttySize(out);
    return resizeTo(client, target, h, w);
  };
  resize().catch(() => {
    let retry = 0;
    const again = (): void => {
      if (stopped) return;
      const t = setTimeout(() => {
        timers.delete(t);
        if (stopped) return;
        resize().then(
          () => undefined,
          () => {
            retry++;
            if (retry < 10) again();
            else err.write('failed to resize tty, using default size\n');
          },
        );
      }, (retry + 1) * 10);
      t.unref();
      timers.add(t);
    };
    again();
  });
  const onWinch = (): void => {
    resize().catch(() => undefined);
  };
  process.on('SIGWINCH', onWinch);
  return () => {
    stopped = true;
    for (const t of timers) clearTimeout(t);
    process.off('SIGWINCH', onWinch);
  };
}

/**
 * The signals relayed to the container (docker's notifyAllSignals catches every signal; these are the ones Node can
 * catch without disturbing itself). SIGCHLD, SIGPIPE and the Go runtime's SIGURG are never relayed, as in docker.
 */
const FORWARDED_SIGNALS: NodeJS.Signals[] = [
  'SIGHUP',
  'SIGINT',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
  'SIGALRM',
  'SIGTERM',
  'SIGCONT',
  'SIGTSTP',
  'SIGXCPU',
  'SIGXFSZ',
  'SIGVTALRM',
  'SIGWINCH',
  'SIGPWR',
];

/**
 * docker's ForwardAllSignals: relays the signals berth receives to the container by name without the SIG prefix
 * (`POST /containers/{id}/kill?signal=INT`). Returns the function that stops relaying.
 */
export function forwardSignals(client: EngineClient, id: string): () => void {
  const handlers = FORWARDED_SIGNALS.map((sig) => {
    const h = (): void => {
      client.containerKill(id, sig.slice(3)).catch(() => undefined);
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => {
    for (const [sig, h] of handlers) process.off(sig, h);
  };
}

/**
 * docker's prompt.Confirm: prints `message [y/N] ` and reads one line; only `y` or `Y` (surrounding spaces
 * ignored) is a yes. End of input is a no.
 */
export function confirm(input: InputStream, out: Writable, message: string): Promise<boolean> {
  out.write(`${message || 'Are you sure you want to proceed?'} [y/N] `);
  return new Promise((resolve) => {
    let line = '';
    const finish = (): void => {
      input.off('data', onData);
      input.off('end', finish);
      input.off('error', finish);
      input.pause();
      const nl = line.indexOf('\n');
      const answer = (nl >= 0 ? line.slice(0, nl) : line).replace(/\r$/, '').trim();
      resolve(answer.toLowerCase() === 'y');
    };
    const onData = (chunk: Buffer | string): void => {
      line += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      if (line.includes('\n')) finish();
    };
    input.on('data', onData);
    input.once('end', finish);
    input.once('error', finish);
    input.resume();
  });
}
