import { InvalidArgumentError } from '../../core/errdefs.js';
import type { PortMapping } from '../../core/networks.js';
import { parseIPv4 } from '../../pkg/ipv4.js';

/**
 * HostConfig.PortBindings (and ExposedPorts with -P) as a list of mappings; host port 0 means "pick one".
 * The body is untrusted: every key and value is checked, and a bad one is a 400 naming it, in Docker's words.
 */
export function portMappings(portBindings: unknown, exposed: unknown, publishAll: boolean): PortMapping[] {
  const out: PortMapping[] = [];
  const seen = new Set<string>();
  const push = (m: PortMapping): void => {
    const k = `${m.proto}/${m.containerPort}/${m.hostIp}/${m.hostPort}-${m.hostPortEnd ?? m.hostPort}`;
    if (m.hostPort !== 0 && seen.has(k)) return;
    seen.add(k);
    out.push(m);
  };
  const bindings = portBindings && typeof portBindings === 'object' ? (portBindings as Record<string, unknown>) : {};
  for (const [key, list] of Object.entries(bindings)) {
    const { proto, port } = parsePortKey(key);
    if (list === null || list === undefined) continue;
    if (!Array.isArray(list)) throw new InvalidArgumentError(`invalid port binding for ${key}: must be a list`);
    for (const b of list as unknown[]) {
      const rec = (b && typeof b === 'object' ? b : {}) as { HostIp?: unknown; HostPort?: unknown };
      const hostIp = typeof rec.HostIp === 'string' ? rec.HostIp : '';
      if (hostIp !== '' && parseIPv4(hostIp) === undefined) throw new InvalidArgumentError(`invalid IP address: ${hostIp}`);
      const hp = typeof rec.HostPort === 'string' ? rec.HostPort : rec.HostPort === undefined || rec.HostPort === null ? '' : String(rec.HostPort);
      if (hp === '') {
        push({ proto, containerPort: port, hostIp, hostPort: 0 });
        continue;
      }
      const range = /^(\d+)(?:-(\d+))?$/.exec(hp);
      if (!range) throw new InvalidArgumentError(`invalid port specification: "${hp}"`);
      const start = Number(range[1]);
      const end = range[2] ? Number(range[2]) : start;
      if (start < 1 || end > 65535 || end < start) throw new InvalidArgumentError(`invalid port specification: "${hp}"`);
      // A host range for one container port: the reserver takes the first free port of the range, as Docker.
      push(end > start ? { proto, containerPort: port, hostIp, hostPort: start, hostPortEnd: end } : { proto, containerPort: port, hostIp, hostPort: start });
    }
  }
  if (publishAll && exposed && typeof exposed === 'object') {
    for (const key of Object.keys(exposed)) {
      const { proto, port } = parsePortKey(key);
      if (!out.some((m) => m.proto === proto && m.containerPort === port)) push({ proto, containerPort: port, hostIp: '', hostPort: 0 });
    }
  }
  return out;
}

/** `80/tcp`, `53/udp`, `80` (tcp). */
export function parsePortKey(key: string): { proto: PortMapping['proto']; port: number } {
  const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/i.exec(key);
  const port = m ? Number(m[1]) : NaN;
  if (!m || port < 1 || port > 65535) throw new InvalidArgumentError(`invalid port specification: "${key}"`);
  return { proto: (m[2]?.toLowerCase() ?? 'tcp') as PortMapping['proto'], port };
}
