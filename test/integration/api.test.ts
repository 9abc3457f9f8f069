// Engine API behaviour as a table: paths with and without version prefixes, statuses, bodies and headers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useTestDaemon } from '../harness.js';

const daemon = useTestDaemon();

interface Row {
  method: string;
  path: string;
  body?: unknown;
  status: number;
  /** Expected message (errors) or a check of the parsed body. */
  message?: RegExp;
  check?: (body: unknown, headers: Record<string, string | string[] | undefined>) => void;
}

const NOT_A_MANAGER = /^This node is not a swarm manager\. Use "docker swarm init" or "docker swarm join"/;

const rows: Row[] = [
  {
    method: 'GET',
    path: '/_ping',
    status: 200,
    check: (_b, h) => {
      assert.equal(h['api-version'], '1.43');
      assert.equal(h['ostype'], 'linux');
      assert.equal(h['swarm'], 'inactive');
    },
  },
  { method: 'HEAD', path: '/_ping', status: 200 },
  { method: 'GET', path: '/v1.24/version', status: 200, check: (b) => assert.equal((b as { ApiVersion: string }).ApiVersion, '1.43') },
  { method: 'GET', path: '/v1.43/info', status: 200, check: (b) => assert.equal((b as { Swarm: { LocalNodeState: string } }).Swarm.LocalNodeState, 'inactive') },
  { method: 'GET', path: '/v1.99/version', status: 400, message: /client version 1\.99 is too new\. Maximum supported API version is 1\.43/ },
  { method: 'GET', path: '/v1.12/version', status: 400, message: /client version 1\.12 is too old\. Minimum supported API version is 1\.24/ },
  { method: 'GET', path: '/v1.43/nothing/here', status: 404, message: /^page not found$/ },
  { method: 'GET', path: '/v1.43/containers/nope/json', status: 404, message: /^No such container: nope$/ },
  { method: 'GET', path: '/v1.43/images/nope/json', status: 404, message: /^No such image: nope:latest$/ },
  { method: 'GET', path: '/v1.43/images/example.com:5000/team/app:1/json', status: 404, message: /^No such image: example\.com:5000\/team\/app:1$/ },
  { method: 'POST', path: '/v1.43/containers/create', body: 'not json', status: 400, message: /invalid JSON/ },
  { method: 'POST', path: '/v1.43/containers/create', body: { Image: 'busybox', Cmd: 5 }, status: 400, message: /Cmd/ },
  { method: 'POST', path: '/v1.43/containers/create?name=a', body: { Image: 'busybox' }, status: 400, message: /Invalid container name \(a\)/ },
  { method: 'POST', path: '/v1.43/containers/create', body: { Image: 'busybox', HostConfig: { PortBindings: { '80/tcp': [{ HostPort: 'x' }] } } }, status: 400, message: /invalid port specification: "x"/ },
  { method: 'GET', path: '/v1.43/containers/json?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D', status: 400, message: /^invalid filter 'bogus'$/ },
  { method: 'GET', path: '/v1.43/containers/json?filters=%7B%22status%22%3A%5B%22sleepy%22%5D%7D', status: 400, message: /invalid filter 'status=sleepy'/ },
  { method: 'GET', path: '/v1.43/containers/json?filters=notjson', status: 400 },
  { method: 'GET', path: '/v1.43/images/json', status: 200, check: (b) => assert.ok(Array.isArray(b) && typeof (b[0] as { Size: number }).Size === 'number') },
  { method: 'GET', path: '/v1.43/swarm', status: 503, message: NOT_A_MANAGER },
  { method: 'GET', path: '/v1.43/services', status: 503, message: NOT_A_MANAGER },
  { method: 'GET', path: '/v1.43/nodes', status: 503, message: NOT_A_MANAGER },
  { method: 'GET', path: '/v1.43/tasks', status: 503, message: NOT_A_MANAGER },
  { method: 'GET', path: '/v1.43/secrets', status: 503, message: NOT_A_MANAGER },
  { method: 'GET', path: '/v1.43/configs', status: 503, message: NOT_A_MANAGER },
  { method: 'POST', path: '/v1.43/swarm/leave', status: 503, message: /not part of a swarm/ },
  { method: 'GET', path: '/v1.43/plugins', status: 200, check: (b) => assert.deepEqual(b, []) },
  { method: 'GET', path: '/v1.43/plugins/foo/json', status: 404, message: /plugin "foo" not found/ },
  // Docker Hub is unreachable from the test machine: a pull fails fast, before any stream, with the dial error.
  { method: 'POST', path: '/v1.43/images/create?fromImage=alpine&tag=3', status: 503, message: /registry-1\.docker\.io/ },
];

describe('Engine API table', () => {
  for (const row of rows) {
    it(`${row.method} ${row.path} → ${row.status}`, async () => {
      const res = await daemon().api(row.method, row.path, row.body);
      assert.equal(res.status, row.status, res.body);
      if (row.message) {
        assert.equal(res.headers['content-type'], 'application/json');
        assert.match((JSON.parse(res.body) as { message: string }).message, row.message);
      }
      if (row.check) row.check(row.body === undefined && res.body !== '' && row.method !== 'HEAD' && res.body !== 'OK' ? JSON.parse(res.body) : res.body, res.headers);
    });
  }

  it('start of a running container is 304 and stop of a stopped one is 304', async () => {
    const created = await daemon().api('POST', '/v1.43/containers/create', { Image: 'busybox', Cmd: ['sleep', '300'] });
    assert.equal(created.status, 201, created.body);
    const { Id } = JSON.parse(created.body) as { Id: string };
    assert.equal((await daemon().api('POST', `/v1.43/containers/${Id}/start`)).status, 204);
    assert.equal((await daemon().api('POST', `/v1.43/containers/${Id}/start`)).status, 304);
    assert.equal((await daemon().api('POST', `/v1.43/containers/${Id}/kill?signal=NOPE`)).status, 400);
    assert.equal((await daemon().api('POST', `/v1.43/containers/${Id}/stop?t=0`)).status, 204);
    assert.equal((await daemon().api('POST', `/v1.43/containers/${Id}/stop`)).status, 304);
    assert.equal((await daemon().api('DELETE', `/v1.43/containers/${Id}`)).status, 204);
  });

  it('logs without a stream chosen is a 400', async () => {
    const created = await daemon().api('POST', '/v1.43/containers/create', { Image: 'busybox', Cmd: ['true'] });
    const { Id } = JSON.parse(created.body) as { Id: string };
    const res = await daemon().api('GET', `/v1.43/containers/${Id}/logs`);
    assert.equal(res.status, 400);
    assert.match(res.body, /you must choose at least one stream/);
    await daemon().api('DELETE', `/v1.43/containers/${Id}`);
  });
});
