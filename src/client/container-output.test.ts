import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { encodeFrame } from '../pkg/stdcopy.js';
import { readContainerOutput, StreamError } from './container-output.js';

async function collect(src: Buffer[], opts: { tty: boolean; head?: Buffer }): Promise<string[]> {
  const out: string[] = [];
  for await (const f of readContainerOutput(Readable.from(src), opts)) out.push(`${f.stream}:${f.data.toString()}`);
  return out;
}

test('demultiplexes stdcopy frames, including bytes that came with the upgrade', async () => {
  const wire = Buffer.concat([encodeFrame(1, Buffer.from('out')), encodeFrame(2, Buffer.from('err'))]);
  assert.deepEqual(await collect([wire.subarray(5)], { tty: false, head: wire.subarray(0, 5) }), ['1:out', '2:err']);
});

test('a TTY stream is raw stdout', async () => {
  assert.deepEqual(await collect([Buffer.from('a\r\n'), Buffer.from('b')], { tty: true }), ['1:a\r\n', '1:b']);
});

test('a systemerr frame ends the stream with the daemon error', async () => {
  await assert.rejects(collect([encodeFrame(3, Buffer.from('boom'))], { tty: false }), (e: unknown) => e instanceof StreamError && e.message === 'error from daemon in stream: boom');
});
