import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addCommand, DockerCommand, minArgs } from '../command.js';
import {
  addContainerFlags,
  buildCreateRequest,
  ContainerOptionsError,
  normalizeCapabilities,
  parseKeyValueFile,
  parsePortSpecs,
  validateEnv,
  type ContainerFlags,
  type EnvSource,
} from './container-options.js';

/** Parses `berth run …` with the real flag set and returns what the action would receive. */
async function parseRun(argv: string[]): Promise<{ args: string[]; flags: ContainerFlags & { detach?: boolean }; cmd: DockerCommand }> {
  const root = new DockerCommand('berth');
  root.enablePositionalOptions();
  root.exitOverride();
  const run = addCommand(root, { name: 'run', use: '[OPTIONS] IMAGE [COMMAND] [ARG...]', short: 'run', args: minArgs(1), passThrough: true });
  addContainerFlags(run);
  run.bool('-d, --detach', 'detach').bool('--sig-proxy', 'proxy');
  run.exitOverride();
  let got: { args: string[]; flags: ContainerFlags; cmd: DockerCommand } | undefined;
  run.action((args: string[], flags: ContainerFlags, cmd: DockerCommand) => {
    got = { args, flags, cmd };
  });
  await root.parseAsync(['run', ...argv], { from: 'user' });
  assert.ok(got, 'action ran');
  return got;
}

const noEnv: EnvSource = {
  lookup: () => undefined,
  readFile: (p) => {
    throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
  },
};

test('run stops option parsing at the image: the command keeps its own flags', async () => {
  const { args, flags } = await parseRun(['--rm', '-e', 'A=1', 'busybox', 'ls', '-l', '--rm', '-e', 'x']);
  assert.deepEqual(args, ['busybox', 'ls', '-l', '--rm', '-e', 'x']);
  assert.equal(flags.rm, true);
  assert.deepEqual(flags.env, ['A=1']);
});

test('repeatable flags collect every value in order, in every spelling', async () => {
  const { flags } = await parseRun(['-e', 'A=1', '--env', 'B=2', '--env=C=3', '-eD=4', '-l', 'x=y', '--label=z', '-p', '80', '-p8080:80', 'img']);
  assert.deepEqual(flags.env, ['A=1', 'B=2', 'C=3', 'D=4']);
  assert.deepEqual(flags.label, ['x=y', 'z']);
  assert.deepEqual(flags.publish, ['80', '8080:80']);
});

test('combined short flags and pflag value spellings', async () => {
  const a = await parseRun(['-it', 'img']);
  assert.equal(a.flags.interactive, true);
  assert.equal(a.flags.tty, true);
  const b = await parseRun(['-dit', '-w=/tmp', '-u', '0', 'img']);
  assert.equal(b.flags.detach, true);
  assert.equal(b.flags.workdir, '/tmp');
  assert.equal(b.flags.user, '0');
  const c = await parseRun(['--rm=false', '-t=true', '--sig-proxy=false', 'img']);
  assert.equal(c.flags.rm, undefined);
  assert.equal(c.flags.tty, true);
  assert.ok(c.cmd.explicitFalse.has('sigProxy'));
  const d = await parseRun(['-itw', '/work', 'img', 'sh']);
  assert.equal(d.flags.workdir, '/work');
  assert.deepEqual(d.args, ['img', 'sh']);
});

test('flag errors use pflag/docker wording and exit 125', async () => {
  await assert.rejects(parseRun(['--bogus', 'img']), (e: Error & { statusCode?: number }) => {
    assert.equal(e.statusCode, 125);
    assert.match(e.message, /^unknown flag: --bogus\n\nUsage: {2}berth run \[OPTIONS\] IMAGE \[COMMAND\] \[ARG\.\.\.\]\n\nRun 'berth run --help' for more information$/);
    return true;
  });
  const rejectsWith = (p: Promise<unknown>, re: RegExp): Promise<void> => assert.rejects(p, (e: Error) => re.test(e.message));
  await rejectsWith(parseRun(['-e']), /^flag needs an argument: 'e' in -e\n/);
  await rejectsWith(parseRun(['--env']), /^flag needs an argument: --env\n/);
  await rejectsWith(parseRun(['-iz', 'img']), /^unknown shorthand flag: 'z' in -iz\n/);
  await rejectsWith(parseRun(['--rm=maybe', 'img']), /^invalid argument "maybe" for "--rm" flag: strconv.ParseBool: parsing "maybe": invalid syntax\n/);
  await rejectsWith(parseRun(['--stop-timeout', 'x', 'img']), /^invalid argument "x" for "--stop-timeout" flag: strconv.ParseInt: parsing "x": invalid syntax\n/);
});

function defaults(): ContainerFlags {
  return {
    attach: [],
    addHost: [],
    capAdd: [],
    capDrop: [],
    dns: [],
    dnsOption: [],
    dnsSearch: [],
    env: [],
    envFile: [],
    expose: [],
    groupAdd: [],
    label: [],
    labelFile: [],
    logOpt: [],
    networkAlias: [],
    publish: [],
    securityOpt: [],
    sysctl: [],
    tmpfs: [],
    ulimit: [],
    volume: [],
    volumesFrom: [],
  };
}

const base = { detach: false, consoleSize: [0, 0] as [number, number], entrypointSet: false };

test('buildCreateRequest splits image and command and fills docker defaults', () => {
  const { body, name, pull } = buildCreateRequest({ ...defaults(), name: 'web' }, ['busybox', 'ls', '-l'], noEnv, base);
  assert.equal(body.Image, 'busybox');
  assert.deepEqual(body.Cmd, ['ls', '-l']);
  assert.equal(name, 'web');
  assert.equal(pull, 'missing');
  assert.equal(body.AttachStdout, true);
  assert.equal(body.AttachStderr, true);
  assert.equal(body.AttachStdin, false);
  assert.equal(body.Entrypoint, null);
  assert.equal(body.Env, null);
  assert.deepEqual(body.Labels, {});
  assert.equal(body.HostConfig?.NetworkMode, 'default');
  assert.deepEqual(Object.keys(body.NetworkingConfig?.EndpointsConfig ?? {}), ['default']);
  const bare = buildCreateRequest(defaults(), ['busybox'], noEnv, base);
  assert.equal(bare.body.Cmd, null);
});

test('buildCreateRequest: -e KEY takes the client value, env files come first', () => {
  const env: EnvSource = {
    lookup: (k) => ({ HOME_X: '/h', B: 'fromenv' })[k],
    readFile: () => 'A=1\n# comment\n\n  B\nC\n',
  };
  const { body } = buildCreateRequest({ ...defaults(), env: ['HOME_X', 'NOPE', 'D=4'], envFile: ['x.env'] }, ['img'], env, base);
  assert.deepEqual(body.Env, ['A=1', 'B=fromenv', 'HOME_X=/h', 'NOPE', 'D=4']);
});

test('buildCreateRequest: attach, tty, detach and stdin flags', () => {
  const it = buildCreateRequest({ ...defaults(), interactive: true, tty: true }, ['img'], noEnv, base).body;
  assert.deepEqual([it.AttachStdin, it.AttachStdout, it.AttachStderr, it.OpenStdin, it.StdinOnce, it.Tty], [true, true, true, true, true, true]);
  const d = buildCreateRequest({ ...defaults(), interactive: true }, ['img'], noEnv, { ...base, detach: true }).body;
  assert.deepEqual([d.AttachStdin, d.AttachStdout, d.AttachStderr, d.StdinOnce, d.OpenStdin], [false, false, false, false, true]);
  const a = buildCreateRequest({ ...defaults(), attach: ['stdout'] }, ['img'], noEnv, base).body;
  assert.deepEqual([a.AttachStdin, a.AttachStdout, a.AttachStderr], [false, true, false]);
  assert.throws(() => buildCreateRequest({ ...defaults(), attach: ['bogus'] }, ['img'], noEnv, base), ContainerOptionsError);
});

test('buildCreateRequest: entrypoint, volumes, labels, restart, network', () => {
  const r = buildCreateRequest(
    {
      ...defaults(),
      entrypoint: '',
      volume: ['/tmp:/h', '/data', 'named:/v:ro'],
      label: ['a=b', 'flag'],
      restart: 'on-failure:3',
      network: 'none',
    },
    ['img'],
    noEnv,
    { ...base, entrypointSet: true },
  ).body;
  assert.deepEqual(r.Entrypoint, ['']);
  assert.deepEqual(r.HostConfig?.Binds, ['/tmp:/h', 'named:/v:ro']);
  assert.deepEqual(r.Volumes, { '/data': {} });
  assert.deepEqual(r.Labels, { a: 'b', flag: '' });
  assert.deepEqual(r.HostConfig?.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.equal(r.HostConfig?.NetworkMode, 'none');
  assert.deepEqual(r.NetworkingConfig, { EndpointsConfig: {} });
  assert.throws(
    () => buildCreateRequest({ ...defaults(), rm: true, restart: 'always' }, ['img'], noEnv, base),
    /conflicting options: cannot specify both --restart and --rm/,
  );
  assert.throws(() => buildCreateRequest({ ...defaults(), envFile: ['/nope'] }, ['img'], noEnv, base), /open \/nope: no such file or directory/);
});

test('parsePortSpecs follows nat.ParsePortSpecs', () => {
  assert.deepEqual(parsePortSpecs(['8080:80']), { exposed: { '80/tcp': {} }, bindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] } });
  assert.deepEqual(parsePortSpecs(['53/udp']).bindings, { '53/udp': [{ HostIp: '', HostPort: '' }] });
  assert.deepEqual(parsePortSpecs(['127.0.0.1:9000-9001:90-91/udp']).bindings, {
    '90/udp': [{ HostIp: '127.0.0.1', HostPort: '9000' }],
    '91/udp': [{ HostIp: '127.0.0.1', HostPort: '9001' }],
  });
  assert.deepEqual(parsePortSpecs(['[::1]:8080:80']).bindings, { '80/tcp': [{ HostIp: '::1', HostPort: '8080' }] });
  assert.deepEqual(parsePortSpecs(['8000-8010:80']).bindings, { '80/tcp': [{ HostIp: '', HostPort: '8000-8010' }] });
  assert.deepEqual(parsePortSpecs(['target=80,published=8080,protocol=udp']).bindings, { '80/udp': [{ HostIp: '', HostPort: '8080' }] });
  assert.throws(() => parsePortSpecs(['99999']), /invalid containerPort: 99999/);
  assert.throws(() => parsePortSpecs(['80/xyz']), /invalid proto: xyz/);
  assert.throws(() => parsePortSpecs(['1-2:3-5']), /invalid ranges specified for container and host Ports/);
});

test('parseKeyValueFile follows docker kvfile', () => {
  const lookup = (k: string): string | undefined => (k === 'FROMENV' ? 'v' : undefined);
  assert.deepEqual(parseKeyValueFile('\ufeffA=1\n  B=x y\n#c\n\nFROMENV\nMISSING\nE=a=b\r\n', 'f', lookup), ['A=1', 'B=x y', 'FROMENV=v', 'E=a=b']);
  assert.throws(() => parseKeyValueFile('=x\n', 'f'), /invalid env file \(f\): no variable name on line '=x'/);
  assert.throws(() => parseKeyValueFile('A B=1\n', 'f'), /variable 'A B' contains whitespaces/);
  // Without a lookup (label files), bare keys are dropped.
  assert.deepEqual(parseKeyValueFile('a=b\nbare\n', 'f'), ['a=b']);
});

test('validateEnv and normalizeCapabilities', () => {
  assert.equal(validateEnv('A=1', () => 'x'), 'A=1');
  assert.equal(validateEnv('A', () => 'x'), 'A=x');
  assert.equal(validateEnv('A', () => undefined), 'A');
  assert.throws(() => validateEnv('=x', () => undefined), /invalid environment variable: =x/);
  assert.deepEqual(normalizeCapabilities(['net_admin', 'CAP_NET_ADMIN', 'all', ' sys_time ']), ['CAP_NET_ADMIN', 'ALL', 'CAP_SYS_TIME']);
});
