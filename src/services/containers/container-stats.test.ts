import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { InvalidArgumentError } from '../../core/errdefs.js';
import { emptyBlkioStats, MAX_UINT64 } from '../../pkg/cgroup-stats.js';
import { containerStats, goTimeJson, statsJson, ZERO_TIME, type ContainerStatsOptions, type StatsJson, type StatsSample } from './container-stats.js';

const ID = 'f00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeed';

/** A reading whose CPU total grows by 1e8 ns per call, system time by 1e9. */
function fakeReader(): { read: (t: { cgroupsPath: string; pid: number | undefined }) => Promise<StatsSample>; calls: Array<{ cgroupsPath: string; pid: number | undefined }> } {
  const calls: Array<{ cgroupsPath: string; pid: number | undefined }> = [];
  return {
    calls,
    read: (t) => {
      calls.push(t);
      const n = calls.length;
      return Promise.resolve({
        pids_stats: { current: 1 },
        blkio_stats: emptyBlkioStats(),
        cpu_stats: {
          cpu_usage: { total_usage: n * 100_000_000, usage_in_kernelmode: 0, usage_in_usermode: n * 100_000_000 },
          system_cpu_usage: n * 1_000_000_000,
          online_cpus: 2,
          throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
        },
        memory_stats: { usage: 1024, limit: 4096 },
      });
    },
  };
}

/** Options with a fake clock: each sleep advances it by the interval and resolves at once. */
function options(over: Partial<ContainerStatsOptions> = {}): { opts: ContainerStatsOptions; sleeps: number[] } {
  let t = Date.UTC(2026, 10, 23, 10, 0, 0, 123);
  const sleeps: number[] = [];
  const reader = fakeReader();
  const opts: ContainerStatsOptions = {
    id: ID,
    name: 'web',
    cgroupsPath: `/berth/${ID}`,
    pid: () => 4242,
    running: () => true,
    stream: false,
    oneShot: false,
    signal: new AbortController().signal,
    read: reader.read,
    sleep: (ms) => {
      sleeps.push(ms);
      t += ms;
      return Promise.resolve();
    },
    now: () => new Date(t),
    ...over,
  };
  return { opts, sleeps };
}

async function collect(gen: AsyncGenerator<StatsJson>, max = 10): Promise<StatsJson[]> {
  const out: StatsJson[] = [];
  for await (const s of gen) {
    out.push(s);
    if (out.length >= max) break;
  }
  return out;
}

describe('containerStats', () => {
  it('without stream takes two samples a second apart, the first as precpu', async () => {
    const { opts, sleeps } = options();
    const [s, ...rest] = await collect(containerStats(opts));
    assert.equal(rest.length, 0);
    assert.deepEqual(sleeps, [1000]);
    assert.equal(s!.read, '2026-11-23T10:00:01.123Z');
    assert.equal(s!.preread, '2026-11-23T10:00:00.123Z');
    assert.equal(s!.cpu_stats.cpu_usage.total_usage, 200_000_000);
    assert.equal(s!.precpu_stats.cpu_usage.total_usage, 100_000_000);
    assert.equal(s!.precpu_stats.system_cpu_usage, 1_000_000_000);
    assert.equal(s!.name, '/web');
    assert.equal(s!.id, ID);
  });

  it('with one-shot takes a single sample with zero precpu', async () => {
    const { opts, sleeps } = options({ oneShot: true });
    const [s] = await collect(containerStats(opts));
    assert.deepEqual(sleeps, []);
    assert.equal(s!.preread, ZERO_TIME);
    assert.deepEqual(s!.precpu_stats, {
      cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
      throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
    });
  });

  it('answers a stopped container at once with the zero-valued object, byte for byte as Docker', async () => {
    const { opts, sleeps } = options({ running: () => false, name: '/stopped' });
    const all = await collect(containerStats(opts));
    assert.deepEqual(sleeps, []);
    assert.equal(all.length, 1);
    assert.equal(
      statsJson(all[0]),
      '{"read":"0001-01-01T00:00:00Z","preread":"0001-01-01T00:00:00Z","pids_stats":{},"blkio_stats":{"io_service_bytes_recursive":null,' +
        '"io_serviced_recursive":null,"io_queue_recursive":null,"io_service_time_recursive":null,"io_wait_time_recursive":null,' +
        '"io_merged_recursive":null,"io_time_recursive":null,"sectors_recursive":null},"num_procs":0,"storage_stats":{},' +
        '"cpu_stats":{"cpu_usage":{"total_usage":0,"usage_in_kernelmode":0,"usage_in_usermode":0},"throttling_data":{"periods":0,' +
        '"throttled_periods":0,"throttled_time":0}},"precpu_stats":{"cpu_usage":{"total_usage":0,"usage_in_kernelmode":0,' +
        '"usage_in_usermode":0},"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}},"memory_stats":{},' +
        `"name":"/stopped","id":"${ID}"}`,
    );
  });

  it('refuses stream with one-shot (Docker 24 answers 400)', async () => {
    const { opts } = options({ stream: true, oneShot: true });
    await assert.rejects(
      collect(containerStats(opts)),
      (e: unknown) => e instanceof InvalidArgumentError && e.message === 'cannot have stream=true and one-shot=true',
    );
  });

  it('streams a sample now and one per interval, each with the previous one as pre', async () => {
    const { opts, sleeps } = options({ stream: true });
    const all = await collect(containerStats(opts), 3);
    assert.deepEqual(sleeps, [1000, 1000]);
    assert.equal(all[0]!.preread, ZERO_TIME);
    assert.equal(all[0]!.precpu_stats.cpu_usage.total_usage, 0);
    assert.equal(all[1]!.preread, all[0]!.read);
    assert.equal(all[1]!.precpu_stats.cpu_usage.total_usage, all[0]!.cpu_stats.cpu_usage.total_usage);
    assert.equal(all[2]!.precpu_stats.cpu_usage.total_usage, all[1]!.cpu_stats.cpu_usage.total_usage);
  });

  it('streams zeroed samples while the container is stopped and real ones once it runs', async () => {
    let running = false;
    const reader = fakeReader();
    const { opts } = options({ stream: true, running: () => running, read: reader.read });
    const gen = containerStats(opts);
    const a = (await gen.next()).value as StatsJson;
    assert.equal(a.read, ZERO_TIME);
    running = true;
    const b = (await gen.next()).value as StatsJson;
    assert.notEqual(b.read, ZERO_TIME);
    assert.equal(b.preread, ZERO_TIME);
    assert.equal(reader.calls.length, 1);
    assert.deepEqual(reader.calls[0], { cgroupsPath: `/berth/${ID}`, pid: 4242 });
    await gen.return();
  });

  it('gives a zeroed sample when the cgroup read fails (the container died meanwhile)', async () => {
    const { opts } = options({ oneShot: true, read: () => Promise.reject(new Error('ENOENT')) });
    const [s] = await collect(containerStats(opts));
    assert.equal(s!.read, ZERO_TIME);
    assert.equal(s!.name, '/web');
  });

  it('ends a stream when the signal aborts or the container is removed', async () => {
    const ac = new AbortController();
    const { opts } = options({ stream: true, signal: ac.signal });
    const gen = containerStats(opts);
    await gen.next();
    ac.abort();
    assert.equal((await gen.next()).done, true);

    let removed = false;
    const { opts: opts2 } = options({ stream: true, removed: () => removed });
    const gen2 = containerStats(opts2);
    await gen2.next();
    removed = true;
    assert.equal((await gen2.next()).done, true);
  });

  it('leaves networks out when there are none, and reports them when there are', async () => {
    const reader = fakeReader();
    const withNet = async (t: { cgroupsPath: string; pid: number | undefined }): Promise<StatsSample> => ({
      ...(await reader.read(t)),
      networks: { eth0: { rx_bytes: 1, rx_packets: 1, rx_errors: 0, rx_dropped: 0, tx_bytes: 2, tx_packets: 2, tx_errors: 0, tx_dropped: 0 } },
    });
    const [plain] = await collect(containerStats(options({ oneShot: true }).opts));
    assert.equal('networks' in plain!, false);
    const [net] = await collect(containerStats(options({ oneShot: true, read: withNet }).opts));
    assert.deepEqual(Object.keys(net!).slice(-3), ['name', 'id', 'networks']);
  });
});

describe('statsJson', () => {
  it('writes integers in full, MaxUint64 as Go does, and escapes HTML', () => {
    assert.equal(statsJson({ a: 9223372036854771712, b: MAX_UINT64, c: 18781450000000, d: [1, 2], e: 'a<b', f: undefined, g: null }),
      '{"a":9223372036854771712,"b":18446744073709551615,"c":18781450000000,"d":[1,2],"e":"a\\u003cb","g":null}');
  });
});

describe('goTimeJson', () => {
  it('trims trailing zeros of the fraction as RFC3339Nano does', () => {
    assert.equal(goTimeJson(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 120))), '2026-01-02T03:04:05.12Z');
    assert.equal(goTimeJson(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 0))), '2026-01-02T03:04:05Z');
    assert.equal(goTimeJson(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 7))), '2026-01-02T03:04:05.007Z');
  });
});
