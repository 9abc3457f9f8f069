import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import { InvalidArgumentError } from '../../core/errdefs.js';

/** Where dockerd looks for per-registry certificates; berthd's `--registry-certs-dir` points elsewhere. */
export const DEFAULT_CERTS_DIR = '/etc/docker/certs.d';

/**
 * The TLS agent for one secure registry from `<certsDir>/<host[:port]>/` (dockerd's ReadCertsDirectory): every
 * `*.crt` is a CA trusted on top of the system roots, every `*.cert` a client certificate whose key is the
 * `*.key` of the same name. No directory (or an empty one) means the default agent: undefined.
 */
export async function certsDirAgent(certsDir: string, hostPort: string): Promise<Agent | undefined> {
  // A reference's domain never holds a slash; refuse anything that could leave certsDir all the same.
  if (hostPort === '' || hostPort.includes('/') || hostPort === '.' || hostPort === '..') return undefined;
  const dir = join(certsDir, hostPort.replace(/^\[|\]/g, ''));
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch {
    return undefined;
  }
  const cas: string[] = [];
  const certs: { cert: Buffer; key: Buffer }[] = [];
  for (const name of names) {
    if (name.endsWith('.crt')) cas.push(await readFile(join(dir, name), 'utf8'));
    else if (name.endsWith('.cert')) {
      const key = `${name.slice(0, -'.cert'.length)}.key`;
      if (!names.includes(key)) throw new InvalidArgumentError(`missing key ${key} for client certificate ${name}. CA certificates must use the extension .crt`);
      certs.push({ cert: await readFile(join(dir, name)), key: await readFile(join(dir, key)) });
    } else if (name.endsWith('.key')) {
      const cert = `${name.slice(0, -'.key'.length)}.cert`;
      if (!names.includes(cert)) throw new InvalidArgumentError(`missing client certificate ${cert} for key ${name}`);
    }
  }
  if (cas.length === 0 && certs.length === 0) return undefined;
  const first = certs[0];
  return new Agent({
    keepAlive: true,
    maxSockets: 16,
    ...(cas.length > 0 ? { ca: [...rootCertificates, ...cas] } : {}),
    ...(first ? { cert: first.cert, key: first.key } : {}),
  });
}
