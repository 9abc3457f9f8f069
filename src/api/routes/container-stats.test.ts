import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';

import { noSuchContainer } from '../../core/errdefs.js';
import { emptyBlkioStats } from '../../pkg/cgroup-stats.js';
import type { StatsJson, StatsSample } from '../../services/containers/container-stats.js';
import { bodyText, serveRoutes, type RouteTestServer } from '../route-test-server.js';
import { containerStatsRoutes, type StatsTarget } from './container-stats.js';

const containers = new Map<string, StatsTarget>();
let reads = 0;

function sample(): Promise<StatsSample> {
  reads++;
  return Promise.resolve({
    pids_stats: { current: 2 },
    blkio_stats: emptyBlkioStats(),
    cpu_stats: {
      cpu_usage: { total_usage: reads * 1000, usage_in_kernelmode: 0, usage_in_usermode: reads * 1000 },
      system_cpu_usage: reads * 10_000,
      online_cpus: 2,
      throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
    },
    memory_stats: { usage: 100, limit: 1000 },
  });
}

function lookup(ref: string): StatsTarget {
  for (const c of containers.values()) if (c.id === ref || c.name === `/${ref}` || c.id.startsWith(ref)) return c;
  throw noSuchContainer(ref);
}

let server: RouteTestServer;

before(async () => {
  containers.set('a', { id: 'aaaa1111', name: '/web', cgroupsPath: '/berth/aaaa1111', pid: 10, running: true });
  containers.set('b', { id: 'bbbb2222', name: '/idle', cgroupsPath: '/berth/bbbb2222', pid: undefined, running: false });
  server = await serveRoutes(containerStatsRoutes(lookup, { read: sample, interval: 5 }));
});

after(() => server.close());

const get = (path: string): Promise<IncomingMessage> => server.get(path);
const body = bodyText;

/** Collects `n` complete lines of a streamed response, then hangs up. */
async function firstLines(res: IncomingMessage, n: number): Promise<string[]> {
  let buf = '';
  const out: string[] = [];
  for await (const chunk of res) {
    buf += String(chunk);
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0 && out.length < n) {
      out.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
    if (out.length >= n) break;
  }
  res.destroy();
  return out;
}

describe('GET /containers/{id}/stats', () => {
  it('answers stream=0 with one object (two samples, so precpu is set) and a newline', async () => {
    const res = await get('/v1.43/containers/web/stats?stream=0');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    const text = await body(res);
    assert.ok(text.endsWith('}\n'));
    assert.equal(text.trim().split('\n').length, 1);
    const s = JSON.parse(text) as StatsJson;
    assert.equal(s.name, '/web');
    assert.equal(s.id, 'aaaa1111');
    assert.ok(s.precpu_stats.cpu_usage.total_usage > 0);
    assert.ok(s.cpu_stats.cpu_usage.total_usage > s.precpu_stats.cpu_usage.total_usage);
  });

  it('takes a single sample with one-shot, but not for clients older than API 1.41', async () => {
    const one = JSON.parse(await body(await get('/containers/aaaa/stats?stream=false&one-shot=1'))) as StatsJson;
    assert.equal(one.preread, '0001-01-01T00:00:00Z');
    assert.equal(one.precpu_stats.cpu_usage.total_usage, 0);
    const old = JSON.parse(await body(await get('/v1.40/containers/aaaa/stats?stream=false&one-shot=1'))) as StatsJson;
    assert.notEqual(old.preread, '0001-01-01T00:00:00Z');
  });

  it('streams by default, one object per line, each with the previous as pre', async () => {
    const res = await get('/containers/web/stats');
    assert.equal(res.statusCode, 200);
    const lines = (await firstLines(res, 3)).map((l) => JSON.parse(l) as StatsJson);
    assert.equal(lines.length, 3);
    assert.equal(lines[1]!.preread, lines[0]!.read);
    assert.equal(lines[2]!.precpu_stats.cpu_usage.total_usage, lines[1]!.cpu_stats.cpu_usage.total_usage);
  });

  it('stops sampling once the client hangs up', async () => {
    const res = await get('/containers/web/stats');
    await firstLines(res, 1);
    await new Promise((r) => setTimeout(r, 30));
    const settled = reads;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(reads, settled);
  });

  it('answers a stopped container with the zero object', async () => {
    const s = JSON.parse(await body(await get('/containers/idle/stats?stream=0'))) as StatsJson;
    assert.equal(s.read, '0001-01-01T00:00:00Z');
    assert.equal(s.name, '/idle');
    assert.deepEqual(s.memory_stats, {});
  });

  it('ends the stream when the container is removed', async () => {
    containers.set('c', { id: 'cccc3333', name: '/doomed', cgroupsPath: '/berth/cccc3333', pid: 11, running: true });
    const res = await get('/containers/doomed/stats');
    const done = body(res);
    await new Promise((r) => setTimeout(r, 20));
    containers.delete('c');
    const text = await done;
    assert.ok(text.trim().split('\n').length >= 1);
  });

  it('refuses stream with one-shot, and names an unknown container', async () => {
    const bad = await get('/containers/web/stats?stream=1&one-shot=1');
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(JSON.parse(await body(bad)), { message: 'cannot have stream=true and one-shot=true' });
    const missing = await get('/containers/nope/stats?stream=0');
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(JSON.parse(await body(missing)), { message: 'No such container: nope' });
  });
});
