import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ZERO_TIME, type ContainerRecord } from '../../core/containers.js';
import { ociSpecJson, type OciSpec } from '../../core/runtime.js';
import { KNOWN_CAPABILITIES } from './host-config.js';
import {
  buildOciSpec,
  DEFAULT_CAPABILITIES,
  devicesFromPath,
  findInitBinary,
  MASKED_PATHS,
  processEnv,
  readDeviceNode,
  splitDeviceNumber,
  tweakCapabilities,
  type OciDevice,
  type SpecHost,
  type SpecInputs,
} from './oci-spec.js';
import type { OciSeccomp } from './seccomp-profile.js';

function container(over: Partial<ContainerRecord> = {}): ContainerRecord {
  return {
    id: 'a'.repeat(64),
    name: 'c',
    imageName: 'busybox',
    imageId: `sha256:${'b'.repeat(64)}`,
    topChainId: null,
    lowerSnapshotIds: [],
    snapshotId: 's',
    created: new Date(0).toISOString(),
    path: 'sh',
    args: ['-c', 'true'],
    config: { Env: ['FOO=bar'], WorkingDir: '/srv' },
    hostConfig: {},
    state: { status: 'created', pid: 0, exitCode: 0, startedAt: ZERO_TIME, finishedAt: ZERO_TIME, error: '', oomKilled: false },
    logPath: '/x/log',
    dir: '/x',
    restartCount: 0,
    ...over,
  };
}

describe('buildOciSpec', () => {
  const spec = buildOciSpec({ container: container(), user: { uid: 0, gid: 0, additionalGids: [], home: '/root' }, cgroupsPath: '/berth/abc', privateCgroupns: true });
  it('runs the resolved process in the working dir', () => {
    assert.deepEqual(spec.process.args, ['sh', '-c', 'true']);
    assert.equal(spec.process.cwd, '/srv');
    assert.equal(spec.hostname, 'aaaaaaaaaaaa');
  });
  it('shares the host cgroup namespace on cgroup v1, as Docker does', () => {
    const v1 = buildOciSpec({ container: container(), user: { uid: 0, gid: 0, additionalGids: [], home: '/root' }, cgroupsPath: '/b/x', privateCgroupns: false });
    assert.equal(v1.linux.namespaces.some((n) => n.type === 'cgroup'), false);
  });
  it('gives every namespace Docker gives, with its own network (loopback only)', () => {
    assert.deepEqual(spec.linux.namespaces.map((n) => n.type).sort(), ['cgroup', 'ipc', 'mount', 'network', 'pid', 'uts']);
    assert.ok(spec.linux.namespaces.every((n) => n.path === undefined));
  });
  it('uses Docker’s default capabilities, masked and read-only paths', () => {
    assert.deepEqual(spec.process.capabilities?.bounding, DEFAULT_CAPABILITIES);
    assert.equal(DEFAULT_CAPABILITIES.length, 14);
    assert.deepEqual(spec.linux.maskedPaths, MASKED_PATHS);
    assert.ok(spec.linux.readonlyPaths?.includes('/proc/sys'));
    assert.equal(spec.linux.cgroupsPath, '/berth/abc');
  });
  it('bind-mounts the engine-managed files and mounts /dev/shm', () => {
    const dests = spec.mounts.map((m) => m.destination);
    for (const p of ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf']) assert.ok(dests.includes(p), p);
    assert.equal(spec.mounts.find((m) => m.destination === '/etc/hosts')?.source, '/x/hosts');
  });
  it('builds the environment as Docker does', () => {
    assert.deepEqual(processEnv(container(), 'h', '/root'), [
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'HOSTNAME=h',
      'FOO=bar',
      'HOME=/root',
    ]);
    const withPath = container({ config: { Env: ['PATH=/only', 'HOME=/h'] } });
    assert.deepEqual(processEnv(withPath, 'h', '/root'), ['HOSTNAME=h', 'PATH=/only', 'HOME=/h']);
  });
});

// -- resources and isolation ------------------------------------------------------------------------------------

const root = { uid: 0, gid: 0, additionalGids: [], home: '/root' };
/** Host facts fixed for the tests: x86_64, a 6.1 kernel, every capability, both default sysctls, two host devices. */
const fakeHost = {
  arch: 'amd64',
  kernel: '6.1.0',
  capabilities: KNOWN_CAPABILITIES,
  sysctlExists: () => true,
  hostDevices: (): OciDevice[] => [
    { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
    { path: '/dev/sda', type: 'b', major: 8, minor: 0, fileMode: 0o660, uid: 0, gid: 6 },
  ],
} satisfies SpecHost;

function specFor(hostConfig: Record<string, unknown>, over: Partial<SpecInputs> = {}): OciSpec {
  return buildOciSpec({ container: container({ hostConfig }), user: root, cgroupsPath: '/b/x', privateCgroupns: true, host: fakeHost, ...over });
}
const mount = (s: OciSpec, dest: string): OciSpec['mounts'][number] | undefined => s.mounts.find((m) => m.destination === dest);
const nsTypes = (s: OciSpec): string[] => s.linux.namespaces.map((n) => n.type);

describe('buildOciSpec: resources', () => {
  it('maps memory, cpu, pids and blkio limits to linux.resources', () => {
    const s = specFor({ Memory: 32 << 20, MemorySwap: 64 << 20, MemoryReservation: 16 << 20, OomKillDisable: true, NanoCpus: 5e8, CpuShares: 512, CpusetCpus: '0', PidsLimit: 50, BlkioWeight: 300 });
    const r = s.linux.resources as Record<string, unknown>;
    assert.deepEqual(r['memory'], { limit: 32 << 20, reservation: 16 << 20, swap: 64 << 20, disableOOMKiller: true });
    assert.deepEqual(r['cpu'], { shares: 512, cpus: '0', period: 100000, quota: 50000 });
    assert.deepEqual(r['pids'], { limit: 50 });
    assert.deepEqual(r['blockIO'], { weight: 300 });
    assert.equal((r['devices'] as unknown[]).length, 10, 'Docker’s default device rules');
    assert.deepEqual(Object.keys(specFor({}).linux.resources ?? {}), ['devices']);
  });
  it('per-device blkio settings carry the device numbers', () => {
    const deviceAt = (p: string): OciDevice | undefined => (p === '/dev/sda' ? { path: p, type: 'b', major: 8, minor: 0, fileMode: 0o660, uid: 0, gid: 0 } : undefined);
    const s = specFor({ BlkioWeightDevice: [{ Path: '/dev/sda', Weight: 200 }], BlkioDeviceReadBps: [{ Path: '/dev/sda', Rate: 1024 }] }, { host: { ...fakeHost, deviceAt } });
    assert.deepEqual((s.linux.resources as Record<string, unknown>)['blockIO'], {
      weightDevice: [{ major: 8, minor: 0, weight: 200 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1024 }],
    });
  });
  it('turns ulimits into rlimits, -1 into RLIM_INFINITY, written as exactly 2^64-1', () => {
    const s = specFor({ Ulimits: [{ Name: 'nofile', Soft: 123, Hard: 456 }, { Name: 'memlock', Soft: -1, Hard: -1 }] });
    assert.deepEqual(s.process.rlimits?.[0], { type: 'RLIMIT_NOFILE', hard: 456, soft: 123 });
    assert.equal(ociSpecJson(s.process.rlimits?.[1]), '{"type":"RLIMIT_MEMLOCK","hard":18446744073709551615,"soft":18446744073709551615}');
    assert.equal(specFor({}).process.rlimits, undefined, 'none unless asked: runc keeps the daemon’s');
  });
  it('sizes /dev/shm from ShmSize and sets the OOM score', () => {
    const s = specFor({ ShmSize: 8 << 20, OomScoreAdj: 500 });
    assert.ok(mount(s, '/dev/shm')?.options?.includes(`size=${8 << 20}`));
    assert.equal(s.process.oomScoreAdj, 500);
  });
  it('adds host devices with their numbers and allows them in the device cgroup', () => {
    const s = specFor({ Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/mynull', CgroupPermissions: 'rw' }], DeviceCgroupRules: ['c 42:* rmw', 'a *:* r'] });
    assert.deepEqual(s.linux.devices, [{ path: '/dev/mynull', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }]);
    const rules = (s.linux.resources as Record<string, unknown>)['devices'] as unknown[];
    assert.deepEqual(rules.slice(-3), [
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
      { allow: true, type: 'c', major: 42, access: 'rmw' },
      { allow: true, type: 'a', access: 'r' },
    ]);
    assert.throws(() => specFor({ Devices: [{ PathOnHost: '/dev/nope-nope', PathInContainer: '', CgroupPermissions: '' }] }), /error gathering device information while adding custom device "\/dev\/nope-nope": no such file or directory/);
    assert.throws(() => specFor({ Devices: [{ PathOnHost: '/etc/hostname', PathInContainer: '', CgroupPermissions: '' }] }), /not a device node/);
  });
  it('reads device numbers as glibc’s major()/minor() do', () => {
    assert.deepEqual(splitDeviceNumber(0x103n), { major: 1, minor: 3 });
    assert.deepEqual(splitDeviceNumber(66305n), { major: 259, minor: 1 });
    assert.deepEqual(splitDeviceNumber(1050668n), { major: 8, minor: 300 });
    assert.deepEqual(readDeviceNode('/dev/zero'), { ...readDeviceNode('/dev/zero')!, type: 'c', major: 1, minor: 5 });
    assert.equal(readDeviceNode('/etc'), undefined);
  });
  it('walks a directory of devices (devicesFromPath), placing each under the container path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'devs-'));
    try {
      mkdirSync(join(dir, 'sub'));
      writeFileSync(join(dir, 'a'), '');
      writeFileSync(join(dir, 'sub', 'b'), '');
      writeFileSync(join(dir, 'not-a-device'), '');
      const deviceAt = (p: string): OciDevice | undefined =>
        p.endsWith('/a') || p.endsWith('/b') ? { path: p, type: 'c', major: 7, minor: p.endsWith('/a') ? 1 : 2, fileMode: 0o600, uid: 0, gid: 0 } : undefined;
      const got = devicesFromPath(dir, '/dev/mine', 'r', { deviceAt });
      assert.deepEqual(got.devices.map((d) => d.path).sort(), ['/dev/mine/a', '/dev/mine/sub/b']);
      assert.deepEqual(got.rules.map((r) => r.access), ['r', 'r']);
      assert.throws(() => devicesFromPath(join(dir, 'sub'), '/x', 'rwm'), /not a device node/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('buildOciSpec: privileges', () => {
  it('cap-add and cap-drop tweak Docker’s defaults, ALL included', () => {
    const caps = (h: Record<string, unknown>): string[] | undefined => specFor(h).process.capabilities?.bounding;
    assert.deepEqual(caps({ CapDrop: ['ALL'], CapAdd: ['net_admin'] }), ['CAP_NET_ADMIN']);
    assert.deepEqual(caps({ CapDrop: ['MKNOD', 'CAP_NET_RAW'] }), DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_MKNOD' && c !== 'CAP_NET_RAW'));
    assert.deepEqual(caps({ CapAdd: ['SYS_ADMIN'] }), [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']);
    assert.deepEqual(caps({ CapAdd: ['ALL'], CapDrop: ['SYS_ADMIN'] }), KNOWN_CAPABILITIES.filter((c) => c !== 'CAP_SYS_ADMIN'));
    assert.deepEqual(tweakCapabilities(DEFAULT_CAPABILITIES, ['ALL'], [], ['CAP_CHOWN', 'CAP_KILL']), ['CAP_CHOWN', 'CAP_KILL']);
  });
  it('--privileged: the daemon’s capabilities, every device, no masks, writable /sys and cgroups, no seccomp', () => {
    const s = specFor({ Privileged: true }, { host: { ...fakeHost, capabilities: ['CAP_CHOWN', 'CAP_SYS_ADMIN'] } });
    assert.deepEqual(s.process.capabilities?.bounding, ['CAP_CHOWN', 'CAP_SYS_ADMIN']);
    assert.deepEqual((s.linux.resources as Record<string, unknown>)['devices'], [{ allow: true, access: 'rwm' }]);
    assert.deepEqual(s.linux.devices, fakeHost.hostDevices());
    assert.deepEqual(s.linux.maskedPaths, []);
    assert.deepEqual(s.linux.readonlyPaths, []);
    assert.ok(!mount(s, '/sys')?.options?.includes('ro'));
    assert.ok(!mount(s, '/sys/fs/cgroup')?.options?.includes('ro'));
    assert.equal(s.linux.seccomp, undefined);
    const custom = specFor({ Privileged: true, SecurityOpt: ['seccomp={"defaultAction":"SCMP_ACT_LOG"}'] });
    assert.deepEqual(custom.linux.seccomp, { defaultAction: 'SCMP_ACT_LOG' });
  });
  it('seccomp: Docker’s default profile for the container’s capabilities, or none when unconfined', () => {
    const s = specFor({});
    const seccomp = s.linux.seccomp as OciSeccomp;
    assert.equal(seccomp.defaultAction, 'SCMP_ACT_ERRNO');
    assert.deepEqual(seccomp.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    assert.ok(!seccomp.syscalls?.some((r) => r.names.includes('mount') && r.action === 'SCMP_ACT_ALLOW'));
    const admin = specFor({ CapAdd: ['SYS_ADMIN'] }).linux.seccomp as OciSeccomp;
    assert.ok(admin.syscalls?.some((r) => r.names.includes('mount') && r.action === 'SCMP_ACT_ALLOW'));
    assert.equal(specFor({ SecurityOpt: ['seccomp=unconfined'] }).linux.seccomp, undefined);
  });
  it('no-new-privileges, read-only root, explicit masked paths', () => {
    assert.equal(specFor({ SecurityOpt: ['no-new-privileges'] }).process.noNewPrivileges, true);
    assert.equal(specFor({}).process.noNewPrivileges, false);
    const ro = specFor({ ReadonlyRootfs: true, Tmpfs: { '/scratch': '' } });
    assert.equal(ro.root.readonly, true);
    assert.ok(mount(ro, '/sys')?.options?.includes('ro'));
    assert.ok(!mount(ro, '/dev/shm')?.options?.includes('ro'));
    assert.ok(!mount(ro, '/etc/hosts')?.options?.includes('ro'));
    assert.ok(!mount(ro, '/scratch')?.options?.includes('ro'));
    const unmasked = specFor({ Privileged: false, MaskedPaths: [], ReadonlyPaths: ['/proc/sys'] });
    assert.deepEqual(unmasked.linux.maskedPaths, []);
    assert.deepEqual(unmasked.linux.readonlyPaths, ['/proc/sys']);
  });
  it('supplementary groups: the primary gid, the user’s groups, then GroupAdd', () => {
    const s = buildOciSpec({ container: container(), user: { uid: 1000, gid: 100, additionalGids: [10, 20], home: '/h' }, cgroupsPath: '/b', privateCgroupns: true, host: fakeHost, groupAdd: [20, 1234] });
    assert.deepEqual(s.process.user, { uid: 1000, gid: 100, additionalGids: [100, 10, 20, 1234] });
  });
  it('sysctls: Docker’s network defaults where the kernel has them, then the user’s', () => {
    assert.deepEqual(specFor({ Sysctls: { 'kernel.shmmax': '123', 'net.ipv4.ip_unprivileged_port_start': '1024' } }).linux.sysctl, {
      'net.ipv4.ping_group_range': '0 2147483647',
      'net.ipv4.ip_unprivileged_port_start': '1024',
      'kernel.shmmax': '123',
    });
    assert.equal(specFor({}, { host: { ...fakeHost, sysctlExists: () => false } }).linux.sysctl, undefined);
  });
});

describe('buildOciSpec: mounts, namespaces and init', () => {
  it('tmpfs mounts get Docker’s default options and replace a default mount at the same place', () => {
    const s = specFor({ Tmpfs: { '/run': 'size=1m', '/dev/shm': 'size=2m', '/run/lock': '' } });
    assert.deepEqual(mount(s, '/run'), { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'rprivate', 'size=1m'] });
    assert.equal(s.mounts.filter((m) => m.destination === '/dev/shm').length, 1);
    assert.deepEqual(mount(s, '/dev/shm')?.options, ['noexec', 'nosuid', 'nodev', 'rprivate', 'size=2m']);
    const order = s.mounts.map((m) => m.destination);
    assert.ok(order.indexOf('/run') < order.indexOf('/run/lock'), 'parents first');
  });
  it('IpcMode: none has no /dev/shm, host binds the host’s, shmPath binds the given directory', () => {
    assert.equal(mount(specFor({ IpcMode: 'none' }), '/dev/shm'), undefined);
    const host = specFor({ IpcMode: 'host' });
    assert.deepEqual(mount(host, '/dev/shm'), { destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate'] });
    assert.ok(!nsTypes(host).includes('ipc'));
    const shareable = specFor({ IpcMode: 'shareable' }, { shmPath: '/data/c/shm' });
    assert.equal(mount(shareable, '/dev/shm')?.source, '/data/c/shm');
    assert.ok(nsTypes(shareable).includes('ipc'));
    const joined = specFor({ IpcMode: 'container:x' }, { namespacePaths: { ipc: '/proc/42/ns/ipc' }, shmPath: '/data/x/shm' });
    assert.deepEqual(joined.linux.namespaces.find((n) => n.type === 'ipc'), { type: 'ipc', path: '/proc/42/ns/ipc' });
    assert.equal(mount(joined, '/dev/shm')?.source, '/data/x/shm');
    assert.equal(mount(specFor({ IpcMode: 'container:x' }, { namespacePaths: { ipc: '/proc/42/ns/ipc' } }), '/dev/shm')?.type, 'tmpfs');
  });
  it('PidMode and UTSMode host drop the namespace; container:<x> joins the resolved one', () => {
    assert.ok(!nsTypes(specFor({ PidMode: 'host' })).includes('pid'));
    const joined = specFor({ PidMode: 'container:x' }, { namespacePaths: { pid: '/proc/42/ns/pid' } });
    assert.deepEqual(joined.linux.namespaces[0], { type: 'pid', path: '/proc/42/ns/pid' });
    assert.throws(() => specFor({ PidMode: 'container:x' }), /PID namespace to join was not resolved/);
    const uts = specFor({ UTSMode: 'host' });
    assert.ok(!nsTypes(uts).includes('uts'));
    assert.equal(uts.hostname, undefined);
    assert.equal(buildOciSpec({ container: container({ config: { Domainname: 'example.org' } }), user: root, cgroupsPath: '/b', privateCgroupns: true, host: fakeHost })['domainname'], 'example.org');
  });
  it('CgroupnsMode chooses the cgroup namespace, defaulting to the daemon’s', () => {
    assert.ok(!nsTypes(specFor({ CgroupnsMode: 'host' })).includes('cgroup'));
    assert.ok(nsTypes(specFor({ CgroupnsMode: 'private' }, { privateCgroupns: false })).includes('cgroup'));
    assert.ok(!nsTypes(specFor({}, { privateCgroupns: false })).includes('cgroup'));
  });
  it('--init runs docker-init as PID 1 with the init bound read-only, as Docker does', () => {
    const s = specFor({ Init: true }, { initPath: '/usr/bin/tini-static' });
    assert.deepEqual(s.process.args, ['/sbin/docker-init', '--', 'sh', '-c', 'true']);
    assert.deepEqual(mount(s, '/sbin/docker-init'), { destination: '/sbin/docker-init', type: 'bind', source: '/usr/bin/tini-static', options: ['bind', 'ro'] });
    // Not in a PID namespace of its own: there is an init already.
    assert.deepEqual(specFor({ Init: true, PidMode: 'host' }, { initPath: '/x' }).process.args, ['sh', '-c', 'true']);
    assert.throws(() => specFor({ Init: true }), /docker-init/);
    assert.equal(findInitBinary(['/a', '/b'], (p) => p === '/b'), '/b');
  });
});
