import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isFullId, newId, shortId, truncId } from './ids.js';

describe('newId', () => {
  it('makes 64 lowercase hex characters, all different', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const id = newId();
      assert.match(id, /^[a-f0-9]{64}$/);
      seen.add(id);
    }
    assert.equal(seen.size, 200);
  });

  it('draws again when the short form is all digits', () => {
    const draws = [
      Buffer.from('0123456789ab'.padEnd(64, '0').replace(/[ab]/g, '9'), 'hex'), // short form "012345678999"
      Buffer.from('0123456789ab'.padEnd(64, 'f'), 'hex'),
    ];
    let calls = 0;
    const id = newId({
      randomBytes: (size) => {
        assert.equal(size, 32);
        return draws[calls++] as Buffer;
      },
    });
    assert.equal(calls, 2);
    assert.equal(id, '0123456789ab'.padEnd(64, 'f'));
  });
});

describe('shortId', () => {
  const cases: Array<[string, string]> = [
    ['7cc4b5aefd1d0cadf8d97d4350462ba51c694ebca145b08d7d41b41acc8db5aa', '7cc4b5aefd1d'],
    ['sha256:7cc4b5aefd1d0cadf8d97d4350462ba51c694ebca145b08d7d41b41acc8db5aa', '7cc4b5aefd1d'],
    ['sha512:0123456789abcdef', '0123456789ab'],
    ['abc', 'abc'],
    ['sha256:abc', 'abc'],
    ['', ''],
  ];
  for (const [input, expected] of cases) {
    it(`${input} → ${expected}`, () => {
      assert.equal(shortId(input), expected);
      assert.equal(truncId(input), expected);
    });
  }
});

describe('isFullId', () => {
  it('accepts exactly 64 lowercase hex', () => {
    assert.ok(isFullId('a'.repeat(64)));
    assert.ok(!isFullId('a'.repeat(63)));
    assert.ok(!isFullId('A'.repeat(64)));
    assert.ok(!isFullId(`sha256:${'a'.repeat(64)}`));
  });
});
