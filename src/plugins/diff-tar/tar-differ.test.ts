import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { ApplyResult } from '../../core/diff.js';
import { InvalidArgumentError } from '../../core/errdefs.js';
import { makeTar, type FixtureEntry } from './tar-fixtures.js';
import { TarDiffer } from './tar-differ.js';

const isRoot = process.getuid?.() === 0;
const needsRoot = isRoot ? false : 'needs root (chown, mknod, trusted xattrs)';
const differ = new TarDiffer();

describe('TarDiffer.applyLayer', { skip: needsRoot }, () => {
  let base: string;
  let n = 0;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'berth-differ-'));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  /**
   * A fresh case: `<case>/layer` is the (empty) target and `<case>/outside` a sibling holding a sentinel
   * file, so a test can prove that nothing outside the layer was written.
   */
  async function freshCase(): Promise<{ caseDir: string; layer: string; outside: string; assertOutsideUntouched: () => Promise<void> }> {
    const caseDir = join(base, `case-${n++}`);
    const layer = join(caseDir, 'layer');
    const outside = join(caseDir, 'outside');
    await mkdir(layer, { recursive: true });
    await mkdir(outside);
    await writeFile(join(outside, 'sentinel'), 'untouched');
    return {
      caseDir,
      layer,
      outside,
      assertOutsideUntouched: async () => {
        assert.deepEqual((await readdir(caseDir)).sort(), ['layer', 'outside']);
        assert.deepEqual(await readdir(outside), ['sentinel']);
        assert.equal(await readFile(join(outside, 'sentinel'), 'utf8'), 'untouched');
      },
    };
  }

  /** Feeds the archive in small chunks, so parsing crosses chunk boundaries and backpressure is exercised. */
  function chunked(buf: Buffer, size = 777): Readable {
    const parts: Buffer[] = [];
    for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
    return Readable.from(parts);
  }

  async function apply(entries: readonly FixtureEntry[], layer: string): Promise<ApplyResult> {
    return differ.applyLayer(chunked(await makeTar(entries)), layer);
  }

  /** Asserts a refusal: an InvalidArgumentError whose message is exactly `message`. */
  async function assertRefused(entries: readonly FixtureEntry[], message: string): Promise<void> {
    const c = await freshCase();
    const tar = await makeTar(entries.map((e) => (e.name === '<outside>' ? { ...e, name: c.outside } : e)));
    await assert.rejects(differ.applyLayer(chunked(tar), c.layer), (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${String(err)}`);
      assert.equal(err.message, message.replaceAll('<outside>', c.outside));
      return true;
    });
    await c.assertOutsideUntouched();
  }

  describe('refuses hostile archives, naming the entry and writing nothing outside', () => {
    it('a name climbing out with ..', async () => {
      await assertRefused([{ name: '../escape', data: 'x' }], 'invalid tar entry "../escape": path escapes the layer root');
      await assertRefused(
        [{ name: 'a/', type: 'directory' }, { name: 'a/../../escape', data: 'x' }],
        'invalid tar entry "a/../../escape": path escapes the layer root',
      );
    });

    it('an absolute name', async () => {
      await assertRefused([{ name: '/abs', data: 'x' }], 'invalid tar entry "/abs": path is absolute');
    });

    it('a pax path climbing out', async () => {
      // The ustar name is harmless; the pax record that overrides it is not.
      await assertRefused(
        [{ name: 'harmless', data: 'x', pax: { path: '../pax-escape' } }],
        'invalid tar entry "../pax-escape": path escapes the layer root',
      );
    });

    it('a file written through a planted symlink to an absolute path', async () => {
      await assertRefused(
        [
          { name: 'a', type: 'symlink', linkname: '<outside>' },
          { name: 'a/file', data: 'x' },
        ],
        'invalid tar entry "a/file": parent "a" is a symlink',
      );
    });

    it('a file written through a planted relative symlink, deeper down', async () => {
      await assertRefused(
        [
          { name: 'a', type: 'symlink', linkname: '../outside' },
          { name: 'a/b/c/file', data: 'x' },
        ],
        'invalid tar entry "a/b/c/file": parent "a" is a symlink',
      );
    });

    it('a directory replaced by a symlink, then written through', async () => {
      // The first entry makes "d" a known directory; the second swaps it for a symlink. A cache of checked
      // directories that missed the swap would let the third entry out.
      await assertRefused(
        [
          { name: 'd/', type: 'directory' },
          { name: 'd/x', data: 'x' },
          { name: 'd', type: 'symlink', linkname: '<outside>' },
          { name: 'd/file', data: 'x' },
        ],
        'invalid tar entry "d/file": parent "d" is a symlink',
      );
    });

    it('an opaque marker under a planted symlink', async () => {
      await assertRefused(
        [
          { name: 'd', type: 'symlink', linkname: '<outside>' },
          { name: 'd/.wh..wh..opq', data: '' },
        ],
        'invalid tar entry "d/.wh..wh..opq": parent "d" is a symlink',
      );
    });

    it('a hardlink to a file outside, by .. or absolute path', async () => {
      await assertRefused(
        [{ name: 'h', type: 'link', linkname: '../../etc/passwd' }],
        'invalid tar entry "h": hardlink target "../../etc/passwd" escapes the layer root',
      );
      await assertRefused(
        [{ name: 'h', type: 'link', linkname: '/etc/passwd' }],
        'invalid tar entry "h": hardlink target "/etc/passwd" is absolute',
      );
    });

    it('a hardlink through a planted symlink', async () => {
      await assertRefused(
        [
          { name: 'l', type: 'symlink', linkname: '<outside>' },
          { name: 'h', type: 'link', linkname: 'l/sentinel' },
        ],
        'invalid tar entry "h": hardlink target "l/sentinel" runs through symlink "l"',
      );
    });

    it('a hardlink to nothing, or to a directory', async () => {
      await assertRefused([{ name: 'h', type: 'link', linkname: 'missing' }], 'invalid tar entry "h": hardlink target "missing" does not exist in this layer');
      await assertRefused(
        [{ name: 'd/', type: 'directory' }, { name: 'h', type: 'link', linkname: 'd' }],
        'invalid tar entry "h": hardlink target "d" is a directory',
      );
    });

    it('a path through an earlier file', async () => {
      await assertRefused(
        [
          { name: 'a', data: 'a small file, still being written in the background' },
          { name: 'a/b', data: 'x' },
        ],
        'invalid tar entry "a/b": parent "a" is not a directory',
      );
    });

    it('a whiteout that names nothing', async () => {
      await assertRefused([{ name: 'dir/.wh..', data: '' }], 'invalid tar entry "dir/.wh..": whiteout names nothing');
    });

    it('a truncated archive, cut inside file data or inside a header', async () => {
      const tar = await makeTar([
        { name: 'small', data: 'x' },
        { name: 'big', data: Buffer.alloc(10_000, 1) },
      ]);
      for (const [cut, message] of [
        [3000, 'invalid tar: unexpected end of data (after entry "big")'],
        [1024 + 100, 'invalid tar: unexpected end of data (after entry "small")'],
      ] as const) {
        const c = await freshCase();
        await assert.rejects(differ.applyLayer(chunked(tar.subarray(0, cut)), c.layer), (err: unknown) => {
          assert.ok(err instanceof InvalidArgumentError);
          assert.equal(err.message, message);
          return true;
        });
        await c.assertOutsideUntouched();
      }
    });

    it('a header with a bad checksum', async () => {
      const tar = await makeTar([
        { name: 'first', data: 'ok' },
        { name: 'second', data: 'x' },
      ]);
      tar[1024] = tar[1024]! ^ 0x20; // a letter of "second" in the second header block; its checksum no longer adds up
      const c = await freshCase();
      await assert.rejects(differ.applyLayer(chunked(tar), c.layer), (err: unknown) => {
        assert.ok(err instanceof InvalidArgumentError);
        assert.match(err.message, /^invalid tar: corrupt header \(checksum mismatch\).*\(after entry "first"\)$/);
        return true;
      });
    });

    it('a gzipped layer passed as if uncompressed', async () => {
      const { gzipSync } = await import('node:zlib');
      const c = await freshCase();
      const gz = gzipSync(await makeTar([{ name: 'f', data: 'x' }]));
      await assert.rejects(differ.applyLayer(Readable.from([gz]), c.layer), /^InvalidArgumentError: invalid tar: .*before the first entry/);
    });

    it('a binary xattr value tar-stream cannot carry, instead of writing a different one', async () => {
      const tar = await makeTar([{ name: 'f', data: 'x', pax: { 'SCHILY.xattr.user.bin': 'MARK' } }]);
      const at = tar.indexOf('MARK');
      Buffer.from([0x80, 0xff, 0x00, 0x81]).copy(tar, at); // same length: the pax record stays well-formed
      const c = await freshCase();
      await assert.rejects(
        differ.applyLayer(Readable.from([tar]), c.layer),
        /^InvalidArgumentError: invalid tar entry "f": xattr "user.bin" has a binary value/,
      );
    });
  });

  describe('never follows a symlink at the end of a path', () => {
    it('replaces a symlink by a later file entry instead of writing through it', async () => {
      const c = await freshCase();
      await apply(
        [
          { name: 'f', type: 'symlink', linkname: join(c.outside, 'sentinel') },
          { name: 'h', type: 'link', linkname: 'f' },
          { name: 'f', data: 'inside', mode: 0o600 },
          { name: 'h', data: 'also inside' },
        ],
        c.layer,
      );
      assert.equal(await readFile(join(c.layer, 'f'), 'utf8'), 'inside');
      assert.equal(await readFile(join(c.layer, 'h'), 'utf8'), 'also inside');
      await c.assertOutsideUntouched();
    });
  });

  describe('unpacks what images contain', () => {
    it('with digest: false, counts the bytes and the content but computes no diff ID', async () => {
      const c = await freshCase();
      const tar = await makeTar([{ name: 'a.txt', data: 'abc' }, { name: 'b.txt', data: 'de' }]);
      const result = await differ.applyLayer(chunked(tar, 100), c.layer, { digest: false });
      assert.deepEqual(result, { tarSize: tar.length, size: 5 });
      assert.equal(await readFile(join(c.layer, 'b.txt'), 'utf8'), 'de');
    });

    it('files, directories and symlinks with content, mode, owner and mtime; diffId hashes every byte', async () => {
      const c = await freshCase();
      const mtime = new Date('2024-01-02T03:04:05Z');
      const tar = await makeTar([
        { name: './', type: 'directory', mode: 0o755, mtime },
        { name: './bin/', type: 'directory', mode: 0o755, mtime },
        { name: './bin/busybox', data: 'ELF...', mode: 0o755, mtime },
        { name: './bin/sh', type: 'symlink', linkname: '/bin/busybox', mtime },
        { name: 'home/user/notes.txt', data: 'hello', mode: 0o640, uid: 1000, gid: 1001, mtime },
        { name: 'up', type: 'symlink', linkname: '../../..' },
      ]);
      const result = await differ.applyLayer(chunked(tar, 100), c.layer);
      assert.deepEqual(result, {
        diffId: `sha256:${createHash('sha256').update(tar).digest('hex')}`,
        tarSize: tar.length,
        size: 'ELF...'.length + 'hello'.length,
      });
      assert.equal(await readlink(join(c.layer, 'bin/sh')), '/bin/busybox', 'absolute symlink kept as written');
      assert.equal(await readlink(join(c.layer, 'up')), '../../..', 'relative symlink kept as written');
      const notes = await stat(join(c.layer, 'home/user/notes.txt'));
      assert.equal(notes.mode & 0o7777, 0o640);
      assert.equal(notes.uid, 1000);
      assert.equal(notes.gid, 1001);
      assert.equal(notes.mtimeMs, mtime.getTime());
      assert.equal(await readFile(join(c.layer, 'home/user/notes.txt'), 'utf8'), 'hello');
      assert.equal((await lstat(join(c.layer, 'bin/sh'))).mtimeMs, mtime.getTime(), 'symlink mtime set without following');
      const implicit = await stat(join(c.layer, 'home'));
      assert.equal(implicit.mode & 0o7777, 0o755, 'a missing parent is created 0755');
    });

    it('keeps setuid, setgid and sticky bits across chown', async () => {
      const c = await freshCase();
      await apply(
        [
          { name: 'usr/bin/su', data: 'x', mode: 0o4755, uid: 0, gid: 0 },
          { name: 'usr/bin/wall', data: 'x', mode: 0o2755, uid: 1000, gid: 5 },
          { name: 'shared/', type: 'directory', mode: 0o2775, gid: 100 },
          { name: 'tmp/', type: 'directory', mode: 0o1777 },
        ],
        c.layer,
      );
      assert.equal((await stat(join(c.layer, 'usr/bin/su'))).mode & 0o7777, 0o4755);
      assert.equal((await stat(join(c.layer, 'usr/bin/wall'))).mode & 0o7777, 0o2755);
      assert.equal((await stat(join(c.layer, 'shared'))).mode & 0o7777, 0o2775);
      assert.equal((await stat(join(c.layer, 'tmp'))).mode & 0o7777, 0o1777);
    });

    it('sets directory mtimes after their children are written', async () => {
      const c = await freshCase();
      const mtime = new Date('2020-05-05T05:05:05Z');
      await apply(
        [
          { name: 'd/', type: 'directory', mtime },
          { name: 'd/a', data: 'x' },
          { name: 'd/sub/b', data: 'x' },
          { name: 'd/.wh.gone', data: '' },
        ],
        c.layer,
      );
      assert.equal((await stat(join(c.layer, 'd'))).mtimeMs, mtime.getTime());
    });

    it('makes a hardlink share the inode of an earlier entry, and replacing the earlier name leaves the link alone', async () => {
      const c = await freshCase();
      await apply(
        [
          { name: 'a', data: 'one' },
          { name: 'dir/b', type: 'link', linkname: './a' },
          { name: 'a', data: 'two' },
          { name: 'c', data: 'three' },
          { name: 'd', type: 'link', linkname: 'c' },
        ],
        c.layer,
      );
      assert.equal(await readFile(join(c.layer, 'dir/b'), 'utf8'), 'one');
      assert.equal(await readFile(join(c.layer, 'a'), 'utf8'), 'two');
      const [cs, ds] = await Promise.all([stat(join(c.layer, 'c')), stat(join(c.layer, 'd'))]);
      assert.equal(cs.ino, ds.ino);
      assert.equal(cs.nlink, 2);
    });

    it('turns .wh. files into overlay whiteouts: 0:0 character devices', async () => {
      const c = await freshCase();
      await apply(
        [
          { name: 'etc/.wh.gone', data: '', uid: 7, gid: 8 },
          { name: 'etc/.wh.also-gone', data: '' },
          { name: '.wh.top', data: '' },
        ],
        c.layer,
      );
      for (const p of ['etc/gone', 'etc/also-gone', 'top']) {
        const st = await lstat(join(c.layer, p));
        assert.ok(st.isCharacterDevice(), `${p} is a character device`);
        assert.equal(st.rdev, 0, `${p} is device 0:0`);
      }
      assert.deepEqual((await readdir(join(c.layer, 'etc'))).sort(), ['also-gone', 'gone'], 'no .wh. file is written');
    });

    it('turns .wh..wh..opq into trusted.overlay.opaque=y on its directory, and skips AUFS metadata', async () => {
      const c = await freshCase();
      await apply(
        [
          { name: 'var/', type: 'directory' },
          { name: 'var/.wh..wh..opq', data: '' },
          { name: 'var/new', data: 'x' },
          { name: 'fresh/.wh..wh..opq', data: '' },
          { name: '.wh..wh.plnk/', type: 'directory' },
          { name: '.wh..wh.plnk/1234.5', data: 'aufs hardlink bookkeeping' },
          { name: '.wh..wh.aufs', data: '' },
        ],
        c.layer,
      );
      assert.equal(getXattr(join(c.layer, 'var'), 'trusted.overlay.opaque'), '0x79');
      assert.equal(getXattr(join(c.layer, 'fresh'), 'trusted.overlay.opaque'), '0x79');
      assert.deepEqual((await readdir(join(c.layer, 'var'))).sort(), ['new']);
      assert.deepEqual((await readdir(c.layer)).sort(), ['fresh', 'var']);
    });

    it('creates device nodes and fifos with their mode and owner', async () => {
      const c = await freshCase();
      await apply(
        [
          { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
          { name: 'dev/loop0', type: 'block-device', devmajor: 7, devminor: 0, mode: 0o660, gid: 6 },
          { name: 'run/fifo', type: 'fifo', mode: 0o620, uid: 33 },
        ],
        c.layer,
      );
      const nul = await lstat(join(c.layer, 'dev/null'));
      assert.ok(nul.isCharacterDevice());
      assert.equal(nul.rdev, (1 << 8) | 3);
      assert.equal(nul.mode & 0o7777, 0o666);
      const loop = await lstat(join(c.layer, 'dev/loop0'));
      assert.ok(loop.isBlockDevice());
      assert.equal(loop.rdev, 7 << 8);
      assert.equal(loop.gid, 6);
      const fifo = await lstat(join(c.layer, 'run/fifo'));
      assert.ok(fifo.isFIFO());
      assert.equal(fifo.mode & 0o7777, 0o620);
      assert.equal(fifo.uid, 33);
    });

    it('applies pax xattrs, capabilities included, after the chown that would clear them', async () => {
      const c = await freshCase();
      // vfs_cap_data revision 2, effective flag, permitted = CAP_NET_RAW (bit 13): bytes that are valid UTF-8.
      const cap = Buffer.from('0100000200200000000000000000000000000000', 'hex');
      await apply(
        [
          { name: 'bin/ping', data: 'x', mode: 0o755, uid: 0, gid: 0, pax: { 'SCHILY.xattr.security.capability': cap.toString('utf8') } },
          { name: 'note', data: 'x', pax: { 'SCHILY.xattr.user.comment': 'héllo' } },
          // Overlay's own attributes are never taken from the archive.
          { name: 'sneaky/', type: 'directory', pax: { 'SCHILY.xattr.trusted.overlay.opaque': 'y' } },
          // Linux refuses user.* on a symlink (EPERM); as with Docker, that attribute is dropped, not the layer.
          { name: 'link', type: 'symlink', linkname: 'note', pax: { 'SCHILY.xattr.user.comment': 'x' } },
          // macOS tar namespaces Linux has no place for are skipped.
          { name: 'mac', data: 'x', pax: { 'SCHILY.xattr.com.apple.quarantine': 'q' } },
        ],
        c.layer,
      );
      assert.equal(getXattr(join(c.layer, 'bin/ping'), 'security.capability'), `0x${cap.toString('hex')}`);
      assert.equal(getXattr(join(c.layer, 'note'), 'user.comment'), `0x${Buffer.from('héllo').toString('hex')}`);
      assert.equal(getXattr(join(c.layer, 'sneaky'), 'trusted.overlay.opaque'), undefined);
    });

    it('replaces an earlier entry of another type, and a directory by a directory keeps its content', async () => {
      const c = await freshCase();
      await apply(
        [
          { name: 'x', data: 'file first' },
          { name: 'x/', type: 'directory' },
          { name: 'x/inner', data: 'x' },
          { name: 'd/', type: 'directory', mode: 0o755 },
          { name: 'd/kept', data: 'x' },
          { name: 'd/', type: 'directory', mode: 0o700 },
          { name: 'gone/', type: 'directory' },
          { name: 'gone/child', data: 'x' },
          { name: 'gone', type: 'symlink', linkname: 'elsewhere' },
        ],
        c.layer,
      );
      assert.ok((await lstat(join(c.layer, 'x'))).isDirectory());
      assert.deepEqual(await readdir(join(c.layer, 'd')), ['kept']);
      assert.equal((await stat(join(c.layer, 'd'))).mode & 0o777, 0o700, 'the later entry updated the metadata');
      assert.equal(await readlink(join(c.layer, 'gone')), 'elsewhere');
    });

    it('streams a large file through small chunks', async () => {
      const c = await freshCase();
      const big = Buffer.alloc(5 * 1024 * 1024 + 3);
      for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
      const result = await apply([{ name: 'big', data: big }], c.layer);
      assert.equal(result.size, big.length);
      assert.ok((await readFile(join(c.layer, 'big'))).equals(big));
    });

    it('accepts an empty stream as an empty layer', async () => {
      const c = await freshCase();
      const result = await differ.applyLayer(Readable.from([]), c.layer);
      assert.equal(result.tarSize, 0);
      assert.deepEqual(await readdir(c.layer), []);
    });
  });

  describe('writes many small files in the background', () => {
    it('finishes every file before returning, with its content and metadata', async () => {
      const c = await freshCase();
      const entries: FixtureEntry[] = [];
      for (let i = 0; i < 400; i++) {
        entries.push({ name: `d${i % 7}/f${i}`, data: `content ${i}`, mode: 0o640, uid: i, gid: 2 * i, mtime: new Date(i * 1000) });
      }
      entries.push({ name: 'big', data: Buffer.alloc(2 * 1024 * 1024, 7) });
      const result = await apply(entries, c.layer);
      for (const i of [0, 63, 64, 65, 399]) {
        const p = join(c.layer, `d${i % 7}/f${i}`);
        assert.equal(await readFile(p, 'utf8'), `content ${i}`);
        const st = await stat(p);
        assert.deepEqual([st.mode & 0o7777, st.uid, st.gid, st.mtimeMs], [0o640, i, 2 * i, i * 1000]);
      }
      let count = 0;
      for (let d = 0; d < 7; d++) count += (await readdir(join(c.layer, `d${d}`))).length;
      assert.equal(count, 400);
      assert.equal(result.size, entries.reduce((n, e) => n + (e.data === undefined ? 0 : Buffer.byteLength(e.data)), 0));
    });

    it('writes nothing more once it has refused an entry', async () => {
      const c = await freshCase();
      const entries: FixtureEntry[] = [];
      for (let i = 0; i < 300; i++) entries.push({ name: `f${i}`, data: `x${i}` });
      entries.push({ name: '../escape', data: 'x' });
      await assert.rejects(apply(entries, c.layer), InvalidArgumentError);
      const before = (await readdir(c.layer)).length;
      await new Promise((r) => setTimeout(r, 50));
      assert.equal((await readdir(c.layer)).length, before, 'no background task outlives applyLayer');
      await c.assertOutsideUntouched();
    });

    it('refuses a layer directory that is not empty', async () => {
      const c = await freshCase();
      await writeFile(join(c.layer, 'stray'), 'x');
      await assert.rejects(apply([{ name: 'f', data: 'x' }], c.layer), { name: 'FailedPreconditionError' });
    });
  });

  describe('stops cleanly', () => {
    it('passes on an error from the input stream', async () => {
      const c = await freshCase();
      const tar = await makeTar([{ name: 'f', data: Buffer.alloc(4096) }]);
      const input = new PassThrough();
      input.write(tar.subarray(0, 1000));
      setTimeout(() => input.destroy(new Error('connection reset')), 10);
      await assert.rejects(differ.applyLayer(input, c.layer), /connection reset/);
    });

    it('honours an abort while waiting for input', async () => {
      const c = await freshCase();
      const tar = await makeTar([{ name: 'f', data: Buffer.alloc(4096) }]);
      const input = new PassThrough();
      input.write(tar.subarray(0, 1000));
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 10);
      await assert.rejects(differ.applyLayer(input, c.layer, { signal: controller.signal }), { name: 'AbortError' });
    });
  });
});

function getXattr(path: string, name: string): string | undefined {
  const res = spawnSync('getfattr', ['-h', '--only-values', '-e', 'hex', '-n', name, path], { encoding: 'utf8' });
  if (res.status !== 0) return undefined;
  // --only-values with -e hex still prints the raw value; ask again in dump form for a stable encoding.
  const dump = spawnSync('getfattr', ['-h', '-e', 'hex', '-n', name, path], { encoding: 'utf8' }).stdout;
  const line = dump.split('\n').find((l) => l.startsWith(`${name}=`));
  return line?.slice(name.length + 1);
}
