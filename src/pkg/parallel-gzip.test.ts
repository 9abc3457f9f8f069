import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { gzipParallel } from './parallel-gzip.js';

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of it) out.push(c);
  return Buffer.concat(out);
}

async function* source(chunks: Buffer[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

describe('gzipParallel', () => {
  it('produces one gzip stream of several members that decompresses to the input, in order', async () => {
    const data = Buffer.concat([randomBytes(300_000), Buffer.alloc(500_000, 7), randomBytes(123_457)]);
    const parts = [data.subarray(0, 1000), data.subarray(1000, 700_000), data.subarray(700_000)];
    const gz = await collect(gzipParallel(source(parts), { chunkSize: 64 * 1024, concurrency: 3 }));
    assert.equal(gz[0], 0x1f);
    assert.ok(gunzipSync(gz).equals(data));
  });

  it('makes a valid empty gzip stream from an empty source', async () => {
    const gz = await collect(gzipParallel(source([])));
    assert.ok(gz.length > 0);
    assert.equal(gunzipSync(gz).length, 0);
  });

  it('passes a source error on', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(10);
      throw new Error('disk read failed');
    }
    await assert.rejects(collect(gzipParallel(failing())), /disk read failed/);
  });
});
