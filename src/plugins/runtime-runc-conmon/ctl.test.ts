import assert from 'node:assert/strict';
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { execOrThrow } from '../../pkg/exec.js';
import { writeCtl } from './ctl.js';

/**
 * The control FIFO protocol against a FIFO of our own, read the way conmon reads it (non-blocking), so that what
 * conmon would receive, and in which order, is visible. No root needed.
 */
describe('writeCtl', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-ctl-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  let n = 0;
  /** A FIFO with a reader holding it open, like conmon's; `take()` returns what was written since the last call. */
  async function fifo(): Promise<{ path: string; take(): string; close(): void }> {
    const path = join(dir, `ctl-${n++}`);
    await execOrThrow('mkfifo', [path]);
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    return {
      path,
      take(): string {
        const buf = Buffer.alloc(4096);
        let out = '';
        for (;;) {
          try {
            const got = readSync(fd, buf, 0, buf.length, null);
            if (got === 0) return out;
            out += buf.toString('utf8', 0, got);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return out;
            throw err;
          }
        }
      },
      close: () => closeSync(fd),
    };
  }

  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  test('a single resize is written once, in conmon\'s format', async () => {
    const f = await fifo();
    try {
      assert.equal(await writeCtl(f.path, { type: 'resize', height: 24, width: 80 }), true);
      assert.equal(f.take(), '1 24 80\n');
      await sleep(400);
      assert.equal(f.take(), '');
    } finally {
      f.close();
    }
  });

  test('messages are written apart, and the last size of a burst is written again once quiet', async () => {
    const f = await fifo();
    try {
      const first = writeCtl(f.path, { type: 'resize', height: 10, width: 20 });
      assert.equal(f.take(), '');
      await first;
      assert.equal(f.take(), '1 10 20\n');
      // Queued behind nothing: written after the gap, not with the first.
      const second = writeCtl(f.path, { type: 'resize', height: 42, width: 123 });
      assert.equal(f.take(), '');
      assert.equal(await second, true);
      assert.equal(f.take(), '1 42 123\n');
      await sleep(400);
      assert.equal(f.take(), '1 42 123\n');
      await sleep(400);
      assert.equal(f.take(), '');
    } finally {
      f.close();
    }
  });

  test('the once-more write is not itself repeated, even when its timer fires before the clock says it is due', async () => {
    const f = await fifo();
    const realNow = Date.now;
    try {
      await writeCtl(f.path, { type: 'resize', height: 5, width: 6 });
      await writeCtl(f.path, { type: 'resize', height: 7, width: 8 });
      assert.equal(f.take(), '1 5 6\n1 7 8\n');
      // Node may run a timer a millisecond before Date.now() has moved on by its delay; a clock running behind
      // by more makes that certain. The resend must still not count as a message of a burst.
      Date.now = () => realNow() - 100;
      await sleep(600);
      assert.equal(f.take(), '1 7 8\n');
    } finally {
      Date.now = realNow;
      f.close();
    }
  });

  test('a resize waiting in the queue is replaced by a newer one; a reopen is neither merged nor repeated', async () => {
    const f = await fifo();
    try {
      const results = await Promise.all([
        writeCtl(f.path, { type: 'resize', height: 1, width: 1 }),
        writeCtl(f.path, { type: 'resize', height: 2, width: 2 }),
        writeCtl(f.path, { type: 'resize', height: 3, width: 3 }),
        writeCtl(f.path, { type: 'reopen-log' }),
      ]);
      assert.deepEqual(results, [true, true, true, true]);
      // The last resize came in a burst: it is sent again. The reopen is not.
      await sleep(400);
      assert.equal(f.take(), '1 1 1\n1 3 3\n2 0 0\n1 3 3\n');
    } finally {
      f.close();
    }
  });

  test('no reader (conmon has exited) or no FIFO: nothing written, no error', async () => {
    const f = await fifo();
    f.close();
    assert.equal(await writeCtl(f.path, { type: 'reopen-log' }), false);
    assert.equal(await writeCtl(join(dir, 'missing'), { type: 'resize', height: 1, width: 1 }), false);
  });

  test('refuses a size a terminal cannot have, and a file that is not a FIFO', async () => {
    const f = await fifo();
    try {
      assert.throws(() => writeCtl(f.path, { type: 'resize', height: -1, width: 80 }), { name: 'InvalidArgumentError' });
      assert.throws(() => writeCtl(f.path, { type: 'resize', height: 24, width: 70000 }), { name: 'InvalidArgumentError' });
      assert.throws(() => writeCtl(f.path, { type: 'resize', height: 2.5, width: 80 }), { name: 'InvalidArgumentError' });
    } finally {
      f.close();
    }
    const plain = join(dir, 'plain');
    await writeFile(plain, '');
    await assert.rejects(writeCtl(plain, { type: 'reopen-log' }), { name: 'InternalError' });
  });
});
