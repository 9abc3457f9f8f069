import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { isMountPoint, mountAll, unmount } from '../../pkg/mounter.js';

/**
 * /dev/shm of a container whose IPC namespace others may join (IpcMode "shareable"): a tmpfs that berthd mounts
 * on the host, in the container's directory, and binds into the container and into every container started with
 * IpcMode "container:<it>". POSIX shared memory lives in /dev/shm, so sharing the IPC namespace alone (System V)
 * is not what users mean by it; Docker does the same (its ShmPath).
 */
export function sharedShmDir(containerDir: string): string {
  return join(containerDir, 'shm');
}

/** Mounts the tmpfs (size in bytes) unless a mount is already there (a restart of a running container's daemon). */
export async function mountSharedShm(containerDir: string, sizeBytes: number): Promise<string> {
  const dir = sharedShmDir(containerDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (!(await isMountPoint(dir))) {
    await mountAll([{ type: 'tmpfs', source: 'shm', options: ['nosuid', 'nodev', 'noexec', 'mode=1777', `size=${sizeBytes}`] }], dir);
  }
  return dir;
}

/** Unmounts it; fine when it was never mounted. Containers that joined keep their own reference until they stop. */
export async function unmountSharedShm(containerDir: string): Promise<void> {
  await unmount(sharedShmDir(containerDir), { lazy: true });
}
