import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../errors.js';
import { buildUpdateConfig, formatPorts, formatTop, naturalLess, parseRestartPolicy } from './container-admin.js';

test('formatTop aligns columns like tabwriter(minwidth 20, padding 3) and leaves the last column ragged', () => {
  const text = formatTop({
    Titles: ['UID', 'PID', 'CMD'],
    Processes: [
      ['root', '1', 'sleep 1000'],
      ['a-very-long-user-name-x', '42', 'sh'],
    ],
  });
  assert.equal(
    text,
    'UID                       PID                 CMD\n' +
      'root                      1                   sleep 1000\n' +
      'a-very-long-user-name-x   42                  sh\n',
  );
  assert.equal(formatTop({ Titles: null, Processes: null }), '\n');
});

const inspect = {
  NetworkSettings: {
    Ports: {
      '80/tcp': [
        { HostIp: '0.0.0.0', HostPort: '8080' },
        { HostIp: '::', HostPort: '8080' },
      ],
      '443/tcp': [{ HostIp: '127.0.0.1', HostPort: '9443' }],
      '9/tcp': [{ HostIp: '0.0.0.0', HostPort: '1000' }],
      '53/udp': null,
    },
  },
};

test('formatPorts lists every mapping, sorted naturally', () => {
  assert.equal(
    formatPorts(inspect, 'web'),
    '9/tcp -> 0.0.0.0:1000\n80/tcp -> 0.0.0.0:8080\n80/tcp -> [::]:8080\n443/tcp -> 127.0.0.1:9443\n',
  );
  assert.equal(formatPorts({ NetworkSettings: { Ports: {} } }, 'web'), '');
  assert.equal(formatPorts({}, 'web'), '');
});

test('formatPorts for one private port prints its host addresses; tcp is the default protocol', () => {
  assert.equal(formatPorts(inspect, 'web', '80'), '0.0.0.0:8080\n[::]:8080\n');
  assert.equal(formatPorts(inspect, 'web', '443/tcp'), '127.0.0.1:9443\n');
});

test('formatPorts errors like docker', () => {
  const err = (port: string): StatusError => {
    try {
      formatPorts(inspect, 'web', port);
    } catch (e) {
      assert.ok(e instanceof StatusError);
      return e;
    }
    assert.fail('no error');
  };
  assert.equal(err('53/udp').message, "Error: No public port '53/udp' published for web");
  assert.equal(err('81').message, "Error: No public port '81' published for web");
  assert.equal(err('http').message, 'Error: invalid port (http): strconv.ParseUint: parsing "http": invalid syntax');
  assert.equal(err('70000').message, 'Error: invalid port (70000): strconv.ParseUint: parsing "70000": value out of range');
  assert.equal(err('81').statusCode, 1);
});

test('naturalLess orders digit runs numerically', () => {
  const sorted = ['a10', 'a2', 'a02', 'b', 'a1', '10', '9x'].sort((a, b) => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0));
  assert.deepEqual(sorted, ['9x', '10', 'a1', 'a2', 'a02', 'a10', 'b']);
});

test('parseRestartPolicy leaves the policy alone when empty and checks the count', () => {
  assert.deepEqual(parseRestartPolicy(''), { Name: '', MaximumRetryCount: 0 });
  assert.deepEqual(parseRestartPolicy('always'), { Name: 'always', MaximumRetryCount: 0 });
  assert.deepEqual(parseRestartPolicy('on-failure:3'), { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.throws(() => parseRestartPolicy(':3'), /no policy provided before colon/);
  assert.throws(() => parseRestartPolicy('on-failure:x'), /maximum retry count must be an integer/);
});

test('buildUpdateConfig sends docker UpdateConfig: zero means unchanged, PidsLimit null unless set', () => {
  const body = buildUpdateConfig({ memory: '1g', memorySwap: '-1', cpus: '0.5', cpuShares: 512, blkioWeight: '300', restart: 'unless-stopped' });
  assert.equal(body.Memory, 1024 ** 3);
  assert.equal(body.MemorySwap, -1);
  assert.equal(body.NanoCpus, 500_000_000);
  assert.equal(body.CpuShares, 512);
  assert.equal(body.BlkioWeight, 300);
  assert.equal(body.PidsLimit, null);
  assert.deepEqual(body.RestartPolicy, { Name: 'unless-stopped', MaximumRetryCount: 0 });
  assert.equal('KernelMemory' in body, false);
  const keys = Object.keys(buildUpdateConfig({ pidsLimit: 10 }));
  assert.deepEqual(keys.slice(0, 5), ['CpuShares', 'Memory', 'NanoCpus', 'CgroupParent', 'BlkioWeight']);
  assert.equal(keys[keys.length - 1], 'RestartPolicy');
  assert.equal(buildUpdateConfig({ pidsLimit: 10 }).PidsLimit, 10);
  assert.equal(buildUpdateConfig({ pidsLimit: -1 }).PidsLimit, -1);
  assert.equal(buildUpdateConfig({ pidsLimit: 0 }).PidsLimit, null);
  assert.deepEqual(buildUpdateConfig({}).RestartPolicy, { Name: '', MaximumRetryCount: 0 });
});
