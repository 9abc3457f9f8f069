/**
 * The daemon's event bus, as moby's daemon/events: services publish what happened (a container started, an image
 * was tagged), `GET /events` subscribers receive it.
 *
 * Lifecycle of an event: `publish` stamps it (scope `local`, `time` in seconds, `timeNano` in nanoseconds, and the
 * legacy `status`/`id`/`from` fields Docker still sends for container and image events), keeps it in a ring of the
 * last `capacity` events, and hands it to every live subscription whose filters include it.
 *
 * Lifecycle of a subscription: `subscribe` registers it synchronously, so no event can fall between the replayed
 * past and the live stream. It first yields the remembered events inside the `since`/`until` window (Docker replays
 * nothing when neither is given, and everything up to `until` when only `until` is), then, unless `until` already
 * passed, live events until `until` comes (a timer ends the stream even when nothing happens), the signal aborts,
 * the consumer stops iterating, or the log is closed. A subscriber that does not keep up loses its oldest queued
 * events once its queue holds `subscriberQueue` of them, so a stuck client cannot grow the daemon's memory.
 */
import type { EngineEvent, EventPublisher } from '../../core/events.js';
import { Filters } from '../../pkg/filters.js';
import { familiarName, tryParseReference } from '../../pkg/reference.js';

export type EventType = EngineEvent['Type'];

export type EventActor = EngineEvent['Actor'];

/** What a service publishes (core/events EngineEvent). */
export type EventInput = EngineEvent;

/**
 * An event as `GET /events` sends it (moby api/types/events.Message), keys in Docker's order. `status`, `id` and
 * `from` are the deprecated fields: present for container events (`from` only when the container has an image
 * attribute) and image events (`status`, `id`), absent otherwise.
 */
export interface EventMessage {
  status?: string;
  id?: string;
  from?: string;
  Type: EventType;
  Action: string;
  Actor: EventActor;
  scope: 'local';
  /** Unix seconds. */
  time: number;
  /** Unix nanoseconds (a JSON integer, as Docker sends it; exact to the clock's resolution). */
  timeNano: number;
}

/** Where time comes from; tests pass a fake one. */
export interface EventClock {
  /** Wall-clock milliseconds since the epoch (Date.now). */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface EventLogOptions {
  /** How many past events are kept for `since` (default 1024; Docker keeps 256). */
  capacity?: number;
  /** How many undelivered events one subscriber may hold before the oldest are dropped (default 1024). */
  subscriberQueue?: number;
  clock?: EventClock;
}

export interface SubscribeOptions {
  /** Replay remembered events from this instant on (a bigint is Unix nanoseconds). */
  since?: Date | bigint;
  /** End the stream at this instant (a bigint is Unix nanoseconds). */
  until?: Date | bigint;
  filters?: Filters;
  signal?: AbortSignal;
}

/** The filter names `GET /events` understands: Docker's, swarm ones included so scripts written for Docker pass. */
export const EVENT_FILTERS: readonly string[] = [
  'config',
  'container',
  'daemon',
  'event',
  'image',
  'label',
  'network',
  'node',
  'plugin',
  'scope',
  'secret',
  'service',
  'type',
  'volume',
];

const SYSTEM_CLOCK: EventClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** setTimeout fires at once for delays beyond a signed 32-bit millisecond count; longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class EventLog implements EventPublisher {
  readonly #capacity: number;
  readonly #subscriberQueue: number;
  readonly #clock: EventClock;
  readonly #events: EventMessage[] = [];
  readonly #subscriptions = new Set<EventSubscription>();
  #closed = false;

  constructor(options: EventLogOptions = {}) {
    this.#capacity = Math.max(1, options.capacity ?? 1024);
    this.#subscriberQueue = Math.max(1, options.subscriberQueue ?? 1024);
    this.#clock = options.clock ?? SYSTEM_CLOCK;
  }

  /** Number of live subscriptions (Docker's SubscribersCount, shown by `info` in debug mode). */
  get subscribers(): number {
    return this.#subscriptions.size;
  }

  /** Stamps, remembers and broadcasts an event; returns it as subscribers see it. */
  publish(input: EventInput): EventMessage {
    const ms = this.#clock.now();
    const message: EventMessage = {
      ...legacyFields(input),
      Type: input.Type,
      Action: input.Action,
      Actor: { ID: input.Actor.ID, Attributes: { ...input.Actor.Attributes } },
      scope: 'local',
      time: Math.floor(ms / 1000),
      timeNano: Math.round(ms * 1_000_000),
    };
    this.#events.push(message);
    if (this.#events.length > this.#capacity) this.#events.shift();
    for (const sub of this.#subscriptions) sub.offer(message);
    return message;
  }

  /**
   * Opens a subscription (see the file comment for what it yields and when it ends). Throws InvalidArgumentError
   * (`invalid filter 'x'`) for a filter name Docker does not know.
   */
  subscribe(options: SubscribeOptions = {}): EventSubscription {
    const filters = options.filters ?? new Filters();
    filters.validate(EVENT_FILTERS);
    const include = filters.size === 0 ? (): boolean => true : (m: EventMessage): boolean => eventMatches(filters, m);
    const sinceNs = options.since === undefined ? undefined : toNs(options.since);
    const untilNs = options.until === undefined ? undefined : toNs(options.until);
    const nowNs = this.#clock.now() * 1_000_000;
    const past = sinceNs === undefined && untilNs === undefined ? [] : this.#replay(sinceNs ?? 0, untilNs, include);
    const onlyPast = untilNs !== undefined && untilNs < nowNs;
    const sub = new EventSubscription({
      past,
      include,
      untilNs,
      queueLimit: this.#subscriberQueue,
      detach: (s) => this.#subscriptions.delete(s),
    });
    if (onlyPast || this.#closed) {
      sub.finish();
      return sub;
    }
    this.#subscriptions.add(sub);
    if (untilNs !== undefined) sub.armUntil(this.#clock, untilNs);
    if (options.signal !== undefined) sub.bindSignal(options.signal);
    return sub;
  }

  /** Ends every subscription (daemon shutdown); later subscriptions get only past events. */
  close(): void {
    this.#closed = true;
    for (const sub of [...this.#subscriptions]) sub.finish();
  }

  /** Remembered events from `sinceNs` (inclusive) to `untilNs` (inclusive), oldest first. */
  #replay(sinceNs: number, untilNs: number | undefined, include: (m: EventMessage) => boolean): EventMessage[] {
    const out: EventMessage[] = [];
    for (let i = this.#events.length - 1; i >= 0; i--) {
      const m = this.#events[i]!;
      if (m.timeNano < sinceNs) break;
      if (untilNs !== undefined && untilNs > 0 && m.timeNano > untilNs) continue;
      if (include(m)) out.push(m);
    }
    return out.reverse();
  }
}

interface SubscriptionInit {
  past: EventMessage[];
  include: (m: EventMessage) => boolean;
  untilNs: number | undefined;
  queueLimit: number;
  detach: (s: EventSubscription) => void;
}

/** One subscriber's stream. Iterate it once; `return()` (a `break` out of `for await`) ends it. */
export class EventSubscription implements AsyncIterableIterator<EventMessage> {
  readonly #queue: EventMessage[];
  readonly #include: (m: EventMessage) => boolean;
  readonly #untilNs: number | undefined;
  readonly #queueLimit: number;
  readonly #detach: (s: EventSubscription) => void;
  #waiter: ((r: IteratorResult<EventMessage>) => void) | undefined;
  #ended = false;
  #dropped = 0;
  #cleanups: Array<() => void> = [];

  constructor(init: SubscriptionInit) {
    this.#queue = init.past;
    this.#include = init.include;
    this.#untilNs = init.untilNs;
    this.#queueLimit = init.queueLimit;
    this.#detach = init.detach;
  }

  /** Events lost because this subscriber fell `subscriberQueue` events behind. */
  get dropped(): number {
    return this.#dropped;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<EventMessage>> {
    const m = this.#queue.shift();
    if (m !== undefined) return Promise.resolve({ value: m, done: false });
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  return(): Promise<IteratorResult<EventMessage>> {
    this.#queue.length = 0;
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** @internal The log offers every published event; the subscription keeps those it wants. */
  offer(m: EventMessage): void {
    if (this.#ended) return;
    if (this.#untilNs !== undefined && m.timeNano > this.#untilNs) {
      this.finish();
      return;
    }
    if (!this.#include(m)) return;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter({ value: m, done: false });
      return;
    }
    this.#queue.push(m);
    if (this.#queue.length > this.#queueLimit) {
      this.#queue.shift();
      this.#dropped++;
    }
  }

  /**
   * @internal Ends the stream when the clock reaches `untilNs` (events already queued are still delivered). The
   * timer is re-armed while time remains: a timer may fire a little early, and long waits are chained.
   */
  armUntil(clock: EventClock, untilNs: number): void {
    if (this.#ended) return;
    let handle: unknown;
    const arm = (): void => {
      const remaining = untilNs / 1_000_000 - clock.now();
      if (remaining <= 0) {
        this.finish();
        return;
      }
      handle = clock.setTimeout(arm, Math.min(remaining, MAX_TIMER_MS));
    };
    this.#cleanups.push(() => clock.clearTimeout(handle));
    arm();
  }

  /** @internal An aborted signal ends the stream at once, dropping what is queued. */
  bindSignal(signal: AbortSignal): void {
    if (this.#ended) return;
    const onAbort = (): void => {
      this.#queue.length = 0;
      this.finish();
    };
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    this.#cleanups.push(() => signal.removeEventListener('abort', onAbort));
  }

  /** @internal Stops taking events; the consumer sees what is queued, then the end. */
  finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#detach(this);
    for (const cleanup of this.#cleanups) cleanup();
    this.#cleanups = [];
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.({ value: undefined, done: true });
  }
}

function toNs(t: Date | bigint): number {
  return typeof t === 'bigint' ? Number(t) : t.getTime() * 1_000_000;
}

/** Docker fills the deprecated fields for container and image events only (moby daemon/events Log). */
function legacyFields(input: EventInput): Pick<EventMessage, 'status' | 'id' | 'from'> {
  if (input.Type === 'container') {
    const from = input.Actor.Attributes['image'];
    return { status: input.Action, id: input.Actor.ID, ...(from ? { from } : {}) };
  }
  if (input.Type === 'image') return { status: input.Action, id: input.Actor.ID };
  return {};
}

// Actions whose filter value may name only the part before the colon: `health_status` matches
// `health_status: healthy`, `exec_start` matches `exec_start: sh -c …` (moby#25798).
const PREFIX_ACTIONS = new Set(['health_status', 'exec_create', 'exec_start']);

/** moby daemon/events/filter.go Include: every present filter must pass. */
export function eventMatches(f: Filters, m: EventMessage): boolean {
  const attrs = m.Actor.Attributes;
  const byName = (key: string): boolean => f.fuzzyMatch(key, m.Actor.ID) || f.fuzzyMatch(key, attrs['name'] ?? '');
  return (
    matchAction(f, m.Action) &&
    f.match('type', m.Type) &&
    (!f.has('scope') || f.match('scope', m.scope)) &&
    byName('daemon') &&
    byName('container') &&
    byName('plugin') &&
    byName('volume') &&
    byName('network') &&
    matchImage(f, m) &&
    byName('node') &&
    byName('service') &&
    byName('secret') &&
    byName('config') &&
    (!f.has('label') || f.matchKVList('label', attrs))
  );
}

function matchAction(f: Filters, action: string): boolean {
  if (f.get('event').some((v) => PREFIX_ACTIONS.has(v))) return f.fuzzyMatch('event', action);
  return f.match('event', action);
}

/**
 * The `image` filter matches an image event's ID or `name` attribute, or a container event's `image` attribute,
 * each also with its tag stripped (`busybox:1` events pass `image=busybox`).
 */
function matchImage(f: Filters, m: EventMessage): boolean {
  const id = m.Actor.ID;
  const name = m.Actor.Attributes[m.Type === 'image' ? 'name' : 'image'] ?? '';
  return f.match('image', id) || f.match('image', name) || f.match('image', stripTag(id)) || f.match('image', stripTag(name));
}

function stripTag(image: string): string {
  const ref = tryParseReference(image);
  return ref === undefined ? image : familiarName(ref);
}

