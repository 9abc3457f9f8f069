// Resource limits and isolation through the real docker CLI: cgroup limits as the kernel sees them, a real OOM
// kill, a fork bomb held by --pids-limit, capabilities, seccomp, read-only root, tmpfs, namespaces; and Docker's
// errors for limits that cannot be honoured.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { useTestDaemon } from '../harness.js';

const daemon = useTestDaemon();
const docker = (args: string[]) => daemon().docker(args, { timeoutMs: 120_000 });

function ok(args: string[]): string {
  const r = docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** A cgroup file of a container: the v1 controller hierarchy on a hybrid host (cpu may be co-mounted with cpuacct), the unified one on v2. */
function cgroupFile(id: string, v1: [string, string], v2: string): string {
  for (const controller of [v1[0], v1[0].split(',')[0]!]) {
    const p1 = `/sys/fs/cgroup/${controller}${daemon().cgroupParent}/${id}/${v1[1]}`;
    if (existsSync(p1)) return p1;
  }
  return `/sys/fs/cgroup${daemon().cgroupParent}/${id}/${v2}`;
}

describe('limits', () => {
  it('memory, cpu, pids and blkio limits reach the cgroup', () => {
    const id = ok([
      'run', '-d', '--memory', '32m', '--memory-reservation', '16m', '--cpus', '0.5', '--cpu-shares', '512',
      '--cpuset-cpus', '0', '--pids-limit', '50', '--blkio-weight', '300', 'busybox', 'sleep', '300',
    ]);
    const read = (v1: [string, string], v2: string): string => readFileSync(cgroupFile(id, v1, v2), 'utf8').trim();
    assert.equal(read(['memory', 'memory.limit_in_bytes'], 'memory.max'), String(32 * 1024 * 1024));
    assert.match(read(['cpu,cpuacct', 'cpu.cfs_quota_us'], 'cpu.max'), /^50000( 100000)?$/);
    assert.equal(read(['cpu,cpuacct', 'cpu.shares'], 'cpu.weight').length > 0, true);
    assert.equal(read(['cpuset', 'cpuset.cpus'], 'cpuset.cpus'), '0');
    assert.equal(read(['pids', 'pids.max'], 'pids.max'), '50');
    const hc = JSON.parse(ok(['inspect', '-f', '{{json .HostConfig}}', id])) as Record<string, unknown>;
    assert.equal(hc['Memory'], 32 * 1024 * 1024);
    assert.equal(hc['NanoCpus'], 500_000_000);
    assert.equal(hc['PidsLimit'], 50);
    ok(['rm', '-f', id]);
  });

  it('a container over its memory limit is OOM-killed and inspect says so', () => {
    const r = docker(['run', '--name', 'oom', '--memory', '16m', '--memory-swap', '16m', 'busybox', 'sh', '-c', 'x=$(head -c 64000000 /dev/zero | tr "\\0" a); echo survived']);
    assert.equal(r.code, 137, r.stdout + r.stderr);
    assert.equal(ok(['inspect', '-f', '{{.State.OOMKilled}}', 'oom']), 'true');
    ok(['rm', 'oom']);
  });

  it('a fork bomb under --pids-limit stays contained and the daemon stays healthy', () => {
    const id = ok(['run', '-d', '--pids-limit', '20', 'busybox', 'sleep', '300']);
    docker(['exec', '-d', id, 'sh', '-c', 'bomb() { bomb | bomb & }; bomb']);
    const start = Date.now();
    while (Date.now() - start < 2000) docker(['ps', '-q']);
    const current = Number(readFileSync(cgroupFile(id, ['pids', 'pids.current'], 'pids.current'), 'utf8'));
    assert.ok(current <= 20 && current >= 5, `pids.current ${current}`);
    assert.equal(ok(['inspect', '-f', '{{.State.Status}}', id]), 'running');
    assert.equal(ok(['version', '-f', '{{.Server.Version}}']).length > 0, true);
    ok(['rm', '-f', id]);
  });

  it('refuses limits Docker refuses, in its words', () => {
    const tooSmall = docker(['run', '--memory', '1k', 'busybox', 'true']);
    assert.equal(tooSmall.code, 125);
    assert.match(tooSmall.stderr, /Minimum memory limit allowed is 6MB/);
    const tooMany = docker(['run', '--cpus', '99', 'busybox', 'true']);
    assert.equal(tooMany.code, 125);
    assert.match(tooMany.stderr, new RegExp(`Range of CPUs is from 0.01 to ${cpus().length}.00, as there are only ${cpus().length} CPUs available`));
    assert.match(docker(['run', '--blkio-weight', '5', 'busybox', 'true']).stderr, /Range of blkio weight is from 10 to 1000/);
    assert.match(docker(['run', '--cpuset-cpus', '0-63', 'busybox', 'true']).stderr, /Requested CPUs are not available/);
  });

  it('--ulimit and --shm-size', () => {
    assert.equal(ok(['run', '--rm', '--ulimit', 'nofile=123:456', 'busybox', 'sh', '-c', 'ulimit -n; ulimit -Hn']), '123\n456');
    // -1 is the kernel's RLIM_INFINITY exactly, not merely a huge number.
    assert.equal(ok(['run', '--rm', '--ulimit', 'core=-1', 'busybox', 'sh', '-c', 'ulimit -c; ulimit -Hc']), 'unlimited\nunlimited');
    assert.match(ok(['run', '--rm', '--shm-size', '8m', 'busybox', 'df', '-k', '/dev/shm']), /\s8192\s/);
  });
});

describe('isolation', () => {
  const capEff = (args: string[]): string => /CapEff:\s+([0-9a-f]+)/.exec(ok(['run', '--rm', ...args, 'busybox', 'cat', '/proc/self/status']))![1]!;

  it('capabilities: defaults, --cap-add, --cap-drop, --privileged', () => {
    assert.equal(capEff([]), '00000000a80425fb');
    assert.equal(capEff(['--cap-drop', 'ALL']), '0000000000000000');
    assert.equal(capEff(['--cap-drop', 'ALL', '--cap-add', 'NET_ADMIN']), '0000000000001000');
    assert.notEqual(capEff(['--privileged']), '00000000a80425fb');
    assert.match(docker(['run', '--cap-add', 'NOPE', 'busybox', 'true']).stderr, /NOPE/);
  });

  it('seccomp: the default profile applies; unconfined and privileged lift it; no-new-privileges', () => {
    const seccomp = (args: string[]): string => /Seccomp:\s+(\d)/.exec(ok(['run', '--rm', ...args, 'busybox', 'cat', '/proc/self/status']))![1]!;
    assert.equal(seccomp([]), '2');
    assert.equal(seccomp(['--security-opt', 'seccomp=unconfined']), '0');
    assert.equal(seccomp(['--privileged']), '0');
    // The default profile refuses what Docker's refuses: unshare(2) without CAP_SYS_ADMIN, for one.
    assert.notEqual(docker(['run', '--rm', 'busybox', 'sh', '-c', 'unshare -U true']).code, 0);
    assert.match(ok(['run', '--rm', '--security-opt', 'no-new-privileges', 'busybox', 'cat', '/proc/self/status']), /NoNewPrivs:\s+1/);
  });

  it('--read-only, --tmpfs, --sysctl, --group-add, --device', () => {
    assert.notEqual(docker(['run', '--rm', '--read-only', 'busybox', 'touch', '/x']).code, 0);
    assert.equal(ok(['run', '--rm', '--read-only', '--tmpfs', '/scratch:size=1m', 'busybox', 'sh', '-c', 'touch /scratch/x && grep /scratch /proc/mounts | cut -d" " -f3']), 'tmpfs');
    assert.equal(ok(['run', '--rm', '--sysctl', 'kernel.shmmax=123456', 'busybox', 'cat', '/proc/sys/kernel/shmmax']), '123456');
    assert.match(ok(['run', '--rm', '--group-add', '1234', '--group-add', 'daemon', 'busybox', 'id', '-G']), /\b1234\b/);
    assert.equal(ok(['run', '--rm', '--device', '/dev/zero:/dev/myzero', 'busybox', 'sh', '-c', 'head -c 3 /dev/myzero | wc -c']), '3');
    assert.match(docker(['run', '--sysctl', 'kernel.hostname=x', 'busybox', 'true']).stderr, /not allowed|invalid/);
  });

  it('--pid host|container:x, --ipc host|shareable|container:x, --uts host', () => {
    const hostPids = ok(['run', '--rm', '--pid', 'host', 'busybox', 'sh', '-c', 'ls /proc | grep -c "^[0-9]"']);
    assert.ok(Number(hostPids) > 20, `saw ${hostPids} processes`);
    ok(['run', '-d', '--name', 'nsown', '--ipc', 'shareable', 'busybox', 'sleep', '300']);
    assert.match(ok(['run', '--rm', '--pid', 'container:nsown', 'busybox', 'ps']), /sleep 300/);
    const ipcOf = (args: string[]): string => ok(['run', '--rm', ...args, 'busybox', 'readlink', '/proc/self/ns/ipc']);
    const pid = ok(['inspect', '-f', '{{.State.Pid}}', 'nsown']);
    assert.equal(ipcOf(['--ipc', 'container:nsown']), readlinkSync(`/proc/${pid}/ns/ipc`));
    assert.equal(ipcOf(['--ipc', 'host']), readlinkSync('/proc/self/ns/ipc'));
    // POSIX shared memory is /dev/shm: a joiner sees the donor's files, and the donor's tmpfs goes with it.
    ok(['exec', 'nsown', 'sh', '-c', 'echo shared > /dev/shm/seg']);
    assert.equal(ok(['run', '--rm', '--ipc', 'container:nsown', 'busybox', 'cat', '/dev/shm/seg']), 'shared');
    assert.equal(ok(['run', '--rm', 'busybox', 'ls', '/dev/shm']), '', 'a private IPC namespace has its own /dev/shm');
    assert.equal(ok(['run', '--rm', '--uts', 'host', 'busybox', 'hostname']), hostname());
    const shmDir = join(daemon().dataRoot, 'containers', ok(['inspect', '-f', '{{.Id}}', 'nsown']), 'shm');
    assert.ok(readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${shmDir} `), 'the shareable /dev/shm is a host tmpfs');
    ok(['rm', '-f', 'nsown']);
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${shmDir} `), 'and it is unmounted on removal');
  });
});
