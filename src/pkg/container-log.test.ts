import assert from 'node:assert/strict';
import { appendFile, mkdtemp, open, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { parseTimestamp, readContainerLog, type LogEntry, type ReadLogOptions } from './container-log.js';

const T0 = Date.UTC(2026, 10, 22, 21, 30, 53);

/** A k8s-file line as conmon writes it; `i` gives distinct, increasing nanosecond timestamps. */
function line(i: number, stream: 'stdout' | 'stderr', tag: 'P' | 'F', text: string): string {
  const d = new Date(T0 + Math.floor(i / 1000));
  const ns = String((i % 1000) * 1000 + 1).padStart(6, '0');
  const ts = d.toISOString().replace(/\.(\d{3})Z$/, `.$1${ns}+00:00`);
  return `${ts} ${stream} ${tag} ${text}\n`;
}

async function collect(path: string, opts?: ReadLogOptions): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of readContainerLog(path, opts)) out.push(e);
  return out;
}

const show = (es: LogEntry[]): string[] => es.map((e) => `${e.stream}:${e.line.toString()}`);

/** A seeded PRNG, so a failing random log can be reproduced. */
function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('readContainerLog', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-log-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('gives back the output byte for byte: F lines get their newline, P pieces join with their F', async () => {
    const p = join(dir, 'basic.log');
    await writeFile(
      p,
      line(0, 'stdout', 'F', 'hello') +
        line(1, 'stdout', 'P', 'par') +
        line(2, 'stdout', 'P', 'ti') +
        line(3, 'stdout', 'F', 'al') +
        line(4, 'stdout', 'P', 'prompt> ') +
        line(4, 'stderr', 'F', 'oops') +
        line(5, 'stdout', 'F', '') +
        line(6, 'stdout', 'F', 'tty line\r') +
        line(7, 'stderr', 'P', 'no newline at exit'),
    );
    const es = await collect(p);
    assert.deepEqual(show(es), [
      'stdout:hello\n',
      'stdout:partial\n',
      // The other stream in between: the pieces so far go out as they are, in file order.
      'stdout:prompt> ',
      'stderr:oops\n',
      'stdout:\n',
      'stdout:tty line\r\n',
      'stderr:no newline at exit',
    ]);
    // A joined entry carries the time of its first piece.
    assert.equal(es[1]!.timeNano, line(1, 'stdout', 'P', '').split(' ')[0]);
    assert.equal(Number(parseTimestamp(es[0]!.timeNano)! / 1_000_000n), T0);
  });

  test('keeps non-UTF-8 bytes and skips damaged lines', async () => {
    const p = join(dir, 'bytes.log');
    const bin = Buffer.from([0xff, 0x00, 0xfe, 0x20, 0x0d]);
    await writeFile(p, Buffer.concat([Buffer.from(line(0, 'stdout', 'P', '').slice(0, -1)), bin, Buffer.from('\nnot a log line\n'), Buffer.from(line(1, 'stdout', 'F', 'x'))]));
    const es = await collect(p);
    assert.equal(es.length, 1);
    assert.deepEqual(es[0]!.line, Buffer.concat([bin, Buffer.from('x\n')]));
  });

  test('a missing file has no entries', async () => {
    assert.deepEqual(await collect(join(dir, 'missing.log')), []);
  });

  test('parseTimestamp keeps nanoseconds and honours the offset', () => {
    assert.equal(parseTimestamp('1970-01-01T00:00:01.000000002+00:00'), 1_000_000_002n);
    assert.equal(parseTimestamp('1970-01-01T01:00:01.5+01:00'), 1_500_000_000n);
    assert.equal(parseTimestamp('1970-01-01T00:00:01Z'), 1_000_000_000n);
    assert.equal(parseTimestamp('yesterday'), undefined);
  });

  test('since and until filter by entry time', async () => {
    const p = join(dir, 'times.log');
    let s = '';
    for (let i = 0; i < 10; i++) s += line(i * 1000, 'stdout', 'F', String(i)); // one per millisecond
    await writeFile(p, s);
    const es = await collect(p, { since: new Date(T0 + 3), until: new Date(T0 + 6) });
    assert.deepEqual(show(es), ['stdout:3\n', 'stdout:4\n', 'stdout:5\n']);
  });

  // Tail reads backwards; entries whose pieces interleave with other streams' lines, block boundaries and
  // trailing partials are where that goes wrong. Compare against the plain forward read on random logs.
  test('tail gives the last n entries of random interleaved logs larger than a block', async () => {
    const rand = mulberry32(42);
    for (let round = 0; round < 4; round++) {
      const p = join(dir, `random-${round}.log`);
      const parts: string[] = [];
      let i = 0;
      while (parts.join('').length < 200 * 1024) {
        const stream = rand() < 0.6 ? 'stdout' : 'stderr';
        const tag = rand() < 0.3 ? 'P' : 'F';
        parts.push(line(i++, stream, tag, 'x'.repeat(Math.floor(rand() * 300)) + `#${i}`));
      }
      // Half the rounds end mid-write (no final newline): that fragment is not an entry yet.
      if (round % 2 === 1) parts.push(line(i++, 'stdout', 'F', 'unfinished').slice(0, 20));
      await writeFile(p, parts.join(''));
      const all = await collect(p);
      for (const n of [0, 1, 2, 3, 7, 50, 500, all.length - 1, all.length, all.length + 10]) {
        const tail = await collect(p, { tail: n });
        assert.deepEqual(show(tail), show(all.slice(Math.max(0, all.length - n))), `round ${round} tail ${n}`);
      }
    }
  });

  test('tail on a huge (sparse) log reads only the end', async () => {
    const p = join(dir, 'huge.log');
    const fh = await open(p, 'w');
    try {
      // 64 GiB of hole: a reader that walks the file forward would not finish this test.
      const end = 64 * 1024 ** 3;
      await fh.write(Buffer.from('\n'), 0, 1, end);
      await fh.write(Buffer.from(line(0, 'stdout', 'F', 'a') + line(1, 'stdout', 'F', 'b') + line(2, 'stderr', 'F', 'c')), 0, undefined, end + 1);
    } finally {
      await fh.close();
    }
    const started = Date.now();
    assert.deepEqual(show(await collect(p, { tail: 2 })), ['stdout:b\n', 'stderr:c\n']);
    assert.ok(Date.now() - started < 2000);
  });

  test('follow streams lines as they are written and ends when done resolves and the file is drained', async () => {
    const p = join(dir, 'follow.log');
    await writeFile(p, line(0, 'stdout', 'F', 'first'));
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    const it = readContainerLog(p, { follow: true, done, pollIntervalMs: 5000 })[Symbol.asyncIterator]();
    assert.equal((await it.next()).value?.line.toString(), 'first\n');
    // Nothing more yet: the next read waits. inotify (not the 5 s poll) must wake it.
    const pending = it.next();
    const t = Date.now();
    await appendFile(p, line(1, 'stderr', 'P', 'sec') + line(2, 'stderr', 'F', 'ond'));
    const second = await pending;
    assert.equal(second.value?.line.toString(), 'second\n');
    assert.ok(Date.now() - t < 2000, 'woken by inotify');
    // The writer's last words land before "done" is announced; they must still be read.
    await appendFile(p, line(3, 'stdout', 'F', 'last') + line(4, 'stdout', 'P', 'trailing'));
    finish();
    const rest: string[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value.line.toString());
    assert.deepEqual(rest, ['last\n', 'trailing']);
  });

  test('follow with tail starts at the tail, and abort ends quietly', async () => {
    const p = join(dir, 'follow-abort.log');
    await writeFile(p, line(0, 'stdout', 'F', 'a') + line(1, 'stdout', 'F', 'b'));
    const ac = new AbortController();
    const got: string[] = [];
    const reading = (async () => {
      for await (const e of readContainerLog(p, { follow: true, tail: 1, signal: ac.signal, pollIntervalMs: 20 })) {
        got.push(e.line.toString());
        if (got.length === 2) ac.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    await appendFile(p, line(2, 'stdout', 'F', 'c'));
    await reading;
    assert.deepEqual(got, ['b\n', 'c\n']);
  });

  test('follow waits for a log that does not exist yet', async () => {
    const p = join(dir, 'later.log');
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    const reading = collect(p, { follow: true, done, pollIntervalMs: 10 });
    await new Promise((r) => setTimeout(r, 50));
    await writeFile(p, line(0, 'stdout', 'F', 'late'));
    await new Promise((r) => setTimeout(r, 100));
    finish();
    assert.deepEqual(show(await reading), ['stdout:late\n']);
  });

  // conmon's log reopen (ctl message 2) renames a fresh file over the path; a follower must move to it.
  test('follow moves to a replaced file after draining the old one', async () => {
    const p = join(dir, 'rotate.log');
    await writeFile(p, line(0, 'stdout', 'F', 'old'));
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    const got: string[] = [];
    const reading = (async () => {
      for await (const e of readContainerLog(p, { follow: true, done, pollIntervalMs: 10 })) got.push(e.line.toString());
    })();
    await new Promise((r) => setTimeout(r, 50));
    await writeFile(`${p}.tmp`, line(1, 'stdout', 'F', 'new'));
    await rename(`${p}.tmp`, p);
    await new Promise((r) => setTimeout(r, 100));
    finish();
    await reading;
    assert.deepEqual(got, ['old\n', 'new\n']);
  });

  test('follow stops once the clock passes until', async () => {
    const p = join(dir, 'until.log');
    await writeFile(p, line(0, 'stdout', 'F', 'a'));
    const started = Date.now();
    const es = await collect(p, { follow: true, until: new Date(Date.now() + 100), pollIntervalMs: 1000 });
    assert.deepEqual(show(es), ['stdout:a\n']);
    assert.ok(Date.now() - started < 900);
  });
});

test('parseTimestamp: the remembered second never leaks into another second or zone', () => {
  const a = parseTimestamp('2026-11-22T21:30:53.190359366+00:00')!;
  assert.equal(parseTimestamp('2026-11-22T21:30:53.5+00:00'), a - 190359366n + 500000000n);
  assert.equal(parseTimestamp('2026-11-22T21:30:53.5+01:00'), a - 190359366n + 500000000n - 3_600_000_000_000n);
  assert.equal(parseTimestamp('2026-11-22T21:30:54.000000001Z'), a - 190359366n + 1_000_000_001n);
  assert.equal(parseTimestamp('2026-11-22T21:30:54.1x'), undefined);
});
