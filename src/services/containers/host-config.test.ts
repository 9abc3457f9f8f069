import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostConfig } from '../../core/containers.js';
import { InvalidArgumentError, NotImplementedError, ConflictError } from '../../core/errdefs.js';
import {
  applyUpdate,
  currentCapabilities,
  KNOWN_CAPABILITIES,
  linuxResources,
  logOptions,
  normalizeCapabilities,
  parseCpusetList,
  parseHostConfig,
  parseSecurityOpts,
  restartPolicyOf,
  tmpfsOptions,
  type HostLimits,
} from './host-config.js';

const limits: HostLimits = { ncpu: 2, cpus: '0-1', mems: '0', cgroupV2: false };
const parse = (h: Record<string, unknown>, l: Partial<HostLimits> = {}): ReturnType<typeof parseHostConfig> =>
  parseHostConfig(h, { limits: { ...limits, ...l } });
const stored = (h: Record<string, unknown>): Record<string, unknown> => parse(h).hostConfig as Record<string, unknown>;

/** Asserts a 400 with exactly Docker's message. */
function refuses(h: Record<string, unknown>, message: string, l: Partial<HostLimits> = {}): void {
  assert.throws(
    () => parse(h, l),
    (e: Error) => {
      assert.ok(e instanceof InvalidArgumentError, `${e.name}: ${e.message}`);
      assert.equal(e.message, message);
      return true;
    },
  );
}

describe('parseHostConfig: restart policy and AutoRemove', () => {
  it('accepts Docker’s four policies and the legacy empty name', () => {
    for (const Name of ['no', 'always', 'unless-stopped', '']) assert.doesNotThrow(() => parse({ RestartPolicy: { Name, MaximumRetryCount: 0 } }));
    assert.deepEqual(stored({ RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } })['RestartPolicy'], { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.doesNotThrow(() => parse({ RestartPolicy: { Name: '', MaximumRetryCount: 5 } }));
  });
  it('refuses bad policies in Docker’s words', () => {
    refuses({ RestartPolicy: { Name: 'always', MaximumRetryCount: 2 } }, "invalid restart policy: maximum retry count can only be used with 'on-failure'");
    refuses(
      { RestartPolicy: { Name: 'no', MaximumRetryCount: -1 } },
      "invalid restart policy: maximum retry count can only be used with 'on-failure' and cannot be negative",
    );
    refuses({ RestartPolicy: { Name: 'on-failure', MaximumRetryCount: -1 } }, 'invalid restart policy: maximum retry count cannot be negative');
    refuses(
      { RestartPolicy: { Name: 'sometimes' } },
      "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'",
    );
  });
  it('AutoRemove conflicts with any policy but no', () => {
    refuses({ AutoRemove: true, RestartPolicy: { Name: 'on-failure' } }, "can't create 'AutoRemove' container with restart policy");
    assert.doesNotThrow(() => parse({ AutoRemove: true, RestartPolicy: { Name: 'no' } }));
  });
  it('restartPolicyOf reads the stored policy', () => {
    assert.deepEqual(restartPolicyOf({}), { Name: 'no', MaximumRetryCount: 0 });
    assert.deepEqual(restartPolicyOf({ RestartPolicy: { Name: '', MaximumRetryCount: 4 } }), { Name: 'no', MaximumRetryCount: 0 });
    assert.deepEqual(restartPolicyOf({ RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 4 } }), { Name: 'on-failure', MaximumRetryCount: 4 });
    assert.deepEqual(restartPolicyOf({ RestartPolicy: { Name: 'unless-stopped' } }), { Name: 'unless-stopped', MaximumRetryCount: 0 });
  });
});

describe('parseHostConfig: log config', () => {
  it('accepts json-file, k8s-file and the default, and stores json-file for the default', () => {
    assert.deepEqual(stored({})['LogConfig'], { Type: 'json-file', Config: {} });
    assert.deepEqual(stored({ LogConfig: { Type: '', Config: { 'max-size': '10m' } } })['LogConfig'], { Type: 'json-file', Config: { 'max-size': '10m' } });
    assert.deepEqual(stored({ LogConfig: { Type: 'k8s-file', Config: null } })['LogConfig'], { Type: 'k8s-file', Config: {} });
  });
  it('refuses unknown options and bad values in Docker’s words', () => {
    refuses({ LogConfig: { Type: 'json-file', Config: { 'max-age': '1' } } }, "unknown log opt 'max-age' for json-file log driver");
    refuses({ LogConfig: { Type: '', Config: { 'max-size': 'abc' } } }, "failed to initialize logging driver: invalid size: 'abc'");
    refuses({ LogConfig: { Type: '', Config: { 'max-size': '0' } } }, 'failed to initialize logging driver: max-size must be a positive number');
    refuses({ LogConfig: { Type: '', Config: { 'max-file': 'x' } } }, 'failed to initialize logging driver: strconv.Atoi: parsing "x": invalid syntax');
    refuses({ LogConfig: { Type: '', Config: { 'max-file': '0' } } }, 'failed to initialize logging driver: max-file cannot be less than 1');
    refuses(
      { LogConfig: { Type: '', Config: { 'max-file': '3', compress: 'true' } } },
      'failed to initialize logging driver: compress cannot be true when max-file is less than 2 or max-size is not set',
    );
    refuses({ LogConfig: { Type: 'nope', Config: {} } }, "logger: no log driver named 'nope' is registered");
    refuses({ LogConfig: { Type: '', Config: { mode: 'fast' } } }, 'logger: logging mode not supported: fast');
    assert.throws(() => parse({ LogConfig: { Type: 'syslog', Config: {} } }), NotImplementedError);
  });
  it('logOptions gives the rotation settings (max-size in decimal units, as go-units FromHumanSize)', () => {
    assert.deepEqual(logOptions({}), { maxSize: 0, maxFile: 1, compress: false });
    assert.deepEqual(logOptions({ LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } } }), { maxSize: 10_000_000, maxFile: 3, compress: false });
    assert.deepEqual(logOptions({ LogConfig: { Type: 'json-file', Config: { 'max-size': '1k', 'max-file': '2', compress: 'true' } } }), { maxSize: 1000, maxFile: 2, compress: true });
  });
});

describe('parseHostConfig: memory', () => {
  it('refuses what Docker refuses', () => {
    refuses({ Memory: 1024 }, 'Minimum memory limit allowed is 6MB');
    refuses({ Memory: 64 << 20, MemorySwap: 32 << 20 }, 'Minimum memoryswap limit should be larger than memory limit, see usage');
    refuses({ MemorySwap: 64 << 20 }, 'You should always set the Memory limit when using Memoryswap limit, see usage');
    refuses({ MemoryReservation: 1 << 20 }, 'Minimum memory reservation allowed is 6MB');
    refuses({ Memory: 16 << 20, MemoryReservation: 32 << 20 }, 'Minimum memory limit can not be less than memory reservation limit, see usage');
    refuses({ MemorySwappiness: 101 }, 'Invalid value: 101, valid memory swappiness range is 0-100');
  });
  it('fills in Docker’s defaults: swap twice the memory, swappiness -1 dropped, OomKillDisable false', () => {
    const h = stored({ Memory: 32 << 20, MemorySwappiness: -1 });
    assert.equal(h['MemorySwap'], 64 << 20);
    assert.equal(h['MemorySwappiness'], null);
    assert.equal(h['OomKillDisable'], false);
    assert.equal(stored({ Memory: 32 << 20, MemorySwap: -1 })['MemorySwap'], -1);
    assert.equal(stored({ Memory: 32 << 20, MemorySwap: 48 << 20 })['MemorySwap'], 48 << 20);
  });
  it('warns where the kernel cannot honour a setting (cgroup v2: swappiness, OomKillDisable)', () => {
    const v2 = parse({ Memory: 32 << 20, MemorySwappiness: 10, OomKillDisable: true }, { cgroupV2: true });
    assert.equal((v2.hostConfig as Record<string, unknown>)['MemorySwappiness'], null);
    assert.equal((v2.hostConfig as Record<string, unknown>)['OomKillDisable'], false);
    assert.equal(v2.warnings.length, 2);
    const v1 = parse({ OomKillDisable: true });
    assert.deepEqual(v1.warnings, ['OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.']);
  });
});

describe('parseHostConfig: cpu, cpuset, blkio, pids', () => {
  it('refuses what Docker refuses', () => {
    refuses({ NanoCpus: 3e9 }, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
    refuses({ NanoCpus: -1 }, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
    refuses({ NanoCpus: 1e9, CpuPeriod: 100000 }, 'Conflicting options: Nano CPUs and CPU Period cannot both be set');
    refuses({ NanoCpus: 1e9, CpuQuota: 50000 }, 'Conflicting options: Nano CPUs and CPU Quota cannot both be set');
    refuses({ CpuPeriod: 999 }, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
    refuses({ CpuPeriod: 1000001 }, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
    refuses({ CpuQuota: 999 }, 'CPU cfs quota can not be less than 1ms (i.e. 1000)');
    refuses({ CpuShares: -2 }, 'invalid CPU shares (-2): value must be a positive integer');
    refuses({ CpusetCpus: '0-7' }, 'Requested CPUs are not available - requested 0-7, available: 0-1');
    refuses({ CpusetCpus: '0-x' }, 'Invalid value 0-x for cpuset cpus: invalid format: 0-x');
    refuses({ CpusetMems: '1' }, 'Requested memory nodes are not available - requested 1, available: 0');
    refuses({ BlkioWeight: 5 }, 'Range of blkio weight is from 10 to 1000');
    refuses({ BlkioWeight: 1001 }, 'Range of blkio weight is from 10 to 1000');
    refuses({ IOMaximumIOps: 5 }, 'Invalid QoS settings: linux does not support Maximum IO Bandwidth or Maximum IO IOps');
  });
  it('accepts the valid ranges; PidsLimit 0 and -1 mean unlimited and are stored as null', () => {
    const h = stored({ NanoCpus: 2e9, CpuShares: 512, CpusetCpus: '1', BlkioWeight: 10, PidsLimit: 50, CpuQuota: -1 });
    assert.equal(h['NanoCpus'], 2e9);
    assert.equal(h['PidsLimit'], 50);
    assert.equal(stored({ PidsLimit: 0 })['PidsLimit'], null);
    assert.equal(stored({ PidsLimit: -1 })['PidsLimit'], null);
    assert.equal(stored({})['PidsLimit'], undefined);
  });
  it('parseCpusetList reads the kernel’s list syntax', () => {
    assert.deepEqual([...parseCpusetList('0-2,5,7-8')], [0, 1, 2, 5, 7, 8]);
    assert.deepEqual([...parseCpusetList('')], []);
    assert.throws(() => parseCpusetList('3-1'), /invalid format: 3-1/);
    // CVE-2018-20699: a huge range is refused before it is expanded.
    assert.throws(() => parseCpusetList('1-9223372036854775807', 8192), /value of out range, maximum is 8192/);
  });
});

describe('parseHostConfig: isolation options', () => {
  it('validates the namespace modes in Docker’s words', () => {
    for (const IpcMode of ['', 'none', 'private', 'shareable', 'host', 'container:x']) assert.doesNotThrow(() => parse({ IpcMode }), IpcMode);
    for (const PidMode of ['', 'host', 'container:x']) assert.doesNotThrow(() => parse({ PidMode }), PidMode);
    refuses({ IpcMode: 'bogus' }, 'invalid IPC mode: bogus');
    refuses({ PidMode: 'container:' }, 'invalid PID mode: container:');
    refuses({ PidMode: 'private' }, 'invalid PID mode: private');
    refuses({ UTSMode: 'private' }, 'invalid UTS mode: private');
    refuses({ CgroupnsMode: 'x' }, 'invalid cgroup namespace mode: x');
    refuses({ ShmSize: -1 }, 'SHM size can not be less than 0');
    refuses({ OomScoreAdj: 1001 }, 'Invalid value 1001, range for oom score adj is [-1000, 1000]');
  });
  it('defaults ShmSize and IpcMode as dockerd does', () => {
    const h = stored({ ShmSize: 0, IpcMode: '' });
    assert.equal(h['ShmSize'], 64 * 1024 * 1024);
    assert.equal(h['IpcMode'], 'private');
    assert.equal(stored({ ShmSize: 8 << 20, IpcMode: 'shareable' })['ShmSize'], 8 << 20);
  });
  it('checks capabilities as caps.NormalizeLegacyCapabilities does', () => {
    assert.doesNotThrow(() => parse({ CapAdd: ['net_admin', 'CAP_SYS_TIME', 'ALL'], CapDrop: 'MKNOD' }));
    refuses({ CapAdd: ['NOPE'] }, 'invalid CapAdd: unknown capability: "CAP_NOPE"');
    refuses({ CapDrop: ['cap_bogus'] }, 'invalid CapDrop: unknown capability: "CAP_BOGUS"');
    refuses(
      { CapAdd: ['SYS_RESOURCE'] },
      'invalid CapAdd: capability not supported by your kernel or not available in the current environment: "CAP_SYS_RESOURCE"',
      { capabilities: KNOWN_CAPABILITIES.filter((c) => c !== 'CAP_SYS_RESOURCE') },
    );
    assert.deepEqual(normalizeCapabilities(['chown', 'all']), ['CAP_CHOWN', 'ALL']);
    // CapEff without bit 24 (CAP_SYS_RESOURCE).
    assert.equal(currentCapabilities('CapEff:\t000001fffeffffff\n')?.includes('CAP_SYS_RESOURCE'), false);
    assert.equal(currentCapabilities('CapEff:\t000001fffeffffff\n')?.length, 40);
  });
  it('parses --security-opt as dockerd does', () => {
    assert.deepEqual(parseSecurityOpts([]), { noNewPrivileges: false, seccomp: undefined, writableCgroups: undefined });
    assert.equal(parseSecurityOpts(['no-new-privileges']).noNewPrivileges, true);
    assert.equal(parseSecurityOpts(['no-new-privileges:true', 'no-new-privileges=false']).noNewPrivileges, false);
    assert.equal(parseSecurityOpts(['seccomp=unconfined']).seccomp, 'unconfined');
    assert.equal(parseSecurityOpts(['seccomp:unconfined']).seccomp, 'unconfined');
    assert.equal(parseSecurityOpts(['seccomp=builtin']).seccomp, undefined);
    assert.deepEqual(parseSecurityOpts(['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}']).seccomp, { profile: '{"defaultAction":"SCMP_ACT_ALLOW"}' });
    assert.equal(parseSecurityOpts(['writable-cgroups=true']).writableCgroups, true);
    assert.doesNotThrow(() => parse({ SecurityOpt: ['label=disable', 'label:type:foo', 'apparmor=unconfined', 'disable'] }));
    refuses({ SecurityOpt: ['bogus'] }, 'invalid --security-opt 1: "bogus"');
    refuses({ SecurityOpt: ['foo=bar'] }, 'invalid --security-opt 2: "foo=bar"');
    refuses({ SecurityOpt: ['no-new-privileges=maybe'] }, 'invalid --security-opt 2: "no-new-privileges=maybe"');
    assert.throws(() => parse({ SecurityOpt: ['seccomp=/path/to/profile.json'] }), /^InvalidArgumentError: Decoding seccomp profile failed: /);
  });
  it('allows only namespaced sysctls, and only in a namespace of the container’s own', () => {
    assert.doesNotThrow(() => parse({ Sysctls: { 'kernel.shmmax': '1', 'fs.mqueue.msg_max': '2', 'net.ipv4.ip_forward': '1', 'kernel.sem': '1 2 3 4' } }));
    refuses({ Sysctls: { 'kernel.hostname': 'x' } }, "sysctl 'kernel.hostname=x' is not allowed");
    refuses({ Sysctls: { 'vm.swappiness': '1' } }, "sysctl 'vm.swappiness=1' is not allowed");
    refuses({ IpcMode: 'host', Sysctls: { 'kernel.shmmax': '1' } }, 'sysctl "kernel.shmmax" is not allowed in the hosts ipc namespace');
  });
  it('checks tmpfs destinations and options', () => {
    assert.doesNotThrow(() => parse({ Tmpfs: { '/run': '', '/scratch': 'size=64m,exec,mode=1777' } }));
    refuses({ Tmpfs: { run: '' } }, "invalid mount path: 'run' mount path must be absolute");
    refuses({ Tmpfs: { '/': '' } }, "invalid specification: destination can't be '/'");
    refuses({ Tmpfs: { '/x': 'bogus' } }, 'invalid tmpfs option ["bogus"]');
    refuses({ Tmpfs: { '/x': 'color=red' } }, 'invalid tmpfs option ["color" "red"]');
  });
  it('tmpfsOptions puts Docker’s defaults first and lets the user’s options win', () => {
    assert.deepEqual(tmpfsOptions(''), ['noexec', 'nosuid', 'nodev', 'rprivate']);
    assert.deepEqual(tmpfsOptions('size=1m'), ['noexec', 'nosuid', 'nodev', 'rprivate', 'size=1m']);
    assert.deepEqual(tmpfsOptions('exec,size=1m,size=2m,rshared'), ['nosuid', 'nodev', 'exec', 'size=2m', 'rshared']);
  });
  it('checks devices, device cgroup rules, ulimits and GroupAdd', () => {
    assert.doesNotThrow(() => parse({ Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/x', CgroupPermissions: 'rw' }], DeviceCgroupRules: ['c 1:3 rwm', 'b *:* m'] }));
    refuses({ Devices: [{ PathOnHost: '/dev/null', PathInContainer: 'x', CgroupPermissions: 'rwm' }] }, 'x is not an absolute path');
    refuses({ Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/x', CgroupPermissions: 'rx' }] }, 'invalid device cgroup permissions: "rx" (a combination of r, w and m)');
    refuses({ DeviceCgroupRules: ['c 1:3'] }, "invalid device cgroup rule format: 'c 1:3'");
    assert.doesNotThrow(() => parse({ Ulimits: [{ Name: 'nofile', Soft: 1, Hard: 2 }, { Name: 'memlock', Soft: -1, Hard: -1 }] }));
    refuses({ Ulimits: [{ Name: 'nofile', Soft: 3, Hard: 2 }] }, 'ulimit soft limit must be less than or equal to hard limit: 3 > 2');
    refuses({ Ulimits: [{ Name: 'as', Soft: 1, Hard: 2 }] }, 'invalid ulimit type: as');
    assert.doesNotThrow(() => parse({ GroupAdd: ['audio', '1234'] }));
  });
});

describe('parseHostConfig: types and unsupported options', () => {
  it('refuses wrong types by field name', () => {
    assert.throws(() => parse({ Memory: '1g' }), /invalid Memory: must be an integer/);
    assert.throws(() => parse({ Memory: 1.5 }), /invalid Memory: must be an integer/);
    assert.throws(() => parse({ Privileged: 'yes' }), /invalid Privileged: must be a boolean/);
    assert.throws(() => parse({ CapAdd: [1] }), /invalid CapAdd: must be a list of strings/);
    assert.throws(() => parse({ Tmpfs: { '/x': 1 } }), /invalid Tmpfs: must be a map of strings/);
    assert.throws(() => parse({ Ulimits: [{ Name: 'nofile', Soft: '1' }] }), /invalid Ulimits/);
    assert.throws(() => parse({ Devices: ['/dev/null'] }), /invalid Devices/);
    assert.throws(() => parse({ RestartPolicy: 'always' }), /invalid RestartPolicy: must be an object/);
    assert.throws(() => parse({ BlkioWeight: -1 }), /invalid BlkioWeight/);
    assert.throws(() => parseHostConfig([], { limits }), /invalid HostConfig: not a JSON object/);
  });
  it('keeps every field as sent, with nulls normalised to Go’s zero values', () => {
    const h = stored({ Memory: null, Privileged: null, CpusetCpus: null, Annotations: { a: 'b' }, Custom: 1, CapAdd: 'NET_ADMIN' });
    assert.equal(h['Memory'], 0);
    assert.equal(h['Privileged'], false);
    assert.equal(h['CpusetCpus'], '');
    assert.deepEqual(h['Annotations'], { a: 'b' });
    assert.equal(h['Custom'], 1);
    assert.deepEqual(h['CapAdd'], ['NET_ADMIN']);
  });
  it('names what berth does not support yet', () => {
    assert.throws(() => parse({ VolumeDriver: 'nfs' }), /volume driver "nfs"/);
    assert.throws(() => parse({ DeviceRequests: [{ Driver: 'cdi' }] }), /device requests/);
    assert.throws(() => parse({ CgroupParent: '/mine' }), NotImplementedError);
    assert.doesNotThrow(() => parse({ NetworkMode: 'default', Binds: null, PortBindings: {}, DeviceRequests: null, CgroupParent: '' }));
  });
});

describe('linuxResources', () => {
  it('maps limits as moby’s getMemoryResources / getCPUResources / getPidsLimit', () => {
    assert.deepEqual(
      linuxResources({
        Memory: 32 << 20,
        MemoryReservation: 16 << 20,
        MemorySwap: 64 << 20,
        MemorySwappiness: 10,
        OomKillDisable: true,
        NanoCpus: 1_500_000_000,
        CpuShares: 512,
        CpusetCpus: '0',
        CpusetMems: '0',
        PidsLimit: 50,
        BlkioWeight: 300,
      } as HostConfig),
      {
        memory: { limit: 32 << 20, reservation: 16 << 20, swap: 64 << 20, swappiness: 10, disableOOMKiller: true },
        cpu: { shares: 512, cpus: '0', mems: '0', period: 100000, quota: 150000 },
        pids: { limit: 50 },
        blockIO: { weight: 300 },
      },
    );
    assert.deepEqual(linuxResources({}), {});
    assert.deepEqual(linuxResources({ MemorySwap: -1, Memory: 8 << 20, PidsLimit: 0 } as HostConfig), { memory: { limit: 8 << 20 }, pids: { limit: -1 } });
    assert.deepEqual(linuxResources({ CpuPeriod: 50000, CpuQuota: 25000, CpuRealtimeRuntime: 10 } as HostConfig).cpu, { period: 50000, quota: 25000, realtimeRuntime: 10 });
    // NanoCpus × 100000 passes 2^53 for large hosts; the quota stays exact.
    assert.equal(linuxResources({ NanoCpus: 123_456_789_123 } as HostConfig).cpu?.quota, 12_345_678);
  });
});

describe('applyUpdate (docker update)', () => {
  const current = { Memory: 32 << 20, MemorySwap: 64 << 20, NanoCpus: 1e9, RestartPolicy: { Name: 'no', MaximumRetryCount: 0 } } as HostConfig;
  it('merges non-zero values and keeps the rest', () => {
    const h = applyUpdate(current, { Memory: 48 << 20, CpuShares: 256, PidsLimit: -1, RestartPolicy: { Name: 'always' }, Privileged: true }, { limits }) as Record<string, unknown>;
    assert.equal(h['Memory'], 48 << 20);
    assert.equal(h['MemorySwap'], 64 << 20);
    assert.equal(h['CpuShares'], 256);
    assert.equal(h['NanoCpus'], 1e9);
    assert.equal(h['PidsLimit'], 0);
    assert.deepEqual(h['RestartPolicy'], { Name: 'always', MaximumRetryCount: 0 });
    assert.equal(h['Privileged'], undefined, 'only Resources and RestartPolicy can change');
  });
  it('refuses conflicts with what is set, as Container.UpdateContainer does', () => {
    const conflict = (raw: Record<string, unknown>, message: string, cur: HostConfig = current): void => {
      assert.throws(
        () => applyUpdate(cur, raw, { limits, id: 'abc' }),
        (e: Error) => e instanceof ConflictError && e.message === `Cannot update container abc: ${message}`,
      );
    };
    conflict({ CpuPeriod: 100000 }, 'Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
    conflict({ CpuQuota: 50000 }, 'Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
    conflict({ NanoCpus: 1e9 }, 'Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set', { CpuPeriod: 100000 });
    conflict({ Memory: 128 << 20 }, 'Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    conflict({ RestartPolicy: { Name: 'always' } }, 'Restart policy cannot be updated because AutoRemove is enabled for the container', { AutoRemove: true });
  });
  it('validates like create, but allows swap without memory', () => {
    assert.throws(() => applyUpdate(current, { Memory: 1 }, { limits }), /Minimum memory limit allowed is 6MB/);
    assert.throws(() => applyUpdate(current, { NanoCpus: 1e12 }, { limits }), /Range of CPUs/);
    assert.throws(() => applyUpdate(current, { RestartPolicy: { Name: 'bogus' } }, { limits }), /unknown policy 'bogus'/);
    assert.equal((applyUpdate(current, { MemorySwap: 128 << 20 }, { limits }) as Record<string, unknown>)['MemorySwap'], 128 << 20);
  });
});
