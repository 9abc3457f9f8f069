import type { IncomingMessage } from 'node:http';
import type { Agent } from 'node:https';
import { InvalidArgumentError, NotFoundError, UnauthorizedError, UnavailableError, ForbiddenError } from '../../core/errdefs.js';
import {
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
  type CallOptions,
  type FetchedManifest,
  type LoginResult,
  type PushedBlob,
  type Registry,
  type RegistryCredentials,
  type RegistryRepository,
  type SearchResult,
} from '../../core/registry.js';
import { MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_OCI_MANIFEST } from '../../core/images.js';
import { DigestCounter, isDigest, sha256Digest, type Digest } from '../../pkg/digest.js';
import { parseChallenges, type Challenge } from './auth-challenge.js';
import { discard, readBody, send } from './http.js';
import { certsDirAgent, DEFAULT_CERTS_DIR } from './certs-dir.js';

const MANIFEST_ACCEPT = [MEDIA_TYPE_DOCKER_MANIFEST, MEDIA_TYPE_DOCKER_MANIFEST_LIST, MEDIA_TYPE_OCI_MANIFEST, MEDIA_TYPE_OCI_INDEX].join(', ');
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Attempts at a blob download before giving up; each retry asks only for the bytes not yet received. */
const BLOB_ATTEMPTS = 5;
const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ENDPOINT = 'registry-1.docker.io';

export interface RegistryClientOptions {
  /** `--insecure-registry`: hosts (`host:port`) or CIDRs reached over plain HTTP, or TLS without verification. */
  insecureRegistries?: readonly string[];
  /** `--registry-mirror`: URLs tried first for docker.io. */
  mirrors?: readonly string[];
  /** `--registry-certs-dir`: per-registry CAs and client certificates, `<dir>/<host:port>/` (dockerd's certs.d). */
  certsDir?: string;
  now?: () => number;
}

interface Endpoint {
  /** `http://127.0.0.1:5000` or `https://registry-1.docker.io`. */
  base: string;
  insecureTls: boolean;
  /** A secure host's agent with the CAs and client certificate of its certs directory, if it has any. */
  tlsAgent?: Agent | undefined;
}

interface CachedToken {
  header: string;
  expires: number;
}

/**
 * A client of the distribution API (docker/distribution's registry/client, containerd's remotes/docker): one
 * instance per daemon, holding the per-host scheme decisions, the /v2/ challenges and a bearer-token cache.
 */
export class RegistryClient implements Registry {
  readonly #insecure: readonly string[];
  readonly #mirrors: readonly string[];
  readonly #certsDir: string;
  readonly #now: () => number;
  readonly #endpoints = new Map<string, Promise<Endpoint>>();
  readonly #challenges = new Map<string, Challenge[]>();
  readonly #tokens = new Map<string, CachedToken>();

  constructor(opts: RegistryClientOptions = {}) {
    this.#insecure = opts.insecureRegistries ?? [];
    this.#mirrors = (opts.mirrors ?? []).map((m) => m.replace(/\/+$/, ''));
    this.#certsDir = opts.certsDir ?? DEFAULT_CERTS_DIR;
    this.#now = opts.now ?? Date.now;
  }

  // -- manifests ----------------------------------------------------------------------------------------------

  async getManifest(repo: RegistryRepository, reference: string, opts: CallOptions = {}): Promise<FetchedManifest> {
    const res = await this.#call(repo, 'pull', 'GET', `/v2/${repo.path}/manifests/${reference}`, { ...opts, headers: { Accept: MANIFEST_ACCEPT } });
    if (res.statusCode !== 200) throw await this.#error(res, repo, reference, 'manifest');
    const bytes = await readBody(res, MAX_MANIFEST_BYTES);
    const digest = sha256Digest(bytes);
    if (isDigest(reference) && digest !== reference) {
      throw new InvalidArgumentError(`manifest verification failed for digest ${reference}`);
    }
    const header = res.headers['docker-content-digest'];
    if (!isDigest(reference) && typeof header === 'string' && isDigest(header) && header !== digest) {
      throw new InvalidArgumentError(`manifest verification failed for digest ${header}`);
    }
    const type = String(res.headers['content-type'] ?? '').split(';')[0]!.trim();
    return { mediaType: mediaTypeOf(bytes, type), digest, bytes };
  }

  async headManifest(repo: RegistryRepository, reference: string, opts: CallOptions = {}): Promise<Digest | undefined> {
    const res = await this.#call(repo, 'pull', 'HEAD', `/v2/${repo.path}/manifests/${reference}`, { ...opts, headers: { Accept: MANIFEST_ACCEPT } });
    discard(res);
    if (res.statusCode !== 200) {
      if (res.statusCode === 404) return undefined;
      throw await this.#error(res, repo, reference, 'manifest');
    }
    const d = res.headers['docker-content-digest'];
    return typeof d === 'string' && isDigest(d) ? d : undefined;
  }

  async putManifest(repo: RegistryRepository, reference: string, mediaType: string, bytes: Buffer, opts: CallOptions = {}): Promise<Digest> {
    const res = await this.#call(repo, 'push', 'PUT', `/v2/${repo.path}/manifests/${reference}`, {
      ...opts,
      headers: { 'Content-Type': mediaType },
      body: bytes,
    });
    if (res.statusCode !== 201 && res.statusCode !== 200) throw await this.#error(res, repo, reference, 'manifest');
    discard(res);
    return sha256Digest(bytes);
  }

  async listTags(repo: RegistryRepository, opts: CallOptions = {}): Promise<string[]> {
    const tags: string[] = [];
    let path: string | undefined = `/v2/${repo.path}/tags/list`;
    for (let page = 0; path !== undefined && page < 1000; page++) {
      const res = await this.#call(repo, 'pull', 'GET', path, opts);
      if (res.statusCode !== 200) throw await this.#error(res, repo, '', 'repository');
      const body = parseJson(await readBody(res)) as { tags?: unknown } | undefined;
      if (Array.isArray(body?.tags)) for (const t of body.tags) if (typeof t === 'string') tags.push(t);
      const link = /<([^>]+)>;\s*rel="?next"?/.exec(String(res.headers['link'] ?? ''));
      path = link?.[1];
    }
    return tags;
  }

  // -- blobs --------------------------------------------------------------------------------------------------

  async hasBlob(repo: RegistryRepository, digest: Digest, opts: CallOptions = {}): Promise<boolean> {
    const res = await this.#call(repo, 'push', 'HEAD', `/v2/${repo.path}/blobs/${digest}`, opts);
    discard(res);
    if (res.statusCode === 200) return true;
    if (res.statusCode === 404) return false;
    throw await this.#error(res, repo, digest, 'blob');
  }

  async mountBlob(repo: RegistryRepository, digest: Digest, fromPath: string, opts: CallOptions = {}): Promise<boolean> {
    const query = `mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(fromPath)}`;
    const res = await this.#call(repo, 'push', 'POST', `/v2/${repo.path}/blobs/uploads/?${query}`, {
      ...opts,
      extraScopes: [`repository:${fromPath}:pull`],
      body: Buffer.alloc(0),
    });
    discard(res);
    if (res.statusCode === 201) return true;
    if (res.statusCode === 202) {
      // The registry started an upload session instead: cancel it, the caller uploads through a fresh one.
      const location = res.headers['location'];
      if (typeof location === 'string') {
        await this.#call(repo, 'push', 'DELETE', location, opts).then(discard, () => undefined);
      }
      return false;
    }
    throw await this.#error(res, repo, digest, 'blob');
  }

  async *fetchBlob(
    repo: RegistryRepository,
    digest: Digest,
    opts: CallOptions & { size?: number; onProgress?: (done: number, total: number) => void } = {},
  ): AsyncIterable<Uint8Array> {
    const counter = new DigestCounter();
    let total = opts.size ?? 0;
    let lastError: unknown;
    for (let attempt = 0; attempt < BLOB_ATTEMPTS; attempt++) {
      const received = counter.size;
      const headers: Record<string, string> = received > 0 ? { Range: `bytes=${received}-` } : {};
      let res: IncomingMessage;
      try {
        res = await this.#call(repo, 'pull', 'GET', `/v2/${repo.path}/blobs/${digest}`, { ...opts, headers, followRedirects: true });
      } catch (err) {
        if (opts.signal?.aborted || attempt === BLOB_ATTEMPTS - 1 || !(err instanceof UnavailableError)) throw err;
        lastError = err;
        await backoff(attempt, opts.signal);
        continue;
      }
      let skip = 0;
      if (received > 0 && res.statusCode === 200) skip = received; // The server ignored the Range: drop what we have.
      else if (received > 0 && res.statusCode !== 206) throw await this.#error(res, repo, digest, 'blob');
      else if (received === 0 && res.statusCode !== 200) throw await this.#error(res, repo, digest, 'blob');
      const length = Number(res.headers['content-length']);
      if (total === 0 && Number.isFinite(length)) total = length + (res.statusCode === 206 ? received : 0);
      try {
        for await (const raw of res) {
          let chunk = raw as Buffer;
          if (skip > 0) {
            const n = Math.min(skip, chunk.length);
            skip -= n;
            chunk = chunk.subarray(n);
            if (chunk.length === 0) continue;
          }
          counter.update(chunk);
          if (opts.size !== undefined && counter.size > opts.size) {
            throw new InvalidArgumentError(`failed to verify layer ${digest}: more than the ${opts.size} bytes announced`);
          }
          opts.onProgress?.(counter.size, total);
          yield chunk;
        }
        if (!res.complete) throw new Error('unexpected EOF');
      } catch (err) {
        if (opts.signal?.aborted || err instanceof InvalidArgumentError || attempt === BLOB_ATTEMPTS - 1) throw err;
        lastError = err;
        await backoff(attempt, opts.signal);
        continue;
      }
      if (opts.size !== undefined && counter.size < opts.size) {
        lastError = new Error('unexpected EOF');
        continue;
      }
      const got = counter.digest();
      if (got !== digest) throw new InvalidArgumentError(`filesystem layer verification failed for digest ${digest}`);
      return;
    }
    throw lastError instanceof Error ? lastError : new UnavailableError(`failed to fetch blob ${digest}`);
  }

  async pushBlob(
    repo: RegistryRepository,
    source: AsyncIterable<Uint8Array> | Buffer,
    opts: CallOptions & { expected?: Digest; onProgress?: (sent: number) => void } = {},
  ): Promise<PushedBlob> {
    if (Buffer.isBuffer(source)) {
      // A blob in hand: open a session and PUT it whole with its digest (the spec's monolithic upload), two
      // requests instead of POST + PATCH + PUT.
      const digest = sha256Digest(source);
      if (opts.expected !== undefined && digest !== opts.expected) {
        throw new InvalidArgumentError(`blob content changed while pushing: expected ${opts.expected}, got ${digest}`);
      }
      const open = await this.#call(repo, 'push', 'POST', `/v2/${repo.path}/blobs/uploads/`, { ...opts, body: Buffer.alloc(0) });
      discard(open);
      if (open.statusCode !== 202) throw await this.#error(open, repo, '', 'upload');
      const loc = open.headers['location'];
      if (typeof loc !== 'string') throw new UnavailableError('registry answered an upload without a Location');
      const res = await this.#call(repo, 'push', 'PUT', `${loc}${loc.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`, {
        ...opts,
        headers: { 'Content-Type': 'application/octet-stream' },
        body: source,
      });
      discard(res);
      if (res.statusCode !== 201 && res.statusCode !== 204) throw await this.#error(res, repo, digest, 'blob');
      opts.onProgress?.(source.length);
      return { digest, size: source.length };
    }
    const start = await this.#call(repo, 'push', 'POST', `/v2/${repo.path}/blobs/uploads/`, { ...opts, body: Buffer.alloc(0) });
    discard(start);
    if (start.statusCode !== 202) throw await this.#error(start, repo, '', 'upload');
    const location = start.headers['location'];
    if (typeof location !== 'string') throw new UnavailableError('registry answered an upload without a Location');
    const counter = new DigestCounter();
    const counted = async function* (): AsyncIterable<Uint8Array> {
      for await (const chunk of source) {
        counter.update(chunk);
        opts.onProgress?.(counter.size);
        yield chunk;
      }
    };
    const patch = await this.#call(repo, 'push', 'PATCH', location, {
      ...opts,
      headers: { 'Content-Type': 'application/octet-stream' },
      body: counted(),
    });
    discard(patch);
    if (patch.statusCode !== 202 && patch.statusCode !== 204) throw await this.#error(patch, repo, '', 'upload');
    const digest = counter.digest();
    if (opts.expected !== undefined && digest !== opts.expected) {
      throw new InvalidArgumentError(`blob content changed while pushing: expected ${opts.expected}, got ${digest}`);
    }
    const next = typeof patch.headers['location'] === 'string' ? patch.headers['location'] : location;
    const sep = next.includes('?') ? '&' : '?';
    const put = await this.#call(repo, 'push', 'PUT', `${next}${sep}digest=${encodeURIComponent(digest)}`, { ...opts, body: Buffer.alloc(0) });
    discard(put);
    if (put.statusCode !== 201 && put.statusCode !== 204) throw await this.#error(put, repo, digest, 'blob');
    return { digest, size: counter.size };
  }

  // -- login and search ---------------------------------------------------------------------------------------

  async login(domain: string, opts: CallOptions): Promise<LoginResult> {
    const endpoint = await this.#endpoint(domain, opts.signal);
    const url = `${endpoint.base}/v2/`;
    const ping = await send({ method: 'GET', url: new URL(url), signal: opts.signal, insecureTls: endpoint.insecureTls, tlsAgent: endpoint.tlsAgent });
    discard(ping);
    if (ping.statusCode === 200) return { status: 'Login Succeeded' };
    if (ping.statusCode !== 401) throw new UnavailableError(`login attempt to ${url} failed with status: ${statusLine(ping)}`);
    const challenges = parseChallenges(ping.headers['www-authenticate']);
    this.#challenges.set(domain, challenges);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      const token = await this.#fetchToken(bearer, [], opts.credentials, opts.signal, url, true);
      const res = await send({ method: 'GET', url: new URL(url), headers: { Authorization: token.header }, signal: opts.signal, insecureTls: endpoint.insecureTls, tlsAgent: endpoint.tlsAgent });
      discard(res);
      if (res.statusCode !== 200) throw new UnauthorizedError(`login attempt to ${url} failed with status: ${statusLine(res)}`);
      return { status: 'Login Succeeded', ...(token.refresh ? { identityToken: token.refresh } : {}) };
    }
    const header = basicHeader(opts.credentials);
    if (header === undefined) throw new UnauthorizedError('no basic auth credentials');
    const res = await send({ method: 'GET', url: new URL(url), headers: { Authorization: header }, signal: opts.signal, insecureTls: endpoint.insecureTls, tlsAgent: endpoint.tlsAgent });
    discard(res);
    if (res.statusCode !== 200) throw new UnauthorizedError(`login attempt to ${url} failed with status: ${statusLine(res)}`);
    return { status: 'Login Succeeded' };
  }

  async search(domain: string, term: string, limit: number, opts: CallOptions = {}): Promise<SearchResult[]> {
    const endpoint = await this.#endpoint(domain, opts.signal);
    const url = new URL(`${endpoint.base}/v1/search`);
    url.searchParams.set('q', term);
    url.searchParams.set('n', String(limit));
    const headers: Record<string, string> = {};
    const basic = basicHeader(opts.credentials);
    if (basic) headers['Authorization'] = basic;
    const res = await send({ method: 'GET', url, headers, signal: opts.signal, insecureTls: endpoint.insecureTls, tlsAgent: endpoint.tlsAgent });
    if (res.statusCode !== 200) {
      discard(res);
      throw new UnavailableError(`Unexpected status code ${res.statusCode ?? 0}`);
    }
    const body = parseJson(await readBody(res)) as { results?: unknown } | undefined;
    if (!Array.isArray(body?.results)) return [];
    return body.results.flatMap((r: unknown): SearchResult[] => {
      if (typeof r !== 'object' || r === null) return [];
      const o = r as Record<string, unknown>;
      if (typeof o['name'] !== 'string') return [];
      return [{
        name: o['name'],
        description: typeof o['description'] === 'string' ? o['description'] : '',
        star_count: typeof o['star_count'] === 'number' ? o['star_count'] : 0,
        is_official: o['is_official'] === true,
        is_automated: o['is_automated'] === true,
      }];
    });
  }

  // -- plumbing -----------------------------------------------------------------------------------------------

  /**
   * One authorised request against a repository. A 401 answer is the registry's challenge: we fetch a token
   * for the scope (or use Basic credentials) and try once more. Bodies given as streams are sent only once,
   * so callers make sure auth is settled first (the POST that opens an upload does it for the PATCH).
   */
  async #call(
    repo: RegistryRepository,
    action: 'pull' | 'push',
    method: string,
    pathOrUrl: string,
    opts: CallOptions & {
      headers?: Record<string, string>;
      body?: Buffer | AsyncIterable<Uint8Array>;
      extraScopes?: string[];
      followRedirects?: boolean;
    },
  ): Promise<IncomingMessage> {
    const endpoint = await this.#endpoint(repo.domain, opts.signal);
    const url = new URL(pathOrUrl, endpoint.base);
    const scopes = [`repository:${repo.path}:${action === 'push' ? 'pull,push' : 'pull'}`, ...(opts.extraScopes ?? [])];
    const key = `${repo.domain}|${scopes.join(' ')}|${credentialKey(opts.credentials)}`;
    const attempt = async (auth: string | undefined): Promise<IncomingMessage> => {
      const headers = { ...(opts.headers ?? {}), ...(auth ? { Authorization: auth } : {}) };
      let res = await send({ method, url, headers, body: opts.body, signal: opts.signal, insecureTls: endpoint.insecureTls, tlsAgent: endpoint.tlsAgent });
      for (let hops = 0; opts.followRedirects && hops < 5 && [301, 302, 303, 307, 308].includes(res.statusCode ?? 0); hops++) {
        const loc = res.headers['location'];
        discard(res);
        if (typeof loc !== 'string') break;
        const next = new URL(loc, url);
        // Credentials stay with the registry; a redirect to storage carries its own signature.
        const h = { ...(opts.headers ?? {}), ...(auth && next.host === url.host ? { Authorization: auth } : {}) };
        res = await send({ method, url: next, headers: h, signal: opts.signal, insecureTls: endpoint.insecureTls, tlsAgent: endpoint.tlsAgent });
      }
      return res;
    };
    const cached = this.#tokens.get(key);
    let auth = cached && cached.expires > this.#now() ? cached.header : undefined;
    if (auth === undefined) auth = await this.#authFor(repo.domain, scopes, opts.credentials, opts.signal, url.href, key);
    const res = await attempt(auth);
    if (res.statusCode !== 401 || !Buffer.isBuffer(opts.body ?? Buffer.alloc(0))) return res;
    // Challenged: learn (or re-learn) the challenge and retry once with fresh authorisation.
    discard(res);
    this.#challenges.set(repo.domain, parseChallenges(res.headers['www-authenticate']));
    this.#tokens.delete(key);
    const fresh = await this.#authFor(repo.domain, scopes, opts.credentials, opts.signal, url.href, key);
    if (fresh === undefined) {
      if (this.#challenges.get(repo.domain)?.some((c) => c.scheme === 'basic')) throw new UnauthorizedError('no basic auth credentials');
      return res;
    }
    return attempt(fresh);
  }

  /** The Authorization header for a scope, from the known challenge of the host; undefined when none is known. */
  async #authFor(
    domain: string,
    scopes: string[],
    creds: RegistryCredentials | undefined,
    signal: AbortSignal | undefined,
    url: string,
    key: string,
  ): Promise<string | undefined> {
    const challenges = this.#challenges.get(domain);
    if (challenges === undefined) return undefined;
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      const token = await this.#fetchToken(bearer, scopes, creds, signal, url, false);
      this.#tokens.set(key, { header: token.header, expires: this.#now() + token.expiresIn * 1000 - 10_000 });
      return token.header;
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      const header = basicHeader(creds);
      if (header) this.#tokens.set(key, { header, expires: Number.MAX_SAFE_INTEGER });
      return header;
    }
    return undefined;
  }

  /** The token flow (distribution's docs/spec/auth/token.md): GET realm?service=&scope= with Basic credentials, or the OAuth2 refresh. */
  async #fetchToken(
    challenge: Challenge,
    scopes: string[],
    creds: RegistryCredentials | undefined,
    signal: AbortSignal | undefined,
    forUrl: string,
    offline: boolean,
  ): Promise<{ header: string; expiresIn: number; refresh?: string }> {
    if (creds?.registryToken) return { header: `Bearer ${creds.registryToken}`, expiresIn: 60 };
    const realm = challenge.params['realm'];
    if (!realm) throw new UnavailableError('registry sent a bearer challenge without a realm');
    const url = new URL(realm);
    if (challenge.params['service']) url.searchParams.set('service', challenge.params['service']);
    for (const s of scopes) url.searchParams.append('scope', s);
    const headers: Record<string, string> = {};
    let method = 'GET';
    let body: Buffer | undefined;
    if (creds?.identityToken) {
      method = 'POST';
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'berth' });
      if (challenge.params['service']) form.set('service', challenge.params['service']);
      if (scopes.length > 0) form.set('scope', scopes.join(' '));
      body = Buffer.from(form.toString());
    } else {
      if (offline) url.searchParams.set('offline_token', 'true');
      const basic = basicHeader(creds);
      if (basic) headers['Authorization'] = basic;
    }
    // The realm's host gets its own TLS treatment (an insecure loopback registry's realm is itself, unverified).
    const tls = url.protocol !== 'https:' ? {} : this.isInsecure(url.host) ? { insecureTls: true } : { tlsAgent: await certsDirAgent(this.#certsDir, url.host) };
    const res = await send({ method, url: new URL(url.href.replace(/\?$/, '')), headers, ...(body ? { body } : {}), signal, ...tls });
    const raw = await readBody(res, 1024 * 1024);
    if (res.statusCode !== 200) {
      const detail = registryMessage(raw) ?? (res.statusCode === 401 ? 'incorrect username or password' : statusLine(res));
      throw new UnauthorizedError(`Get "${forUrl}": unauthorized: ${detail}`);
    }
    const json = parseJson(raw) as { token?: unknown; access_token?: unknown; expires_in?: unknown; refresh_token?: unknown } | undefined;
    const token = typeof json?.token === 'string' ? json.token : typeof json?.access_token === 'string' ? json.access_token : undefined;
    if (!token) throw new UnavailableError('authorization server did not include a token in the response');
    const expiresIn = typeof json?.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : 60;
    return { header: `Bearer ${token}`, expiresIn, ...(typeof json?.refresh_token === 'string' ? { refresh: json.refresh_token } : {}) };
  }

  /**
   * Chooses the scheme for a host once (dockerd's registry endpoints): docker.io is Docker Hub over HTTPS (a
   * configured mirror first); a secure registry is HTTPS; an insecure one (listed, or on 127.0.0.0/8 or
   * localhost) is tried over HTTPS without verification and then plain HTTP. The /v2/ ping also records the
   * host's auth challenge, so the first real request already carries credentials.
   */
  #endpoint(domain: string, signal: AbortSignal | undefined): Promise<Endpoint> {
    let p = this.#endpoints.get(domain);
    if (p === undefined) {
      p = this.#probe(domain, signal);
      this.#endpoints.set(domain, p);
      p.catch(() => this.#endpoints.delete(domain));
    }
    return p;
  }

  async #probe(domain: string, signal: AbortSignal | undefined): Promise<Endpoint> {
    const candidates: Endpoint[] = [];
    if (domain === DOCKER_HUB) {
      for (const m of this.#mirrors) candidates.push({ base: m, insecureTls: this.isInsecure(new URL(m).host) });
      candidates.push({ base: `https://${DOCKER_HUB_ENDPOINT}`, insecureTls: false });
    } else if (this.isInsecure(domain)) {
      candidates.push({ base: `https://${domain}`, insecureTls: true }, { base: `http://${domain}`, insecureTls: false });
    } else {
      // As dockerd, only a secure registry reads its certs directory (an insecure one verifies nothing).
      candidates.push({ base: `https://${domain}`, insecureTls: false, tlsAgent: await certsDirAgent(this.#certsDir, domain) });
    }
    let lastError: unknown;
    for (const c of candidates) {
      try {
        const res = await send({ method: 'GET', url: new URL(`${c.base}/v2/`), signal, insecureTls: c.insecureTls, tlsAgent: c.tlsAgent });
        discard(res);
        if (res.statusCode === 401) this.#challenges.set(domain, parseChallenges(res.headers['www-authenticate']));
        if (res.statusCode === 200 || res.statusCode === 401) return c;
        lastError = new UnavailableError(`Get "${c.base}/v2/": unexpected status: ${statusLine(res)}`);
      } catch (err) {
        if (signal?.aborted) throw err;
        lastError = err;
      }
    }
    throw lastError instanceof Error ? lastError : new UnavailableError(`no endpoint for ${domain}`);
  }

  /** dockerd's isSecureIndex: listed hosts and CIDRs, plus 127.0.0.0/8 (and localhost, which resolves there). */
  isInsecure(hostPort: string): boolean {
    const host = hostPort.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    if (host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1') return true;
    for (const entry of this.#insecure) {
      if (entry === hostPort || entry === host) return true;
      if (entry.includes('/') && inCidr(host, entry)) return true;
    }
    return false;
  }

  async #error(res: IncomingMessage, repo: RegistryRepository, reference: string, what: string): Promise<Error> {
    const raw = await readBody(res, 1024 * 1024).catch(() => Buffer.alloc(0));
    const detail = registryErrors(raw);
    const status = res.statusCode ?? 0;
    const name = `${repo.domain}/${repo.path}`;
    if (status === 401) return new UnauthorizedError(detail ?? 'unauthorized: authentication required');
    if (status === 403) return new ForbiddenError(detail ?? 'denied: requested access to the resource is denied');
    if (status === 404) {
      if (what === 'manifest') return new NotFoundError(detail ?? 'manifest unknown: manifest unknown');
      return new NotFoundError(detail ?? `${what} unknown: ${name} ${reference}`.trim());
    }
    return new UnavailableError(detail ?? `received unexpected HTTP status: ${statusLine(res)}`);
  }
}

function statusLine(res: IncomingMessage): string {
  return `${res.statusCode ?? 0} ${res.statusMessage ?? ''}`.trim();
}

/** Docker's errcode rendering of a registry error body: `manifest unknown: manifest unknown`. */
function registryErrors(raw: Buffer): string | undefined {
  const json = parseJson(raw) as { errors?: unknown } | undefined;
  if (!Array.isArray(json?.errors) || json.errors.length === 0) return undefined;
  const parts = json.errors.map((e: unknown) => {
    const o = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>;
    const code = typeof o['code'] === 'string' ? o['code'].toLowerCase().replace(/_/g, ' ') : 'unknown';
    const message = typeof o['message'] === 'string' ? o['message'] : '';
    return `${code}: ${message}`;
  });
  return parts.join(', ');
}

function registryMessage(raw: Buffer): string | undefined {
  const json = parseJson(raw) as { details?: unknown; errors?: unknown } | undefined;
  if (typeof json?.details === 'string') return json.details;
  const errs = registryErrors(raw);
  return errs?.replace(/^unauthorized: /, '');
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function mediaTypeOf(bytes: Buffer, header: string): string {
  const json = parseJson(bytes) as { mediaType?: unknown; manifests?: unknown } | undefined;
  if (typeof json?.mediaType === 'string' && json.mediaType !== '') return json.mediaType;
  if (header !== '' && header !== 'application/json' && header !== 'application/octet-stream') return header;
  return Array.isArray(json?.manifests) ? MEDIA_TYPE_OCI_INDEX : MEDIA_TYPE_OCI_MANIFEST;
}

function basicHeader(creds: RegistryCredentials | undefined): string | undefined {
  if (!creds?.username) return undefined;
  return `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64')}`;
}

function credentialKey(creds: RegistryCredentials | undefined): string {
  if (!creds) return '';
  return sha256Digest(JSON.stringify([creds.username ?? '', creds.password ?? '', creds.identityToken ?? '', creds.registryToken ?? ''])).slice(7, 23);
}

function inCidr(host: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split('/');
  const toInt = (ip: string): number | undefined => {
    const p = ip.split('.').map(Number);
    if (p.length !== 4 || p.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return undefined;
    return (((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!) >>> 0;
  };
  const a = toInt(host);
  const b = toInt(net ?? '');
  const bits = Number(bitsText);
  if (a === undefined || b === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
}

function backoff(attempt: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, Math.min(100 * 2 ** attempt, 2000));
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    }, { once: true });
  });
}
