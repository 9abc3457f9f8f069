import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import tar from 'tar-stream';
import { writeLayerTar } from './layer-tar.js';

const root = process.getuid?.() === 0;

describe('writeLayerTar', { skip: root ? false : 'needs root (mknod, trusted xattrs)' }, () => {
  it('writes overlay whiteouts and opaque directories back in Docker form, links once, and counts content', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'layer-tar-'));
    try {
      await mkdir(join(dir, 'etc'));
      await writeFile(join(dir, 'etc', 'conf'), 'abc');
      await link(join(dir, 'etc', 'conf'), join(dir, 'etc', 'conf-link'));
      await symlink('conf', join(dir, 'etc', 'alias'));
      assert.equal(spawnSync('mknod', [join(dir, 'gone'), 'c', '0', '0']).status, 0);
      await mkdir(join(dir, 'opaque'));
      assert.equal(spawnSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(dir, 'opaque')]).status, 0);
      const { tar: stream, contentSize } = writeLayerTar(dir);
      const extract = tar.extract();
      stream.pipe(extract);
      const seen: string[] = [];
      for await (const entry of extract) {
        const h = entry.header;
        seen.push(`${h.type} ${h.name}${h.linkname ? ` -> ${h.linkname}` : ''}`);
        entry.resume();
      }
      assert.deepEqual(seen, [
        'directory etc/',
        'symlink etc/alias -> conf',
        'file etc/conf',
        'link etc/conf-link -> etc/conf',
        'file .wh.gone',
        'directory opaque/',
        'file opaque/.wh..wh..opq',
      ]);
      assert.equal(await contentSize, 3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
