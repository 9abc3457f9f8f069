import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { InvalidArgumentError, NotFoundError } from '../core/errdefs.js';
import { messageOf, statusOf } from './errors-to-status.js';
import type { Handler, RequestContext } from './http-context.js';

export const API_VERSION = '1.43';
export const MIN_API_VERSION = '1.24';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

export interface Route {
  method: Method;
  /** Path pattern: `{id}` matches one segment, `{name:.*}` matches the rest greedily (image names have slashes). */
  path: string;
  handler: Handler;
}

interface CompiledRoute {
  method: Method;
  re: RegExp;
  names: string[];
  handler: Handler;
}

export interface Logger {
  error(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}

const VERSION_PREFIX = /^\/v(\d+\.\d+)(\/.*)$/;

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const src = route.path.replace(/[.+?^$()[\]\\|]/g, '\\$&').replace(/\{(\w+)(:\\\.\*)?\}/g, (_m, name: string, greedy?: string) => {
    names.push(name);
    return greedy ? '(.+)' : '([^/]+)';
  });
  return { method: route.method, re: new RegExp(`^${src}$`), names, handler: route.handler };
}

function versionNumber(v: string): number {
  const [major = '0', minor = '0'] = v.split('.');
  return Number(major) + Number(minor) / 1000;
}

/**
 * Dispatches Engine API requests: strips and checks the `/v1.NN` prefix, matches the route table, runs the
 * handler, and turns any thrown error into Docker's `{"message": ...}` with the status from errors-to-status.
 */
export class Router {
  readonly #routes: CompiledRoute[];
  readonly #log: Logger;

  constructor(routes: readonly Route[], log: Logger) {
    this.#routes = routes.map(compile);
    this.#log = log;
  }

  /** Plain requests. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    const ctx = this.#context(req, res, ac.signal, (contentType) => {
      const socket = req.socket;
      // The handler answers on the raw connection; Node must not write its own response on it.
      res.detachSocket(socket);
      socket.write(`HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\n\r\n`);
      return socket;
    });
    void this.#dispatch(req, ctx);
  }

  /** Requests that asked for `Connection: Upgrade` (attach, exec start): answered with 101 on the socket. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const ac = new AbortController();
    socket.on('close', () => ac.abort());
    socket.on('error', () => ac.abort());
    if (head.length > 0) socket.unshift(head);
    void readUpgradeBody(req, socket).then(
      (body) => this.#dispatchUpgrade(req, socket, ac.signal, body),
      () => socket.destroy(),
    );
  }

  #dispatchUpgrade(req: IncomingMessage, socket: Duplex, signal: AbortSignal, body: Buffer): void {
    const ctx = this.#context(req, undefined, signal, (contentType) => {
      socket.write(
        `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`,
      );
      return socket;
    });
    ctx.upgradeBody = body;
    void this.#dispatch(req, ctx, socket);
  }

  #context(req: IncomingMessage, res: ServerResponse | undefined, signal: AbortSignal, hijackRaw: (contentType: string) => Duplex): RequestContext {
    const url = new URL(req.url ?? '/', 'http://berth');
    let hijacked: Duplex | undefined;
    return {
      req,
      res,
      params: {},
      query: url.searchParams,
      apiVersion: versionNumber(API_VERSION),
      signal,
      hijack(contentType: string): Duplex {
        if (hijacked) return hijacked;
        hijacked = hijackRaw(contentType);
        return hijacked;
      },
    };
  }

  async #dispatch(req: IncomingMessage, ctx: RequestContext, upgradeSocket?: Duplex): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://berth');
      let path = decodePathname(url.pathname);
      const m = VERSION_PREFIX.exec(path);
      if (m) {
        const requested = versionNumber(m[1] ?? '');
        if (requested > versionNumber(API_VERSION)) {
          throw new InvalidArgumentError(
            `client version ${m[1]} is too new. Maximum supported API version is ${API_VERSION}`,
          );
        }
        if (requested < versionNumber(MIN_API_VERSION)) {
          throw new InvalidArgumentError(
            `client version ${m[1]} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
          );
        }
        ctx.apiVersion = requested;
        path = m[2] ?? '/';
      }
      const method = (req.method ?? 'GET').toUpperCase();
      let pathMatched = false;
      for (const route of this.#routes) {
        const rm = route.re.exec(path);
        if (!rm) continue;
        pathMatched = true;
        if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) continue;
        route.names.forEach((name, i) => {
          ctx.params[name] = rm[i + 1] ?? '';
        });
        await route.handler(ctx);
        return;
      }
      // Docker answers unknown paths with 404 "page not found" and known paths with the wrong method with 405.
      if (pathMatched) throw new MethodNotAllowed();
      throw new NotFoundError('page not found');
    } catch (err) {
      this.#fail(ctx, err, upgradeSocket);
    }
  }

  #fail(ctx: RequestContext, err: unknown, upgradeSocket?: Duplex): void {
    const status = err instanceof MethodNotAllowed ? 405 : statusOf(err);
    const message = err instanceof MethodNotAllowed ? 'method not allowed' : messageOf(err);
    if (status >= 500) this.#log.error('request failed', { url: ctx.req.url, error: err instanceof Error ? err.stack : String(err) });
    else this.#log.debug('request refused', { url: ctx.req.url, status, message });
    const body = status === 304 ? '' : JSON.stringify({ message });
    const res = ctx.res;
    if (res !== undefined) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(status, status === 304 ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    if (upgradeSocket && !upgradeSocket.destroyed) {
      upgradeSocket.end(
        `HTTP/1.1 ${status} ${httpReason(status)}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
  }
}

class MethodNotAllowed extends Error {}

function decodePathname(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    throw new InvalidArgumentError(`invalid path "${p}"`);
  }
}

function httpReason(status: number): string {
  return (
    { 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 500: 'Internal Server Error', 501: 'Not Implemented' }[status] ??
    'Error'
  );
}

const MAX_UPGRADE_BODY = 1024 * 1024;

/**
 * An upgrade request's body (exec start sends `{"Detach":false,"Tty":true}`) arrives on the raw socket, ahead of
 * the client's stdin: read exactly Content-Length bytes, and put back whatever came after them.
 */
function readUpgradeBody(req: IncomingMessage, socket: Duplex): Promise<Buffer> {
  const length = Number(req.headers['content-length'] ?? 0);
  if (!Number.isInteger(length) || length <= 0) return Promise.resolve(Buffer.alloc(0));
  if (length > MAX_UPGRADE_BODY) return Promise.reject(new Error('request body is too large'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      got += chunk.length;
      if (got < length) return;
      cleanup();
      socket.pause();
      const all = Buffer.concat(chunks);
      if (all.length > length) socket.unshift(all.subarray(length));
      resolve(all.subarray(0, length));
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error('connection closed before the request body was read'));
    };
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onEnd);
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onEnd);
  });
}
