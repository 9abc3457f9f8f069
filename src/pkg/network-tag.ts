import { createHash } from 'node:crypto';

/**
 * The short tag a daemon puts in every host-level network name it makes (bridges, veths, iptables chains):
 * 6 hex of a hash of its exec root, so two daemons on one host (tests run several) never share a name, and
 * the same daemon finds its own objects again after a restart.
 */
export function networkTag(execRoot: string): string {
  return createHash('sha256').update(execRoot).digest('hex').slice(0, 6);
}
