import { EMBEDDED_DNS_ADDRESS, type FirewallState } from '../../core/networks.js';

export interface ChainNames {
  /** nat: DNAT of published ports (jumped to from PREROUTING and OUTPUT for local destinations). */
  dnat: string;
  /** nat: MASQUERADE of outbound traffic and of DNAT'ed loopback traffic. */
  post: string;
  /** filter: what berth's bridges may forward (jumped to first from FORWARD). */
  forward: string;
  /** filter: isolation between networks, and `--internal`. */
  isolate: string;
}

/** The jumps from the built-in chains into berth's: the only rules berth puts in chains it does not own. */
export function jumpRules(c: ChainNames): { table: 'nat' | 'filter'; chain: string; rule: string[] }[] {
  return [
    { table: 'nat', chain: 'PREROUTING', rule: ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', c.dnat] },
    { table: 'nat', chain: 'OUTPUT', rule: ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', c.dnat] },
    { table: 'nat', chain: 'POSTROUTING', rule: ['-j', c.post] },
    { table: 'filter', chain: 'FORWARD', rule: ['-j', c.forward] },
  ];
}

/**
 * The whole content of berth's chains as `iptables-restore --noflush` input: declaring a chain flushes it,
 * so each sync replaces exactly berth's rules and nothing else. Docker's two-stage isolation: traffic that
 * enters from one berth bridge and leaves through another is dropped; an internal network's bridge talks to
 * nothing but itself. Forwarding is accepted explicitly, so a FORWARD policy of DROP (Docker sets one) does
 * not cut berth's networks off.
 */
export function firewallRules(c: ChainNames, s: FirewallState): string {
  const nat = [`*nat`, `:${c.dnat} - [0:0]`, `:${c.post} - [0:0]`];
  const filter = [`*filter`, `:${c.forward} - [0:0]`, `:${c.isolate} - [0:0]`, `-A ${c.forward} -j ${c.isolate}`];
  for (const n of s.networks) {
    nat.push(`-A ${c.post} -s 127.0.0.0/8 -o ${n.bridge} -j MASQUERADE`);
    if (n.masquerade && !n.internal) nat.push(`-A ${c.post} -s ${n.subnet} ! -o ${n.bridge} -j MASQUERADE`);
    if (n.internal) {
      filter.push(`-A ${c.isolate} -i ${n.bridge} ! -o ${n.bridge} -j DROP`, `-A ${c.isolate} -o ${n.bridge} ! -i ${n.bridge} -j DROP`);
    } else {
      for (const other of s.networks) {
        if (other.bridge !== n.bridge) filter.push(`-A ${c.isolate} -i ${n.bridge} -o ${other.bridge} -j DROP`);
      }
    }
    filter.push(`-A ${c.forward} -i ${n.bridge} -o ${n.bridge} -j ACCEPT`);
    if (!n.internal) {
      filter.push(`-A ${c.forward} -i ${n.bridge} ! -o ${n.bridge} -j ACCEPT`);
      filter.push(`-A ${c.forward} -o ${n.bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
    }
  }
  for (const p of s.ports) {
    const m = p.mapping;
    const dst = m.hostIp && m.hostIp !== '0.0.0.0' ? ` -d ${m.hostIp}/32` : '';
    nat.push(`-A ${c.dnat}${dst} -p ${m.proto} -m ${m.proto} --dport ${m.hostPort} -j DNAT --to-destination ${p.containerIp}:${m.containerPort}`);
    filter.push(`-A ${c.forward} -d ${p.containerIp}/32 ! -i ${p.bridge} -o ${p.bridge} -p ${m.proto} -m ${m.proto} --dport ${m.containerPort} -j ACCEPT`);
    // Hairpin: a container of the same bridge (the published one itself too) that reached the port through a
    // host address is DNAT'ed back into the bridge; masqueraded, its replies come back through the host to be
    // un-DNAT'ed instead of going straight to the client with the wrong source.
    const subnet = s.networks.find((n) => n.bridge === p.bridge)?.subnet;
    if (subnet) nat.push(`-A ${c.post} -s ${subnet} -o ${p.bridge} -d ${p.containerIp}/32 -p ${m.proto} -m ${m.proto} --dport ${m.containerPort} -m conntrack --ctstate DNAT -m addrtype ! --src-type LOCAL -j MASQUERADE`);
  }
  return `${[...nat, 'COMMIT', ...filter, 'COMMIT'].join('\n')}\n`;
}

/** The chain, inside a container's own namespace, that sends 127.0.0.11:53 to its network's name server. */
const DNS_CHAIN = 'BERTH_DNS';

/**
 * `iptables-restore --noflush` input, run inside a container's namespace, that makes 127.0.0.11:53 (UDP and
 * TCP) reach the embedded name server on `gateway`: DNAT in OUTPUT, and MASQUERADE of the loopback source as
 * the packet leaves, so the server sees the container's address (it answers by who asks). The kernel routes
 * such a packet only with route_localnet on, which also lets 127/8 in from outside: the raw DROP refuses
 * that (conntrack's replies are un-NATed later, so they still pass). Docker gets the same 127.0.0.11 with a
 * resolver listening inside the namespace; Node cannot open a socket there.
 * `initial` adds the jumps (once per namespace); without it only the chain is rewritten (a new gateway).
 */
export function dnsRedirectRules(gateway: string, initial: boolean): string {
  const lines: string[] = [];
  if (initial) lines.push('*raw', '-A PREROUTING ! -i lo -d 127.0.0.0/8 -j DROP', 'COMMIT');
  lines.push('*nat', `:${DNS_CHAIN} - [0:0]`);
  if (initial) {
    lines.push(`-A OUTPUT -d ${EMBEDDED_DNS_ADDRESS}/32 -j ${DNS_CHAIN}`, '-A POSTROUTING -s 127.0.0.0/8 ! -o lo -j MASQUERADE');
  }
  for (const proto of ['udp', 'tcp']) lines.push(`-A ${DNS_CHAIN} -p ${proto} -m ${proto} --dport 53 -j DNAT --to-destination ${gateway}:53`);
  lines.push('COMMIT');
  return `${lines.join('\n')}\n`;
}
