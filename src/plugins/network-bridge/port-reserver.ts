import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { InternalError } from '../../core/errdefs.js';
import type { PortMapping, PortReserver } from '../../core/networks.js';

/**
 * Holds a listening socket on every published host port, as Docker's port allocator plus proxy do: nothing
 * else can take the port while the container has it, and publishing it twice is refused with Docker's
 * words. The traffic itself never reaches these sockets: iptables DNATs it in PREROUTING/OUTPUT first, so
 * the kernel forwards every byte. A connection that does arrive (a rule not yet in place) is closed.
 */
export class HostPortReserver implements PortReserver {
  readonly #held = new Map<string, Server | UdpSocket>();

  async reserve(m: PortMapping): Promise<number> {
    if (m.proto === 'sctp') return m.hostPort;
    if (m.hostPortEnd !== undefined && m.hostPortEnd > m.hostPort) return this.#reserveInRange(m, m.hostPortEnd);
    const host = m.hostIp || '0.0.0.0';
    const shown = `${host}:${m.hostPort}`;
    if (m.hostPort !== 0 && this.#held.has(key(m))) {
      throw new InternalError(`Bind for ${shown} failed: port is already allocated`);
    }
    try {
      const { handle, port } = m.proto === 'tcp' ? await listenTcp(host, m.hostPort) : await bindUdp(host, m.hostPort);
      this.#held.set(key({ ...m, hostPort: port }), handle);
      return port;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') {
        // Another berth container on a wildcard/specific address of the same port is "already allocated".
        const ours = [...this.#held.keys()].some((k) => k.endsWith(`/${m.proto}/${m.hostPort}`));
        if (ours) throw new InternalError(`Bind for ${shown} failed: port is already allocated`, { cause: err });
        throw new InternalError(`Error starting userland proxy: listen ${m.proto}4 ${shown}: bind: address already in use`, { cause: err });
      }
      if (code === 'EADDRNOTAVAIL') throw new InternalError(`Error starting userland proxy: listen ${m.proto}4 ${shown}: bind: cannot assign requested address`);
      throw err;
    }
  }

  /**
   * `-p 8000-8010:80`: Docker's allocator hands out the first port of the range that is free; a port held by
   * another container or bound by anything else is skipped. None free: the allocator's words.
   */
  async #reserveInRange(m: PortMapping, end: number): Promise<number> {
    const single: PortMapping = { proto: m.proto, containerPort: m.containerPort, hostIp: m.hostIp, hostPort: m.hostPort };
    for (let port = m.hostPort; port <= end; port++) {
      if (this.#held.has(key({ ...single, hostPort: port }))) continue;
      try {
        return await this.reserve({ ...single, hostPort: port });
      } catch (err) {
        const code = ((err as { cause?: unknown }).cause as NodeJS.ErrnoException | undefined)?.code;
        if (code !== 'EADDRINUSE') throw err;
      }
    }
    throw new InternalError('all ports are allocated');
  }

  release(m: PortMapping): void {
    const k = key(m);
    const h = this.#held.get(k);
    this.#held.delete(k);
    h?.close();
  }

  close(): void {
    for (const h of this.#held.values()) h.close();
    this.#held.clear();
  }
}

function key(m: PortMapping): string {
  return `${m.hostIp || '0.0.0.0'}/${m.proto}/${m.hostPort}`;
}

function listenTcp(host: string, port: number): Promise<{ handle: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer((s) => s.destroy());
    server.once('error', reject);
    server.listen({ host, port, exclusive: true, backlog: 1 }, () => {
      server.removeListener('error', reject);
      server.on('error', () => undefined);
      server.unref();
      const addr = server.address();
      resolve({ handle: server, port: typeof addr === 'object' && addr ? addr.port : port });
    });
  });
}

function bindUdp(host: string, port: number): Promise<{ handle: UdpSocket; port: number }> {
  return new Promise((resolve, reject) => {
    const sock = createSocket({ type: 'udp4', reuseAddr: false });
    sock.once('error', reject);
    sock.bind({ address: host, port, exclusive: true }, () => {
      sock.removeListener('error', reject);
      sock.on('error', () => undefined);
      sock.on('message', () => undefined);
      sock.unref();
      resolve({ handle: sock, port: sock.address().port });
    });
  });
}
