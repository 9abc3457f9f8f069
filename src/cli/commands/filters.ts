/** docker's `--filter` flag values (`opts.FilterOpt`): `name=value` pairs collected into the API's filter map. */
import type { Filters } from '../../client/types.js';

/** Parses `-f` values; throws docker's message for a value without `=`. */
export function parseFilters(values: readonly string[]): Filters {
  const out: Filters = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq < 0) throw new Error('bad format of filter (expected name=value)');
    const name = v.slice(0, eq).trim().toLowerCase();
    const value = v.slice(eq + 1).trim();
    (out[name] ??= {})[value] = true;
  }
  return out;
}

/** Adds one filter value. */
export function addFilter(filters: Filters, name: string, value: string): Filters {
  (filters[name] ??= {})[value] = true;
  return filters;
}
