/**
 * `GET /containers/{id}/stats` (moby api/server/router/container getContainersStats): newline-delimited stats
 * objects while `stream` (the default), or a single one.
 */
import { containerStats, statsJson, type StatsReader } from '../../services/containers/container-stats.js';
import { boolParam, requireResponse, type RequestContext, drained } from '../http-context.js';
import type { Route } from '../router.js';

/** What the route needs to know about a container, looked up again for every sample. */
export interface StatsTarget {
  id: string;
  name: string;
  cgroupsPath: string;
  pid: number | undefined;
  running: boolean;
}

/** For tests: a fake reader and a shorter interval. */
export interface ContainerStatsRouteOptions {
  read?: StatsReader;
  interval?: number;
}

/** API 1.41 introduced `one-shot`; older clients get Docker's two-sample answer. */
const ONE_SHOT_API = 1 + 41 / 1000;

/**
 * `lookup` resolves an ID, ID prefix or name (throwing Docker's "No such container" NotFoundError, which the router
 * maps to 404); once the container is removed a stream ends.
 */
export function containerStatsRoutes(lookup: (idOrName: string) => StatsTarget, options: ContainerStatsRouteOptions = {}): Route[] {
  return [{ method: 'GET', path: '/containers/{id}/stats', handler: (ctx) => stats(lookup, options, ctx) }];
}

async function stats(lookup: (idOrName: string) => StatsTarget, options: ContainerStatsRouteOptions, ctx: RequestContext): Promise<void> {
  const target = lookup(ctx.params['id']!);
  const q = ctx.query;
  // Docker's BoolValueOrDefault: an absent parameter takes the default, a present one is read as boolParam does.
  const stream = q.has('stream') ? boolParam(q, 'stream') : true;
  const oneShot = ctx.apiVersion >= ONE_SHOT_API && q.has('one-shot') ? boolParam(q, 'one-shot') : false;
  const live = (): StatsTarget | undefined => {
    try {
      return lookup(target.id);
    } catch {
      return undefined;
    }
  };
  const samples = containerStats({
    id: target.id,
    name: target.name,
    cgroupsPath: target.cgroupsPath,
    pid: () => live()?.pid,
    running: () => live()?.running ?? false,
    removed: () => live() === undefined,
    stream,
    oneShot,
    signal: ctx.signal,
    ...(options.read !== undefined ? { read: options.read } : {}),
    ...(options.interval !== undefined ? { interval: options.interval } : {}),
  });
  // The first object is awaited before the 200 goes out, so a refused request (stream with one-shot) is a 400.
  const first = await samples.next();
  const res = requireResponse(ctx);
  res.writeHead(200, { 'Content-Type': 'application/json' });
  if (first.done) {
    res.end();
    return;
  }
  // Go's json.Encoder ends every value with a newline, the single one included.
  if (!stream) {
    res.end(`${statsJson(first.value)}\n`);
    await samples.return();
    return;
  }
  res.flushHeaders();
  try {
    let ok = res.write(`${statsJson(first.value)}\n`);
    for (;;) {
      if (!ok) await drained(res, ctx.signal);
      if (ctx.signal.aborted) break;
      const next = await samples.next();
      if (next.done || ctx.signal.aborted) break;
      ok = res.write(`${statsJson(next.value)}\n`);
    }
  } finally {
    await samples.return();
  }
  if (!res.destroyed) res.end();
}
