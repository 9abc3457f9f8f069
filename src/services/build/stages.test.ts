import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../core/errdefs.js';
import { parseDockerfile } from '../../pkg/dockerfile/parse.js';
import { contextPath, goMatchRegExp } from './build-context.js';
import { explainMiss } from './cache-explain.js';
import { applyMetadata } from './metadata-instructions.js';
import { planBuild } from './stages.js';
import type { BuildCacheRecord } from '../../core/metadata.js';
import type { ImageRuntimeConfig } from '../../core/images.js';

const plan = (text: string, args: Record<string, string> = {}, target?: string): ReturnType<typeof planBuild> =>
  planBuild(parseDockerfile(text), new Map(Object.entries(args)), target);

describe('planBuild', () => {
  const df = 'ARG V=1\nFROM busybox:${V} AS a\nRUN a\nFROM a AS b\nRUN b\nFROM busybox AS c\nCOPY --from=a /x /x\nFROM scratch AS d\nRUN d\n';
  it('expands FROM with the meta args and build args', () => {
    assert.equal(plan(df).stages[0]?.base, 'busybox:1');
    assert.equal(plan(df, { V: '2' }).stages[0]?.base, 'busybox:2');
  });
  it('builds only what the target needs', () => {
    assert.deepEqual(plan(df, {}, 'b').needed.map((s) => s.name), ['a', 'b']);
    assert.deepEqual(plan(df, {}, 'c').needed.map((s) => s.name), ['a', 'c']);
    assert.deepEqual(plan(df).needed.map((s) => s.name), ['d']);
  });
  it('refuses an unknown target, a duplicate name, a forward reference and an instruction before FROM', () => {
    assert.throws(() => plan(df, {}, 'x'), /failed to reach build target x in Dockerfile/);
    assert.throws(() => plan('FROM a AS x\nFROM b AS x\n'), /duplicate name x/);
    assert.throws(() => plan('FROM busybox\nCOPY --from=later /a /b\nFROM busybox AS later\n'), /stage "later" is not defined before it is used/);
    assert.throws(() => plan('RUN x\nFROM busybox\n'), (e: unknown) => e instanceof InvalidArgumentError && /line 1: no build stage in current context/.test(e.message));
    assert.throws(() => plan('FROM a b\n'), /FROM requires either one or three arguments/);
  });
});

describe('applyMetadata', () => {
  const vars = { escape: '\\', lookup: (n: string): string | undefined => ({ A: 'x' })[n], cmdSet: false };
  const apply = (line: string, cfg: ImageRuntimeConfig = {}): ImageRuntimeConfig => {
    applyMetadata(parseDockerfile(line).instructions[0]!, cfg, { ...vars }, {});
    return cfg;
  };
  it('ENV, LABEL, WORKDIR, EXPOSE, CMD, ENTRYPOINT and SHELL', () => {
    assert.deepEqual(apply('ENV B=$A C="d e"').Env, ['B=x', 'C=d e']);
    assert.deepEqual(apply('ENV B=1', { Env: ['B=0', 'Z=1'] }).Env, ['B=1', 'Z=1']);
    assert.deepEqual(apply('LABEL "a b"=c').Labels, { 'a b': 'c' });
    assert.equal(apply('WORKDIR rel', { WorkingDir: '/base' }).WorkingDir, '/base/rel');
    assert.deepEqual(apply('EXPOSE 80 81/udp').ExposedPorts, { '80/tcp': {}, '81/udp': {} });
    assert.deepEqual(apply('CMD echo hi').Cmd, ['/bin/sh', '-c', 'echo hi']);
    assert.deepEqual(apply('CMD ["a","b"]').Cmd, ['a', 'b']);
    assert.deepEqual(apply('ENTRYPOINT ["e"]', { Cmd: ['inherited'] }).Cmd, null);
    assert.deepEqual(apply('CMD x', { Shell: ['/bin/bash', '-c'] }).Cmd, ['/bin/bash', '-c', 'x']);
  });
  it('refuses bad input in Docker\'s words', () => {
    assert.throws(() => apply('SHELL /bin/sh'), /SHELL requires the arguments to be in JSON form/);
    assert.throws(() => apply('EXPOSE abc'), /invalid containerPort: abc/);
    assert.throws(() => apply('ONBUILD ONBUILD RUN x'), /Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed/);
    assert.throws(() => apply('ONBUILD FROM x'), /FROM isn't allowed as an ONBUILD trigger/);
    assert.throws(() => apply('HEALTHCHECK WHAT x'), /Unknown type "WHAT" in HEALTHCHECK/);
    assert.throws(() => apply('ENV A=1 B'), /can't find = in "B"/);
  });
});

describe('COPY sources', () => {
  it('keeps paths inside the context', () => {
    assert.equal(contextPath('/a/../b/'), 'b');
    assert.equal(contextPath('.'), '');
    assert.throws(() => contextPath('../x'), /forbidden path outside the build context: \.\.\/x \(\)/);
    assert.throws(() => contextPath('a/../../x'), /forbidden path outside the build context/);
  });
  it('matches wildcards as Go\'s filepath.Match', () => {
    assert.ok(goMatchRegExp('*.txt').test('a.txt'));
    assert.ok(!goMatchRegExp('*.txt').test('d/a.txt'));
    assert.ok(goMatchRegExp('d/?.t[x-z]t').test('d/a.txt'));
    assert.ok(!goMatchRegExp('[!a]b').test('ab'));
  });
});

describe('explainMiss', () => {
  const row = (description: object): BuildCacheRecord => ({
    key: 'k', parentId: 'p', imageId: 'sha256:1', configJson: '{}', chainIds: [], description: JSON.stringify(description), createdAt: '', lastUsed: '',
  });
  it('names the build arg or the files that changed', () => {
    const earlier = [row({ instruction: 'RUN x', args: { A: '1' }, files: {} })];
    assert.equal(explainMiss(earlier, { instruction: 'RUN x', args: { A: '2' }, files: {} }), 'build arg A changed');
    const copy = [row({ instruction: 'COPY . /', args: {}, files: { a: '1', b: '1' } })];
    assert.equal(explainMiss(copy, { instruction: 'COPY . /', args: {}, files: { a: '2', c: '1' } }), 'files changed: a, b (gone), c (new)');
  });
  it('says the instruction changed, and nothing on a first build', () => {
    assert.equal(explainMiss([row({ instruction: 'ENV A=1', args: {}, files: {} })], { instruction: 'ENV A=2', args: {}, files: {} }), 'the instruction changed (was: ENV A=1)');
    assert.equal(explainMiss([], { instruction: 'ENV A=2', args: {}, files: {} }), undefined);
  });
});
