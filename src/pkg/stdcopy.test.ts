import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { demuxStream, encodeFrame, StdcopyDemuxer, StdcopyFormatError } from './stdcopy.js';

test('encodeFrame writes the 8-byte header with a big-endian length', () => {
  const f = encodeFrame(2, Buffer.from('hello'));
  assert.deepEqual([...f.subarray(0, 8)], [2, 0, 0, 0, 0, 0, 0, 5]);
  assert.equal(f.subarray(8).toString(), 'hello');
  const big = encodeFrame(1, Buffer.alloc(0x010203));
  assert.deepEqual([...big.subarray(0, 8)], [1, 0, 0, 0, 0, 1, 2, 3]);
});

test('StdcopyDemuxer decodes frames split at every possible byte boundary', () => {
  const wire = Buffer.concat([
    encodeFrame(1, Buffer.from('out1\n')),
    encodeFrame(2, Buffer.from('err\n')),
    encodeFrame(1, Buffer.alloc(0)),
    encodeFrame(1, Buffer.from('out2')),
  ]);
  for (let cut1 = 0; cut1 <= wire.length; cut1++) {
    for (let cut2 = cut1; cut2 <= wire.length; cut2 += 3) {
      const d = new StdcopyDemuxer();
      const frames = [...d.push(wire.subarray(0, cut1)), ...d.push(wire.subarray(cut1, cut2)), ...d.push(wire.subarray(cut2))];
      d.end();
      assert.deepEqual(
        frames.map((f) => [f.stream, f.data.toString()]),
        [
          [1, 'out1\n'],
          [2, 'err\n'],
          [1, ''],
          [1, 'out2'],
        ],
      );
    }
  }
});

test('StdcopyDemuxer decodes one byte at a time', () => {
  const wire = Buffer.concat([encodeFrame(1, Buffer.from('abc')), encodeFrame(2, Buffer.from('de'))]);
  const d = new StdcopyDemuxer();
  const out: string[] = [];
  for (const b of wire) for (const f of d.push(Buffer.from([b]))) out.push(`${f.stream}:${f.data.toString()}`);
  assert.deepEqual(out, ['1:abc', '2:de']);
  assert.equal(d.bufferedLength, 0);
});

test('StdcopyDemuxer rejects a header with an unknown stream id', () => {
  const d = new StdcopyDemuxer();
  assert.throws(() => d.push(Buffer.from('HTTP/1.1 200 OK\r\n')), StdcopyFormatError);
});

test('StdcopyDemuxer.end reports a truncated frame', () => {
  const d = new StdcopyDemuxer();
  d.push(encodeFrame(1, Buffer.from('hello')).subarray(0, 10));
  assert.throws(() => d.end(), /inside a frame/);
});

test('demuxStream yields frames from an async source', async () => {
  const wire = Buffer.concat([encodeFrame(1, Buffer.from('x')), encodeFrame(2, Buffer.from('y'))]);
  const src = Readable.from([wire.subarray(0, 5), wire.subarray(5, 12), wire.subarray(12)]);
  const got: string[] = [];
  for await (const f of demuxStream(src)) got.push(`${f.stream}${f.data.toString()}`);
  assert.deepEqual(got, ['1x', '2y']);
});
