import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';

import { NotFoundError } from '../core/errdefs.js';
import {
  cgroupVersion,
  MAX_UINT64,
  parseBlkioFile,
  parseIoStat,
  readCgroupStats,
  readMachineMemory,
  readNetworkStats,
  readSystemCpu,
} from './cgroup-stats.js';

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'berth-cgroup-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Writes files under the fake root: `{ 'memory/berth/c1/memory.stat': '…' }`. */
function tree(files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
}

const MEMORY_STAT_V1 = `cache 8192
rss 1048576
rss_huge 0
shmem 0
mapped_file 4096
dirty 0
writeback 0
pgpgin 300
pgpgout 40
pgfault 500
pgmajfault 1
inactive_anon 0
active_anon 1048576
inactive_file 4096
active_file 4096
unevictable 0
hierarchical_memory_limit 9223372036854771712
hierarchical_memsw_limit 9223372036854771712
total_cache 8192
total_rss 1048576
total_rss_huge 0
total_shmem 0
total_mapped_file 4096
total_dirty 0
total_writeback 0
total_pgpgin 300
total_pgpgout 40
total_pgfault 500
total_pgmajfault 1
total_inactive_anon 0
total_active_anon 1048576
total_inactive_file 4096
total_active_file 4096
total_unevictable 0
`;

/** A hybrid host like this one: v1 controllers, cpu and cpuacct mounted apart, an empty cgroup2 at unified/. */
function v1Tree(cpuDirs: { cpu: string; cpuacct: string } = { cpu: 'cpu', cpuacct: 'cpuacct' }): void {
  const c = 'berth/c1';
  tree({
    'unified/cgroup.procs': '',
    [`memory/${c}/memory.stat`]: MEMORY_STAT_V1,
    [`memory/${c}/memory.usage_in_bytes`]: '1200128\n',
    [`memory/${c}/memory.max_usage_in_bytes`]: '2400256\n',
    [`memory/${c}/memory.failcnt`]: '0\n',
    [`memory/${c}/memory.limit_in_bytes`]: '9223372036854771712\n',
    [`${cpuDirs.cpuacct}/${c}/cpuacct.usage`]: '123456789\n',
    [`${cpuDirs.cpuacct}/${c}/cpuacct.usage_percpu`]: '100000000 23456789 \n',
    [`${cpuDirs.cpuacct}/${c}/cpuacct.stat`]: 'user 7\nsystem 3\n',
    [`${cpuDirs.cpu}/${c}/cpu.stat`]: 'nr_periods 10\nnr_throttled 2\nthrottled_time 5000\nnr_bursts 0\nburst_time 0\n',
    [`pids/${c}/pids.current`]: '3\n',
    [`pids/${c}/pids.max`]: 'max\n',
    [`blkio/${c}/blkio.throttle.io_service_bytes_recursive`]:
      '8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 12288\n8:0 Discard 0\n8:0 Total 12288\nTotal 12288\n',
    [`blkio/${c}/blkio.throttle.io_serviced_recursive`]: '8:0 Read 1\n8:0 Write 2\nTotal 3\n',
    'proc/meminfo': 'MemTotal:       16303412 kB\nMemFree:         1000 kB\n',
  });
}

describe('cgroupVersion', () => {
  it('is 2 only when the root itself is a cgroup2 mount', () => {
    v1Tree();
    assert.equal(cgroupVersion(root), 1);
    tree({ 'cgroup.controllers': 'cpu io memory pids\n' });
    assert.equal(cgroupVersion(root), 2);
  });
});

describe('readCgroupStats on cgroup v1', () => {
  it('maps the controllers the way moby statsV1 does', async () => {
    v1Tree();
    const s = await readCgroupStats('/berth/c1', { cgroupRoot: root, procRoot: join(root, 'proc') });
    assert.deepEqual(s.cpu_stats, {
      cpu_usage: { total_usage: 123456789, percpu_usage: [100000000, 23456789], usage_in_kernelmode: 30000000, usage_in_usermode: 70000000 },
      throttling_data: { periods: 10, throttled_periods: 2, throttled_time: 5000 },
    });
    // pids.max "max" is 0 on v1 (containerd), and omitempty drops it.
    assert.deepEqual(s.pids_stats, { current: 3 });
    // The unlimited limit becomes the machine's memory; the stats map holds Docker's keys only.
    assert.equal(s.memory_stats.limit, 16303412 * 1024);
    assert.equal(s.memory_stats.usage, 1200128);
    assert.equal(s.memory_stats.max_usage, 2400256);
    assert.equal(s.memory_stats.failcnt, undefined);
    assert.equal(s.memory_stats.stats?.['total_inactive_file'], 4096);
    assert.equal(s.memory_stats.stats?.['hierarchical_memory_limit'], 9223372036854771712);
    assert.equal(s.memory_stats.stats?.['shmem'], undefined);
    assert.equal(Object.keys(s.memory_stats.stats ?? {}).length, 32);
    assert.deepEqual(Object.keys(s.memory_stats), ['usage', 'max_usage', 'stats', 'limit']);
    // No CFQ files here: the throttle files fill the two lists, the others are empty (not null) as in Docker.
    assert.deepEqual(s.blkio_stats.io_service_bytes_recursive, [
      { major: 8, minor: 0, op: 'Read', value: 4096 },
      { major: 8, minor: 0, op: 'Write', value: 8192 },
      { major: 8, minor: 0, op: 'Sync', value: 0 },
      { major: 8, minor: 0, op: 'Async', value: 12288 },
      { major: 8, minor: 0, op: 'Discard', value: 0 },
      { major: 8, minor: 0, op: 'Total', value: 12288 },
    ]);
    assert.equal(s.blkio_stats.io_serviced_recursive?.length, 2);
    assert.deepEqual(s.blkio_stats.io_queue_recursive, []);
    assert.deepEqual(s.blkio_stats.sectors_recursive, []);
  });

  it('finds co-mounted cpu,cpuacct controllers', async () => {
    v1Tree({ cpu: 'cpu,cpuacct', cpuacct: 'cpu,cpuacct' });
    const s = await readCgroupStats('berth/c1', { cgroupRoot: root, machineMemory: 1 << 30 });
    assert.equal(s.cpu_stats.cpu_usage.total_usage, 123456789);
    assert.equal(s.cpu_stats.throttling_data.periods, 10);
  });

  it('keeps a real memory limit below the machine size, and reports a numeric pids limit', async () => {
    v1Tree();
    tree({ 'memory/berth/c1/memory.limit_in_bytes': '67108864\n', 'pids/berth/c1/pids.max': '100\n', 'memory/berth/c1/memory.failcnt': '4\n' });
    const s = await readCgroupStats('/berth/c1', { cgroupRoot: root, machineMemory: 1 << 30 });
    assert.equal(s.memory_stats.limit, 67108864);
    assert.equal(s.memory_stats.failcnt, 4);
    assert.deepEqual(s.pids_stats, { current: 3, limit: 100 });
  });

  it('prefers the CFQ files when they hold entries', async () => {
    v1Tree();
    tree({
      'blkio/berth/c1/blkio.io_serviced_recursive': '8:16 Read 5\n8:16 Write 6\nTotal 11\n',
      'blkio/berth/c1/blkio.io_service_bytes_recursive': '8:16 Read 500\n8:16 Write 600\nTotal 1100\n',
      'blkio/berth/c1/blkio.sectors_recursive': '8:16 12\n',
    });
    const s = await readCgroupStats('/berth/c1', { cgroupRoot: root, machineMemory: 1 });
    assert.deepEqual(s.blkio_stats.io_service_bytes_recursive, [
      { major: 8, minor: 16, op: 'Read', value: 500 },
      { major: 8, minor: 16, op: 'Write', value: 600 },
    ]);
    assert.deepEqual(s.blkio_stats.sectors_recursive, [{ major: 8, minor: 16, op: '', value: 12 }]);
  });

  it('throws NotFoundError when the container has no cgroup', async () => {
    v1Tree();
    await assert.rejects(readCgroupStats('/berth/gone', { cgroupRoot: root, machineMemory: 1 }), NotFoundError);
  });
});

describe('readCgroupStats on cgroup v2', () => {
  function v2Tree(): void {
    const c = 'berth/c2';
    tree({
      'cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma misc\n',
      [`${c}/memory.current`]: '3145728\n',
      [`${c}/memory.max`]: 'max\n',
      [`${c}/memory.stat`]: 'anon 2097152\nfile 1048576\nkernel_stack 16384\ninactive_file 524288\nactive_file 524288\nworkingset_refault_anon 0\npgfault 900\n',
      [`${c}/memory.events`]: 'low 0\nhigh 0\nmax 3\noom 2\noom_kill 1\n',
      [`${c}/cpu.stat`]: 'usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\nthrottled_usec 30\n',
      [`${c}/pids.current`]: '2\n',
      [`${c}/pids.max`]: 'max\n',
      [`${c}/io.stat`]: '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n253:1 rbytes=1 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n',
    });
  }

  it('maps the unified files the way moby statsV2 does', async () => {
    v2Tree();
    const s = await readCgroupStats('/berth/c2', { cgroupRoot: root, machineMemory: 8 * 2 ** 30 });
    assert.deepEqual(s.cpu_stats, {
      cpu_usage: { total_usage: 2500000, usage_in_kernelmode: 500000, usage_in_usermode: 2000000 },
      throttling_data: { periods: 4, throttled_periods: 1, throttled_time: 30000 },
    });
    // "max" is MaxUint64 on v2: the memory limit is capped to the machine, the pids limit is reported as is.
    assert.deepEqual(s.pids_stats, { current: 2, limit: MAX_UINT64 });
    assert.equal(s.memory_stats.limit, 8 * 2 ** 30);
    assert.equal(s.memory_stats.usage, 3145728);
    assert.equal(s.memory_stats.max_usage, undefined);
    assert.equal(s.memory_stats.failcnt, 2);
    assert.equal(s.memory_stats.stats?.['inactive_file'], 524288);
    assert.equal(s.memory_stats.stats?.['thp_collapse_alloc'], 0);
    assert.equal(Object.keys(s.memory_stats.stats ?? {}).length, 31);
    assert.deepEqual(s.blkio_stats.io_service_bytes_recursive, [
      { major: 8, minor: 0, op: 'read', value: 4096 },
      { major: 8, minor: 0, op: 'write', value: 8192 },
      { major: 253, minor: 1, op: 'read', value: 1 },
      { major: 253, minor: 1, op: 'write', value: 0 },
    ]);
    assert.equal(s.blkio_stats.io_serviced_recursive, null);
  });

  it('leaves the io list null when io.stat is empty, and throws NotFoundError for a missing cgroup', async () => {
    v2Tree();
    tree({ 'berth/c2/io.stat': '' });
    const s = await readCgroupStats('/berth/c2', { cgroupRoot: root, machineMemory: 1 });
    assert.equal(s.blkio_stats.io_service_bytes_recursive, null);
    await assert.rejects(readCgroupStats('/berth/none', { cgroupRoot: root, machineMemory: 1 }), NotFoundError);
  });
});

describe('/proc readers', () => {
  it('sums the first seven cpu fields in ticks of 10 ms and counts the cpuN lines', async () => {
    tree({
      'proc/stat':
        'cpu  351221 17 144582 1286386 6426 0 2202 47758 0 0\ncpu0 148331 8 68824 675825 1959 0 268 23861 0 0\n' +
        'cpu1 202889 8 75758 610560 4466 0 1933 23896 0 0\nintr 1 2 3\nctxt 5\n',
    });
    const cpu = await readSystemCpu(join(root, 'proc'));
    assert.equal(cpu.systemUsage, (351221 + 17 + 144582 + 1286386 + 6426 + 0 + 2202) * 10_000_000);
    assert.equal(cpu.onlineCpus, 2);
  });

  it('refuses a /proc/stat without a usable cpu line', async () => {
    tree({ 'proc/stat': 'cpu 1 2 3\n' });
    await assert.rejects(readSystemCpu(join(root, 'proc')), /invalid number of cpu fields/);
  });

  it('reads MemTotal in bytes, 0 when unknown', async () => {
    tree({ 'proc/meminfo': 'MemTotal:       2048 kB\n' });
    assert.equal(await readMachineMemory(join(root, 'proc')), 2048 * 1024);
    assert.equal(await readMachineMemory(join(root, 'nowhere')), 0);
  });

  const NET_DEV =
    'Inter-|   Receive                                                |  Transmit\n' +
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n' +
    '    lo:  311395    1039    0    0    0     0          0         0   311395    1039    0    0    0     0       0          0\n';

  it('reports every interface of the container namespace but lo', async () => {
    tree({ 'proc/42/net/dev': `${NET_DEV}  eth0: 1296 16 1 2 0 0 0 0 746 9 3 4 0 0 0 0\n` });
    assert.deepEqual(await readNetworkStats(42, join(root, 'proc')), {
      eth0: { rx_bytes: 1296, rx_packets: 16, rx_errors: 1, rx_dropped: 2, tx_bytes: 746, tx_packets: 9, tx_errors: 3, tx_dropped: 4 },
    });
  });

  it('gives no networks for a namespace with only lo, or for the daemon own namespace', async () => {
    tree({ 'proc/42/net/dev': NET_DEV, 'proc/43/net/dev': `${NET_DEV}  eth0: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n` });
    assert.equal(await readNetworkStats(42, join(root, 'proc')), undefined);
    mkdirSync(join(root, 'proc/self/ns'), { recursive: true });
    mkdirSync(join(root, 'proc/43/ns'), { recursive: true });
    symlinkSync('net:[4026531833]', join(root, 'proc/self/ns/net'));
    symlinkSync('net:[4026531833]', join(root, 'proc/43/ns/net'));
    assert.equal(await readNetworkStats(43, join(root, 'proc')), undefined);
    assert.equal(await readNetworkStats(44, join(root, 'proc')), undefined, 'a vanished process has no networks');
  });
});

describe('file parsers', () => {
  it('parseBlkioFile skips the Total line and reads lines without an op', () => {
    assert.deepEqual(parseBlkioFile('8:0 Read 1\n8:0 2\nTotal 3\n'), [
      { major: 8, minor: 0, op: 'Read', value: 1 },
      { major: 8, minor: 0, op: '', value: 2 },
    ]);
    assert.deepEqual(parseBlkioFile(undefined), []);
  });

  it('parseIoStat ignores malformed lines', () => {
    assert.deepEqual(parseIoStat('junk\n1:2 rbytes=x wbytes=3\n'), [
      { major: 1, minor: 2, op: 'read', value: 0 },
      { major: 1, minor: 2, op: 'write', value: 3 },
    ]);
  });
});
