import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DockerfileParseError, parseDockerfile, parseFlags, splitKeyValues } from './parse.js';

describe('parseDockerfile', () => {
  it('reads instructions, comments and continuations', () => {
    const df = parseDockerfile('# comment\nFROM busybox AS base\n\nRUN echo a \\\n  # inside\n  && echo b\ncmd ["sh", "-c", "x"]\n');
    assert.deepEqual(
      df.instructions.map((i) => [i.cmd, i.line, i.rest, i.json]),
      [
        ['from', 2, 'busybox AS base', undefined],
        ['run', 4, 'echo a   && echo b', undefined],
        ['cmd', 7, '["sh", "-c", "x"]', ['sh', '-c', 'x']],
      ],
    );
  });

  it('honours the escape directive', () => {
    const df = parseDockerfile('# escape=`\nFROM busybox\nRUN echo a `\n b\nCOPY c:\\x /y\n');
    assert.equal(df.escape, '`');
    assert.equal(df.instructions[1]?.rest, 'echo a  b');
    assert.equal(df.instructions[2]?.rest, 'c:\\x /y');
  });

  it('notes the syntax directive and stops reading directives at the first other line', () => {
    const df = parseDockerfile('# syntax=docker/dockerfile:1\n# escape=`\nFROM x\n');
    assert.equal(df.syntax, 'docker/dockerfile:1');
    assert.equal(df.escape, '`');
    assert.equal(parseDockerfile('FROM x\n# escape=`\n').escape, '\\');
  });

  it('reads flags only where instructions take them', () => {
    const df = parseDockerfile('FROM x\nCOPY --from=build --chown=1:2 a b\nCMD --help\n');
    assert.deepEqual(df.instructions[1]?.flags, ['--from=build', '--chown=1:2']);
    assert.equal(df.instructions[1]?.rest, 'a b');
    assert.deepEqual(df.instructions[2]?.flags, []);
    assert.equal(df.instructions[2]?.rest, '--help');
  });

  it('reads heredocs', () => {
    const df = parseDockerfile('FROM x\nRUN <<EOF\necho $A\necho b\nEOF\nCOPY <<-"END" /f\n\thello\n\tEND\nCMD x\n');
    assert.deepEqual(df.instructions[1]?.heredocs, [{ name: 'EOF', content: 'echo $A\necho b\n', expand: true }]);
    assert.deepEqual(df.instructions[2]?.heredocs, [{ name: 'END', content: 'hello\n', expand: false }]);
    assert.equal(df.instructions[3]?.cmd, 'cmd');
  });

  it('treats a malformed JSON array as shell form', () => {
    assert.equal(parseDockerfile('CMD [sh, -c]\n').instructions[0]?.json, undefined);
  });

  it('names the line of an unknown instruction', () => {
    assert.throws(() => parseDockerfile('FROM x\n\nFOO bar\n'), (e: unknown) => e instanceof DockerfileParseError && e.message === 'dockerfile parse error on line 3: unknown instruction: FOO');
  });

  it('refuses an unterminated heredoc and a bad escape', () => {
    assert.throws(() => parseDockerfile('RUN <<EOF\nx\n'), /line 1: unterminated heredoc EOF/);
    assert.throws(() => parseDockerfile('# escape=x\nFROM x'), /invalid escape token/);
  });
});

describe('splitKeyValues', () => {
  it('splits pairs and keeps quotes for the expander', () => {
    assert.deepEqual(splitKeyValues('A=1 B="x y" C=', '\\'), [['A', '1'], ['B', '"x y"'], ['C', '']]);
  });
  it('reads the legacy one-pair form', () => assert.deepEqual(splitKeyValues('A hello world', '\\'), [['A', 'hello world']]));
  it('allows bare keys for ARG', () => assert.deepEqual(splitKeyValues('A B=2', '\\', { allowBareKeys: true }), [['A', undefined], ['B', '2']]));
  it('refuses a word without = after the first pair', () => assert.throws(() => splitKeyValues('A=1 B', '\\'), /can't find = in "B"/));
});

describe('parseFlags', () => {
  it('refuses an unknown flag', () => {
    const ins = parseDockerfile('COPY --bogus=1 a b').instructions[0]!;
    assert.throws(() => parseFlags(ins, ['from']), /unknown flag: --bogus/);
  });
});
