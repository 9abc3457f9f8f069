import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { InvalidArgumentError, NotFoundError } from '../../core/errdefs.js';
import { sha256Digest, type Digest } from '../../pkg/digest.js';
import { LocalContentStore } from './content-local.js';

describe('LocalContentStore', () => {
  let base: string;
  let n = 0;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'berth-content-'));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });
  /** A fresh store per case, so cases cannot see each other's blobs. */
  async function freshStore(): Promise<{ store: LocalContentStore; root: string }> {
    const root = join(base, `case-${n++}`);
    return { store: await LocalContentStore.open(root), root };
  }
  async function ingestDirIsEmpty(root: string): Promise<void> {
    assert.deepEqual(await readdir(join(root, 'ingest')), []);
  }

  it('ingests a stream, then reads, lists and describes the blob', async () => {
    const { store, root } = await freshStore();
    const data = Buffer.from('hello blob');
    const info = await store.ingest(Readable.from([data.subarray(0, 3), data.subarray(3)]));
    assert.deepEqual(info, { digest: sha256Digest(data), size: data.length });
    assert.deepEqual(await buffer(store.read(info.digest)), data);
    assert.deepEqual(await store.info(info.digest), info);
    assert.equal(await store.has(info.digest), true);
    assert.deepEqual(await store.list(), [info.digest]);
    await ingestDirIsEmpty(root);
    const st = await stat(root);
    assert.equal(st.mode & 0o777, 0o700, 'the store root is private');
  });

  it('accepts a plain async iterable and the expected digest and size', async () => {
    const { store } = await freshStore();
    const data = Buffer.from('iterable');
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(data);
    }
    const info = await store.ingest(chunks(), { expected: sha256Digest(data), expectedSize: data.length });
    assert.equal(info.size, data.length);
  });

  it('refuses a digest mismatch naming both digests and stores nothing', async () => {
    const { store, root } = await freshStore();
    const wrong = sha256Digest('something else');
    const actual = sha256Digest('payload');
    await assert.rejects(store.ingest(Readable.from([Buffer.from('payload')]), { expected: wrong }), (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError);
      assert.match(err.message, new RegExp(`expected ${wrong}.*got ${actual}`));
      return true;
    });
    assert.deepEqual(await store.list(), []);
    await ingestDirIsEmpty(root);
  });

  it('refuses a size mismatch, both short and long, and stores nothing', async () => {
    const { store, root } = await freshStore();
    await assert.rejects(store.ingest(Readable.from([Buffer.from('abc')]), { expectedSize: 4 }), /expected 4 bytes, got 3/);
    await assert.rejects(store.ingest(Readable.from([Buffer.from('abcdef')]), { expectedSize: 4 }), InvalidArgumentError);
    assert.deepEqual(await store.list(), []);
    await ingestDirIsEmpty(root);
  });

  it('treats ingesting an existing blob as done', async () => {
    const { store, root } = await freshStore();
    const data = Buffer.from('twice');
    const first = await store.ingest(Readable.from([data]));
    const second = await store.ingest(Readable.from([data]), { expected: first.digest });
    assert.deepEqual(second, first);
    assert.deepEqual(await store.list(), [first.digest]);
    await ingestDirIsEmpty(root);
  });

  it('reads an inclusive byte range', async () => {
    const { store } = await freshStore();
    const data = Buffer.from('0123456789');
    const { digest } = await store.ingest(Readable.from([data]));
    assert.equal((await buffer(store.read(digest, { start: 2, end: 5 }))).toString(), '2345');
    assert.equal((await buffer(store.read(digest, { start: 7 }))).toString(), '789');
    assert.equal((await buffer(store.read(digest, { start: 8, end: 100 }))).toString(), '89');
    assert.equal((await buffer(store.read(digest, { start: 20 }))).length, 0);
  });

  it('streams a blob larger than one read chunk', async () => {
    const { store } = await freshStore();
    const data = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
    const { digest } = await store.ingest(Readable.from([data.subarray(0, 1_000_000), data.subarray(1_000_000)]));
    assert.ok((await buffer(store.read(digest))).equals(data));
  });

  it('answers NotFound for a missing blob on read, info and delete', async () => {
    const { store } = await freshStore();
    const missing = sha256Digest('missing');
    await assert.rejects(buffer(store.read(missing)), (err: unknown) => {
      assert.ok(err instanceof NotFoundError);
      assert.equal(err.message, `blob ${missing} not found`);
      return true;
    });
    await assert.rejects(store.info(missing), NotFoundError);
    await assert.rejects(store.delete(missing), NotFoundError);
    assert.equal(await store.has(missing), false);
  });

  it('refuses a malformed digest before it becomes a path', async () => {
    const { store } = await freshStore();
    // A digest arrives from requests: a traversal attempt must never reach the filesystem.
    const hostile = 'sha256:../../../../etc/passwd' as Digest;
    assert.throws(() => store.read(hostile), InvalidArgumentError);
    await assert.rejects(store.info(hostile), InvalidArgumentError);
    await assert.rejects(store.delete(hostile), InvalidArgumentError);
    await assert.rejects(store.ingest(Readable.from([Buffer.from('x')]), { expected: hostile }), InvalidArgumentError);
  });

  it('deletes the ingest file when aborted mid-stream', async () => {
    const { store, root } = await freshStore();
    const source = new PassThrough();
    const controller = new AbortController();
    const pending = store.ingest(source, { signal: controller.signal });
    source.write(Buffer.alloc(1024));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await readdir(join(root, 'ingest'))).length, 1, 'bytes are being received');
    controller.abort();
    await assert.rejects(pending, { name: 'AbortError' });
    assert.deepEqual(await store.list(), []);
    await ingestDirIsEmpty(root);
  });

  it('deletes a blob', async () => {
    const { store } = await freshStore();
    const { digest } = await store.ingest(Readable.from([Buffer.from('gone soon')]));
    await store.delete(digest);
    assert.equal(await store.has(digest), false);
  });

  it('removeUnknown deletes abandoned ingests and unkept blobs', async () => {
    const { store, root } = await freshStore();
    const keep = await store.ingest(Readable.from([Buffer.from('keep')]));
    await store.ingest(Readable.from([Buffer.from('drop')]));
    // An ingest that never finished (as after a kill -9).
    const stalled = new PassThrough();
    const controller = new AbortController();
    const pending = store.ingest(stalled, { signal: controller.signal });
    stalled.write(Buffer.from('partial'));
    await new Promise((r) => setTimeout(r, 20));
    const abandoned = (await readdir(join(root, 'ingest')))[0];
    assert.ok(abandoned);
    const removed = await store.removeUnknown(new Set([keep.digest]));
    assert.equal(removed, 2);
    assert.deepEqual(await store.list(), [keep.digest]);
    controller.abort();
    await assert.rejects(pending);
  });
});
