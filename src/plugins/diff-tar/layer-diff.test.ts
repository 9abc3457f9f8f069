import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import tar from 'tar-stream';
import { layerDiffTar } from './layer-diff.js';

const root = process.getuid?.() === 0;

async function entries(stream: Readable): Promise<string[]> {
  const extract = tar.extract();
  stream.pipe(extract);
  const seen: string[] = [];
  for await (const entry of extract) {
    const h = entry.header;
    seen.push(`${h.type} ${h.name}${h.linkname ? ` -> ${h.linkname}` : ''} ${(h.mode ?? 0).toString(8)}`);
    entry.resume();
  }
  return seen;
}

async function contents(stream: Readable): Promise<Record<string, string>> {
  const extract = tar.extract();
  stream.pipe(extract);
  const out: Record<string, string> = {};
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    out[entry.header.name] = Buffer.concat(chunks).toString();
  }
  return out;
}

describe('layerDiffTar', { skip: root ? false : 'needs root (mknod, trusted xattrs)' }, () => {
  it('writes overlay whiteouts and opaque directories back in Docker form, links once, and counts content', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'layer-tar-'));
    try {
      await mkdir(join(dir, 'etc'), { mode: 0o755 });
      await writeFile(join(dir, 'etc', 'conf'), 'abc', { mode: 0o644 });
      await link(join(dir, 'etc', 'conf'), join(dir, 'etc', 'conf-link'));
      await symlink('conf', join(dir, 'etc', 'alias'));
      assert.equal(spawnSync('mknod', [join(dir, 'gone'), 'c', '0', '0']).status, 0);
      await mkdir(join(dir, 'opaque'), { mode: 0o750 });
      assert.equal(spawnSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(dir, 'opaque')]).status, 0);
      const { tar: stream, contentSize } = layerDiffTar(dir);
      assert.deepEqual(await entries(stream), [
        'directory etc/ 755',
        'symlink etc/alias -> conf 777',
        'file etc/conf 644',
        'link etc/conf-link -> etc/conf 644',
        'file .wh.gone 600',
        'directory opaque/ 750',
        // moby's converter: the marker takes its directory's permission bits.
        'file opaque/.wh..wh..opq 750',
      ]);
      assert.equal(await contentSize, 3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('never follows a symlink out of the directory, and leaves out what skip names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'layer-tar-'));
    const outside = await mkdtemp(join(tmpdir(), 'layer-tar-outside-'));
    try {
      await writeFile(join(outside, 'secret'), 'host file');
      await symlink(outside, join(dir, 'escape'));
      await mkdir(join(dir, 'proc'));
      await writeFile(join(dir, 'proc', 'x'), 'runc made this');
      await writeFile(join(dir, 'kept'), '12345');
      const { tar: stream, contentSize } = layerDiffTar(dir, { skip: (p) => p === '/proc' });
      assert.deepEqual(await entries(stream), [`symlink escape -> ${outside} 777`, 'file kept 644']);
      assert.equal(await contentSize, 5);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('rejects the content size when the tar is dropped before its end', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'layer-tar-'));
    try {
      await writeFile(join(dir, 'f'), 'x');
      const { tar: stream, contentSize } = layerDiffTar(dir);
      stream.destroy();
      await assert.rejects(contentSize, /closed before its end/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails on a directory that does not exist', async () => {
    const { tar: stream, contentSize } = layerDiffTar(join(tmpdir(), 'layer-tar-missing-dir'));
    await assert.rejects(async () => {
      for await (const _ of stream);
    }, { code: 'ENOENT' });
    await assert.rejects(contentSize, { code: 'ENOENT' });
  });

  it('takes a file\'s bytes from knownContent when the size agrees, and reads the file when it does not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'layer-tar-'));
    try {
      await writeFile(join(dir, 'same-size'), 'disk');
      await writeFile(join(dir, 'other-size'), 'disk bytes');
      await writeFile(join(dir, 'unknown'), 'from disk');
      // The caller vouches for the bytes (it wrote them); a size that disagrees means the file is not what it wrote.
      const known = new Map<string, Uint8Array>([
        ['/same-size', Buffer.from('KNOW')],
        ['/other-size', Buffer.from('short')],
      ]);
      const { tar: stream, contentSize } = layerDiffTar(dir, { knownContent: (p) => known.get(p) });
      assert.deepEqual(await contents(stream), { 'other-size': 'disk bytes', 'same-size': 'KNOW', unknown: 'from disk' });
      assert.equal(await contentSize, 4 + 10 + 9);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('neverMounted: no opaque markers are looked for', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'layer-tar-'));
    try {
      await mkdir(join(dir, 'd'), { mode: 0o755 });
      assert.equal(spawnSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(dir, 'd')]).status, 0);
      assert.deepEqual(await entries(layerDiffTar(dir).tar), ['directory d/ 755', 'file d/.wh..wh..opq 755']);
      assert.deepEqual(await entries(layerDiffTar(dir, { neverMounted: true }).tar), ['directory d/ 755']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
