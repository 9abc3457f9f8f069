import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import type { NameLookup, NameServer } from '../../core/networks.js';
import {
  buildResponse,
  formatErrorResponse,
  parseQuery,
  RCODE_NXDOMAIN,
  RCODE_SERVFAIL,
  reverseName,
  TYPE_A,
  TYPE_AAAA,
  TYPE_PTR,
  type DnsQuery,
} from '../../pkg/dns-wire.js';

/** Docker's embedded DNS answers with a TTL of 600 s. */
const TTL = 600;
const FORWARD_TIMEOUT_MS = 3000;
const MAX_TCP_MESSAGE = 65535;

interface Listening {
  udp: UdpSocket;
  tcp: Server;
  tcpClients: Set<Socket>;
}

/**
 * The embedded name server of user-defined networks, one per network on its gateway address (UDP and TCP,
 * port 53), on the host side of the bridge: Node cannot open a socket inside a container's namespace, so
 * each container's 127.0.0.11:53 is DNAT'ed here from inside its namespace (dnsRedirectRules). What a name
 * resolves to depends on who asks (see NameLookup); names that are not ours are forwarded to the container's
 * --dns servers or the host's (even loopback ones, since the server runs on the host).
 */
export class EmbeddedDnsServer implements NameServer {
  readonly #servers = new Map<string, Listening>();
  readonly #port: number;

  constructor(opts: { port?: number } = {}) {
    this.#port = opts.port ?? 53;
  }

  async serve(address: string, lookup: NameLookup): Promise<void> {
    await this.stop(address);
    const udp = createSocket({ type: 'udp4', reuseAddr: true });
    udp.on('message', (msg, rinfo) => {
      void this.#answer(msg, rinfo.address, lookup).then((out) => {
        if (out) udp.send(out, rinfo.port, rinfo.address);
      });
    });
    udp.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.#port, address, () => {
        udp.removeListener('error', reject);
        resolve();
      });
    });
    udp.unref();
    const tcpClients = new Set<Socket>();
    const tcp = createServer((sock) => {
      tcpClients.add(sock);
      sock.on('close', () => tcpClients.delete(sock));
      sock.on('error', () => undefined);
      sock.setTimeout(10_000, () => sock.destroy());
      let buf = Buffer.alloc(0);
      sock.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 2) {
          const len = buf.readUInt16BE(0);
          if (buf.length < 2 + len) break;
          const msg = buf.subarray(2, 2 + len);
          buf = buf.subarray(2 + len);
          void this.#answer(msg, sock.remoteAddress?.replace(/^::ffff:/, '') ?? '', lookup).then((out) => {
            if (!out || out.length > MAX_TCP_MESSAGE || sock.destroyed) return;
            const head = Buffer.alloc(2);
            head.writeUInt16BE(out.length);
            sock.write(Buffer.concat([head, out]));
          });
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen({ host: address, port: this.#port }, () => {
        tcp.removeListener('error', reject);
        resolve();
      });
    }).catch((err: unknown) => {
      udp.close();
      throw err;
    });
    tcp.unref();
    this.#servers.set(address, { udp, tcp, tcpClients });
  }

  async stop(address: string): Promise<void> {
    const s = this.#servers.get(address);
    if (!s) return;
    this.#servers.delete(address);
    s.udp.close();
    for (const c of s.tcpClients) c.destroy();
    await new Promise<void>((resolve) => s.tcp.close(() => resolve()));
  }

  async close(): Promise<void> {
    await Promise.all([...this.#servers.keys()].map((a) => this.stop(a)));
  }

  async #answer(msg: Buffer, client: string, lookup: NameLookup): Promise<Buffer | undefined> {
    let q: DnsQuery;
    try {
      q = parseQuery(msg);
    } catch {
      return formatErrorResponse(msg);
    }
    const { name, type } = q.question;
    if (q.opcode === 0 && (type === TYPE_A || type === TYPE_AAAA)) {
      const found = lookup.resolve(name, client);
      if (found !== undefined) {
        // Our name: its IPv4 addresses; no IPv6 (an empty answer, not NXDOMAIN, as Docker's resolver does).
        return buildResponse(q, 0, type === TYPE_A ? found.map((data) => ({ type: TYPE_A, ttl: TTL, data })) : []);
      }
    }
    if (q.opcode === 0 && type === TYPE_PTR) {
      const addr = reverseName(name);
      const host = addr !== undefined ? lookup.reverse(addr, client) : undefined;
      if (host !== undefined) return buildResponse(q, 0, [{ type: TYPE_PTR, ttl: TTL, data: host }]);
    }
    const upstreams = lookup.upstreams(client);
    for (const server of upstreams) {
      const answer = await forward(msg, server).catch(() => undefined);
      if (answer) return answer;
    }
    return buildResponse(q, upstreams.length === 0 ? RCODE_NXDOMAIN : RCODE_SERVFAIL);
  }
}

/** Relays a query to `server` (`ip` or `ip:port`) over UDP and returns its answer (the id is the client's). */
export function forward(msg: Buffer, server: string): Promise<Buffer> {
  const m = /^(.*?)(?::(\d+))?$/.exec(server)!;
  const host = m[1]!;
  const port = m[2] ? Number(m[2]) : 53;
  return new Promise((resolve, reject) => {
    const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`DNS forward to ${server} timed out`));
    }, FORWARD_TIMEOUT_MS);
    sock.on('error', (err) => {
      clearTimeout(timer);
      sock.close();
      reject(err);
    });
    sock.on('message', (answer) => {
      if (answer.length < 2 || answer.readUInt16BE(0) !== msg.readUInt16BE(0)) return;
      clearTimeout(timer);
      sock.close();
      resolve(answer);
    });
    sock.send(msg, port, host);
  });
}
