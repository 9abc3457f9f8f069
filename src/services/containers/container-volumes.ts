import { existsSync } from 'node:fs';
import type { ContainerRecord, ContainerConfig, HostConfig } from '../../core/containers.js';
import type { OciSpec } from '../../core/runtime.js';
import type { Snapshotter } from '../../core/snapshots.js';
import type { MountPoint } from '../../core/volumes.js';
import type { Logger } from '../images/image-store-deps.js';
import type { VolumeService } from '../volumes/volume-service.js';
import { createBindSources, ociMounts, populateVolumes, resolveMounts, volumeNames } from './mounts.js';

/**
 * What the container service does with volumes, in one place: resolve a new container's mounts (creating the
 * volumes it names), fill empty volumes from the image, take and release the volumes' references around each run,
 * and remove anonymous volumes with the container (`rm -v`, `--rm`).
 */
export class ContainerVolumes {
  readonly #volumes: VolumeService;
  readonly #snapshotter: Snapshotter;
  readonly #get: (idOrName: string) => ContainerRecord;
  readonly #log: Logger;

  constructor(deps: { volumes: VolumeService; snapshotter: Snapshotter; get: (idOrName: string) => ContainerRecord; log: Logger }) {
    this.#volumes = deps.volumes;
    this.#snapshotter = deps.snapshotter;
    this.#get = deps.get;
    this.#log = deps.log;
  }

  /** Resolves a new container's mounts; `created` lists the volumes made for it (removed again if create fails). */
  async resolve(hostConfig: HostConfig, configVolumes: ContainerConfig['Volumes']): Promise<{ points: MountPoint[]; volumeNames: string[]; created: string[] }> {
    const created: string[] = [];
    try {
      const points = await resolveMounts(
        { hostConfig, configVolumes },
        {
          ensureVolume: async (name, opts) => {
            const v = await this.#volumes.ensure(name, opts);
            // A named volume made on the way stays, as in Docker; an anonymous one is this container's alone.
            if (name === '') created.push(v.name);
            return { name: v.name, driver: v.driver, mountpoint: this.#volumes.path(v.name) };
          },
          mountsOf: (idOrName) => this.#get(idOrName).mounts ?? [],
        },
        existsSync,
      );
      return { points, volumeNames: volumeNames(points), created };
    } catch (err) {
      await this.discardCreated(created);
      throw err;
    }
  }

  /** Volumes made for a container that was not created after all. */
  async discardCreated(names: string[]): Promise<void> {
    for (const n of names) await this.#volumes.remove(n, { force: true }).catch(() => undefined);
  }

  /** Fills empty volumes from the image (Docker does it at create). */
  async populate(points: MountPoint[], snapshotId: string, lowerSnapshotIds: string[], workDir: string): Promise<void> {
    const ref = `populate-${snapshotId}`;
    await populateVolumes({
      mounts: points,
      rootfs: this.#snapshotter.mounts(snapshotId, lowerSnapshotIds),
      workDir,
      open: async (name) => ({ path: await this.#volumes.mount(name, ref), release: () => this.#volumes.unmount(name, ref) }),
    });
  }

  /** Before a start: each volume's reference (mounting it if it needs a mount) and missing `-v` sources made. */
  async acquire(c: ContainerRecord): Promise<Map<string, string>> {
    const sources = new Map<string, string>();
    const mounts = c.mounts ?? [];
    try {
      for (const m of mounts) {
        if (m.Type === 'volume' && m.Name) sources.set(m.Destination, await this.#volumes.mount(m.Name, c.id));
      }
      await createBindSources(mounts);
    } catch (err) {
      await this.release(c);
      throw err;
    }
    return sources;
  }

  /** After a run ends: the container's references go (the last one unmounts a tmpfs or bind volume). */
  async release(c: ContainerRecord): Promise<void> {
    for (const m of c.mounts ?? []) {
      if (m.Type !== 'volume' || !m.Name) continue;
      await this.#volumes.unmount(m.Name, c.id).catch((err: unknown) => this.#log.warn('volume unmount failed', { volume: m.Name, error: String(err) }));
    }
  }

  /** The OCI mounts of a container's volumes and binds (`sources`: the host paths `acquire` returned). */
  ociMounts(c: ContainerRecord, sources: ReadonlyMap<string, string> = new Map()): OciSpec['mounts'] {
    return ociMounts(c.mounts ?? [], sources);
  }

  /** `rm -v` and `--rm`: the anonymous volumes go with the container (named ones never do), unless others use them. */
  async removeAnonymous(c: ContainerRecord): Promise<void> {
    for (const m of c.mounts ?? []) {
      if (m.Type !== 'volume' || !m.Anonymous || !m.Name) continue;
      await this.#volumes.remove(m.Name, { force: true }).catch((err: unknown) => this.#log.debug('anonymous volume kept', { volume: m.Name, error: String(err) }));
    }
  }

  /** After a daemon restart: references of the containers that still run. */
  async reconcile(running: ContainerRecord[]): Promise<void> {
    const refs = new Map<string, string[]>();
    for (const c of running) {
      for (const name of volumeNames(c.mounts)) refs.set(name, [...(refs.get(name) ?? []), c.id]);
    }
    await this.#volumes.reconcile(refs);
  }
}
