import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { InvalidArgumentError } from '../../core/errdefs.js';
import { encodePathStat, PATH_STAT_HEADER } from '../../pkg/container-path-stat.js';
import type { ContainerArchiveService } from '../../services/containers/container-archive.js';
import { changesOf, commitContainer, type ContainerFsDeps } from '../../services/containers/container-commit.js';
import { boolParam, readJson, requireResponse, sendJson, type RequestContext } from '../http-context.js';
import type { Route } from '../router.js';


/**
 * The container filesystem endpoints: `/containers/{id}/archive` (HEAD stat, GET a tar, PUT a tar: `docker
 * cp`), `/containers/{id}/export`, `/containers/{id}/changes` (`docker diff`) and `/commit`.
 */
export function containerArchiveRoutes(archive: ContainerArchiveService, fs: ContainerFsDeps): Route[] {
  return [
    {
      method: 'HEAD',
      path: '/containers/{name}/archive',
      handler: async (ctx) => {
        const stat = await archive.statPath(ctx.params['name']!, requirePath(ctx));
        const res = requireResponse(ctx);
        res.writeHead(200, { [PATH_STAT_HEADER]: encodePathStat(stat), 'Content-Type': 'application/x-tar' });
        res.end();
      },
    },
    {
      method: 'GET',
      path: '/containers/{name}/archive',
      handler: (ctx) =>
        archive.getArchive(
          ctx.params['name']!,
          requirePath(ctx),
          async (stat, tar) => {
            const res = requireResponse(ctx);
            res.writeHead(200, { [PATH_STAT_HEADER]: encodePathStat(stat), 'Content-Type': 'application/x-tar' });
            await send(tar, ctx);
          },
          { signal: ctx.signal },
        ),
    },
    {
      method: 'PUT',
      path: '/containers/{name}/archive',
      handler: async (ctx) => {
        await archive.putArchive(ctx.params['name']!, requirePath(ctx), ctx.req, {
          noOverwriteDirNonDir: boolParam(ctx.query, 'noOverwriteDirNonDir'),
          copyUIDGID: boolParam(ctx.query, 'copyUIDGID'),
          signal: ctx.signal,
        });
        const res = requireResponse(ctx);
        res.writeHead(200, { 'Content-Length': 0 });
        res.end();
      },
    },
    {
      method: 'GET',
      path: '/containers/{name}/export',
      handler: (ctx) =>
        archive.export(
          ctx.params['name']!,
          async (tar) => {
            requireResponse(ctx).writeHead(200, { 'Content-Type': 'application/octet-stream' });
            await send(tar, ctx);
          },
          { signal: ctx.signal },
        ),
    },
    { method: 'GET', path: '/containers/{name}/changes', handler: async (ctx) => sendJson(ctx, 200, await changesOf(fs, ctx.params['name']!)) },
    {
      method: 'POST',
      path: '/commit',
      handler: async (ctx) => {
        const q = ctx.query;
        const container = q.get('container') ?? '';
        if (container === '') throw new InvalidArgumentError('container name or ID is required');
        const body = await readJson(ctx.req);
        const result = await commitContainer(fs, {
          container,
          repo: q.get('repo') || undefined,
          tag: q.get('tag') || undefined,
          comment: q.get('comment') ?? '',
          author: q.get('author') ?? '',
          // Docker pauses unless told `pause=0` (an absent parameter means pause).
          pause: q.get('pause') === null || boolParam(q, 'pause'),
          changes: q.getAll('changes'),
          config: body,
          signal: ctx.signal,
        });
        sendJson(ctx, 201, result);
      },
    },
  ];
}

function requirePath(ctx: RequestContext): string {
  const path = ctx.query.get('path') ?? '';
  if (path === '') throw new InvalidArgumentError('path is empty');
  return path;
}

/** Streams a tar to the client; a client that goes away ends it without an error (nothing is left to tell). */
async function send(tar: Readable, ctx: RequestContext): Promise<void> {
  const res = requireResponse(ctx);
  try {
    await pipeline(tar, res);
  } catch (err) {
    if (ctx.signal.aborted) return;
    // The status line is gone: cut the connection so the client sees a broken stream, not a short tar.
    res.destroy(err instanceof Error ? err : new Error(String(err)));
  }
}
