import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { encodeFrame, StdcopyDemuxer } from '../pkg/stdcopy.js';
import { DEFAULT_HOST, InvalidHostError, parseDockerHost } from './docker-host.js';
import { compareApiVersions, encodeQuery, EngineClient, readJsonMessages } from './engine-client.js';
import { DaemonConnectionError, EngineApiError } from './errors.js';

let dir: string;
let socketPath: string;
let server: http.Server;
const seen: string[] = [];
let releaseWait: (() => void) | undefined;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-client-test-'));
  socketPath = join(dir, 'engine.sock');
  server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/_ping') {
      res.writeHead(200, { 'API-Version': '1.41', OSType: 'linux' });
      res.end('OK');
      return;
    }
    if (url.pathname === '/v1.41/version') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ Version: 'test', ApiVersion: '1.41' }));
      return;
    }
    if (url.pathname === '/v1.41/containers/nope/json') {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: 'No such container: nope' }) + '\n');
      return;
    }
    if (url.pathname === '/v1.41/boom') {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('boom\n');
      return;
    }
    if (url.pathname === '/v1.41/containers/c1/wait') {
      // Headers first (the waiter is registered), the status only when the test releases it.
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      releaseWait = () => res.end(JSON.stringify({ StatusCode: 3, Error: null }));
      return;
    }
    if (url.pathname === '/v1.41/containers/create') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.writeHead(201, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ Id: 'abc', Warnings: [], echo: JSON.parse(body), name: url.searchParams.get('name') }));
      });
      return;
    }
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ message: `page not found: ${url.pathname}` }));
  });
  server.on('upgrade', (req, socket) => {
    seen.push(`UPGRADE ${req.method} ${req.url} ${req.headers.upgrade}`);
    socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    socket.write(Buffer.concat([encodeFrame(1, Buffer.from('hello ')), encodeFrame(2, Buffer.from('oops\n'))]));
    socket.on('data', (d: Buffer) => socket.write(encodeFrame(1, d)));
    socket.on('end', () => socket.end(encodeFrame(1, Buffer.from('bye'))));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

test('negotiates down to the daemon API version and prefixes paths', async () => {
  const client = new EngineClient({ host: `unix://${socketPath}` });
  assert.equal(client.apiVersion, '1.43');
  const v = await client.version();
  assert.equal(v.Version, 'test');
  assert.equal(client.apiVersion, '1.41');
  assert.ok(seen.includes('GET /_ping'));
  assert.ok(seen.includes('GET /v1.41/version'));
  client.close();
});

test('error statuses carry the daemon message', async () => {
  const client = new EngineClient({ host: `unix://${socketPath}`, apiVersion: '1.41' });
  await assert.rejects(client.containerInspect('nope'), (e: unknown) => e instanceof EngineApiError && e.statusCode === 404 && e.message === 'No such container: nope');
  await assert.rejects(client.call('GET', '/boom'), (e: unknown) => e instanceof EngineApiError && e.statusCode === 500 && e.message === 'boom');
  client.close();
});

test('create sends the JSON body and the name query', async () => {
  const client = new EngineClient({ host: `unix://${socketPath}`, apiVersion: '1.41' });
  const res = (await client.containerCreate({ Image: 'busybox', Cmd: ['true'] }, { name: 'web' })) as unknown as { echo: unknown; name: string };
  assert.deepEqual(res.echo, { Image: 'busybox', Cmd: ['true'] });
  assert.equal(res.name, 'web');
  client.close();
});

test('containerWait resolves once the daemon accepted the wait, before the container exits', async () => {
  const client = new EngineClient({ host: `unix://${socketPath}`, apiVersion: '1.41' });
  const { result } = await client.containerWait('c1', 'next-exit');
  assert.ok(seen.includes('POST /v1.41/containers/c1/wait?condition=next-exit'));
  let settled = false;
  void result.then(() => (settled = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(settled, false);
  releaseWait?.();
  assert.deepEqual(await result, { StatusCode: 3, Error: null });
  client.close();
});

test('attach hijacks the connection: multiplexed output in, stdin out', async () => {
  const client = new EngineClient({ host: `unix://${socketPath}`, apiVersion: '1.41' });
  const conn = await client.containerAttach('c1', { stream: true, stdin: true, stdout: true, stderr: true });
  assert.equal(conn.mediaType, 'application/vnd.docker.multiplexed-stream');
  assert.ok(conn.socket);
  assert.ok(seen.includes('UPGRADE POST /v1.41/containers/c1/attach?stderr=1&stdin=1&stdout=1&stream=1 tcp'));
  const demux = new StdcopyDemuxer();
  const out: string[] = [];
  const done = new Promise<void>((resolve) => {
    const take = (c: Buffer): void => {
      for (const f of demux.push(c)) out.push(`${f.stream}:${f.data.toString()}`);
    };
    take(conn.head);
    conn.readable.on('data', take);
    conn.readable.on('end', () => resolve());
  });
  conn.socket.write('input');
  setTimeout(() => conn.socket?.end(), 20);
  await done;
  assert.deepEqual(out.join(''), '1:hello 2:oops\n1:input1:bye');
  client.close();
});

test('an unreachable daemon is a connection error naming the host', async () => {
  const client = new EngineClient({ host: `unix://${join(dir, 'missing.sock')}` });
  await assert.rejects(
    client.version(),
    (e: unknown) =>
      e instanceof DaemonConnectionError && e.message === `Cannot connect to the berth daemon at unix://${join(dir, 'missing.sock')}. Is the berth daemon running?`,
  );
  client.close();
});

test('parseDockerHost', () => {
  assert.deepEqual(parseDockerHost(''), { kind: 'unix', socketPath: '/run/berth/berth.sock', url: DEFAULT_HOST });
  assert.deepEqual(parseDockerHost('unix:///tmp/x.sock'), { kind: 'unix', socketPath: '/tmp/x.sock', url: 'unix:///tmp/x.sock' });
  assert.deepEqual(parseDockerHost('tcp://1.2.3.4:2375'), { kind: 'tcp', host: '1.2.3.4', port: 2375, url: 'tcp://1.2.3.4:2375' });
  assert.deepEqual(parseDockerHost('tcp://example.com'), { kind: 'tcp', host: 'example.com', port: 2375, url: 'tcp://example.com:2375' });
  assert.deepEqual(parseDockerHost('tcp://[::1]:99'), { kind: 'tcp', host: '::1', port: 99, url: 'tcp://[::1]:99' });
  assert.throws(() => parseDockerHost('/var/run/x.sock'), InvalidHostError);
  assert.throws(() => parseDockerHost('ssh://me@host'), /not supported/);
});

test('encodeQuery sorts keys, repeats lists and drops empties like url.Values', () => {
  assert.equal(encodeQuery({ stream: '1', stderr: '1', stdout: undefined, names: ['a', 'b:c'], q: 'a b' }), '?names=a&names=b%3Ac&q=a+b&stderr=1&stream=1');
  assert.equal(encodeQuery({}), '');
  assert.equal(compareApiVersions('1.41', '1.43') < 0, true);
  assert.equal(compareApiVersions('1.43', '1.43'), 0);
  assert.equal(compareApiVersions('1.100', '1.43') > 0, true);
});

test('readJsonMessages handles split lines and concatenated objects', async () => {
  const src = Readable.from([Buffer.from('{"stream":"Loaded'), Buffer.from(' image: a\\n"}\r\n{"status":"x"}'), Buffer.from('{"status":"y"}')]);
  const got: unknown[] = [];
  for await (const m of readJsonMessages(src)) got.push(m);
  assert.deepEqual(got, [{ stream: 'Loaded image: a\n' }, { status: 'x' }, { status: 'y' }]);
});
