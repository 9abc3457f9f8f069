import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { InvalidArgumentError } from '../../core/errdefs.js';
import { Filters } from '../../pkg/filters.js';
import { EventLog, eventMatches, type EventInput, type EventMessage } from './event-log.js';
import { ManualClock } from './manual-clock.js';

const container = (action: string, id = 'c0ffee1234567890', attrs: Record<string, string> = { image: 'busybox', name: 'web' }): EventInput => ({
  Type: 'container',
  Action: action,
  Actor: { ID: id, Attributes: attrs },
});

const pendingNext = new WeakMap<AsyncIterator<EventMessage>, Promise<IteratorResult<EventMessage>>>();

/**
 * Reads what a subscription has ready without waiting for more. A `next()` still pending when it returns is kept
 * for the following call, as a real consumer would keep waiting on it.
 */
async function drainReady(it: AsyncIterator<EventMessage>): Promise<{ actions: string[]; ended: boolean }> {
  const actions: string[] = [];
  for (;;) {
    const next = pendingNext.get(it) ?? it.next();
    pendingNext.set(it, next);
    const r = await Promise.race([next, new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))]);
    if (r === 'pending') return { actions, ended: false };
    pendingNext.delete(it);
    if (r.done) return { actions, ended: true };
    actions.push(r.value.Action);
  }
}

describe('EventLog.publish', () => {
  it('stamps scope and time and fills the legacy fields of container events, in Docker key order', () => {
    const clock = new ManualClock(1_700_000_000_123);
    const log = new EventLog({ clock });
    const m = log.publish(container('start'));
    assert.equal(
      JSON.stringify(m),
      '{"status":"start","id":"c0ffee1234567890","from":"busybox","Type":"container","Action":"start",' +
        '"Actor":{"ID":"c0ffee1234567890","Attributes":{"image":"busybox","name":"web"}},"scope":"local",' +
        '"time":1700000000,"timeNano":1700000000123000000}',
    );
  });

  it('gives image events status and id but no from, and other events no legacy fields', () => {
    const log = new EventLog({ clock: new ManualClock() });
    const image = log.publish({ Type: 'image', Action: 'tag', Actor: { ID: 'sha256:abc', Attributes: { name: 'busybox:1' } } });
    assert.deepEqual(Object.keys(image), ['status', 'id', 'Type', 'Action', 'Actor', 'scope', 'time', 'timeNano']);
    const net = log.publish({ Type: 'network', Action: 'connect', Actor: { ID: 'n1', Attributes: { name: 'bridge' } } });
    assert.deepEqual(Object.keys(net), ['Type', 'Action', 'Actor', 'scope', 'time', 'timeNano']);
    const noImage = log.publish(container('create', 'c1', { name: 'x' }));
    assert.equal(noImage.from, undefined);
    assert.equal(noImage.status, 'create');
  });

  it('copies the attributes, so a publisher mutating its map later changes nothing', () => {
    const log = new EventLog({ clock: new ManualClock() });
    const attrs = { name: 'a' };
    const m = log.publish(container('start', 'c1', attrs));
    attrs.name = 'b';
    assert.equal(m.Actor.Attributes['name'], 'a');
  });
});

describe('EventLog.subscribe', () => {
  it('replays nothing without since or until, then delivers live events', async () => {
    const clock = new ManualClock();
    const log = new EventLog({ clock });
    log.publish(container('create'));
    const sub = log.subscribe();
    assert.deepEqual(await drainReady(sub), { actions: [], ended: false });
    log.publish(container('start'));
    assert.deepEqual(await drainReady(sub), { actions: ['start'], ended: false });
    await sub.return();
    assert.equal(log.subscribers, 0);
  });

  it('replays remembered events from since (inclusive), then follows live ones', async () => {
    const clock = new ManualClock();
    const log = new EventLog({ clock });
    log.publish(container('create'));
    clock.advance(1000);
    const since = new Date(clock.now());
    log.publish(container('start'));
    clock.advance(1000);
    log.publish(container('die'));
    const sub = log.subscribe({ since });
    log.publish(container('destroy'));
    assert.deepEqual(await drainReady(sub), { actions: ['start', 'die', 'destroy'], ended: false });
    await sub.return();
  });

  it('accepts since and until as Unix nanoseconds', async () => {
    const clock = new ManualClock(1_000_000);
    const log = new EventLog({ clock });
    log.publish(container('a'));
    clock.advance(1);
    log.publish(container('b'));
    clock.advance(1);
    log.publish(container('c'));
    const sub = log.subscribe({ since: 1_000_001n * 1_000_000n, until: 1_000_001n * 1_000_000n });
    assert.deepEqual(await drainReady(sub), { actions: ['b'], ended: true });
  });

  it('with only an until in the past replays every remembered event up to it and ends (as Docker)', async () => {
    const clock = new ManualClock();
    const log = new EventLog({ clock });
    log.publish(container('create'));
    clock.advance(10);
    const until = new Date(clock.now());
    clock.advance(10);
    log.publish(container('start'));
    clock.advance(10);
    const sub = log.subscribe({ until });
    assert.deepEqual(await drainReady(sub), { actions: ['create'], ended: true });
    assert.equal(log.subscribers, 0, 'a past-only subscription never registers');
  });

  it('ends exactly at a future until even when nothing happens', async () => {
    const clock = new ManualClock();
    const log = new EventLog({ clock });
    const sub = log.subscribe({ until: new Date(clock.now() + 5000) });
    const next = sub.next();
    clock.advance(4999);
    log.publish(container('start'));
    assert.deepEqual((await next).value?.Action, 'start');
    assert.deepEqual(await drainReady(sub), { actions: [], ended: false });
    clock.advance(1);
    assert.deepEqual(await drainReady(sub), { actions: [], ended: true });
    assert.equal(clock.pending, 0);
    assert.equal(log.subscribers, 0);
  });

  it('delivers events queued before until fired, and drops events stamped after until', async () => {
    const clock = new ManualClock();
    const log = new EventLog({ clock });
    const sub = log.subscribe({ until: new Date(clock.now() + 100) });
    log.publish(container('a'));
    // The clock jumped past until before the timer ran: the late event ends the stream instead of passing.
    clock.t += 200;
    log.publish(container('late'));
    assert.deepEqual(await drainReady(sub), { actions: ['a'], ended: true });
  });

  it('chains timers for an until beyond the 24.8-day setTimeout limit', async () => {
    const clock = new ManualClock();
    const log = new EventLog({ clock });
    const days40 = 40 * 24 * 3600 * 1000;
    const sub = log.subscribe({ until: new Date(clock.now() + days40) });
    clock.advance(2 ** 31 - 1);
    assert.deepEqual(await drainReady(sub), { actions: [], ended: false });
    clock.advance(days40 - (2 ** 31 - 1));
    assert.deepEqual(await drainReady(sub), { actions: [], ended: true });
  });

  it('ends when the signal aborts, dropping what was queued', async () => {
    const log = new EventLog({ clock: new ManualClock() });
    const ac = new AbortController();
    const sub = log.subscribe({ signal: ac.signal });
    const waiting = sub.next();
    ac.abort();
    assert.deepEqual(await waiting, { value: undefined, done: true });
    assert.equal(log.subscribers, 0);
    log.publish(container('start'));
    assert.deepEqual(await drainReady(sub), { actions: [], ended: true });
  });

  it('gives an already aborted signal an empty stream', async () => {
    const log = new EventLog({ clock: new ManualClock() });
    const sub = log.subscribe({ signal: AbortSignal.abort() });
    assert.deepEqual(await drainReady(sub), { actions: [], ended: true });
    assert.equal(log.subscribers, 0);
  });

  it('unsubscribes when the consumer breaks out of for-await', async () => {
    const log = new EventLog({ clock: new ManualClock() });
    const sub = log.subscribe();
    log.publish(container('a'));
    log.publish(container('b'));
    for await (const m of sub) {
      assert.equal(m.Action, 'a');
      break;
    }
    assert.equal(log.subscribers, 0);
  });

  it('remembers only the last capacity events', async () => {
    const log = new EventLog({ clock: new ManualClock(), capacity: 3 });
    for (const a of ['1', '2', '3', '4', '5']) log.publish(container(a));
    const sub = log.subscribe({ since: new Date(0) });
    assert.deepEqual((await drainReady(sub)).actions, ['3', '4', '5']);
    await sub.return();
  });

  it('drops the oldest queued events of a subscriber that falls behind, keeping memory bounded', async () => {
    const log = new EventLog({ clock: new ManualClock(), subscriberQueue: 3 });
    const sub = log.subscribe();
    for (const a of ['1', '2', '3', '4', '5']) log.publish(container(a));
    assert.equal(sub.dropped, 2);
    assert.deepEqual((await drainReady(sub)).actions, ['3', '4', '5']);
    await sub.return();
  });

  it('close ends every subscription; later ones get past events only', async () => {
    const clock = new ManualClock();
    const log = new EventLog({ clock });
    const sub = log.subscribe();
    log.close();
    assert.deepEqual(await drainReady(sub), { actions: [], ended: true });
    log.publish(container('x'));
    const after = log.subscribe({ since: new Date(0) });
    assert.deepEqual(await drainReady(after), { actions: ['x'], ended: true });
  });

  it('refuses a filter name Docker does not know, in Docker words', () => {
    const log = new EventLog({ clock: new ManualClock() });
    assert.throws(
      () => log.subscribe({ filters: Filters.from({ bogus: 'x' }) }),
      (e: unknown) => e instanceof InvalidArgumentError && e.message === "invalid filter 'bogus'",
    );
    assert.equal(log.subscribers, 0);
  });

  it('applies filters to replayed and live events alike', async () => {
    const log = new EventLog({ clock: new ManualClock() });
    log.publish(container('start', 'aaa', { name: 'one', image: 'busybox' }));
    log.publish(container('start', 'bbb', { name: 'two', image: 'busybox' }));
    const sub = log.subscribe({ since: new Date(0), filters: Filters.from({ container: 'two' }) });
    log.publish(container('die', 'bbb', { name: 'two', image: 'busybox' }));
    log.publish(container('die', 'aaa', { name: 'one', image: 'busybox' }));
    assert.deepEqual((await drainReady(sub)).actions, ['start', 'die']);
    await sub.return();
  });
});

describe('eventMatches (moby daemon/events/filter.go)', () => {
  const log = new EventLog({ clock: new ManualClock() });
  const start = log.publish(container('start', '4f2c9a0b1d2e', { name: 'web', image: 'busybox:1.36', 'com.example.tier': 'front' }));
  const health = log.publish(container('health_status: healthy', '4f2c9a0b1d2e', { name: 'web', image: 'busybox' }));
  const exec = log.publish(container('exec_start: sh -c true', '4f2c9a0b1d2e', { name: 'web', image: 'busybox', execID: 'e1' }));
  const tag = log.publish({ Type: 'image', Action: 'tag', Actor: { ID: 'sha256:1234', Attributes: { name: 'busybox:latest' } } });
  const net = log.publish({ Type: 'network', Action: 'connect', Actor: { ID: '9e9e', Attributes: { name: 'bridge', type: 'bridge', container: '4f2c9a0b1d2e' } } });
  const vol = log.publish({ Type: 'volume', Action: 'create', Actor: { ID: 'data', Attributes: { driver: 'local' } } });
  const daemon = log.publish({ Type: 'daemon', Action: 'reload', Actor: { ID: 'DAEMONID', Attributes: { name: 'host1' } } });

  const cases: Array<[filters: Record<string, string[]>, event: EventMessage, expected: boolean]> = [
    [{}, start, true],
    [{ type: ['container'] }, start, true],
    [{ type: ['image'] }, start, false],
    [{ type: ['image', 'container'] }, tag, true],
    // container: the ID (or a prefix of it) or the name attribute.
    [{ container: ['web'] }, start, true],
    [{ container: ['4f2c'] }, start, true],
    [{ container: ['we'] }, start, true],
    [{ container: ['other'] }, start, false],
    // A container filter applies to every event type: an image event has no container to match.
    [{ container: ['web'] }, tag, false],
    // event: exact, except the three actions whose value may stop at the colon.
    [{ event: ['start'] }, start, true],
    [{ event: ['stop'] }, start, false],
    [{ event: ['health_status'] }, health, true],
    [{ event: ['health_status: healthy'] }, health, true],
    [{ event: ['exec_start'] }, exec, true],
    [{ event: ['exec_start: sh -c true'] }, exec, true],
    [{ event: ['exec_create'] }, exec, false],
    [{ event: ['health'] }, health, false],
    // image: the container's image attribute, the image event's ID or name, each also without its tag.
    [{ image: ['busybox:1.36'] }, start, true],
    [{ image: ['busybox'] }, start, true],
    [{ image: ['alpine'] }, start, false],
    [{ image: ['busybox'] }, tag, true],
    [{ image: ['sha256:1234'] }, tag, true],
    // label: key present, or key=value.
    [{ label: ['com.example.tier'] }, start, true],
    [{ label: ['com.example.tier=front'] }, start, true],
    [{ label: ['com.example.tier=back'] }, start, false],
    [{ label: ['com.example.tier', 'missing'] }, start, false],
    [{ network: ['bridge'] }, net, true],
    [{ network: ['9e9'] }, net, true],
    [{ network: ['host'] }, net, false],
    [{ volume: ['data'] }, vol, true],
    [{ volume: ['other'] }, vol, false],
    [{ daemon: ['host1'] }, daemon, true],
    [{ daemon: ['DAEMON'] }, daemon, true],
    [{ scope: ['local'] }, start, true],
    [{ scope: ['swarm'] }, start, false],
    [{ type: ['container'], event: ['start', 'die'], container: ['web'] }, start, true],
  ];
  for (const [filters, event, expected] of cases) {
    it(`${JSON.stringify(filters)} ${expected ? 'includes' : 'excludes'} ${event.Type} ${event.Action}`, () => {
      assert.equal(eventMatches(Filters.from(filters), event), expected);
    });
  }
});
