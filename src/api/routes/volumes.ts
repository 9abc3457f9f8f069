import { InvalidArgumentError } from '../../core/errdefs.js';
import { parseFilters } from '../../pkg/filters.js';
import type { CreateVolumeRequest, VolumeService } from '../../services/volumes/volume-service.js';
import { boolParam, readJson, sendJson, sendNoContent } from '../http-context.js';
import type { Route } from '../router.js';

/** `/volumes/...`: list, create, inspect, remove, prune. */
export function volumeRoutes(volumes: VolumeService): Route[] {
  return [
    { method: 'GET', path: '/volumes', handler: (ctx) => sendJson(ctx, 200, volumes.list(parseFilters(ctx.query.get('filters')))) },
    {
      method: 'POST',
      path: '/volumes/create',
      handler: async (ctx) => sendJson(ctx, 201, await volumes.create(createBody(await readJson(ctx.req)))),
    },
    {
      method: 'POST',
      path: '/volumes/prune',
      handler: async (ctx) => sendJson(ctx, 200, await volumes.prune(parseFilters(ctx.query.get('filters')), ctx.apiVersion)),
    },
    { method: 'GET', path: '/volumes/{name}', handler: (ctx) => sendJson(ctx, 200, volumes.inspect(ctx.params['name']!)) },
    {
      method: 'DELETE',
      path: '/volumes/{name}',
      handler: async (ctx) => {
        await volumes.remove(ctx.params['name']!, { force: boolParam(ctx.query, 'force') });
        sendNoContent(ctx);
      },
    },
  ];
}

/** The create body, checked field by field (an empty body creates an anonymous volume, as in Docker). */
function createBody(raw: unknown): CreateVolumeRequest {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidArgumentError('invalid JSON: body is not a JSON object');
  const body = raw as Record<string, unknown>;
  const str = (k: string): string | undefined => {
    const v = body[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new InvalidArgumentError(`json: cannot unmarshal ${typeof v} into Go struct field CreateOptions.${k} of type string`);
    return v;
  };
  const map = (k: string): Record<string, string> | undefined => {
    const v = body[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string')) {
      throw new InvalidArgumentError(`json: cannot unmarshal into Go struct field CreateOptions.${k} of type map[string]string`);
    }
    return v as Record<string, string>;
  };
  const out: CreateVolumeRequest = {};
  const name = str('Name');
  const driver = str('Driver');
  const opts = map('DriverOpts');
  const labels = map('Labels');
  if (name !== undefined) out.Name = name;
  if (driver !== undefined) out.Driver = driver;
  if (opts !== undefined) out.DriverOpts = opts;
  if (labels !== undefined) out.Labels = labels;
  return out;
}
