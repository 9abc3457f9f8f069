import { IpBatchProcess } from './ip-batch-process.js';

/**
 * One ready-made sandbox: a network namespace held by an `ip -batch -` running inside it (loopback already
 * up), and an `ip -batch -` in the daemon's namespace for the host ends of the veths. Both processes are
 * started ahead of time, so a container start pays no fork or exec for its network.
 */
export interface PoolEntry {
  /** `unshare --net ip -batch -`: its namespace is `/proc/<pid>/ns/net` for as long as it runs. */
  inside: IpBatchProcess;
  /** Resolves once loopback is up (rejects if the namespace could not be made). */
  ready: Promise<void>;
  /** `ip -batch -` on the host, used once. */
  host: IpBatchProcess;
  /**
   * `iptables-restore` inside the namespace (for the DNS redirect of user networks), started once the
   * namespace exists; made ahead of time only after a start has asked for one (see take).
   */
  firewall?: Promise<IpBatchProcess>;
}

export interface SandboxPoolOptions {
  /** How many entries are kept ready. */
  size: number;
  /** How long after a take the pool is refilled: the refill's spawns stay out of the start that took one. */
  refillDelayMs: number;
}

/**
 * A few pre-made namespaces. Nothing of an entry lives on the host outside its two processes: no bind
 * mount, no veth; they end when their stdin closes, so a kill -9 of the daemon leaves nothing behind (the
 * kernel drops the namespace with its last process).
 */
export class SandboxPool {
  readonly #opts: SandboxPoolOptions;
  #free: PoolEntry[] = [];
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Whether entries come with an iptables helper: once one start needed it, the next ones likely will. */
  #firewallWanted = false;

  constructor(opts: SandboxPoolOptions) {
    this.#opts = opts;
  }

  /**
   * A ready entry if there is one, a new one otherwise (then it is made now, on the caller's time). With
   * `firewall`, the entry has its iptables helper (started now if it had none).
   */
  take(opts: { firewall?: boolean } = {}): PoolEntry {
    if (opts.firewall) this.#firewallWanted = true;
    let entry: PoolEntry | undefined;
    while ((entry = this.#free.shift()) && !(entry.inside.alive && entry.host.alive)) discard(entry);
    this.#schedule(this.#opts.refillDelayMs);
    entry ??= makeEntry(false);
    if (opts.firewall) entry.firewall ??= firewallHelper(entry);
    return entry;
  }

  /** Fills the pool soon (at daemon start). */
  warm(): void {
    this.#schedule(0);
  }

  /** Ends every idle entry (daemon shutdown). */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    for (const e of this.#free.splice(0)) discard(e);
  }

  #schedule(delayMs: number): void {
    if (this.#closed || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#fill();
    }, delayMs);
    this.#timer.unref();
  }

  #fill(): void {
    while (!this.#closed && this.#free.length < this.#opts.size) {
      const e = makeEntry(this.#firewallWanted);
      this.#free.push(e);
      // One that fails to come up is dropped; the next take makes its own (and reports why it fails).
      e.ready.catch(() => {
        const i = this.#free.indexOf(e);
        if (i >= 0) this.#free.splice(i, 1);
        discard(e);
      });
    }
  }
}

function makeEntry(withFirewall: boolean): PoolEntry {
  const inside = new IpBatchProcess('unshare', ['--net', 'ip', '-batch', '-']);
  const ready = inside.run(['link set lo up']);
  ready.catch(() => undefined);
  const entry: PoolEntry = { inside, ready, host: new IpBatchProcess('ip', ['-batch', '-']) };
  if (withFirewall) entry.firewall = firewallHelper(entry);
  return entry;
}

/**
 * `iptables-restore` in the entry's namespace, waiting for its rules on stdin; route_localnet is switched on
 * after the rules are in (see dnsRedirectRules). Started only once `ip` runs inside, which is what makes
 * `/proc/<pid>/ns/net` the new namespace and not the daemon's: rules meant for a container never reach the
 * host's tables.
 */
function firewallHelper(e: PoolEntry): Promise<IpBatchProcess> {
  const helper = e.ready.then(
    () =>
      new IpBatchProcess(
        'nsenter',
        [`--net=/proc/${e.inside.pid}/ns/net`, 'sh', '-c', 'iptables-restore --noflush -w 5 && echo 1 > /proc/sys/net/ipv4/conf/all/route_localnet'],
        'the iptables helper',
      ),
  );
  helper.catch(() => undefined);
  return helper;
}

/** Ends an entry's processes: its namespace goes with them. */
export function discard(e: PoolEntry): void {
  e.inside.kill();
  e.host.kill();
  dropFirewall(e);
}

/** Ends the entry's iptables helper, if it has one (a start that needs no DNS redirect). */
export function dropFirewall(e: PoolEntry): void {
  e.firewall?.then((f) => f.kill(), () => undefined);
}
