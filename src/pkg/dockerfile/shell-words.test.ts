import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandWord, expandWords, referencedVariables, ShellWordError } from './shell-words.js';

const vars: Record<string, string> = { A: 'a', EMPTY: '', SP: 'x y', HOME: '/root' };
const lookup = (n: string): string | undefined => vars[n];

describe('expandWord', () => {
  const cases: Array<[string, string]> = [
    ['$A', 'a'],
    ['${A}', 'a'],
    ['pre${A}post', 'preapost'],
    ['$UNSET', ''],
    ['${UNSET:-def}', 'def'],
    ['${EMPTY:-def}', 'def'],
    ['${EMPTY-def}', ''],
    ['${UNSET-def}', 'def'],
    ['${A:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET:+alt}', ''],
    ['${UNSET:-$A}', 'a'],
    ["'$A'", '$A'],
    ['"$A b"', 'a b'],
    ['"\\$A"', '$A'],
    ['\\$A', '$A'],
    ['a\\ b', 'a b'],
    ['$', '$'],
    ['"a"\'b\'c', 'abc'],
    ['$1x', 'x'],
  ];
  for (const [input, want] of cases) it(`expands ${input}`, () => assert.equal(expandWord(input, lookup), want));

  it('uses the escape directive character', () => assert.equal(expandWord('`$A', lookup, '`'), '$A'));
  it('fails on an unterminated quote', () => assert.throws(() => expandWord('"abc', lookup), ShellWordError));
  it('fails on a missing brace', () => assert.throws(() => expandWord('${A', lookup), ShellWordError));
  it('fails on ${x:?msg} when unset', () => assert.throws(() => expandWord('${UNSET:?need it}', lookup), /UNSET: need it/));
});

describe('expandWords', () => {
  it('splits at unquoted whitespace', () => assert.deepEqual(expandWords('a "b c"  d', lookup), ['a', 'b c', 'd']));
  it('keeps an expanded value as one word', () => assert.deepEqual(expandWords('$SP z', lookup), ['x y', 'z']));
  it('drops words that expand to nothing', () => assert.deepEqual(expandWords('$UNSET b', lookup), ['b']));
  it('keeps an explicit empty string', () => assert.deepEqual(expandWords('"" b', lookup), ['', 'b']));
});

describe('referencedVariables', () => {
  it('finds both forms', () => assert.deepEqual([...referencedVariables('$A ${B:-x} c')], ['A', 'B']));
});
