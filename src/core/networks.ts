/**
 * Networks, as Docker's bridge driver gives them.
 *
 * Lifecycle: a *network* (record in the metadata store) owns a bridge device and an IPv4 subnet. A container
 * that is connected to it has an *endpoint* row: what the user asked (static address, aliases, MAC, links)
 * lives there for the container's whole life; the address itself is allocated when the container starts and
 * released when it stops (the UNIQUE(network, address) constraint makes a double allocation impossible, across
 * daemon restarts too). A running container with its own network stack has a *sandbox*: a network namespace
 * bind-mounted under the exec root, one veth pair per endpoint, and its published ports.
 *
 * Everything on the host (bridges, veths, namespaces, iptables chains) is derived from these rows, so after a
 * crash the daemon rebuilds the firewall and sweeps sandboxes of containers that no longer run.
 */

export type NetworkDriverName = 'bridge' | 'host' | 'null';

export interface NetworkRecord {
  /** 64 hex. */
  id: string;
  name: string;
  driver: NetworkDriverName;
  /** ISO time. */
  created: string;
  internal: boolean;
  attachable: boolean;
  labels: Record<string, string>;
  /** Driver options as the user gave them (`-o`). */
  options: Record<string, string>;
  /** IPv4 subnet in CIDR form; '' for host and none. */
  subnet: string;
  /** The bridge's own address, the containers' default gateway; '' for host and none. */
  gateway: string;
  /** Where dynamic addresses are taken from (a sub-range of the subnet); '' means the whole subnet. */
  ipRange: string;
  /** Whether the user chose the subnet (static addresses and aliases need that, as in Docker). */
  userSubnet: boolean;
  /** The bridge device; '' for host and none. */
  bridge: string;
  /** One of the three predefined networks (bridge, host, none). */
  predefined: boolean;
  /** The last address handed out (as a 32-bit number): Docker's IPAM goes round the range from there. */
  ipamCursor: number;
}

export interface EndpointConfig {
  /** `--ip`: a static address. */
  ipv4Address: string;
  aliases: string[];
  /** `--mac-address`. */
  macAddress: string;
  /** `--link name:alias` (default bridge only). */
  links: string[];
}

export interface EndpointRecord {
  containerId: string;
  networkId: string;
  config: EndpointConfig;
  /** The allocated address while the container runs; null otherwise. */
  ip: string | null;
  mac: string;
  endpointId: string;
  /** The interface inside the container (eth0, eth1...). */
  ifname: string;
}

export interface PortMapping {
  proto: 'tcp' | 'udp' | 'sctp';
  containerPort: number;
  /** '' or '0.0.0.0' means every address. */
  hostIp: string;
  hostPort: number;
  /** `-p 8000-8010:80`: the last port of a host range, any free one of which will do (never in a held mapping). */
  hostPortEnd?: number;
}

export interface SandboxRecord {
  containerId: string;
  /** The bind-mounted network namespace file. */
  netnsPath: string;
  ports: PortMapping[];
}

/** One veth to set up inside a sandbox. */
export interface JoinSpec {
  /** Interface name inside the namespace. */
  ifname: string;
  /** Host-side name of the veth. */
  hostIfname: string;
  bridge: string;
  address: string;
  prefixLength: number;
  gateway: string;
  mac: string;
  /** The first network gives the default route (an internal network gives none). */
  defaultRoute: boolean;
}

/** A starting container's namespace: `netnsPath` for the runtime, valid until `release()`. */
export interface SandboxHandle {
  netnsPath: string;
  release(): void;
}

/** Every rule berth keeps in iptables, recomputed from the store. */
export interface FirewallState {
  networks: { bridge: string; subnet: string; internal: boolean; masquerade: boolean }[];
  /** DNAT for published ports. */
  ports: { bridge: string; containerIp: string; mapping: PortMapping }[];
}

/**
 * What the daemon needs from the host's network stack. One implementation (network-bridge) uses iproute2 and
 * iptables; every host-level name it makes carries the daemon's own prefix, so several daemons (and Docker and
 * Podman) share the host without touching each other's objects.
 */
export interface NetworkDriver {
  /** Creates (or finds) a network's bridge with its gateway address; idempotent. */
  ensureBridge(net: { bridge: string; subnet: string; gateway: string }): Promise<void>;
  removeBridge(bridge: string): Promise<void>;
  /**
   * A network namespace for a starting container with its veths configured. The handle's path is valid until
   * `release()`, which the caller calls once the container's process is in the namespace (after the
   * runtime's create); the container then keeps it alive. removeSandbox releases it too.
   */
  createSandbox(containerId: string, joins: JoinSpec[], opts?: { dnsGateway?: string }): Promise<SandboxHandle>;
  /**
   * Points the namespace's 127.0.0.11:53 at the name server on `gateway` (a container of a user network asks
   * there, as in Docker). createSandbox's `dnsGateway` sets it up; this moves it after a disconnect.
   */
  redirectDns(netnsPath: string, gateway: string): Promise<void>;
  /** Adds one more veth to a running container's namespace (connect). */
  join(netnsPath: string, spec: JoinSpec): Promise<void>;
  /** Removes a veth (disconnect): deleting the host end deletes the pair. */
  leave(hostIfname: string): Promise<void>;
  /**
   * A container stopped, or its start failed: its namespace's holder (if still there) ends, and the host ends
   * of its veths are removed later if something else keeps the namespace alive. Off the critical path: it
   * spawns nothing in the usual case.
   */
  removeSandbox(containerId: string, hostIfnames: string[]): Promise<void>;
  /** Container ids of namespace files on disk (sandboxes of an older berth, swept at start). */
  listSandboxes(): Promise<string[]>;
  /** Removes every veth of this daemon on the host except `keep` (daemon start, after a crash). */
  sweepVeths(keep: ReadonlySet<string>): Promise<void>;
  /** Gets namespaces ready ahead of the first start. */
  warm(): void;
  /** Ends the helpers (daemon shutdown): running containers keep their namespaces. */
  close(): void;
  /** Rewrites every rule of berth's chains to `state` (jumps from the built-in chains added once). */
  syncFirewall(state: FirewallState): Promise<void>;
  /**
   * Host-side veth name of an endpoint, from its endpoint id: new at each start, so a veth of the previous run
   * that the kernel has not freed yet never clashes with the new one, nor is a later removal of it a danger.
   */
  vethName(endpointId: string): string;
  /** Bridge name for a new user network. */
  bridgeName(networkId: string): string;
  /** Host interface subnets (routes), so that new networks avoid them. */
  hostSubnets(): Promise<string[]>;
}

/** Holds host ports that are published so nothing else takes them (and a second publish is refused). */
export interface PortReserver {
  /** Resolves with the port held (a random one for hostPort 0); rejects with Docker's words when taken. */
  reserve(m: PortMapping): Promise<number>;
  release(m: PortMapping): void;
}

/** Where a container of a user network sends its DNS queries, as in Docker (its /etc/resolv.conf says so). */
export const EMBEDDED_DNS_ADDRESS = '127.0.0.11';

/** Answers DNS for one user network, on its gateway address. */
export interface NameServer {
  serve(address: string, lookup: NameLookup): Promise<void>;
  stop(address: string): Promise<void>;
  close(): Promise<void>;
}

export interface NameLookup {
  /** Addresses for a name asked by `client` (the container's address); undefined means: not ours, forward it. */
  resolve(name: string, client: string): string[] | undefined;
  /** The name of an address on the asking container's networks, for PTR queries. */
  reverse(address: string, client: string): string | undefined;
  /** Where to forward other names (the container's --dns servers, or the host's). */
  upstreams(client: string): string[];
}
