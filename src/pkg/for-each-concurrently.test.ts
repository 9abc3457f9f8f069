import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { forEachConcurrently } from './for-each-concurrently.js';

describe('forEachConcurrently', () => {
  it('runs every item, never more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await forEachConcurrently([1, 2, 3, 4, 5, 6, 7], 3, undefined, async (n) => {
      running++;
      most = Math.max(most, running);
      for (let i = 0; i < n % 3; i++) await tick();
      running--;
      done.push(n);
    });
    assert.deepEqual([...done].sort(), [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(most, 3);
  });

  it('does nothing for no items', async () => {
    await forEachConcurrently([], 4, undefined, () => Promise.reject(new Error('never called')));
  });

  it('aborts the others on the first failure, starts nothing more, and throws that failure after all stopped', async () => {
    const started: number[] = [];
    let stoppedByAbort = 0;
    let running = 0;
    const run = forEachConcurrently([0, 1, 2, 3, 4, 5], 2, undefined, async (n, signal) => {
      started.push(n);
      running++;
      try {
        if (n === 1) throw new Error('item 1 failed');
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        stoppedByAbort++;
        throw new Error(`item ${n} aborted`);
      } finally {
        running--;
      }
    });
    // Item 1 fails first; worker 0, stopped by the abort, fails too, and as the lowest-numbered worker its
    // error is the one thrown (the order pull and push had before they shared this). Both stop before the call returns.
    await assert.rejects(run, /item 0 aborted/);
    assert.deepEqual(started, [0, 1]);
    assert.equal(stoppedByAbort, 1);
    assert.equal(running, 0);
  });

  it('starts nothing once the caller aborts', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    await forEachConcurrently([0, 1, 2, 3], 1, controller.signal, async (n) => {
      started.push(n);
      if (n === 1) controller.abort();
    });
    assert.deepEqual(started, [0, 1]);
  });
});
