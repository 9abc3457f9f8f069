import { chmod, lstat, unlink } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../core/errdefs.js';
import { Router, type Logger, type Route } from './router.js';

export interface TlsOptions {
  ca: string;
  cert: string;
  key: string;
  /** Require and verify client certificates (dockerd's --tlsverify). */
  verify: boolean;
}

export interface Listener {
  close(): Promise<void>;
  address: string;
}

/**
 * Serves the Engine API on one address: `unix:///path` (mode 0660, a stale socket file is replaced) or
 * `tcp://host:port` (with TLS, and mutual TLS when `verify`). Plain requests and HTTP upgrades (attach) go
 * through the same router.
 */
export async function listen(address: string, routes: readonly Route[], log: Logger, tls?: TlsOptions): Promise<Listener> {
  const router = new Router(routes, log);
  let server: Server;
  if (tls && address.startsWith('tcp://')) {
    const { createServer: createHttpsServer } = await import('node:https');
    server = createHttpsServer({
      ca: readFileSync(tls.ca),
      cert: readFileSync(tls.cert),
      key: readFileSync(tls.key),
      requestCert: tls.verify,
      rejectUnauthorized: tls.verify,
    });
  } else {
    server = createHttpServer();
  }
  server.on('request', (req, res) => router.handle(req, res));
  server.on('upgrade', (req, socket, head: Buffer) => router.handleUpgrade(req, socket, head));
  // Image loads and log follows run long; only idle keep-alive connections time out.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 5_000;

  if (address.startsWith('unix://')) {
    const path = address.slice('unix://'.length);
    if (path.length >= 108) throw new InvalidArgumentError(`socket path is too long (${path.length} bytes, the limit is 107): ${path}`);
    const existing = await lstat(path).catch(() => undefined);
    if (existing?.isSocket()) await unlink(path);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    await chmod(path, 0o660);
  } else if (address.startsWith('tcp://')) {
    const url = new URL(address);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(Number(url.port || (tls ? 2376 : 2375)), url.hostname.replace(/^\[|\]$/g, ''), () => resolve());
    });
  } else {
    throw new InvalidArgumentError(`unsupported address "${address}": use unix:///path or tcp://host:port`);
  }
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
