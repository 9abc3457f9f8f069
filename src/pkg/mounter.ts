import { readFile, realpath } from 'node:fs/promises';
import { dirname, relative, sep } from 'node:path';

import type { Mount } from '../core/mount.js';
import { InternalError, InvalidArgumentError } from '../core/errdefs.js';
import { exec, type ExecResult } from './exec.js';

/**
 * Mounting through util-linux: Node has no mount(2), so we run `/bin/mount` and `/bin/umount` with argument
 * arrays (never a shell). libmount understands every option a snapshotter or OCI spec hands us (`rbind`,
 * `ro` on a bind, which it turns into the needed remount, `nosuid`, overlay's `lowerdir=`...).
 */
export interface MountOptions {
  signal?: AbortSignal;
  /** Kills mount/umount if it takes longer (a hung NFS or FUSE source must not hang the daemon). Default 30 s. */
  timeoutMs?: number;
}

export interface UnmountOptions extends MountOptions {
  /** MNT_DETACH: detach now, clean up when no longer busy. */
  lazy?: boolean;
}

const MOUNT = '/bin/mount';
const UMOUNT = '/bin/umount';
const DEFAULT_TIMEOUT_MS = 30_000;
/** The kernel copies mount data into one page; mount(8) fails beyond it. Leave room for the other options. */
const MAX_DATA = 4000;
/** Mounts stacked on one target that `unmount` will peel off before giving up (a loop guard, not a real limit). */
const MAX_STACKED = 64;

/** Mounts each of `mounts` onto `target`, in order (later ones stack on earlier ones, as containerd's mount.All). */
export async function mountAll(mounts: Mount[], target: string, opts: MountOptions = {}): Promise<void> {
  const done: number[] = [];
  try {
    for (const [i, m] of mounts.entries()) {
      await mountOne(m, target, opts);
      done.push(i);
    }
  } catch (err) {
    // Leave nothing half-mounted behind: the caller sees one failure, not a stack it must pick apart.
    for (const _ of done) await unmount(target, { ...opts, lazy: true }).catch(() => undefined);
    throw err;
  }
}

async function mountOne(m: Mount, target: string, opts: MountOptions): Promise<void> {
  if (m.type === '' || m.type.startsWith('-')) throw new InvalidArgumentError(`Invalid mount type "${m.type}"`);
  let type = m.type;
  let options = [...m.options];
  const source = m.source;
  let cwd: string | undefined;
  // containerd's Mount says `bind`; mount(8) has no such filesystem type and wants `-t none -o bind`.
  if (type === 'bind' || type === 'rbind') {
    if (!options.includes('bind') && !options.includes('rbind')) options.unshift(type);
    type = 'none';
  }
  if (type === 'overlay') ({ options, cwd } = shortenOverlayOptions(options));
  const args = ['-t', type];
  if (options.length > 0) args.push('-o', options.join(','));
  // `--` so a source named like an option cannot be read as one.
  args.push('--', source, target);
  const res = await run(MOUNT, args, { ...opts, cwd });
  if (res.code !== 0) {
    throw new InternalError(`Failed to mount "${source}" (${m.type}) on "${target}": ${res.stderr.trim() || `exit ${res.code}`}`);
  }
}

/**
 * A deep image gives a `lowerdir=` longer than a page, which mount(2) rejects. As containerd does, run mount
 * from the layers' common parent directory and give overlay relative paths (resolved against mount's cwd).
 */
function shortenOverlayOptions(options: string[]): { options: string[]; cwd?: string } {
  if (options.join(',').length <= MAX_DATA) return { options };
  const pathKeys = ['lowerdir', 'upperdir', 'workdir'];
  const paths: string[] = [];
  for (const o of options) {
    const [k, v] = splitOption(o);
    if (v !== undefined && pathKeys.includes(k)) paths.push(...(k === 'lowerdir' ? v.split(':') : [v]));
  }
  const base = commonDir(paths);
  if (base === undefined || base === '/') return { options };
  const rel = (p: string): string => relative(base, p);
  const shortened = options.map((o) => {
    const [k, v] = splitOption(o);
    if (v === undefined || !pathKeys.includes(k)) return o;
    return `${k}=${k === 'lowerdir' ? v.split(':').map(rel).join(':') : rel(v)}`;
  });
  return { options: shortened, cwd: base };
}

function splitOption(o: string): [string, string | undefined] {
  const i = o.indexOf('=');
  return i < 0 ? [o, undefined] : [o.slice(0, i), o.slice(i + 1)];
}

function commonDir(paths: string[]): string | undefined {
  if (paths.length === 0 || paths.some((p) => !p.startsWith('/'))) return undefined;
  let base = dirname(paths[0]!);
  while (!paths.every((p) => p.startsWith(base === '/' ? '/' : base + sep))) base = dirname(base);
  return base;
}

/**
 * Unmounts everything stacked on `target` (mountAll may have stacked several). A target that is not mounted,
 * or does not exist, is fine: cleanup paths call this without knowing how far setup got.
 */
export async function unmount(target: string, opts: UnmountOptions = {}): Promise<void> {
  for (let i = 0; i < MAX_STACKED; i++) {
    const args = opts.lazy ? ['-l', '--', target] : ['--', target];
    const res = await run(UMOUNT, args, opts);
    if (res.code === 0) continue;
    if (/not mounted|no mount point specified|No such file or directory/.test(res.stderr)) return;
    throw new InternalError(`Failed to unmount "${target}": ${res.stderr.trim() || `exit ${res.code}`}`);
  }
  throw new InternalError(`Failed to unmount "${target}": more than ${MAX_STACKED} mounts stacked on it`);
}

/** Whether `path` is the mount point of some mount in this mount namespace (false when it does not exist). */
export async function isMountPoint(path: string): Promise<boolean> {
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return false;
  }
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  for (const line of info.split('\n')) {
    // "<id> <parent> <maj:min> <root> <mount point> <options> ..." with spaces etc. escaped as \ooo.
    const mountPoint = line.split(' ')[4];
    if (mountPoint !== undefined && unescapeOctal(mountPoint) === real) return true;
  }
  return false;
}

function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Runs mount or umount. A timeout or abort sends SIGTERM rather than SIGKILL, so mount and its helpers can exit cleanly. */
function run(cmd: string, args: string[], opts: MountOptions & { cwd?: string }): Promise<ExecResult> {
  return exec(cmd, args, {
    stdout: 'ignore',
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    killSignal: 'SIGTERM',
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
  });
}
