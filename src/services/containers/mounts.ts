import { lstat, mkdir, mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { isAbsolute, join, posix } from 'node:path';
import type { ContainerRecord } from '../../core/containers.js';
import { InternalError, InvalidArgumentError } from '../../core/errdefs.js';
import type { Mount } from '../../core/mount.js';
import type { OciSpec } from '../../core/runtime.js';
import type { MountPoint } from '../../core/volumes.js';
import { exec } from '../../pkg/exec.js';
import { mountAll, unmount } from '../../pkg/mounter.js';
import { validateVolumeName } from '../volumes/volume-service.js';
import { tmpfsOptions } from './host-config.js';

/**
 * A container's mounts, by Docker's rules (moby daemon/volumes.go registerMountPoints, volume/mounts/linux_parser.go):
 * `--volumes-from` first, then `-v` (HostConfig.Binds), then `--mount` (HostConfig.Mounts), each later one
 * replacing an earlier one at the same destination, a destination given twice by -v/--mount being an error; then
 * an anonymous volume for every image or `-v /path` VOLUME not already covered. The result is stored in the
 * container's record and feeds the OCI spec at each start.
 */

/** The API's mount.Mount (`--mount`, HostConfig.Mounts). */
export interface ApiMount {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; CreateMountpoint?: boolean; ReadOnlyNonRecursive?: boolean; ReadOnlyForceRecursive?: boolean } | null;
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string> | null; DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null; Subpath?: string } | null;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number; Options?: string[][] | null } | null;
}

/** What resolving needs from the daemon: volumes (created when missing) and other containers' mounts. */
export interface MountResolverHost {
  /** The volume named `name` (created when missing; an empty name makes an anonymous one). */
  ensureVolume(name: string, opts: { driver?: string | undefined; options?: Record<string, string>; labels?: Record<string, string> }): Promise<{ name: string; driver: string; mountpoint: string }>;
  /** The mounts of another container (`--volumes-from`), by id or name. */
  mountsOf(idOrName: string): MountPoint[];
}

const RW_MODES = new Set(['rw', 'ro']);
const LABEL_MODES = new Set(['z', 'Z']);
const PROPAGATION_MODES = new Set(['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared']);
const CONSISTENCY_MODES = new Set(['consistent', 'cached', 'delegated']);
const DEFAULT_PROPAGATION = 'rprivate';

const invalidSpec = (raw: string): string => `invalid volume specification: '${raw}'`;
const invalidMode = (mode: string): InvalidArgumentError => new InvalidArgumentError(`invalid mode: ${mode}`);
const mountConfigError = (type: string, msg: string): InvalidArgumentError => new InvalidArgumentError(`invalid mount config for type ${JSON.stringify(type)}: ${msg}`);

/** Docker's linuxValidMountMode: each kind of mode at most once, nothing unknown. */
export function validMountMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = { rw: 0, label: 0, propagation: 0, copy: 0, consistency: 0 };
  for (const o of mode.split(',')) {
    if (RW_MODES.has(o)) counts.rw++;
    else if (LABEL_MODES.has(o)) counts.label++;
    else if (PROPAGATION_MODES.has(o)) counts.propagation++;
    else if (o === 'nocopy') counts.copy++;
    else if (CONSISTENCY_MODES.has(o)) counts.consistency++;
    else return false;
  }
  return Object.values(counts).every((n) => n <= 1);
}

function propagationOf(mode: string): string | undefined {
  return mode.split(',').find((o) => PROPAGATION_MODES.has(o));
}

function validateTarget(type: string, target: string): void {
  const p = target.replace(/\\/g, '/');
  if (posix.normalize(p) === '/' || /^\/+$/.test(p)) throw mountConfigError(type, "invalid specification: destination can't be '/'");
  if (!p.startsWith('/')) throw mountConfigError(type, `invalid mount path: '${p}' mount path must be absolute`);
}

function cleanPath(p: string): string {
  const n = posix.normalize(p.replace(/\\/g, '/'));
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

/** One `-v` value (Docker's ParseMountRaw): `dest`, `src:dest`, `src:dest:mode`; an absolute src is a bind. */
export function parseBind(raw: string): MountPoint {
  const arr = raw.split(':');
  if (arr.length > 3 || arr[0] === '') throw new InvalidArgumentError(invalidSpec(raw));
  let source = '';
  let target: string;
  let mode = '';
  if (arr.length === 1) {
    target = arr[0]!;
  } else if (arr.length === 2) {
    // A destination with a mode is no volume (`/foo:rw`).
    if (validMountMode(arr[1]!)) throw new InvalidArgumentError(invalidSpec(raw));
    [source, target] = [arr[0]!, arr[1]!];
  } else {
    [source, target, mode] = [arr[0]!, arr[1]!, arr[2]!];
  }
  if (!validMountMode(mode)) throw new InvalidArgumentError(`${invalidSpec(raw)}: ${invalidMode(mode).message}`);
  const type = posix.isAbsolute(source) ? 'bind' : 'volume';
  try {
    validateTarget(type, target);
  } catch (err) {
    throw new InvalidArgumentError(`${invalidSpec(raw)}: ${(err as Error).message}`);
  }
  const rw = !mode.split(',').includes('ro');
  const destination = cleanPath(target);
  if (type === 'bind') {
    return { Type: 'bind', Source: cleanPath(source), Destination: destination, Mode: mode, RW: rw, Propagation: propagationOf(mode) ?? DEFAULT_PROPAGATION, CreateSource: true };
  }
  return {
    Type: 'volume',
    ...(source !== '' ? { Name: source } : {}),
    Source: '',
    Destination: destination,
    Driver: 'local',
    Mode: mode,
    RW: rw,
    Propagation: '',
    CopyData: !mode.split(',').includes('nocopy'),
    Anonymous: source === '',
  };
}

/** One `--mount` (HostConfig.Mounts entry), checked as Docker's ParseMountSpec does (a bind's source must exist). */
export function parseApiMount(m: ApiMount, exists: (path: string) => boolean): MountPoint {
  const type = m.Type ?? '';
  if (type !== 'bind' && m.BindOptions) throw mountConfigError(type, 'field BindOptions must not be specified');
  if (type !== 'volume' && m.VolumeOptions) throw mountConfigError(type, 'field VolumeOptions must not be specified');
  if (type !== 'tmpfs' && m.TmpfsOptions) throw mountConfigError(type, 'field TmpfsOptions must not be specified');
  const target = m.Target ?? '';
  if (target === '') throw mountConfigError(type, 'field Target must not be empty');
  validateTarget(type, target);
  const source = m.Source ?? '';
  const rw = m.ReadOnly !== true;
  const destination = cleanPath(target);
  switch (type) {
    case 'bind': {
      if (source === '') throw mountConfigError(type, 'field Source must not be empty');
      const prop = m.BindOptions?.Propagation ?? '';
      if (prop !== '' && !PROPAGATION_MODES.has(prop)) throw mountConfigError(type, `invalid propagation mode: ${prop}`);
      if (!posix.isAbsolute(source)) throw mountConfigError(type, `invalid mount path: '${source}' mount path must be absolute`);
      if (!exists(source) && m.BindOptions?.CreateMountpoint !== true) throw mountConfigError(type, `bind source path does not exist: ${source}`);
      return {
        Type: 'bind',
        Source: cleanPath(source),
        Destination: destination,
        Mode: '',
        RW: rw,
        Propagation: prop || DEFAULT_PROPAGATION,
        CreateSource: m.BindOptions?.CreateMountpoint === true,
        ...(m.BindOptions?.NonRecursive ? { NonRecursive: true } : {}),
      };
    }
    case 'volume': {
      if (m.VolumeOptions?.Subpath) {
        if (source === '') throw mountConfigError(type, 'must not set Subpath when using anonymous volumes');
        throw new InvalidArgumentError('berth does not support volume subpaths (volume-subpath) yet');
      }
      return {
        Type: 'volume',
        ...(source !== '' ? { Name: source } : {}),
        Source: '',
        Destination: destination,
        Driver: m.VolumeOptions?.DriverConfig?.Name || 'local',
        Mode: '',
        RW: rw,
        Propagation: '',
        CopyData: m.VolumeOptions?.NoCopy !== true,
        Anonymous: source === '',
      };
    }
    case 'tmpfs': {
      if (source !== '') throw mountConfigError(type, 'field Source must not be specified');
      return { Type: 'tmpfs', Source: '', Destination: destination, Mode: '', RW: rw, Propagation: '', TmpfsOptions: tmpfsData(m.TmpfsOptions, !rw) };
    }
    default:
      throw mountConfigError(type, 'mount type unknown');
  }
}

/** Docker's ConvertTmpfsOptions: `ro`, `mode=<octal>`, `size=<n>[kmg]`, then exec/noexec. */
function tmpfsData(opt: ApiMount['TmpfsOptions'], readOnly: boolean): string[] {
  const out: string[] = [];
  if (readOnly) out.push('ro');
  if (opt?.Mode) out.push(`mode=${opt.Mode.toString(8)}`);
  if (opt?.SizeBytes) {
    let size = opt.SizeBytes;
    let suffix = '';
    for (const [s, d] of [['g', 1 << 30], ['m', 1 << 20], ['k', 1 << 10]] as const) {
      if (size % d === 0) {
        size /= d;
        suffix = s;
        break;
      }
    }
    out.push(`size=${size}${suffix}`);
  }
  for (const o of opt?.Options ?? []) {
    if (o.length < 1 || o.length > 2) throw mountConfigError('tmpfs', 'invalid option array length');
    if (o[0] !== 'exec' && o[0] !== 'noexec') throw mountConfigError('tmpfs', `invalid option: ${o[0]}`);
    out.push(o.join('='));
  }
  return out;
}

/** `--volumes-from id[:ro|rw]` (Docker's ParseVolumesFrom): no propagation or copy modes. */
export function parseVolumesFrom(spec: string): { id: string; mode: string } {
  if (spec === '') throw new InvalidArgumentError('volumes-from specification cannot be an empty string');
  const colon = spec.indexOf(':');
  const id = colon < 0 ? spec : spec.slice(0, colon);
  const mode = colon < 0 ? '' : spec.slice(colon + 1);
  if (mode === '') return { id, mode: 'rw' };
  if (!validMountMode(mode) || propagationOf(mode) !== undefined || mode.split(',').includes('nocopy')) throw invalidMode(mode);
  return { id, mode };
}

/** Checks what can be checked without the daemon's state (at create, before anything is made). */
export function validateMountConfig(hostConfig: Record<string, unknown>, exists: (path: string) => boolean): void {
  for (const b of stringList(hostConfig['Binds'])) parseBind(b);
  for (const m of apiMounts(hostConfig['Mounts'])) parseApiMount(m, exists);
  for (const v of stringList(hostConfig['VolumesFrom'])) parseVolumesFrom(v);
}

/**
 * Resolves every mount of a new container (see the top of this file). Volumes are created as needed; the
 * caller removes `created` anonymous volumes if the container is not made after all.
 */
export async function resolveMounts(
  args: { hostConfig: Record<string, unknown>; configVolumes: Record<string, unknown> | null | undefined },
  host: MountResolverHost,
  exists: (path: string) => boolean,
): Promise<MountPoint[]> {
  const { hostConfig } = args;
  const points = new Map<string, MountPoint>();
  const tmpfs = new Set(Object.keys((hostConfig['Tmpfs'] as Record<string, string> | null | undefined) ?? {}).map(cleanPath));

  for (const spec of stringList(hostConfig['VolumesFrom'])) {
    const { id, mode } = parseVolumesFrom(spec);
    const rw = !mode.split(',').includes('ro');
    for (const m of host.mountsOf(id)) {
      points.set(m.Destination, { ...m, RW: m.RW && rw, CopyData: false, Anonymous: false, CreateSource: false });
    }
  }

  // Everything is parsed and checked before any volume is made, so a refused container leaves no volume behind.
  const explicit = new Set<string>();
  const binds = stringList(hostConfig['Binds']).map(parseBind);
  for (const mp of binds) {
    if (explicit.has(mp.Destination) || tmpfs.has(mp.Destination)) throw new InvalidArgumentError(`Duplicate mount point: ${mp.Destination}`);
    if (mp.Name) validateVolumeName(mp.Name, 'create');
    explicit.add(mp.Destination);
  }
  const specs = apiMounts(hostConfig['Mounts']).map((m) => ({ m, mp: parseApiMount(m, exists) }));
  for (const { m, mp } of specs) {
    if (explicit.has(mp.Destination)) throw new InvalidArgumentError(`Duplicate mount point: ${m.Target ?? ''}`);
    if (mp.Name) validateVolumeName(mp.Name, 'create');
    explicit.add(mp.Destination);
  }

  for (const mp of binds) {
    if (mp.Type === 'volume') {
      const v = await host.ensureVolume(mp.Name ?? '', { driver: hostConfig['VolumeDriver'] as string | undefined });
      Object.assign(mp, { Name: v.name, Source: v.mountpoint, Driver: v.driver, Mode: mp.Mode || (v.driver === 'local' ? 'z' : '') });
    }
    points.set(mp.Destination, mp);
  }

  for (const { m, mp } of specs) {
    if (mp.Type === 'volume') {
      const opts = m.VolumeOptions;
      const v = await host.ensureVolume(mp.Name ?? '', {
        driver: mp.Driver,
        options: opts?.DriverConfig?.Options ?? {},
        labels: opts?.Labels ?? {},
      });
      Object.assign(mp, { Name: v.name, Source: v.mountpoint, Driver: v.driver, Mode: v.driver === 'local' ? 'z' : '' });
    }
    points.set(mp.Destination, mp);
  }

  // The image's VOLUMEs and `-v /path`: an anonymous volume where nothing else is mounted.
  for (const spec of Object.keys(args.configVolumes ?? {})) {
    const destination = cleanPath(spec);
    if (points.has(destination) || tmpfs.has(destination)) continue;
    if (!destination.startsWith('/')) throw new InvalidArgumentError(`invalid mount path: '${spec}' mount path must be absolute`);
    const v = await host.ensureVolume('', {});
    points.set(destination, {
      Type: 'volume',
      Name: v.name,
      Source: v.mountpoint,
      Destination: destination,
      Driver: v.driver,
      Mode: '',
      RW: true,
      Propagation: '',
      CopyData: true,
      Anonymous: true,
    });
  }
  return sortMounts([...points.values()]);
}

/** Parents before children (Docker's sortMounts), so a mount inside another's destination lands on top of it. */
export function sortMounts(mounts: MountPoint[]): MountPoint[] {
  const depth = (p: string): number => p.split('/').filter(Boolean).length;
  return [...mounts].sort((a, b) => depth(a.Destination) - depth(b.Destination) || (a.Destination < b.Destination ? -1 : a.Destination > b.Destination ? 1 : 0));
}

/** A container's mounts as `inspect` and `ps` show them (Docker's types.MountPoint). */
export function mountsView(mounts: readonly MountPoint[] | undefined): Record<string, unknown>[] {
  return (mounts ?? []).map((m) => ({
    Type: m.Type,
    ...(m.Name ? { Name: m.Name } : {}),
    Source: m.Source,
    Destination: m.Destination,
    ...(m.Driver ? { Driver: m.Driver } : {}),
    Mode: m.Mode,
    RW: m.RW,
    Propagation: m.Propagation,
  }));
}

/** The volume names a container uses (for the store's in-use rule). */
export function volumeNames(mounts: readonly MountPoint[] | undefined): string[] {
  return (mounts ?? []).filter((m) => m.Type === 'volume' && m.Name).map((m) => m.Name!);
}

/**
 * The mounts of a container as host paths: where a path inside the container really lives. For the archive API
 * (`docker cp` into or out of a path that crosses into a volume or bind mount): the longest `destination` that
 * is a prefix of the container path wins. tmpfs mounts have no host source (they live in the container's mount
 * namespace only) and are left out.
 */
export function containerHostMounts(c: ContainerRecord): { source: string; destination: string; rw: boolean; type: 'bind' | 'volume' }[] {
  return (c.mounts ?? [])
    .filter((m): m is MountPoint & { Type: 'bind' | 'volume' } => m.Type !== 'tmpfs' && m.Source !== '')
    .map((m) => ({ source: m.Source, destination: m.Destination, rw: m.RW, type: m.Type }));
}

/** The OCI spec mounts of a container's mounts, with each volume's host path as the caller resolved it. */
export function ociMounts(mounts: readonly MountPoint[], sources: ReadonlyMap<string, string>): OciSpec['mounts'] {
  return mounts.map((m) => {
    if (m.Type === 'tmpfs') return { destination: m.Destination, type: 'tmpfs', source: 'tmpfs', options: tmpfsOptions((m.TmpfsOptions ?? []).join(',')) };
    const options = [m.NonRecursive ? 'bind' : 'rbind'];
    if (!m.RW) options.push('ro');
    options.push(m.Propagation || DEFAULT_PROPAGATION);
    return { destination: m.Destination, type: 'bind', source: sources.get(m.Destination) ?? m.Source, options };
  });
}

/** `-v /missing:/x` creates the host directory at start, as Docker does (`--mount` refused it at create). */
export async function createBindSources(mounts: readonly MountPoint[]): Promise<void> {
  for (const m of mounts) {
    if (m.Type !== 'bind' || !m.CreateSource) continue;
    try {
      await lstat(m.Source);
    } catch {
      try {
        await mkdir(m.Source, { recursive: true, mode: 0o755 });
      } catch (err) {
        throw new InternalError(`error while creating mount source path '${m.Source}': ${(err as Error).message}`, { cause: err });
      }
    }
  }
}

/**
 * Docker's populateVolumes: each volume that wants it (CopyData) and is still empty gets the content of the
 * image's directory at its destination, ownership and modes kept. The image is read through the container's
 * own rootfs, mounted for the copy on a private directory; paths are resolved inside it (a symlink in a hostile
 * image cannot point the copy at the host).
 */
export async function populateVolumes(args: {
  mounts: readonly MountPoint[];
  rootfs: Mount[];
  workDir: string;
  /** Mounts the volume for the copy (tmpfs and bind volumes need it) and returns its path, with the release. */
  open: (name: string) => Promise<{ path: string; release: () => Promise<void> }>;
}): Promise<void> {
  const wanted = args.mounts.filter((m) => m.Type === 'volume' && m.CopyData && m.Name);
  if (wanted.length === 0) return;
  const target = await mkdtemp(join(args.workDir, 'copyup-'));
  try {
    await mountAll(args.rootfs, target);
    try {
      for (const m of wanted) {
        const src = await resolveInRoot(target, m.Destination);
        if (src === undefined) continue;
        const st = await lstat(src).catch(() => undefined);
        if (!st?.isDirectory()) continue;
        const vol = await args.open(m.Name!);
        try {
          if ((await readdir(vol.path)).length > 0) continue;
          const res = await exec('cp', ['-a', '--', `${src}/.`, `${vol.path}/`], { timeoutMs: 10 * 60_000 });
          if (res.code !== 0) throw new InternalError(`failed to populate volume: ${res.stderr.trim()}`);
        } finally {
          await vol.release();
        }
      }
    } finally {
      await unmount(target, { lazy: true });
    }
  } finally {
    await rm(target, { recursive: true, force: true });
  }
}

/**
 * `path` inside the tree at `root`, following symlinks as the container would see them (an absolute link is
 * relative to `root`, `..` stops at it). Undefined when some component is missing.
 */
export async function resolveInRoot(root: string, path: string): Promise<string | undefined> {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  const resolved: string[] = [];
  let hops = 0;
  while (parts.length > 0) {
    const part = parts.shift()!;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const full = join(root, ...resolved, part);
    const st = await lstat(full).catch(() => undefined);
    if (!st) return undefined;
    if (st.isSymbolicLink()) {
      if (++hops > 40) return undefined;
      const link = await readlink(full);
      if (isAbsolute(link)) resolved.length = 0;
      parts.unshift(...link.split('/').filter((p) => p !== '' && p !== '.'));
      continue;
    }
    resolved.push(part);
  }
  return join(root, ...resolved);
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function apiMounts(v: unknown): ApiMount[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((m) => typeof m === 'object' && m !== null && !Array.isArray(m))) {
    throw new InvalidArgumentError('json: cannot unmarshal into Go struct field HostConfig.Mounts of type []mount.Mount');
  }
  return v as ApiMount[];
}
