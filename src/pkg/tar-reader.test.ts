import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import tar from 'tar-stream';
import { readTar, TarFormatError, type TarHeader } from './tar-reader.js';

async function packed(entries: Array<{ header: Parameters<tar.Pack['entry']>[0]; body?: Buffer | string }>): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) pack.entry(e.header, e.body ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function read(buf: Buffer, chunkSize = 7): Promise<Array<{ h: TarHeader; body: string }>> {
  const out: Array<{ h: TarHeader; body: string }> = [];
  let cur: { h: TarHeader; parts: Buffer[] } | undefined;
  const chunks = (function* () {
    for (let i = 0; i < buf.length; i += chunkSize) yield buf.subarray(i, i + chunkSize);
  })();
  await readTar(chunks, {
    onEntry: (h) => {
      cur = { h, parts: [] };
    },
    onData: (c) => {
      cur?.parts.push(Buffer.from(c));
    },
    onEnd: () => {
      if (cur) out.push({ h: cur.h, body: Buffer.concat(cur.parts).toString() });
      cur = undefined;
    },
  });
  return out;
}

describe('readTar', () => {
  it('reads files, directories, links and pax long names, in pieces of any size', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(150)}`;
    const buf = await packed([
      { header: { name: 'dir', type: 'directory', mode: 0o750, uid: 3, gid: 4 } },
      { header: { name: 'dir/a.txt', mode: 0o640, mtime: new Date(1_000_000_000) }, body: 'hello' },
      { header: { name: long }, body: 'x'.repeat(1500) },
      { header: { name: 'ln', type: 'symlink', linkname: 'dir/a.txt' } },
      { header: { name: 'hard', type: 'link', linkname: 'dir/a.txt' } },
    ]);
    for (const size of [1, 7, 512, 100_000]) {
      const got = await read(buf, size);
      assert.deepEqual(got.map((e) => [e.h.type, e.h.name, e.h.linkname, e.body.length]), [
        ['directory', 'dir', '', 0],
        ['file', 'dir/a.txt', '', 5],
        ['file', long, '', 1500],
        ['symlink', 'ln', 'dir/a.txt', 0],
        ['link', 'hard', 'dir/a.txt', 0],
      ]);
      assert.equal(got[0]?.h.mode, 0o750);
      assert.equal(got[0]?.h.uid, 3);
      assert.equal(got[1]?.h.mtime.getTime(), 1_000_000_000);
      assert.equal(got[1]?.body, 'hello');
    }
  });

  it('reads GNU tar archives with long names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tar-reader-'));
    try {
      const long = 'n'.repeat(140);
      mkdirSync(join(dir, 'src'));
      writeFileSync(join(dir, 'src', long), 'gnu');
      symlinkSync(long, join(dir, 'src', 'l'));
      for (const format of ['gnu', 'posix', 'ustar']) {
        const r = spawnSync('tar', ['-c', `--format=${format}`, '-C', join(dir, 'src'), '.'], { maxBuffer: 1 << 24 });
        if (format === 'ustar') continue; // ustar cannot hold a 140-byte name
        assert.equal(r.status, 0, r.stderr.toString());
        const got = await read(r.stdout, 333);
        const names = got.map((e) => e.h.name.replace(/^\.\//, ''));
        assert.ok(names.includes(long) && names.includes('l'), `${format}: ${names.join(',')}`);
        assert.equal(got.find((e) => e.h.name.endsWith('l') && e.h.type === 'symlink')?.h.linkname, long);
        assert.equal(got.find((e) => e.h.name.endsWith(long))?.body, 'gnu');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a corrupt header and a truncated archive', async () => {
    const buf = await packed([{ header: { name: 'a' }, body: 'abc' }]);
    const corrupt = Buffer.from(buf);
    corrupt[0] = 0x41;
    await assert.rejects(read(corrupt), (e: unknown) => e instanceof TarFormatError && /checksum/.test(e.message));
    await assert.rejects(read(buf.subarray(0, 514)), (e: unknown) => e instanceof TarFormatError && /unexpected end of data/.test(e.message));
    // Cut inside the first header, whatever the pieces.
    for (const size of [1, 100, 512]) {
      await assert.rejects(read(buf.subarray(0, 300), size), (e: unknown) => e instanceof TarFormatError && /unexpected end of data/.test(e.message));
    }
  });
});
