import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rmdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';

import type { OciSpec } from '../../core/runtime.js';

/**
 * Test helpers for the runtime: a tiny busybox root filesystem and a minimal OCI spec like the one Docker
 * generates, so the tests run real runc + conmon without an image store.
 */

export const BUSYBOX = '/bin/busybox';
const APPLETS = ['sh', 'echo', 'sleep', 'cat', 'true', 'false', 'tail', 'head', 'printf', 'stty'];

/** <dir>/bin/busybox plus applet symlinks, and the mount points runc needs. */
export async function makeRootfs(dir: string): Promise<void> {
  for (const d of ['bin', 'proc', 'dev', 'sys', 'tmp', 'etc']) await mkdir(join(dir, d), { recursive: true });
  await copyFile(BUSYBOX, join(dir, 'bin', 'busybox'));
  for (const a of APPLETS) await symlink('busybox', join(dir, 'bin', a));
}

/** Docker's default capability set. */
const CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

export function makeSpec(opts: { args: string[]; cgroupsPath: string; tty?: boolean; memoryLimit?: number }): OciSpec {
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: opts.tty ?? false,
      user: { uid: 0, gid: 0 },
      args: opts.args,
      env: ['PATH=/bin', 'HOME=/'],
      cwd: '/',
      capabilities: { bounding: CAPS, effective: CAPS, permitted: CAPS, inheritable: [], ambient: [] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    // The runtime replaces the path with the bundle's rootfs.
    root: { path: 'rootfs', readonly: true },
    hostname: 'berth-test',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'ipc' }, { type: 'uts' }, { type: 'network' }],
      cgroupsPath: opts.cgroupsPath,
      ...(opts.memoryLimit ? { resources: { memory: { limit: opts.memoryLimit, swap: opts.memoryLimit } } } : {}),
      maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/sys/firmware'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

export function randomId(): string {
  return randomBytes(32).toString('hex');
}

/** Every cgroup hierarchy mounted under /sys/fs/cgroup (v1 controllers, name=systemd, the unified v2 tree). */
export async function cgroupHierarchies(): Promise<string[]> {
  const names = await readdir('/sys/fs/cgroup');
  const out: string[] = [];
  for (const n of names) {
    const p = join('/sys/fs/cgroup', n);
    try {
      await readFile(join(p, 'cgroup.procs'));
      out.push(p);
    } catch {
      // Not a hierarchy root (or this is a pure v2 host: /sys/fs/cgroup itself is).
    }
  }
  if (out.length === 0) out.push('/sys/fs/cgroup');
  return out;
}

/** Child cgroups left under `parent` in any hierarchy (runc should have removed each container's own). */
export async function leftoverCgroups(parent: string): Promise<string[]> {
  const left: string[] = [];
  for (const h of await cgroupHierarchies()) {
    const entries = await readdir(join(h, parent), { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isDirectory()) left.push(join(h, parent, e.name));
  }
  return left;
}

/** Removes the test's parent cgroup from every hierarchy (runc creates it on demand but never removes it). */
export async function removeCgroupParent(parent: string): Promise<void> {
  for (const h of await cgroupHierarchies()) {
    const p = join(h, parent);
    for (const child of await leftoverCgroups(parent)) if (child.startsWith(p + '/')) await rmdir(child).catch(() => undefined);
    await rmdir(p).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}

/** Mount points at or under `prefix` in this mount namespace. */
export async function mountsUnder(prefix: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => m !== undefined && (m === prefix || m.startsWith(prefix + '/')));
}
