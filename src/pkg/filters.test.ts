import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { InvalidArgumentError } from '../core/errdefs.js';
import { encodeFilters, Filters, parseFilterFlag, parseFilters } from './filters.js';

function entries(f: Filters): Record<string, string[]> {
  return Object.fromEntries(f.keys().map((k) => [k, f.get(k).sort()]));
}

describe('parseFilters', () => {
  const valid: Array<[input: string | undefined | null, expected: Record<string, string[]>]> = [
    [undefined, {}],
    [null, {}],
    ['', {}],
    ['null', {}],
    ['{}', {}],
    ['{"status":{"running":true}}', { status: ['running'] }],
    ['{"status":{"running":true,"exited":true}}', { status: ['exited', 'running'] }],
    ['{"status":["running"]}', { status: ['running'] }],
    ['{"status":["running","exited"],"label":["a=b"]}', { status: ['exited', 'running'], label: ['a=b'] }],
    ['{"label":{"com.example=1":true},"dangling":{"true":true}}', { label: ['com.example=1'], dangling: ['true'] }],
    ['{"status":{}}', { status: [] }],
    ['{"status":[]}', { status: [] }],
    ['{"status":null}', { status: [] }],
    // A value mapped to false is dropped; the key stays.
    ['{"status":{"running":false}}', { status: [] }],
    ['{"status":{"running":true,"exited":false}}', { status: ['running'] }],
    // Duplicates collapse into a set.
    ['{"status":["running","running"]}', { status: ['running'] }],
    ['{"name":[null]}', { name: [''] }],
    ['  {"a":["b"]}  ', { a: ['b'] }],
  ];
  for (const [input, expected] of valid) {
    it(`parses ${JSON.stringify(input)}`, () => assert.deepEqual(entries(parseFilters(input)), expected));
  }

  const invalid = [
    '{',
    'not json',
    '[]',
    '["status"]',
    '"status"',
    '42',
    'true',
    '{"status":"running"}',
    '{"status":1}',
    '{"status":{"running":"yes"}}',
    '{"status":{"running":1}}',
    '{"status":[1]}',
    '{"status":[["running"]]}',
    // The two forms cannot be mixed (Docker tries each for the whole document).
    '{"status":{"running":true},"label":["a"]}',
  ];
  for (const input of invalid) {
    it(`refuses ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => parseFilters(input),
        (err: unknown) => err instanceof InvalidArgumentError && err.message === 'invalid filter',
      );
    });
  }
});

describe('Filters', () => {
  it('get, has, contains, size, keys', () => {
    const f = parseFilters('{"status":{"running":true,"paused":true},"empty":{}}');
    assert.equal(f.size, 2);
    assert.deepEqual(f.keys(), ['status', 'empty']);
    assert.deepEqual(f.get('status').sort(), ['paused', 'running']);
    assert.deepEqual(f.get('nope'), []);
    assert.ok(f.has('status'));
    assert.ok(f.has('empty'));
    assert.ok(!f.has('nope'));
    assert.ok(f.contains('status', 'running'));
    assert.ok(!f.contains('status', 'exited'));
    assert.ok(!f.contains('nope', 'running'));
  });

  it('add and delete', () => {
    const f = new Filters().add('a', '1').add('a', '2').add('b', 'x');
    assert.deepEqual(entries(f), { a: ['1', '2'], b: ['x'] });
    f.delete('a', '1');
    f.delete('b', 'x');
    f.delete('zz', 'x');
    assert.deepEqual(entries(f), { a: ['2'] });
  });

  it('validate names the first unknown key in Docker words', () => {
    const f = parseFilters('{"status":["running"],"foo":["x"],"bar":["y"]}');
    assert.throws(() => f.validate(['status']), { name: 'InvalidArgumentError', message: "invalid filter 'foo'" });
    assert.throws(() => f.validate(new Set(['status', 'foo'])), { message: "invalid filter 'bar'" });
    f.validate(['status', 'foo', 'bar', 'other']);
    new Filters().validate([]);
  });

  it('match is exact and passes when the key is absent or empty', () => {
    const f = parseFilters('{"status":["running","paused"],"empty":[]}');
    const cases: Array<[string, string, boolean]> = [
      ['status', 'running', true],
      ['status', 'paused', true],
      ['status', 'run', false],
      ['status', 'RUNNING', false],
      ['absent', 'anything', true],
      ['empty', 'anything', true],
    ];
    for (const [key, value, expected] of cases) assert.equal(f.match(key, value), expected, `${key}=${value}`);
  });

  it('uniqueExactMatch requires a single value', () => {
    assert.ok(parseFilters('{"a":["x"]}').uniqueExactMatch('a', 'x'));
    assert.ok(!parseFilters('{"a":["x"]}').uniqueExactMatch('a', 'y'));
    assert.ok(!parseFilters('{"a":["x","y"]}').uniqueExactMatch('a', 'x'));
    assert.ok(parseFilters('{}').uniqueExactMatch('a', 'x'));
  });

  it('fuzzyMatch accepts prefixes', () => {
    const f = parseFilters('{"id":["abc","0f"]}');
    assert.ok(f.fuzzyMatch('id', 'abc'));
    assert.ok(f.fuzzyMatch('id', 'abcdef0123'));
    assert.ok(f.fuzzyMatch('id', '0f12'));
    assert.ok(!f.fuzzyMatch('id', 'ab'));
    assert.ok(!f.fuzzyMatch('id', 'xabc'));
    assert.ok(f.fuzzyMatch('other', 'x'));
  });

  it('regexMatch matches unanchored expressions and skips invalid ones', () => {
    const f = parseFilters('{"name":["web","^db-[0-9]+$","(["]}');
    assert.ok(f.regexMatch('name', 'web'));
    assert.ok(f.regexMatch('name', 'my-web-1'));
    assert.ok(f.regexMatch('name', 'db-12'));
    assert.ok(!f.regexMatch('name', 'db-x'));
    assert.ok(!f.regexMatch('name', 'cache'));
    assert.ok(f.regexMatch('(["', 'x'), 'absent key passes');
    assert.ok(parseFilters('{"name":["(["]}').regexMatch('name', '(['), 'an invalid expression still matches exactly');
  });

  describe('matchKVList', () => {
    const labels = { a: '1', b: '', 'com.example.x': 'y=z' };
    const cases: Array<[filters: string[], labels: Record<string, string> | undefined, expected: boolean]> = [
      [[], labels, true],
      [['a'], labels, true],
      [['a=1'], labels, true],
      [['a=2'], labels, false],
      [['a='], labels, false],
      [['b'], labels, true],
      [['b='], labels, true],
      [['c'], labels, false],
      [['a', 'b'], labels, true],
      [['a=1', 'c'], labels, false],
      [['com.example.x=y=z'], labels, true],
      [['com.example.x=y'], labels, false],
      [['a'], {}, false],
      [['a'], undefined, false],
      [['constructor'], {}, false],
      [['toString'], labels, false],
    ];
    for (const [values, input, expected] of cases) {
      it(`label=${JSON.stringify(values)} on ${JSON.stringify(input)} → ${expected}`, () => {
        const f = new Filters(values.length > 0 ? [['label', values]] : []);
        assert.equal(f.matchKVList('label', input), expected);
        assert.equal(f.matchKVList('label', input === undefined ? undefined : new Map(Object.entries(input))), expected);
      });
    }
  });

  it('matchLabels applies label and label! as prune does', () => {
    const labels = { env: 'prod', team: 'x' };
    const cases: Array<[filter: Record<string, string[]>, expected: boolean]> = [
      [{}, true],
      [{ label: ['env'] }, true],
      [{ label: ['env=dev'] }, false],
      [{ 'label!': ['env'] }, false],
      [{ 'label!': ['env=dev'] }, true],
      [{ 'label!': ['env=prod'] }, false],
      // Excluded only when all label! entries match.
      [{ 'label!': ['env=prod', 'team=y'] }, true],
      [{ 'label!': ['nope'] }, true],
      [{ label: ['team'], 'label!': ['env=dev'] }, true],
    ];
    for (const [filter, expected] of cases) assert.equal(Filters.from(filter).matchLabels(labels), expected, JSON.stringify(filter));
    assert.equal(Filters.from({ 'label!': ['env'] }).matchLabels(undefined), true);
  });

  it('getBool follows GetBoolOrDefault', () => {
    assert.equal(parseFilters('{}').getBool('dangling', false), false);
    assert.equal(parseFilters('{}').getBool('dangling', true), true);
    assert.equal(parseFilters('{"dangling":["true"]}').getBool('dangling', false), true);
    assert.equal(parseFilters('{"dangling":["1"]}').getBool('dangling', false), true);
    assert.equal(parseFilters('{"dangling":["false"]}').getBool('dangling', true), false);
    assert.equal(parseFilters('{"dangling":["0","false"]}').getBool('dangling', true), false);
    assert.throws(() => parseFilters('{"dangling":["maybe"]}').getBool('dangling', false), {
      name: 'InvalidArgumentError',
      message: "invalid filter 'dangling=[maybe]'",
    });
    assert.throws(() => parseFilters('{"dangling":["true","false"]}').getBool('dangling', false), {
      message: "invalid filter 'dangling=[true false]'",
    });
    assert.throws(() => parseFilters('{"dangling":[]}').getBool('dangling', false), { message: "invalid filter 'dangling'" });
  });
});

describe('encodeFilters', () => {
  it('encodes the modern form and round-trips', () => {
    const json = encodeFilters({ status: ['running', 'paused'], label: 'a=b', skipped: undefined });
    assert.equal(json, '{"status":{"running":true,"paused":true},"label":{"a=b":true}}');
    assert.deepEqual(entries(parseFilters(json)), { status: ['paused', 'running'], label: ['a=b'] });
    const f = new Filters().add('dangling', 'true');
    assert.equal(encodeFilters(f), '{"dangling":{"true":true}}');
  });
  it('is empty for no filters', () => {
    assert.equal(encodeFilters({}), '');
    assert.equal(encodeFilters(new Filters()), '');
    assert.equal(encodeFilters({ a: undefined }), '');
  });
  it('keeps a key listed with no values', () => {
    assert.equal(encodeFilters({ a: [] }), '{"a":{}}');
  });
});

describe('parseFilterFlag', () => {
  const cases: Array<[string, [string, string]]> = [
    ['status=running', ['status', 'running']],
    ['label=a=b', ['label', 'a=b']],
    ['label!=a', ['label!', 'a']],
    [' Status = running ', ['status', 'running']],
    ['name=', ['name', '']],
  ];
  for (const [input, expected] of cases) it(JSON.stringify(input), () => assert.deepEqual(parseFilterFlag(input), expected));
  it('refuses a flag without =', () => {
    assert.throws(() => parseFilterFlag('dangling'), {
      name: 'InvalidArgumentError',
      message: 'bad format of filter (expected name=value)',
    });
  });
});
