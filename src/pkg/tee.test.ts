import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { tee } from './tee.js';

async function collect(r: Readable): Promise<string> {
  let out = '';
  for await (const c of r) out += String(c);
  return out;
}

function chunks(n: number): Readable {
  return Readable.from(Array.from({ length: n }, (_, i) => Buffer.from(`${i},`)));
}

test('both readers get every chunk, in order', async () => {
  const [a, b] = tee(chunks(500), { highWaterMark: 64 });
  const [x, y] = await Promise.all([collect(a), collect(b)]);
  assert.equal(x, Array.from({ length: 500 }, (_, i) => `${i},`).join(''));
  assert.equal(y, x);
});

test('a reader that stops early stops the other, and a source error reaches both', async () => {
  const [a, b] = tee(chunks(10_000), { highWaterMark: 64 });
  a.destroy();
  await assert.rejects(collect(b), /the other reader of the stream stopped/);
  const failing = new Readable({ read() { this.destroy(new Error('source broke')); } });
  const [c, d] = tee(failing);
  await Promise.all([assert.rejects(collect(c), /source broke/), assert.rejects(collect(d), /source broke/)]);
});

test('with secondMayStop, the first reader reads on to the end when the second stops', async () => {
  const [a, b] = tee(chunks(10_000), { highWaterMark: 64, secondMayStop: true });
  const first = collect(a);
  for await (const _ of b) break; // reads one chunk, then destroys its branch
  assert.equal(b.destroyed, true);
  assert.equal((await first).split(',').length - 1, 10_000);
  // The first reader is still required: its stopping ends the second.
  const [c, d] = tee(chunks(10_000), { highWaterMark: 64, secondMayStop: true });
  c.destroy();
  await assert.rejects(collect(d), /the other reader of the stream stopped/);
});
