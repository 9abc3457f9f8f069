import * as http from 'node:http';
import * as https from 'node:https';
import { UnavailableError } from '../../core/errdefs.js';

/** How long a connection may take to open: an unreachable registry must fail quickly, not hang a pull. */
const CONNECT_TIMEOUT_MS = 10_000;
/** How long a response may stay silent (headers or body) before the transfer counts as dropped. */
const IDLE_TIMEOUT_MS = 60_000;

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 16 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 16 }),
  httpsInsecure: new https.Agent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false }),
};

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: Buffer | AsyncIterable<Uint8Array>;
  signal?: AbortSignal | undefined;
  /** Accept any TLS certificate (an insecure registry served over TLS). */
  insecureTls?: boolean;
  /** The host's own TLS agent (its CAs and client certificate from the certs directory). */
  tlsAgent?: https.Agent | undefined;
}

/**
 * One HTTP exchange; resolves when the response headers arrive. A connection that cannot be made, or a silent
 * peer, becomes an UnavailableError in Go's words (`Get "https://…/v2/": dial tcp …`), as dockerd prints it.
 */
export function send(req: HttpRequest): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const isHttps = req.url.protocol === 'https:';
    const lib = isHttps ? https : http;
    const agent = isHttps ? (req.insecureTls ? agents.httpsInsecure : (req.tlsAgent ?? agents.https)) : agents.http;
    const headers: Record<string, string> = { 'User-Agent': 'berth', ...(req.headers ?? {}) };
    if (Buffer.isBuffer(req.body)) headers['Content-Length'] = String(req.body.length);
    const r = lib.request(req.url, { method: req.method, headers, agent, signal: req.signal });
    let connected = false;
    const connectTimer = setTimeout(() => {
      if (!connected) r.destroy(new Error('i/o timeout'));
    }, CONNECT_TIMEOUT_MS);
    r.on('socket', (s) => {
      if (!s.connecting) connected = true;
      s.once('connect', () => (connected = true));
      s.once('secureConnect', () => (connected = true));
    });
    r.setTimeout(IDLE_TIMEOUT_MS, () => r.destroy(new Error('i/o timeout')));
    r.on('response', (res) => {
      clearTimeout(connectTimer);
      // Readers see errors through iteration; one after a reader stopped (a cancelled pull) is not a crash.
      res.on('error', () => undefined);
      res.setTimeout(IDLE_TIMEOUT_MS, () => res.destroy(new Error('i/o timeout')));
      resolve(res);
    });
    r.on('error', (err) => {
      clearTimeout(connectTimer);
      if (err.name === 'AbortError') return reject(err);
      reject(new UnavailableError(`${goMethod(req.method)} "${req.url.href}": ${describe(err)}`, { cause: err }));
    });
    if (req.body === undefined) r.end();
    else if (Buffer.isBuffer(req.body)) r.end(req.body);
    else void writeBody(r, req.body).catch((err: unknown) => r.destroy(err instanceof Error ? err : new Error(String(err))));
  });
}

async function writeBody(r: http.ClientRequest, body: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const chunk of body) {
    if (!r.write(chunk)) await new Promise<void>((ok, fail) => {
      const onDrain = (): void => { r.off('error', onError); ok(); };
      const onError = (e: Error): void => { r.off('drain', onDrain); fail(e); };
      r.once('drain', onDrain);
      r.once('error', onError);
    });
  }
  r.end();
}

function goMethod(m: string): string {
  return m.charAt(0) + m.slice(1).toLowerCase();
}

function describe(err: Error & { code?: string; hostname?: string }): string {
  switch (err.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${err.hostname ?? ''}: no such host`;
    case 'ECONNREFUSED':
      return `dial tcp ${(err as { address?: string }).address ?? ''}:${(err as { port?: number }).port ?? ''}: connect: connection refused`;
    case 'ENETUNREACH':
      return 'dial tcp: connect: network is unreachable';
    case 'ECONNRESET':
      return 'read: connection reset by peer';
    // Node's certificate verdicts in Go's words (dockerd's), which users search for.
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
    default:
      return err.message;
  }
}

/** Reads a (small) response body, refusing more than `limit` bytes: registry answers are untrusted. */
export async function readBody(res: AsyncIterable<Uint8Array>, limit = 16 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res) {
    size += c.length;
    if (size > limit) throw new Error(`response larger than ${limit} bytes`);
    chunks.push(Buffer.from(c));
  }
  return Buffer.concat(chunks);
}

/** Drains and drops a body so the keep-alive socket can be reused. */
export function discard(res: http.IncomingMessage): void {
  res.resume();
}
