/**
 * Typed client for the Docker Engine API as berthd (or dockerd) serves it, over a unix socket or plain TCP.
 *
 * Every call goes to `/v{version}{path}`. The version starts as {@link DEFAULT_API_VERSION} and, on the first
 * request, is negotiated down to the daemon's `API-Version` from `/_ping` when the daemon is older (as the docker CLI
 * does); `DOCKER_API_VERSION`-style pinning is the `apiVersion` option. Error statuses become
 * {@link EngineApiError} carrying the daemon's `message`; an unreachable daemon is {@link DaemonConnectionError}.
 *
 * Streams are returned undecoded: the caller picks JSON lines ({@link readJsonMessages}), stdcopy demuxing
 * (pkg/stdcopy) or raw bytes, because only it knows whether the container has a TTY.
 */
import type http from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex, Readable } from 'node:stream';
import { decodePathStat, PATH_STAT_HEADER, type ContainerPathStat } from '../pkg/container-path-stat.js';
import { parseDockerHost, type DaemonAddress } from './docker-host.js';
import { DaemonConnectionError, EngineApiError } from './errors.js';
import type {
  AttachOptions,
  BuildCachePruneReport,
  ContainerPruneReport,
  DiskUsage,
  ExecCreateBody,
  ExecInspect,
  ExecStartBody,
  ImagePruneReport,
  NetworkPruneReport,
  TopResponse,
  UpdateConfig,
  UpdateResponse,
  Volume,
  VolumePruneReport,
  ContainerCreateBody,
  ContainerCreateResponse,
  ContainerInspect,
  ContainerListOptions,
  ContainerSummary,
  DeleteItem,
  Filters,
  HistoryItem,
  ImageInspect,
  ImageListOptions,
  ImageSummary,
  JsonMessage,
  LogsOptions,
  PingInfo,
  ServerVersion,
  SystemInfo,
  WaitResponse,
} from './types.js';

export const DEFAULT_API_VERSION = '1.43';

// node:http is loaded on first use, not at import: the CLI imports this module on every start, and `berth
// --version` must not pay for the HTTP stack.
const nodeRequire = createRequire(import.meta.url);
let httpModule: typeof http | undefined;
function httpLib(): typeof http {
  return (httpModule ??= nodeRequire('node:http') as typeof http);
}

export type QueryValue = string | number | boolean | undefined | null | string[];
export type Query = Record<string, QueryValue>;

export interface RegistrySearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  is_automated: boolean;
}

export interface RequestOptions {
  query?: Query;
  /** A JSON-serialisable body, or a byte stream sent chunked. */
  body?: unknown;
  /** Content type for a stream body (default `application/x-tar`). */
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface EngineClientOptions {
  /** `unix:///path` or `tcp://host:port`; empty means the default socket. */
  host?: string;
  /** Pin the API version and skip negotiation. */
  apiVersion?: string;
  userAgent?: string;
}

/** A hijacked attach connection: read the container's output, write its stdin. */
export interface HijackedConnection {
  /** Output bytes: multiplexed (stdcopy) unless the container has a TTY. */
  readable: Readable;
  /** The raw socket when the daemon upgraded the connection (stdin can be written); undefined otherwise. */
  socket: Duplex | undefined;
  /** Bytes the daemon sent right after the upgrade response. */
  head: Buffer;
  /** The stream's media type when the daemon names it (API ≥ 1.42), e.g. `application/vnd.docker.multiplexed-stream`. */
  mediaType: string | undefined;
}

/** Compares dotted API versions numerically: negative when a < b. */
export function compareApiVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Go's `url.Values.Encode`: keys sorted, repeated keys for list values, spaces as '+'. */
export function encodeQuery(query: Query | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  const esc = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+');
  for (const key of Object.keys(query).sort()) {
    const v = query[key];
    if (v === undefined || v === null) continue;
    const values = Array.isArray(v) ? v : [typeof v === 'boolean' ? (v ? '1' : '0') : String(v)];
    for (const one of values) parts.push(`${esc(key)}=${esc(one)}`);
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** Escapes a name or ID for use as a path segment, keeping the characters Docker's router expects raw. */
export function pathEscape(s: string): string {
  return encodeURIComponent(s).replace(/%2F/gi, '/').replace(/%3A/gi, ':').replace(/%40/g, '@');
}

/** The `filters` parameter, or undefined when there are none (Docker omits it). */
export function encodeFilters(filters: Filters | undefined): string | undefined {
  if (!filters || Object.keys(filters).length === 0) return undefined;
  return JSON.stringify(filters);
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks);
}

/** Turns an error response into an EngineApiError with the daemon's message. */
async function apiErrorFrom(res: http.IncomingMessage): Promise<EngineApiError> {
  const body = (await readAll(res)).toString('utf8');
  const status = res.statusCode ?? 500;
  let message = body.trim();
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // Not JSON: keep the text, as the docker client does.
  }
  if (message === '') message = `${status} ${httpLib().STATUS_CODES[status] ?? ''}`.trim();
  return new EngineApiError(status, message);
}

function isStream(body: unknown): body is Readable {
  return typeof body === 'object' && body !== null && typeof (body as Readable).pipe === 'function';
}

export class EngineClient {
  readonly address: DaemonAddress;
  #version: string;
  #pinned: boolean;
  #negotiation: Promise<void> | undefined;
  readonly #userAgent: string;
  #agentInstance: http.Agent | undefined;

  constructor(opts: EngineClientOptions = {}) {
    this.address = parseDockerHost(opts.host);
    this.#version = opts.apiVersion ?? DEFAULT_API_VERSION;
    this.#pinned = opts.apiVersion !== undefined;
    this.#userAgent = opts.userAgent ?? 'Berth-Client/0.1.0 (linux)';
  }

  /** One connection per request keeps the CLI free of idle sockets that would hold the process open. */
  get #agent(): http.Agent {
    return (this.#agentInstance ??= new (httpLib().Agent)({ keepAlive: false }));
  }

  /** The API version in use (after negotiation, once a request has been made). */
  get apiVersion(): string {
    return this.#version;
  }

  /** Releases sockets. */
  close(): void {
    this.#agentInstance?.destroy();
  }

  #baseOptions(method: string, path: string, headers: Record<string, string>): http.RequestOptions {
    const common: http.RequestOptions = {
      method,
      path,
      agent: this.#agent,
      headers: { 'User-Agent': this.#userAgent, ...headers },
    };
    if (this.address.kind === 'unix') {
      // An empty servername skips the agent's TLS server-name guess, whose net.isIP check compiles a large regex
      // (several milliseconds of start-up) for a name plain HTTP never uses.
      return { ...common, socketPath: this.address.socketPath, servername: '', headers: { Host: 'api.moby.localhost', ...common.headers } } as http.RequestOptions;
    }
    return { ...common, host: this.address.host, port: this.address.port };
  }

  #connectionError(err: unknown): Error {
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ABORT_ERR') return err as Error;
    return new DaemonConnectionError(this.address.url, code, { cause: err });
  }

  /** Sends one request (unversioned path) and resolves with the response, whatever its status. */
  #send(method: string, fullPath: string, opts: RequestOptions): Promise<http.IncomingMessage> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    let payload: Buffer | undefined;
    let stream: Readable | undefined;
    if (isStream(opts.body)) {
      stream = opts.body;
      headers['Content-Type'] ??= opts.contentType ?? 'application/x-tar';
    } else if (Buffer.isBuffer(opts.body)) {
      payload = opts.body;
      headers['Content-Type'] ??= opts.contentType ?? 'application/octet-stream';
    } else if (opts.body !== undefined) {
      payload = Buffer.from(JSON.stringify(opts.body));
      headers['Content-Type'] = 'application/json';
    }
    if (payload) headers['Content-Length'] = String(payload.length);
    const reqOpts = this.#baseOptions(method, fullPath, headers);
    if (opts.signal) reqOpts.signal = opts.signal;
    return new Promise((resolve, reject) => {
      const req = httpLib().request(reqOpts, resolve);
      req.on('error', (err) => reject(this.#connectionError(err)));
      if (stream) {
        stream.on('error', (err) => req.destroy(err));
        stream.pipe(req);
      } else {
        req.end(payload);
      }
    });
  }

  /** Negotiates the API version once (no-op when pinned). */
  async negotiate(): Promise<void> {
    if (this.#pinned) return;
    this.#negotiation ??= (async () => {
      const info = await this.ping();
      if (info.apiVersion && compareApiVersions(info.apiVersion, this.#version) < 0) this.#version = info.apiVersion;
      this.#pinned = true;
    })();
    await this.#negotiation;
  }

  /** `GET /_ping` (unversioned). */
  async ping(opts: { signal?: AbortSignal } = {}): Promise<PingInfo> {
    const res = await this.#send('GET', '/_ping', opts.signal ? { signal: opts.signal } : {});
    await readAll(res);
    const header = (name: string): string | undefined => {
      const v = res.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    if ((res.statusCode ?? 500) >= 500 && header('api-version') === undefined) {
      throw new EngineApiError(res.statusCode ?? 500, `${res.statusCode} ${res.statusMessage ?? ''}`.trim());
    }
    return { apiVersion: header('api-version'), osType: header('ostype'), experimental: header('docker-experimental') === 'true' };
  }

  /** A versioned request; error statuses are thrown as EngineApiError. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    await this.negotiate();
    const res = await this.#send(method, `/v${this.#version}${path}${encodeQuery(opts.query)}`, opts);
    if ((res.statusCode ?? 500) >= 400) throw await apiErrorFrom(res);
    return res;
  }

  /** A versioned request whose response body is JSON. */
  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, opts);
    const text = (await readAll(res)).toString('utf8');
    return (text.trim() === '' ? undefined : JSON.parse(text)) as T;
  }

  /** A versioned request whose body is discarded. */
  async call(method: string, path: string, opts: RequestOptions = {}): Promise<void> {
    const res = await this.request(method, path, opts);
    await readAll(res);
  }

  /** A versioned request returning the body as text (for inspect, which prints the daemon's bytes). */
  async text(method: string, path: string, opts: RequestOptions = {}): Promise<string> {
    const res = await this.request(method, path, opts);
    return (await readAll(res)).toString('utf8');
  }

  /**
   * Upgrades the connection (`Connection: Upgrade`, `Upgrade: tcp`) for attach: resolves with the raw socket on
   * `101`, or with the response body when a daemon answers `200` without upgrading.
   */
  async hijack(method: string, path: string, opts: RequestOptions = {}): Promise<HijackedConnection> {
    await this.negotiate();
    // A JSON body (exec start's {Detach, Tty, ConsoleSize}) goes with the upgrade request, as docker's postHijacked sends it.
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const headers: Record<string, string> = {
      'Content-Type': payload ? 'application/json' : 'text/plain',
      Connection: 'Upgrade',
      Upgrade: 'tcp',
      ...(payload ? { 'Content-Length': String(payload.length) } : {}),
      ...(opts.headers ?? {}),
    };
    const reqOpts = this.#baseOptions(method, `/v${this.#version}${path}${encodeQuery(opts.query)}`, headers);
    if (opts.signal) reqOpts.signal = opts.signal;
    return new Promise((resolve, reject) => {
      const req = httpLib().request(reqOpts);
      req.on('upgrade', (res, socket, head) => {
        const mediaType = res.headers['content-type'];
        resolve({ readable: socket, socket, head, mediaType });
      });
      req.on('response', (res) => {
        if ((res.statusCode ?? 500) >= 400) {
          apiErrorFrom(res).then(reject, reject);
          return;
        }
        resolve({ readable: res, socket: undefined, head: Buffer.alloc(0), mediaType: res.headers['content-type'] });
      });
      req.on('error', (err) => reject(this.#connectionError(err)));
      req.end(payload);
    });
  }

  // -- system ---------------------------------------------------------------------------------------------------

  version(): Promise<ServerVersion> {
    return this.json<ServerVersion>('GET', '/version');
  }

  info(): Promise<SystemInfo> {
    return this.json<SystemInfo>('GET', '/info');
  }

  // -- containers -----------------------------------------------------------------------------------------------

  containerList(opts: ContainerListOptions = {}): Promise<ContainerSummary[]> {
    return this.json<ContainerSummary[]>('GET', '/containers/json', {
      query: {
        all: opts.all ? '1' : undefined,
        limit: opts.limit !== undefined && opts.limit !== -1 ? String(opts.limit) : undefined,
        size: opts.size ? '1' : undefined,
        filters: encodeFilters(opts.filters),
      },
    });
  }

  containerCreate(body: ContainerCreateBody, opts: { name?: string; platform?: string } = {}): Promise<ContainerCreateResponse> {
    return this.json<ContainerCreateResponse>('POST', '/containers/create', {
      query: { name: opts.name || undefined, platform: opts.platform || undefined },
      body,
    });
  }

  /** The inspect document, parsed and as the daemon's raw JSON text. */
  async containerInspectRaw(id: string, opts: { size?: boolean } = {}): Promise<{ value: ContainerInspect; raw: string }> {
    const raw = await this.text('GET', `/containers/${pathEscape(id)}/json`, { query: { size: opts.size ? '1' : undefined } });
    return { value: JSON.parse(raw) as ContainerInspect, raw };
  }

  async containerInspect(id: string): Promise<ContainerInspect> {
    return (await this.containerInspectRaw(id)).value;
  }

  /** Any inspect endpoint, as raw JSON text (networks, volumes, plugins…). */
  async inspectRaw(path: string, query?: Query): Promise<{ value: unknown; raw: string }> {
    const raw = await this.text('GET', path, query ? { query } : {});
    return { value: JSON.parse(raw) as unknown, raw };
  }

  containerStart(id: string, opts: { detachKeys?: string } = {}): Promise<void> {
    return this.call('POST', `/containers/${pathEscape(id)}/start`, { query: { detachKeys: opts.detachKeys } });
  }

  containerStop(id: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    return this.call('POST', `/containers/${pathEscape(id)}/stop`, {
      query: { t: opts.timeout !== undefined ? String(opts.timeout) : undefined, signal: opts.signal || undefined },
    });
  }

  containerRestart(id: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    return this.call('POST', `/containers/${pathEscape(id)}/restart`, {
      query: { t: opts.timeout !== undefined ? String(opts.timeout) : undefined, signal: opts.signal || undefined },
    });
  }

  containerRename(id: string, name: string): Promise<void> {
    return this.call('POST', `/containers/${pathEscape(id)}/rename`, { query: { name } });
  }

  containerKill(id: string, signal?: string): Promise<void> {
    return this.call('POST', `/containers/${pathEscape(id)}/kill`, { query: { signal: signal || undefined } });
  }

  containerRemove(id: string, opts: { force?: boolean; volumes?: boolean; link?: boolean } = {}): Promise<void> {
    return this.call('DELETE', `/containers/${pathEscape(id)}`, {
      query: { force: opts.force ? '1' : undefined, v: opts.volumes ? '1' : undefined, link: opts.link ? '1' : undefined },
    });
  }

  containerResize(id: string, height: number, width: number): Promise<void> {
    return this.call('POST', `/containers/${pathEscape(id)}/resize`, { query: { h: String(height), w: String(width) } });
  }

  /**
   * `POST /containers/{id}/wait`. Resolves once the daemon has accepted the request (its headers arrived, so the
   * waiter is registered and a later start cannot be missed); `result` settles when the container reaches the
   * condition.
   */
  async containerWait(id: string, condition?: 'not-running' | 'next-exit' | 'removed'): Promise<{ result: Promise<WaitResponse> }> {
    const res = await this.request('POST', `/containers/${pathEscape(id)}/wait`, { query: { condition } });
    const result = readAll(res).then((buf) => {
      const text = buf.toString('utf8').trim();
      if (text === '') throw new Error('unexpected EOF waiting for the container');
      const body = JSON.parse(text) as WaitResponse & { message?: string };
      return body;
    });
    // Avoid an unhandled rejection when the caller never awaits the result (e.g. start failed).
    result.catch(() => undefined);
    return { result };
  }

  containerLogs(id: string, opts: LogsOptions): Promise<http.IncomingMessage> {
    return this.request('GET', `/containers/${pathEscape(id)}/logs`, {
      query: {
        stdout: opts.stdout ? '1' : undefined,
        stderr: opts.stderr ? '1' : undefined,
        follow: opts.follow ? '1' : undefined,
        timestamps: opts.timestamps ? '1' : undefined,
        details: opts.details ? '1' : undefined,
        tail: opts.tail,
        since: opts.since,
        until: opts.until,
      },
    });
  }

  containerAttach(id: string, opts: AttachOptions): Promise<HijackedConnection> {
    return this.hijack('POST', `/containers/${pathEscape(id)}/attach`, {
      query: {
        stream: opts.stream ? '1' : undefined,
        stdin: opts.stdin ? '1' : undefined,
        stdout: opts.stdout ? '1' : undefined,
        stderr: opts.stderr ? '1' : undefined,
        logs: opts.logs ? '1' : undefined,
        detachKeys: opts.detachKeys,
      },
    });
  }

  containerPause(id: string): Promise<void> {
    return this.call('POST', `/containers/${pathEscape(id)}/pause`);
  }

  containerUnpause(id: string): Promise<void> {
    return this.call('POST', `/containers/${pathEscape(id)}/unpause`);
  }

  /** `GET /containers/{id}/top`; `psArgs` are joined with spaces into `ps_args`, as docker's client does. */
  containerTop(id: string, psArgs: readonly string[] = []): Promise<TopResponse> {
    return this.json<TopResponse>('GET', `/containers/${pathEscape(id)}/top`, { query: { ps_args: psArgs.length > 0 ? psArgs.join(' ') : undefined } });
  }

  containerUpdate(id: string, config: UpdateConfig): Promise<UpdateResponse> {
    return this.json<UpdateResponse>('POST', `/containers/${pathEscape(id)}/update`, { body: config });
  }

  containerPrune(filters?: Filters): Promise<ContainerPruneReport> {
    return this.json<ContainerPruneReport>('POST', '/containers/prune', { query: { filters: encodeFilters(filters) } });
  }

  // -- exec -----------------------------------------------------------------------------------------------------

  /** `POST /containers/{id}/exec`: registers the process; resolves with its exec ID. */
  async execCreate(container: string, body: ExecCreateBody): Promise<string> {
    const res = await this.json<{ Id: string }>('POST', `/containers/${pathEscape(container)}/exec`, { body });
    return res.Id;
  }

  /** `POST /exec/{id}/start` with `Detach: true`: starts the process and returns at once. */
  execStart(id: string, body: ExecStartBody): Promise<void> {
    return this.call('POST', `/exec/${pathEscape(id)}/start`, { body });
  }

  /** `POST /exec/{id}/start` hijacked: starts the process and streams its stdio over the upgraded connection. */
  execAttach(id: string, body: Omit<ExecStartBody, 'Detach'>): Promise<HijackedConnection> {
    return this.hijack('POST', `/exec/${pathEscape(id)}/start`, { body: { Detach: false, ...body } });
  }

  execInspect(id: string): Promise<ExecInspect> {
    return this.json<ExecInspect>('GET', `/exec/${pathEscape(id)}/json`);
  }

  execResize(id: string, height: number, width: number): Promise<void> {
    return this.call('POST', `/exec/${pathEscape(id)}/resize`, { query: { h: String(height), w: String(width) } });
  }

  // -- images ---------------------------------------------------------------------------------------------------

  // -- container filesystem (cp, diff, export, commit) --------------------------------------------------------

  /** `HEAD /containers/{id}/archive`: Docker's path stat (from the X-Docker-Container-Path-Stat header). */
  async containerStatPath(id: string, path: string): Promise<ContainerPathStat> {
    const res = await this.request('HEAD', `/containers/${pathEscape(id)}/archive`, { query: { path } });
    res.resume();
    return decodePathStat(res.headers[PATH_STAT_HEADER.toLowerCase()]);
  }

  /** `GET /containers/{id}/archive`: a tar of `path` and its stat. */
  async copyFromContainer(id: string, path: string): Promise<{ stat: ContainerPathStat; content: http.IncomingMessage }> {
    const res = await this.request('GET', `/containers/${pathEscape(id)}/archive`, { query: { path } });
    return { stat: decodePathStat(res.headers[PATH_STAT_HEADER.toLowerCase()]), content: res };
  }

  /** `PUT /containers/{id}/archive`: extracts the tar `content` into the directory `path`. */
  copyToContainer(id: string, path: string, content: Readable, opts: { allowOverwriteDirWithFile?: boolean; copyUIDGID?: boolean } = {}): Promise<void> {
    return this.call('PUT', `/containers/${pathEscape(id)}/archive`, {
      query: { path, noOverwriteDirNonDir: opts.allowOverwriteDirWithFile ? undefined : 'true', copyUIDGID: opts.copyUIDGID ? 'true' : undefined },
      body: content,
      contentType: 'application/x-tar',
    });
  }

  containerChanges(id: string): Promise<ContainerChange[] | null> {
    return this.json<ContainerChange[] | null>('GET', `/containers/${pathEscape(id)}/changes`);
  }

  containerExport(id: string): Promise<http.IncomingMessage> {
    return this.request('GET', `/containers/${pathEscape(id)}/export`);
  }

  containerCommit(id: string, opts: { reference?: string; comment?: string; author?: string; changes?: string[]; pause?: boolean }): Promise<{ Id: string }> {
    let repo: string | undefined;
    let tag: string | undefined;
    if (opts.reference) {
      const at = opts.reference.lastIndexOf(':');
      const slash = opts.reference.lastIndexOf('/');
      if (at > slash) {
        repo = opts.reference.slice(0, at);
        tag = opts.reference.slice(at + 1);
      } else {
        repo = opts.reference;
      }
    }
    return this.json<{ Id: string }>('POST', '/commit', {
      query: {
        container: id,
        repo,
        tag,
        comment: opts.comment || undefined,
        author: opts.author || undefined,
        changes: opts.changes && opts.changes.length > 0 ? opts.changes : undefined,
        pause: opts.pause === false ? '0' : undefined,
      },
      body: {},
    });
  }

  imageList(opts: ImageListOptions = {}): Promise<ImageSummary[]> {
    return this.json<ImageSummary[]>('GET', '/images/json', {
      query: { all: opts.all ? '1' : undefined, filters: encodeFilters(opts.filters), digests: opts.digests ? '1' : undefined },
    });
  }

  async imageInspectRaw(name: string): Promise<{ value: ImageInspect; raw: string }> {
    const raw = await this.text('GET', `/images/${pathEscape(name)}/json`);
    return { value: JSON.parse(raw) as ImageInspect, raw };
  }

  imageHistory(name: string): Promise<HistoryItem[]> {
    return this.json<HistoryItem[]>('GET', `/images/${pathEscape(name)}/history`);
  }

  imageTag(source: string, repo: string, tag: string | undefined): Promise<void> {
    return this.call('POST', `/images/${pathEscape(source)}/tag`, { query: { repo, tag: tag || undefined } });
  }

  imageRemove(name: string, opts: { force?: boolean; noPrune?: boolean } = {}): Promise<DeleteItem[]> {
    return this.json<DeleteItem[]>('DELETE', `/images/${pathEscape(name)}`, {
      query: { force: opts.force ? '1' : undefined, noprune: opts.noPrune ? '1' : undefined },
    });
  }

  /** `POST /images/create`: pull (`fromImage`) or import (`fromSrc`); returns the JSON progress stream. */
  imageCreate(
    query: Query,
    opts: { body?: Readable; contentType?: string; signal?: AbortSignal; registryAuth?: string } = {},
  ): Promise<http.IncomingMessage> {
    const req: RequestOptions = { query };
    if (opts.registryAuth) req.headers = { 'X-Registry-Auth': opts.registryAuth };
    if (opts.body) req.body = opts.body;
    if (opts.contentType) req.contentType = opts.contentType;
    if (opts.signal) req.signal = opts.signal;
    return this.request('POST', '/images/create', req);
  }

  /** `POST /images/{name}/push?tag=`: returns the JSON progress stream. */
  imagePush(name: string, tag: string | undefined, registryAuth: string): Promise<http.IncomingMessage> {
    return this.request('POST', `/images/${pathEscape(name)}/push`, { query: { tag: tag || undefined }, headers: { 'X-Registry-Auth': registryAuth } });
  }

  /** `GET /images/search?term=&limit=`. */
  imageSearch(term: string, opts: { limit?: number; registryAuth?: string } = {}): Promise<RegistrySearchResult[]> {
    return this.json<RegistrySearchResult[]>('GET', '/images/search', {
      query: { term, limit: opts.limit },
      ...(opts.registryAuth ? { headers: { 'X-Registry-Auth': opts.registryAuth } } : {}),
    });
  }

  /** `POST /auth`: checks credentials against a registry. */
  registryLogin(auth: { username?: string; password?: string; serveraddress: string }): Promise<{ Status: string; IdentityToken?: string }> {
    return this.json<{ Status: string; IdentityToken?: string }>('POST', '/auth', { body: auth });
  }

  /** `POST /images/load`: sends a tar stream; returns the JSON progress stream. */
  imageLoad(body: Readable, opts: { quiet?: boolean } = {}): Promise<http.IncomingMessage> {
    return this.request('POST', '/images/load', { query: { quiet: opts.quiet ? '1' : '0' }, body, contentType: 'application/x-tar' });
  }

  imagePrune(filters?: Filters): Promise<ImagePruneReport> {
    return this.json<ImagePruneReport>('POST', '/images/prune', { query: { filters: encodeFilters(filters) } });
  }

  // -- prune of other objects (system prune), disk usage ---------------------------------------------------------

  networkPrune(filters?: Filters): Promise<NetworkPruneReport> {
    return this.json<NetworkPruneReport>('POST', '/networks/prune', { query: { filters: encodeFilters(filters) } });
  }

  // -- volumes ---------------------------------------------------------------------------------------------------

  volumeCreate(body: { Name?: string; Driver?: string; DriverOpts?: Record<string, string>; Labels?: Record<string, string> }): Promise<Volume> {
    return this.json<Volume>('POST', '/volumes/create', { body });
  }

  volumeList(filters?: Filters): Promise<{ Volumes: Volume[] | null; Warnings: string[] | null }> {
    return this.json('GET', '/volumes', { query: { filters: encodeFilters(filters) } });
  }

  volumeInspectRaw(name: string): Promise<{ value: unknown; raw: string }> {
    return this.inspectRaw(`/volumes/${pathEscape(name)}`);
  }

  volumeRemove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    return this.call('DELETE', `/volumes/${pathEscape(name)}`, { query: { force: opts.force ? '1' : undefined } });
  }

  volumePrune(filters?: Filters): Promise<VolumePruneReport> {
    return this.json<VolumePruneReport>('POST', '/volumes/prune', { query: { filters: encodeFilters(filters) } });
  }

  /** `POST /build/prune`; docker's client always sends `filters`, empty when there are none. */
  buildCachePrune(opts: { all?: boolean; filters?: Filters } = {}): Promise<BuildCachePruneReport> {
    return this.json<BuildCachePruneReport>('POST', '/build/prune', {
      query: { all: opts.all ? '1' : undefined, filters: encodeFilters(opts.filters) ?? '' },
    });
  }

  systemDf(): Promise<DiskUsage> {
    return this.json<DiskUsage>('GET', '/system/df');
  }

  /** `GET /images/get`: the tar stream of the named images. */
  imageSave(names: string[]): Promise<http.IncomingMessage> {
    return this.request('GET', '/images/get', { query: { names } });
  }
}

/** The non-empty lines of a newline-delimited stream, the unterminated last one included. */
export async function* jsonLines(stream: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  let buf = '';
  for await (const chunk of stream) {
    buf += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line !== '') yield line;
    }
  }
  if (buf.trim() !== '') yield buf.trim();
}

/** Decodes a JSON-lines (or concatenated JSON) progress stream. */
export async function* readJsonMessages(stream: AsyncIterable<Buffer | string>): AsyncGenerator<JsonMessage> {
  for await (const line of jsonLines(stream)) {
    // Concatenated objects without newlines: split at top-level boundaries.
    for (const piece of splitConcatenatedJson(line)) yield JSON.parse(piece) as JsonMessage;
  }
}

function splitConcatenatedJson(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = -1;
  let inStr = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inStr) {
      if (c === '\\') i++;
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0 && start >= 0) {
        out.push(s.slice(start, i + 1));
        start = -1;
      }
    }
  }
  return out;
}

export interface ContainerChange {
  Path: string;
  Kind: 0 | 1 | 2;
}

