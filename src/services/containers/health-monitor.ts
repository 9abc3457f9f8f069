import type { ContainerConfig, HealthLogEntry, HealthState, HealthStatus } from '../../core/containers.js';
import { InvalidArgumentError } from '../../core/errdefs.js';

/**
 * Docker's container health checks (moby `daemon/health.go`, `daemon/container/health.go`).
 *
 * Lifecycle, as the container service drives it:
 * - create: `validateHealthcheck` refuses what dockerd refuses (durations under 1ms, negative retries).
 * - start (and restore of a running container after a daemon restart): `resolveHealthcheck` turns the merged
 *   config into a probe, or undefined when there is nothing to check (no Test, `["NONE"]`, an unknown type).
 *   A `HealthMonitor` then begins in `starting` with FailingStreak 0 and the previous run's log kept. The
 *   first probe runs one interval after start (start interval while in the start period), and each next one
 *   an interval after the previous one ended: probes never overlap.
 * - every probe: the result goes into the log (last five kept), the streak and status move, and `onChange`
 *   hears the new state so the service can persist it (and emit `health_status: <status>` when it changed).
 * - exit, pause, removal: `stop()` cancels the timer, aborts a running probe and drops its result; the state
 *   it returns has Status `unhealthy`, as Docker sets on closing the monitor ("for compatibility reasons").
 */

/** Docker's defaults (nanoseconds in the API, milliseconds here). */
export const DEFAULT_PROBE_INTERVAL_MS = 30_000;
export const DEFAULT_PROBE_TIMEOUT_MS = 30_000;
export const DEFAULT_START_PERIOD_MS = 0;
export const DEFAULT_START_INTERVAL_MS = 5_000;
export const DEFAULT_PROBE_RETRIES = 3;
/** Longest probe output kept, in bytes; longer output is cut there and gets `...` (moby maxOutputLen). */
export const MAX_OUTPUT_BYTES = 4096;
/** Probe results kept in State.Health.Log (moby maxLogEntries). */
export const MAX_LOG_ENTRIES = 5;

/** A resolved health check: what to run in the container, and when. Durations in milliseconds. */
export interface ProbeConfig {
  /** The process to exec: CMD's arguments as given, or CMD-SHELL's command after the shell. Empty: every probe fails. */
  args: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  startIntervalMs: number;
  /** Consecutive failures that make the container unhealthy. */
  retries: number;
}

/** The Engine API's HealthConfig, as far as berth reads it. */
interface HealthConfig {
  Test: string[];
  Interval: number;
  Timeout: number;
  StartPeriod: number;
  StartInterval: number;
  Retries: number;
}

const NS_PER_MS = 1_000_000;

/**
 * The probe a container's merged config asks for, by Docker's rules: no config, an empty Test or `["NONE"]`
 * mean no health check; `["CMD", ...args]` execs the arguments; `["CMD-SHELL", cmd]` runs `cmd` with the
 * container's Shell (default `/bin/sh -c`). Docker logs and ignores any other type rather than failing the
 * start, so `warn` hears about it and the result is undefined. Zero durations and retries take the defaults.
 */
export function resolveHealthcheck(
  config: ContainerConfig['Healthcheck'],
  opts: { shell?: string[] | null; warn?: (message: string) => void } = {},
): ProbeConfig | undefined {
  const hc = readHealthConfig(config);
  const kind = hc.Test[0];
  let args: string[];
  switch (kind) {
    case undefined:
    case 'NONE':
      return undefined;
    case 'CMD':
      args = hc.Test.slice(1);
      break;
    case 'CMD-SHELL': {
      const cmd = hc.Test.slice(1);
      // moby checks for a command before adding the shell, so `["CMD-SHELL"]` fails each probe as `["CMD"]` does.
      args = cmd.length === 0 ? [] : [...(opts.shell && opts.shell.length > 0 ? opts.shell : ['/bin/sh', '-c']), ...cmd];
      break;
    }
    default:
      opts.warn?.(`Unknown healthcheck type '${kind}' (expected 'CMD')`);
      return undefined;
  }
  return {
    args,
    intervalMs: orDefault(hc.Interval, DEFAULT_PROBE_INTERVAL_MS),
    timeoutMs: orDefault(hc.Timeout, DEFAULT_PROBE_TIMEOUT_MS),
    startPeriodMs: orDefault(hc.StartPeriod, DEFAULT_START_PERIOD_MS),
    startIntervalMs: orDefault(hc.StartInterval, DEFAULT_START_INTERVAL_MS),
    retries: hc.Retries > 0 ? hc.Retries : DEFAULT_PROBE_RETRIES,
  };
}

/** dockerd's create-time checks of a HealthConfig (moby `daemon/container.go` validateHealthCheck), in its words. */
export function validateHealthcheck(config: ContainerConfig['Healthcheck']): void {
  if (config === undefined || config === null) return;
  if (typeof config !== 'object' || Array.isArray(config)) throw new InvalidArgumentError('invalid Healthcheck: not a JSON object');
  const raw = config as Record<string, unknown>;
  if (raw.Test !== undefined && raw.Test !== null && !(Array.isArray(raw.Test) && raw.Test.every((t) => typeof t === 'string'))) {
    throw new InvalidArgumentError('invalid Healthcheck: Test must be an array of strings');
  }
  for (const field of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) {
    const v = raw[field];
    if (v !== undefined && v !== null && !(typeof v === 'number' && Number.isInteger(v))) {
      throw new InvalidArgumentError(`invalid Healthcheck: ${field} must be an integer`);
    }
  }
  const hc = readHealthConfig(config);
  for (const field of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval'] as const) {
    if (hc[field] !== 0 && hc[field] < NS_PER_MS) throw new InvalidArgumentError(`${field} in Healthcheck cannot be less than 1ms`);
  }
  if (hc.Retries < 0) throw new InvalidArgumentError('Retries in Healthcheck cannot be negative');
}

/** Runs one probe in the container; rejects when it cannot be run at all. It must end the probe when `signal` aborts. */
export type ProbeRunner = (
  args: string[],
  opts: { timeoutMs: number; signal: AbortSignal },
) => Promise<{ exitCode: number; output: string | Uint8Array }>;

/** Timer seam: `after` calls `callback` once, `ms` from now, and returns a function that cancels it. */
export interface Timers {
  after(ms: number, callback: () => void): () => void;
}

/** Real timers, unref'd so a pending probe never keeps the process alive. */
export const realTimers: Timers = {
  after(ms, callback) {
    const t = setTimeout(callback, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

export interface HealthMonitorOptions {
  probe: ProbeConfig;
  run: ProbeRunner;
  /**
   * The state to carry on from (the record's State.Health). A new start resets Status to `starting` and the
   * streak to 0 but keeps the log, as Docker's initHealthMonitor does; with `resume` (after unpause) it carries on as is.
   */
  initial?: HealthState;
  resume?: boolean;
  /** When the container started (State.StartedAt): the start period counts from it. Default: now. */
  startedAt?: Date;
  /** After every probe, with the new state; `statusChanged` when Status differs from before the probe. */
  onChange(state: HealthState, statusChanged: boolean): void;
  /** Hears what `onChange` throws; the monitor carries on either way. */
  onError?: (err: unknown) => void;
  /** Names the container in probe error messages, as Docker does. */
  containerId?: string;
  now?: () => Date;
  timers?: Timers;
}

/** One running container's health checking; see the lifecycle at the top of this file. */
export class HealthMonitor {
  readonly #opts: HealthMonitorOptions;
  readonly #now: () => Date;
  readonly #timers: Timers;
  readonly #startedAt: number;
  #state: HealthState;
  #started = false;
  #stopped = false;
  #cancelTimer: (() => void) | undefined;
  #probe: AbortController | undefined;
  #inFlight: Promise<void> = Promise.resolve();

  constructor(opts: HealthMonitorOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? (() => new Date());
    this.#timers = opts.timers ?? realTimers;
    this.#startedAt = (opts.startedAt ?? this.#now()).getTime();
    const log = opts.initial?.Log.slice(-MAX_LOG_ENTRIES) ?? [];
    this.#state =
      opts.resume && opts.initial
        ? { Status: opts.initial.Status, FailingStreak: opts.initial.FailingStreak, Log: log }
        : { Status: 'starting', FailingStreak: 0, Log: log };
  }

  /** The current state (a copy): what the service records as State.Health when it starts the monitor. */
  get state(): HealthState {
    return copyState(this.#state);
  }

  /** Schedules the first probe. */
  start(): this {
    if (this.#started) throw new Error('Health monitor already started');
    this.#started = true;
    if (!this.#stopped) this.#schedule();
    return this;
  }

  /**
   * Stops checking: cancels the timer, aborts a running probe (its result is dropped) and returns the final
   * state, whose Status is `unhealthy` as Docker leaves it once the monitor stops. `onChange` is not called.
   */
  stop(): HealthState {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#cancelTimer?.();
      this.#cancelTimer = undefined;
      this.#probe?.abort(new Error('Health monitor stopped'));
      if (this.#started) this.#state = { ...this.#state, Status: 'unhealthy' };
    }
    return copyState(this.#state);
  }

  /** Settles once no probe is running (after `stop()`: once an aborted probe has ended). */
  whenIdle(): Promise<void> {
    return this.#inFlight;
  }

  /** moby getInterval: the start interval while in the start period and still starting, else the interval. */
  #nextInterval(): number {
    const { probe } = this.#opts;
    if (this.#now().getTime() - this.#startedAt >= probe.startPeriodMs) return probe.intervalMs;
    return this.#state.Status === 'starting' ? probe.startIntervalMs : probe.intervalMs;
  }

  #schedule(): void {
    this.#cancelTimer = this.#timers.after(this.#nextInterval(), () => {
      this.#cancelTimer = undefined;
      this.#inFlight = this.#runProbe();
    });
  }

  async #runProbe(): Promise<void> {
    if (this.#stopped) return;
    const start = this.#now();
    const result = await this.#probeOnce();
    if (this.#stopped) return;
    this.#record({ Start: start.toISOString(), End: this.#now().toISOString(), ExitCode: result.exitCode, Output: result.output }, start);
    this.#schedule();
  }

  /** Runs the probe under its timeout and turns every outcome into an exit code and output, as moby's cmdProbe does. */
  async #probeOnce(): Promise<{ exitCode: number; output: string }> {
    const { probe, run } = this.#opts;
    if (probe.args.length === 0) {
      const id = this.#opts.containerId;
      return { exitCode: -1, output: id ? `healthcheck for container ${id} has no command` : 'healthcheck has no command' };
    }
    const controller = new AbortController();
    this.#probe = controller;
    let timedOut = false;
    const cancelTimeout = this.#timers.after(probe.timeoutMs, () => {
      timedOut = true;
      controller.abort(new Error(`Health check exceeded timeout (${formatGoDuration(probe.timeoutMs)})`));
    });
    let exitCode: number;
    let output: string;
    try {
      const r = await run([...probe.args], { timeoutMs: probe.timeoutMs, signal: controller.signal });
      exitCode = r.exitCode;
      output = limitOutput(r.output);
    } catch (err) {
      exitCode = -1;
      output = timedOut ? '' : err instanceof Error ? err.message : String(err);
    } finally {
      cancelTimeout();
      this.#probe = undefined;
    }
    if (timedOut) {
      // moby waits for the killed probe to end, then reports the timeout with whatever it printed.
      const msg = `Health check exceeded timeout (${formatGoDuration(probe.timeoutMs)})`;
      return { exitCode: -1, output: output === '' ? msg : `${msg}: ${output}` };
    }
    return { exitCode, output };
  }

  /** moby handleProbeResult. */
  #record(entry: HealthLogEntry, start: Date): void {
    const { probe } = this.#opts;
    const old = this.#state.Status;
    const log = [...this.#state.Log, entry].slice(-MAX_LOG_ENTRIES);
    let status: HealthStatus = old;
    let streak = this.#state.FailingStreak;
    if (entry.ExitCode === 0) {
      streak = 0;
      status = 'healthy';
    } else {
      // Before the first success, failures inside the start period do not count.
      const inStartPeriod = old === 'starting' && start.getTime() - this.#startedAt < probe.startPeriodMs;
      if (!inStartPeriod) {
        streak++;
        if (streak >= probe.retries) status = 'unhealthy';
      }
    }
    this.#state = { Status: status, FailingStreak: streak, Log: log };
    try {
      this.#opts.onChange(copyState(this.#state), status !== old);
    } catch (err) {
      this.#opts.onError?.(err);
    }
  }
}

function copyState(s: HealthState): HealthState {
  return { Status: s.Status, FailingStreak: s.FailingStreak, Log: s.Log.map((e) => ({ ...e })) };
}

/** moby limitedBuffer: the first 4096 bytes, then `...` when there was more. */
function limitOutput(out: string | Uint8Array): string {
  const bytes = typeof out === 'string' ? Buffer.from(out, 'utf8') : Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  // A character cut in half decodes to U+FFFD, as Go's JSON encoder shows the invalid UTF-8 moby stores.
  if (bytes.length <= MAX_OUTPUT_BYTES) return typeof out === 'string' ? out : bytes.toString('utf8');
  return `${bytes.subarray(0, MAX_OUTPUT_BYTES).toString('utf8')}...`;
}

function readHealthConfig(config: ContainerConfig['Healthcheck']): HealthConfig {
  const raw: Record<string, unknown> = config && typeof config === 'object' && !Array.isArray(config) ? (config as Record<string, unknown>) : {};
  const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return {
    Test: Array.isArray(raw.Test) ? raw.Test.filter((t): t is string => typeof t === 'string') : [],
    Interval: num(raw.Interval),
    Timeout: num(raw.Timeout),
    StartPeriod: num(raw.StartPeriod),
    StartInterval: num(raw.StartInterval),
    Retries: num(raw.Retries),
  };
}

/** A duration in nanoseconds as milliseconds, 0 meaning the default. */
function orDefault(ns: number, defaultMs: number): number {
  return ns === 0 ? defaultMs : ns / NS_PER_MS;
}

/** Go's `time.Duration.String()` of a duration given in milliseconds: `30s`, `1m30s`, `1.5s`, `500ms`, `1h0m0s`. */
export function formatGoDuration(ms: number): string {
  let u = BigInt(Math.round(ms * NS_PER_MS));
  if (u === 0n) return '0s';
  const sign = u < 0n ? '-' : '';
  if (u < 0n) u = -u;
  const frac = (v: bigint, prec: number): [string, bigint] => {
    const p = 10n ** BigInt(prec);
    const digits = (v % p).toString().padStart(prec, '0').replace(/0+$/, '');
    return [digits === '' ? '' : `.${digits}`, v / p];
  };
  if (u < 1_000_000_000n) {
    const [prec, unit] = u < 1_000n ? [0, 'ns'] : u < 1_000_000n ? [3, 'µs'] : [6, 'ms'];
    const [f, whole] = frac(u, prec);
    return `${sign}${whole}${f}${unit}`;
  }
  const [f, secs] = frac(u, 9);
  let out = `${secs % 60n}${f}s`;
  const mins = secs / 60n;
  if (mins > 0n) {
    out = `${mins % 60n}m${out}`;
    const hours = mins / 60n;
    if (hours > 0n) out = `${hours}h${out}`;
  }
  return sign + out;
}
