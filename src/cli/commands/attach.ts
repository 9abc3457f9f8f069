/**
 * Streaming a container's stdio over a hijacked attach connection (docker/cli hijack.go): output demultiplexed with
 * stdcopy unless the container has a TTY, stdin copied in (raw terminal mode when both ends are TTYs), and a
 * signal proxy that relays the signals berth receives to the container. Also the exit-status wait shared by `run`
 * and `start -a`.
 */
import { createRequire } from 'node:module';
import type { EngineClient } from '../../client/engine-client.js';
import { readContainerOutput } from '../../client/container-output.js';
import { STDERR } from '../../pkg/stdcopy.js';
import { errorText } from '../action.js';
import type { CliContext } from '../cli-context.js';

export interface AttachSession {
  /** Settles when the output stream ends (the container exited, or the connection closed). */
  done: Promise<void>;
  /** Tears the connection down and restores the terminal. */
  close(): void;
}

export interface AttachStreams {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  detachKeys?: string;
}

/** Attaches (before start, so no output is lost) and starts copying. */
export async function attachContainer(ctx: CliContext, id: string, s: AttachStreams): Promise<AttachSession> {
  const conn = await ctx.client.containerAttach(id, {
    stream: true,
    stdin: s.stdin,
    stdout: s.stdout,
    stderr: s.stderr,
    ...(s.detachKeys ? { detachKeys: s.detachKeys } : {}),
  });
  const out = ctx.stdout;
  const err = s.tty ? ctx.stdout : ctx.stderr;
  let restoreTerminal: (() => void) | undefined;

  const done = (async () => {
    for await (const f of readContainerOutput(conn.readable, { tty: s.tty, head: conn.head })) {
      if (f.stream === STDERR) {
        if (s.stderr) err.write(f.data);
      } else if (s.stdout) {
        out.write(f.data);
      }
    }
  })();
  done.catch(() => undefined);

  if (s.stdin && conn.socket) {
    const socket = conn.socket;
    const stdin = ctx.stdin;
    if (s.tty && stdin.isTTY && typeof stdin.setRawMode === 'function') {
      stdin.setRawMode(true);
      // libuv's raw mode keeps output post-processing (ONLCR), so the container's "\r\n" would reach the screen
      // as "\r\r\n"; docker's raw mode (cfmakeraw) clears it. Clear it the only way Node allows: stty.
      // Leaving raw mode restores libuv's saved termios, OPOST included.
      const { spawnSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
      spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
      restoreTerminal = () => stdin.setRawMode(false);
    }
    stdin.on('data', (c: Buffer) => socket.write(c));
    stdin.once('end', () => {
      // Half-close: the container sees EOF on stdin and output keeps flowing (docker's CloseWrite).
      socket.end();
    });
    stdin.resume();
  }

  let closed = false;
  return {
    done,
    close(): void {
      if (closed) return;
      closed = true;
      restoreTerminal?.();
      if (s.stdin) ctx.stdin.pause();
      conn.readable.destroy();
      conn.socket?.destroy();
    },
  };
}

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/** Relays signals to the container (docker's ForwardAllSignals); returns the function that stops relaying. */
export function forwardSignals(client: EngineClient, id: string): () => void {
  const handlers = FORWARDED_SIGNALS.map((sig) => {
    const h = (): void => {
      client.containerKill(id, sig).catch(() => undefined);
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => {
    for (const [sig, h] of handlers) process.off(sig, h);
  };
}

/** Keeps the container's TTY the size of ours (docker's MonitorTtySize). */
export function monitorTtySize(ctx: CliContext, id: string): () => void {
  const out = ctx.stdout;
  const resize = (): void => {
    const [w, h] = [out.columns, out.rows];
    if (w && h) ctx.client.containerResize(id, h, w).catch(() => undefined);
  };
  resize();
  process.on('SIGWINCH', resize);
  return () => process.off('SIGWINCH', resize);
}

/**
 * docker's waitExitOrRemoved: registers the wait (the daemon has accepted it when this resolves) and yields the
 * exit status, 125 when waiting failed.
 */
export async function waitExitOrRemoved(ctx: CliContext, id: string, removed: boolean): Promise<{ status: Promise<number> }> {
  const { result } = await ctx.client.containerWait(id, removed ? 'removed' : 'next-exit');
  // Wrapped in an object: an async function returning a promise would adopt it and wait for the exit.
  const status = result.then(
    (r) => {
      if (r.Error?.Message) {
        ctx.err(`Error waiting for container: ${r.Error.Message}\n`);
        return 125;
      }
      return r.StatusCode;
    },
    (e: unknown) => {
      ctx.err(`error waiting for container: ${errorText(e)}\n`);
      return 125;
    },
  );
  return { status };
}
