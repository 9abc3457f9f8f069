import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildExecConfig, ExecFlagError, type ExecFlags } from './exec.js';

const env = (vars: Record<string, string>, files: Record<string, string> = {}) => ({
  lookup: (k: string) => vars[k],
  readFile: (p: string) => {
    const f = files[p];
    if (f === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return f;
  },
});

const flags = (over: Partial<ExecFlags> = {}): ExecFlags => ({ env: [], envFile: [], ...over });

test('buildExecConfig attaches stdout and stderr by default, stdin with -i, nothing with -d', () => {
  const c = buildExecConfig(flags(), ['ls', '-l'], env({}));
  assert.deepEqual(c, {
    User: '',
    Privileged: false,
    Tty: false,
    AttachStdin: false,
    AttachStderr: true,
    AttachStdout: true,
    DetachKeys: '',
    Env: null,
    WorkingDir: '',
    Cmd: ['ls', '-l'],
    Detach: false,
  });
  assert.equal(buildExecConfig(flags({ interactive: true }), ['sh'], env({})).AttachStdin, true);
  const d = buildExecConfig(flags({ detach: true, interactive: true }), ['sh'], env({}));
  assert.deepEqual([d.AttachStdin, d.AttachStdout, d.AttachStderr], [false, false, false]);
});

test('buildExecConfig sends the console size, in docker’s field order, only with -t', () => {
  const c = buildExecConfig(flags({ tty: true, user: 'nobody', workdir: '/tmp', privileged: true, detachKeys: 'ctrl-a,a' }), ['sh'], env({}), [40, 100]);
  assert.deepEqual(Object.keys(c).slice(0, 4), ['User', 'Privileged', 'Tty', 'ConsoleSize']);
  assert.deepEqual(c.ConsoleSize, [40, 100]);
  assert.equal(c.User, 'nobody');
  assert.equal(c.WorkingDir, '/tmp');
  assert.equal(c.Privileged, true);
  assert.equal(c.DetachKeys, 'ctrl-a,a');
  assert.deepEqual(buildExecConfig(flags({ tty: true }), ['sh'], env({})).ConsoleSize, [0, 0]);
});

test('buildExecConfig takes env files first, then -e, looking bare names up in the client environment', () => {
  const c = buildExecConfig(flags({ env: ['A=1', 'HOME', 'MISSING'], envFile: ['/f'] }), ['env'], env({ HOME: '/root', FROMFILE: 'x' }, { '/f': 'B=2\n# c\nFROMFILE\n' }));
  assert.deepEqual(c.Env, ['B=2', 'FROMFILE=x', 'A=1', 'HOME=/root', 'MISSING']);
});

test('buildExecConfig reports a bad -e value as a flag error and a missing env file as Go does', () => {
  assert.throws(
    () => buildExecConfig(flags({ env: ['=x'] }), ['sh'], env({})),
    (e: unknown) => e instanceof ExecFlagError && e.flag === '-e, --env' && e.value === '=x' && e.message === 'invalid environment variable: =x',
  );
  assert.throws(() => buildExecConfig(flags({ envFile: ['/nope'] }), ['sh'], env({})), /^Error: open \/nope: no such file or directory$/);
});
