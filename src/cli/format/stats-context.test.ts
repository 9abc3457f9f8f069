import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { goJson } from '../../pkg/go-template.js';
import { StatusError } from '../errors.js';
import { renderFormat } from './formatter.js';
import {
  calculateBlockIo,
  calculateCpuPercentUnix,
  calculateMemPercentUnixNoCache,
  calculateMemUsageUnixNoCache,
  calculateNetwork,
  emptyStatsEntry,
  StatsContext,
  statsEntryFrom,
  statsFormat,
  statsHeader,
  type StatsEntry,
} from './stats-context.js';

const entry = (over: Partial<StatsEntry>): StatsEntry => ({ ...emptyStatsEntry(''), ...over });

/** docker/cli statsFormatWrite. */
function write(format: string, stats: StatsEntry[], osType = 'linux', trunc = false): string {
  return renderFormat(statsFormat(format, osType), statsHeader(osType), stats.map((s) => new StatsContext(s, osType, trunc)));
}

// docker/cli cli/command/container/formatter_stats_test.go
describe('StatsContext fields (TestContainerStatsContext)', () => {
  const cases: Array<[stats: Partial<StatsEntry>, osType: string, field: keyof StatsContext, expected: string]> = [
    [{ Container: 'abc' }, '', 'Container', 'abc'],
    [{ CPUPercentage: 5.5 }, '', 'CPUPerc', '5.50%'],
    [{ CPUPercentage: 5.5, IsInvalid: true }, '', 'CPUPerc', '--'],
    [{ NetworkRx: 0.31, NetworkTx: 12.3 }, '', 'NetIO', '0.31B / 12.3B'],
    [{ NetworkRx: 0.31, NetworkTx: 12.3, IsInvalid: true }, '', 'NetIO', '--'],
    [{ BlockRead: 0.1, BlockWrite: 2.3 }, '', 'BlockIO', '0.1B / 2.3B'],
    [{ BlockRead: 0.1, BlockWrite: 2.3, IsInvalid: true }, '', 'BlockIO', '--'],
    [{ MemoryPercentage: 10.2 }, '', 'MemPerc', '10.20%'],
    [{ MemoryPercentage: 10.2, IsInvalid: true }, '', 'MemPerc', '--'],
    [{ MemoryPercentage: 10.2 }, 'windows', 'MemPerc', '--'],
    [{ Memory: 24, MemoryLimit: 30 }, '', 'MemUsage', '24B / 30B'],
    [{ Memory: 24, MemoryLimit: 30, IsInvalid: true }, '', 'MemUsage', '-- / --'],
    [{ Memory: 24, MemoryLimit: 30 }, 'windows', 'MemUsage', '24B'],
    [{ PidsCurrent: 10 }, '', 'PIDs', '10'],
    [{ PidsCurrent: 10, IsInvalid: true }, '', 'PIDs', '--'],
    [{ PidsCurrent: 10 }, 'windows', 'PIDs', '--'],
    // Binary units for memory, decimal (three significant digits) for I/O.
    [{ Memory: 1.2 * 1024 * 1024, MemoryLimit: 23.4 * 1024 ** 3 }, '', 'MemUsage', '1.2MiB / 23.4GiB'],
    [{ NetworkRx: 1234, NetworkTx: 0 }, '', 'NetIO', '1.23kB / 0B'],
    [{ BlockRead: 4096, BlockWrite: 12_345_678 }, '', 'BlockIO', '4.1kB / 12.3MB'],
    // Go's FormatFloat rounds half to even on the exact binary value.
    [{ CPUPercentage: 0.125 }, '', 'CPUPerc', '0.12%'],
    [{ CPUPercentage: 100.0 / 3 }, '', 'CPUPerc', '33.33%'],
    [{ Name: '/web' }, '', 'Name', 'web'],
    [{ Name: '' }, '', 'Name', '--'],
  ];
  for (const [stats, osType, field, expected] of cases) {
    it(`${String(field)} of ${JSON.stringify(stats)}${osType ? ` on ${osType}` : ''} is ${expected}`, () => {
      const ctx = new StatsContext(entry(stats), osType);
      assert.equal((ctx[field] as () => string).call(ctx), expected);
    });
  }
});

describe('stats tables (TestContainerStatsContextWrite)', () => {
  const stats: StatsEntry[] = [
    entry({ Container: 'container1', ID: 'abcdef', Name: '/foo', CPUPercentage: 20, Memory: 20, MemoryLimit: 20, MemoryPercentage: 20, NetworkRx: 20, NetworkTx: 20, BlockRead: 20, BlockWrite: 20, PidsCurrent: 2 }),
    entry({ Container: 'container2', CPUPercentage: 30, Memory: 30, MemoryLimit: 30, MemoryPercentage: 30, NetworkRx: 30, NetworkTx: 30, BlockRead: 30, BlockWrite: 30, PidsCurrent: 3, IsInvalid: true }),
  ];

  it('reports template errors in docker words', () => {
    assert.throws(() => write('{{InvalidFunction}}', stats), (e: unknown) => e instanceof StatusError && e.message === 'template parsing error: template: :1: function "InvalidFunction" not defined');
  });

  const cases: Array<[format: string, osType: string, expected: string]> = [
    ['table {{.MemUsage}}', 'linux', 'MEM USAGE / LIMIT\n20B / 20B\n-- / --\n'],
    ['{{.Container}}  {{.ID}}  {{.Name}}', 'linux', 'container1  abcdef  foo\ncontainer2    --\n'],
    ['{{.Container}}  {{.CPUPerc}}', 'linux', 'container1  20.00%\ncontainer2  --\n'],
    ['table {{.MemUsage}}', 'windows', 'PRIV WORKING SET\n20B\n-- / --\n'],
    ['{{.Container}}  {{.MemPerc}}  {{.PIDs}}', 'windows', 'container1  --  --\ncontainer2  --  --\n'],
  ];
  for (const [format, osType, expected] of cases) {
    it(`${format} on ${osType}`, () => assert.equal(write(format, stats, osType), expected));
  }

  it('prints only the header when there are no containers', () => {
    assert.equal(write('{{.Container}}', []), '');
    assert.equal(write('table {{.Container}}', []), 'CONTAINER\n');
    assert.equal(write('table {{.Container}}\t{{.CPUPerc}}', []), 'CONTAINER   CPU %\n');
    assert.equal(write('table {{.Container}}\t{{.CPUPerc}}\t{{.MemUsage}}', [], 'windows'), 'CONTAINER   CPU %     PRIV WORKING SET\n');
  });

  it('truncates the ID unless --no-trunc', () => {
    const id = 'b95a83497c9161c9b444e3d70e1a9dfba0c1840d41720e146a95a08ebf938afc';
    assert.equal(write('{{.ID}}', [entry({ ID: id })], 'linux', false), `${id}\n`);
    assert.equal(write('{{.ID}}', [entry({ ID: id })], 'linux', true), 'b95a83497c91\n');
  });

  it('renders the default table', () => {
    const row = entry({
      Container: 'f00dfeedcafe',
      ID: 'f00dfeedcafe0000',
      Name: '/web',
      CPUPercentage: 0.5,
      Memory: 1_572_864,
      MemoryLimit: 16 * 1024 ** 3,
      MemoryPercentage: (1_572_864 / (16 * 1024 ** 3)) * 100,
      NetworkRx: 1296,
      NetworkTx: 746,
      BlockRead: 0,
      BlockWrite: 4096,
      PidsCurrent: 1,
    });
    assert.equal(
      write('table', [row], 'linux', true),
      'CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O        BLOCK I/O    PIDS\n' +
        'f00dfeedcafe   web       0.50%     1.5MiB / 16GiB      0.01%     1.3kB / 746B   0B / 4.1kB   1\n',
    );
  });

  it('marshals a row with docker keys, sorted', () => {
    assert.equal(
      goJson(new StatsContext(stats[0], 'linux', true)),
      '{"BlockIO":"20B / 20B","CPUPerc":"20.00%","Container":"container1","ID":"abcdef","MemPerc":"20.00%","MemUsage":"20B / 20B","Name":"foo","NetIO":"20B / 20B","PIDs":"2"}',
    );
  });
});

// docker/cli stats_helpers_test.go and stats_unit_test.go
describe('stats arithmetic', () => {
  it('calculateMemUsageUnixNoCache subtracts the inactive file cache (v1, then v2)', () => {
    assert.equal(calculateMemUsageUnixNoCache({ usage: 500, stats: { total_inactive_file: 400 } }), 100);
    assert.equal(calculateMemUsageUnixNoCache({ usage: 500, stats: { inactive_file: 100 } }), 400);
    // A v1 figure not below usage falls through to the v2 key, then to the raw usage.
    assert.equal(calculateMemUsageUnixNoCache({ usage: 500, stats: { total_inactive_file: 600, inactive_file: 50 } }), 450);
    assert.equal(calculateMemUsageUnixNoCache({ usage: 500, stats: { inactive_file: 700 } }), 500);
    assert.equal(calculateMemUsageUnixNoCache(undefined), 0);
  });

  it('calculateMemPercentUnixNoCache is 0 without a limit', () => {
    assert.equal(calculateMemPercentUnixNoCache(100, 70), 70);
    assert.equal(calculateMemPercentUnixNoCache(0, 70), 0);
  });

  it('calculateBlockIO sums by the first letter of the op', () => {
    const [read, write] = calculateBlockIo({
      io_service_bytes_recursive: [
        { op: 'read', value: 1234 },
        { op: 'read', value: 4567 },
        { op: 'Read', value: 6 },
        { op: 'Read', value: 8 },
        { op: 'write', value: 123 },
        { op: 'write', value: 456 },
        { op: 'Write', value: 6 },
        { op: 'Write', value: 8 },
        { op: '', value: 456 },
      ],
    });
    assert.deepEqual([read, write], [5815, 593]);
    assert.deepEqual(calculateBlockIo({ io_service_bytes_recursive: null }), [0, 0]);
  });

  it('calculateNetwork sums every interface', () => {
    assert.deepEqual(calculateNetwork({ eth0: { rx_bytes: 10, tx_bytes: 1 }, eth1: { rx_bytes: 5, tx_bytes: 2 } }), [15, 3]);
    assert.deepEqual(calculateNetwork(undefined), [0, 0]);
  });

  it('calculateCPUPercentUnix scales the container share of machine time by the CPU count', () => {
    const v = { cpu_stats: { cpu_usage: { total_usage: 300_000_000 }, system_cpu_usage: 4_000_000_000, online_cpus: 4 } };
    // 0.2 s of CPU while the 4 CPUs logged 2 s together (0.5 s each): 40% of one CPU.
    assert.equal(calculateCpuPercentUnix(100_000_000, 2_000_000_000, v), 40);
    // Without online_cpus the per-CPU list gives the count.
    const noOnline = { cpu_stats: { cpu_usage: { total_usage: 300_000_000, percpu_usage: [1, 2] }, system_cpu_usage: 4_000_000_000 } };
    assert.equal(calculateCpuPercentUnix(100_000_000, 2_000_000_000, noOnline), 20);
    // No progress on either side: 0.
    assert.equal(calculateCpuPercentUnix(300_000_000, 2_000_000_000, v), 0);
    assert.equal(calculateCpuPercentUnix(100_000_000, 4_000_000_000, v), 0);
  });

  it('statsEntryFrom builds docker/cli entry from a daemon object', () => {
    const e = statsEntryFrom(
      'web',
      {
        name: '/web',
        id: 'abc',
        cpu_stats: { cpu_usage: { total_usage: 2_000_000 }, system_cpu_usage: 2_000_000_000, online_cpus: 2 },
        precpu_stats: { cpu_usage: { total_usage: 1_000_000 }, system_cpu_usage: 1_000_000_000, online_cpus: 2 },
        memory_stats: { usage: 2_097_152, limit: 8_388_608, stats: { inactive_file: 1_048_576 } },
        blkio_stats: { io_service_bytes_recursive: [{ op: 'read', value: 10 }, { op: 'write', value: 20 }] },
        pids_stats: { current: 3 },
        networks: { eth0: { rx_bytes: 100, tx_bytes: 50 } },
      },
      'linux',
    );
    assert.deepEqual(e, {
      Container: 'web',
      Name: '/web',
      ID: 'abc',
      CPUPercentage: 0.2,
      Memory: 1_048_576,
      MemoryLimit: 8_388_608,
      MemoryPercentage: 12.5,
      NetworkRx: 100,
      NetworkTx: 50,
      BlockRead: 10,
      BlockWrite: 20,
      PidsCurrent: 3,
      IsInvalid: false,
    });
    const win = statsEntryFrom(
      'w',
      {
        read: '2026-01-01T00:00:01Z',
        preread: '2026-01-01T00:00:00Z',
        num_procs: 2,
        cpu_stats: { cpu_usage: { total_usage: 5_000_000 } },
        precpu_stats: { cpu_usage: { total_usage: 0 } },
        memory_stats: { privateworkingset: 1000 },
        storage_stats: { read_size_bytes: 1, write_size_bytes: 2 },
      },
      'windows',
    );
    // 5e6 of 2e7 possible 100 ns intervals.
    assert.equal(win.CPUPercentage, 25);
    assert.equal(win.Memory, 1000);
    assert.deepEqual([win.BlockRead, win.BlockWrite], [1, 2]);
  });
});
