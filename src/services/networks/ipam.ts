import { ForbiddenError, InvalidArgumentError, UnavailableError } from '../../core/errdefs.js';
import type { NetworkRecord } from '../../core/networks.js';
import { cidrContains, cidrLast, cidrsOverlap, formatIPv4, parseCidr, parseIPv4, type Cidr } from '../../pkg/ipv4.js';

/** dockerd's --default-address-pool: subnets of `size` bits carved from `base`. */
export interface AddressPool {
  base: string;
  size: number;
}

/**
 * Docker's default IPAM, IPv4: the gateway is the subnet's first address; dynamic addresses go round the
 * range from the last one handed out (so a released address is not reused at once), skipping the network
 * and broadcast addresses, the gateway and whatever is in use. A static address must lie in the subnet and
 * be free.
 */
export function allocateAddress(net: NetworkRecord, inUse: ReadonlySet<string>, requested?: string): { address: string; cursor: number } {
  const subnet = parseCidr(net.subnet)!;
  const range = net.ipRange ? parseCidr(net.ipRange)! : subnet;
  const reserved = new Set([subnet.base, cidrLast(subnet), parseIPv4(net.gateway)]);
  if (requested) {
    const n = parseIPv4(requested);
    if (n === undefined) throw new InvalidArgumentError(`invalid IPv4 address: ${requested}`);
    if (!cidrContains(subnet, n)) throw new InvalidArgumentError(`no configured subnet or ip-range contain the IP address ${requested}`);
    if (inUse.has(requested) || reserved.has(n)) throw new ForbiddenError(`Address already in use`);
    return { address: requested, cursor: net.ipamCursor };
  }
  const first = range.base;
  const last = cidrLast(range);
  const span = last - first + 1;
  const start = net.ipamCursor >= first && net.ipamCursor <= last ? net.ipamCursor - first + 1 : 0;
  for (let i = 0; i < span; i++) {
    const n = first + ((start + i) % span);
    if (reserved.has(n)) continue;
    const a = formatIPv4(n);
    if (!inUse.has(a)) return { address: a, cursor: n };
  }
  throw new UnavailableError(`no available IPv4 addresses on this network's address pools: ${net.name} (${net.id})`);
}

/** The first subnet of the pools that overlaps nothing taken (other networks, host routes). */
export function chooseSubnet(pools: readonly AddressPool[], taken: readonly string[]): string {
  const takenCidrs = taken.map((t) => parseCidr(t)).filter((c): c is Cidr => c !== undefined);
  for (const pool of pools) {
    const base = parseCidr(pool.base)!;
    const step = 2 ** (32 - pool.size);
    for (let n = base.base; n <= cidrLast(base); n += step) {
      const candidate: Cidr = { base: n, prefix: pool.size };
      if (!takenCidrs.some((t) => cidrsOverlap(t, candidate))) return `${formatIPv4(n)}/${pool.size}`;
    }
  }
  throw new ForbiddenError('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
}

/** Docker's MAC for an address: 02:42 and the four octets. */
export function macForAddress(address: string): string {
  return ['02', '42', ...address.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':');
}

/** dockerd's `--default-address-pool base=10.10.0.0/16,size=24`. */
export function parseAddressPool(spec: string): AddressPool {
  const kv = new Map(spec.split(',').map((p) => [p.slice(0, p.indexOf('=')).trim(), p.slice(p.indexOf('=') + 1).trim()] as const));
  const base = kv.get('base') ?? '';
  const size = Number(kv.get('size') ?? '');
  const c = parseCidr(base);
  if (!c || !Number.isInteger(size) || size < c.prefix || size > 30) throw new InvalidArgumentError(`invalid default address pool: ${spec}`);
  return { base: `${formatIPv4(c.base)}/${c.prefix}`, size };
}
