import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addCommand, DockerCommand, minArgs } from '../command.js';
import {
  addContainerFlags,
  buildCreateRequest,
  compactJson,
  ContainerOptionsError,
  normalizeCapabilities,
  parseCpus,
  parseDevice,
  parseKeyValueFile,
  parsePortSpecs,
  parseUlimit,
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
    device: [],
    deviceCgroupRule: [],
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
    link: [],
    publish: [],
    securityOpt: [],
    sysctl: [],
    tmpfs: [],
    ulimit: [],
    volume: [],
    volumesFrom: [],
    mount: [],
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

// -- resources, isolation, health ------------------------------------------------------------------------------

/** `docker run busybox` (v28): the HostConfig exactly as the docker CLI marshals it, field order included. */
const DOCKER_DEFAULT_HOST_CONFIG =
  '{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"default","PortBindings":{},' +
  '"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":false,"VolumeDriver":"","VolumesFrom":null,"ConsoleSize":[0,0],' +
  '"CapAdd":null,"CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,' +
  '"IpcMode":"","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,' +
  '"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":0,"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"",' +
  '"BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],' +
  '"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"",' +
  '"Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":-1,' +
  '"OomKillDisable":false,"PidsLimit":0,"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,' +
  '"MaskedPaths":null,"ReadonlyPaths":null}';

/** Parses real argv with the flag set, then builds the body as `run` does. */
async function runBody(argv: string[], env: EnvSource = noEnv): Promise<ReturnType<typeof buildCreateRequest>['body']> {
  const { args, flags } = await parseRun(argv);
  return buildCreateRequest(flags, args, env, base).body;
}

test('the default HostConfig is byte for byte what docker v28 sends', async () => {
  assert.equal(JSON.stringify((await runBody(['busybox'])).HostConfig), DOCKER_DEFAULT_HOST_CONFIG);
});

test('resource flags become docker’s HostConfig fields', async () => {
  const body = await runBody([
    '-m', '32m', '--memory-reservation', '16m', '--memory-swap', '64m', '--memory-swappiness', '10', '--kernel-memory', '8m',
    '--cpus', '1.5', '-c', '512', '--cpu-period', '100000', '--cpu-quota', '50000', '--cpu-rt-period', '1000', '--cpu-rt-runtime', '500',
    '--cpuset-cpus', '0-1', '--cpuset-mems', '0', '--pids-limit', '50', '--blkio-weight', '300', '--oom-kill-disable',
    '--oom-score-adj', '-100', '--cidfile', '/tmp/cid', '--uts', 'host', '--cgroupns', 'private', '--init',
    '--ulimit', 'nproc=5', '--ulimit', 'nofile=2:4', '--ulimit', 'nproc=6:7', 'busybox',
  ]);
  const hc = body.HostConfig!;
  assert.deepEqual(
    {
      Memory: hc['Memory'], MemoryReservation: hc['MemoryReservation'], MemorySwap: hc['MemorySwap'], MemorySwappiness: hc['MemorySwappiness'],
      KernelMemory: hc['KernelMemory'], NanoCpus: hc['NanoCpus'], CpuShares: hc['CpuShares'], CpuPeriod: hc['CpuPeriod'], CpuQuota: hc['CpuQuota'],
      CpuRealtimePeriod: hc['CpuRealtimePeriod'], CpuRealtimeRuntime: hc['CpuRealtimeRuntime'], CpusetCpus: hc['CpusetCpus'],
      CpusetMems: hc['CpusetMems'], PidsLimit: hc['PidsLimit'], BlkioWeight: hc['BlkioWeight'], OomKillDisable: hc['OomKillDisable'],
      OomScoreAdj: hc['OomScoreAdj'], ContainerIDFile: hc['ContainerIDFile'], UTSMode: hc['UTSMode'], CgroupnsMode: hc['CgroupnsMode'], Init: hc['Init'],
    },
    {
      Memory: 32 << 20, MemoryReservation: 16 << 20, MemorySwap: 64 << 20, MemorySwappiness: 10, KernelMemory: 8 << 20, NanoCpus: 1_500_000_000,
      CpuShares: 512, CpuPeriod: 100000, CpuQuota: 50000, CpuRealtimePeriod: 1000, CpuRealtimeRuntime: 500, CpusetCpus: '0-1', CpusetMems: '0',
      PidsLimit: 50, BlkioWeight: 300, OomKillDisable: true, OomScoreAdj: -100, ContainerIDFile: '/tmp/cid', UTSMode: 'host', CgroupnsMode: 'private', Init: true,
    },
  );
  // docker's UlimitOpt keeps the last value per name and sorts by name.
  assert.deepEqual(hc['Ulimits'], [
    { Name: 'nofile', Hard: 4, Soft: 2 },
    { Name: 'nproc', Hard: 7, Soft: 6 },
  ]);
  // KernelMemory is omitempty in Go: it sits between DeviceRequests and MemoryReservation only when set.
  const keys = Object.keys(hc);
  assert.equal(keys.indexOf('KernelMemory'), keys.indexOf('DeviceRequests') + 1);
  assert.equal((await runBody(['--memory-swap', '-1', 'busybox'])).HostConfig?.['MemorySwap'], -1);
});

test('resource flags are checked while parsing, in pflag’s words', async () => {
  const rejects = (argv: string[], re: RegExp): Promise<void> =>
    assert.rejects(parseRun([...argv, 'img']), (e: Error & { statusCode?: number }) => {
      assert.equal(e.statusCode, 125);
      assert.match(e.message, re);
      return true;
    });
  await rejects(['--cpus', 'abc'], /^invalid argument "abc" for "--cpus" flag: failed to parse abc as a rational number\n/);
  await rejects(['--cpus', '0.0000000001'], /for "--cpus" flag: value is too precise/);
  await rejects(['--memory-reservation', '12q'], /^invalid argument "12q" for "--memory-reservation" flag: invalid suffix: 'q'/);
  await rejects(['--blkio-weight', '70000'], /for "--blkio-weight" flag: strconv.ParseUint: parsing "70000": value out of range/);
  await rejects(['--pids-limit', 'x'], /for "--pids-limit" flag: strconv.ParseInt: parsing "x": invalid syntax/);
  await rejects(['--ulimit', 'nofile=x'], /^invalid argument "nofile=x" for "--ulimit" flag: strconv.ParseInt: parsing "x": invalid syntax\n/);
  await rejects(['--ulimit', 'bogus=1'], /for "--ulimit" flag: invalid ulimit type: bogus/);
  await rejects(['--ulimit', 'nofile=5:2'], /ulimit soft limit must be less than or equal to hard limit: 5 > 2/);
  await rejects(['--sysctl', 'kernel.foo=1'], /^invalid argument "kernel.foo=1" for "--sysctl" flag: sysctl 'kernel.foo=1' is not allowed\n/);
  await rejects(['--device-cgroup-rule', 'x 1:2 r'], /for "--device-cgroup-rule" flag: invalid device cgroup format 'x 1:2 r'/);
  await rejects(['--health-interval', '5x'], /for "--health-interval" flag: time: unknown unit "x" in duration "5x"/);
  const ok = await parseRun(['--sysctl', 'net.ipv4.ip_forward=1', '--ulimit', 'memlock=-1:-1', '-c', '2', 'img']);
  assert.deepEqual(ok.flags.sysctl, ['net.ipv4.ip_forward=1']);
  assert.equal(ok.flags.cpuShares, 2);
  assert.equal((await parseRun(['img'])).flags.memorySwappiness, -1);
});

test('docker’s create-time checks of namespaces and swappiness', () => {
  const err = (over: Partial<ContainerFlags>, re: RegExp): void => {
    assert.throws(() => buildCreateRequest({ ...defaults(), ...over }, ['img'], noEnv, base), (e: Error) => e instanceof ContainerOptionsError && re.test(e.message));
  };
  err({ memorySwappiness: 101 }, /^invalid value: 101. Valid memory swappiness range is 0-100$/);
  err({ pid: 'bogus' }, /^--pid: invalid PID mode$/);
  err({ pid: 'container:' }, /^--pid: invalid PID mode$/);
  err({ uts: 'private' }, /^--uts: invalid UTS mode$/);
  err({ cgroupns: 'x' }, /^--cgroupns: invalid CGROUP mode$/);
  err({ logDriver: 'none', logOpt: ['a=b'] }, /^invalid logging opts for driver none$/);
  const r = buildCreateRequest({ ...defaults(), pid: 'container:web', ipc: 'shareable', logOpt: ['max-size=10m', 'bare'] }, ['img'], noEnv, base).body.HostConfig!;
  assert.equal(r['PidMode'], 'container:web');
  assert.equal(r['IpcMode'], 'shareable');
  assert.deepEqual(r['LogConfig'], { Type: '', Config: { 'max-size': '10m', bare: '' } });
});

test('--device follows docker’s validateLinuxPath and parseLinuxDevice', () => {
  assert.deepEqual(parseDevice('/dev/sda'), { PathOnHost: '/dev/sda', PathInContainer: '/dev/sda', CgroupPermissions: 'rwm' });
  assert.deepEqual(parseDevice('/dev/sda:r'), { PathOnHost: '/dev/sda', PathInContainer: '/dev/sda', CgroupPermissions: 'r' });
  assert.deepEqual(parseDevice('/dev/sda:/dev/xvdc'), { PathOnHost: '/dev/sda', PathInContainer: '/dev/xvdc', CgroupPermissions: 'rwm' });
  assert.deepEqual(parseDevice('/dev/sda:/dev/xvdc/:rw'), { PathOnHost: '/dev/sda', PathInContainer: '/dev/xvdc/', CgroupPermissions: 'rw' });
  assert.deepEqual(parseDevice('/dev/zero:/dev/x/../myzero'), { PathOnHost: '/dev/zero', PathInContainer: '/dev/myzero', CgroupPermissions: 'rwm' });
  assert.throws(() => parseDevice('sda'), /^Error: sda is not an absolute path$/);
  assert.throws(() => parseDevice('/dev/sda:/x:rx'), /bad mode specified: rx/);
  assert.throws(() => parseDevice('/a:/b:r:w'), /bad format for path: \/a:\/b:r:w/);
  assert.throws(() => parseDevice(':/b'), /bad format for path: :\/b/);
  const hc = buildCreateRequest({ ...defaults(), device: ['/dev/zero:/dev/myzero:r', 'vendor.com/gpu=all'], deviceCgroupRule: ['c 1:3 mr'] }, ['img'], noEnv, base).body.HostConfig!;
  assert.deepEqual(hc['Devices'], [{ PathOnHost: '/dev/zero', PathInContainer: '/dev/myzero', CgroupPermissions: 'r' }]);
  assert.deepEqual(hc['DeviceRequests'], [{ Driver: 'cdi', Count: 0, DeviceIDs: ['vendor.com/gpu=all'], Capabilities: null, Options: null }]);
  assert.deepEqual(hc['DeviceCgroupRules'], ['c 1:3 mr']);
});

test('health check flags: CMD-SHELL probe, Go durations in nanoseconds, --no-healthcheck', async () => {
  const body = await runBody(['--health-cmd', 'wget -q localhost', '--health-interval', '30s', '--health-timeout', '1.5s', '--health-retries', '3', '--health-start-period', '1m', 'busybox']);
  assert.equal(
    JSON.stringify(body.Healthcheck),
    '{"Test":["CMD-SHELL","wget -q localhost"],"Interval":30000000000,"Timeout":1500000000,"StartPeriod":60000000000,"Retries":3}',
  );
  // Healthcheck sits right after Cmd, as in Go's Config struct.
  const keys = Object.keys(body);
  assert.equal(keys.indexOf('Healthcheck'), keys.indexOf('Cmd') + 1);
  assert.deepEqual((await runBody(['--health-interval', '5s', 'busybox'])).Healthcheck, { Interval: 5_000_000_000 });
  assert.deepEqual((await runBody(['--no-healthcheck', 'busybox'])).Healthcheck, { Test: ['NONE'] });
  assert.equal('Healthcheck' in (await runBody(['busybox'])), false);
  await assert.rejects(runBody(['--no-healthcheck', '--health-retries', '2', 'busybox']), /^Error: --no-healthcheck conflicts with --health-\* options$/);
  await assert.rejects(runBody(['--health-interval=-1s', 'busybox']), /--health-interval cannot be negative/);
  await assert.rejects(runBody(['--health-retries=-1', 'busybox']), /--health-retries cannot be negative/);
});

test('--security-opt: a seccomp file is sent as its compacted content; systempaths=unconfined empties the paths', () => {
  const files: Record<string, string> = { '/p.json': '{\n  "defaultAction": "SCMP_ACT_ALLOW",\n  "syscalls": [ { "names": ["a b"], "action": "SCMP_ACT_ERRNO" } ]\n}\n' };
  const env: EnvSource = {
    lookup: () => undefined,
    readFile: (p) => {
      const f = files[p];
      if (f === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return f;
    },
  };
  const hc = buildCreateRequest({ ...defaults(), securityOpt: ['seccomp=/p.json', 'no-new-privileges', 'systempaths=unconfined', 'label=disable'] }, ['img'], env, base)
    .body.HostConfig!;
  assert.deepEqual(hc['SecurityOpt'], ['seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a b"],"action":"SCMP_ACT_ERRNO"}]}', 'no-new-privileges', 'label=disable']);
  assert.deepEqual(hc['MaskedPaths'], []);
  assert.deepEqual(hc['ReadonlyPaths'], []);
  const unconfined = buildCreateRequest({ ...defaults(), securityOpt: ['seccomp=unconfined'] }, ['img'], env, base).body.HostConfig!;
  assert.deepEqual(unconfined['SecurityOpt'], ['seccomp=unconfined']);
  assert.equal(unconfined['MaskedPaths'], null);
  assert.throws(() => buildCreateRequest({ ...defaults(), securityOpt: ['seccomp=/nope.json'] }, ['img'], env, base), /^Error: opening seccomp profile \(\/nope.json\) failed: open \/nope.json: no such file or directory$/);
  assert.throws(() => buildCreateRequest({ ...defaults(), securityOpt: ['bogus'] }, ['img'], env, base), /^Error: Invalid --security-opt: "bogus"$/);
  assert.throws(() => buildCreateRequest({ ...defaults(), securityOpt: ['label='] }, ['img'], env, base), /Invalid --security-opt: "label="/);
  assert.equal(compactJson('{ "a" : "x \\" y" ,\n "b":1.0 }'), '{"a":"x \\" y","b":1.0}');
});

test('parseCpus and parseUlimit follow docker’s opts', () => {
  assert.equal(parseCpus('1.5'), 1_500_000_000);
  assert.equal(parseCpus('.5'), 500_000_000);
  assert.equal(parseCpus('3/2'), 1_500_000_000);
  assert.equal(parseCpus('2e-3'), 2_000_000);
  assert.equal(parseCpus('0.000000001'), 1);
  assert.equal(parseCpus('-1'), -1_000_000_000);
  assert.throws(() => parseCpus('1.2.3'), /failed to parse 1.2.3 as a rational number/);
  assert.deepEqual(parseUlimit('nofile=1024'), { Name: 'nofile', Hard: 1024, Soft: 1024 });
  assert.deepEqual(parseUlimit('memlock=-1:-1'), { Name: 'memlock', Hard: -1, Soft: -1 });
  assert.deepEqual(parseUlimit('core=0:-1'), { Name: 'core', Hard: -1, Soft: 0 });
  assert.throws(() => parseUlimit('core=-1:5'), /soft: -1 \(unlimited\), hard: 5/);
  assert.throws(() => parseUlimit('nofile'), /invalid ulimit argument: nofile/);
  assert.throws(() => parseUlimit('nofile=1:2:3'), /too many limit value arguments - 1:2:3/);
});

test('--mount fields become the API mount (docker opts/mount.go), bad fields in docker words', async () => {
  const mount = ['type=volume,src=v,dst=/d,volume-nocopy,volume-opt=o=size=1m,volume-label=a=b', 'type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1770,ro'];
  const { body } = buildCreateRequest({ ...defaults(), mount }, ['img'], noEnv, base);
  const rejectsWith = (p: Promise<unknown>, re: RegExp): Promise<void> => assert.rejects(p, (e: Error) => re.test(e.message));
  assert.deepEqual(body.HostConfig?.['Mounts'], [
    { Type: 'volume', Source: 'v', Target: '/d', VolumeOptions: { NoCopy: true, DriverConfig: { Name: '', Options: { o: 'size=1m' } }, Labels: { a: 'b' } } },
    { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1770 }, ReadOnly: true },
  ]);
  await rejectsWith(parseRun(['--mount', 'type=bind,src=/a', 'img']), /^invalid argument "type=bind,src=\/a" for "--mount" flag: target is required\n/);
  await rejectsWith(parseRun(['--mount', 'type=tmpfs,dst=/a,volume-nocopy', 'img']), /cannot mix 'volume-\*' options with mount type 'tmpfs'/);
  await rejectsWith(parseRun(['--mount', 'dst=/a,bogus=1', 'img']), /unexpected key 'bogus' in 'bogus=1'/);
  await rejectsWith(parseRun(['--mount', 'dst=/a,weird', 'img']), /invalid field 'weird' must be a key=value pair/);
});
