import type { ContainerRecord } from '../../core/containers.js';

/** One mount of a container as the filesystem commands (cp, diff, commit) need it. */
export interface ContainerMount {
  /** Clean absolute path inside the container. */
  destination: string;
  /** Host path of the source (directory, or file for a file bind mount). */
  source: string;
  rw: boolean;
}

/**
 * The bind mounts a container's filesystem commands must see, resolved to host paths: for now the engine's own
 * /etc/hosts, /etc/hostname and /etc/resolv.conf. This is the one place to extend when volumes and bind mounts
 * land (their resolved host sources and read-only flags belong here).
 */
export function containerMounts(c: ContainerRecord): ContainerMount[] {
  const tmpfs = new Set(Object.keys((c.hostConfig['Tmpfs'] as Record<string, string> | undefined) ?? {}));
  return [
    { destination: '/etc/resolv.conf', source: `${c.dir}/resolv.conf`, rw: true },
    { destination: '/etc/hostname', source: `${c.dir}/hostname`, rw: true },
    { destination: '/etc/hosts', source: `${c.dir}/hosts`, rw: true },
  ].filter((m) => !tmpfs.has(m.destination));
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
