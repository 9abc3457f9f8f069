/**
 * `GET /events` (moby api/server/router/system getEvents): the daemon's events as a stream of JSON objects, one
 * per line, from the `since` instant (past events the log remembers) to the `until` instant or the client's
 * disconnect.
 */
import { InvalidArgumentError } from '../../core/errdefs.js';
import { parseFilters } from '../../pkg/filters.js';
import { getTimestamp, parseTimestamps, type UnixTimestamp } from '../../pkg/go-duration.js';
import { goJsonEscapeHtml } from '../../pkg/go-template.js';
import type { EventLog } from '../../services/events/event-log.js';
import { requireResponse, type RequestContext, drained } from '../http-context.js';
import type { Route } from '../router.js';

export function eventRoutes(events: EventLog): Route[] {
  return [{ method: 'GET', path: '/events', handler: (ctx) => streamEvents(events, ctx) }];
}

async function streamEvents(events: EventLog, ctx: RequestContext): Promise<void> {
  const q = ctx.query;
  const sinceText = q.get('since') ?? '';
  const untilText = q.get('until') ?? '';
  const now = new Date();
  const since = eventTime('since', sinceText, now);
  const until = eventTime('until', untilText, now);
  if (since !== undefined && until !== undefined && until < since) {
    throw new InvalidArgumentError(`\`since\` time (${sinceText}) cannot be after \`until\` time (${untilText})`);
  }
  // Everything that can be refused is checked before the 200 goes out.
  const subscription = events.subscribe({ since, until, filters: parseFilters(q.get('filters')), signal: ctx.signal });
  const res = requireResponse(ctx);
  res.writeHead(200, { 'Content-Type': 'application/json' });
  // The client learns at once that it is subscribed (docker's WriteFlusher flushes before the first event).
  res.flushHeaders();
  try {
    for await (const event of subscription) {
      // Go's json.Encoder escapes <, > and & (HTML-safe) and ends each value with a newline.
      if (!res.write(`${goJsonEscapeHtml(JSON.stringify(event))}\n`)) await drained(res, ctx.signal);
      if (ctx.signal.aborted) break;
    }
  } finally {
    await subscription.return();
  }
  if (!res.destroyed) res.end();
}

/**
 * A `since`/`until` value as Unix nanoseconds; '' is absent. Docker's daemon takes `sec[.frac]` (what its
 * client sends); berth also accepts what the CLI flags accept (`10m`, RFC 3339 dates), which dockerd refuses.
 */
function eventTime(name: string, value: string, now: Date): bigint | undefined {
  if (value === '') return undefined;
  let t: UnixTimestamp;
  try {
    t = parseTimestamps(value, 0);
  } catch (err) {
    try {
      t = parseTimestamps(getTimestamp(value, now), 0);
    } catch {
      throw new InvalidArgumentError(`invalid value for '${name}': ${(err as Error).message}`);
    }
  }
  return BigInt(t.seconds) * 1_000_000_000n + BigInt(t.nanoseconds);
}
