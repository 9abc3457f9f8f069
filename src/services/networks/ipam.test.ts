import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NetworkRecord } from '../../core/networks.js';
import { allocateAddress, chooseSubnet, macForAddress, parseAddressPool } from './ipam.js';

const net = (over: Partial<NetworkRecord> = {}): NetworkRecord => ({
  id: 'n'.repeat(64),
  name: 'n',
  driver: 'bridge',
  created: '',
  internal: false,
  attachable: false,
  labels: {},
  options: {},
  subnet: '10.9.0.0/29',
  gateway: '10.9.0.1',
  ipRange: '',
  userSubnet: true,
  bridge: 'b',
  predefined: false,
  ipamCursor: 0,
  ...over,
});

test('addresses go round the range from the last one, skipping the gateway, network, broadcast and used ones', () => {
  const first = allocateAddress(net(), new Set());
  assert.equal(first.address, '10.9.0.2');
  // A released address is not handed out again at once: the cursor moves on.
  const second = allocateAddress(net({ ipamCursor: first.cursor }), new Set());
  assert.equal(second.address, '10.9.0.3');
  const wrapped = allocateAddress(net({ ipamCursor: second.cursor + 3 }), new Set(['10.9.0.2']));
  assert.equal(wrapped.address, '10.9.0.3');
  assert.throws(() => allocateAddress(net(), new Set(['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6'])), /no available IPv4 addresses/);
});

test('a static address must be in the subnet and free', () => {
  assert.equal(allocateAddress(net(), new Set(), '10.9.0.5').address, '10.9.0.5');
  assert.throws(() => allocateAddress(net(), new Set(['10.9.0.5']), '10.9.0.5'), /Address already in use/);
  assert.throws(() => allocateAddress(net(), new Set(), '10.9.0.1'), /Address already in use/);
  assert.throws(() => allocateAddress(net(), new Set(), '10.8.0.5'), /no configured subnet or ip-range contain the IP address 10\.8\.0\.5/);
  assert.throws(() => allocateAddress(net(), new Set(), '10.9.0'), /invalid IPv4 address/);
});

test('--ip-range limits dynamic addresses', () => {
  const n = net({ subnet: '10.9.0.0/24', ipRange: '10.9.0.128/25' });
  assert.equal(allocateAddress(n, new Set()).address, '10.9.0.128');
});

test('chooseSubnet skips what overlaps taken subnets and host routes', () => {
  const pools = [parseAddressPool('base=10.20.0.0/16,size=24')];
  assert.equal(chooseSubnet(pools, []), '10.20.0.0/24');
  assert.equal(chooseSubnet(pools, ['10.20.0.0/24', '10.20.1.128/25']), '10.20.2.0/24');
  assert.throws(() => chooseSubnet([parseAddressPool('base=10.20.0.0/24,size=24')], ['10.0.0.0/8']), /could not find an available, non-overlapping IPv4 address pool/);
  assert.throws(() => parseAddressPool('base=10.20.0.0/16,size=8'), /invalid default address pool/);
});

test('MAC addresses follow Docker: 02:42 and the address', () => {
  assert.equal(macForAddress('10.9.0.2'), '02:42:0a:09:00:02');
});
