import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ZERO_TIME, type ContainerRecord } from '../../core/containers.js';
import { buildOciSpec, DEFAULT_CAPABILITIES, MASKED_PATHS, processEnv } from './oci-spec.js';

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
