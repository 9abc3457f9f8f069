import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePortKey, portMappings } from './port-specs.js';

test('PortBindings become mappings; an empty host port means a random one', () => {
  assert.deepEqual(portMappings({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }, { HostPort: '' }], '53/udp': [{ HostPort: '5353' }] }, undefined, false), [
    { proto: 'tcp', containerPort: 80, hostIp: '127.0.0.1', hostPort: 8080 },
    { proto: 'tcp', containerPort: 80, hostIp: '', hostPort: 0 },
    { proto: 'udp', containerPort: 53, hostIp: '', hostPort: 5353 },
  ]);
});

test('-P publishes every exposed port that has no binding', () => {
  assert.deepEqual(portMappings({ '80/tcp': [{ HostPort: '1' }] }, { '80/tcp': {}, '443/tcp': {} }, true), [
    { proto: 'tcp', containerPort: 80, hostIp: '', hostPort: 1 },
    { proto: 'tcp', containerPort: 443, hostIp: '', hostPort: 0 },
  ]);
});

test('invalid specs are refused, naming them', () => {
  assert.throws(() => parsePortKey('80x/tcp'), /invalid port specification: "80x\/tcp"/);
  assert.throws(() => parsePortKey('0'), /invalid port specification: "0"/);
  assert.throws(() => parsePortKey('70000/tcp'), /invalid port specification/);
  assert.throws(() => portMappings({ '80/tcp': [{ HostPort: 'abc' }] }, undefined, false), /invalid port specification: "abc"/);
  assert.throws(() => portMappings({ '80/tcp': [{ HostIp: 'nope', HostPort: '1' }] }, undefined, false), /invalid IP address: nope/);
  assert.throws(() => portMappings({ '80/tcp': 'x' }, undefined, false), /must be a list/);
  assert.equal(parsePortKey('53/UDP').proto, 'udp');
});

test('a host range for one container port keeps the range for the reserver; a reversed one is refused', () => {
  assert.deepEqual(portMappings({ '80/tcp': [{ HostPort: '8000-8010' }] }, undefined, false), [{ proto: 'tcp', containerPort: 80, hostIp: '', hostPort: 8000, hostPortEnd: 8010 }]);
  assert.throws(() => portMappings({ '80/tcp': [{ HostPort: '8010-8000' }] }, undefined, false), /invalid port specification: "8010-8000"/);
});
