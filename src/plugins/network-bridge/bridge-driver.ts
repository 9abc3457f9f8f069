import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InternalError } from '../../core/errdefs.js';
import type { FirewallState, JoinSpec, NetworkDriver, SandboxHandle } from '../../core/networks.js';
import { exec } from '../../pkg/exec.js';
import { dnsRedirectRules, firewallRules, jumpRules, type ChainNames } from './firewall-rules.js';
import type { IpBatchProcess } from './ip-batch-process.js';
import { discard, dropFirewall, SandboxPool } from './sandbox-pool.js';

export interface BridgeDriverOptions {
  /** Where the network namespace files are bind-mounted: `<exec-root>/netns`. */
  netnsDir: string;
  /**
   * A short tag of this daemon (6 hex: a hash of its exec root) in every host-level name it makes (user
   * bridges `b<tag>-…`, veths `v<tag>…`, chains `BERTH-<tag>-…`), so that daemons never meet on one host.
   */
  tag: string;
  /** `/proc/<pid>/ns/net` of the daemon: veths are created inside a sandbox and their host end moved here. */
  hostNetns?: string;
}

const TIMEOUT = { timeoutMs: 30_000 };
/** How long after a sandbox's teardown its veths are looked for (normally gone with the namespace by then). */
const LAZY_REMOVE_MS = 2000;

/**
 * The bridge driver on iproute2 and iptables (the nft backend here): a Linux bridge per network, one veth pair
 * per container per network. A container's namespace comes from a small pool made ahead of time (see
 * SandboxPool): a process started with `unshare --net` holds it, runc joins it by `/proc/<pid>/ns/net`, and
 * the holder ends once the container is in. Nothing is bind-mounted, so nothing needs an unmount when the
 * container goes: the kernel drops the namespace, and the veths in it, with the container's last process.
 * A start costs no spawn: two pipe writes to processes that wait for them. Firewall rules are rewritten whole
 * with one `iptables-restore --noflush` of berth's own chains, only when ports or networks change.
 */
export class BridgeDriver implements NetworkDriver {
  readonly #opts: BridgeDriverOptions;
  readonly #chains: ChainNames;
  #jumpsChecked = false;
  readonly #pool = new SandboxPool({ size: 2, refillDelayMs: 150 });
  /** The process holding each starting container's namespace until the container is in it. */
  readonly #holders = new Map<string, IpBatchProcess>();

  constructor(opts: BridgeDriverOptions) {
    this.#opts = opts;
    this.#chains = chainNames(opts.tag);
  }

  get chains(): ChainNames {
    return this.#chains;
  }

  vethName(endpointId: string): string {
    return `v${this.#opts.tag}${createHash('sha256').update(endpointId).digest('hex').slice(0, 8)}`;
  }

  bridgeName(networkId: string): string {
    return `b${this.#opts.tag}-${networkId.slice(0, 6)}`;
  }

  async ensureBridge(net: { bridge: string; subnet: string; gateway: string }): Promise<void> {
    const prefix = net.subnet.split('/')[1];
    if (!existsSync(`/sys/class/net/${net.bridge}`)) {
      await ip(['-force', '-batch', '-'], [`link add ${net.bridge} type bridge`, `addr add ${net.gateway}/${prefix} dev ${net.bridge}`, `link set ${net.bridge} up`]);
    } else {
      // A bridge left from before a restart keeps its address; `replace` makes sure it has it.
      await ip(['-force', '-batch', '-'], [`addr replace ${net.gateway}/${prefix} dev ${net.bridge}`, `link set ${net.bridge} up`]);
    }
    // Published ports answer on 127.0.0.1 too: DNAT'ed loopback traffic leaves through the bridge.
    await writeFile(`/proc/sys/net/ipv4/conf/${net.bridge}/route_localnet`, '1').catch(() => undefined);
  }

  async removeBridge(bridge: string): Promise<void> {
    if (!existsSync(`/sys/class/net/${bridge}`)) return;
    const r = await exec('ip', ['link', 'del', bridge], TIMEOUT);
    if (r.code !== 0 && existsSync(`/sys/class/net/${bridge}`)) throw new InternalError(`Could not remove bridge ${bridge}: ${r.stderr.trim()}`);
  }

  async createSandbox(containerId: string, joins: JoinSpec[], opts: { dnsGateway?: string } = {}): Promise<SandboxHandle> {
    const { dnsGateway } = opts;
    const entry = this.#pool.take({ firewall: dnsGateway !== undefined });
    try {
      const inside = joins.flatMap((j) => this.#insideLines(j));
      const steps = [entry.ready, inside.length > 0 ? entry.inside.run(inside) : Promise.resolve()];
      if (dnsGateway !== undefined) {
        steps.push(entry.firewall!.then((f) => f.finish(dnsRedirectRules(dnsGateway, true).trimEnd().split('\n'))));
      } else {
        dropFirewall(entry);
      }
      await Promise.all(steps);
      await entry.host.finish(joins.flatMap(enslave));
    } catch (err) {
      // The namespace goes with its holder, and the veths in it with it.
      discard(entry);
      this.#removeLater(joins.map((j) => j.hostIfname));
      throw new InternalError(`Could not set up the network namespace: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.#holders.get(containerId)?.kill();
    this.#holders.set(containerId, entry.inside);
    return {
      netnsPath: `/proc/${entry.inside.pid}/ns/net`,
      release: () => {
        if (this.#holders.get(containerId) === entry.inside) this.#holders.delete(containerId);
        entry.inside.end();
      },
    };
  }

  warm(): void {
    this.#pool.warm();
  }

  close(): void {
    this.#pool.close();
    for (const h of this.#holders.values()) h.kill();
    this.#holders.clear();
  }

  async join(netnsPath: string, spec: JoinSpec): Promise<void> {
    const r = await exec('nsenter', [`--net=${netnsPath}`, 'ip', '-batch', '-'], { ...TIMEOUT, input: `${this.#insideLines(spec).join('\n')}\n` });
    if (r.code !== 0) {
      await this.leave(spec.hostIfname).catch(() => undefined);
      throw new InternalError(`Could not connect the container: ${r.stderr.trim()}`);
    }
    await ip(['-batch', '-'], enslave(spec));
  }

  async redirectDns(netnsPath: string, gateway: string): Promise<void> {
    const r = await exec('nsenter', [`--net=${netnsPath}`, 'iptables-restore', '--noflush', '-w', '5'], { ...TIMEOUT, input: dnsRedirectRules(gateway, false) });
    if (r.code !== 0) throw new InternalError(`Could not point the container's name server at ${gateway}: ${r.stderr.trim()}`);
  }

  async leave(hostIfname: string): Promise<void> {
    if (!existsSync(`/sys/class/net/${hostIfname}`)) return;
    await exec('ip', ['link', 'del', hostIfname], TIMEOUT);
  }

  async removeSandbox(containerId: string, hostIfnames: string[]): Promise<void> {
    // A start that failed before the container joined: the holder is the namespace's last process.
    this.#holders.get(containerId)?.kill();
    this.#holders.delete(containerId);
    // The veths die with the namespace when the container's last process does, a moment later (the kernel
    // frees namespaces in the background). One still there a while later is in a namespace something else
    // keeps (a container that joined this one's network): it goes then, off every start's and exit's path.
    this.#removeLater(hostIfnames);
    // Sandboxes of the former layout: a namespace file bind-mounted per container.
    const path = join(this.#opts.netnsDir, containerId);
    if (!existsSync(path)) return;
    await exec('umount', ['-l', path], TIMEOUT).catch(() => undefined);
    await rm(path, { force: true });
  }

  async listSandboxes(): Promise<string[]> {
    return readdir(this.#opts.netnsDir).catch(() => []);
  }

  async sweepVeths(keep: ReadonlySet<string>): Promise<void> {
    const prefix = `v${this.#opts.tag}`;
    const names = (await readdir('/sys/class/net').catch(() => [] as string[])).filter((n) => n.startsWith(prefix) && !keep.has(n));
    await this.#removeLinks(names);
  }

  #removeLater(names: string[]): void {
    if (names.length === 0) return;
    setTimeout(() => {
      this.#removeLinks(names).catch(() => undefined);
    }, LAZY_REMOVE_MS).unref();
  }

  async #removeLinks(names: string[]): Promise<void> {
    const left = names.filter((n) => existsSync(`/sys/class/net/${n}`));
    if (left.length === 0) return;
    await exec('ip', ['-force', '-batch', '-'], { ...TIMEOUT, input: `${left.map((n) => `link del ${n}`).join('\n')}\n` });
  }

  async hostSubnets(): Promise<string[]> {
    const r = await exec('ip', ['-4', 'route', 'show'], TIMEOUT);
    return r.stdout
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter((s) => s.includes('/'));
  }

  async syncFirewall(state: FirewallState): Promise<void> {
    if (!this.#jumpsChecked) {
      await this.#ensureJumps();
      this.#jumpsChecked = true;
    }
    const r = await exec('iptables-restore', ['--noflush', '-w', '5'], { ...TIMEOUT, input: firewallRules(this.#chains, state) });
    if (r.code !== 0) throw new InternalError(`Could not program iptables: ${r.stderr.trim()}`);
  }

  /** The jumps from the built-in chains into ours, inserted once (checked with -C first: never duplicated). */
  async #ensureJumps(): Promise<void> {
    if (existsSync('/proc/sys/net/ipv4/ip_forward')) await writeFile('/proc/sys/net/ipv4/ip_forward', '1').catch(() => undefined);
    // Our chains must exist before a jump can name them: declare them (empty) first.
    const declare = `*nat\n:${this.#chains.dnat} - [0:0]\n:${this.#chains.post} - [0:0]\nCOMMIT\n*filter\n:${this.#chains.forward} - [0:0]\n:${this.#chains.isolate} - [0:0]\nCOMMIT\n`;
    const d = await exec('iptables-restore', ['--noflush', '-w', '5'], { ...TIMEOUT, input: declare });
    if (d.code !== 0) throw new InternalError(`Could not create iptables chains: ${d.stderr.trim()}`);
    for (const { table, chain, rule } of jumpRules(this.#chains)) {
      const check = await exec('iptables', ['-w', '5', '-t', table, '-C', chain, ...rule], TIMEOUT);
      if (check.code === 0) continue;
      const add = await exec('iptables', ['-w', '5', '-t', table, '-I', chain, '1', ...rule], TIMEOUT);
      if (add.code !== 0) throw new InternalError(`Could not add the iptables jump into ${chain}: ${add.stderr.trim()}`);
    }
  }

  #insideLines(j: JoinSpec): string[] {
    const hostNs = this.#opts.hostNetns ?? `/proc/${process.pid}/ns/net`;
    const lines = [
      `link add ${j.ifname} type veth peer name ${j.hostIfname} netns ${hostNs}`,
      `link set ${j.ifname} address ${j.mac}`,
      `addr add ${j.address}/${j.prefixLength} dev ${j.ifname}`,
      `link set ${j.ifname} up`,
    ];
    if (j.defaultRoute) lines.push(`route add default via ${j.gateway} dev ${j.ifname}`);
    return lines;
  }
}

export function chainNames(tag: string): ChainNames {
  const p = `BERTH-${tag}`;
  return { dnat: `${p}-DNAT`, post: `${p}-POST`, forward: `${p}-FWD`, isolate: `${p}-ISO` };
}

async function ip(args: string[], lines: string[]): Promise<void> {
  const r = await exec('ip', args, { ...TIMEOUT, input: `${lines.join('\n')}\n` });
  if (r.code !== 0) throw new InternalError(`ip ${args.join(' ')} failed: ${r.stderr.trim()}`);
}

/**
 * The host end of a veth into its bridge, with hairpin mode as Docker sets it: a container reaching its own
 * published port through a host address is DNAT'ed back to itself, so the bridge must send the frame out of
 * the port it came in by.
 */
function enslave(j: { hostIfname: string; bridge: string }): string[] {
  return [`link set ${j.hostIfname} master ${j.bridge} up`, `link set ${j.hostIfname} type bridge_slave hairpin on`];
}
