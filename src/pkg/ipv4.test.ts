import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cidrContains, cidrsOverlap, formatCidr, formatIPv4, parseCidr, parseIPv4 } from './ipv4.js';

test('parseIPv4 takes four decimal octets and nothing else', () => {
  assert.equal(parseIPv4('10.0.0.1'), 0x0a000001);
  assert.equal(formatIPv4(0xc0a80101), '192.168.1.1');
  for (const bad of ['10.0.0', '256.1.1.1', '1.2.3.4.5', '01.2.3.4', 'a.b.c.d', '']) assert.equal(parseIPv4(bad), undefined, bad);
});

test('parseCidr clears host bits, or refuses them when strict', () => {
  assert.equal(formatCidr(parseCidr('10.1.2.3/16')!), '10.1.0.0/16');
  assert.equal(parseCidr('10.1.2.3/16', { strict: true }), undefined);
  assert.equal(parseCidr('10.1.0.0/33'), undefined);
  assert.equal(parseCidr('10.1.0.0'), undefined);
});

test('containment and overlap', () => {
  const a = parseCidr('10.1.0.0/16')!;
  const b = parseCidr('10.1.5.0/24')!;
  const c = parseCidr('10.2.0.0/24')!;
  assert.ok(cidrContains(a, parseIPv4('10.1.255.255')!));
  assert.ok(!cidrContains(b, parseIPv4('10.1.6.1')!));
  assert.ok(cidrsOverlap(a, b) && cidrsOverlap(b, a));
  assert.ok(!cidrsOverlap(a, c));
});
