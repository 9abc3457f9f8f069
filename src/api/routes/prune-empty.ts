import { parseFilters } from '../../pkg/filters.js';
import { sendJson } from '../http-context.js';
import type { Route } from '../router.js';

/**
 * Pruning what berth does not have yet: a build cache arrives with its own issue.
 * Until then there is nothing of them to remove, and `docker system prune` (which prunes all four kinds) must
 * still work, so each answers Docker's empty result. Filters are still checked, so a typo is still a 400.
 */
export function emptyPruneRoutes(): Route[] {
  const route = (path: string, filters: string[], body: Record<string, unknown>): Route => ({
    method: 'POST',
    path,
    handler: (ctx) => {
      parseFilters(ctx.query.get('filters')).validate(filters);
      sendJson(ctx, 200, body);
    },
  });
  return [
    route('/build/prune', ['until', 'id', 'parent', 'type', 'description', 'inuse', 'shared', 'private', 'unused-for', 'until', 'label', 'label!'], { CachesDeleted: null, SpaceReclaimed: 0 }),
  ];
}
