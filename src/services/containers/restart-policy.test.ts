import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ContainerStatus } from '../../core/containers.js';
import { InvalidArgumentError } from '../../core/errdefs.js';
import {
  INITIAL_RESTART_DELAY_MS,
  MAX_RESTART_DELAY_MS,
  parseRestartPolicy,
  restartOnDaemonStart,
  RestartTracker,
  type RestartPolicy,
} from './restart-policy.js';

const ran = (ms: number, restartCount = 0, manuallyStopped = false) => ({ manuallyStopped, runningForMs: ms, restartCount });

describe('parseRestartPolicy (dockerd’s create-time checks)', () => {
  it('accepts the four policies and the pre-v25 empty name', () => {
    assert.deepEqual(parseRestartPolicy(undefined), { Name: 'no' });
    assert.deepEqual(parseRestartPolicy({ Name: 'always' }), { Name: 'always' });
    assert.deepEqual(parseRestartPolicy({ Name: 'unless-stopped', MaximumRetryCount: 0 }), { Name: 'unless-stopped' });
    assert.deepEqual(parseRestartPolicy({ Name: 'on-failure', MaximumRetryCount: 3 }), { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.deepEqual(parseRestartPolicy({ Name: '', MaximumRetryCount: 5 }), { Name: '', MaximumRetryCount: 5 });
  });
  it('refuses a retry count outside on-failure, a negative one and an unknown name, in Docker’s words', () => {
    assert.throws(() => parseRestartPolicy({ Name: 'always', MaximumRetryCount: 2 }), {
      message: "invalid restart policy: maximum retry count can only be used with 'on-failure'",
    });
    assert.throws(() => parseRestartPolicy({ Name: 'no', MaximumRetryCount: -1 }), {
      message: "invalid restart policy: maximum retry count can only be used with 'on-failure' and cannot be negative",
    });
    assert.throws(() => parseRestartPolicy({ Name: 'on-failure', MaximumRetryCount: -1 }), {
      message: 'invalid restart policy: maximum retry count cannot be negative',
    });
    assert.throws(() => parseRestartPolicy({ Name: 'sometimes' }), (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError);
      assert.equal(err.message, "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
      return true;
    });
  });
});

describe('RestartTracker.shouldRestart (moby restartmanager)', () => {
  it('never restarts with "no" or the empty name', () => {
    for (const Name of ['no', ''] as const) {
      const t = new RestartTracker({ Name });
      assert.deepEqual(t.shouldRestart(1, ran(0)), { restart: false, delayMs: 0 });
      assert.deepEqual(t.shouldRestart(0, ran(0)), { restart: false, delayMs: 0 });
    }
  });

  it('always restarts with "always", whatever the exit code', () => {
    const t = new RestartTracker({ Name: 'always' });
    assert.equal(t.shouldRestart(0, ran(0)).restart, true);
    assert.equal(t.shouldRestart(137, ran(0)).restart, true);
  });

  it('"always" does not restart a container the user stopped', () => {
    // moby cancels the restart manager on docker stop (ExitOnNext); the manuallyStopped flag stands for that here.
    const t = new RestartTracker({ Name: 'always' });
    assert.deepEqual(t.shouldRestart(143, ran(0, 0, true)), { restart: false, delayMs: 0 });
    assert.equal(t.shouldRestart(143, ran(0)).restart, true, 'the tracker itself stays usable');
  });

  it('"unless-stopped" restarts unless the user stopped it', () => {
    const t = new RestartTracker({ Name: 'unless-stopped' });
    assert.equal(t.shouldRestart(0, ran(0)).restart, true);
    assert.equal(t.shouldRestart(1, ran(0, 0, true)).restart, false);
  });

  it('"on-failure" restarts only on a non-zero exit', () => {
    const t = new RestartTracker({ Name: 'on-failure' });
    assert.equal(t.shouldRestart(0, ran(0)).restart, false);
    assert.equal(t.shouldRestart(1, ran(0)).restart, true);
    assert.equal(t.shouldRestart(1, ran(0, 1000)).restart, true, 'MaximumRetryCount 0 means no limit');
  });

  it('"on-failure:N" stops once N restarts were made', () => {
    const t = new RestartTracker({ Name: 'on-failure', MaximumRetryCount: 2 });
    assert.equal(t.shouldRestart(1, ran(0, 0)).restart, true);
    assert.equal(t.shouldRestart(1, ran(0, 1)).restart, true);
    assert.deepEqual(t.shouldRestart(1, ran(0, 2)), { restart: false, delayMs: 0 });
  });

  it('"on-failure" does not restart a container the user stopped, whatever its exit code', () => {
    const t = new RestartTracker({ Name: 'on-failure' });
    assert.equal(t.shouldRestart(143, ran(0, 0, true)).restart, false);
  });

  it('leaves the back-off alone on the user’s stop, as moby’s cancelled manager does', () => {
    const t = new RestartTracker({ Name: 'always' });
    assert.equal(t.shouldRestart(1, ran(0)).delayMs, 100);
    t.shouldRestart(143, ran(0, 1, true));
    assert.equal(t.shouldRestart(1, ran(0, 1)).delayMs, 200);
  });

  it('backs off from 100 ms, doubling up to one minute', () => {
    const t = new RestartTracker({ Name: 'always' });
    const delays = Array.from({ length: 12 }, () => t.shouldRestart(1, ran(50)).delayMs);
    assert.deepEqual(delays, [100, 200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 51_200, 60_000, 60_000]);
    assert.equal(delays[0], INITIAL_RESTART_DELAY_MS);
    assert.equal(delays.at(-1), MAX_RESTART_DELAY_MS);
  });

  it('resets the back-off to 100 ms after a run of at least 10 s', () => {
    const t = new RestartTracker({ Name: 'always' });
    t.shouldRestart(1, ran(0));
    t.shouldRestart(1, ran(0));
    assert.equal(t.shouldRestart(1, ran(9_999)).delayMs, 400);
    assert.equal(t.shouldRestart(1, ran(10_000)).delayMs, 100);
    assert.equal(t.shouldRestart(1, ran(0)).delayMs, 200);
  });

  it('moves the back-off even on a decision not to restart, as moby does', () => {
    const t = new RestartTracker({ Name: 'on-failure' });
    assert.equal(t.shouldRestart(0, ran(0)).restart, false);
    assert.equal(t.shouldRestart(1, ran(0)).delayMs, 200);
  });

  it('follows a policy changed by setPolicy, keeping the back-off', () => {
    const t = new RestartTracker({ Name: 'always' });
    assert.equal(t.shouldRestart(0, ran(0)).delayMs, 100);
    t.setPolicy({ Name: 'no' });
    assert.equal(t.shouldRestart(0, ran(0)).restart, false);
    t.setPolicy({ Name: 'unless-stopped' });
    assert.deepEqual(t.shouldRestart(0, ran(0)), { restart: true, delayMs: 200 });
  });

  it('never restarts once cancelled', () => {
    const t = new RestartTracker({ Name: 'always' });
    t.cancel();
    t.cancel();
    assert.equal(t.cancelled, true);
    assert.deepEqual(t.shouldRestart(1, ran(0)), { restart: false, delayMs: 0 });
  });
});

describe('RestartTracker.wait', () => {
  it('resolves true once the delay passed', async () => {
    const t = new RestartTracker({ Name: 'always' });
    assert.equal(await t.wait(1), true);
  });

  it('resolves false at once when cancelled during the delay (docker stop of a restarting container)', async () => {
    const t = new RestartTracker({ Name: 'always' });
    const started = Date.now();
    const pending = t.wait(60_000);
    t.cancel();
    assert.equal(await pending, false);
    assert.ok(Date.now() - started < 1_000);
  });

  it('resolves false when already cancelled', async () => {
    const t = new RestartTracker({ Name: 'always' });
    t.cancel();
    assert.equal(await t.wait(60_000), false);
  });
});

describe('restartOnDaemonStart (moby restore)', () => {
  const exited = (exitCode: number, extra: { manuallyStopped?: boolean; restartCount?: number; status?: ContainerStatus } = {}) => ({
    status: extra.status ?? ('exited' as const),
    exitCode,
    manuallyStopped: extra.manuallyStopped ?? false,
    restartCount: extra.restartCount ?? 0,
  });
  const cases: { name: string; policy: RestartPolicy | undefined; state: ReturnType<typeof exited>; want: boolean }[] = [
    { name: 'no policy', policy: undefined, state: exited(1), want: false },
    { name: '"no"', policy: { Name: 'no' }, state: exited(1), want: false },
    { name: 'the empty name', policy: { Name: '' }, state: exited(1), want: false },
    { name: '"always" after exit 0', policy: { Name: 'always' }, state: exited(0), want: true },
    { name: '"always" even after docker stop', policy: { Name: 'always' }, state: exited(143, { manuallyStopped: true }), want: true },
    { name: '"unless-stopped" not stopped by the user', policy: { Name: 'unless-stopped' }, state: exited(0), want: true },
    { name: '"unless-stopped" stopped by the user', policy: { Name: 'unless-stopped' }, state: exited(0, { manuallyStopped: true }), want: false },
    { name: '"on-failure" after a failure', policy: { Name: 'on-failure' }, state: exited(1), want: true },
    { name: '"on-failure" after success', policy: { Name: 'on-failure' }, state: exited(0), want: false },
    // moby's restore asks ShouldRestart, whose on-failure branch ignores HasBeenManuallyStopped: SIGTERM's 143 counts.
    { name: '"on-failure" stopped by the user with a non-zero code', policy: { Name: 'on-failure' }, state: exited(143, { manuallyStopped: true }), want: true },
    { name: '"on-failure:3" with retries left', policy: { Name: 'on-failure', MaximumRetryCount: 3 }, state: exited(1, { restartCount: 2 }), want: true },
    { name: '"on-failure:3" out of retries', policy: { Name: 'on-failure', MaximumRetryCount: 3 }, state: exited(1, { restartCount: 3 }), want: false },
    { name: 'a container lost while restarting', policy: { Name: 'always' }, state: exited(255, { status: 'restarting' }), want: true },
    { name: 'a running container found again', policy: { Name: 'always' }, state: exited(0, { status: 'running' }), want: false },
    { name: 'a paused container found again', policy: { Name: 'always' }, state: exited(0, { status: 'paused' }), want: false },
    { name: 'a never-started container', policy: { Name: 'always' }, state: exited(0, { status: 'created' }), want: false },
    { name: 'a dead container', policy: { Name: 'always' }, state: exited(0, { status: 'dead' }), want: false },
    { name: 'a container being removed', policy: { Name: 'always' }, state: exited(0, { status: 'removing' }), want: false },
  ];
  for (const c of cases) {
    it(`${c.want ? 'restarts' : 'leaves'} ${c.name}`, () => {
      assert.equal(restartOnDaemonStart(c.policy, c.state), c.want);
    });
  }
  it('treats a missing manuallyStopped as not stopped', () => {
    assert.equal(restartOnDaemonStart({ Name: 'unless-stopped' }, { status: 'exited', exitCode: 0, restartCount: 0 }), true);
  });
});
