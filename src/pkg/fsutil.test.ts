import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { dropFront, FileSink, fsyncDir } from './fsutil.js';

describe('fsyncDir', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-fsutil-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('syncs a directory after a rename into it and closes what it opened', async () => {
    await writeFile(join(dir, 'tmp'), 'x');
    await rename(join(dir, 'tmp'), join(dir, 'final'));
    const fds = (await readdir('/proc/self/fd')).length;
    await fsyncDir(dir);
    assert.equal((await readdir('/proc/self/fd')).length, fds);
    assert.deepEqual(await readdir(dir), ['final']);
  });

  it('fails with ENOENT for a missing directory', async () => {
    await assert.rejects(fsyncDir(join(dir, 'missing')), { code: 'ENOENT' });
  });
});

describe('FileSink', () => {
  it('writes every chunk in order across gathered writes and background writebacks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-sink-'));
    try {
      const fh = await open(join(dir, 'f'), 'w');
      const sink = new FileSink(fh);
      const expected = createHash('sha256');
      // 40 MiB in odd-sized chunks: several gathered writes and at least one writeback on the way.
      for (let i = 0; i < 640; i++) {
        const chunk = Buffer.alloc(65_536 + (i % 7), i % 251);
        expected.update(chunk);
        await sink.write(chunk);
      }
      await sink.write(Buffer.alloc(0));
      await sink.end();
      await fh.close();
      assert.equal(createHash('sha256').update(await readFile(join(dir, 'f'))).digest('hex'), expected.digest('hex'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a failed write, and a failed writeback at the end', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-sink-'));
    try {
      await writeFile(join(dir, 'ro'), '');
      const readOnly = await open(join(dir, 'ro'), 'r');
      await assert.rejects(new FileSink(readOnly).write(Buffer.alloc(2 * 1024 * 1024)), /EBADF/);
      await readOnly.close();
      // A handle closed under the sink: the writes fail, or the background datasync does and end() says so.
      const fh = await open(join(dir, 'w'), 'w');
      const sink = new FileSink(fh);
      await fh.close();
      await assert.rejects(
        (async () => {
          for (let i = 0; i < 40; i++) await sink.write(Buffer.alloc(1024 * 1024));
          await sink.end();
        })(),
        /EBADF|closed/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('drops the bytes a short writev wrote from the front of the batch', () => {
    const parts = [Buffer.from('abc'), Buffer.from('de'), Buffer.from('fgh')];
    assert.deepEqual(dropFront(parts, 0).map(String), ['abc', 'de', 'fgh']);
    assert.deepEqual(dropFront(parts, 2).map(String), ['c', 'de', 'fgh']);
    assert.deepEqual(dropFront(parts, 3).map(String), ['de', 'fgh']);
    assert.deepEqual(dropFront(parts, 6).map(String), ['gh']);
    assert.deepEqual(dropFront(parts, 8).map(String), []);
  });
});
