import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerRecord } from '../../core/containers.js';
import { ConflictError, ForbiddenError, InternalError, InvalidArgumentError, NotFoundError, noSuchContainer } from '../../core/errdefs.js';
import type { EventPublisher } from '../../core/events.js';
import type { MetadataStore, ReadTx, WriteTx } from '../../core/metadata.js';
import type {
  EndpointConfig,
  EndpointRecord,
  FirewallState,
  JoinSpec,
  NameLookup,
  NameServer,
  NetworkDriver,
  NetworkRecord,
  PortMapping,
  PortReserver,
  SandboxRecord,
} from '../../core/networks.js';
import type { Filters } from '../../pkg/filters.js';
import { newId } from '../../pkg/ids.js';
import { cidrAddress, cidrContains, cidrsOverlap, formatIPv4, parseCidr, parseIPv4 } from '../../pkg/ipv4.js';
import type { KeyedLock } from '../../pkg/keyed-lock.js';
import type { Logger } from '../images/image-store-deps.js';
import { pruneFilter } from '../prune-filter.js';
import { resolveContainer } from '../containers/container-resolver.js';
import { addHostsEntry, hostsEntry, parseExtraHosts, parseResolvConf, removeHostsEntry, renderHosts, renderResolvConf, type HostResolv } from './etc-files.js';
import { allocateAddress, chooseSubnet, macForAddress, type AddressPool } from './ipam.js';
import { networkResource } from './network-views.js';
import { portMappings } from './port-specs.js';

export interface NetworkServiceDeps {
  metadata: MetadataStore;
  driver: NetworkDriver;
  ports: PortReserver;
  dns: NameServer;
  locks: KeyedLock;
  events: EventPublisher;
  now: () => Date;
  log: Logger;
  /** dockerd's --bridge and --bip: the default bridge's device and its gateway address with prefix. */
  defaultBridge: { device: string; bip: string };
  /** dockerd's --default-address-pool. */
  pools: AddressPool[];
  hostResolvConf: string;
}

/** A build step's network: the namespace to join until `release()` (after the runtime's create), then `detach()`. */
export interface StepNetwork {
  netnsPath: string;
  release(): void;
  detach(): Promise<void>;
}

/** What a container start needs from the network: where its namespace is (none: a private one of its own). */
export interface NetworkSetup {
  /** The namespace to join: a sandbox, another container's, or undefined with `host` (none at all). */
  netnsPath?: string;
  hostNetwork: boolean;
  /** Legacy link environment variables (default bridge). */
  env: string[];
  /** To call once the container's process is in the namespace (the runtime's create has returned). */
  release?: () => void;
}

const RUNNING = new Set(['running', 'paused']);
const PREDEFINED = ['bridge', 'host', 'none'];
const LIST_FILTERS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'];
const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';

/**
 * Networks and the network side of containers: `network create/ls/inspect/rm/prune/connect/disconnect`, and
 * for the container service, the sandbox of a container that starts (addresses, veths, published ports,
 * /etc/hosts and /etc/resolv.conf) and its teardown when it stops. The store says what should exist; the
 * driver makes the host match; after a restart `reconcile` sweeps what no running container needs.
 */
export class NetworkService {
  readonly #deps: NetworkServiceDeps;
  #hostResolv: HostResolv = { nameservers: [], search: [], options: [] };
  /** Addresses held by build steps, by network id: not API containers, so no endpoint row holds them. */
  readonly #stepAddresses = new Map<string, Set<string>>();

  constructor(deps: NetworkServiceDeps) {
    this.#deps = deps;
  }

  // -- daemon start -----------------------------------------------------------------------------------------

  /** Before containers are restored: predefined networks, bridges, berth's chains, name servers. */
  async init(): Promise<void> {
    this.#hostResolv = parseResolvConf(await readFile(this.#deps.hostResolvConf, 'utf8').catch(() => ''));
    const { device, bip } = this.#deps.defaultBridge;
    const bipCidr = parseCidr(bip);
    const gw = cidrAddress(bip);
    if (!bipCidr || gw === undefined) throw new InvalidArgumentError(`invalid --bip: ${bip}`);
    const now = this.#deps.now().toISOString();
    this.#deps.metadata.update((tx) => {
      const base = { created: now, internal: false, attachable: false, labels: {}, options: {}, userSubnet: false, predefined: true, ipamCursor: 0, ipRange: '' };
      const existing = tx.getNetworkByName('bridge');
      const subnet = `${formatIPv4(bipCidr.base)}/${bipCidr.prefix}`;
      if (device === 'none') {
        // dockerd -b none: no default bridge network at all; a former one is forgotten (containers that were
        // on it start with a loopback only; their endpoint rows would point at nothing).
        if (existing) {
          for (const e of tx.listEndpoints({ networkId: existing.id })) tx.deleteEndpoint(existing.id, e.containerId);
          tx.deleteNetwork(existing.id);
        }
      } else if (!existing || existing.subnet !== subnet || existing.bridge !== device) {
        tx.putNetwork({
          ...base,
          ...(existing ?? {}),
          id: existing?.id ?? newId(),
          name: 'bridge',
          driver: 'bridge',
          subnet,
          gateway: formatIPv4(gw),
          bridge: device,
          options: defaultBridgeOptions(device),
        });
      }
      if (!tx.getNetworkByName('host')) tx.putNetwork({ ...base, id: newId(), name: 'host', driver: 'host', subnet: '', gateway: '', bridge: '' });
      if (!tx.getNetworkByName('none')) tx.putNetwork({ ...base, id: newId(), name: 'none', driver: 'null', subnet: '', gateway: '', bridge: '' });
    });
    for (const net of this.#bridgeNetworks()) {
      await this.#deps.driver.ensureBridge(net);
      if (!net.predefined) await this.#serveDns(net);
    }
    await this.#syncFirewall();
  }

  /**
   * After containers are restored: sandboxes (and addresses) of containers that no longer run are removed,
   * the published ports of those that do are held again, and the firewall is rewritten to match.
   */
  async reconcile(): Promise<void> {
    const onDisk = await this.#deps.driver.listSandboxes();
    const recorded = this.#deps.metadata.view((tx) => tx.listSandboxes().map((s) => s.containerId));
    const withIp = this.#deps.metadata.view((tx) => tx.listEndpoints({}).filter((e) => e.ip !== null).map((e) => e.containerId));
    for (const id of new Set([...onDisk, ...recorded, ...withIp])) {
      await this.#deps.locks.withLock(id, async () => {
        const c = this.#deps.metadata.view((tx) => tx.getContainer(id));
        if (c && RUNNING.has(c.state.status)) {
          const sb = this.#deps.metadata.view((tx) => tx.getSandbox(id));
          for (const m of sb?.ports ?? []) {
            await this.#deps.ports.reserve(m).catch((err: unknown) => this.#deps.log.warn('could not hold a published port again', { id, port: m.hostPort, error: String(err) }));
          }
          return;
        }
        await this.#tearDownLocked(id, { sync: false });
      });
    }
    await this.#syncFirewall();
    // Veths of containers that died while the daemon was away went with their namespaces; any other one (a
    // namespace kept by something else) goes now.
    const keep = this.#deps.metadata.view((tx) => tx.listEndpoints({}).flatMap((e) => (e.ip !== null && e.endpointId ? [this.#deps.driver.vethName(e.endpointId)] : [])));
    await this.#deps.driver.sweepVeths(new Set(keep));
    this.#deps.driver.warm();
  }

  // -- networks ---------------------------------------------------------------------------------------------

  /** A network by full id, name, or unique id prefix (Docker's order); 404 in Docker's words otherwise. */
  resolve(idOrName: string, tx?: ReadTx): NetworkRecord {
    const find = (t: ReadTx): NetworkRecord => {
      const byId = t.getNetwork(idOrName);
      if (byId) return byId;
      const byName = t.getNetworkByName(idOrName);
      if (byName) return byName;
      const ids = idOrName.length > 0 ? t.findNetworkIds(idOrName) : [];
      if (ids.length === 1) return t.getNetwork(ids[0]!)!;
      if (ids.length > 1) throw new InvalidArgumentError(`network ${idOrName} is ambiguous (${ids.length} matches found based on ID prefix)`);
      throw new NotFoundError(`network ${idOrName} not found`);
    };
    return tx ? find(tx) : this.#deps.metadata.view(find);
  }

  async create(raw: unknown): Promise<{ Id: string; Warning: string }> {
    const body = parseCreateNetwork(raw);
    if (body.driver === 'host' || body.driver === 'null') throw new ForbiddenError(`only one instance of "${body.driver === 'null' ? 'none' : 'host'}" network is allowed`);
    if (body.driver !== 'bridge') throw new NotFoundError(`plugin "${body.driver}" not found`);
    const id = newId();
    return this.#deps.locks.withLock('network:create', async () => {
      const existing = this.#deps.metadata.view((tx) => tx.listNetworks());
      if (existing.some((n) => n.name === body.name)) throw new ConflictError(`network with name ${body.name} already exists`);
      let subnet = body.subnet;
      if (subnet) {
        const mine = parseCidr(subnet)!;
        if (existing.some((n) => n.subnet !== '' && cidrsOverlap(parseCidr(n.subnet)!, mine))) {
          throw new ForbiddenError('invalid pool request: Pool overlaps with other one on this address space');
        }
      } else {
        subnet = chooseSubnet(this.#deps.pools, [...existing.map((n) => n.subnet).filter(Boolean), ...(await this.#deps.driver.hostSubnets())]);
      }
      const cidr = parseCidr(subnet)!;
      const gateway = body.gateway || formatIPv4(cidr.base + 1);
      if (!cidrContains(cidr, parseIPv4(gateway)!)) throw new InvalidArgumentError(`no matching subnet for gateway ${gateway}`);
      if (body.ipRange && !cidrContains(cidr, parseCidr(body.ipRange)!.base)) throw new InvalidArgumentError(`no matching subnet for range ${body.ipRange}`);
      const bridge = body.options[BRIDGE_NAME_OPTION] || this.#deps.driver.bridgeName(id);
      if (existing.some((n) => n.bridge === bridge)) throw new ConflictError(`bridge name ${bridge} is already in use by another network`);
      const net: NetworkRecord = {
        id,
        name: body.name,
        driver: 'bridge',
        created: this.#deps.now().toISOString(),
        internal: body.internal,
        attachable: body.attachable,
        labels: body.labels,
        options: body.options,
        subnet,
        gateway,
        ipRange: body.ipRange,
        userSubnet: body.subnet !== '',
        bridge,
        predefined: false,
        ipamCursor: 0,
      };
      await this.#deps.driver.ensureBridge(net);
      try {
        this.#deps.metadata.update((tx) => tx.putNetwork(net));
        await this.#syncFirewall();
        await this.#serveDns(net);
      } catch (err) {
        this.#deps.metadata.update((tx) => tx.deleteNetwork(id));
        await this.#deps.driver.removeBridge(bridge).catch(() => undefined);
        await this.#syncFirewall().catch(() => undefined);
        throw err;
      }
      this.#publish(net, 'create');
      return { Id: id, Warning: '' };
    });
  }

  async remove(idOrName: string): Promise<void> {
    const net = this.resolve(idOrName);
    if (net.predefined) throw new ForbiddenError(`${net.name} is a pre-defined network and cannot be removed`);
    await this.#deps.locks.withLock(`network:${net.id}`, async () => {
      this.#deps.metadata.update((tx) => {
        const active = tx.listEndpoints({ networkId: net.id }).filter((e) => e.ip !== null);
        if (active.length > 0) {
          const c = tx.getContainer(active[0]!.containerId);
          throw new ConflictError(`error while removing network: network ${net.name} has active endpoints (name:"${c?.name ?? ''}" id:"${active[0]!.containerId.slice(0, 12)}")`);
        }
        for (const e of tx.listEndpoints({ networkId: net.id })) tx.deleteEndpoint(net.id, e.containerId);
        tx.deleteNetwork(net.id);
      });
      await this.#deps.dns.stop(net.gateway);
      await this.#syncFirewall();
      await this.#deps.driver.removeBridge(net.bridge);
    });
    this.#publish(net, 'destroy');
  }

  list(filters: Filters): Record<string, unknown>[] {
    filters.validate(LIST_FILTERS);
    for (const t of filters.get('type')) {
      if (t !== 'custom' && t !== 'builtin') throw new InvalidArgumentError(`invalid filter: 'type'='${t}'`);
    }
    return this.#deps.metadata.view((tx) => {
      const out: Record<string, unknown>[] = [];
      for (const n of tx.listNetworks()) {
        if (!filters.match('driver', n.driver)) continue;
        if (filters.has('id') && !filters.get('id').some((p) => n.id.startsWith(p))) continue;
        if (filters.has('name') && !filters.get('name').some((p) => n.name.includes(p))) continue;
        if (!filters.matchKVList('label', n.labels)) continue;
        if (filters.has('scope') && !filters.contains('scope', 'local')) continue;
        if (filters.has('type') && !filters.contains('type', n.predefined ? 'builtin' : 'custom')) continue;
        if (filters.has('dangling')) {
          const dangling = !n.predefined && tx.listEndpoints({ networkId: n.id }).length === 0;
          if (!filters.get('dangling').some((v) => (v === 'true' || v === '1') === dangling)) continue;
        }
        out.push(networkResource(n, [], tx));
      }
      return out;
    });
  }

  inspect(idOrName: string): Record<string, unknown> {
    return this.#deps.metadata.view((tx) => {
      const net = this.resolve(idOrName, tx);
      return networkResource(net, tx.listEndpoints({ networkId: net.id }).filter((e) => e.ip !== null), tx);
    });
  }

  async prune(filters: Filters): Promise<{ NetworksDeleted: string[] | null }> {
    filters.validate(['until', 'label', 'label!']);
    const keep = pruneFilter(filters, this.#deps.now());
    const candidates = this.#deps.metadata.view((tx) => tx.listNetworks().filter((n) => !n.predefined && tx.listEndpoints({ networkId: n.id }).length === 0));
    const deleted: string[] = [];
    for (const n of candidates) {
      if (!keep(new Date(n.created), n.labels)) continue;
      try {
        await this.remove(n.id);
        deleted.push(n.name);
      } catch (err) {
        this.#deps.log.warn('prune could not remove a network', { id: n.id, error: String(err) });
      }
    }
    this.#deps.events.publish({ Type: 'network', Action: 'prune', Actor: { ID: '', Attributes: {} } });
    return { NetworksDeleted: deleted.length > 0 ? deleted : null };
  }

  // -- containers -------------------------------------------------------------------------------------------

  /**
   * Checks a create body's network settings (Docker's errors) and returns what to record with the new
   * container, in its transaction: one endpoint row per network it joins.
   */
  planCreate(hostConfig: Record<string, unknown>, networkingConfig: unknown, config: Record<string, unknown>): (tx: WriteTx, containerId: string) => void {
    const mode = networkModeOf(hostConfig);
    const ports = portMappings(hostConfig['PortBindings'], config['ExposedPorts'], hostConfig['PublishAllPorts'] === true);
    const endpointsConfig = endpointsOf(networkingConfig);
    if (mode.startsWith('container:')) {
      if (ports.length > 0) throw new InvalidArgumentError('conflicting options: port publishing and the container type network mode');
      if (hostConfig['Dns'] && (hostConfig['Dns'] as unknown[]).length > 0) throw new InvalidArgumentError('conflicting options: dns and the network mode');
      this.#deps.metadata.view((tx) => resolveContainer(tx, mode.slice('container:'.length)));
      return () => undefined;
    }
    if (mode === 'host' || mode === 'none') return () => undefined;
    const links = stringList(hostConfig['Links']);
    const plans = this.#deps.metadata.view((tx) => {
      // As in Docker, a network that does not exist (yet) is an error of the start, not of the create.
      let primary: NetworkRecord;
      try {
        primary = this.resolve(mode, tx);
      } catch (err) {
        if (err instanceof NotFoundError) return [];
        throw err;
      }
      if (primary.driver === 'host' || primary.driver === 'null') return [];
      const out: { net: NetworkRecord; cfg: EndpointConfig }[] = [];
      const entries = Object.entries(endpointsConfig);
      const primaryEntry = entries.find(([k]) => k === mode || k === primary.name || k === primary.id || k === 'default')?.[1];
      out.push({ net: primary, cfg: endpointConfig(primaryEntry, config, links) });
      for (const [k, v] of entries) {
        if (k === mode || k === 'default') continue;
        const net = this.resolve(k, tx);
        if (net.id === primary.id) continue;
        if (net.driver !== 'bridge') throw new ForbiddenError('container cannot be disconnected from host network or connected to host network');
        out.push({ net, cfg: endpointConfig(v, {}, []) });
      }
      for (const p of out) validateEndpoint(p.net, p.cfg);
      for (const l of links) resolveContainer(tx, l.split(':')[0]!.replace(/^\//, ''));
      return out;
    });
    return (tx, containerId) => {
      for (const p of plans) tx.putEndpoint({ containerId, networkId: p.net.id, config: p.cfg, ip: null, mac: '', endpointId: '', ifname: '' });
    };
  }

  /**
   * Sets up a starting container's network (under its lock, before the runtime creates it): addresses
   * allocated, the sandbox with its veths, the published ports held and DNAT'ed, /etc/hosts and
   * /etc/resolv.conf written. On failure nothing is left behind.
   */
  async setUp(c: ContainerRecord): Promise<NetworkSetup> {
    const mode = networkModeOf(c.hostConfig);
    if (mode === 'host') {
      await this.#writeEtcFiles(c, { hostNetwork: true });
      this.#publishContainer(c.id, ['host'], 'connect');
      return { hostNetwork: true, env: [] };
    }
    if (mode.startsWith('container:')) {
      const other = this.#deps.metadata.view((tx) => resolveContainer(tx, mode.slice('container:'.length)));
      if (!RUNNING.has(other.state.status) || other.state.pid <= 0) throw new ConflictError(`cannot join network namespace of a non running container: container ${other.id} is not running`);
      for (const f of ['hosts', 'resolv.conf', 'hostname']) {
        await writeFile(join(c.dir, f), await readFile(join(other.dir, f)).catch(() => Buffer.alloc(0)));
      }
      return { netnsPath: `/proc/${other.state.pid}/ns/net`, hostNetwork: false, env: [] };
    }
    if (mode === 'none' || (mode === 'bridge' && this.#bridgeDisabled())) {
      // dockerd -b none: the default network mode (and `--network bridge`) gives only a loopback.
      await this.#writeEtcFiles(c, {});
      if (mode === 'none') this.#publishContainer(c.id, ['none'], 'connect');
      return { hostNetwork: false, env: [] };
    }
    const primaryNet = this.resolve(mode);
    const primaryId = primaryNet.id;
    let planned = this.#deps.metadata.view((tx) => tx.listEndpoints({ containerId: c.id }));
    if (!planned.some((e) => e.networkId === primaryId)) {
      // Created before its network existed: the endpoint is made now, with the settings the create gave.
      const ep: EndpointRecord = { containerId: c.id, networkId: primaryId, config: endpointConfig(undefined, c.config, stringList(c.hostConfig['Links'])), ip: null, mac: '', endpointId: '', ifname: '' };
      this.#deps.metadata.update((tx) => tx.putEndpoint(ep));
      planned = [ep, ...planned];
    }
    planned.sort((a, b) => (a.networkId === primaryId ? -1 : b.networkId === primaryId ? 1 : 0));
    const joins: JoinSpec[] = [];
    try {
      const attached = this.#deps.metadata.update((tx) => {
        const list: { ep: EndpointRecord; net: NetworkRecord }[] = [];
        planned.forEach((p, i) => {
          const { ep, net } = this.#allocate(tx, p, `eth${i}`);
          list.push({ ep, net });
        });
        tx.putSandbox({ containerId: c.id, netnsPath: '', ports: [] });
        return list;
      });
      let routed = false;
      for (const { ep, net } of attached) {
        const defaultRoute = !routed && !net.internal;
        if (defaultRoute) routed = true;
        joins.push(this.#joinSpec(ep, net, defaultRoute));
      }
      // The container's resolver asks 127.0.0.11, sent on to the name server of its first user network.
      const dnsNet = attached.find((a) => !a.net.predefined)?.net;
      const sandbox = await this.#deps.driver.createSandbox(c.id, joins, { dnsGateway: dnsNet?.gateway });
      const primary = attached[0]!;
      const wanted = portMappings(c.hostConfig['PortBindings'], c.config.ExposedPorts, c.hostConfig['PublishAllPorts'] === true);
      if (wanted.length > 0) {
        const held: PortMapping[] = [];
        try {
          for (const m of wanted) held.push({ ...withoutRange(m), hostPort: await this.#deps.ports.reserve(m) });
        } catch (err) {
          for (const m of held) this.#deps.ports.release(m);
          const msg = err instanceof Error ? err.message : String(err);
          throw new InternalError(`driver failed programming external connectivity on endpoint ${c.name} (${primary.ep.endpointId}): ${msg}`, { cause: err });
        }
        this.#deps.metadata.update((tx) => tx.putSandbox({ containerId: c.id, netnsPath: '', ports: held }));
        await this.#syncFirewall();
      }
      await this.#writeEtcFiles(c, { address: primary.ep.ip!, net: primary.net, embeddedDns: dnsNet !== undefined });
      this.#publishContainer(c.id, attached.map((a) => a.net.id), 'connect');
      return { netnsPath: sandbox.netnsPath, hostNetwork: false, env: this.#linkEnv(c), release: () => sandbox.release() };
    } catch (err) {
      await this.#tearDownLocked(c.id, { sync: true }).catch(() => undefined);
      throw err;
    }
  }

  /**
   * A container stopped (or its start failed): its sandbox, addresses and ports go. The sandbox record is
   * read and the ports released before the first await, so a caller may start this, forget the container in
   * the store, and await it later (the exit path does, to keep `run --rm` fast).
   */
  async tearDown(containerId: string): Promise<void> {
    // Docker's `network disconnect` event for every network the container was on, as its start announced.
    const c = this.#deps.metadata.view((tx) => tx.getContainer(containerId));
    const mode = c ? networkModeOf(c.hostConfig) : '';
    const attached = this.#deps.metadata.view((tx) => tx.listEndpoints({ containerId }).flatMap((e) => (e.ip !== null ? [e.networkId] : [])));
    const down = this.#tearDownLocked(containerId, { sync: true });
    // After the caller's own synchronous part (the exit path publishes `die` there): Docker's order is die,
    // then disconnect, then destroy.
    await Promise.resolve();
    this.#publishContainer(containerId, mode === 'host' || mode === 'none' ? [mode] : attached, 'disconnect');
    await down;
  }

  async connect(netIdOrName: string, raw: unknown): Promise<void> {
    const body = (raw && typeof raw === 'object' ? raw : {}) as { Container?: unknown; EndpointConfig?: unknown };
    if (typeof body.Container !== 'string' || body.Container === '') throw new InvalidArgumentError('container name or ID is required');
    const net = this.resolve(netIdOrName);
    const c = this.#deps.metadata.view((tx) => resolveContainer(tx, body.Container as string));
    const mode = networkModeOf(c.hostConfig);
    if (net.driver === 'host' || mode === 'host') throw new InvalidArgumentError('container cannot be disconnected from host network or connected to host network');
    if (net.driver === 'null' || mode === 'none') throw new InvalidArgumentError('container cannot be disconnected from none network or connected to none network');
    if (mode.startsWith('container:')) throw new InvalidArgumentError('conflicting options: container type network can\'t be used with multiple networks');
    const cfg = endpointConfig(body.EndpointConfig, {}, []);
    validateEndpoint(net, cfg);
    await this.#deps.locks.withLock(c.id, async () => {
      const cur = this.#deps.metadata.view((tx) => tx.getContainer(c.id));
      if (!cur) throw noSuchContainer(body.Container as string);
      const mine = this.#deps.metadata.view((tx) => tx.listEndpoints({ containerId: c.id }));
      if (mine.some((e) => e.networkId === net.id)) throw new ForbiddenError(`endpoint with name ${cur.name} already exists in network ${net.name}`);
      const planned: EndpointRecord = { containerId: c.id, networkId: net.id, config: cfg, ip: null, mac: '', endpointId: '', ifname: '' };
      const sandbox = this.#deps.metadata.view((tx) => tx.getSandbox(c.id));
      if (!RUNNING.has(cur.state.status) || !sandbox || cur.state.pid <= 0) {
        this.#deps.metadata.update((tx) => tx.putEndpoint(planned));
        return;
      }
      const used = new Set(mine.map((e) => e.ifname));
      let n = 0;
      while (used.has(`eth${n}`)) n++;
      const { ep } = this.#deps.metadata.update((tx) => this.#allocate(tx, planned, `eth${n}`));
      try {
        await this.#deps.driver.join(`/proc/${cur.state.pid}/ns/net`, this.#joinSpec(ep, net, false));
      } catch (err) {
        this.#deps.metadata.update((tx) => tx.deleteEndpoint(net.id, c.id));
        throw err;
      }
      // The embedded DNS answers from the store, so the name resolves on `net` from now on; /etc/hosts gets
      // the container's own entry for the new address, as libnetwork's updateHostsFile does.
      await this.#editHosts(cur, (text) => addHostsEntry(text, this.#ownHostsEntry(cur, ep.ip!)));
    });
    this.#publish(net, 'connect', { container: c.id });
  }

  async disconnect(netIdOrName: string, raw: unknown): Promise<void> {
    const body = (raw && typeof raw === 'object' ? raw : {}) as { Container?: unknown; Force?: unknown };
    if (typeof body.Container !== 'string' || body.Container === '') throw new InvalidArgumentError('container name or ID is required');
    const net = this.resolve(netIdOrName);
    const c = this.#deps.metadata.view((tx) => resolveContainer(tx, body.Container as string));
    if (net.driver === 'host') throw new InvalidArgumentError('container cannot be disconnected from host network or connected to host network');
    await this.#deps.locks.withLock(c.id, async () => {
      const ep = this.#deps.metadata.view((tx) => tx.listEndpoints({ containerId: c.id }).find((e) => e.networkId === net.id));
      if (!ep) throw new ForbiddenError(`container ${c.id} is not connected to network ${net.name}`);
      this.#deps.metadata.update((tx) => tx.deleteEndpoint(net.id, c.id));
      if (ep.ip !== null && ep.endpointId) await this.#deps.driver.leave(this.#deps.driver.vethName(ep.endpointId));
      const cur = this.#deps.metadata.view((tx) => tx.getContainer(c.id));
      if (ep.ip !== null && cur) await this.#editHosts(cur, (text) => removeHostsEntry(text, this.#ownHostsEntry(cur, ep.ip!)));
      if (ep.ip !== null && cur && !net.predefined && RUNNING.has(cur.state.status) && cur.state.pid > 0) await this.#redirectDns(cur);
    });
    this.#publish(net, 'disconnect', { container: c.id });
  }

  /**
   * The network of one build RUN step, as Docker's classic builder gives its intermediate containers: an
   * address on `network` (`default`: the default bridge), a sandbox with its veth, and the step's /etc/hosts
   * and /etc/resolv.conf written in `dir`. A step is not an API container, so its address is held in memory
   * while it runs, and nothing about it is published. Undefined when there is no default bridge (dockerd
   * -b none): the step then has a loopback only.
   */
  async attachStep(stepId: string, dir: string, opts: { network: string; hostname: string; extraHosts: string[] }): Promise<StepNetwork | undefined> {
    const name = opts.network === 'default' ? 'bridge' : opts.network;
    if (name === 'bridge' && this.#bridgeDisabled()) return undefined;
    const net = this.resolve(name);
    if (net.driver !== 'bridge') throw new InvalidArgumentError(`network ${name} cannot be used by a build step`);
    const held = this.#stepAddresses.get(net.id) ?? new Set<string>();
    this.#stepAddresses.set(net.id, held);
    const address = this.#deps.metadata.update((tx) => this.#takeAddress(tx, net.id).address);
    held.add(address);
    const spec = this.#joinSpec({ containerId: stepId, networkId: net.id, config: endpointConfig(undefined, {}, []), ip: address, mac: macForAddress(address), endpointId: newId(), ifname: 'eth0' }, net, !net.internal);
    const detach = async (): Promise<void> => {
      await this.#deps.driver.removeSandbox(stepId, [spec.hostIfname]).catch(() => undefined);
      held.delete(address);
    };
    try {
      const sandbox = await this.#deps.driver.createSandbox(stepId, [spec], { dnsGateway: net.predefined ? undefined : net.gateway });
      const hosts = renderHosts({ address, hostname: opts.hostname, domainname: '', extraHosts: parseExtraHosts(opts.extraHosts, net.gateway), links: [] });
      const resolv = renderResolvConf({ host: this.#hostResolv, embedded: !net.predefined, dns: [], dnsSearch: [], dnsOptions: [] });
      await Promise.all([writeFile(join(dir, 'hosts'), hosts), writeFile(join(dir, 'resolv.conf'), resolv)]);
      return {
        netnsPath: sandbox.netnsPath,
        release: () => sandbox.release(),
        detach,
      };
    } catch (err) {
      await detach();
      throw err;
    }
  }

  /** `NetworkSettings` of `docker inspect`, from the endpoints and sandbox. */
  networkSettings(c: ContainerRecord): Record<string, unknown> {
    return this.#deps.metadata.view((tx) => settingsOf(c, lookupIn(tx)));
  }

  /**
   * `Ports` and `NetworkSettings` of `docker ps` rows: every network, endpoint and sandbox read once for the whole
   * list, not once per container (a list of hundreds stays a handful of queries).
   */
  summaries(cs: readonly ContainerRecord[]): { Ports: Record<string, unknown>[]; NetworkSettings: { Networks: Record<string, unknown> } }[] {
    return this.#deps.metadata.view((tx) => {
      const lookup = preloaded(tx);
      return cs.map((c) => {
        const settings = settingsOf(c, lookup);
        const ports = lookup.sandbox(c.id)?.ports ?? [];
        const rows: Record<string, unknown>[] = ports.map((m: PortMapping) => ({ IP: m.hostIp || '0.0.0.0', PrivatePort: m.containerPort, PublicPort: m.hostPort, Type: m.proto }));
        for (const key of Object.keys(c.config.ExposedPorts ?? {})) {
          const [p, proto] = key.split('/');
          if (!ports.some((m: PortMapping) => String(m.containerPort) === p && m.proto === (proto ?? 'tcp'))) rows.push({ PrivatePort: Number(p), Type: proto ?? 'tcp' });
        }
        return { Ports: rows, NetworkSettings: { Networks: settings['Networks'] as Record<string, unknown> } };
      });
    });
  }

  /** Names of the networks a container is on (the `network` filter of `ps`). */
  networkNames(c: ContainerRecord): string[] {
    return Object.keys(this.networkSettings(c)['Networks'] as Record<string, unknown>);
  }

  // -- internals --------------------------------------------------------------------------------------------

  #allocate(tx: WriteTx, planned: EndpointRecord, ifname: string): { ep: EndpointRecord; net: NetworkRecord } {
    const { net, address } = this.#takeAddress(tx, planned.networkId, { requested: planned.config.ipv4Address || undefined, exceptContainer: planned.containerId });
    const ep: EndpointRecord = {
      ...planned,
      ip: address,
      mac: planned.config.macAddress || macForAddress(address),
      endpointId: newId(),
      ifname,
    };
    tx.putEndpoint(ep);
    return { ep, net };
  }

  /** A free address on a network, its IPAM cursor moved on: endpoints' and running build steps' are taken. */
  #takeAddress(tx: WriteTx, networkId: string, opts: { requested?: string | undefined; exceptContainer?: string } = {}): { net: NetworkRecord; address: string } {
    const net = tx.getNetwork(networkId);
    if (!net) throw new NotFoundError(`network ${networkId} not found`);
    const inUse = new Set(this.#stepAddresses.get(net.id));
    for (const e of tx.listEndpoints({ networkId })) if (e.ip !== null && e.containerId !== opts.exceptContainer) inUse.add(e.ip);
    const { address, cursor } = allocateAddress(net, inUse, opts.requested);
    tx.putNetwork({ ...net, ipamCursor: cursor });
    return { net, address };
  }

  #joinSpec(ep: EndpointRecord, net: NetworkRecord, defaultRoute: boolean): JoinSpec {
    return {
      ifname: ep.ifname,
      hostIfname: this.#deps.driver.vethName(ep.endpointId),
      bridge: net.bridge,
      address: ep.ip!,
      prefixLength: parseCidr(net.subnet)!.prefix,
      gateway: net.gateway,
      mac: ep.mac,
      defaultRoute,
    };
  }

  async #tearDownLocked(containerId: string, opts: { sync: boolean }): Promise<void> {
    const sb = this.#deps.metadata.view((tx) => tx.getSandbox(containerId));
    for (const m of sb?.ports ?? []) this.#deps.ports.release(m);
    const veths = this.#deps.metadata.view((tx) => tx.listEndpoints({ containerId }).flatMap((e) => (e.ip !== null && e.endpointId ? [this.#deps.driver.vethName(e.endpointId)] : [])));
    await this.#deps.driver.removeSandbox(containerId, veths);
    this.#deps.metadata.update((tx) => {
      for (const e of tx.listEndpoints({ containerId })) {
        if (e.ip !== null) tx.putEndpoint({ ...e, ip: null, endpointId: '', ifname: '' });
      }
      if (tx.getSandbox(containerId)) tx.deleteSandbox(containerId);
    });
    if (opts.sync && (sb?.ports.length ?? 0) > 0) await this.#syncFirewall();
  }

  #bridgeNetworks(): NetworkRecord[] {
    return this.#deps.metadata.view((tx) => tx.listNetworks().filter((n) => n.driver === 'bridge'));
  }

  async #syncFirewall(): Promise<void> {
    const state = this.#deps.metadata.view((tx): FirewallState => {
      const nets = tx.listNetworks().filter((n) => n.driver === 'bridge');
      const byId = new Map(nets.map((n) => [n.id, n]));
      const ports: FirewallState['ports'] = [];
      for (const sb of tx.listSandboxes()) {
        if (sb.ports.length === 0) continue;
        const eps = tx.listEndpoints({ containerId: sb.containerId }).filter((e) => e.ip !== null);
        const primary = eps.find((e) => e.ifname === 'eth0') ?? eps[0];
        const net = primary ? byId.get(primary.networkId) : undefined;
        if (!primary || !net) continue;
        for (const m of sb.ports) ports.push({ bridge: net.bridge, containerIp: primary.ip!, mapping: m });
      }
      return { networks: nets.map((n) => ({ bridge: n.bridge, subnet: n.subnet, internal: n.internal, masquerade: n.options['com.docker.network.bridge.enable_ip_masquerade'] !== 'false' })), ports };
    });
    await this.#deps.driver.syncFirewall(state);
  }

  /**
   * After a disconnect from a user network: 127.0.0.11 in the container's namespace is sent on to the name
   * server of its first remaining user network (the one it asked may be gone). With none left it stays as is.
   */
  async #redirectDns(c: ContainerRecord): Promise<void> {
    const next = this.#deps.metadata.view((tx) =>
      tx
        .listEndpoints({ containerId: c.id })
        .filter((e) => e.ip !== null)
        .sort((a, b) => a.ifname.localeCompare(b.ifname, 'en', { numeric: true }))
        .map((e) => tx.getNetwork(e.networkId))
        .find((n) => n && !n.predefined),
    );
    if (!next) return;
    await this.#deps.driver.redirectDns(`/proc/${c.state.pid}/ns/net`, next.gateway).catch((err: unknown) => {
      this.#deps.log.warn('could not point the container\'s name server at its other network', { id: c.id, error: String(err) });
    });
  }

  async #serveDns(net: NetworkRecord): Promise<void> {
    await this.#deps.dns.serve(net.gateway, this.#lookup(net.id)).catch((err: unknown) => {
      this.#deps.log.warn('could not start the embedded name server', { network: net.name, address: net.gateway, error: String(err) });
    });
  }

  /**
   * What the name server on one network's gateway answers. Queries come from a container's address on that
   * network; as Docker's resolver does, it answers from every user network the asking container is on (this
   * one first): container names, aliases, short ids, also with `.<network>` appended. Other containers'
   * networks stay invisible to it.
   */
  #lookup(networkId: string): NameLookup {
    const ownGateways = (): Set<string> => new Set(this.#bridgeNetworks().map((n) => n.gateway));
    /** The asking container's user networks, this one first; just this one for an unknown address. */
    const networksOf = (tx: ReadTx, client: string): NetworkRecord[] => {
      const asker = tx.listEndpoints({ networkId }).find((e) => e.ip === client);
      const ids = [networkId, ...(asker ? tx.listEndpoints({ containerId: asker.containerId }).map((e) => e.networkId) : [])];
      return [...new Set(ids)].flatMap((id) => {
        const net = tx.getNetwork(id);
        return net && (id === networkId || !net.predefined) ? [net] : [];
      });
    };
    return {
      resolve: (name, client) =>
        this.#deps.metadata.view((tx) => {
          for (const net of networksOf(tx, client)) {
            const bare = name.endsWith(`.${net.name.toLowerCase()}`) ? name.slice(0, -(net.name.length + 1)) : name;
            const found: string[] = [];
            for (const e of tx.listEndpoints({ networkId: net.id })) {
              if (e.ip === null) continue;
              const c = tx.getContainer(e.containerId);
              if (!c) continue;
              const names = [c.name, c.id.slice(0, 12), ...e.config.aliases].map((n) => n.toLowerCase());
              if (names.includes(bare)) found.push(e.ip);
            }
            if (found.length > 0) return found;
          }
          return undefined;
        }),
      reverse: (address, client) =>
        this.#deps.metadata.view((tx) => {
          for (const net of networksOf(tx, client)) {
            const e = tx.listEndpoints({ networkId: net.id }).find((x) => x.ip === address);
            const c = e ? tx.getContainer(e.containerId) : undefined;
            if (c) return `${c.name}.${net.name}`;
          }
          return undefined;
        }),
      upstreams: (client) => {
        const own = ownGateways();
        const dns = this.#deps.metadata.view((tx) => {
          const e = tx.listEndpoints({ networkId }).find((x) => x.ip === client);
          const c = e ? tx.getContainer(e.containerId) : undefined;
          return c ? stringList(c.hostConfig['Dns']) : [];
        });
        return (dns.length > 0 ? dns : this.#hostResolv.nameservers).filter((s) => !own.has(s));
      },
    };
  }

  #ownHostsEntry(c: ContainerRecord, address: string): string {
    return hostsEntry(address, c.config.Hostname ?? c.id.slice(0, 12), c.config.Domainname ?? '');
  }

  /** Rewrites a running container's /etc/hosts in place (same inode: the file is bind-mounted into it). */
  async #editHosts(c: ContainerRecord, edit: (text: string) => string): Promise<void> {
    const path = join(c.dir, 'hosts');
    try {
      const text = await readFile(path, 'utf8');
      const next = edit(text);
      if (next !== text) await writeFile(path, next);
    } catch (err) {
      this.#deps.log.warn('could not update the container\'s /etc/hosts', { id: c.id, error: String(err) });
    }
  }

  async #writeEtcFiles(c: ContainerRecord, at: { address?: string; net?: NetworkRecord; hostNetwork?: boolean; embeddedDns?: boolean }): Promise<void> {
    const hc = c.hostConfig;
    if (at.hostNetwork) {
      // Docker gives a host-network container the host's own files.
      await writeFile(join(c.dir, 'hosts'), await readFile('/etc/hosts').catch(() => Buffer.from(renderHosts({ hostname: '', domainname: '', extraHosts: [], links: [] }))));
      await writeFile(join(c.dir, 'resolv.conf'), await readFile(this.#deps.hostResolvConf).catch(() => Buffer.alloc(0)));
      return;
    }
    const gateway = at.net?.gateway ?? this.#deps.defaultBridge.bip.split('/')[0]!;
    const links = at.net?.name === 'bridge' ? this.#linkHosts(c) : [];
    const hosts = renderHosts({
      address: at.address,
      hostname: c.config.Hostname ?? c.id.slice(0, 12),
      domainname: c.config.Domainname ?? '',
      extraHosts: parseExtraHosts(stringList(hc['ExtraHosts']), gateway),
      links,
    });
    const resolv = renderResolvConf({
      host: this.#hostResolv,
      embedded: at.embeddedDns === true,
      dns: stringList(hc['Dns']),
      dnsSearch: stringList(hc['DnsSearch']),
      dnsOptions: stringList(hc['DnsOptions']),
    });
    await Promise.all([writeFile(join(c.dir, 'hosts'), hosts), writeFile(join(c.dir, 'resolv.conf'), resolv)]);
  }

  /** `--link name:alias` on the default bridge: the linked container's current address. */
  #linkTargets(c: ContainerRecord): { alias: string; target: ContainerRecord; ip: string }[] {
    return this.#deps.metadata.view((tx) => {
      const bridge = tx.getNetworkByName('bridge');
      const out: { alias: string; target: ContainerRecord; ip: string }[] = [];
      for (const l of stringList(c.hostConfig['Links'])) {
        const [rawName, rawAlias] = l.split(':');
        const name = rawName!.replace(/^\//, '');
        const alias = (rawAlias ?? name).split('/').pop()!;
        let target: ContainerRecord;
        try {
          target = resolveContainer(tx, name);
        } catch {
          continue;
        }
        const ep = tx.listEndpoints({ containerId: target.id }).find((e) => e.networkId === bridge?.id);
        if (ep?.ip) out.push({ alias, target, ip: ep.ip });
      }
      return out;
    });
  }

  #linkHosts(c: ContainerRecord): { ip: string; names: string[] }[] {
    return this.#linkTargets(c).map((l) => ({ ip: l.ip, names: [...new Set([l.alias, l.target.id.slice(0, 12), l.target.name])] }));
  }

  /** Docker's legacy link variables: ALIAS_PORT_80_TCP=tcp://ip:80, ALIAS_NAME, ALIAS_ENV_X... */
  #linkEnv(c: ContainerRecord): string[] {
    const env: string[] = [];
    for (const { alias, target, ip } of this.#linkTargets(c)) {
      const p = alias.toUpperCase().replace(/-/g, '_');
      const exposed = Object.keys(target.config.ExposedPorts ?? {}).sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
      if (exposed.length > 0) {
        const [port, proto = 'tcp'] = exposed[0]!.split('/');
        env.push(`${p}_PORT=${proto}://${ip}:${port}`);
      }
      for (const e of exposed) {
        const [port, proto = 'tcp'] = e.split('/');
        const k = `${p}_PORT_${port}_${proto.toUpperCase()}`;
        env.push(`${k}=${proto}://${ip}:${port}`, `${k}_ADDR=${ip}`, `${k}_PORT=${port}`, `${k}_PROTO=${proto}`);
      }
      env.push(`${p}_NAME=/${c.name}/${alias}`);
      for (const e of target.config.Env ?? []) {
        const eq = e.indexOf('=');
        const key = eq < 0 ? e : e.slice(0, eq);
        if (['HOME', 'PATH', 'HOSTNAME'].includes(key)) continue;
        env.push(`${p}_ENV_${e}`);
      }
    }
    return env;
  }

  /** `network connect`/`disconnect` events of a container's start and stop, one per network (id or name). */
  #publishContainer(containerId: string, networks: string[], action: 'connect' | 'disconnect'): void {
    for (const idOrName of networks) {
      const net = this.#deps.metadata.view((tx) => tx.getNetwork(idOrName) ?? tx.getNetworkByName(idOrName));
      if (net) this.#publish(net, action, { container: containerId });
    }
  }

  #bridgeDisabled(): boolean {
    return this.#deps.defaultBridge.device === 'none';
  }

  #publish(net: NetworkRecord, action: string, extra: Record<string, string> = {}): void {
    this.#deps.events.publish({ Type: 'network', Action: action, Actor: { ID: net.id, Attributes: { name: net.name, type: net.driver, ...extra } } });
  }
}

/** What is held of a published port: the one port taken, not the range it was taken from. */
function withoutRange(m: PortMapping): PortMapping {
  return { proto: m.proto, containerPort: m.containerPort, hostIp: m.hostIp, hostPort: m.hostPort };
}

function defaultBridgeOptions(device: string): Record<string, string> {
  return {
    'com.docker.network.bridge.default_bridge': 'true',
    'com.docker.network.bridge.enable_icc': 'true',
    'com.docker.network.bridge.enable_ip_masquerade': 'true',
    'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
    [BRIDGE_NAME_OPTION]: device,
    'com.docker.network.driver.mtu': '1500',
  };
}

/** `default` is the bridge, as in Docker. */
export function networkModeOf(hostConfig: Record<string, unknown>): string {
  const m = typeof hostConfig['NetworkMode'] === 'string' ? hostConfig['NetworkMode'] : '';
  return m === '' || m === 'default' ? 'bridge' : m;
}

function endpointsOf(networkingConfig: unknown): Record<string, unknown> {
  if (!networkingConfig || typeof networkingConfig !== 'object') return {};
  const e = (networkingConfig as { EndpointsConfig?: unknown }).EndpointsConfig;
  return e && typeof e === 'object' ? (e as Record<string, unknown>) : {};
}

function endpointConfig(raw: unknown, config: Record<string, unknown>, links: string[]): EndpointConfig {
  const e = (raw && typeof raw === 'object' ? raw : {}) as { IPAMConfig?: { IPv4Address?: unknown } | null; Aliases?: unknown; MacAddress?: unknown; Links?: unknown };
  const ip = typeof e.IPAMConfig?.IPv4Address === 'string' ? e.IPAMConfig.IPv4Address : '';
  const mac = typeof e.MacAddress === 'string' && e.MacAddress !== '' ? e.MacAddress : typeof config['MacAddress'] === 'string' ? config['MacAddress'] : '';
  return { ipv4Address: ip, aliases: stringList(e.Aliases), macAddress: mac, links: [...links, ...stringList(e.Links)] };
}

/** What building a container's NetworkSettings reads: from the store one by one, or from a list read whole. */
interface NetworkLookup {
  endpoints(containerId: string): EndpointRecord[];
  sandbox(containerId: string): SandboxRecord | undefined;
  network(id: string): NetworkRecord | undefined;
  networkByName(name: string): NetworkRecord | undefined;
}

function lookupIn(tx: ReadTx): NetworkLookup {
  return {
    endpoints: (id) => tx.listEndpoints({ containerId: id }),
    sandbox: (id) => tx.getSandbox(id),
    network: (id) => tx.getNetwork(id),
    networkByName: (name) => tx.getNetworkByName(name),
  };
}

function preloaded(tx: ReadTx): NetworkLookup {
  const nets = tx.listNetworks();
  const byId = new Map(nets.map((n) => [n.id, n]));
  const byName = new Map(nets.map((n) => [n.name, n]));
  const endpoints = new Map<string, EndpointRecord[]>();
  for (const e of tx.listEndpoints({})) endpoints.set(e.containerId, [...(endpoints.get(e.containerId) ?? []), e]);
  const sandboxes = new Map(tx.listSandboxes().map((sb) => [sb.containerId, sb]));
  return {
    endpoints: (id) => endpoints.get(id) ?? [],
    sandbox: (id) => sandboxes.get(id),
    network: (id) => byId.get(id),
    networkByName: (name) => byName.get(name),
  };
}

/** `NetworkSettings` of `docker inspect` (and the rows of `docker ps`), from the endpoints and sandbox. */
function settingsOf(c: ContainerRecord, lookup: NetworkLookup): Record<string, unknown> {
    const eps = lookup.endpoints(c.id);
    const sandbox = lookup.sandbox(c.id);
    const networks: Record<string, unknown> = {};
    let primary: Record<string, unknown> | undefined;
    const mode = networkModeOf(c.hostConfig);
    if (mode === 'host' || mode === 'none') {
      const net = lookup.networkByName(mode);
      if (net) networks[mode] = endpointView(net, undefined, c);
    }
    const none = lookup.networkByName('none');
    if (mode === 'bridge' && !lookup.networkByName('bridge') && none) {
      // dockerd -b none shows the network asked for, attached to nothing.
      networks['bridge'] = { ...endpointView(none, undefined, c), NetworkID: '' };
    }
    for (const e of eps) {
      const net = lookup.network(e.networkId);
      if (!net) continue;
      const view = endpointView(net, e, c);
      networks[net.name] = view;
      if (net.name === 'bridge') primary = view;
    }
    return {
      Bridge: '',
      SandboxID: sandbox ? c.id : '',
      // The namespace is no file of ours (see BridgeDriver): the container's own link to it works as well.
      SandboxKey: sandbox && c.state.pid > 0 && RUNNING.has(c.state.status) ? `/proc/${c.state.pid}/ns/net` : '',
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      Ports: portsView(c, sandbox?.ports ?? []),
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: primary?.['EndpointID'] ?? '',
      Gateway: primary?.['Gateway'] ?? '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPAddress: primary?.['IPAddress'] ?? '',
      IPPrefixLen: primary?.['IPPrefixLen'] ?? 0,
      IPv6Gateway: '',
      MacAddress: primary?.['MacAddress'] ?? '',
      Networks: networks,
    };
}

/** Docker's checks of an endpoint's settings against its network. */
function validateEndpoint(net: NetworkRecord, cfg: EndpointConfig): void {
  if (cfg.ipv4Address) {
    if (parseIPv4(cfg.ipv4Address) === undefined) throw new InvalidArgumentError(`invalid IPv4 address: ${cfg.ipv4Address}`);
    if (net.predefined || !net.userSubnet) throw new InvalidArgumentError('user specified IP address is supported only when connecting to networks with user configured subnets');
    if (!cidrContains(parseCidr(net.subnet)!, parseIPv4(cfg.ipv4Address)!)) {
      throw new InvalidArgumentError(`no configured subnet or ip-range contain the IP address ${cfg.ipv4Address}`);
    }
  }
  if (cfg.aliases.length > 0 && net.predefined) throw new InvalidArgumentError('network-scoped alias is supported only for containers in user defined networks');
  if (cfg.macAddress && !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(cfg.macAddress)) throw new InvalidArgumentError(`invalid MAC address: ${cfg.macAddress}`);
}

function endpointView(net: NetworkRecord, e: EndpointRecord | undefined, c: ContainerRecord): Record<string, unknown> {
  const attached = e?.ip != null;
  const prefix = net.subnet ? parseCidr(net.subnet)!.prefix : 0;
  return {
    IPAMConfig: e?.config.ipv4Address ? { IPv4Address: e.config.ipv4Address } : null,
    Links: e && e.config.links.length > 0 ? e.config.links : null,
    Aliases: e && e.config.aliases.length > 0 ? e.config.aliases : null,
    MacAddress: attached ? e!.mac : '',
    DriverOpts: null,
    GwPriority: 0,
    NetworkID: net.id,
    EndpointID: attached ? e!.endpointId : '',
    Gateway: attached ? net.gateway : '',
    IPAddress: attached ? e!.ip : '',
    IPPrefixLen: attached ? prefix : 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: net.predefined || !e ? null : [c.name, c.id.slice(0, 12), ...e.config.aliases],
  };
}

/** `NetworkSettings.Ports`: every exposed or published port; a published one with its host bindings. */
function portsView(c: ContainerRecord, held: PortMapping[]): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const key of Object.keys(c.config.ExposedPorts ?? {})) out[key.includes('/') ? key : `${key}/tcp`] = null;
  for (const m of held) {
    const key = `${m.containerPort}/${m.proto}`;
    (out[key] ??= []).push({ HostIp: m.hostIp || '0.0.0.0', HostPort: String(m.hostPort) });
  }
  return out;
}

/** The user's part of a NetworkRecord; the driver is still the name as given (checked by the caller). */
type CreateNetworkBody = Pick<NetworkRecord, 'name' | 'internal' | 'attachable' | 'labels' | 'options' | 'subnet' | 'gateway' | 'ipRange'> & { driver: string };

/** `POST /networks/create`: the untrusted body, checked field by field. */
export function parseCreateNetwork(raw: unknown): CreateNetworkBody {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidArgumentError('invalid network config: not a JSON object');
  const b = raw as Record<string, unknown>;
  const name = typeof b['Name'] === 'string' ? b['Name'] : '';
  if (name === '') throw new InvalidArgumentError('network name cannot be empty');
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw new InvalidArgumentError(`invalid network name "${name}"`);
  if (PREDEFINED.includes(name)) throw new ForbiddenError(`${name} is a pre-defined network and cannot be created`);
  const driver = typeof b['Driver'] === 'string' && b['Driver'] !== '' ? b['Driver'] : 'bridge';
  const ipam = (b['IPAM'] && typeof b['IPAM'] === 'object' ? b['IPAM'] : {}) as { Driver?: unknown; Config?: unknown };
  if (typeof ipam.Driver === 'string' && ipam.Driver !== '' && ipam.Driver !== 'default') throw new NotFoundError(`plugin "${ipam.Driver}" not found`);
  const configs = Array.isArray(ipam.Config) ? (ipam.Config as Record<string, unknown>[]) : [];
  const v4 = configs.filter((c) => !(typeof c['Subnet'] === 'string' && c['Subnet'].includes(':')));
  if (v4.length > 1) throw new InvalidArgumentError('berth supports one IPv4 subnet per network');
  if (b['EnableIPv6'] === true || configs.length > v4.length) throw new InvalidArgumentError('berth does not support IPv6 networks yet');
  const cfg = v4[0] ?? {};
  const str = (k: string): string => (typeof cfg[k] === 'string' ? (cfg[k] as string) : '');
  const subnet = str('Subnet');
  if (subnet && !parseCidr(subnet)) throw new InvalidArgumentError(`invalid CIDR address: ${subnet}`);
  const ipRange = str('IPRange');
  if (ipRange && !parseCidr(ipRange)) throw new InvalidArgumentError(`invalid CIDR address: ${ipRange}`);
  if (ipRange && !subnet) throw new InvalidArgumentError('ip-range can only be used with a subnet');
  const gateway = str('Gateway');
  if (gateway && parseIPv4(gateway) === undefined) throw new InvalidArgumentError(`invalid gateway address ${gateway}`);
  if (gateway && !subnet) throw new InvalidArgumentError('every ip-range or gateway must have a corresponding subnet');
  const subnetCidr = subnet ? parseCidr(subnet)! : undefined;
  return {
    name,
    driver,
    internal: b['Internal'] === true,
    attachable: b['Attachable'] === true,
    labels: stringMap(b['Labels']),
    options: stringMap(b['Options']),
    subnet: subnetCidr ? `${formatIPv4(subnetCidr.base)}/${subnetCidr.prefix}` : '',
    gateway,
    ipRange,
  };
}

function stringMap(v: unknown): Record<string, string> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
