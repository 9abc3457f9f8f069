import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeImageConfig, parseCreateBody, processArgs } from './create-config.js';
import type { HostLimits } from './host-config.js';

const limits: HostLimits = { ncpu: 2, cpus: '0-1', mems: '0', cgroupV2: false };

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
    assert.throws(() => parseCreateBody({ Image: 'x', OpenStdin: 1 }), /invalid OpenStdin/);
    assert.throws(() => parseCreateBody([]), /not a JSON object/);
    assert.throws(() => parseCreateBody(undefined), /Config cannot be empty/);
  });
  it('refuses a relative working directory in Docker’s words', () => {
    assert.throws(() => parseCreateBody({ Image: 'x', WorkingDir: 'rel' }), /the working directory 'rel' is invalid, it needs to be an absolute path/);
  });
  it('names the options berth does not support yet instead of ignoring them', () => {
    assert.throws(() => parseCreateBody({ Image: 'x', HostConfig: { VolumeDriver: 'nfs-plugin' } }, { limits }), /volume driver "nfs-plugin"/);
    assert.doesNotThrow(() => parseCreateBody({ Image: 'x', HostConfig: { Binds: ['/a:/b'] } }, { limits }));
    assert.doesNotThrow(() => parseCreateBody({ Image: 'x', HostConfig: { NetworkMode: 'default', Binds: null, PortBindings: {} } }, { limits }));
  });
  it('accepts TTY, interactive stdin and restart policies', () => {
    const { config, hostConfig } = parseCreateBody(
      { Image: 'x', Tty: true, OpenStdin: true, StdinOnce: true, HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } } },
      { limits },
    );
    assert.equal(config.Tty, true);
    assert.equal(config.OpenStdin, true);
    assert.deepEqual(hostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 });
  });
  it('validates the HostConfig with Docker’s words and returns Docker’s warnings', () => {
    assert.throws(() => parseCreateBody({ Image: 'x', HostConfig: { Memory: 1 } }, { limits }), /^InvalidArgumentError: Minimum memory limit allowed is 6MB$/);
    assert.throws(() => parseCreateBody({ Image: 'x', HostConfig: 'x' }, { limits }), /invalid HostConfig: not a JSON object/);
    const r = parseCreateBody({ Image: 'x', HostConfig: { OomKillDisable: true, Memory: 0 } }, { limits });
    assert.equal(r.warnings.length, 1);
    assert.equal(parseCreateBody({ Image: 'x', HostConfig: { Memory: 8 << 20 } }, { limits }).hostConfig['MemorySwap'], 16 << 20);
  });
  it('checks the health check as Docker’s validateHealthCheck does', () => {
    const ok = parseCreateBody({ Image: 'x', Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 1_000_000, Retries: 0, StartPeriod: null } }, { limits });
    assert.deepEqual(ok.config.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 1_000_000, Retries: 0, StartPeriod: 0 });
    assert.equal('Healthcheck' in parseCreateBody({ Image: 'x', Healthcheck: null }, { limits }).config, false);
    const bad = (hc: unknown, re: RegExp): void => assert.throws(() => parseCreateBody({ Image: 'x', Healthcheck: hc }, { limits }), re);
    bad({ Interval: 999_999 }, /^InvalidArgumentError: Interval in Healthcheck cannot be less than 1ms$/);
    bad({ Interval: -1 }, /Interval in Healthcheck cannot be less than 1ms/);
    bad({ Timeout: 10 }, /^InvalidArgumentError: Timeout in Healthcheck cannot be less than 1ms$/);
    bad({ StartPeriod: 10 }, /^InvalidArgumentError: StartPeriod in Healthcheck cannot be less than 1ms$/);
    bad({ StartInterval: 10 }, /^InvalidArgumentError: StartInterval in Healthcheck cannot be less than 1ms$/);
    bad({ Retries: -1 }, /^InvalidArgumentError: Retries in Healthcheck cannot be negative$/);
    bad({ Test: 'CMD true' }, /invalid Healthcheck.Test: must be a list of strings/);
    bad({ Interval: '30s' }, /invalid Healthcheck.Interval: must be an integer/);
    bad([], /invalid Healthcheck: must be an object/);
  });
});
