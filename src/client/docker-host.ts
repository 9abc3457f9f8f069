/**
 * Daemon addresses as Docker writes them (`DOCKER_HOST`, `-H`): `unix:///path/to.sock` or `tcp://host:port`
 * (plain HTTP; `http://` is accepted as a synonym). TLS and `ssh://` are not supported yet.
 */

export const DEFAULT_HOST = 'unix:///run/berth/berth.sock';
const DEFAULT_TCP_PORT = 2375;

export type DaemonAddress = { kind: 'unix'; socketPath: string; url: string } | { kind: 'tcp'; host: string; port: number; url: string };

export class InvalidHostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidHostError';
  }
}

/** Parses a daemon address; an empty string means {@link DEFAULT_HOST}. Messages follow docker's `opts.ParseHost`. */
export function parseDockerHost(input: string | undefined): DaemonAddress {
  const raw = (input ?? '').trim();
  const host = raw === '' ? DEFAULT_HOST : raw;
  const sep = host.indexOf('://');
  if (sep < 0) {
    throw new InvalidHostError(`unable to parse docker host \`${host}\``);
  }
  const proto = host.slice(0, sep).toLowerCase();
  const addr = host.slice(sep + 3);
  switch (proto) {
    case 'unix': {
      if (addr === '') throw new InvalidHostError(`unable to parse docker host \`${host}\``);
      return { kind: 'unix', socketPath: addr, url: `unix://${addr}` };
    }
    case 'tcp':
    case 'http': {
      let hostPart = addr.replace(/\/+$/, '');
      if (hostPart.includes('/')) throw new InvalidHostError(`Invalid bind address format: ${addr}`);
      let port = DEFAULT_TCP_PORT;
      const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(hostPart);
      if (!m) throw new InvalidHostError(`Invalid bind address format: ${addr}`);
      hostPart = m[1]!.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
      if (m[2] !== undefined && m[2] !== '') {
        port = Number(m[2]);
        if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new InvalidHostError(`Invalid bind address format: ${addr}`);
      }
      const shown = hostPart.includes(':') ? `[${hostPart}]` : hostPart;
      return { kind: 'tcp', host: hostPart, port, url: `tcp://${shown}:${port}` };
    }
    case 'https':
    case 'ssh':
    case 'fd':
    case 'npipe':
      throw new InvalidHostError(`${proto} hosts are not supported by berth yet: ${host}`);
    default:
      throw new InvalidHostError(`Invalid bind address format: ${host}`);
  }
}
