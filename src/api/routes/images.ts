import { InvalidArgumentError, NotImplementedError } from '../../core/errdefs.js';
import { parseFilters } from '../../pkg/filters.js';
import { familiarString, parseReference, withDefaultTag } from '../../pkg/reference.js';
import { importImage } from '../../services/images/image-import.js';
import { loadImageArchive, type LoadMessage } from '../../services/images/image-load.js';
import { planSave, writeSaveArchive } from '../../services/images/image-save.js';
import type { ImageService } from '../../services/images/image-service.js';
import type { ImageStoreDeps } from '../../services/images/image-store-deps.js';
import { boolParam, requireResponse, sendJson, type RequestContext } from '../http-context.js';
import type { Route } from '../router.js';
import type { RegistryDeps } from '../../services/images/image-pull.js';
import { pull } from './registry.js';

/** `/images/...`. Image names contain slashes, so the name patterns are greedy. */
export function imageRoutes(images: ImageService, store: ImageStoreDeps, registry?: RegistryDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/images/json',
      handler: (ctx) =>
        sendJson(
          ctx,
          200,
          images.list({ all: boolParam(ctx.query, 'all'), filters: parseFilters(ctx.query.get('filters')), apiVersion: ctx.apiVersion }),
        ),
    },
    { method: 'POST', path: '/images/load', handler: (ctx) => load(store, ctx) },
    { method: 'GET', path: '/images/get', handler: (ctx) => save(store, ctx, ctx.query.getAll('names')) },
    { method: 'POST', path: '/images/create', handler: (ctx) => (registry && ctx.query.get('fromImage') ? pull(registry, ctx) : create(store, ctx)) },
    { method: 'POST', path: '/images/prune', handler: async (ctx) => sendJson(ctx, 200, await images.prune(parseFilters(ctx.query.get('filters')))) },
    { method: 'GET', path: '/images/{name:.*}/json', handler: (ctx) => sendJson(ctx, 200, images.inspect(ctx.params['name']!, ctx.apiVersion)) },
    { method: 'GET', path: '/images/{name:.*}/history', handler: (ctx) => sendJson(ctx, 200, images.history(ctx.params['name']!)) },
    { method: 'GET', path: '/images/{name:.*}/get', handler: (ctx) => save(store, ctx, [ctx.params['name']!]) },
    {
      method: 'POST',
      path: '/images/{name:.*}/tag',
      handler: (ctx) => {
        const repo = ctx.query.get('repo') ?? '';
        if (repo === '') throw new InvalidArgumentError('repository name must have at least one component');
        images.tag(ctx.params['name']!, repo, ctx.query.get('tag') ?? undefined);
        const res = requireResponse(ctx);
        res.writeHead(201);
        res.end();
      },
    },
    {
      method: 'DELETE',
      path: '/images/{name:.*}',
      handler: async (ctx) =>
        sendJson(ctx, 200, await images.remove(ctx.params['name']!, { force: boolParam(ctx.query, 'force'), prune: !boolParam(ctx.query, 'noprune') })),
    },
  ];
}

async function load(store: ImageStoreDeps, ctx: RequestContext): Promise<void> {
  const messages: LoadMessage[] = [];
  // Messages are only produced once the load has committed, so a bad archive still gets a plain 400.
  await loadImageArchive(store, ctx.req, (m) => messages.push(m), { signal: ctx.signal });
  const res = requireResponse(ctx);
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(messages.map((m) => `${JSON.stringify(m)}\n`).join(''));
}

function save(store: ImageStoreDeps, ctx: RequestContext, names: string[]): void {
  if (names.length === 0) throw new InvalidArgumentError('no image names given');
  const items = planSave(store, names);
  const res = requireResponse(ctx);
  res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  const archive = writeSaveArchive(store, items);
  archive.on('error', () => res.destroy());
  archive.pipe(res);
}

async function create(store: ImageStoreDeps, ctx: RequestContext): Promise<void> {
  const q = ctx.query;
  const fromImage = q.get('fromImage');
  if (fromImage !== null && fromImage !== '') {
    let shown = fromImage;
    try {
      const ref = parseReference(q.get('tag') ? `${fromImage}:${q.get('tag')}` : fromImage);
      shown = familiarString(withDefaultTag(ref));
    } catch {
      // Keep the raw text in the message.
    }
    throw new NotImplementedError(`berth cannot pull images yet (no registry support): ${shown}`);
  }
  const fromSrc = q.get('fromSrc');
  if (fromSrc !== '-') {
    throw new InvalidArgumentError(fromSrc ? `importing from a URL is not supported yet: ${fromSrc}` : 'fromImage or fromSrc is required');
  }
  const platform = q.get('platform');
  if (platform && !/^linux(\/amd64)?$/.test(platform)) {
    throw new InvalidArgumentError(`platform "${platform}" is not supported: this engine runs linux/amd64 only`);
  }
  const id = await importImage(store, ctx.req, {
    repo: q.get('repo') ?? undefined,
    tag: q.get('tag') ?? undefined,
    message: q.get('message') ?? undefined,
    changes: q.getAll('changes'),
    source: '-',
    signal: ctx.signal,
  });
  const res = requireResponse(ctx);
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(`${JSON.stringify({ status: id })}\n`);
}
