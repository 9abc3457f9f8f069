/**
 * IPv4 addresses and CIDR subnets as 32-bit numbers: parsing (strict: four decimal octets, no leading-zero
 * tricks), containment and overlap, for IPAM and for the checks Docker makes on `--subnet`, `--ip` and `-p`.
 */

export interface Cidr {
  /** The network address (host bits cleared). */
  base: number;
  prefix: number;
}

export function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const o = Number(part);
    if (o > 255) return undefined;
    n = n * 256 + o;
  }
  return n;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** A CIDR (`10.1.0.0/16`); with `strict`, host bits must be zero (Docker's check on --subnet). */
export function parseCidr(s: string, opts: { strict?: boolean } = {}): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = parseIPv4(s.slice(0, slash));
  const p = s.slice(slash + 1);
  if (addr === undefined || !/^\d{1,2}$/.test(p)) return undefined;
  const prefix = Number(p);
  if (prefix > 32) return undefined;
  const base = (addr & maskOf(prefix)) >>> 0;
  if (opts.strict && base !== addr) return undefined;
  return { base, prefix };
}

/** The address part of `a.b.c.d/n`, or the address itself. */
export function cidrAddress(s: string): number | undefined {
  return parseIPv4(s.includes('/') ? s.slice(0, s.indexOf('/')) : s);
}

export function formatCidr(c: Cidr): string {
  return `${formatIPv4(c.base)}/${c.prefix}`;
}

export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function cidrContains(c: Cidr, addr: number): boolean {
  return ((addr & maskOf(c.prefix)) >>> 0) === c.base;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContains(a, b.base) || cidrContains(b, a.base);
}

/** The last address of a subnet (its broadcast address). */
export function cidrLast(c: Cidr): number {
  return c.base + cidrSize(c) - 1;
}
