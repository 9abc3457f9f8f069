import { chmod, lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InternalError, InvalidArgumentError } from '../../core/errdefs.js';
import type { VolumeDriver, VolumeRecord } from '../../core/volumes.js';
import { isMountPoint, mountAll, unmount } from '../../pkg/mounter.js';

/** The options Docker's local driver knows (`size` needs quota support, which berth, like most hosts, lacks). */
const VALID_OPTIONS = ['type', 'o', 'device', 'size'];
/** An option that needs others (Docker's mandatoryOpts), checked in this order. */
const MANDATORY: [string, string[]][] = [
  ['device', ['type']],
  ['type', ['device']],
  ['o', ['device', 'type']],
];
const DATA_DIR = '_data';
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/**
 * Docker's `local` volume driver (moby daemon/volume/local).
 *
 * Layout under `root` (`<data-root>/volumes`, 0701): `<name>/` (0701) holds `_data/` (0755), the Mountpoint
 * containers bind. A volume created with `type` and `device` options is a mount of its own (a tmpfs, an `o=bind`
 * of a host directory, any filesystem mount(8) knows): it is mounted on `_data` when the first container using
 * it starts and unmounted when the last one stops, as Docker's driver does. References live in memory; after a
 * daemon restart `reconcile` takes those of containers that still run and unmounts the rest.
 */
export class LocalVolumeDriver implements VolumeDriver {
  readonly name = 'local';
  readonly #root: string;
  /** Volume name → ids of the containers holding it mounted. */
  readonly #refs = new Map<string, Set<string>>();
  /** One mount/unmount at a time per volume, so that two starts do not both mount. */
  readonly #busy = new Map<string, Promise<unknown>>();

  constructor(root: string) {
    this.#root = resolve(root);
  }

  static async open(root: string): Promise<LocalVolumeDriver> {
    const driver = new LocalVolumeDriver(root);
    await mkdir(driver.#root, { recursive: true, mode: 0o701 });
    await chmod(driver.#root, 0o701);
    return driver;
  }

  validateOptions(options: Record<string, string>): void {
    for (const key of Object.keys(options)) {
      if (!VALID_OPTIONS.includes(key)) throw new InvalidArgumentError(`invalid option: ${JSON.stringify(key)}`);
    }
    if (options['size'] !== undefined) throw new InvalidArgumentError('quota size requested but no quota support');
    for (const [opt, needs] of MANDATORY) {
      if (options[opt] === undefined) continue;
      for (const need of needs) {
        if (options[need] === undefined) throw new InvalidArgumentError(`missing required option: ${JSON.stringify(need)}`);
      }
    }
  }

  path(name: string): string {
    return join(this.#dir(name), DATA_DIR);
  }

  async create(name: string): Promise<void> {
    const dir = this.#dir(name);
    await mkdir(dir, { recursive: true, mode: 0o701 });
    await mkdir(join(dir, DATA_DIR), { recursive: true, mode: 0o755 });
  }

  async remove(name: string): Promise<void> {
    await this.#serial(name, async () => {
      this.#refs.delete(name);
      // A mounted volume's content is not ours to delete (a bind of a host directory): unmount first.
      await unmount(this.path(name), { lazy: true });
      await rm(this.#dir(name), { recursive: true, force: true });
    });
  }

  async mount(volume: VolumeRecord, ref: string): Promise<string> {
    const path = this.path(volume.name);
    await this.#serial(volume.name, async () => {
      const refs = this.#refs.get(volume.name) ?? new Set<string>();
      if (needsMount(volume) && refs.size === 0 && !(await isMountPoint(path))) {
        await mkdir(path, { recursive: true, mode: 0o755 });
        try {
          await mountAll([mountOf(volume)], path);
        } catch (err) {
          throw new InternalError(`error while mounting volume '${path}': failed to mount local volume: ${(err as Error).message}`, { cause: err });
        }
      }
      refs.add(ref);
      this.#refs.set(volume.name, refs);
    });
    return path;
  }

  async unmount(volume: VolumeRecord, ref: string): Promise<void> {
    await this.#serial(volume.name, async () => {
      const refs = this.#refs.get(volume.name);
      if (!refs?.delete(ref)) return;
      if (refs.size > 0) return;
      this.#refs.delete(volume.name);
      if (needsMount(volume)) await unmount(this.path(volume.name));
    });
  }

  async usage(name: string): Promise<number> {
    return directorySize(this.path(name));
  }

  async reconcile(volumes: VolumeRecord[], refs: Map<string, string[]>): Promise<void> {
    const known = new Map(volumes.map((v) => [v.name, v]));
    for (const v of volumes) {
      const users = refs.get(v.name) ?? [];
      if (users.length > 0) {
        // A container that still runs holds its own copy of the mount; ours must be there for the next one too.
        for (const ref of users) await this.mount(v, ref);
      } else if (needsMount(v)) {
        await unmount(this.path(v.name), { lazy: true });
      }
    }
    for (const entry of await readdir(this.#root)) {
      if (known.has(entry)) continue;
      await unmount(join(this.#root, entry, DATA_DIR), { lazy: true }).catch(() => undefined);
      await rm(join(this.#root, entry), { recursive: true, force: true });
    }
  }

  #dir(name: string): string {
    // Names are checked by the service; this keeps a bad one from ever naming a path outside the root.
    if (!NAME_RE.test(name)) throw new InvalidArgumentError(`invalid volume name ${JSON.stringify(name)}`);
    return join(this.#root, name);
  }

  async #serial<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#busy.get(name) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    this.#busy.set(name, next);
    try {
      return await next;
    } finally {
      if (this.#busy.get(name) === next) this.#busy.delete(name);
    }
  }
}

function needsMount(v: VolumeRecord): boolean {
  return (v.options['type'] ?? '') !== '' || (v.options['device'] ?? '') !== '';
}

/** `-o type=tmpfs -o device=tmpfs -o o=size=10m` → `mount -t tmpfs -o size=10m tmpfs <_data>`. */
function mountOf(v: VolumeRecord): { type: string; source: string; options: string[] } {
  const o = (v.options['o'] ?? '').split(',').filter((x) => x !== '');
  return { type: v.options['type'] || 'none', source: v.options['device'] ?? '', options: o };
}

/** Bytes of file content under `top`, a hardlinked inode counted once (Docker's directory size). */
async function directorySize(top: string): Promise<number> {
  const seen = new Set<string>();
  let size = 0;
  const pending = [top];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        pending.push(path);
        continue;
      }
      const st = await lstat(path, { bigint: true }).catch(() => undefined);
      if (!st) continue;
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
      size += Number(st.size);
    }
  }
  return size;
}
