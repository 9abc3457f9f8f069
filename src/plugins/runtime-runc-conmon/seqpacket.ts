import { createRequire } from 'node:module';

/**
 * The one place that knows about node-unix-socket. conmon's attach socket is SOCK_SEQPACKET, which Node's `net`
 * cannot open; the package can (prebuilt napi binary). Everything else in the plugin sees only this interface,
 * so replacing the package touches one file.
 */
export interface SeqpacketConnection {
  /** Sends one packet; resolves when the kernel has it. */
  send(packet: Buffer): Promise<void>;
  /** shutdown(SHUT_WR) once queued packets are sent: the peer reads end-of-file, we can still receive. */
  shutdownWrite(): Promise<void>;
  /** Closes both directions now. Idempotent. */
  close(): void;
}

export interface SeqpacketHandlers {
  onPacket(packet: Buffer): void;
  /** The peer closed (or the connection broke: `err`). Called once. */
  onClose(err?: Error): void;
}

interface NativeSocket {
  on(event: 'data', fn: (buf: Buffer) => void): void;
  on(event: 'end' | 'close', fn: () => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  on(event: 'connect', fn: () => void): void;
  connect(path: string): void;
  write(buf: Buffer, offset: number, length: number, cb?: () => void): void;
  end(cb?: () => void): void;
  destroy(): void;
}

// A CommonJS package with a native addon: load it with require so bundlers leave it alone.
const require = createRequire(import.meta.url);
let ctor: (new () => NativeSocket) | undefined;
function nativeSocket(): NativeSocket {
  ctor ??= (require('node-unix-socket') as { SeqpacketSocket: new () => NativeSocket }).SeqpacketSocket;
  return new ctor();
}

/** Connects to a SOCK_SEQPACKET unix socket at `path` (which must fit in sun_path: under 108 bytes). */
export function connectSeqpacket(path: string, handlers: SeqpacketHandlers, opts: { timeoutMs?: number } = {}): Promise<SeqpacketConnection> {
  return new Promise((resolve, reject) => {
    const sock = nativeSocket();
    let connected = false;
    let closed = false;
    const finish = (err?: Error): void => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      if (!connected) reject(err ?? new Error(`Connection to "${path}" closed before it was established`));
      else handlers.onClose(err);
    };
    const timer = setTimeout(() => {
      sock.destroy();
      finish(new Error(`Timed out connecting to "${path}"`));
    }, opts.timeoutMs ?? 10_000);
    sock.on('data', (buf) => handlers.onPacket(buf));
    // 'end' is the peer's shutdown; conmon only does that when it closes the connection for good.
    sock.on('end', () => {
      sock.destroy();
      finish();
    });
    sock.on('close', () => finish());
    // node-unix-socket can report EBADF from a read callback that runs after the fd was closed at end-of-stream
    // (seen with several clients attached when conmon closes them all at exit): that is the end, not a failure.
    sock.on('error', (err) => finish(connected && /EBADF/.test(err.message) ? undefined : err));
    sock.on('connect', () => {
      connected = true;
      clearTimeout(timer);
      resolve({
        send: (packet) =>
          new Promise((res, rej) => {
            if (closed) return rej(new Error(`Connection to "${path}" is closed`));
            try {
              sock.write(packet, 0, packet.length, () => res());
            } catch (err) {
              rej(err as Error);
            }
          }),
        shutdownWrite: () =>
          new Promise((res) => {
            if (closed) return res();
            sock.end(() => res());
          }),
        close: () => {
          if (closed) return;
          sock.destroy();
          finish();
        },
      });
    });
    try {
      sock.connect(path);
    } catch (err) {
      clearTimeout(timer);
      closed = true;
      reject(err as Error);
    }
  });
}
