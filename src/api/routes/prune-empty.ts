import { parseFilters } from '../../pkg/filters.js';
import { sendJson } from '../http-context.js';
import type { Route } from '../router.js';

/**
 * Pruning what berth does not have yet: user networks and volumes arrive with their own issues.
 * Until then there is nothing of them to remove, and `docker system prune` (which prunes them too) must
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
    route('/networks/prune', ['until', 'label', 'label!'], { NetworksDeleted: null }),
    route('/volumes/prune', ['label', 'label!', 'all'], { VolumesDeleted: null, SpaceReclaimed: 0 }),
  ];
}
