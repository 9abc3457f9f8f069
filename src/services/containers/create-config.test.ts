import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeImageConfig, parseCreateBody, processArgs } from './create-config.js';

describe('mergeImageConfig (Docker’s Cmd/Entrypoint rules)', () => {
  const image = { Entrypoint: ['/entry'], Cmd: ['default-arg'], Env: ['PATH=/bin', 'A=image'], WorkingDir: '/w', User: 'u', Labels: { a: 'image', b: 'image' } };
  const cases: { name: string; user: Record<string, unknown>; argv: string[] }[] = [
    { name: 'nothing given: image entrypoint + image cmd', user: {}, argv: ['/entry', 'default-arg'] },
    { name: 'cmd given: image entrypoint + user cmd', user: { Cmd: ['x'] }, argv: ['/entry', 'x'] },
    { name: 'entrypoint given: drops the image cmd', user: { Entrypoint: ['/other'] }, argv: ['/other'] },
    { name: 'entrypoint and cmd given', user: { Entrypoint: ['/other'], Cmd: ['y'] }, argv: ['/other', 'y'] },
    { name: 'empty entrypoint clears it and keeps the image cmd', user: { Entrypoint: [''] }, argv: ['default-arg'] },
    { name: 'empty entrypoint with a cmd runs the cmd', user: { Entrypoint: [''], Cmd: ['sh'] }, argv: ['sh'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const merged = mergeImageConfig(c.user, image);
      const { path, args } = processArgs(merged);
      assert.deepEqual([path, ...args], c.argv);
    });
  }
  it('merges env and labels key by key, user values winning', () => {
    const merged = mergeImageConfig({ Env: ['A=user', 'B=2'], Labels: { b: 'user' } }, image);
    assert.deepEqual(merged.Env, ['PATH=/bin', 'A=user', 'B=2']);
    assert.deepEqual(merged.Labels, { a: 'image', b: 'user' });
    assert.equal(merged.WorkingDir, '/w');
    assert.equal(merged.User, 'u');
  });
  it('no command at all is Docker’s 400', () => {
    assert.throws(() => processArgs(mergeImageConfig({}, {})), { message: 'No command specified' });
  });
});

describe('parseCreateBody', () => {
  it('accepts Docker’s StrSlice string form', () => {
    assert.deepEqual(parseCreateBody({ Image: 'x', Cmd: 'echo' }).config.Cmd, ['echo']);
  });
  it('refuses wrong types by field name', () => {
    assert.throws(() => parseCreateBody({ Image: 'x', Env: 'A=1' }), /invalid Env/);
    assert.throws(() => parseCreateBody({ Image: 'x', Labels: { a: 1 } }), /invalid Labels/);
    assert.throws(() => parseCreateBody({ Image: 'x', Tty: 'yes' }), /invalid Tty/);
    assert.throws(() => parseCreateBody([]), /not a JSON object/);
    assert.throws(() => parseCreateBody(undefined), /Config cannot be empty/);
  });
  it('refuses a relative working directory in Docker’s words', () => {
    assert.throws(() => parseCreateBody({ Image: 'x', WorkingDir: 'rel' }), /the working directory 'rel' is invalid, it needs to be an absolute path/);
  });
  it('names the options berth does not support yet instead of ignoring them', () => {
    assert.throws(() => parseCreateBody({ Image: 'x', HostConfig: { Binds: ['/a:/b'] } }), /volumes and bind mounts/);
    assert.throws(() => parseCreateBody({ Image: 'x', HostConfig: { NetworkMode: 'host' } }), /network mode "host"/);
    assert.throws(() => parseCreateBody({ Image: 'x', Tty: true }), /TTY/);
    assert.doesNotThrow(() => parseCreateBody({ Image: 'x', HostConfig: { NetworkMode: 'default', Binds: null, PortBindings: {} } }));
  });
});
