/**
 * `berth stats` / `berth container stats` (docker/cli cli/command/container/stats.go, stats_helpers.go): a live
 * table of containers' CPU, memory, network and block I/O.
 *
 * Like docker, one stats stream per container feeds an entry that a ticker redraws every 500 ms (clearing the
 * screen while streaming). With no names, the running containers are listed and container events keep the set
 * current: `start` adds, `die` removes (with `--all`, `create` adds and nothing is removed). An entry that gets no
 * data for 2 s, or whose stream failed, prints `--`.
 */
import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { jsonLines, pathEscape, type EngineClient } from '../../client/engine-client.js';
import { errorText, handle } from '../action.js';
import { addCommand, type DockerCommand } from '../command.js';
import { StatusError } from '../errors.js';
import { renderFormat, TABLE_FORMAT_KEY } from '../format/formatter.js';
import { emptyStatsEntry, StatsContext, statsEntryFrom, statsFormat, statsHeader, type StatsEntry, type StatsResponseJson } from '../format/stats-context.js';
import { EventMessage, openEvents } from './events.js';

interface StatsOptions {
  all?: boolean;
  /** `--no-stream`: commander stores a negatable flag as `stream: false`. */
  stream?: boolean;
  /** `--no-trunc`. */
  trunc?: boolean;
  format?: string;
}

/** What `stats` needs from the client (an interface so tests can fake the daemon). */
export type StatsClient = Pick<EngineClient, 'version' | 'containerList' | 'request'>;

export interface StatsTiming {
  /** Redraw period (docker: 500 ms). */
  tick: number;
  /** How long an entry waits for data before it shows `--` (docker: 2 s). */
  timeout: number;
}

const DOCKER_TIMING: StatsTiming = { tick: 500, timeout: 2000 };

/** One container's entry (docker/cli's Stats): figures, the last error, and whether a first result came. */
class ContainerStats {
  readonly container: string;
  entry: StatsEntry;
  error: unknown;
  readonly first: Promise<void>;
  #firstDone: () => void = () => undefined;

  constructor(container: string) {
    this.container = container;
    this.entry = emptyStatsEntry(container);
    this.first = new Promise((resolve) => {
      this.#firstDone = resolve;
    });
  }

  gotFirst(): void {
    this.#firstDone();
  }

  setStatistics(e: StatsEntry): void {
    this.entry = { ...e, Container: this.container };
  }

  setError(err: unknown): void {
    this.error = err;
    if (err !== undefined) this.entry.IsInvalid = true;
  }

  setErrorAndReset(err: unknown): void {
    this.entry = { ...emptyStatsEntry(this.container), Name: this.entry.Name, ID: this.entry.ID, IsInvalid: true };
    this.error = err;
  }
}

/** docker/cli's collect: reads one container's stats stream into its entry. */
async function collect(client: StatsClient, s: ContainerStats, stream: boolean, osType: string, timing: StatsTiming, signal: AbortSignal): Promise<void> {
  let res: IncomingMessage;
  try {
    res = await client.request('GET', `/containers/${pathEscape(s.container)}/stats`, { query: { stream: stream ? '1' : '0' }, signal });
  } catch (e) {
    if (!signal.aborted) s.setError(e);
    s.gotFirst();
    return;
  }
  // With no update for `timeout`, the figures are zeroed and shown as `--` (re-armed while streaming).
  let watchdog: NodeJS.Timeout | undefined;
  let gaveUp = false;
  const arm = (): void => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => {
      s.setErrorAndReset(new Error('timeout waiting for stats'));
      s.gotFirst();
      if (stream) {
        arm();
        return;
      }
      gaveUp = true;
      res.destroy();
    }, timing.timeout);
  };
  arm();
  try {
    for await (const line of jsonLines(res)) {
      let v: StatsResponseJson;
      try {
        v = JSON.parse(line) as StatsResponseJson;
      } catch (e) {
        s.setError(e);
        continue;
      }
      s.setStatistics(statsEntryFrom(s.container, v, osType));
      s.setError(undefined);
      s.gotFirst();
      if (!stream) return;
      arm();
    }
    // The daemon ended the stream (the container is gone): the entry goes invalid, as on docker's io.EOF.
    if (!signal.aborted) s.setError(new Error('EOF'));
  } catch (e) {
    if (!signal.aborted && !gaveUp) s.setError(e);
  } finally {
    clearTimeout(watchdog);
    if (!stream || signal.aborted) res.destroy();
    s.gotFirst();
  }
}

/** The whole command, with its client, output and timing passed in. */
export async function runStats(
  client: StatsClient,
  out: (text: string) => void,
  names: string[],
  opts: StatsOptions,
  timing: StatsTiming = DOCKER_TIMING,
): Promise<void> {
  const stream = opts.stream !== false;
  const trunc = opts.trunc !== false;
  const osType = (await client.version()).Os;
  const ac = new AbortController();
  const entries: ContainerStats[] = [];
  const add = (container: string): void => {
    if (entries.some((c) => c.container === container)) return;
    const s = new ContainerStats(container);
    entries.push(s);
    void collect(client, s, stream, osType, timing, ac.signal);
  };
  const remove = (container: string): void => {
    const i = entries.findIndex((c) => c.container === container);
    if (i >= 0) entries.splice(i, 1);
  };
  let fatal: unknown;
  const showAll = names.length === 0;
  try {
    if (showAll) {
      // Subscribe before listing, so a container started in between is not missed.
      try {
        const events = await openEvents(client, { filters: ['type=container'], signal: ac.signal });
        void (async () => {
          for await (const line of jsonLines(events)) {
            const e = EventMessage.parse(line);
            const id = (e.ID || e.Actor.ID).slice(0, 12);
            if (e.Action === 'create' && opts.all) add(id);
            else if (e.Action === 'start') add(id);
            else if (e.Action === 'die' && !opts.all) remove(id);
          }
        })().catch((e: unknown) => {
          if (!ac.signal.aborted) fatal ??= e;
        });
      } catch (e) {
        // docker reports a failed subscription at the first redraw.
        fatal = e;
      }
      for (const c of await client.containerList({ all: opts.all === true })) add(c.Id.slice(0, 12));
      await Promise.all(entries.map((s) => s.first));
    } else {
      for (const name of names) add(name);
      await Promise.all(entries.map((s) => s.first));
      const errors = entries.filter((s) => s.error !== undefined).map((s) => errorText(s.error));
      if (errors.length > 0) throw new StatusError(errors.join('\n'), 1);
    }

    const format = statsFormat(opts.format || TABLE_FORMAT_KEY, osType);
    for (;;) {
      await sleep(timing.tick);
      const rows = entries.map((s) => new StatsContext(s.entry, osType, trunc));
      // The screen is cleared only while streaming; a bad template ends the command after the clear, as in docker.
      if (stream) out('\x1b[2J\x1b[H');
      out(renderFormat(format, statsHeader(osType), rows));
      if (entries.length === 0 && !showAll) break;
      if (!stream) break;
      if (fatal !== undefined) throw new StatusError(errorText(fatal), 1);
    }
  } finally {
    ac.abort();
  }
}

function defineStats(parent: DockerCommand): void {
  addCommand(
    parent,
    {
      name: 'stats',
      use: '[OPTIONS] [CONTAINER...]',
      short: 'Display a live stream of container(s) resource usage statistics',
      args: { kind: 'any' },
      aliasesLine: 'berth container stats, berth stats',
    },
    (cmd) => {
      cmd
        .bool('-a, --all', 'Show all containers (default shows just running)')
        .str('--format <string>', 'Format output using a custom template')
        .bool('--no-stream', 'Disable streaming stats and only pull the first result')
        .bool('--no-trunc', 'Do not truncate output');
      handle<StatsOptions>(cmd, (ctx, args, opts) => runStats(ctx.client, (text) => ctx.out(text), args, opts));
    },
  );
}

export function registerStatsCommands(root: DockerCommand, container: DockerCommand): void {
  defineStats(root);
  defineStats(container);
}
