import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CidFile, cidFilePath } from './run.js';
import type { CreateRequest } from './container-options.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'berth-cidfile-'));
}

test('CidFile writes the container ID without a newline', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'cid');
    const f = CidFile.open(path);
    f.write('abc123');
    f.close();
    assert.equal(readFileSync(path, 'utf8'), 'abc123');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CidFile refuses an existing file, as docker does', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'cid');
    writeFileSync(path, 'old');
    assert.throws(() => CidFile.open(path), { message: `container ID file found, make sure the other container isn't running or delete ${path}` });
    assert.equal(readFileSync(path, 'utf8'), 'old');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CidFile removes the file when no ID was written (the create failed)', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'cid');
    const f = CidFile.open(path);
    assert.equal(existsSync(path), true);
    f.close();
    assert.equal(existsSync(path), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CidFile reports a directory that does not exist like Go', () => {
  assert.throws(() => CidFile.open('/nonexistent-berth-dir/cid'), {
    message: 'failed to create the container ID file: open /nonexistent-berth-dir/cid: no such file or directory',
  });
  // An empty path is no file at all.
  const none = CidFile.open('');
  none.write('x');
  none.close();
});

test('cidFilePath prefers HostConfig.ContainerIDFile and falls back to the flag', () => {
  const req = (file: string): CreateRequest => ({ body: { HostConfig: { ContainerIDFile: file } }, name: undefined, platform: undefined, pull: 'missing' });
  assert.equal(cidFilePath(req('/a'), { cidfile: '/b' }), '/a');
  assert.equal(cidFilePath(req(''), { cidfile: '/b' }), '/b');
  assert.equal(cidFilePath(req(''), {}), '');
});
