import { parseArgs } from 'node:util';
import { isLogLevel, type LogLevel } from '../pkg/logger.js';

export interface DaemonConfig {
  hosts: string[];
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  logLevel: LogLevel;
  cgroupParent: string;
  /** dockerd's --bridge: the default bridge's device ('none': no default bridge network). */
  bridge: string;
  /** dockerd's --bip: the default bridge's address and prefix. */
  bip: string;
  /** dockerd's --default-address-pool, one entry per flag: `base=10.10.0.0/16,size=24`. */
  defaultAddressPools: string[];
  tls?: { ca: string; cert: string; key: string; verify: boolean };
  /** `--insecure-registry`: registries (host[:port] or CIDR) reached over HTTP or unverified TLS. */
  insecureRegistries: string[];
  /** `--registry-certs-dir`: per-registry CAs and client certificates (`<dir>/<host:port>/ca.crt`, as dockerd's certs.d). */
  registryCertsDir?: string;
  /** `--registry-mirror`: mirrors of Docker Hub, tried first. */
  registryMirrors: string[];
}

export const USAGE = `Usage:	berthd [OPTIONS]

A container engine that serves the Docker Engine API

Options:
      --bip string                      Specify default-bridge IPv4 network (default "10.213.0.1/24")
  -b, --bridge string                   Attach containers to a network bridge (default "berth0")
      --default-address-pool pool-options   Default address pools for node specific local networks
                                        (default base=10.214.0.0/16,size=24)
      --cgroup-parent string   Parent cgroup for all containers (default "/berth")
      --data-root string       Root directory of persistent berth state (default "/var/lib/berth")
      --exec-root string       Root directory for execution state files (default "/run/berth")
  -H, --host list              Daemon socket(s) to connect to (default unix:///run/berth/berth.sock)
      --insecure-registry list Enable insecure registry communication
  -l, --log-level string       Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")
  -D, --debug                  Enable debug mode
  -p, --pidfile string         Path to use for daemon PID file (default "/run/berth/berthd.pid")
      --registry-certs-dir string  Per-registry TLS certificates, <dir>/<host:port>/ca.crt (default "/etc/docker/certs.d")
      --registry-mirror list   Preferred registry mirror
      --tls                    Use TLS; implied by --tlsverify
      --tlscacert string       Trust certs signed only by this CA
      --tlscert string         Path to TLS certificate file
      --tlskey string          Path to TLS key file
      --tlsverify              Use TLS and verify the remote
  -v, --version                Print version information and quit
`;

export type ParsedArgs = { kind: 'run'; config: DaemonConfig } | { kind: 'help' } | { kind: 'version' };

/** dockerd's flag names, read once here at the entry point; everything below gets plain values. */
export function parseDaemonArgs(argv: string[]): ParsedArgs {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      host: { type: 'string', short: 'H', multiple: true },
      'data-root': { type: 'string' },
      'exec-root': { type: 'string' },
      pidfile: { type: 'string', short: 'p' },
      'log-level': { type: 'string', short: 'l' },
      debug: { type: 'boolean', short: 'D' },
      'cgroup-parent': { type: 'string' },
      bridge: { type: 'string', short: 'b' },
      bip: { type: 'string' },
      'default-address-pool': { type: 'string', multiple: true },
      'insecure-registry': { type: 'string', multiple: true },
      'registry-mirror': { type: 'string', multiple: true },
      'registry-certs-dir': { type: 'string' },
      tls: { type: 'boolean' },
      tlsverify: { type: 'boolean' },
      tlscacert: { type: 'string' },
      tlscert: { type: 'string' },
      tlskey: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const execRoot = values['exec-root'] ?? '/run/berth';
  const level = values.debug ? 'debug' : (values['log-level'] ?? 'info');
  if (!isLogLevel(level)) throw new Error(`Unable to parse logging level: ${level}`);
  const useTls = values.tls === true || values.tlsverify === true;
  const config: DaemonConfig = {
    hosts: values.host && values.host.length > 0 ? values.host : ['unix:///run/berth/berth.sock'],
    dataRoot: values['data-root'] ?? '/var/lib/berth',
    execRoot,
    pidfile: values.pidfile ?? `${execRoot}/berthd.pid`,
    logLevel: level,
    cgroupParent: values['cgroup-parent'] ?? '/berth',
    // Apart from Docker's docker0 (172.17.0.0/16) and pools (172.17-31/16, 192.168/16) and Podman's 10.88-89/16.
    bridge: values.bridge ?? 'berth0',
    bip: values.bip ?? '10.213.0.1/24',
    defaultAddressPools: values['default-address-pool'] ?? ['base=10.214.0.0/16,size=24'],
    insecureRegistries: (values['insecure-registry'] ?? []).map(validateRegistry),
    registryMirrors: (values['registry-mirror'] ?? []).map(validateMirror),
    ...(values['registry-certs-dir'] !== undefined ? { registryCertsDir: values['registry-certs-dir'] } : {}),
  };
  if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(config.bridge)) throw new Error(`invalid bridge name: ${config.bridge}`);
  if (useTls) {
    if (!values.tlscacert || !values.tlscert || !values.tlskey) throw new Error('--tlscacert, --tlscert and --tlskey are required with --tls/--tlsverify');
    config.tls = { ca: values.tlscacert, cert: values.tlscert, key: values.tlskey, verify: values.tlsverify === true };
  }
  for (const h of config.hosts) {
    if (!/^(unix:\/\/\/|tcp:\/\/)/.test(h)) throw new Error(`invalid host "${h}": use unix:///path or tcp://host:port`);
  }
  return { kind: 'run', config };
}

/** dockerd's ValidateIndexName-ish check: a host[:port] or a CIDR, no scheme, no path. */
function validateRegistry(value: string): string {
  const v = value.replace(/^https?:\/\//, '').replace(/\/$/, '');
  if (v === '' || (v.includes('/') && !/^[\d.]+\/\d+$/.test(v))) throw new Error(`invalid value "${value}" for flag --insecure-registry`);
  return v;
}

/** dockerd's ValidateMirror: an http(s) URL without path. */
function validateMirror(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`invalid mirror: "${value}" is not a valid URI`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`invalid mirror: unsupported scheme "${url.protocol.slice(0, -1)}" in "${value}"`);
  if (url.pathname !== '/' && url.pathname !== '') throw new Error(`invalid mirror: path, query, or fragment at end of the URI "${value}"`);
  return `${url.protocol}//${url.host}`;
}
