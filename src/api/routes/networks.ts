import { parseFilters } from '../../pkg/filters.js';
import type { NetworkService } from '../../services/networks/network-service.js';
import { readJson, sendJson, sendNoContent } from '../http-context.js';
import type { Route } from '../router.js';

/** `/networks/...`: parse, call the network service, encode. */
export function networkRoutes(networks: NetworkService): Route[] {
  return [
    { method: 'GET', path: '/networks', handler: (ctx) => sendJson(ctx, 200, networks.list(parseFilters(ctx.query.get('filters')))) },
    { method: 'GET', path: '/networks/{id}', handler: (ctx) => sendJson(ctx, 200, networks.inspect(ctx.params['id']!)) },
    {
      method: 'POST',
      path: '/networks/create',
      handler: async (ctx) => sendJson(ctx, 201, await networks.create(await readJson(ctx.req))),
    },
    {
      method: 'DELETE',
      path: '/networks/{id}',
      handler: async (ctx) => {
        await networks.remove(ctx.params['id']!);
        sendNoContent(ctx);
      },
    },
    {
      method: 'POST',
      path: '/networks/{id}/connect',
      handler: async (ctx) => {
        await networks.connect(ctx.params['id']!, await readJson(ctx.req));
        sendNoContent(ctx, 200);
      },
    },
    {
      method: 'POST',
      path: '/networks/{id}/disconnect',
      handler: async (ctx) => {
        await networks.disconnect(ctx.params['id']!, await readJson(ctx.req));
        sendNoContent(ctx, 200);
      },
    },
    {
      method: 'POST',
      path: '/networks/prune',
      handler: async (ctx) => sendJson(ctx, 200, await networks.prune(parseFilters(ctx.query.get('filters')))),
    },
  ];
}
