import type { Filters } from '../pkg/filters.js';
import { parseTimestamps, timestampToDate } from '../pkg/go-duration.js';

/**
 * Docker's prune filters, shared by container and image prune: `until=<time>` keeps what was created at or
 * after it, `label=k[=v]` keeps only matches, `label!=k[=v]` drops matches. Returns the test for one object.
 */
export function pruneFilter(filters: Filters, now: Date): (created: Date, labels: Record<string, string>) => boolean {
  const until = filters.get('until').map((u) => timestampToDate(parseTimestamps(u, now.getTime() / 1000)).getTime());
  const negated = filters.get('label!');
  return (created, labels) => {
    if (until.some((u) => created.getTime() >= u)) return false;
    if (filters.has('label') && !filters.matchKVList('label', labels)) return false;
    return !negated.some((l) => labelMatches(l, labels));
  };
}

/** `k` or `k=v` against labels. */
function labelMatches(filter: string, labels: Record<string, string>): boolean {
  const eq = filter.indexOf('=');
  if (eq < 0) return filter in labels;
  return labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}
