/**
 * `berth registry serve`: the OCI distribution API over {@link RegistryStorage}, on HTTP or HTTPS.
 *
 * A request goes: route (path → handler and the repository name) → authorize (the access the method needs) →
 * read-only check for writes → repository-name grammar → handler. Handlers throw RegistryError; the one catch
 * below renders the spec's JSON envelope with its status. Bodies stream: uploads go to disk while hashed, blob
 * reads are ranged file streams, so memory stays flat whatever the layer size.
 */
import { createReadStream } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { authorize, grant, parseScope, type Access, type AuthConfig } from './auth.js';
import { RegistryError } from './errors.js';
import { nextLink, paginate, parseContentRange, parsePagination, parseRange, readBody } from './http-util.js';
import { accepts, MANIFEST_MAX_BYTES, parseManifest } from './manifests.js';
import { digestOf, isRepositoryName, isTag, looksLikeDigest, parseBlobDigest, type BlobDigest } from './names.js';
import { RegistryStorage } from './storage.js';

export interface RegistryServerOptions {
  root: string;
  auth?: AuthConfig;
  readOnly?: boolean;
  /** distribution's `storage.delete.enabled`; on here by default. */
  deleteEnabled?: boolean;
  tls?: { cert: Buffer; key: Buffer };
  /** One line per request, for an access log. */
  log?: (line: string) => void;
}

type Handler = (ctx: RequestContext) => Promise<void>;

interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  name: string;
  /** Path parts after the name: the tag or digest, the upload uuid. */
  param: string;
  storage: RegistryStorage;
  base: string;
}

interface Route {
  re: RegExp;
  methods: Partial<Record<string, { handler: Handler; actions: string[]; write: boolean }>>;
  /** Access not tied to the URL's repository (the catalog). */
  scope?: (name: string) => Access;
}

const API_VERSION_HEADER = { 'Docker-Distribution-API-Version': 'registry/2.0' };

function send(res: ServerResponse, status: number, headers: Record<string, string | number>, body?: string | Buffer): void {
  res.writeHead(status, { ...API_VERSION_HEADER, ...headers, 'Content-Length': body === undefined ? 0 : Buffer.byteLength(body) });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  send(res, status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }, `${JSON.stringify(value)}\n`);
}

function digestParam(value: string | null): BlobDigest {
  const d = value === null ? undefined : parseBlobDigest(value);
  if (!d) throw new RegistryError('DIGEST_INVALID', { message: 'provided digest is invalid', detail: value === null ? 'digest parameter missing' : `invalid digest ${JSON.stringify(value)}` });
  return d;
}

// -- blobs ------------------------------------------------------------------------------------------------------

async function blobResponse(ctx: RequestContext, withBody: boolean): Promise<void> {
  const d = parseBlobDigest(ctx.param);
  if (!d) throw new RegistryError('DIGEST_INVALID', { message: 'provided digest is invalid', detail: ctx.param });
  const size = await ctx.storage.blobSize(ctx.name, d);
  if (size === undefined) throw new RegistryError('BLOB_UNKNOWN', { detail: d.value });
  const headers: Record<string, string | number> = {
    ...API_VERSION_HEADER,
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': d.value,
    Etag: `"${d.value}"`,
    'Cache-Control': 'max-age=31536000',
    'Accept-Ranges': 'bytes',
  };
  if (ctx.req.headers['if-none-match'] === `"${d.value}"`) {
    ctx.res.writeHead(304, headers).end();
    return;
  }
  const range = withBody ? parseRange(ctx.req.headers.range, size) : undefined;
  if (range === 'unsatisfiable') {
    throw new RegistryError('RANGE_INVALID', { message: 'requested range not satisfiable', headers: { 'Content-Range': `bytes */${size}` } });
  }
  const span = range ?? { start: 0, end: size - 1 };
  const length = size === 0 ? 0 : span.end - span.start + 1;
  if (range) headers['Content-Range'] = `bytes ${span.start}-${span.end}/${size}`;
  ctx.res.writeHead(range ? 206 : 200, { ...headers, 'Content-Length': length });
  if (!withBody || length === 0) {
    ctx.res.end();
    return;
  }
  await pipeline(createReadStream(ctx.storage.blobPath(d), { start: span.start, end: span.end, highWaterMark: 1 << 20 }), ctx.res);
}

async function deleteBlob(ctx: RequestContext): Promise<void> {
  const d = parseBlobDigest(ctx.param);
  if (!d) throw new RegistryError('DIGEST_INVALID', { message: 'provided digest is invalid', detail: ctx.param });
  if (!(await ctx.storage.unlinkBlob(ctx.name, d))) throw new RegistryError('BLOB_UNKNOWN', { detail: d.value });
  send(ctx.res, 202, { 'Docker-Content-Digest': d.value });
}

// -- uploads ----------------------------------------------------------------------------------------------------

function uploadHeaders(ctx: RequestContext, uuid: string, offset: number): Record<string, string> {
  return {
    Location: `${ctx.base}/v2/${ctx.name}/blobs/uploads/${uuid}`,
    Range: `0-${offset > 0 ? offset - 1 : 0}`,
    'Docker-Upload-UUID': uuid,
  };
}

function blobCreated(ctx: RequestContext, d: BlobDigest): void {
  send(ctx.res, 201, { Location: `${ctx.base}/v2/${ctx.name}/blobs/${d.value}`, 'Docker-Content-Digest': d.value });
}

/** Whether the request says it has a body (a declared non-zero length, or chunked transfer). */
function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}

async function startUpload(ctx: RequestContext, auth: AuthConfig): Promise<void> {
  const mount = ctx.url.searchParams.get('mount');
  const from = ctx.url.searchParams.get('from');
  if (mount !== null && from !== null) {
    // Cross-repository mount: only from a repository the client may pull, and only a blob it really holds;
    // otherwise distribution answers with an ordinary upload session, and so do we.
    const d = parseBlobDigest(mount);
    const mayPull = auth.mode !== 'token' || (await tokenCovers(ctx, auth, { type: 'repository', name: from, actions: ['pull'] }));
    if (d && isRepositoryName(from) && mayPull && (await ctx.storage.blobSize(from, d)) !== undefined) {
      await ctx.storage.linkBlob(ctx.name, d);
      blobCreated(ctx, d);
      return;
    }
  }
  const digest = ctx.url.searchParams.get('digest');
  const expected = digest === null ? undefined : digestParam(digest);
  const uuid = await ctx.storage.startUpload(ctx.name);
  if (expected) {
    // Monolithic upload: the whole blob in the POST.
    await ctx.storage.appendUpload(ctx.name, uuid, ctx.req).catch(async (e: unknown) => {
      await ctx.storage.cancelUpload(ctx.name, uuid);
      throw e;
    });
    await ctx.storage.commitUpload(ctx.name, uuid, expected);
    blobCreated(ctx, expected);
    return;
  }
  ctx.req.resume();
  send(ctx.res, 202, uploadHeaders(ctx, uuid, 0));
}

async function tokenCovers(ctx: RequestContext, auth: AuthConfig, needed: Access): Promise<boolean> {
  try {
    await authorize(auth, ctx.req.headers.authorization, [needed], () => '');
    return true;
  } catch {
    return false;
  }
}

async function uploadStatus(ctx: RequestContext): Promise<void> {
  const offset = await ctx.storage.uploadOffset(ctx.name, ctx.param);
  if (offset === undefined) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', { detail: { uuid: ctx.param } });
  send(ctx.res, 204, uploadHeaders(ctx, ctx.param, offset));
}

async function patchUpload(ctx: RequestContext): Promise<void> {
  const range = parseContentRange(ctx.req.headers['content-range']);
  if (range) {
    const declared = ctx.req.headers['content-length'];
    if (declared !== undefined && Number(declared) !== range.end - range.start + 1) {
      throw new RegistryError('RANGE_INVALID', { detail: 'Content-Range does not match Content-Length' });
    }
  }
  const offset = await ctx.storage.appendUpload(ctx.name, ctx.param, ctx.req, range?.start);
  send(ctx.res, 202, uploadHeaders(ctx, ctx.param, offset));
}

async function putUpload(ctx: RequestContext): Promise<void> {
  const expected = digestParam(ctx.url.searchParams.get('digest'));
  if ((await ctx.storage.uploadOffset(ctx.name, ctx.param)) === undefined) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', { detail: { uuid: ctx.param } });
  if (hasBody(ctx.req)) {
    const range = parseContentRange(ctx.req.headers['content-range']);
    await ctx.storage.appendUpload(ctx.name, ctx.param, ctx.req, range?.start);
  } else {
    ctx.req.resume();
  }
  await ctx.storage.commitUpload(ctx.name, ctx.param, expected);
  blobCreated(ctx, expected);
}

async function cancelUpload(ctx: RequestContext): Promise<void> {
  if (!(await ctx.storage.cancelUpload(ctx.name, ctx.param))) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', { detail: { uuid: ctx.param } });
  send(ctx.res, 204, {});
}

// -- manifests --------------------------------------------------------------------------------------------------

function manifestReference(ref: string): { digest: BlobDigest } | { tag: string } {
  const d = parseBlobDigest(ref);
  if (d) return { digest: d };
  if (looksLikeDigest(ref)) throw new RegistryError('DIGEST_INVALID', { message: 'provided digest is invalid', detail: ref });
  if (!isTag(ref)) throw new RegistryError('TAG_INVALID', { detail: ref });
  return { tag: ref };
}

async function manifestResponse(ctx: RequestContext, withBody: boolean): Promise<void> {
  const ref = manifestReference(ctx.param);
  const digest = 'digest' in ref ? ref.digest : await ctx.storage.resolveTag(ctx.name, ref.tag);
  const unknown = (): RegistryError => new RegistryError('MANIFEST_UNKNOWN', { detail: { Tag: 'tag' in ref ? ref.tag : undefined, Name: ctx.name, Revision: digest?.value } });
  if (!digest) throw unknown();
  const m = await ctx.storage.getManifest(ctx.name, digest);
  if (!m) throw unknown();
  if (!accepts(ctx.req.headers.accept, m.mediaType)) {
    throw new RegistryError('MANIFEST_UNKNOWN', { message: `${m.mediaType} manifest found, but accept header does not support it`, detail: { Name: ctx.name } });
  }
  const headers = { 'Content-Type': m.mediaType, 'Docker-Content-Digest': m.digest.value, Etag: `"${m.digest.value}"` };
  if (ctx.req.headers['if-none-match'] === `"${m.digest.value}"`) {
    ctx.res.writeHead(304, { ...API_VERSION_HEADER, ...headers }).end();
    return;
  }
  if (!withBody) {
    ctx.res.writeHead(200, { ...API_VERSION_HEADER, ...headers, 'Content-Length': m.bytes.length }).end();
    return;
  }
  send(ctx.res, 200, headers, m.bytes);
}

async function putManifest(ctx: RequestContext): Promise<void> {
  const ref = manifestReference(ctx.param);
  const bytes = await readBody(ctx.req, MANIFEST_MAX_BYTES, () => new RegistryError('MANIFEST_INVALID', { detail: `manifest larger than ${MANIFEST_MAX_BYTES} bytes` }));
  const digest = parseBlobDigest(digestOf(bytes, 'digest' in ref ? ref.digest.algorithm : 'sha256'))!;
  if ('digest' in ref && ref.digest.value !== digest.value) {
    throw new RegistryError('DIGEST_INVALID', { detail: { expected: ref.digest.value, actual: digest.value } });
  }
  const parsed = parseManifest(bytes, ctx.req.headers['content-type']);
  for (const b of parsed.blobs) {
    if ((await ctx.storage.blobSize(ctx.name, b)) === undefined) throw new RegistryError('MANIFEST_BLOB_UNKNOWN', { detail: b.value });
  }
  for (const m of parsed.manifests) {
    if (!(await ctx.storage.hasManifest(ctx.name, m))) throw new RegistryError('MANIFEST_BLOB_UNKNOWN', { message: 'manifest blob unknown to registry', detail: m.value });
  }
  await ctx.storage.putManifest(ctx.name, digest, parsed.mediaType, bytes, 'tag' in ref ? ref.tag : undefined);
  send(ctx.res, 201, { Location: `${ctx.base}/v2/${ctx.name}/manifests/${digest.value}`, 'Docker-Content-Digest': digest.value });
}

async function deleteManifest(ctx: RequestContext): Promise<void> {
  const ref = manifestReference(ctx.param);
  if ('tag' in ref) {
    // OCI distribution 1.1: deleting by tag removes the tag only.
    if (!(await ctx.storage.deleteTag(ctx.name, ref.tag))) throw new RegistryError('MANIFEST_UNKNOWN', { detail: { Tag: ref.tag, Name: ctx.name } });
  } else if (!(await ctx.storage.deleteManifest(ctx.name, ref.digest))) {
    throw new RegistryError('MANIFEST_UNKNOWN', { detail: { Name: ctx.name, Revision: ref.digest.value } });
  }
  send(ctx.res, 202, {});
}

// -- listings ---------------------------------------------------------------------------------------------------

async function listTags(ctx: RequestContext): Promise<void> {
  if (!(await ctx.storage.repositoryExists(ctx.name))) throw new RegistryError('NAME_UNKNOWN', { detail: { name: ctx.name } });
  const { n, last } = parsePagination(ctx.url.searchParams);
  const { page, more } = paginate(await ctx.storage.tags(ctx.name), n, last);
  const headers: Record<string, string> = more ? { Link: nextLink(`/v2/${ctx.name}/tags/list`, n, page[page.length - 1]!) } : {};
  sendJson(ctx.res, 200, { name: ctx.name, tags: page }, headers);
}

async function catalog(ctx: RequestContext): Promise<void> {
  const { n, last } = parsePagination(ctx.url.searchParams);
  const { page, more } = paginate(await ctx.storage.repositories(), n, last);
  const headers: Record<string, string> = more ? { Link: nextLink('/v2/_catalog', n, page[page.length - 1]!) } : {};
  sendJson(ctx.res, 200, { repositories: page }, headers);
}

/** Docker Hub's v1 search, over the catalog: what `docker search <registry>/<term>` asks a registry for. */
async function search(ctx: RequestContext): Promise<void> {
  const q = ctx.url.searchParams.get('q') ?? '';
  const nRaw = ctx.url.searchParams.get('n');
  const pageRaw = ctx.url.searchParams.get('page');
  const n = nRaw === null || nRaw === '' ? 25 : Number(nRaw);
  const page = pageRaw === null || pageRaw === '' ? 1 : Number(pageRaw);
  if (!Number.isInteger(n) || n < 1 || n > 100 || !Number.isInteger(page) || page < 1) {
    throw new RegistryError('PAGINATION_NUMBER_INVALID', { detail: { n: nRaw, page: pageRaw } });
  }
  const term = q.toLowerCase();
  const matches = (await ctx.storage.repositories()).filter((r) => r.includes(term));
  const results = matches.slice((page - 1) * n, page * n).map((name) => ({ name, description: '', star_count: 0, is_official: false, is_automated: false }));
  sendJson(ctx.res, 200, { num_pages: Math.max(1, Math.ceil(matches.length / n)), num_results: matches.length, page_size: n, query: q, page, results });
}

// -- routing ----------------------------------------------------------------------------------------------------

const NAME = '(.+?)';

export class RegistryServer {
  readonly storage: RegistryStorage;
  readonly #options: RegistryServerOptions;
  readonly #auth: AuthConfig;
  readonly #server: Server;
  readonly #routes: Route[];

  constructor(options: RegistryServerOptions) {
    this.#options = options;
    this.#auth = options.auth ?? { mode: 'none' };
    this.storage = new RegistryStorage(options.root);
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.#handle(req, res);
    this.#server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler) : createHttpServer(handler);
    // Keep connections open between a client's many requests; a 200 MB layer may take longer than Node's
    // default five-minute request timeout on a slow link.
    this.#server.keepAliveTimeout = 75_000;
    this.#server.headersTimeout = 80_000;
    this.#server.requestTimeout = 3_600_000;
    const auth = this.#auth;
    const pull = ['pull'];
    const push = ['pull', 'push'];
    const del = ['delete'];
    this.#routes = [
      { re: new RegExp(`^/v2/${NAME}/tags/list$`), methods: { GET: { handler: listTags, actions: pull, write: false } } },
      {
        re: new RegExp(`^/v2/${NAME}/manifests/([^/]+)$`),
        methods: {
          GET: { handler: (c) => manifestResponse(c, true), actions: pull, write: false },
          HEAD: { handler: (c) => manifestResponse(c, false), actions: pull, write: false },
          PUT: { handler: putManifest, actions: push, write: true },
          DELETE: { handler: (c) => this.#deletable(c, deleteManifest), actions: del, write: true },
        },
      },
      { re: new RegExp(`^/v2/${NAME}/blobs/uploads/?()$`), methods: { POST: { handler: (c) => startUpload(c, auth), actions: push, write: true } } },
      {
        re: new RegExp(`^/v2/${NAME}/blobs/uploads/([^/]+)$`),
        methods: {
          GET: { handler: uploadStatus, actions: push, write: false },
          PATCH: { handler: patchUpload, actions: push, write: true },
          PUT: { handler: putUpload, actions: push, write: true },
          DELETE: { handler: cancelUpload, actions: push, write: true },
        },
      },
      {
        re: new RegExp(`^/v2/${NAME}/blobs/([^/]+)$`),
        methods: {
          GET: { handler: (c) => blobResponse(c, true), actions: pull, write: false },
          HEAD: { handler: (c) => blobResponse(c, false), actions: pull, write: false },
          DELETE: { handler: (c) => this.#deletable(c, deleteBlob), actions: del, write: true },
        },
      },
    ];
  }

  async #deletable(ctx: RequestContext, h: Handler): Promise<void> {
    if (this.#options.deleteEnabled === false) throw new RegistryError('UNSUPPORTED');
    await h(ctx);
  }

  listen(port: number, host?: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve(this.#server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #base(req: IncomingMessage): string {
    const host = req.headers.host ?? `localhost`;
    return `${this.#options.tls ? 'https' : 'http'}://${host}`;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    try {
      await this.#dispatch(req, res);
    } catch (e) {
      const err = e instanceof RegistryError ? e : new RegistryError('UNKNOWN', { message: (e as Error).message });
      if (res.headersSent) {
        res.destroy();
      } else {
        // An unread request body would be read and thrown away on a kept-alive connection: close it instead.
        const close: Record<string, string> = req.complete ? {} : { Connection: 'close' };
        const body = req.method === 'HEAD' ? undefined : err.body();
        res.writeHead(err.status, {
          ...API_VERSION_HEADER,
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': body === undefined ? 0 : Buffer.byteLength(body),
          ...err.headers,
          ...close,
        });
        res.end(body);
      }
    } finally {
      this.#options.log?.(`${req.socket.remoteAddress ?? '-'} "${req.method} ${req.url}" ${res.statusCode} ${Date.now() - started}ms`);
    }
  }

  async #dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://registry');
    const method = req.method ?? 'GET';
    // Route on the path as sent: URL parsing would resolve `..` and `%2e%2e` segments into another repository's
    // name, where distribution's grammar check must see them and refuse.
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q === -1 ? raw : raw.slice(0, q);
    const realm = (): string => `${this.#base(req)}/token`;
    const base = this.#base(req);

    if (path === '/v2/' || path === '/v2') {
      if (method !== 'GET' && method !== 'HEAD') throw new RegistryError('UNSUPPORTED');
      await authorize(this.#auth, req.headers.authorization, [], realm);
      send(res, 200, { 'Content-Type': 'application/json; charset=utf-8' }, method === 'HEAD' ? undefined : '{}');
      return;
    }
    if (path === '/token') {
      await this.#token(req, res, url);
      return;
    }
    if (path === '/v2/_catalog') {
      if (method !== 'GET') throw new RegistryError('UNSUPPORTED');
      await authorize(this.#auth, req.headers.authorization, [{ type: 'registry', name: 'catalog', actions: ['*'] }], realm);
      await catalog({ req, res, url, name: '', param: '', storage: this.storage, base });
      return;
    }
    if (path === '/v1/search') {
      if (method !== 'GET') throw new RegistryError('UNSUPPORTED');
      await this.#authorizeSearch(req, realm);
      await search({ req, res, url, name: '', param: '', storage: this.storage, base });
      return;
    }
    for (const route of this.#routes) {
      const m = route.re.exec(path);
      if (!m) continue;
      const name = m[1]!;
      let param: string;
      try {
        param = decodeURIComponent(m[2] ?? '');
      } catch {
        throw new RegistryError('NAME_INVALID', { message: 'invalid path encoding', detail: { path } });
      }
      const entry = route.methods[method];
      if (!entry) throw new RegistryError('UNSUPPORTED');
      await authorize(this.#auth, req.headers.authorization, [{ type: 'repository', name, actions: entry.actions }], realm);
      if (entry.write && this.#options.readOnly) throw new RegistryError('UNSUPPORTED', { detail: 'the registry is in read-only mode' });
      if (!isRepositoryName(name)) throw new RegistryError('NAME_INVALID', { detail: { name } });
      await entry.handler({ req, res, url, name, param, storage: this.storage, base });
      return;
    }
    req.resume();
    send(res, 404, { 'Content-Type': 'text/plain; charset=utf-8' }, '404 page not found\n');
  }

  /** Search lists the catalog: Basic credentials or a token for `registry:catalog:*`, when auth is on. */
  async #authorizeSearch(req: IncomingMessage, realm: () => string): Promise<void> {
    if (this.#auth.mode === 'token' && (await this.#auth.htpasswd.check(req.headers.authorization)) !== undefined) return;
    await authorize(this.#auth, req.headers.authorization, [{ type: 'registry', name: 'catalog', actions: ['*'] }], realm);
  }

  /** The token endpoint (GET with Basic credentials, or the OAuth2 password grant by POST), token mode only. */
  async #token(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const auth = this.#auth;
    if (auth.mode !== 'token') {
      req.resume();
      send(res, 404, { 'Content-Type': 'text/plain; charset=utf-8' }, '404 page not found\n');
      return;
    }
    let user: string | undefined;
    let scopes: string[];
    let post = false;
    if (req.method === 'GET') {
      if (req.headers.authorization !== undefined) {
        user = await auth.htpasswd.check(req.headers.authorization);
        if (user === undefined) throw new RegistryError('UNAUTHORIZED', { message: 'invalid username or password' });
      }
      scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' '));
    } else if (req.method === 'POST') {
      post = true;
      const form = new URLSearchParams((await readBody(req, 64 * 1024, () => new RegistryError('UNSUPPORTED'))).toString('utf8'));
      if (form.get('grant_type') !== 'password') throw new RegistryError('UNSUPPORTED', { message: 'unsupported grant_type', status: 400 });
      const basic = `Basic ${Buffer.from(`${form.get('username') ?? ''}:${form.get('password') ?? ''}`).toString('base64')}`;
      user = await auth.htpasswd.check(basic);
      if (user === undefined) throw new RegistryError('UNAUTHORIZED', { message: 'invalid username or password' });
      scopes = (form.get('scope') ?? '').split(' ').filter((s) => s !== '');
    } else {
      throw new RegistryError('UNSUPPORTED');
    }
    const requested = scopes.map(parseScope).filter((a): a is Access => a !== undefined);
    const { token, claims } = auth.issuer.issue(user ?? '', auth.service, grant(user, requested));
    const issuedAt = new Date(claims.iat * 1000).toISOString();
    sendJson(res, 200, post ? { access_token: token, token_type: 'Bearer', expires_in: auth.issuer.ttlSeconds, issued_at: issuedAt } : { token, access_token: token, expires_in: auth.issuer.ttlSeconds, issued_at: issuedAt });
  }
}


