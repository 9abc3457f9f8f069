/**
 * Container commands other than create/run: `ps`, `start`, `stop`, `rm`, `wait`, `logs`
 * (docker/cli cli/command/container).
 */
import { EngineApiError } from '../../client/errors.js';
import { parseDockerTemplate } from '../../pkg/go-template.js';
import { readContainerOutput } from '../../client/container-output.js';
import { STDERR } from '../../pkg/stdcopy.js';
import { errorText, handle } from '../action.js';
import type { CliContext } from '../cli-context.js';
import { addCommand, exactArgs, minArgs, NO_ARGS, type DockerCommand } from '../command.js';
import { exitWith, StatusError } from '../errors.js';
import { CONTAINER_HEADER, containerFormat, ContainerContext } from '../format/container-context.js';
import { renderFormat } from '../format/formatter.js';
import { forwardSignals } from '../terminal.js';
import { attachContainer, monitorContainerTty, waitExitOrRemoved } from './attach.js';
import { parseFilters } from './filters.js';

// -- ps ---------------------------------------------------------------------------------------------------------

interface PsOptions {
  all?: boolean;
  filter: string[];
  format?: string;
  last?: number;
  latest?: boolean;
  /** `--no-trunc`: commander stores a negatable flag as `trunc: false`. */
  trunc?: boolean;
  quiet?: boolean;
  size?: boolean;
}

async function runPs(ctx: CliContext, opts: PsOptions, cmd: DockerCommand): Promise<void> {
  const format = opts.format ?? '';
  if (format !== '' && opts.quiet) ctx.err('WARNING: Ignoring custom format, because both --format and --quiet are set.\n');
  const sizeChanged = opts.size === true || cmd.explicitFalse.has('size');
  let size = opts.size === true;
  let limit = opts.last ?? -1;
  if (opts.latest && limit === -1) limit = 1;
  if (format.length > 0) {
    // docker dry-runs the raw format against an empty row to learn whether it uses .Size.
    let tmpl;
    try {
      tmpl = parseDockerTemplate(format);
    } catch (e) {
      throw new StatusError(`failed to parse template: ${(e as Error).message}`, 1);
    }
    const probe = new ContainerContext();
    try {
      tmpl.execute(probe);
    } catch (e) {
      throw new StatusError(`failed to execute template: ${(e as Error).message}`, 1);
    }
    if (!opts.quiet && !size && !sizeChanged && probe.fieldsUsed.has('Size')) size = true;
  }
  const filters = parseFilters(opts.filter);
  const containers = await ctx.client.containerList({ all: opts.all === true, limit, size, filters });
  const now = Date.now();
  const rows = containers.map((c) => new ContainerContext(c, opts.trunc !== false, now));
  ctx.out(renderFormat(containerFormat(format, opts.quiet === true, size), CONTAINER_HEADER, rows));
}

function definePs(parent: DockerCommand, name: string, aliases: string[]): void {
  addCommand(parent, {
    name,
    aliases,
    use: '[OPTIONS]',
    short: 'List containers',
    args: NO_ARGS,
    aliasesLine: 'berth container ls, berth container list, berth container ps, berth ps',
  }, (cmd) => {
    cmd
      .bool('-a, --all', 'Show all containers (default shows just running)')
      .filter('-f, --filter <filter>', 'Filter output based on conditions provided')
      .str('--format <string>', 'Format output using a custom template')
      .int('-n, --last <int>', 'Show n last created containers (includes all states)', -1)
      .bool('-l, --latest', 'Show the latest created container (includes all states)')
      .bool('--no-trunc', "Don't truncate output")
      .bool('-q, --quiet', 'Only display container IDs')
      .bool('-s, --size', 'Display total file sizes');
    handle<PsOptions>(cmd, (ctx, _args, opts, self) => runPs(ctx, opts, self));
  });
}

// -- start ------------------------------------------------------------------------------------------------------

interface StartOptions {
  attach?: boolean;
  interactive?: boolean;
  detachKeys?: string;
}

async function runStart(ctx: CliContext, args: string[], opts: StartOptions): Promise<void> {
  if (opts.attach || opts.interactive) {
    if (args.length > 1) throw new StatusError('you cannot start and attach multiple containers at once', 1);
    const c = await ctx.client.containerInspect(args[0]!);
    const tty = c.Config.Tty === true;
    const stopForwarding = !tty ? forwardSignals(ctx.client, c.Id) : (): void => undefined;
    let stopResize = (): void => undefined;
    const session = await attachContainer(ctx, c.Id, {
      stdin: opts.interactive === true && c.Config.OpenStdin === true,
      stdout: true,
      stderr: true,
      tty,
      detachKeys: opts.detachKeys,
    });
    try {
      const { status } = await waitExitOrRemoved(ctx, c.Id, c.HostConfig.AutoRemove === true);
      try {
        await ctx.client.containerStart(c.Id);
      } catch (e) {
        session.close();
        if (c.HostConfig.AutoRemove) await status;
        throw e;
      }
      if (tty && ctx.stdout.isTTY) stopResize = monitorContainerTty(ctx, c.Id);
      // Detaching with the detach keys leaves the container running; start succeeds.
      if ((await session.done) === 'detached') return;
      const code = await status;
      if (code !== 0) throw exitWith(code);
    } finally {
      stopResize();
      stopForwarding();
      session.close();
    }
    return;
  }
  const failed: string[] = [];
  for (const name of args) {
    try {
      await ctx.client.containerStart(name);
      ctx.out(`${name}\n`);
    } catch (e) {
      ctx.err(`${errorText(e)}\n`);
      failed.push(name);
    }
  }
  if (failed.length > 0) throw new StatusError(`Error: failed to start containers: ${failed.join(', ')}`, 1);
}

function defineStart(parent: DockerCommand): void {
  addCommand(parent, {
    name: 'start',
    use: '[OPTIONS] CONTAINER [CONTAINER...]',
    short: 'Start one or more stopped containers',
    args: minArgs(1),
    aliasesLine: 'berth container start, berth start',
  }, (cmd) => {
    cmd
      .bool('-a, --attach', 'Attach STDOUT/STDERR and forward signals')
      .str('--detach-keys <string>', 'Override the key sequence for detaching a container')
      .bool('-i, --interactive', "Attach container's STDIN");
    handle<StartOptions>(cmd, (ctx, args, opts) => runStart(ctx, args, opts));
  });
}

// -- stop -------------------------------------------------------------------------------------------------------

interface StopOptions {
  signal?: string;
  timeout?: number;
  time?: number;
}

function defineStop(parent: DockerCommand): void {
  addCommand(parent, {
    name: 'stop',
    use: '[OPTIONS] CONTAINER [CONTAINER...]',
    short: 'Stop one or more running containers',
    args: minArgs(1),
    aliasesLine: 'berth container stop, berth stop',
  }, (cmd) => {
    cmd.str('-s, --signal <string>', 'Signal to send to the container').int('-t, --timeout <int>', 'Seconds to wait before killing the container');
    cmd.int('--time <int>', 'Seconds to wait before killing the container (deprecated: use --timeout)');
    cmd.options.find((o) => o.long === '--time')?.hideHelp();
    handle<StopOptions>(cmd, async (ctx, args, opts) => {
      if (opts.time !== undefined && opts.timeout !== undefined) {
        throw new StatusError('conflicting options: cannot specify both --timeout and --time', 1);
      }
      if (opts.time !== undefined) ctx.err('Flag --time has been deprecated, use --timeout instead\n');
      const timeout = opts.timeout ?? opts.time;
      await forEachContainer(ctx, args, (id) =>
        ctx.client.containerStop(id, { ...(timeout !== undefined ? { timeout } : {}), ...(opts.signal ? { signal: opts.signal } : {}) }),
      );
    });
  });
}

// -- rm ---------------------------------------------------------------------------------------------------------

interface RmOptions {
  force?: boolean;
  link?: boolean;
  volumes?: boolean;
}

function defineRm(parent: DockerCommand, name: string, aliases: string[]): void {
  addCommand(parent, {
    name,
    aliases,
    use: '[OPTIONS] CONTAINER [CONTAINER...]',
    short: 'Remove one or more containers',
    args: minArgs(1),
    aliasesLine: 'berth container rm, berth container remove, berth rm',
  }, (cmd) => {
    cmd
      .bool('-f, --force', 'Force the removal of a running container (uses SIGKILL)')
      .bool('-l, --link', 'Remove the specified link')
      .bool('-v, --volumes', 'Remove anonymous volumes associated with the container');
    handle<RmOptions>(cmd, async (ctx, args, opts) => {
      const results = await Promise.all(
        args.map(async (raw) => {
          const id = raw.replace(/^\/+|\/+$/g, '');
          if (id === '') return new Error('container name cannot be empty');
          try {
            await ctx.client.containerRemove(id, { force: opts.force === true, volumes: opts.volumes === true, link: opts.link === true });
            return undefined;
          } catch (e) {
            return e;
          }
        }),
      );
      const errors: string[] = [];
      results.forEach((err, i) => {
        if (err === undefined) {
          ctx.out(`${args[i]}\n`);
          return;
        }
        if (opts.force && err instanceof EngineApiError && err.statusCode === 404) {
          ctx.err(`${errorText(err)}\n`);
          return;
        }
        errors.push(errorText(err));
      });
      if (errors.length > 0) throw new StatusError(errors.join('\n'), 1);
    });
  });
}

// -- wait -------------------------------------------------------------------------------------------------------

function defineWait(parent: DockerCommand): void {
  addCommand(parent, {
    name: 'wait',
    use: 'CONTAINER [CONTAINER...]',
    short: 'Block until one or more containers stop, then print their exit codes',
    args: minArgs(1),
    aliasesLine: 'berth container wait, berth wait',
  }, (cmd) => {
    handle(cmd, async (ctx, args) => {
      const errors: string[] = [];
      for (const id of args) {
        try {
          const { result } = await ctx.client.containerWait(id);
          const r = await result;
          ctx.out(`${r.StatusCode}\n`);
        } catch (e) {
          errors.push(errorText(e));
        }
      }
      if (errors.length > 0) throw new StatusError(errors.join('\n'), 1);
    });
  });
}

// -- logs -------------------------------------------------------------------------------------------------------

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration, in milliseconds; undefined when `s` is not a duration. */
export function parseGoDuration(s: string): number | undefined {
  const m = /^([-+]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(s);
  if (!m) return s === '0' ? 0 : undefined;
  let total = 0;
  for (const part of m[2]!.matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(part[1]) * DURATION_UNITS[part[2]!]!;
  return m[1] === '-' ? -total : total;
}

/** docker's timetypes.GetTimestamp: relative durations and dates to the API's `seconds.nanoseconds`. */
export function getTimestamp(value: string, now: number = Date.now()): string {
  const d = parseGoDuration(value);
  if (d !== undefined && value !== '0') return String(Math.floor((now - d) / 1000));
  const hasZone = /[zZ+]/.test(value) || (value.match(/-/g)?.length ?? 0) === 3;
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    let iso = value;
    if (/T\d{2}$/.test(iso)) iso += ':00';
    const t = Date.parse(hasZone ? iso : iso.includes('T') ? iso : `${iso}T00:00:00`);
    if (Number.isNaN(t)) throw new Error(`parsing time ${JSON.stringify(value)}: cannot parse`);
    const frac = /\.(\d+)/.exec(value)?.[1] ?? '';
    const nanos = frac.padEnd(9, '0').slice(0, 9);
    return `${Math.floor(t / 1000)}.${nanos === '' ? '000000000' : nanos}`;
  }
  if (/^-?\d+(\.\d+)?$/.test(value)) return value;
  throw new Error(`failed to parse value as time or duration: ${JSON.stringify(value)}`);
}

interface LogsOptions {
  details?: boolean;
  follow?: boolean;
  since?: string;
  tail: string;
  timestamps?: boolean;
  until?: string;
}

function defineLogs(parent: DockerCommand): void {
  addCommand(parent, {
    name: 'logs',
    use: '[OPTIONS] CONTAINER',
    short: 'Fetch the logs of a container',
    args: exactArgs(1),
    aliasesLine: 'berth container logs, berth logs',
  }, (cmd) => {
    cmd
      .bool('--details', 'Show extra details provided to logs')
      .bool('-f, --follow', 'Follow log output')
      .str('--since <string>', 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)')
      .str('-n, --tail <string>', 'Number of lines to show from the end of the logs', 'all')
      .bool('-t, --timestamps', 'Show timestamps')
      .str('--until <string>', 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)');
    handle<LogsOptions>(cmd, async (ctx, args, opts) => {
      const c = await ctx.client.containerInspect(args[0]!);
      const now = Date.now();
      let since: string | undefined;
      let until: string | undefined;
      for (const [key, value] of [
        ['since', opts.since],
        ['until', opts.until],
      ] as const) {
        if (!value) continue;
        try {
          if (key === 'since') since = getTimestamp(value, now);
          else until = getTimestamp(value, now);
        } catch (e) {
          throw new StatusError(`invalid value for "${key}": ${(e as Error).message}`, 1);
        }
      }
      const res = await ctx.client.containerLogs(c.Id, {
        stdout: true,
        stderr: true,
        follow: opts.follow === true,
        timestamps: opts.timestamps === true,
        details: opts.details === true,
        tail: opts.tail,
        ...(since !== undefined ? { since } : {}),
        ...(until !== undefined ? { until } : {}),
      });
      for await (const f of readContainerOutput(res, { tty: c.Config.Tty === true })) {
        (f.stream === STDERR ? ctx.stderr : ctx.stdout).write(f.data);
      }
    });
  });
}

// -- restart, kill, rename ---------------------------------------------------------------------------------------

/** Runs `action` for each argument in parallel, printing each argument that succeeded, as docker does. */
export async function forEachContainer(ctx: CliContext, args: string[], action: (id: string) => Promise<void>): Promise<void> {
  const results = await Promise.all(args.map((id) => action(id).then(() => undefined, (e: unknown) => e)));
  const errors: string[] = [];
  results.forEach((err, i) => {
    if (err === undefined) ctx.out(`${args[i]}\n`);
    else errors.push(errorText(err));
  });
  if (errors.length > 0) throw new StatusError(errors.join('\n'), 1);
}

function defineRestart(parent: DockerCommand): void {
  addCommand(parent, {
    name: 'restart',
    use: '[OPTIONS] CONTAINER [CONTAINER...]',
    short: 'Restart one or more containers',
    args: minArgs(1),
    aliasesLine: 'berth container restart, berth restart',
  }, (cmd) => {
    cmd.str('-s, --signal <string>', 'Signal to send to the container').int('-t, --timeout <int>', 'Seconds to wait before killing the container');
    handle<StopOptions>(cmd, (ctx, args, opts) =>
      forEachContainer(ctx, args, (id) =>
        ctx.client.containerRestart(id, { ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}), ...(opts.signal ? { signal: opts.signal } : {}) }),
      ),
    );
  });
}

function defineKill(parent: DockerCommand): void {
  addCommand(parent, {
    name: 'kill',
    use: '[OPTIONS] CONTAINER [CONTAINER...]',
    short: 'Kill one or more running containers',
    args: minArgs(1),
    aliasesLine: 'berth container kill, berth kill',
  }, (cmd) => {
    cmd.str('-s, --signal <string>', 'Signal to send to the container');
    handle<{ signal?: string }>(cmd, (ctx, args, opts) => forEachContainer(ctx, args, (id) => ctx.client.containerKill(id, opts.signal)));
  });
}

function defineRename(parent: DockerCommand): void {
  addCommand(parent, {
    name: 'rename',
    use: 'CONTAINER NEW_NAME',
    short: 'Rename a container',
    args: exactArgs(2),
    aliasesLine: 'berth container rename, berth rename',
  }, (cmd) => {
    handle(cmd, async (ctx, args) => {
      await ctx.client.containerRename(args[0]!, args[1]!);
    });
  });
}

export function registerContainerCommands(root: DockerCommand, container: DockerCommand): void {
  definePs(root, 'ps', []);
  definePs(container, 'ls', ['list', 'ps']);
  for (const parent of [root, container]) {
    defineStart(parent);
    defineStop(parent);
    defineRestart(parent);
    defineKill(parent);
    defineRename(parent);
    defineWait(parent);
    defineLogs(parent);
  }
  defineRm(root, 'rm', []);
  defineRm(container, 'rm', ['remove']);
}
