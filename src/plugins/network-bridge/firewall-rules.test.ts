import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firewallRules } from './firewall-rules.js';

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
