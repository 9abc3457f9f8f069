import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';

import { KeyedLock } from './keyed-lock.js';

/** A promise settled from outside, to drive interleavings by hand instead of by sleeping. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await tick();
}

describe('KeyedLock', () => {
  it('runs holders of one key one at a time, in arrival order', async () => {
    const lock = new KeyedLock();
    const gates = [deferred(), deferred(), deferred()];
    const log: string[] = [];
    const runs = gates.map((gate, i) =>
      lock.withLock('k', async () => {
        log.push(`start ${i}`);
        await gate.promise;
        log.push(`end ${i}`);
        return i;
      }),
    );
    await settle();
    assert.deepEqual(log, ['start 0']);
    // Finishing out of order does not let a later holder in early.
    gates[2]?.resolve();
    gates[1]?.resolve();
    await settle();
    assert.deepEqual(log, ['start 0']);
    gates[0]?.resolve();
    assert.deepEqual(await Promise.all(runs), [0, 1, 2]);
    assert.deepEqual(log, ['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('lets different keys run at the same time', async () => {
    const lock = new KeyedLock();
    const gate = deferred();
    const started: string[] = [];
    const a = lock.withLock('a', async () => {
      started.push('a');
      await gate.promise;
    });
    const b = lock.withLock('b', async () => {
      started.push('b');
      await gate.promise;
    });
    await settle();
    assert.deepEqual(started.sort(), ['a', 'b']);
    assert.equal(lock.size, 2);
    gate.resolve();
    await Promise.all([a, b]);
  });

  it('releases after a rejection or a synchronous throw, and passes results through', async () => {
    const lock = new KeyedLock();
    await assert.rejects(
      lock.withLock('k', async () => {
        throw new Error('async boom');
      }),
      /async boom/,
    );
    await assert.rejects(
      lock.withLock('k', () => {
        throw new Error('sync boom');
      }),
      /sync boom/,
    );
    assert.equal(await lock.withLock('k', () => 42), 42);
    assert.equal(lock.size, 0);
  });

  it('drops a key once nobody holds or waits for it', async () => {
    const lock = new KeyedLock<number>();
    const gate = deferred();
    const first = lock.withLock(1, () => gate.promise);
    const second = lock.withLock(1, () => undefined);
    assert.ok(lock.isLocked(1));
    assert.ok(!lock.isLocked(2));
    gate.resolve();
    await Promise.all([first, second]);
    assert.ok(!lock.isLocked(1));
    assert.equal(lock.size, 0);
    for (let i = 0; i < 100; i++) await lock.withLock(i, () => undefined);
    assert.equal(lock.size, 0);
  });

  it('a waiter that gives up never runs, and the one behind it still waits for the holder', async () => {
    const lock = new KeyedLock();
    const gate = deferred();
    const log: string[] = [];
    const holder = lock.withLock('k', async () => {
      await gate.promise;
      log.push('holder');
    });
    const controller = new AbortController();
    const quitter = lock.withLock('k', () => log.push('quitter'), { signal: controller.signal });
    const patient = lock.withLock('k', () => log.push('patient'));
    controller.abort(new Error('gave up'));
    await assert.rejects(quitter, /gave up/);
    await settle();
    assert.deepEqual(log, []);
    gate.resolve();
    await Promise.all([holder, patient]);
    assert.deepEqual(log, ['holder', 'patient']);
    assert.equal(lock.size, 0);
  });

  it('refuses at once with an already aborted signal', async () => {
    const lock = new KeyedLock();
    const ran: string[] = [];
    await assert.rejects(
      lock.withLock('k', () => ran.push('x'), { signal: AbortSignal.abort(new Error('already')) }),
      /already/,
    );
    assert.deepEqual(ran, []);
    assert.equal(lock.size, 0);
  });

  it('ignores an abort that comes after the turn was granted', async () => {
    const lock = new KeyedLock();
    const controller = new AbortController();
    const result = await lock.withLock(
      'k',
      async () => {
        controller.abort();
        await tick();
        return 'finished';
      },
      { signal: controller.signal },
    );
    assert.equal(result, 'finished');
  });

  it('keeps read-modify-write sequences intact under contention', async () => {
    const lock = new KeyedLock();
    const counters = new Map<string, number>();
    const keys = ['a', 'b', 'c', 'd', 'e'];
    let concurrent = 0;
    let maxConcurrentPerKey = 0;
    const active = new Map<string, number>();
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const tasks = Array.from({ length: 200 }, (_, i) => {
      const key = keys[i % keys.length] as string;
      const pauses = Math.floor(random() * 4);
      return lock.withLock(key, async () => {
        concurrent++;
        active.set(key, (active.get(key) ?? 0) + 1);
        maxConcurrentPerKey = Math.max(maxConcurrentPerKey, active.get(key) ?? 0);
        const value = counters.get(key) ?? 0;
        for (let p = 0; p < pauses; p++) await tick();
        counters.set(key, value + 1);
        active.set(key, (active.get(key) ?? 0) - 1);
        concurrent--;
      });
    });
    await Promise.all(tasks);
    assert.equal(maxConcurrentPerKey, 1);
    assert.equal(concurrent, 0);
    for (const key of keys) assert.equal(counters.get(key), 40);
    assert.equal(lock.size, 0);
  });
});
