import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { InvalidArgumentError } from '../core/errdefs.js';
import {
  ADJECTIVES,
  chooseContainerName,
  isValidContainerName,
  NAME_ATTEMPTS,
  NOUNS,
  randomName,
  validateContainerName,
} from './names.js';

/** A random source that returns the given values in turn. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => {
    const v = values[i++];
    if (v === undefined) throw new Error('random source exhausted');
    return v;
  };
}

describe('word lists', () => {
  it('are sizeable, lowercase and free of duplicates', () => {
    assert.ok(ADJECTIVES.length >= 60, `${ADJECTIVES.length} adjectives`);
    assert.ok(NOUNS.length >= 80, `${NOUNS.length} nouns`);
    for (const w of [...ADJECTIVES, ...NOUNS]) assert.match(w, /^[a-z]+$/);
    assert.equal(new Set(ADJECTIVES).size, ADJECTIVES.length);
    assert.equal(new Set(NOUNS).size, NOUNS.length);
  });
  it('every combination is a valid container name', () => {
    for (const a of ADJECTIVES) for (const n of NOUNS) assert.ok(isValidContainerName(`${a}_${n}`), `${a}_${n}`);
  });
});

describe('randomName', () => {
  it('picks by the injected random source', () => {
    assert.equal(randomName({ random: sequence(0, 0) }), `${ADJECTIVES[0]}_${NOUNS[0]}`);
    assert.equal(
      randomName({ random: sequence(0.999999, 0.999999) }),
      `${ADJECTIVES[ADJECTIVES.length - 1]}_${NOUNS[NOUNS.length - 1]}`,
    );
  });
  it('stays in range even if the source returns 1', () => {
    assert.equal(randomName({ random: () => 1 }), `${ADJECTIVES[ADJECTIVES.length - 1]}_${NOUNS[NOUNS.length - 1]}`);
  });
  it('appends one digit on retries', () => {
    assert.equal(randomName({ random: sequence(0, 0, 0.75), retry: 1 }), `${ADJECTIVES[0]}_${NOUNS[0]}7`);
    assert.match(randomName({ retry: 3 }), /^[a-z]+_[a-z]+[0-9]$/);
    assert.match(randomName({ retry: 0 }), /^[a-z]+_[a-z]+$/);
  });
  it('uses Math.random by default and varies', () => {
    const names = new Set(Array.from({ length: 50 }, () => randomName()));
    assert.ok(names.size > 10);
  });
});

describe('chooseContainerName', () => {
  const id = 'f00dfeed0123456789abcdef0123456789abcdef0123456789abcdef01234567';
  it('returns the first free candidate', () => {
    const asked: string[] = [];
    const name = chooseContainerName(id, (n) => (asked.push(n), asked.length < 3), { random: () => 0 });
    assert.equal(asked.length, 3);
    assert.equal(asked[0], `${ADJECTIVES[0]}_${NOUNS[0]}`);
    assert.equal(asked[1], `${ADJECTIVES[0]}_${NOUNS[0]}0`);
    assert.equal(name, asked[2]);
  });
  it('falls back to the short ID after six collisions', () => {
    let asked = 0;
    const name = chooseContainerName(id, () => (asked++, true));
    assert.equal(asked, NAME_ATTEMPTS);
    assert.equal(name, 'f00dfeed0123');
  });
});

describe('isValidContainerName', () => {
  const cases: Array<[string, boolean]> = [
    ['web', true],
    ['/web', true],
    ['ab', true],
    ['a1', true],
    ['My_Container.v2-x', true],
    ['0abc', true],
    ['brave_turing', true],
    ['a', false], // Docker needs two characters
    ['/a', false],
    ['', false],
    ['/', false],
    ['//web', false],
    ['_web', false],
    ['.web', false],
    ['-web', false],
    ['web/1', false],
    ['web 1', false],
    ['wéb', false],
    ['web\n', false],
  ];
  for (const [name, expected] of cases) {
    it(`${JSON.stringify(name)} → ${expected}`, () => assert.equal(isValidContainerName(name), expected));
  }
  it('validateContainerName throws in Docker words', () => {
    validateContainerName('/ok-name');
    assert.throws(
      () => validateContainerName('bad name'),
      (err: unknown) =>
        err instanceof InvalidArgumentError &&
        err.message === 'Invalid container name (bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed',
    );
  });
});
