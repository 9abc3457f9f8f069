import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dnsRedirectRules, firewallRules } from './firewall-rules.js';

const chains = { dnat: 'B-DNAT', post: 'B-POST', forward: 'B-FWD', isolate: 'B-ISO' };

test('a published port gets its DNAT, its forward accept and the hairpin MASQUERADE of its own subnet', () => {
  const rules = firewallRules(chains, {
    networks: [{ bridge: 'br1', subnet: '10.5.0.0/24', internal: false, masquerade: true }],
    ports: [{ bridge: 'br1', containerIp: '10.5.0.2', mapping: { proto: 'tcp', containerPort: 80, hostIp: '10.5.0.1', hostPort: 8080 } }],
  }).split('\n');
  assert.ok(rules.includes('-A B-DNAT -d 10.5.0.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.5.0.2:80'));
  // Only traffic from the bridge's own subnet that was DNAT'ed: clients from elsewhere keep their address.
  assert.ok(rules.includes('-A B-POST -s 10.5.0.0/24 -o br1 -d 10.5.0.2/32 -p tcp -m tcp --dport 80 -m conntrack --ctstate DNAT -m addrtype ! --src-type LOCAL -j MASQUERADE'), rules.join('\n'));
  assert.equal(rules.filter((r) => r.includes('MASQUERADE') && r.includes('--ctstate DNAT')).length, 1);
});

test('the DNS redirect inside a namespace: jumps and the raw guard once, the chain rewritten on a new gateway', () => {
  const first = dnsRedirectRules('10.5.0.1', true).split('\n');
  assert.ok(first.includes('-A PREROUTING ! -i lo -d 127.0.0.0/8 -j DROP'));
  assert.ok(first.includes('-A OUTPUT -d 127.0.0.11/32 -j BERTH_DNS'));
  assert.ok(first.includes('-A BERTH_DNS -p udp -m udp --dport 53 -j DNAT --to-destination 10.5.0.1:53'));
  assert.ok(first.includes('-A BERTH_DNS -p tcp -m tcp --dport 53 -j DNAT --to-destination 10.5.0.1:53'));
  const again = dnsRedirectRules('10.6.0.1', false).split('\n');
  // Declaring the chain flushes it; no second jump, no second raw rule.
  assert.ok(again.includes(':BERTH_DNS - [0:0]'));
  assert.equal(again.filter((l) => l.startsWith('-A OUTPUT') || l.startsWith('-A PREROUTING') || l.startsWith('-A POSTROUTING')).length, 0);
  assert.ok(again.includes('-A BERTH_DNS -p udp -m udp --dport 53 -j DNAT --to-destination 10.6.0.1:53'));
});
