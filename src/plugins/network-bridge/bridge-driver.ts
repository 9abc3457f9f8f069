import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InternalError } from '../../core/errdefs.js';
import type { FirewallState, JoinSpec, NetworkDriver } from '../../core/networks.js';
import { exec } from '../../pkg/exec.js';
import { firewallRules, jumpRules, type ChainNames } from './firewall-rules.js';

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

/**
 * The bridge driver on iproute2 and iptables (the nft backend here): a Linux bridge per network, one veth pair
 * per container per network, namespaces made by `unshare --net=<file>` (which bind-mounts them as
 * `ip netns add` would) and configured in one `ip -batch` each side, so that a start costs two short spawns.
 * Firewall rules are rewritten whole with one `iptables-restore --noflush` of berth's own chains.
 */
export class BridgeDriver implements NetworkDriver {
  readonly #opts: BridgeDriverOptions;
  readonly #chains: ChainNames;
  #jumpsChecked = false;

  constructor(opts: BridgeDriverOptions) {
    this.#opts = opts;
    this.#chains = chainNames(opts.tag);
  }

  get chains(): ChainNames {
    return this.#chains;
  }

  netnsPath(containerId: string): string {
    return join(this.#opts.netnsDir, containerId);
  }

  vethName(containerId: string, networkId: string): string {
    return `v${this.#opts.tag}${createHash('sha256').update(`${containerId}/${networkId}`).digest('hex').slice(0, 8)}`;
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

  async createSandbox(containerId: string, joins: JoinSpec[]): Promise<string> {
    const path = this.netnsPath(containerId);
    await mkdir(this.#opts.netnsDir, { recursive: true, mode: 0o711 });
    await writeFile(path, '', { mode: 0o444 });
    try {
      const lines = ['link set lo up', ...joins.flatMap((j) => this.#insideLines(j))];
      const r = await exec('unshare', [`--net=${path}`, 'ip', '-batch', '-'], { ...TIMEOUT, input: `${lines.join('\n')}\n` });
      if (r.code !== 0) throw new InternalError(`Could not set up the network namespace: ${r.stderr.trim()}`);
      if (joins.length > 0) await ip(['-batch', '-'], joins.map((j) => `link set ${j.hostIfname} master ${j.bridge} up`));
    } catch (err) {
      await this.removeSandbox(containerId).catch(() => undefined);
      throw err;
    }
    return path;
  }

  async join(netnsPath: string, spec: JoinSpec): Promise<void> {
    const r = await exec('nsenter', [`--net=${netnsPath}`, 'ip', '-batch', '-'], { ...TIMEOUT, input: `${this.#insideLines(spec).join('\n')}\n` });
    if (r.code !== 0) {
      await this.leave(spec.hostIfname).catch(() => undefined);
      throw new InternalError(`Could not connect the container: ${r.stderr.trim()}`);
    }
    await ip(['-batch', '-'], [`link set ${spec.hostIfname} master ${spec.bridge} up`]);
  }

  async leave(hostIfname: string): Promise<void> {
    if (!existsSync(`/sys/class/net/${hostIfname}`)) return;
    await exec('ip', ['link', 'del', hostIfname], TIMEOUT);
  }

  async removeSandbox(containerId: string): Promise<void> {
    const path = this.netnsPath(containerId);
    if (!existsSync(path)) return;
    // Unmounting drops the last reference once the container is gone: the namespace and its veths go with it.
    await exec('umount', ['-l', path], TIMEOUT).catch(() => undefined);
    await rm(path, { force: true });
  }

  async listSandboxes(): Promise<string[]> {
    return readdir(this.#opts.netnsDir).catch(() => []);
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
