import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';

import { EventLog, type EventInput } from '../../services/events/event-log.js';
import { ManualClock } from '../../services/events/manual-clock.js';
import { bodyText, serveRoutes, type RouteTestServer } from '../route-test-server.js';
import { eventRoutes } from './events.js';

const start = (name: string): EventInput => ({
  Type: 'container',
  Action: 'start',
  Actor: { ID: `${name}-id`, Attributes: { image: 'busybox', name } },
});

let server: RouteTestServer;
const clock = new ManualClock();
const log = new EventLog({ clock });

before(async () => {
  server = await serveRoutes(eventRoutes(log));
});

after(() => server.close());

const get = (path: string): Promise<IncomingMessage> => server.get(path);
const body = bodyText;

/** Reads lines as they arrive. */
function lines(res: IncomingMessage): { next(): Promise<string> } {
  const queue: string[] = [];
  const waiters: Array<(l: string) => void> = [];
  let buf = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const w = waiters.shift();
      if (w) w(line);
      else queue.push(line);
    }
  });
  return { next: () => new Promise((resolve) => (queue.length > 0 ? resolve(queue.shift()!) : waiters.push(resolve))) };
}

const nsString = (ms: number): string => `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1_000_000).padStart(9, '0')}`;

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), 'condition not reached');
}

describe('GET /events', () => {
  it('replays the past window as JSON lines and ends when until has passed', async () => {
    const t0 = clock.now();
    log.publish(start('a'));
    clock.advance(1000);
    log.publish(start('b'));
    clock.advance(1000);
    const res = await get(`/v1.43/events?since=${nsString(t0)}&until=${nsString(t0 + 1000)}`);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    const text = await body(res);
    const events = text.trim().split('\n').map((l) => JSON.parse(l) as { Actor: { Attributes: { name: string } }; timeNano: number });
    assert.deepEqual(events.map((e) => e.Actor.Attributes.name), ['a', 'b']);
    assert.ok(text.endsWith('\n'));
    assert.equal(log.subscribers, 0);
  });

  it('sends headers at once, streams live events, and unsubscribes when the client goes away', async () => {
    const res = await get(`/events?filters=${encodeURIComponent('{"container":{"live":true}}')}`);
    assert.equal(res.statusCode, 200);
    assert.equal(log.subscribers, 1);
    const reader = lines(res);
    log.publish(start('other'));
    log.publish(start('live'));
    const line = await reader.next();
    const ev = JSON.parse(line) as Record<string, unknown>;
    assert.equal(ev['status'], 'start');
    assert.equal(ev['id'], 'live-id');
    assert.equal(ev['from'], 'busybox');
    assert.equal(ev['scope'], 'local');
    res.destroy();
    await until(() => log.subscribers === 0);
  });

  it('ends the stream at until even when no event comes', async () => {
    clock.advance(1);
    // With only an until, Docker replays every remembered event; a since of now leaves the past out.
    const res = await get(`/events?since=${nsString(clock.now())}&until=${nsString(clock.now() + 5000)}`);
    assert.equal(res.statusCode, 200);
    const done = body(res);
    await until(() => log.subscribers === 1);
    clock.advance(5000);
    assert.equal(await done, '');
    assert.equal(log.subscribers, 0);
  });

  it('escapes HTML characters as Go json.Encoder does', async () => {
    const t = clock.now();
    log.publish({ Type: 'container', Action: 'die', Actor: { ID: 'x', Attributes: { name: 'a<b>&c' } } });
    const res = await get(`/events?since=${nsString(t)}&until=${nsString(t)}`);
    const text = await body(res);
    assert.match(text, /"name":"a\\u003cb\\u003e\\u0026c"/);
  });

  it('accepts the CLI forms of since (durations, RFC 3339) too', async () => {
    const res = await get(`/events?since=1h&until=${encodeURIComponent('2001-02-03T04:05:06Z')}`);
    // until (2001) is before since (an hour ago): refused with Docker's words, the raw values quoted.
    assert.equal(res.statusCode, 400);
    assert.deepEqual(JSON.parse(await body(res)), { message: '`since` time (1h) cannot be after `until` time (2001-02-03T04:05:06Z)' });
  });

  const refusals: Array<[query: string, message: string]> = [
    [`filters=${encodeURIComponent('{"bogus":{"x":true}}')}`, "invalid filter 'bogus'"],
    ['filters=nope', 'invalid filter'],
    ['since=12.5&until=10', '`since` time (12.5) cannot be after `until` time (10)'],
    ['since=yesterday', `invalid value for 'since': strconv.ParseInt: parsing "yesterday": invalid syntax`],
  ];
  for (const [query, message] of refusals) {
    it(`refuses ${query} with 400`, async () => {
      const res = await get(`/events?${query}`);
      assert.equal(res.statusCode, 400);
      assert.deepEqual(JSON.parse(await body(res)), { message });
      assert.equal(log.subscribers, 0);
    });
  }
});
