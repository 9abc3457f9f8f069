import { Readable } from 'node:stream';
import { InvalidArgumentError, NotImplementedError } from '../../core/errdefs.js';
import { parseFilters } from '../../pkg/filters.js';
import { parseGoDuration } from '../../pkg/go-duration.js';
import type { BuildOptions } from '../../services/build/build-types.js';
import { BuildError, type Builder } from '../../services/build/builder.js';
import type { Ulimit } from '../../services/containers/host-config.js';
import { boolParam, drained, readJson, requireResponse, sendJson, type RequestContext } from '../http-context.js';
import type { Route } from '../router.js';
import { registryConfigAuth } from './registry.js';

/** Largest remote context (`remote=<url>`) berth fetches. */
const MAX_REMOTE_BYTES = 512 * 1024 * 1024;

/**
 * `POST /build` (the classic builder's API, which docker-py, compose and `DOCKER_BUILDKIT=0 docker build` use)
 * and `POST /build/prune`. The body is the context as a tar (any compression) or a bare Dockerfile; the
 * answer streams Docker's JSON messages: `{"stream"}`, `{"aux":{"ID"}}`, and `{"errorDetail","error"}` for a
 * failure once the stream has begun.
 */
export function buildRoutes(builder: Builder): Route[] {
  return [
    { method: 'POST', path: '/build', handler: (ctx) => build(builder, ctx) },
    {
      method: 'POST',
      path: '/build/prune',
      handler: async (ctx) => {
        const filters = parseFilters(ctx.query.get('filters'));
        filters.validate(['until', 'id', 'parent', 'type', 'description', 'inuse', 'shared', 'private', 'unused-for', 'label', 'label!']);
        const until = filters.get('until')[0] ?? filters.get('unused-for')[0];
        const keep = ctx.query.get('keep-storage');
        if (keep && keep !== '0') throw new NotImplementedError('keep-storage is not supported by berth');
        sendJson(ctx, 200, await builder.prune({ all: boolParam(ctx.query, 'all'), ...(until ? { unusedForMs: parseGoDuration(until) } : {}) }));
      },
    },
    {
      // berth's own: `berth build` asks which files of its context the daemon lacks, then sends only those.
      method: 'POST',
      path: '/berth/build-sync',
      handler: async (ctx) => sendJson(ctx, 200, { need: builder.contextNeeds(ctx.query.get('key') ?? '', await readJson(ctx.req)) }),
    },
    { method: 'POST', path: '/session', handler: () => noBuildKit() },
    { method: 'POST', path: '/build/cancel', handler: () => noBuildKit() },
  ];
}

function noBuildKit(): never {
  throw new NotImplementedError('berth has no BuildKit session API: build with the classic builder (DOCKER_BUILDKIT=0) or berth build');
}

async function build(builder: Builder, ctx: RequestContext): Promise<void> {
  const opts = parseBuildQuery(ctx);
  let body: Readable = ctx.req;
  const remote = ctx.query.get('remote');
  if (remote) body = await fetchRemote(remote, ctx.signal);
  const res = requireResponse(ctx);
  res.writeHead(200, { 'Content-Type': 'application/json' });
  const write = async (msg: unknown): Promise<void> => {
    if (res.destroyed) return;
    if (!res.write(`${JSON.stringify(msg)}\n`)) await drained(res, ctx.signal);
  };
  // Messages are queued so that a slow client applies backpressure without reordering them.
  let queue = Promise.resolve();
  const send = (msg: unknown): void => {
    queue = queue.then(() => write(msg));
  };
  try {
    const id = await builder.build(body, { ...opts, signal: ctx.signal }, { stream: (text) => send({ stream: text }), aux: (value) => send({ aux: value }), progress: (msg) => send(msg) });
    if (opts.quiet) send({ stream: `${id}\n` });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const code = err instanceof BuildError ? err.code : undefined;
    send({ errorDetail: { ...(code !== undefined ? { code } : {}), message }, error: message });
    // Drain what the client may still be sending so the connection ends cleanly.
    if (!ctx.req.readableEnded) ctx.req.resume();
  }
  await queue;
  res.end();
}

function parseBuildQuery(ctx: RequestContext): Omit<BuildOptions, 'signal'> {
  const q = ctx.query;
  const json = <T>(name: string, def: T): T => {
    const raw = q.get(name);
    if (raw === null || raw === '') return def;
    try {
      return JSON.parse(raw) as T;
    } catch {
      throw new InvalidArgumentError(`invalid ${name} parameter: ${raw}`);
    }
  };
  const buildArgs = new Map<string, string>();
  for (const [k, v] of Object.entries(json<Record<string, string | null>>('buildargs', {}) ?? {})) {
    // A null value (`--build-arg NAME` with NAME unset in the client's environment) is no value.
    if (typeof v === 'string') buildArgs.set(k, v);
  }
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(json<Record<string, string>>('labels', {}) ?? {})) labels[k] = String(v);
  const ulimits = (json<Ulimit[] | null>('ulimits', []) ?? []).map((u) => ({ Name: u.Name, Soft: u.Soft, Hard: u.Hard }));
  const extraHosts = q
    .getAll('extrahosts')
    .flatMap((h) => h.split(','))
    .map((h) => h.trim())
    .filter(Boolean);
  for (const h of extraHosts) if (!/^[^:]+:.+$/.test(h)) throw new InvalidArgumentError(`invalid add-host: ${h}`);
  const platform = q.get('platform') || undefined;
  if (platform && !/^linux(\/amd64)?$/.test(platform)) throw new InvalidArgumentError(`platform "${platform}" is not supported: berth builds linux/amd64 images only`);
  if (q.get('version') === '2') throw new InvalidArgumentError('berth has no BuildKit: build with the classic builder (version=1)');
  const shm = Number(q.get('shmsize') ?? '0');
  if (!Number.isSafeInteger(shm) || shm < 0) throw new InvalidArgumentError(`invalid shmsize: ${q.get('shmsize')}`);
  const network = q.get('networkmode') || undefined;
  if (network && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(network)) throw new InvalidArgumentError(`network ${network} not found`);
  return {
    tags: q.getAll('t').filter(Boolean),
    dockerfile: q.get('dockerfile') || 'Dockerfile',
    buildArgs,
    ...(q.get('target') ? { target: q.get('target') as string } : {}),
    noCache: boolParam(q, 'nocache'),
    pull: boolParam(q, 'pull'),
    labels,
    quiet: boolParam(q, 'q'),
    rm: q.get('rm') === null ? true : boolParam(q, 'rm'),
    forceRm: boolParam(q, 'forcerm'),
    ...(network ? { network } : {}),
    extraHosts,
    ...(platform ? { platform } : {}),
    shmSize: shm,
    ulimits,
    secrets: parseSecrets(ctx.req.headers['x-berth-build-secrets']),
    credentialsFor: registryConfigAuth(ctx.req.headers['x-registry-config']),
    ...(q.get('berth-sync') ? { syncKey: q.get('berth-sync') as string } : {}),
  };
}

/**
 * `berth build --secret id=x,src=file` sends the secrets in a header of their own (base64 of a JSON object of
 * base64 values): the classic API has no session to fetch them through, and a query string ends up in logs.
 */
function parseSecrets(header: string | string[] | undefined): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (typeof header !== 'string' || header === '') return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    throw new InvalidArgumentError('invalid X-Berth-Build-Secrets header');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidArgumentError('invalid X-Berth-Build-Secrets header');
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== 'string') throw new InvalidArgumentError('invalid X-Berth-Build-Secrets header');
    out.set(k, Buffer.from(v, 'base64'));
  }
  return out;
}

/** `remote=<url>`: a context tar (or a bare Dockerfile) fetched over http(s). Git remotes are not supported. */
async function fetchRemote(url: string, signal: AbortSignal): Promise<Readable> {
  if (!/^https?:\/\//i.test(url)) throw new InvalidArgumentError(`unsupported remote context ${url}: berth fetches http and https URLs only`);
  const res = await fetch(url, { signal }).catch((err: unknown) => {
    throw new InvalidArgumentError(`failed to fetch remote context ${url}: ${(err as Error).message}`);
  });
  if (!res.ok || !res.body) throw new InvalidArgumentError(`failed to GET ${url} with status ${res.status} ${res.statusText}`);
  const len = Number(res.headers.get('content-length') ?? '0');
  if (len > MAX_REMOTE_BYTES) throw new InvalidArgumentError(`remote context ${url} is too large`);
  return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
}
