/**
 * `berth registry serve` and `berth registry garbage-collect`: an OCI distribution registry run in-process by the
 * CLI binary (as `docker-registry serve` / `registry garbage-collect`). It is a server of its own and speaks to no
 * berthd, so it is the one CLI command that imports src/registry directly; that module is loaded only when a
 * registry command runs, keeping every other command's start-up unchanged.
 */
import { existsSync, readFileSync } from 'node:fs';
import { handle } from '../action.js';
import { addCommand, addGroup, NO_ARGS, type DockerCommand } from '../command.js';
import { StatusError } from '../errors.js';

interface ServeOptions {
  addr: string;
  root: string;
  tlsCert?: string;
  tlsKey?: string;
  htpasswd?: string;
  htpasswdRealm: string;
  tokenAuth?: boolean;
  tokenRealm?: string;
  tokenService: string;
  readOnly?: boolean;
  disableDelete?: boolean;
  quiet?: boolean;
}

interface GcOptions {
  root: string;
  dryRun?: boolean;
  deleteUntagged?: boolean;
}

export const DEFAULT_REGISTRY_ROOT = '/var/lib/berth-registry';

/** `:5000`, `127.0.0.1:0`, `[::1]:5000`, `localhost:5000` → host (undefined: every interface) and port. */
export function parseListenAddress(addr: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr);
  if (!m || Number(m[3]) > 65535) throw new StatusError(`invalid listen address "${addr}": expected [host]:port`, 1);
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port: Number(m[3]) };
}

async function serve(opts: ServeOptions): Promise<void> {
  const { HtpasswdCheck, parseHtpasswd, RegistryServer, TokenIssuer } = await import('../../registry/index.js');
  const { host, port } = parseListenAddress(opts.addr);
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) throw new StatusError('--tls-cert and --tls-key must be given together', 1);
  if (opts.tokenAuth && opts.htpasswd === undefined) throw new StatusError('--token-auth needs --htpasswd: the token endpoint checks credentials against it', 1);
  const read = (what: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new StatusError(`cannot read ${what} ${path}: ${(e as Error).message}`, 1);
    }
  };
  const htpasswd = opts.htpasswd === undefined ? undefined : new HtpasswdCheck(parseHtpasswd(read('htpasswd file', opts.htpasswd).toString('utf8')));
  const auth = !htpasswd
    ? ({ mode: 'none' } as const)
    : opts.tokenAuth
      ? ({ mode: 'token', realm: opts.tokenRealm, service: opts.tokenService, htpasswd, issuer: new TokenIssuer() } as const)
      : ({ mode: 'htpasswd', realm: opts.htpasswdRealm, htpasswd } as const);
  const server = new RegistryServer({
    root: opts.root,
    auth,
    readOnly: opts.readOnly === true,
    deleteEnabled: opts.disableDelete !== true,
    tls: opts.tlsCert !== undefined && opts.tlsKey !== undefined ? { cert: read('TLS certificate', opts.tlsCert), key: read('TLS key', opts.tlsKey) } : undefined,
    log: opts.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
  });
  let address;
  try {
    address = await server.listen(port, host);
  } catch (e) {
    throw new StatusError(`listen tcp ${opts.addr}: ${(e as Error).message}`, 1);
  }
  const shown = address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
  process.stderr.write(`berth registry listening on ${shown} (${opts.tlsCert ? 'https' : 'http'}, auth: ${auth.mode}${opts.readOnly ? ', read-only' : ''})\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

async function collect(opts: GcOptions): Promise<void> {
  if (!existsSync(opts.root)) throw new StatusError(`registry root ${opts.root} does not exist`, 1);
  const { garbageCollect, RegistryStorage } = await import('../../registry/index.js');
  const result = await garbageCollect(new RegistryStorage(opts.root), {
    dryRun: opts.dryRun === true,
    deleteUntagged: opts.deleteUntagged === true,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  const bytes = result.deleted.reduce((n, d) => n + d.size, 0);
  process.stdout.write(`\n${result.marked} blobs marked, ${result.deleted.length} blobs${opts.dryRun ? ' eligible for deletion' : ' deleted'} (${bytes} bytes)\n`);
}

export function registerRegistryCommands(root: DockerCommand): void {
  const registry = addGroup(root, 'registry', 'Run an image registry (OCI distribution)');
  addCommand(registry, { name: 'serve', use: '[OPTIONS]', short: 'Serve the OCI distribution API', args: NO_ARGS }, (cmd) => {
    cmd
      .str('--addr <string>', 'Address to listen on', ':5000')
      .str('--root <string>', 'Storage directory', DEFAULT_REGISTRY_ROOT)
      .str('--tls-cert <string>', 'TLS certificate file (serve HTTPS)')
      .str('--tls-key <string>', 'TLS key file')
      .str('--htpasswd <string>', 'Require Basic authentication against this htpasswd file (bcrypt entries)')
      .str('--htpasswd-realm <string>', 'Realm of the Basic challenge', 'Registry Realm')
      .bool('--token-auth', 'Require bearer tokens, issued at /token to --htpasswd users')
      .str('--token-realm <string>', 'Token realm URL in challenges (default: this server\'s /token)')
      .str('--token-service <string>', 'Service name in challenges and tokens', 'berth-registry')
      .bool('--read-only', 'Refuse every write (405 UNSUPPORTED)')
      .bool('--disable-delete', 'Refuse manifest and blob deletion')
      .bool('-q, --quiet', 'Do not log requests');
    handle<ServeOptions>(cmd, (_ctx, _args, opts) => serve(opts));
  });
  addCommand(registry, { name: 'garbage-collect', use: '[OPTIONS]', short: 'Delete blobs no manifest references', args: NO_ARGS }, (cmd) => {
    cmd
      .str('--root <string>', 'Storage directory', DEFAULT_REGISTRY_ROOT)
      .bool('-d, --dry-run', 'Only print what would be deleted')
      .bool('-m, --delete-untagged', 'Also delete manifests no tag points at');
    handle<GcOptions>(cmd, (_ctx, _args, opts) => collect(opts));
  });
}
