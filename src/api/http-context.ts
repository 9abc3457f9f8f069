import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { InvalidArgumentError } from '../core/errdefs.js';

/** What a route handler gets: the parsed request, and ways to answer it (plain, streamed or hijacked). */
export interface RequestContext {
  req: IncomingMessage;
  /** Undefined for a request that arrived as an HTTP upgrade (then only `hijack` answers it). */
  res: ServerResponse | undefined;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The API version the client asked for (e.g. 1.43), or the server's when unversioned. */
  apiVersion: number;
  /** Hands over the raw connection after writing Docker's hijack response (101 when upgraded, else 200). */
  hijack(contentType: string): Duplex;
  /** Resolves when the client goes away, so long-running handlers can stop. */
  signal: AbortSignal;
  /** The body of a request that arrived as an HTTP upgrade (read off the raw connection before the stream). */
  upgradeBody?: Buffer;
}

export type Handler = (ctx: RequestContext) => Promise<void> | void;

const MAX_JSON_BODY = 16 * 1024 * 1024;

/** Reads and parses a JSON request body. An empty body is `undefined`. Bad JSON is a 400, as in Docker. */
export async function readJson(req: IncomingMessage | Buffer): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  if (Buffer.isBuffer(req)) {
    chunks.push(req);
  } else {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_JSON_BODY) throw new InvalidArgumentError('request body is too large');
      chunks.push(chunk);
    }
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`invalid JSON: ${(err as Error).message}`);
  }
}

export function sendJson(ctx: RequestContext, status: number, body: unknown): void {
  const res = requireResponse(ctx);
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendNoContent(ctx: RequestContext, status = 204): void {
  const res = requireResponse(ctx);
  res.writeHead(status);
  res.end();
}

export function requireResponse(ctx: RequestContext): ServerResponse {
  if (ctx.res === undefined) throw new InvalidArgumentError('this endpoint does not accept an upgraded connection');
  return ctx.res;
}

/** Docker's boolValue: absent, "", "0", "no", "false" and "none" are false; anything else is true. */
export function boolParam(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  if (v === null) return false;
  return !['', '0', 'no', 'false', 'none'].includes(v.trim().toLowerCase());
}

/** Docker's int parsing for query values: absent or empty gives the default; junk is a 400 naming it. */
export function intParam(query: URLSearchParams, name: string, def: number): number {
  const v = query.get(name);
  if (v === null || v === '') return def;
  if (!/^-?\d+$/.test(v.trim())) throw new InvalidArgumentError(`invalid value for ${name}: "${v}"`);
  return Number.parseInt(v, 10);
}

/** Waits for the response to drain, or for the client to go away (then a write would never drain). */
export function drained(res: NodeJS.WritableStream, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      res.removeListener('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
