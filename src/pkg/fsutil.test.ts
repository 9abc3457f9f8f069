import assert from 'node:assert/strict';
import { mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { fsyncDir } from './fsutil.js';

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
