import { test } from 'node:test';
import assert from 'node:assert/strict';
import { familiarName, familiarString, parseNormalizedNamed, tagNameOnly } from './reference.js';

test('parseNormalizedNamed normalises docker hub names', () => {
  assert.deepEqual(parseNormalizedNamed('busybox'), { domain: 'docker.io', path: 'library/busybox', tag: undefined, digest: undefined });
  assert.deepEqual(parseNormalizedNamed('busybox:1.36'), { domain: 'docker.io', path: 'library/busybox', tag: '1.36', digest: undefined });
  assert.deepEqual(parseNormalizedNamed('user/app:v1'), { domain: 'docker.io', path: 'user/app', tag: 'v1', digest: undefined });
  assert.deepEqual(parseNormalizedNamed('localhost:5000/x/y:z').domain, 'localhost:5000');
  assert.deepEqual(parseNormalizedNamed('index.docker.io/library/busybox').domain, 'docker.io');
  const d = parseNormalizedNamed('ghcr.io/o/r@sha256:' + 'a'.repeat(64));
  assert.equal(d.digest, 'sha256:' + 'a'.repeat(64));
});

test('parseNormalizedNamed rejects what docker rejects, with its messages', () => {
  assert.throws(() => parseNormalizedNamed('Foo'), /^ReferenceError: invalid reference format: repository name \(library\/Foo\) must be lowercase$/);
  assert.throws(() => parseNormalizedNamed('a'.repeat(64)), /cannot specify 64-byte hexadecimal strings/);
  assert.throws(() => parseNormalizedNamed('bad!name'), /invalid reference format/);
  assert.throws(() => parseNormalizedNamed('x:'), /invalid reference format/);
});

test('familiar forms and tagNameOnly', () => {
  assert.equal(familiarName(parseNormalizedNamed('docker.io/library/busybox')), 'busybox');
  assert.equal(familiarName(parseNormalizedNamed('docker.io/user/app')), 'user/app');
  assert.equal(familiarString(tagNameOnly(parseNormalizedNamed('busybox'))), 'busybox:latest');
  assert.equal(familiarString(tagNameOnly(parseNormalizedNamed('quay.io/a/b:1'))), 'quay.io/a/b:1');
});
