import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';

import type { HealthState } from '../../core/containers.js';
import {
  formatGoDuration,
  HealthMonitor,
  resolveHealthcheck,
  validateHealthcheck,
  type HealthMonitorOptions,
  type ProbeConfig,
  type ProbeRunner,
  type Timers,
} from './health-monitor.js';

const MS = 1_000_000;
const S = 1000 * MS;

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await tick();
}

/** Time that moves only when told to; due timers fire in order, and promise chains settle between them. */
class FakeClock implements Timers {
  #t = Date.parse('2024-01-01T00:00:00.000Z');
  #seq = 0;
  readonly #timers = new Map<number, { at: number; cb: () => void }>();

  readonly now = (): Date => new Date(this.#t);

  get ms(): number {
    return this.#t;
  }

  get pending(): number {
    return this.#timers.size;
  }

  after(ms: number, callback: () => void): () => void {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.#t + ms, cb: callback });
    return () => this.#timers.delete(id);
  }

  async advance(ms: number): Promise<void> {
    const target = this.#t + ms;
    for (;;) {
      await settle();
      let next: [number, { at: number; cb: () => void }] | undefined;
      for (const entry of this.#timers) if (entry[1].at <= target && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.#timers.delete(next[0]);
      this.#t = next[1].at;
      next[1].cb();
    }
    this.#t = target;
    await settle();
  }
}

function probe(over: Partial<ProbeConfig> = {}): ProbeConfig {
  return { args: ['check'], intervalMs: 1000, timeoutMs: 500, startPeriodMs: 0, startIntervalMs: 100, retries: 3, ...over };
}

/** A runner answering from a script (the last answer repeats), recording each call. */
function scripted(answers: { exitCode: number; output?: string | Uint8Array }[]): ProbeRunner & { calls: { args: string[]; timeoutMs: number }[] } {
  const calls: { args: string[]; timeoutMs: number }[] = [];
  const run = async (args: string[], opts: { timeoutMs: number; signal: AbortSignal }) => {
    calls.push({ args, timeoutMs: opts.timeoutMs });
    const a = answers[Math.min(calls.length - 1, answers.length - 1)]!;
    return { exitCode: a.exitCode, output: a.output ?? '' };
  };
  return Object.assign(run, { calls });
}

/** A runner that only ends when its signal aborts, then answers with `onAbort`. */
function hanging(onAbort: (signal: AbortSignal) => Promise<{ exitCode: number; output: string }>): ProbeRunner & { signals: AbortSignal[] } {
  const signals: AbortSignal[] = [];
  const run = (_args: string[], opts: { timeoutMs: number; signal: AbortSignal }) => {
    signals.push(opts.signal);
    return new Promise<void>((resolve) => opts.signal.addEventListener('abort', () => resolve(), { once: true })).then(() => onAbort(opts.signal));
  };
  return Object.assign(run, { signals });
}

function monitor(
  clock: FakeClock,
  over: Partial<HealthMonitorOptions> & Pick<HealthMonitorOptions, 'run'>,
): { m: HealthMonitor; changes: { state: HealthState; changed: boolean }[] } {
  const changes: { state: HealthState; changed: boolean }[] = [];
  const m = new HealthMonitor({
    probe: probe(),
    onChange: (state, changed) => changes.push({ state, changed }),
    now: clock.now,
    timers: clock,
    ...over,
  });
  return { m, changes };
}

describe('resolveHealthcheck (Docker’s Test forms and defaults)', () => {
  it('finds no health check without a Test, with an empty one or with NONE', () => {
    assert.equal(resolveHealthcheck(undefined), undefined);
    assert.equal(resolveHealthcheck({}), undefined);
    assert.equal(resolveHealthcheck({ Test: [] }), undefined);
    assert.equal(resolveHealthcheck({ Test: ['NONE'] }), undefined);
    assert.equal(resolveHealthcheck({ Test: ['NONE'], Interval: 5 * S }), undefined);
  });

  it('ignores an unknown type with a warning, as dockerd does', () => {
    const warnings: string[] = [];
    assert.equal(resolveHealthcheck({ Test: ['HTTP', '/health'] }, { warn: (m) => warnings.push(m) }), undefined);
    assert.deepEqual(warnings, ["Unknown healthcheck type 'HTTP' (expected 'CMD')"]);
  });

  it('execs CMD arguments as given and fills in the defaults', () => {
    assert.deepEqual(resolveHealthcheck({ Test: ['CMD', 'curl', '-f', 'http://localhost/'] }), {
      args: ['curl', '-f', 'http://localhost/'],
      intervalMs: 30_000,
      timeoutMs: 30_000,
      startPeriodMs: 0,
      startIntervalMs: 5_000,
      retries: 3,
    });
  });

  it('runs CMD-SHELL with /bin/sh -c, or the container’s Shell', () => {
    assert.deepEqual(resolveHealthcheck({ Test: ['CMD-SHELL', 'curl -f localhost || exit 1'] })?.args, ['/bin/sh', '-c', 'curl -f localhost || exit 1']);
    assert.deepEqual(resolveHealthcheck({ Test: ['CMD-SHELL', 'x'] }, { shell: ['/bin/bash', '-o', 'pipefail', '-c'] })?.args, [
      '/bin/bash',
      '-o',
      'pipefail',
      '-c',
      'x',
    ]);
    assert.deepEqual(resolveHealthcheck({ Test: ['CMD-SHELL', 'x'] }, { shell: [] })?.args, ['/bin/sh', '-c', 'x']);
    assert.deepEqual(resolveHealthcheck({ Test: ['CMD-SHELL'] })?.args, [], 'no command: every probe fails, as in moby');
  });

  it('converts nanoseconds and keeps retries, taking defaults for zeros', () => {
    const p = resolveHealthcheck({ Test: ['CMD', 'true'], Interval: 2 * S, Timeout: 1500 * MS, StartPeriod: 60 * S, StartInterval: 0, Retries: 5 });
    assert.deepEqual(p, { args: ['true'], intervalMs: 2000, timeoutMs: 1500, startPeriodMs: 60_000, startIntervalMs: 5000, retries: 5 });
    assert.equal(resolveHealthcheck({ Test: ['CMD', 'true'], Retries: 0 })?.retries, 3);
  });
});

describe('validateHealthcheck (dockerd’s create-time checks)', () => {
  it('accepts zeros (defaults) and durations of at least 1ms', () => {
    validateHealthcheck(undefined);
    validateHealthcheck({ Test: ['CMD', 'true'], Interval: 0, Timeout: MS, StartPeriod: S, StartInterval: 0, Retries: 0 });
  });
  it('refuses short durations and negative retries in Docker’s words', () => {
    assert.throws(() => validateHealthcheck({ Interval: 999_999 }), { message: 'Interval in Healthcheck cannot be less than 1ms' });
    assert.throws(() => validateHealthcheck({ Timeout: 1 }), { message: 'Timeout in Healthcheck cannot be less than 1ms' });
    assert.throws(() => validateHealthcheck({ StartPeriod: -S }), { message: 'StartPeriod in Healthcheck cannot be less than 1ms' });
    assert.throws(() => validateHealthcheck({ StartInterval: 10 }), { message: 'StartInterval in Healthcheck cannot be less than 1ms' });
    assert.throws(() => validateHealthcheck({ Retries: -1 }), { message: 'Retries in Healthcheck cannot be negative' });
  });
  it('refuses wrong types by field name', () => {
    assert.throws(() => validateHealthcheck({ Test: 'CMD true' }), /invalid Healthcheck: Test/);
    assert.throws(() => validateHealthcheck({ Interval: '30s' }), /invalid Healthcheck: Interval/);
  });
});

describe('formatGoDuration (Go’s Duration.String, for the timeout message)', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [30_000, '30s'],
    [1500, '1.5s'],
    [500, '500ms'],
    [1.5, '1.5ms'],
    [0.001, '1µs'],
    [0.000_001, '1ns'],
    [90_000, '1m30s'],
    [3_600_000, '1h0m0s'],
    [3_723_500, '1h2m3.5s'],
  ];
  for (const [ms, want] of cases) it(`${ms} ms → ${want}`, () => assert.equal(formatGoDuration(ms), want));
});

describe('HealthMonitor', () => {
  it('starts in "starting" and probes first one interval after start, then an interval after each probe', async () => {
    const clock = new FakeClock();
    const run = scripted([{ exitCode: 0, output: 'ok\n' }]);
    const { m, changes } = monitor(clock, { run });
    assert.deepEqual(m.start().state, { Status: 'starting', FailingStreak: 0, Log: [] });
    await clock.advance(999);
    assert.equal(run.calls.length, 0);
    await clock.advance(1);
    assert.deepEqual(run.calls, [{ args: ['check'], timeoutMs: 500 }]);
    assert.equal(changes.length, 1);
    assert.equal(changes[0]!.changed, true);
    assert.deepEqual(changes[0]!.state, {
      Status: 'healthy',
      FailingStreak: 0,
      Log: [{ Start: '2024-01-01T00:00:01.000Z', End: '2024-01-01T00:00:01.000Z', ExitCode: 0, Output: 'ok\n' }],
    });
    await clock.advance(1000);
    assert.equal(run.calls.length, 2);
    assert.equal(changes[1]!.changed, false, 'healthy → healthy is no status change');
    assert.equal(changes[1]!.state.Log.length, 2);
    m.stop();
  });

  it('turns unhealthy after `retries` consecutive failures, and healthy again on a success', async () => {
    const clock = new FakeClock();
    const run = scripted([{ exitCode: 1 }, { exitCode: 1 }, { exitCode: 2 }, { exitCode: 1 }, { exitCode: 0 }]);
    const { m, changes } = monitor(clock, { run });
    m.start();
    await clock.advance(5000);
    assert.deepEqual(
      changes.map((c) => [c.state.Status, c.state.FailingStreak, c.changed]),
      [
        ['starting', 1, false],
        ['starting', 2, false],
        ['unhealthy', 3, true],
        ['unhealthy', 4, false],
        ['healthy', 0, true],
      ],
    );
    m.stop();
  });

  it('counts a probe that exceeds its timeout as a failure with exit code -1 and Docker’s message', async () => {
    const clock = new FakeClock();
    const run = hanging(async () => ({ exitCode: 137, output: 'partial' }));
    const { m, changes } = monitor(clock, { run, probe: probe({ timeoutMs: 1500, retries: 1 }) });
    m.start();
    await clock.advance(1000);
    assert.equal(run.signals.length, 1);
    assert.equal(run.signals[0]!.aborted, false);
    await clock.advance(1499);
    assert.equal(changes.length, 0);
    await clock.advance(1);
    assert.equal(run.signals[0]!.aborted, true);
    assert.equal(changes.length, 1);
    const entry = changes[0]!.state.Log[0]!;
    assert.equal(entry.ExitCode, -1);
    assert.equal(entry.Output, 'Health check exceeded timeout (1.5s): partial');
    assert.equal(entry.Start, '2024-01-01T00:00:01.000Z');
    assert.equal(entry.End, '2024-01-01T00:00:02.500Z');
    assert.equal(changes[0]!.state.Status, 'unhealthy');
    m.stop();
  });

  it('reports a timed-out probe that rejects on abort without output', async () => {
    const clock = new FakeClock();
    const run = hanging((signal) => Promise.reject(signal.reason));
    const { m, changes } = monitor(clock, { run });
    m.start();
    await clock.advance(1500);
    assert.deepEqual(
      changes.map((c) => [c.state.Log[0]!.ExitCode, c.state.Log[0]!.Output]),
      [[-1, 'Health check exceeded timeout (500ms)']],
    );
    m.stop();
  });

  it('records a probe that cannot run as exit code -1 with the error', async () => {
    const clock = new FakeClock();
    const run: ProbeRunner = () => Promise.reject(new Error('container is not running'));
    const { m, changes } = monitor(clock, { run });
    m.start();
    await clock.advance(1000);
    assert.deepEqual(changes[0]!.state.Log.map((e) => [e.ExitCode, e.Output]), [[-1, 'container is not running']]);
    m.stop();
  });

  it('fails every probe of a health check without a command, naming the container', async () => {
    const clock = new FakeClock();
    const run = scripted([{ exitCode: 0 }]);
    const { m, changes } = monitor(clock, { run, probe: probe({ args: [] }), containerId: 'abc' });
    m.start();
    await clock.advance(1000);
    assert.equal(run.calls.length, 0);
    assert.deepEqual(changes[0]!.state.Log.map((e) => [e.ExitCode, e.Output]), [[-1, 'healthcheck for container abc has no command']]);
    m.stop();
  });

  it('ignores failures in the start period while starting, probing at the start interval', async () => {
    const clock = new FakeClock();
    const run = scripted([{ exitCode: 1 }]);
    const startedAt = clock.now();
    const { m, changes } = monitor(clock, {
      run,
      startedAt,
      probe: probe({ intervalMs: 30_000, startPeriodMs: 10_000, startIntervalMs: 1000, retries: 2 }),
    });
    m.start();
    await clock.advance(9_999);
    // Probes at 1s..9s: inside the start period, so the streak stays 0.
    assert.equal(run.calls.length, 9);
    assert.ok(changes.every((c) => c.state.Status === 'starting' && c.state.FailingStreak === 0));
    assert.equal(changes.at(-1)!.state.Log.length, 5);
    // The probe at 10s starts at the end of the period: it counts, and the interval is the normal one from then.
    await clock.advance(1);
    assert.deepEqual([changes.at(-1)!.state.Status, changes.at(-1)!.state.FailingStreak], ['starting', 1]);
    await clock.advance(29_999);
    assert.equal(run.calls.length, 10);
    await clock.advance(1);
    assert.deepEqual([changes.at(-1)!.state.Status, changes.at(-1)!.state.FailingStreak, changes.at(-1)!.changed], ['unhealthy', 2, true]);
    m.stop();
  });

  it('counts start-period failures once a probe has succeeded, and switches to the normal interval', async () => {
    const clock = new FakeClock();
    const run = scripted([{ exitCode: 0 }, { exitCode: 1 }]);
    const { m, changes } = monitor(clock, {
      run,
      startedAt: clock.now(),
      probe: probe({ intervalMs: 5000, startPeriodMs: 60_000, startIntervalMs: 1000, retries: 1 }),
    });
    m.start();
    await clock.advance(1000);
    assert.equal(changes[0]!.state.Status, 'healthy');
    await clock.advance(4999);
    assert.equal(run.calls.length, 1, 'healthy: the start interval no longer applies');
    await clock.advance(1);
    assert.deepEqual([changes[1]!.state.Status, changes[1]!.state.FailingStreak], ['unhealthy', 1]);
    m.stop();
  });

  it('counts the start period from the container’s StartedAt (a restored container)', async () => {
    const clock = new FakeClock();
    const run = scripted([{ exitCode: 1 }]);
    const startedAt = new Date(clock.ms - 60_000);
    const { m, changes } = monitor(clock, { run, startedAt, probe: probe({ startPeriodMs: 30_000, startIntervalMs: 100, retries: 1 }) });
    m.start();
    await clock.advance(999);
    assert.equal(run.calls.length, 0, 'past the start period: the normal interval');
    await clock.advance(1);
    assert.equal(changes[0]!.state.Status, 'unhealthy');
    m.stop();
  });

  it('keeps only the last five log entries, oldest first', async () => {
    const clock = new FakeClock();
    let n = 0;
    const run: ProbeRunner = async () => ({ exitCode: 0, output: `run ${++n}` });
    const { m, changes } = monitor(clock, { run });
    m.start();
    await clock.advance(7000);
    assert.deepEqual(
      changes.at(-1)!.state.Log.map((e) => e.Output),
      ['run 3', 'run 4', 'run 5', 'run 6', 'run 7'],
    );
    m.stop();
  });

  it('truncates output to 4096 bytes and marks the cut with "..."', async () => {
    const clock = new FakeClock();
    const exact = 'b'.repeat(4096);
    const run = scripted([
      { exitCode: 0, output: 'a'.repeat(5000) },
      { exitCode: 0, output: exact },
      { exitCode: 0, output: `${'c'.repeat(4095)}é` },
      { exitCode: 0, output: new TextEncoder().encode('bytes ✓') },
    ]);
    const { m, changes } = monitor(clock, { run });
    m.start();
    await clock.advance(4000);
    const outputs = changes.at(-1)!.state.Log.map((e) => e.Output);
    assert.equal(outputs[0], `${'a'.repeat(4096)}...`);
    assert.equal(outputs[1], exact);
    // é is two bytes: the cut falls inside it, which Docker's JSON shows as U+FFFD.
    assert.equal(outputs[2], `${'c'.repeat(4095)}\uFFFD...`);
    assert.equal(outputs[3], 'bytes ✓');
    m.stop();
  });

  it('never overlaps probes: the next one comes an interval after a slow one ended', async () => {
    const clock = new FakeClock();
    let running = 0;
    let most = 0;
    const starts: number[] = [];
    const run: ProbeRunner = async () => {
      running++;
      most = Math.max(most, running);
      starts.push(clock.ms);
      await new Promise<void>((resolve) => clock.after(400, resolve));
      running--;
      return { exitCode: 0, output: '' };
    };
    const { m } = monitor(clock, { run, probe: probe({ intervalMs: 100, timeoutMs: 10_000 }) });
    m.start();
    const t0 = clock.ms;
    await clock.advance(1600);
    assert.equal(most, 1);
    assert.deepEqual(
      starts.map((s) => s - t0),
      [100, 600, 1100, 1600],
    );
    m.stop();
  });

  it('stop() aborts a running probe, drops its result and leaves no timer', async () => {
    const clock = new FakeClock();
    const run = hanging(async () => ({ exitCode: 0, output: 'too late' }));
    const { m, changes } = monitor(clock, { run, probe: probe({ timeoutMs: 60_000 }) });
    m.start();
    await clock.advance(1000);
    assert.equal(run.signals.length, 1);
    const final = m.stop();
    assert.equal(run.signals[0]!.aborted, true);
    await m.whenIdle();
    await clock.advance(120_000);
    assert.equal(changes.length, 0);
    assert.equal(run.signals.length, 1);
    assert.equal(clock.pending, 0);
    // Docker leaves a stopped monitor's status unhealthy.
    assert.deepEqual(final, { Status: 'unhealthy', FailingStreak: 0, Log: [] });
    assert.deepEqual(m.stop(), final, 'stop is idempotent');
  });

  it('stop() while idle cancels the next probe', async () => {
    const clock = new FakeClock();
    const run = scripted([{ exitCode: 0 }]);
    const { m } = monitor(clock, { run });
    m.start();
    await clock.advance(1000);
    assert.equal(m.stop().Status, 'unhealthy');
    assert.equal(clock.pending, 0);
    await clock.advance(10_000);
    assert.equal(run.calls.length, 1);
  });

  it('a new start resets status and streak but keeps the log; resume carries on as is', () => {
    const clock = new FakeClock();
    const entry = { Start: 's', End: 'e', ExitCode: 1, Output: 'x' };
    const initial: HealthState = { Status: 'unhealthy', FailingStreak: 7, Log: Array.from({ length: 6 }, (_, i) => ({ ...entry, Output: `${i}` })) };
    const fresh = monitor(clock, { run: scripted([{ exitCode: 0 }]), initial }).m;
    assert.equal(fresh.state.Status, 'starting');
    assert.equal(fresh.state.FailingStreak, 0);
    assert.deepEqual(
      fresh.state.Log.map((e) => e.Output),
      ['1', '2', '3', '4', '5'],
    );
    const resumed = monitor(clock, { run: scripted([{ exitCode: 0 }]), initial, resume: true }).m;
    assert.deepEqual([resumed.state.Status, resumed.state.FailingStreak], ['unhealthy', 7]);
  });

  it('hands out copies: changing a reported state does not change the monitor', async () => {
    const clock = new FakeClock();
    const { m, changes } = monitor(clock, { run: scripted([{ exitCode: 0 }]) });
    m.start();
    await clock.advance(1000);
    changes[0]!.state.Log.length = 0;
    assert.equal(m.state.Log.length, 1);
    m.stop();
  });

  it('keeps probing when onChange throws, and reports the error', async () => {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    const run = scripted([{ exitCode: 0 }]);
    const { m } = monitor(clock, {
      run,
      onChange: () => {
        throw new Error('database is locked');
      },
      onError: (err) => errors.push(err),
    });
    m.start();
    await clock.advance(2000);
    assert.equal(run.calls.length, 2);
    assert.equal(errors.length, 2);
    m.stop();
  });

  it('refuses a second start', () => {
    const { m } = monitor(new FakeClock(), { run: scripted([{ exitCode: 0 }]) });
    m.start();
    assert.throws(() => m.start(), /already started/);
    m.stop();
  });

  it('runs on real (unref’d) timers by default', async () => {
    const states: HealthState[] = [];
    let done!: () => void;
    const twoProbes = new Promise<void>((resolve) => (done = resolve));
    const m = new HealthMonitor({
      probe: probe({ intervalMs: 5, timeoutMs: 1000 }),
      run: async () => ({ exitCode: 0, output: '' }),
      onChange: (s) => {
        states.push(s);
        if (states.length === 2) done();
      },
    });
    // The monitor's timers do not hold the event loop open; this one keeps the test alive while it waits.
    const keepAlive = setInterval(() => {}, 1000);
    m.start();
    await twoProbes;
    clearInterval(keepAlive);
    m.stop();
    assert.deepEqual(
      states.map((s) => s.Status),
      ['healthy', 'healthy'],
    );
  });
});
