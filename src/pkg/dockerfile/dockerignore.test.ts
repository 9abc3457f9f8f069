import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PatternMatcher, readDockerignore } from './dockerignore.js';

function ignored(patterns: string[], file: string): boolean {
  return new PatternMatcher(patterns).matches(file);
}

describe('readDockerignore', () => {
  it('skips comments and blanks, cleans paths and strips a leading slash', () => {
    assert.deepEqual(readDockerignore('# c\n\n /a/b/ \n!./c\nd/../e\n'), ['a/b', '!c', 'e']);
  });
});

describe('PatternMatcher', () => {
  const cases: Array<[string[], string, boolean]> = [
    [['*.log'], 'a.log', true],
    [['*.log'], 'dir/a.log', false],
    [['**/*.log'], 'dir/sub/a.log', true],
    [['**/*.log'], 'a.log', true],
    [['dir'], 'dir/sub/file', true],
    [['dir/*'], 'dir/file', true],
    [['dir/*'], 'dir', false],
    [['a?c'], 'abc', true],
    [['a?c'], 'a/c', false],
    [['[a-c]x'], 'bx', true],
    [['[!a-c]x'], 'bx', false],
    [['*', '!keep'], 'keep', false],
    [['*', '!keep'], 'other', true],
    [['*.md', '!README.md', 'README.md'], 'README.md', true],
    [['dir', '!dir/keep'], 'dir/keep', false],
    [['dir', '!dir/keep'], 'dir/drop', true],
    [['dir/**'], 'dir/a/b', true],
    [['a\\*b'], 'a*b', true],
    [['a\\*b'], 'axb', false],
    [['node_modules'], 'node_modules', true],
    [['/abs'], 'abs', true],
  ];
  for (const [patterns, file, want] of cases) {
    it(`${JSON.stringify(patterns)} ${want ? 'ignores' : 'keeps'} ${file}`, () => assert.equal(ignored(readDockerignore(patterns.join('\n')), file), want));
  }

  it('skips a directory only when no exception could re-include its content', () => {
    assert.equal(new PatternMatcher(['dir']).skipsDirectory('dir'), true);
    assert.equal(new PatternMatcher(['dir', '!dir/keep']).skipsDirectory('dir'), false);
  });
});
