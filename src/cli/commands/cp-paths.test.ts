import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { assertsDirectory, prepareArchiveCopy, splitPathDirEntry, type CopyInfo } from './cp-paths.js';

const info = (path: string, exists: boolean, isDir: boolean, rebaseName = ''): CopyInfo => ({ path, exists, isDir, rebaseName });

/** Records the rebase asked for instead of rewriting a tar. */
function plan(src: CopyInfo, dst: CopyInfo): { dstDir: string; rebase?: [string, string] } {
  let rebase: [string, string] | undefined;
  const out = prepareArchiveCopy(Readable.from([]), src, dst, (a, o, n) => {
    rebase = [o, n];
    return a;
  });
  return { dstDir: out.dstDir, ...(rebase ? { rebase } : {}) };
}

describe('docker cp path rules (moby pkg/archive/copy.go)', () => {
  it('splits like SplitPathDirEntry, keeping a final "."', () => {
    assert.deepEqual(splitPathDirEntry('/a/b/'), ['/a', 'b']);
    assert.deepEqual(splitPathDirEntry('/a/b/.'), ['/a/b', '.']);
    assert.deepEqual(splitPathDirEntry('file'), ['.', 'file']);
    assert.deepEqual(splitPathDirEntry('/'), ['/', '/']);
    assert.ok(assertsDirectory('x/') && assertsDirectory('x/.') && !assertsDirectory('x'));
  });

  it('extracts into an existing directory as is, renames otherwise', () => {
    assert.deepEqual(plan(info('/src/dir', true, true), info('/dst', true, true)), { dstDir: '/dst' });
    assert.deepEqual(plan(info('/src/dir', true, true), info('/dst/new', false, false)), { dstDir: '/dst', rebase: ['dir', 'new'] });
    assert.deepEqual(plan(info('/src/f', true, false), info('/dst/g', true, false)), { dstDir: '/dst', rebase: ['f', 'g'] });
    assert.deepEqual(plan(info('/src/link', true, false, 'alias'), info('/dst/g', false, false)), { dstDir: '/dst', rebase: ['alias', 'g'] });
  });

  it('fails as docker does: a directory onto a file, a file onto a missing directory', () => {
    assert.throws(() => plan(info('/src/dir', true, true), info('/dst/file', true, false)), /^Error: cannot copy directory$/);
    assert.throws(() => plan(info('/src/f', true, false), info('/dst/missing/', false, false)), /^Error: no such directory$/);
  });
});
