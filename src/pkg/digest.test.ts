import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { DigestCounter } from './digest.js';

test('DigestCounter hashes and counts; with hash: false it only counts and has no digest to give', () => {
  const both = new DigestCounter();
  both.update(Buffer.from('ab'));
  both.update(Buffer.from('c'));
  assert.equal(both.size, 3);
  assert.equal(both.digest(), `sha256:${createHash('sha256').update('abc').digest('hex')}`);
  const counting = new DigestCounter({ hash: false });
  counting.update(Buffer.from('abc'));
  assert.equal(counting.size, 3);
  assert.throws(() => counting.digest(), /no digest/);
});
