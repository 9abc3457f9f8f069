import { readFile } from 'node:fs/promises';

/**
 * The files the engine manages inside every container (/etc/hosts, /etc/hostname, /etc/resolv.conf), written
 * into the container's directory and bind-mounted. Until networking lands a container has only loopback, so
 * /etc/hosts holds just the standard entries, as Docker writes it for `--network none`.
 */
export function hostsFile(): string {
  return [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    '',
  ].join('\n');
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
