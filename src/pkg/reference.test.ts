import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { InvalidArgumentError } from '../core/errdefs.js';
import {
  compileGoPathPattern,
  familiarName,
  familiarString,
  fullName,
  isValidTag,
  looksLikeIdPrefix,
  matchReferenceFilter,
  normalizedString,
  parseAnyReference,
  parseReference,
  parseRepositoryTag,
  referenceEquals,
  toDockerRef,
  tryParseReference,
  withDefaultTag,
  withTag,
  type ImageReference,
} from './reference.js';

const HEX = '7cc4b5aefd1d0cadf8d97d4350462ba51c694ebca145b08d7d41b41acc8db5aa';
const DIGEST = `sha256:${HEX}`;

function assertInvalid(input: string, message: string | RegExp): void {
  assert.throws(
    () => parseReference(input),
    (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError, `expected InvalidArgumentError for ${JSON.stringify(input)}, got ${String(err)}`);
      if (typeof message === 'string') assert.equal(err.message, message, `message for ${JSON.stringify(input)}`);
      else assert.match(err.message, message, `message for ${JSON.stringify(input)}`);
      return true;
    },
  );
}

describe('parseReference', () => {
  // input → normalised string, familiar string, domain, path
  const valid: Array<[input: string, normalized: string, familiar: string, domain: string, path: string]> = [
    ['busybox', 'docker.io/library/busybox', 'busybox', 'docker.io', 'library/busybox'],
    ['busybox:latest', 'docker.io/library/busybox:latest', 'busybox:latest', 'docker.io', 'library/busybox'],
    ['busybox:1.36.1-musl', 'docker.io/library/busybox:1.36.1-musl', 'busybox:1.36.1-musl', 'docker.io', 'library/busybox'],
    ['library/busybox', 'docker.io/library/busybox', 'busybox', 'docker.io', 'library/busybox'],
    ['docker.io/busybox', 'docker.io/library/busybox', 'busybox', 'docker.io', 'library/busybox'],
    ['docker.io/library/busybox', 'docker.io/library/busybox', 'busybox', 'docker.io', 'library/busybox'],
    ['index.docker.io/busybox', 'docker.io/library/busybox', 'busybox', 'docker.io', 'library/busybox'],
    ['index.docker.io/user/app', 'docker.io/user/app', 'user/app', 'docker.io', 'user/app'],
    ['user/app', 'docker.io/user/app', 'user/app', 'docker.io', 'user/app'],
    ['user/app:v1', 'docker.io/user/app:v1', 'user/app:v1', 'docker.io', 'user/app'],
    ['library/foo/bar', 'docker.io/library/foo/bar', 'library/foo/bar', 'docker.io', 'library/foo/bar'],
    ['store/foo/bar', 'docker.io/store/foo/bar', 'store/foo/bar', 'docker.io', 'store/foo/bar'],
    ['other/library', 'docker.io/other/library', 'other/library', 'docker.io', 'other/library'],
    ['a.b/c', 'a.b/c', 'a.b/c', 'a.b', 'c'],
    ['gcr.io/library/busybox', 'gcr.io/library/busybox', 'gcr.io/library/busybox', 'gcr.io', 'library/busybox'],
    ['localhost/app', 'localhost/app', 'localhost/app', 'localhost', 'app'],
    ['localhost:5000/app', 'localhost:5000/app', 'localhost:5000/app', 'localhost:5000', 'app'],
    ['localhost:5000/a/b:tag', 'localhost:5000/a/b:tag', 'localhost:5000/a/b:tag', 'localhost:5000', 'a/b'],
    ['127.0.0.1:5000/library/debian', '127.0.0.1:5000/library/debian', '127.0.0.1:5000/library/debian', '127.0.0.1:5000', 'library/debian'],
    ['test-com:8080/foo', 'test-com:8080/foo', 'test-com:8080/foo', 'test-com:8080', 'foo'],
    ['xn--n3h.com:18080/foo', 'xn--n3h.com:18080/foo', 'xn--n3h.com:18080/foo', 'xn--n3h.com:18080', 'foo'],
    ['[fc00::1]:5000/docker/docker', '[fc00::1]:5000/docker/docker', '[fc00::1]:5000/docker/docker', '[fc00::1]:5000', 'docker/docker'],
    // A first component without '.' or ':' is a Hub namespace…
    ['test_com/foo', 'docker.io/test_com/foo', 'test_com/foo', 'docker.io', 'test_com/foo'],
    // …unless it has uppercase letters, which a namespace cannot have: then Docker takes it as a registry.
    ['Foo/bar', 'Foo/bar', 'Foo/bar', 'Foo', 'bar'],
    ['FOO/bar:Tag', 'FOO/bar:Tag', 'FOO/bar:Tag', 'FOO', 'bar'],
    // A bare `localhost` is a repository name, not a registry (distribution/reference FIXME).
    ['localhost', 'docker.io/library/localhost', 'localhost', 'docker.io', 'library/localhost'],
    ['localhost:5000', 'docker.io/library/localhost:5000', 'localhost:5000', 'docker.io', 'library/localhost'],
    // Separators: one '.', one or two '_', any number of '-'.
    ['dock__er/dock---er', 'docker.io/dock__er/dock---er', 'dock__er/dock---er', 'docker.io', 'dock__er/dock---er'],
    ['d/docker', 'docker.io/d/docker', 'd/docker', 'docker.io', 'd/docker'],
    ['a.b-c/d.e_f__g', 'a.b-c/d.e_f__g', 'a.b-c/d.e_f__g', 'a.b-c', 'd.e_f__g'],
    // 63-hex is a name, only 64 hex is refused as an ID.
    [HEX.slice(0, 63), `docker.io/library/${HEX.slice(0, 63)}`, HEX.slice(0, 63), 'docker.io', `library/${HEX.slice(0, 63)}`],
    [`docker.io/${HEX}`, `docker.io/library/${HEX}`, HEX, 'docker.io', `library/${HEX}`],
    // Tags may hold uppercase, '_', '.', '-'.
    ['busybox:A_b.C-1', 'docker.io/library/busybox:A_b.C-1', 'busybox:A_b.C-1', 'docker.io', 'library/busybox'],
    [`busybox@${DIGEST}`, `docker.io/library/busybox@${DIGEST}`, `busybox@${DIGEST}`, 'docker.io', 'library/busybox'],
    [`busybox:tag@${DIGEST}`, `docker.io/library/busybox:tag@${DIGEST}`, `busybox:tag@${DIGEST}`, 'docker.io', 'library/busybox'],
    [`localhost:5000/a@${DIGEST}`, `localhost:5000/a@${DIGEST}`, `localhost:5000/a@${DIGEST}`, 'localhost:5000', 'a'],
    // `sha256:abc` is a name with a tag, as in Docker.
    ['sha256:abc', 'docker.io/library/sha256:abc', 'sha256:abc', 'docker.io', 'library/sha256'],
  ];
  for (const [input, normalized, familiar, domain, path] of valid) {
    it(`parses ${JSON.stringify(input)}`, () => {
      const ref = parseReference(input);
      assert.equal(ref.domain, domain);
      assert.equal(ref.path, path);
      assert.equal(normalizedString(ref), normalized);
      assert.equal(familiarString(ref), familiar);
      // Printing and parsing again is stable in both forms.
      assert.ok(referenceEquals(parseReference(normalized), ref));
      // (A familiar 64-hex name cannot be parsed back: Docker takes it for an ID.)
      if (!/^[a-f0-9]{64}$/.test(familiar)) assert.ok(referenceEquals(parseReference(familiar), ref));
    });
  }

  it('keeps tag and digest apart', () => {
    const ref = parseReference(`busybox:1.36@${DIGEST}`);
    assert.equal(ref.tag, '1.36');
    assert.equal(ref.digest, DIGEST);
    const untagged = parseReference('busybox');
    assert.equal(untagged.tag, undefined);
    assert.equal(untagged.digest, undefined);
    assert.deepEqual(Object.keys(untagged).sort(), ['domain', 'path']);
  });

  const LOWER = (name: string): string => `invalid reference format: repository name (${name}) must be lowercase`;
  const invalid: Array<[input: string, message: string | RegExp]> = [
    ['', 'invalid reference format'],
    [':tag', 'invalid reference format'],
    ['busybox:', 'invalid reference format'],
    ['a:b:c', 'invalid reference format'],
    ['busybox::tag', 'invalid reference format'],
    ['busybox:-tag', 'invalid reference format'],
    ['busybox:.tag', 'invalid reference format'],
    ['busybox:ta/g', 'invalid reference format'],
    ['busybox@', 'invalid reference format'],
    ['busybox@sha256:abc', 'invalid reference format'],
    ['-docker', 'invalid reference format'],
    ['-docker/docker', 'invalid reference format'],
    ['docker-/docker', 'invalid reference format'],
    ['_docker/docker', 'invalid reference format'],
    ['____/____', 'invalid reference format'],
    ['docker///docker', 'invalid reference format'],
    ['docker/', 'invalid reference format'],
    ['/docker', 'invalid reference format'],
    ['dock..er/docker', 'invalid reference format'],
    ['dock_.er/docker', 'invalid reference format'],
    ['dock___er/docker', 'invalid reference format'],
    ['https://github.com/docker/docker', 'invalid reference format'],
    ['[fc00::1]', 'invalid reference format'],
    ['[fc00::1]:5000', 'invalid reference format'],
    ['fc00::1:5000/debian', 'invalid reference format'],
    ['[fe80::1%eth0]:5000/debian', 'invalid reference format'],
    ['busy box', 'invalid reference format'],
    ['busybox ', 'invalid reference format'],
    ['bad!name', 'invalid reference format'],
    // Looks like a registry but is not a valid host: Docker would yield an empty domain; we refuse.
    ['a_b.com/x', 'invalid reference format'],
    ['my_host:5000/x', 'invalid reference format'],
    ['UPPER', LOWER('library/UPPER')],
    ['Busybox', LOWER('library/Busybox')],
    // Docker checks case on the remainder up to its first ':', so an empty tag is still a case error.
    ['Busybox:', LOWER('library/Busybox')],
    ['docker/Docker', LOWER('docker/Docker')],
    ['docker.io/docker/Docker', LOWER('docker/Docker')],
    ['localhost:5000/App', LOWER('App')],
    ['Foo/Bar', LOWER('Bar')],
    [`Busybox@${DIGEST}`, LOWER('library/Busybox@sha256')],
    [HEX, `invalid repository name (${HEX}), cannot specify 64-byte hexadecimal strings`],
    [`busybox@sha256:${HEX.toUpperCase()}`, 'invalid checksum digest format'],
    [`busybox@sha256:${HEX}00`, 'invalid checksum digest length'],
    [`busybox@sha512:${HEX}${HEX}`, 'unsupported digest algorithm'],
  ];
  for (const [input, message] of invalid) {
    it(`refuses ${JSON.stringify(input)}`, () => assertInvalid(input, message));
  }

  it('accepts a 128-character tag and refuses 129', () => {
    const tag128 = `a${'b'.repeat(127)}`;
    assert.equal(parseReference(`busybox:${tag128}`).tag, tag128);
    assertInvalid(`busybox:${tag128}b`, 'invalid reference format');
  });

  it('limits the full name to 255 characters', () => {
    // `docker.io/` (10) + 245 = 255.
    const ok = `${'a'.repeat(240)}/${'b'.repeat(4)}`;
    assert.equal(fullName(parseReference(ok)).length, 255);
    assertInvalid(`${'a'.repeat(240)}/${'b'.repeat(5)}`, 'repository name must not be more than 255 characters');
    // A bare name gains `docker.io/library/` (18 characters) before the check.
    parseReference('c'.repeat(237));
    assertInvalid('c'.repeat(238), 'repository name must not be more than 255 characters');
  });

  it('refuses absurdly long input quickly', () => {
    const start = Date.now();
    assertInvalid(`${'a'.repeat(100_000)}!`, 'invalid reference format');
    assertInvalid(`${'a-'.repeat(2000)}!/x`, 'invalid reference format');
    assert.ok(Date.now() - start < 2000);
  });

  it('tryParseReference returns undefined instead of throwing', () => {
    assert.equal(tryParseReference('UPPER'), undefined);
    assert.equal(tryParseReference('busybox')?.path, 'library/busybox');
  });
});

describe('reference printing', () => {
  const cases: Array<[input: string, familiarName: string, fullName: string]> = [
    ['busybox', 'busybox', 'docker.io/library/busybox'],
    ['user/app:1', 'user/app', 'docker.io/user/app'],
    ['library/a/b', 'library/a/b', 'docker.io/library/a/b'],
    ['localhost:5000/app:x', 'localhost:5000/app', 'localhost:5000/app'],
    ['quay.io/library/busybox', 'quay.io/library/busybox', 'quay.io/library/busybox'],
  ];
  for (const [input, familiar, full] of cases) {
    it(`prints ${input}`, () => {
      const ref = parseReference(input);
      assert.equal(familiarName(ref), familiar);
      assert.equal(fullName(ref), full);
    });
  }

  it('withDefaultTag adds latest only to a bare name', () => {
    assert.equal(normalizedString(withDefaultTag(parseReference('busybox'))), 'docker.io/library/busybox:latest');
    assert.equal(familiarString(withDefaultTag(parseReference('busybox'))), 'busybox:latest');
    assert.equal(familiarString(withDefaultTag(parseReference('busybox:1'))), 'busybox:1');
    assert.equal(familiarString(withDefaultTag(parseReference(`busybox@${DIGEST}`))), `busybox@${DIGEST}`);
  });

  it('toDockerRef keeps the digest over the tag, and defaults the tag', () => {
    const cases: Array<[string, string]> = [
      ['busybox', 'docker.io/library/busybox:latest'],
      ['docker.io/busybox:latest', 'docker.io/library/busybox:latest'],
      [`busybox@${DIGEST}`, `docker.io/library/busybox@${DIGEST}`],
      [`gcr.io/library/busybox:latest@${DIGEST}`, `gcr.io/library/busybox@${DIGEST}`],
    ];
    for (const [input, expected] of cases) assert.equal(normalizedString(toDockerRef(parseReference(input))), expected, input);
  });

  it('withTag validates the tag', () => {
    const ref = parseReference(`busybox:old@${DIGEST}`);
    assert.equal(familiarString(withTag(ref, 'new')), `busybox:new@${DIGEST}`);
    assert.throws(() => withTag(ref, '-bad'), { name: 'InvalidArgumentError', message: 'invalid tag format' });
    assert.throws(() => withTag(ref, 'a'.repeat(129)), { message: 'invalid tag format' });
  });

  it('isValidTag', () => {
    for (const t of ['latest', '1', '_', 'A.b-C_d', 'x'.repeat(128)]) assert.ok(isValidTag(t), t);
    for (const t of ['', '-a', '.a', 'a:b', 'a/b', 'a b', 'x'.repeat(129), 'é']) assert.ok(!isValidTag(t), t);
  });
});

describe('parseAnyReference', () => {
  it('takes 64 hex and sha256 digests as IDs', () => {
    assert.equal(parseAnyReference(HEX), DIGEST);
    assert.equal(parseAnyReference(DIGEST), DIGEST);
  });
  it('takes everything else as a reference', () => {
    const short = parseAnyReference('dbcc1');
    assert.equal(typeof short, 'object');
    assert.equal(normalizedString(short as ImageReference), 'docker.io/library/dbcc1');
    const withHost = parseAnyReference(`docker.io/${HEX}`);
    assert.equal(normalizedString(withHost as ImageReference), `docker.io/library/${HEX}`);
    assert.throws(() => parseAnyReference('UPPER'), InvalidArgumentError);
  });
});

describe('looksLikeIdPrefix', () => {
  const cases: Array<[string, boolean]> = [
    ['a', true],
    ['0123456789ab', true],
    [HEX, true],
    [DIGEST, true],
    ['sha256:7cc4', true],
    ['', false],
    ['sha256:', false],
    [`${HEX}0`, false],
    ['ABC', false],
    ['busybox', false],
    ['sha512:abc', false],
    ['g123', false],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${expected}`, () => assert.equal(looksLikeIdPrefix(input), expected));
  }
});

describe('parseRepositoryTag', () => {
  const cases: Array<[repo: string, tag: string | undefined, expected: string]> = [
    ['busybox', undefined, 'docker.io/library/busybox:latest'],
    ['busybox', '', 'docker.io/library/busybox:latest'],
    ['busybox', 'v1', 'docker.io/library/busybox:v1'],
    ['busybox:v1', undefined, 'docker.io/library/busybox:v1'],
    ['busybox:v1', 'v2', 'docker.io/library/busybox:v2'],
    ['localhost:5000/a/b', 'T_1', 'localhost:5000/a/b:T_1'],
  ];
  for (const [repo, tag, expected] of cases) {
    it(`repo=${JSON.stringify(repo)} tag=${JSON.stringify(tag)}`, () => {
      const ref = parseRepositoryTag(repo, tag);
      assert.equal(normalizedString(ref), expected);
      assert.equal(typeof ref.tag, 'string');
    });
  }
  it('refuses digests, bad tags and bad repos in Docker words', () => {
    assert.throws(() => parseRepositoryTag(`busybox@${DIGEST}`), { message: 'cannot import digest reference' });
    assert.throws(() => parseRepositoryTag('busybox', '-x'), { message: 'invalid tag format' });
    assert.throws(() => parseRepositoryTag('busybox', 'a:b'), { message: 'invalid tag format' });
    assert.throws(() => parseRepositoryTag(''), { message: 'invalid reference format' });
    assert.throws(() => parseRepositoryTag('', 'x'), { message: 'invalid reference format' });
    assert.throws(() => parseRepositoryTag('Busybox'), {
      message: 'invalid reference format: repository name (library/Busybox) must be lowercase',
    });
  });
});

describe('matchReferenceFilter', () => {
  const cases: Array<[pattern: string, ref: string, expected: boolean]> = [
    ['busybox', 'busybox:latest', true],
    ['busybox', 'busybox', true],
    ['busy*', 'busybox:latest', true],
    ['busybox:lat*', 'busybox:latest', true],
    ['busybox:lat*', 'busybox:1.36', false],
    ['busybox:latest', 'busybox:latest', true],
    ['*/app', 'user/app:1', true],
    ['*/app', 'app:1', false],
    ['*', 'user/app', false],
    ['*', 'busybox:latest', true],
    ['*/*', 'user/app:1', true],
    ['docker.io/library/busybox', 'busybox', false],
    ['library/busybox', 'busybox', false],
    ['localhost:5000/*', 'localhost:5000/app:1', true],
    ['*/foo/c/baz', 'example.com/foo/c/baz:tag', true],
    ['example.com/foo/c/baz', 'example.com/foo/c/baz:tag', true],
    ['foo/**/ba[rz]', 'foo', false],
    ['foo/**/ba[rz]', 'foo/any/bat', false],
    ['foo/**/ba[rz]', 'foo/a/bar', true],
    ['foo/**/ba[rz]', 'foo/b/baz', true],
    ['foo/**/ba[rz]', 'foo/c/baz:tag', true],
    ['foo/*/baz:tag', 'foo/c/baz:tag', true],
    ['b?sybox', 'busybox', true],
    ['b[^a]sybox', 'busybox', true],
    ['b[^u]sybox', 'busybox', false],
    ['b[a-z]sybox', 'busybox', true],
    ['b\\usybox', 'busybox', true],
    [`busybox@sha256:*`, `busybox@${DIGEST}`, true],
    ['busybox', `busybox@${DIGEST}`, true],
  ];
  for (const [pattern, input, expected] of cases) {
    it(`${pattern} ~ ${input} → ${expected}`, () => assert.equal(matchReferenceFilter(pattern, parseReference(input)), expected));
  }
  for (const bad of ['[', '[]', '[a', 'a[', '[a-', '[-a]', '[a-]', '\\', 'x[^]', '[\\']) {
    it(`refuses malformed pattern ${JSON.stringify(bad)}`, () => {
      assert.throws(() => matchReferenceFilter(bad, parseReference('busybox')), {
        name: 'InvalidArgumentError',
        message: 'syntax error in pattern',
      });
    });
  }
});

describe('compileGoPathPattern', () => {
  const cases: Array<[pattern: string, name: string, expected: boolean]> = [
    ['', '', true],
    ['', 'a', false],
    ['abc', 'abc', true],
    ['*', 'abc', true],
    ['*c', 'abc', true],
    ['a*', 'a', true],
    ['a*', 'abc', true],
    ['a*', 'ab/c', false],
    ['a*/b', 'abc/b', true],
    ['a*/b', 'a/c/b', false],
    ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
    ['a*b?c*x', 'abxbbxdbxebxczzx', true],
    ['a*b?c*x', 'abxbbxdbxebxczzy', false],
    ['ab[c]', 'abc', true],
    ['ab[b-d]', 'abc', true],
    ['ab[e-g]', 'abc', false],
    ['ab[^c]', 'abc', false],
    ['ab[^b-d]', 'abc', false],
    ['ab[^e-g]', 'abc', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'ab', false],
    ['a?b', 'a☺b', true],
    ['a[^a]b', 'a☺b', true],
    ['a???b', 'a☺b', false],
    ['[a-ζ]*', 'α', true],
    ['*[a-ζ]', 'A', false],
    ['a?b', 'a/b', false],
    ['a*b', 'a/b', false],
    ['[\\]a]', ']', true],
    ['[\\-]', '-', true],
    ['[x\\-]', 'x', true],
    ['[x\\-]', '-', true],
    ['[x\\-]', 'z', false],
    ['[\\-x]', 'x', true],
    ['[\\-x]', 'a', false],
    // A class may match '/', unlike `?` and `*`.
    ['a[/]b', 'a/b', true],
    ['[z-a]', 'm', false],
  ];
  for (const [pattern, name, expected] of cases) {
    it(`${JSON.stringify(pattern)} ~ ${JSON.stringify(name)} → ${expected}`, () =>
      assert.equal(compileGoPathPattern(pattern)(name), expected));
  }
  it('stays fast with many stars', () => {
    const start = Date.now();
    assert.equal(compileGoPathPattern('*a*a*a*a*a*a*a*a*a*a*b')('a'.repeat(300)), false);
    assert.ok(Date.now() - start < 2000);
  });
});
