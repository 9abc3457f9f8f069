import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DetachScanner, parseDetachKeys } from './detach-keys.js';

test('parses control names, single characters and DEL', () => {
  assert.deepEqual([...parseDetachKeys('ctrl-p,ctrl-q')], [16, 17]);
  assert.deepEqual([...parseDetachKeys('ctrl-@,ctrl-[,ctrl-_')], [0, 27, 31]);
  assert.deepEqual([...parseDetachKeys('a,b,DEL')], [97, 98, 127]);
});

test('refuses what cannot be parsed, in Docker words', () => {
  assert.throws(() => parseDetachKeys('ctrl-1'), /^Error: Invalid detach keys \(ctrl-1\) provided$|Invalid detach keys \(ctrl-1\) provided/);
  assert.throws(() => parseDetachKeys('foo'), (e: Error & { kind?: string }) => e.message === 'Invalid detach keys (foo) provided');
  assert.throws(() => parseDetachKeys(''), /Invalid detach keys/);
});

test('passes input through and stops at the whole sequence', () => {
  const s = new DetachScanner(parseDetachKeys('ctrl-p,ctrl-q'));
  assert.equal(s.feed(Buffer.from('hello\n')).toString(), 'hello\n');
  assert.equal(s.feed(Buffer.from([0x10])).length, 0, 'a possible start is held');
  assert.equal(s.detached, false);
  assert.deepEqual([...s.feed(Buffer.from([0x11, 0x41]))], []);
  assert.equal(s.detached, true);
  assert.equal(s.feed(Buffer.from('more')).length, 0);
});

test('a broken sequence releases the held bytes', () => {
  const s = new DetachScanner(parseDetachKeys('ctrl-p,ctrl-q'));
  assert.deepEqual([...s.feed(Buffer.from([0x10, 0x41]))], [0x10, 0x41]);
  assert.deepEqual([...s.feed(Buffer.from([0x10, 0x10, 0x11]))], [0x10]);
  assert.equal(s.detached, true);
});

test('a one-key sequence detaches at once', () => {
  const s = new DetachScanner(parseDetachKeys('x'));
  assert.equal(s.feed(Buffer.from('abxc')).toString(), 'ab');
  assert.equal(s.detached, true);
});
