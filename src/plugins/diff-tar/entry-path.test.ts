import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../core/errdefs.js';
import { ancestorsOf, cleanEntryPath, parentOf } from './entry-path.js';

describe('cleanEntryPath', () => {
  it('strips ./ prefixes, empty and . components, and resolves .. that stays inside', () => {
    const cases: Array<[string, string]> = [
      ['./', ''],
      ['.', ''],
      ['./bin/sh', 'bin/sh'],
      ['././bin//sh/', 'bin/sh'],
      ['a/./b/../c', 'a/c'],
      ['a/..', ''],
      ['usr/lib/', 'usr/lib'],
    ];
    for (const [raw, clean] of cases) assert.equal(cleanEntryPath(raw, raw), clean, raw);
  });

  it('refuses escapes and absolute paths, naming the entry', () => {
    const cases: Array<[string, string]> = [
      ['..', 'invalid tar entry "..": path escapes the layer root'],
      ['../x', 'invalid tar entry "../x": path escapes the layer root'],
      ['a/../../x', 'invalid tar entry "a/../../x": path escapes the layer root'],
      ['./../x', 'invalid tar entry "./../x": path escapes the layer root'],
      ['/etc/passwd', 'invalid tar entry "/etc/passwd": path is absolute'],
      ['a\0b', 'invalid tar entry "a\\u0000b": path contains a NUL byte'],
    ];
    for (const [raw, message] of cases) {
      assert.throws(() => cleanEntryPath(raw, raw), (err: unknown) => {
        assert.ok(err instanceof InvalidArgumentError);
        assert.equal(err.message, message);
        return true;
      });
    }
  });

  it('names the role and the raw value for a hardlink target', () => {
    assert.throws(() => cleanEntryPath('../../etc/passwd', 'h', 'hardlink target'), {
      message: 'invalid tar entry "h": hardlink target "../../etc/passwd" escapes the layer root',
    });
  });
});

describe('parentOf and ancestorsOf', () => {
  it('walk a clean relative path', () => {
    assert.equal(parentOf('a/b/c'), 'a/b');
    assert.equal(parentOf('a'), '');
    assert.deepEqual(ancestorsOf('a/b/c'), ['a', 'a/b']);
    assert.deepEqual(ancestorsOf('a'), []);
    assert.deepEqual(ancestorsOf(''), []);
  });
});
