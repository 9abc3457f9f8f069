import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getTimestamp, parseGoDuration } from './containers.js';
import { parseFilters } from './filters.js';
import { tagTarget } from './images.js';
import { toStatusError } from './run.js';
import { EngineApiError } from '../../client/errors.js';

test('tagTarget normalises the target like docker client ImageTag', () => {
  assert.deepEqual(tagTarget('busybox', 'foo/bar'), { repo: 'docker.io/foo/bar', tag: 'latest' });
  assert.deepEqual(tagTarget('busybox', 'bar:v2'), { repo: 'docker.io/library/bar', tag: 'v2' });
  assert.deepEqual(tagTarget('c76f1e1fea5c', 'localhost:5000/x:1'), { repo: 'localhost:5000/x', tag: '1' });
  assert.throws(() => tagTarget('busybox', 'Foo'), /Error parsing reference: "Foo" is not a valid repository\/tag: invalid reference format: repository name \(library\/Foo\) must be lowercase/);
  assert.throws(() => tagTarget('busybox', 'bar@sha256:' + 'a'.repeat(64)), /refusing to create a tag with a digest reference/);
});

test('parseFilters builds the API filter map', () => {
  assert.deepEqual(parseFilters(['status=exited', 'Label=a=b', 'status=created', 'name = x ']), {
    status: { exited: true, created: true },
    label: { 'a=b': true },
    name: { x: true },
  });
  assert.throws(() => parseFilters(['nope']), /bad format of filter \(expected name=value\)/);
});

test('toStatusError maps start failures to docker exit codes', () => {
  const err = (m: string): { code: number; msg: string } => {
    const s = toStatusError(new EngineApiError(500, m));
    return { code: s.statusCode, msg: s.message };
  };
  assert.equal(err('exec: "/nonexist": stat /nonexist: no such file or directory: unknown').code, 127);
  assert.equal(err('exec: "foo": executable file not found in $PATH: unknown').code, 127);
  assert.equal(err('exec: "/etc": permission denied: unknown').code, 126);
  assert.equal(err('read /x: is a directory').code, 126);
  const other = err('Conflict. The container name "/x" is already in use');
  assert.equal(other.code, 125);
  assert.equal(other.msg, "berth: Error response from daemon: Conflict. The container name \"/x\" is already in use\n\nRun 'berth run --help' for more information");
});

test('parseGoDuration and getTimestamp follow docker timetypes', () => {
  assert.equal(parseGoDuration('42m'), 42 * 60_000);
  assert.equal(parseGoDuration('1h30m'), 90 * 60_000);
  assert.equal(parseGoDuration('1.5s'), 1500);
  assert.equal(parseGoDuration('abc'), undefined);
  const now = Date.UTC(2026, 0, 1, 0, 0, 0);
  assert.equal(getTimestamp('10m', now), String(now / 1000 - 600));
  assert.equal(getTimestamp('2013-01-02T13:23:37Z', now), '1357133017.000000000');
  assert.equal(getTimestamp('2013-01-02T13:23:37.5Z', now), '1357133017.500000000');
  assert.equal(getTimestamp('1357133017', now), '1357133017');
  assert.throws(() => getTimestamp('garbage', now), /failed to parse value as time or duration: "garbage"/);
});
