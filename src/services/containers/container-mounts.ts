import type { ContainerRecord } from '../../core/containers.js';
import { containerHostMounts } from './mounts.js';

/** One mount of a container as the filesystem commands (cp, diff, commit) need it. */
export interface ContainerMount {
  /** Clean absolute path inside the container. */
  destination: string;
  /** Host path of the source (directory, or file for a file bind mount). */
  source: string;
  rw: boolean;
}

/**
 * The bind mounts a container's filesystem commands must see, resolved to host paths: the engine's own
 * /etc/hosts, /etc/hostname and /etc/resolv.conf, then the user's bind mounts and volumes (a later, more specific
 * destination wins where they nest). tmpfs mounts have nothing on the host to see.
 */
export function containerMounts(c: ContainerRecord): ContainerMount[] {
  const tmpfs = new Set([
    ...Object.keys((c.hostConfig['Tmpfs'] as Record<string, string> | undefined) ?? {}),
    ...(c.mounts ?? []).filter((m) => m.Type === 'tmpfs').map((m) => m.Destination),
  ]);
  const engine = [
    { destination: '/etc/resolv.conf', source: `${c.dir}/resolv.conf`, rw: true },
    { destination: '/etc/hostname', source: `${c.dir}/hostname`, rw: true },
    { destination: '/etc/hosts', source: `${c.dir}/hosts`, rw: true },
  ];
  const user = containerHostMounts(c).map((m) => ({ destination: m.destination, source: m.source, rw: m.rw }));
  const userDestinations = new Set(user.map((m) => m.destination));
  return [...engine.filter((m) => !userDestinations.has(m.destination)), ...user].filter((m) => !tmpfs.has(m.destination));
}

/**
 * Paths that every running container has as mount points, made in its writable layer by runc when the image
 * lacks them: Docker keeps them in a hidden "init" layer, so neither `diff` nor `commit` shows them.
 */
export const INIT_LAYER_PATHS: readonly string[] = [
  '/dev',
  '/dev/pts',
  '/dev/shm',
  '/dev/console',
  '/dev/mqueue',
  '/proc',
  '/sys',
  '/.dockerenv',
  '/etc/mtab',
];
