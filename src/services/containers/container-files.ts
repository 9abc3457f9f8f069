import { readFile } from 'node:fs/promises';
import { STANDARD_HOSTS } from '../networks/etc-files.js';

/**
 * The files the engine manages inside every container (/etc/hosts, /etc/hostname, /etc/resolv.conf), written
 * into the container's directory and bind-mounted. This /etc/hosts holds just the standard entries, as Docker
 * writes it for `--network none` (and a build step's); networks/etc-files.ts adds a networked container's own.
 */
export function hostsFile(): string {
  return `${STANDARD_HOSTS.join('\n')}\n`;
}

export function hostnameFile(hostname: string): string {
  return `${hostname}\n`;
}

/**
 * The host's resolv.conf without loopback nameservers (they would point into the container's own namespace),
 * falling back to Docker's defaults when none remain.
 */
export async function resolvConfFile(hostPath: string): Promise<string> {
  const text = await readFile(hostPath, 'utf8').catch(() => '');
  const lines = text.split('\n').filter((l) => {
    const m = /^\s*nameserver\s+(\S+)/.exec(l);
    return !m || !/^(127\.|::1$|0\.0\.0\.0$)/.test(m[1] ?? '');
  });
  if (!lines.some((l) => /^\s*nameserver\s/.test(l))) lines.push('nameserver 8.8.8.8', 'nameserver 8.8.4.4');
  return `${lines.filter((l, i) => l !== '' || i < lines.length - 1).join('\n').trimEnd()}\n`;
}
