/**
 * The registry side of the Engine API: `POST /images/create?fromImage=` (pull), `POST /images/{name}/push`,
 * `GET /images/search` and `POST /auth`. Credentials arrive in `X-Registry-Auth` (base64url JSON of
 * {username, password, serveraddress, identitytoken, registrytoken}) or, for /auth, as the JSON body.
 */
import type { ServerResponse } from 'node:http';
import { InternalError, InvalidArgumentError, UnauthorizedError } from '../../core/errdefs.js';
import type { RegistryCredentials } from '../../core/registry.js';
import { isDigest } from '../../pkg/digest.js';
import { DEFAULT_DOMAIN, parseReference, toDockerRef, withTag, type ImageReference } from '../../pkg/reference.js';
import { pullImage, type RegistryDeps } from '../../services/images/image-pull.js';
import { pushImage } from '../../services/images/image-push.js';
import type { ProgressMessage } from '../../services/images/progress.js';
import { intParam, readJson, requireResponse, sendJson, type RequestContext } from '../http-context.js';
import type { Route } from '../router.js';

export function registryRoutes(deps: RegistryDeps, opts: { gzipLevel?: number } = {}): Route[] {
  return [
    { method: 'POST', path: '/images/{name:.*}/push', handler: (ctx) => push(deps, ctx, opts.gzipLevel) },
    { method: 'GET', path: '/images/search', handler: (ctx) => search(deps, ctx) },
    { method: 'POST', path: '/auth', handler: (ctx) => auth(deps, ctx) },
  ];
}

/** `POST /images/create?fromImage=x&tag=y`: the pull half of that endpoint (images.ts keeps import). */
export async function pull(deps: RegistryDeps, ctx: RequestContext): Promise<void> {
  const q = ctx.query;
  const fromImage = q.get('fromImage') ?? '';
  const tag = q.get('tag') ?? '';
  const platform = q.get('platform');
  if (platform && !/^linux(\/amd64)?$/.test(platform)) {
    throw new InvalidArgumentError(`platform "${platform}" is not supported: this engine runs linux/amd64 only`);
  }
  let ref = parseReference(fromImage);
  if (tag !== '') {
    // As dockerd: a digest in `tag` pins the digest, anything else is a tag.
    ref = isDigest(tag) ? { domain: ref.domain, path: ref.path, digest: tag } : withTag({ domain: ref.domain, path: ref.path }, tag);
  }
  // Docker's API: no tag at all means every tag of the repository (the docker CLI adds `latest` itself).
  const allTags = tag === '' && ref.tag === undefined && ref.digest === undefined;
  if (!allTags) ref = toDockerRef(ref);
  const stream = lazyStream(ctx);
  try {
    await pullImage(deps, ref, stream.emit, { credentials: registryAuth(ctx), allTags, signal: ctx.signal });
  } catch (err) {
    if (!stream.started()) throw unchallenged(err);
    stream.fail(err);
  }
  stream.end();
}

/**
 * A registry's refusal of a pull is not the Engine API's 401: dockerd answers it as an unknown error (500), and
 * the docker CLI takes a 401 from the daemon as its cue to prompt for a Docker Hub login and retry, which would
 * hang a script on a terminal-less stdin (dockerd's translatePullError leaves these errors Unknown).
 */
function unchallenged(err: unknown): unknown {
  return err instanceof UnauthorizedError ? new InternalError(err.message, { cause: err }) : err;
}

async function push(deps: RegistryDeps, ctx: RequestContext, gzipLevel: number | undefined): Promise<void> {
  let ref: ImageReference = parseReference(ctx.params['name'] ?? '');
  const tag = ctx.query.get('tag') ?? '';
  if (tag !== '') ref = withTag({ domain: ref.domain, path: ref.path }, tag);
  const stream = lazyStream(ctx);
  try {
    await pushImage(deps, ref, stream.emit, { credentials: registryAuth(ctx), signal: ctx.signal, ...(gzipLevel !== undefined ? { gzipLevel } : {}) });
  } catch (err) {
    if (!stream.started()) throw err;
    stream.fail(err);
  }
  stream.end();
}

async function search(deps: RegistryDeps, ctx: RequestContext): Promise<void> {
  const term = ctx.query.get('term') ?? '';
  if (term === '') throw new InvalidArgumentError('term is required');
  const limit = intParam(ctx.query, 'limit', 25);
  if (limit < 1 || limit > 100) throw new InvalidArgumentError(`limit ${limit} is outside the range of [1, 100]`);
  // `host:port/term` searches that registry; anything else goes to Docker Hub, as in dockerd.
  const slash = term.indexOf('/');
  const first = slash === -1 ? '' : term.slice(0, slash);
  const isHost = first === 'localhost' || /[.:]/.test(first);
  const domain = isHost ? first : DEFAULT_DOMAIN;
  const q = isHost ? term.slice(slash + 1) : term;
  const results = await deps.registry.search(domain, q, limit, { credentials: registryAuth(ctx), signal: ctx.signal });
  sendJson(ctx, 200, results);
}

async function auth(deps: RegistryDeps, ctx: RequestContext): Promise<void> {
  const body = (await readJson(ctx.req)) as Record<string, unknown> | undefined;
  if (typeof body !== 'object' || body === null) throw new InvalidArgumentError('invalid JSON: expected an auth config object');
  const creds = credentialsOf(body);
  const server = typeof body['serveraddress'] === 'string' && body['serveraddress'] !== '' ? body['serveraddress'] : DEFAULT_DOMAIN;
  const domain = registryHost(server);
  const result = await deps.registry.login(domain, { credentials: creds, signal: ctx.signal });
  sendJson(ctx, 200, { Status: result.status, IdentityToken: result.identityToken ?? '' });
}

/** `https://index.docker.io/v1/` → docker.io; `http://127.0.0.1:5000` → 127.0.0.1:5000; a bare host stays. */
export function registryHost(server: string): string {
  let host = server.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  if (host === 'index.docker.io' || host === 'registry-1.docker.io' || host === 'registry.hub.docker.com') host = DEFAULT_DOMAIN;
  return host;
}

/** Decodes `X-Registry-Auth`; absent, empty or undecodable means anonymous (dockerd ignores a bad header too). */
export function registryAuth(ctx: RequestContext): RegistryCredentials | undefined {
  const header = ctx.req.headers['x-registry-auth'];
  if (typeof header !== 'string' || header === '') return undefined;
  try {
    const json = JSON.parse(Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8')) as unknown;
    if (typeof json !== 'object' || json === null) return undefined;
    return credentialsOf(json as Record<string, unknown>);
  } catch {
    return undefined;
  }
}

/**
 * Decodes `X-Registry-Config` (what the docker CLI sends with a build: base64url JSON of every stored
 * credential, keyed by server address) into a lookup by registry host. Undecodable means none, as dockerd.
 */
export function registryConfigAuth(header: string | string[] | undefined): (domain: string) => RegistryCredentials | undefined {
  const byHost = new Map<string, RegistryCredentials>();
  if (typeof header === 'string' && header !== '') {
    try {
      const json = JSON.parse(Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8')) as unknown;
      if (typeof json === 'object' && json !== null) {
        for (const [server, entry] of Object.entries(json as Record<string, unknown>)) {
          if (typeof entry !== 'object' || entry === null) continue;
          const creds = credentialsOf(entry as Record<string, unknown>);
          if (creds !== undefined) byHost.set(registryHost(server), creds);
        }
      }
    } catch {
      // Anonymous, as dockerd treats a header it cannot read.
    }
  }
  return (domain) => byHost.get(domain);
}

function credentialsOf(o: Record<string, unknown>): RegistryCredentials | undefined {
  const str = (k: string): string | undefined => (typeof o[k] === 'string' && o[k] !== '' ? o[k] : undefined);
  let username = str('username');
  let password = str('password');
  const auth = str('auth');
  if (username === undefined && auth !== undefined) {
    const plain = Buffer.from(auth, 'base64').toString('utf8');
    const colon = plain.indexOf(':');
    if (colon > 0) [username, password] = [plain.slice(0, colon), plain.slice(colon + 1)];
  }
  const creds: RegistryCredentials = {
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(str('identitytoken') !== undefined ? { identityToken: str('identitytoken')! } : {}),
    ...(str('registrytoken') !== undefined ? { registryToken: str('registrytoken')! } : {}),
  };
  return Object.keys(creds).length > 0 ? creds : undefined;
}

/**
 * A JSON message stream whose 200 is only sent with the first message: an error before that (an unknown tag,
 * refused credentials) is still a plain HTTP error in Docker's words, as dockerd answers it.
 */
function lazyStream(ctx: RequestContext): { emit: (m: ProgressMessage) => void; started(): boolean; fail(err: unknown): void; end(): void } {
  let res: ServerResponse | undefined;
  const start = (): ServerResponse => {
    if (res === undefined) {
      res = requireResponse(ctx);
      res.writeHead(200, { 'Content-Type': 'application/json' });
    }
    return res;
  };
  return {
    emit: (m) => {
      const r = start();
      if (!r.destroyed) r.write(`${JSON.stringify(m)}\n`);
    },
    started: () => res !== undefined,
    fail: (err) => {
      const message = err instanceof Error ? err.message : String(err);
      start().write(`${JSON.stringify({ errorDetail: { message }, error: message })}\n`);
    },
    end: () => start().end(),
  };
}
