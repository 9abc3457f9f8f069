/**
 * Registry credentials as the docker CLI keeps them: `<config dir>/config.json`, `auths[<server>].auth` =
 * base64("user:password"), the config dir being `--config`, else `$DOCKER_CONFIG`, else `~/.docker`. Docker
 * Hub's key is `https://index.docker.io/v1/`. The CLI sends them to the daemon as `X-Registry-Auth`.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { tryParseReference } from '../pkg/reference.js';

export const DOCKER_HUB_SERVER = 'https://index.docker.io/v1/';

export interface AuthEntry {
  username: string;
  password: string;
}

export function configDir(explicit: string | undefined, env: NodeJS.ProcessEnv): string {
  return explicit || env['DOCKER_CONFIG'] || join(env['HOME'] || homedir(), '.docker');
}

type ConfigFile = Record<string, unknown> & { auths?: Record<string, { auth?: string; identitytoken?: string }> };

function readConfig(dir: string): ConfigFile {
  try {
    const raw = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as unknown;
    return typeof raw === 'object' && raw !== null ? (raw as ConfigFile) : {};
  } catch {
    return {};
  }
}

function writeConfig(dir: string, cfg: ConfigFile): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'config.json');
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(cfg, null, '\t')}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

/** The config key of a server: Docker Hub's legacy URL, else the bare host. */
export function serverKey(server: string | undefined): string {
  if (!server) return DOCKER_HUB_SERVER;
  const host = server.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  if (host === 'docker.io' || host === 'index.docker.io' || host === 'registry-1.docker.io') return DOCKER_HUB_SERVER;
  return host;
}

export function storeAuth(dir: string, server: string, entry: AuthEntry): void {
  const cfg = readConfig(dir);
  cfg.auths = { ...(cfg.auths ?? {}), [server]: { auth: Buffer.from(`${entry.username}:${entry.password}`).toString('base64') } };
  writeConfig(dir, cfg);
}

/** Removes a server's entry; false when there was none. */
export function removeAuth(dir: string, server: string): boolean {
  const cfg = readConfig(dir);
  if (!cfg.auths || !(server in cfg.auths)) return false;
  const { [server]: _gone, ...rest } = cfg.auths;
  cfg.auths = rest;
  writeConfig(dir, cfg);
  return true;
}

export function loadAuth(dir: string, server: string): AuthEntry | undefined {
  const entry = readConfig(dir).auths?.[server];
  if (!entry?.auth) return undefined;
  const plain = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = plain.indexOf(':');
  if (colon < 0) return undefined;
  return { username: plain.slice(0, colon), password: plain.slice(colon + 1) };
}

/** `X-Registry-Auth` for an image reference: base64url JSON, `{}` when there are no stored credentials (as docker sends). */
export function registryAuthHeader(dir: string, image: string): string {
  const ref = tryParseReference(image);
  const server = serverKey(ref?.domain);
  const entry = loadAuth(dir, server);
  const body = entry ? { username: entry.username, password: entry.password, serveraddress: server } : {};
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}
