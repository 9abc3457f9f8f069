import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from './engine-client.js';
import type { UpdateConfig } from './types.js';

const UPDATE: UpdateConfig = {
  CpuShares: 0,
  Memory: 1,
  NanoCpus: 0,
  CgroupParent: '',
  BlkioWeight: 0,
  BlkioWeightDevice: null,
  BlkioDeviceReadBps: null,
  BlkioDeviceWriteBps: null,
  BlkioDeviceReadIOps: null,
  BlkioDeviceWriteIOps: null,
  CpuPeriod: 0,
  CpuQuota: 0,
  CpuRealtimePeriod: 0,
  CpuRealtimeRuntime: 0,
  CpusetCpus: '',
  CpusetMems: '',
  Devices: null,
  DeviceCgroupRules: null,
  DeviceRequests: null,
  MemoryReservation: 0,
  MemorySwap: 0,
  MemorySwappiness: null,
  OomKillDisable: null,
  PidsLimit: null,
  Ulimits: null,
  CpuCount: 0,
  CpuPercent: 0,
  IOMaximumIOps: 0,
  IOMaximumBandwidth: 0,
  RestartPolicy: { Name: '', MaximumRetryCount: 0 },
};

// Each request is recorded as "METHOD URL BODY"; answers come from the table below.
let dir: string;
let server: http.Server;
const seen: string[] = [];
const answers: Record<string, [number, unknown]> = {
  'POST /v1.43/containers/c1/exec': [201, { Id: 'e1' }],
  'POST /v1.43/exec/e1/start': [200, undefined],
  'GET /v1.43/exec/e1/json': [200, { ID: 'e1', Running: false, ExitCode: 126, Pid: 0, ContainerID: 'c1' }],
  'POST /v1.43/exec/e1/resize?h=40&w=100': [200, undefined],
  'POST /v1.43/containers/c1/pause': [204, undefined],
  'POST /v1.43/containers/c1/unpause': [204, undefined],
  'GET /v1.43/containers/c1/top?ps_args=-o+pid%2Ccomm': [200, { Titles: ['PID', 'COMMAND'], Processes: [['1', 'sh']] }],
  'POST /v1.43/containers/c1/update': [200, { Warnings: null }],
  'POST /v1.43/containers/prune?filters=%7B%22until%22%3A%7B%2224h%22%3Atrue%7D%7D': [200, { ContainersDeleted: ['c9'], SpaceReclaimed: 5 }],
  'POST /v1.43/images/prune?filters=%7B%22dangling%22%3A%7B%22true%22%3Atrue%7D%7D': [200, { ImagesDeleted: null, SpaceReclaimed: 0 }],
  'POST /v1.43/build/prune?all=1&filters=': [200, { CachesDeleted: null, SpaceReclaimed: 0 }],
  'GET /v1.43/system/df': [200, { LayersSize: 1, Images: [], Containers: [], Volumes: [], BuildCache: [] }],
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-client-admin-'));
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${body}`.trimEnd());
      if (req.url === '/_ping') {
        res.writeHead(200, { 'API-Version': '1.43' });
        res.end('OK');
        return;
      }
      const a = answers[`${req.method} ${req.url}`];
      if (!a) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ message: 'page not found' }));
        return;
      }
      res.writeHead(a[0], { 'Content-Type': 'application/json' });
      res.end(a[1] === undefined ? '' : JSON.stringify(a[1]));
    });
  });
  server.on('upgrade', (req, socket, head) => {
    // The exec start body travels with the upgrade request.
    let body = head.toString();
    const length = Number(req.headers['content-length'] ?? 0);
    const answer = (): void => {
      seen.push(`UPGRADE ${req.method} ${req.url} ${req.headers['content-type']} ${body}`);
      socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
      socket.end('tty output');
    };
    if (body.length >= length) answer();
    else {
      socket.on('data', (d: Buffer) => {
        body += d.toString();
        if (body.length >= length) answer();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(join(dir, 'd.sock'), resolve));
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

function client(): EngineClient {
  return new EngineClient({ host: `unix://${join(dir, 'd.sock')}`, apiVersion: '1.43' });
}

test('exec create, detached start, inspect and resize use the Engine API paths and bodies', async () => {
  const c = client();
  seen.length = 0;
  const body = {
    User: '',
    Privileged: false,
    Tty: false,
    AttachStdin: false,
    AttachStderr: false,
    AttachStdout: false,
    DetachKeys: '',
    Env: null,
    WorkingDir: '',
    Cmd: ['true'],
    Detach: false,
  };
  assert.equal(await c.execCreate('c1', body), 'e1');
  await c.execStart('e1', { Detach: true, Tty: false });
  const info = await c.execInspect('e1');
  assert.equal(info.ExitCode, 126);
  await c.execResize('e1', 40, 100);
  assert.deepEqual(seen, [
    `POST /v1.43/containers/c1/exec ${JSON.stringify(body)}`,
    'POST /v1.43/exec/e1/start {"Detach":true,"Tty":false}',
    'GET /v1.43/exec/e1/json',
    'POST /v1.43/exec/e1/resize?h=40&w=100',
  ]);
  c.close();
});

test('execAttach sends the start body as JSON on the upgrade request', async () => {
  const c = client();
  seen.length = 0;
  const conn = await c.execAttach('e1', { Tty: true, ConsoleSize: [24, 80] });
  const chunks: Buffer[] = [conn.head];
  for await (const chunk of conn.readable) chunks.push(chunk as Buffer);
  assert.equal(Buffer.concat(chunks).toString(), 'tty output');
  assert.deepEqual(seen, ['UPGRADE POST /v1.43/exec/e1/start application/json {"Detach":false,"Tty":true,"ConsoleSize":[24,80]}']);
  c.close();
});

test('pause, unpause, top, update, prune and df', async () => {
  const c = client();
  seen.length = 0;
  await c.containerPause('c1');
  await c.containerUnpause('c1');
  assert.deepEqual(await c.containerTop('c1', ['-o', 'pid,comm']), { Titles: ['PID', 'COMMAND'], Processes: [['1', 'sh']] });
  assert.deepEqual(await c.containerUpdate('c1', UPDATE), { Warnings: null });
  assert.deepEqual(await c.containerPrune({ until: { '24h': true } }), { ContainersDeleted: ['c9'], SpaceReclaimed: 5 });
  assert.deepEqual(await c.imagePrune({ dangling: { true: true } }), { ImagesDeleted: null, SpaceReclaimed: 0 });
  await c.buildCachePrune({ all: true });
  assert.equal((await c.systemDf()).LayersSize, 1);
  assert.deepEqual(seen, [
    'POST /v1.43/containers/c1/pause',
    'POST /v1.43/containers/c1/unpause',
    'GET /v1.43/containers/c1/top?ps_args=-o+pid%2Ccomm',
    `POST /v1.43/containers/c1/update ${JSON.stringify(UPDATE)}`,
    'POST /v1.43/containers/prune?filters=%7B%22until%22%3A%7B%2224h%22%3Atrue%7D%7D',
    'POST /v1.43/images/prune?filters=%7B%22dangling%22%3A%7B%22true%22%3Atrue%7D%7D',
    'POST /v1.43/build/prune?all=1&filters=',
    'GET /v1.43/system/df',
  ]);
  c.close();
});
