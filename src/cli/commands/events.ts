/**
 * `berth events` / `berth system events` (docker/cli cli/command/system/events.go): the daemon's events, one line
 * each, as Docker prints them or through a `--format` template, until `--until` passes (or forever).
 */
import type { IncomingMessage } from 'node:http';
import { encodeFilters, jsonLines, type EngineClient } from '../../client/engine-client.js';
import { getTimestamp } from '../../pkg/go-duration.js';
import { GO_MARSHAL_JSON, GO_TYPE, parseDockerTemplate, TemplateExecError, type Template } from '../../pkg/go-template.js';
import { handle } from '../action.js';
import type { CliContext } from '../cli-context.js';
import { addCommand, NO_ARGS, type DockerCommand } from '../command.js';
import { StatusError } from '../errors.js';
import { JSON_FORMAT, JSON_FORMAT_KEY } from '../format/formatter.js';
import { parseFilters } from './filters.js';

interface EventsOptions {
  since?: string;
  until?: string;
  filter: string[];
  format?: string;
}

interface ActorData {
  ID: string;
  Attributes: Record<string, string>;
}

/**
 * An event as the CLI's templates see it: Docker's events.Message, Go field names (`{{.Actor.Attributes.name}}`,
 * `{{.TimeNano}}`). TimeNano is a bigint, exact to the nanosecond as the daemon sent it.
 */
export class EventMessage {
  readonly [GO_TYPE]: string;
  Status = '';
  ID = '';
  From = '';
  Type = '';
  Action = '';
  Actor: ActorData = { ID: '', Attributes: {} };
  Scope = '';
  Time = 0;
  TimeNano = 0n;
  /** Go's nil map: an event without attributes marshals them as null. */
  #nilAttributes = true;

  constructor(goType = 'events.Message') {
    this[GO_TYPE] = goType;
  }

  /** Decodes one line of `GET /events`; `timeNano` is read from the text itself, beyond a double's precision. */
  static parse(line: string): EventMessage {
    const raw = JSON.parse(line) as Record<string, unknown>;
    const m = new EventMessage();
    const str = (v: unknown): string => (typeof v === 'string' ? v : '');
    const int = (v: unknown): number => (typeof v === 'number' ? Math.trunc(v) : 0);
    m.Status = str(raw['status']);
    m.ID = str(raw['id']);
    m.From = str(raw['from']);
    m.Type = str(raw['Type']);
    m.Action = str(raw['Action']);
    const actor = (raw['Actor'] ?? {}) as { ID?: unknown; Attributes?: unknown };
    const attrs: Record<string, string> = {};
    if (actor.Attributes !== null && typeof actor.Attributes === 'object') {
      m.#nilAttributes = false;
      for (const [k, v] of Object.entries(actor.Attributes as Record<string, unknown>)) attrs[k] = str(v);
    }
    m.Actor = { ID: str(actor.ID), Attributes: attrs };
    m.Scope = str(raw['scope']);
    m.Time = int(raw['time']);
    // The top-level key is the only place `"timeNano":` can appear unescaped; take the last one to be safe.
    const matches = [...line.matchAll(/"timeNano":\s*(-?\d+)/g)];
    const exact = matches[matches.length - 1]?.[1];
    m.TimeNano = exact !== undefined ? BigInt(exact) : BigInt(int(raw['timeNano']));
    return m;
  }

  /** Go's json.Marshal of events.Message (omitempty fields left out, attribute keys sorted), for `{{json .}}`. */
  [GO_MARSHAL_JSON](): string {
    const parts: string[] = [];
    const q = (s: string): string => JSON.stringify(s);
    if (this.Status !== '') parts.push(`"status":${q(this.Status)}`);
    if (this.ID !== '') parts.push(`"id":${q(this.ID)}`);
    if (this.From !== '') parts.push(`"from":${q(this.From)}`);
    parts.push(`"Type":${q(this.Type)}`, `"Action":${q(this.Action)}`);
    const attrs = this.#nilAttributes
      ? 'null'
      : `{${Object.keys(this.Actor.Attributes)
          .sort()
          .map((k) => `${q(k)}:${q(this.Actor.Attributes[k]!)}`)
          .join(',')}}`;
    parts.push(`"Actor":{"ID":${q(this.Actor.ID)},"Attributes":${attrs}}`);
    if (this.Scope !== '') parts.push(`"scope":${q(this.Scope)}`);
    if (this.Time !== 0) parts.push(`"time":${this.Time}`);
    if (this.TimeNano !== 0n) parts.push(`"timeNano":${this.TimeNano}`);
    return `{${parts.join(',')}}`.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  }
}

/**
 * Docker's makeTemplate: '' is the default line format, `json` is `{{json .}}`, anything else a Go template
 * (no `table`), tried on an empty event so `{{.Bad}}` fails before any output (exit 64).
 */
export function makeEventTemplate(format: string): Template | undefined {
  if (format === '') return undefined;
  const text = format === JSON_FORMAT_KEY ? JSON_FORMAT : format;
  let tmpl: Template;
  try {
    tmpl = parseDockerTemplate(text);
    tmpl.execute(new EventMessage('*events.Message'));
  } catch (e) {
    throw new StatusError(`Error parsing format: ${(e as Error).message}`, 64);
  }
  return tmpl;
}

/** Go's `2006-01-02T15:04:05.000000000Z07:00` for Unix nanoseconds, in the local zone (or `utcOffsetMinutes`). */
export function rfc3339NanoFixed(ns: bigint, utcOffsetMinutes?: number): string {
  let seconds = ns / 1_000_000_000n;
  let nanos = ns % 1_000_000_000n;
  if (nanos < 0n) {
    nanos += 1_000_000_000n;
    seconds -= 1n;
  }
  const offset = utcOffsetMinutes ?? -new Date(Number(seconds) * 1000).getTimezoneOffset();
  const d = new Date((Number(seconds) + offset * 60) * 1000);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const date = `${String(d.getUTCFullYear()).padStart(4, '0')}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}`;
  const time = `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${String(nanos).padStart(9, '0')}`;
  const zone = offset === 0 ? 'Z' : `${offset < 0 ? '-' : '+'}${p2(Math.floor(Math.abs(offset) / 60))}:${p2(Math.abs(offset) % 60)}`;
  return `${date}T${time}${zone}`;
}

/** Docker's prettyPrintEvent: `<time> <type> <action> <actor id> (k=v, …)` with the attributes sorted by key. */
export function prettyEvent(e: EventMessage, utcOffsetMinutes?: number): string {
  let out = '';
  if (e.TimeNano !== 0n) out += `${rfc3339NanoFixed(e.TimeNano, utcOffsetMinutes)} `;
  else if (e.Time !== 0) out += `${rfc3339NanoFixed(BigInt(e.Time) * 1_000_000_000n, utcOffsetMinutes)} `;
  out += `${e.Type} ${e.Action} ${e.Actor.ID}`;
  const keys = Object.keys(e.Actor.Attributes).sort();
  if (keys.length > 0) out += ` (${keys.map((k) => `${k}=${e.Actor.Attributes[k]}`).join(', ')})`;
  return `${out}\n`;
}

/** Docker's formatEvent: the template's output and a newline, even when execution fails part way (then the error). */
export function formatEvent(tmpl: Template, e: EventMessage): { text: string; error?: Error } {
  try {
    return { text: `${tmpl.execute(e)}\n` };
  } catch (err) {
    const partial = err instanceof TemplateExecError ? err.partial : '';
    return { text: `${partial}\n`, error: err as Error };
  }
}


/** `GET /events` with docker's client-side since/until conversion; returns the open stream. */
export async function openEvents(
  client: Pick<EngineClient, 'request'>,
  opts: { since?: string; until?: string; filters?: string[]; signal?: AbortSignal },
): Promise<IncomingMessage> {
  const now = new Date();
  const query: Record<string, string | undefined> = {};
  try {
    if (opts.since) query['since'] = getTimestamp(opts.since, now);
    if (opts.until) query['until'] = getTimestamp(opts.until, now);
  } catch (e) {
    throw new StatusError((e as Error).message, 1);
  }
  query['filters'] = encodeFilters(parseFilters(opts.filters ?? []));
  return client.request('GET', '/events', { query, ...(opts.signal ? { signal: opts.signal } : {}) });
}

async function runEvents(ctx: CliContext, opts: EventsOptions): Promise<void> {
  const tmpl = makeEventTemplate(opts.format ?? '');
  const res = await openEvents(ctx.client, { since: opts.since, until: opts.until, filters: opts.filter });
  for await (const line of jsonLines(res)) {
    const event = EventMessage.parse(line);
    if (tmpl === undefined) {
      ctx.out(prettyEvent(event));
      continue;
    }
    const { text, error } = formatEvent(tmpl, event);
    ctx.out(text);
    if (error) throw new StatusError(error.message, 1);
  }
}

function defineEvents(parent: DockerCommand): void {
  addCommand(
    parent,
    {
      name: 'events',
      use: '[OPTIONS]',
      short: 'Get real time events from the server',
      args: NO_ARGS,
      aliasesLine: 'berth system events, berth events',
    },
    (cmd) => {
      cmd
        .filter('-f, --filter <filter>', 'Filter output based on conditions provided')
        .str('--format <string>', 'Format output using a custom template')
        .str('--since <string>', 'Show all events created since timestamp')
        .str('--until <string>', 'Stream events until this timestamp');
      handle<EventsOptions>(cmd, (ctx, _args, opts) => runEvents(ctx, opts));
    },
  );
}

export function registerEventsCommands(root: DockerCommand, system: DockerCommand): void {
  defineEvents(root);
  defineEvents(system);
}
