import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';

import { EngineApiError } from '../../client/errors.js';
import type { ContainerSummary } from '../../client/types.js';
import { StatusError } from '../errors.js';
import { runStats, type StatsClient, type StatsTiming } from './stats.js';

const FAST: StatsTiming = { tick: 5, timeout: 60 };
const ID_A = 'aaaaaaaaaaaa1111111111111111111111111111111111111111111111111111';
const ID_B = 'bbbbbbbbbbbb2222222222222222222222222222222222222222222222222222';

function statsLine(id: string, name: string): string {
  return `${JSON.stringify({
    read: '2026-11-23T10:00:01Z',
    preread: '2026-11-23T10:00:00Z',
    name,
    id,
    cpu_stats: { cpu_usage: { total_usage: 2_000_000 }, system_cpu_usage: 2_000_000_000, online_cpus: 2 },
    precpu_stats: { cpu_usage: { total_usage: 1_000_000 }, system_cpu_usage: 1_000_000_000, online_cpus: 2 },
    memory_stats: { usage: 2_097_152, limit: 8_388_608, stats: { inactive_file: 1_048_576 } },
    blkio_stats: { io_service_bytes_recursive: [{ major: 8, minor: 0, op: 'read', value: 4096 }] },
    pids_stats: { current: 1 },
    networks: { eth0: { rx_bytes: 1296, tx_bytes: 746 } },
  })}\n`;
}

interface FakeDaemon {
  client: StatsClient;
  requests: string[];
  events: PassThrough;
}

/** A daemon with the given containers; `stats` decides what each stats request returns. */
function fakeDaemon(containers: Array<{ id: string; name: string }>, stats: (ref: string, query: string) => Readable | Error): FakeDaemon {
  const requests: string[] = [];
  const events = new PassThrough();
  const client = {
    version: () => Promise.resolve({ Os: 'linux' }),
    containerList: () => Promise.resolve(containers.map((c) => ({ Id: c.id, Names: [`/${c.name}`] }) as ContainerSummary)),
    request: (method: string, path: string, opts: { query?: Record<string, unknown>; signal?: AbortSignal } = {}) => {
      const query = new URLSearchParams(Object.entries(opts.query ?? {}).filter(([, v]) => v !== undefined) as Array<[string, string]>).toString();
      requests.push(`${method} ${path}?${query}`);
      if (path === '/events') return Promise.resolve(events as unknown as IncomingMessage);
      const m = /^\/containers\/([^/]+)\/stats$/.exec(path);
      if (m === null) return Promise.reject(new EngineApiError(404, 'page not found'));
      const r = stats(decodeURIComponent(m[1]!), query);
      if (r instanceof Error) return Promise.reject(r);
      // A real request is destroyed when its signal aborts.
      opts.signal?.addEventListener('abort', () => r.destroy());
      return Promise.resolve(r as unknown as IncomingMessage);
    },
  } as unknown as StatsClient;
  return { client, requests, events };
}

describe('berth stats --no-stream', () => {
  it('prints one table from one non-streaming request per container', async () => {
    const d = fakeDaemon([], (ref) => Readable.from([statsLine(ID_A, `/${ref}`)]));
    let out = '';
    await runStats(d.client, (t) => (out += t), ['web'], { stream: false }, FAST);
    assert.deepEqual(d.requests, ['GET /containers/web/stats?stream=0']);
    assert.equal(
      out,
      'CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O        BLOCK I/O    PIDS\n' +
        'aaaaaaaaaaaa   web       0.20%     1MiB / 8MiB         12.50%    1.3kB / 746B   4.1kB / 0B   1\n',
    );
  });

  it('applies --format and --no-trunc', async () => {
    const d = fakeDaemon([], (ref) => Readable.from([statsLine(ID_A, `/${ref}`)]));
    let out = '';
    await runStats(d.client, (t) => (out += t), ['web'], { stream: false, trunc: false, format: '{{.Container}} {{.ID}} {{.MemPerc}}' }, FAST);
    assert.equal(out, `web ${ID_A} 12.50%\n`);
    out = '';
    await runStats(d.client, (t) => (out += t), ['web'], { stream: false, format: 'json' }, FAST);
    assert.equal(
      out,
      '{"BlockIO":"4.1kB / 0B","CPUPerc":"0.20%","Container":"web","ID":"aaaaaaaaaaaa","MemPerc":"12.50%","MemUsage":"1MiB / 8MiB","Name":"web","NetIO":"1.3kB / 746B","PIDs":"1"}\n',
    );
  });

  it('fails with every daemon error, one per line, as docker', async () => {
    const d = fakeDaemon([], (ref) => (ref === 'web' ? Readable.from([statsLine(ID_A, '/web')]) : new EngineApiError(404, `No such container: ${ref}`)));
    await assert.rejects(
      runStats(d.client, () => undefined, ['nope', 'web', 'gone'], { stream: false }, FAST),
      (e: unknown) =>
        e instanceof StatusError &&
        e.statusCode === 1 &&
        e.message === 'Error response from daemon: No such container: nope\nError response from daemon: No such container: gone',
    );
  });

  it('gives up on a container that sends nothing within the timeout', async () => {
    const d = fakeDaemon([], () => new PassThrough());
    await assert.rejects(runStats(d.client, () => undefined, ['slow'], { stream: false }, FAST), (e: unknown) => e instanceof StatusError && e.message === 'timeout waiting for stats');
  });
});

describe('berth stats (streaming, all running containers)', () => {
  it('lists running containers, then follows start and die events, redrawing with a clear screen', async () => {
    const streams = new Map<string, PassThrough>();
    const d = fakeDaemon([{ id: ID_A, name: 'a' }], (ref) => {
      const s = new PassThrough();
      streams.set(ref, s);
      s.write(statsLine(ref === ID_A.slice(0, 12) ? ID_A : ID_B, ref === ID_A.slice(0, 12) ? '/a' : '/b'));
      return s;
    });
    const frames: string[] = [];
    let stop: (() => void) | undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const run = runStats(
      d.client,
      (t) => {
        if (t !== '\x1b[2J\x1b[H') frames.push(t);
        else assert.equal(t, '\x1b[2J\x1b[H');
        if (frames.length === 1) {
          d.events.write(`${JSON.stringify({ status: 'start', id: ID_B, Type: 'container', Action: 'start', Actor: { ID: ID_B, Attributes: {} } })}\n`);
        }
        if (frames.some((f) => f.includes('bbbbbbbbbbbb')) && !frames[frames.length - 1]!.includes('bbbbbbbbbbbb') && stop) {
          stop();
          stop = undefined;
        }
        if (frames.length === 6) {
          d.events.write(`${JSON.stringify({ status: 'die', id: ID_B, Type: 'container', Action: 'die', Actor: { ID: ID_B, Attributes: {} } })}\n`);
        }
        if (frames.length > 200) throw new Error('too many frames');
      },
      [],
      {},
      FAST,
    );
    const ended = Promise.race([stopped, run.then(() => assert.fail('stats ended by itself'))]);
    await ended;
    assert.ok(d.requests.includes('GET /events?filters=%7B%22type%22%3A%7B%22container%22%3Atrue%7D%7D'));
    assert.ok(d.requests.includes(`GET /containers/${ID_A.slice(0, 12)}/stats?stream=1`));
    assert.ok(d.requests.includes(`GET /containers/${ID_B.slice(0, 12)}/stats?stream=1`));
    assert.match(frames[0]!, /^CONTAINER ID {3}NAME/);
    // End the run: the event stream failing is reported at the next redraw.
    d.events.destroy(new Error('connection reset'));
    await assert.rejects(run, (e: unknown) => e instanceof StatusError && e.message === 'connection reset');
    for (const s of streams.values()) assert.ok(s.destroyed, 'every stats stream is closed at the end');
  });
});
