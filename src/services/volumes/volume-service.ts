import { ConflictError, InvalidArgumentError, NotFoundError } from '../../core/errdefs.js';
import type { EventPublisher } from '../../core/events.js';
import type { MetadataStore } from '../../core/metadata.js';
import { ANONYMOUS_VOLUME_LABEL, type VolumeDriver, type VolumeRecord } from '../../core/volumes.js';
import type { Filters } from '../../pkg/filters.js';
import { newId } from '../../pkg/ids.js';
import type { Logger } from '../images/image-store-deps.js';

export interface VolumeServiceDeps {
  metadata: MetadataStore;
  /** The `local` driver: the only one berth has (Docker's default). */
  driver: VolumeDriver;
  events: EventPublisher;
  now: () => Date;
  log: Logger;
}

/** What the Engine API shows of a volume (`GET /volumes/{name}`, one entry of `GET /volumes`). */
export interface VolumeView {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string>;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: 'local';
  UsageData?: { Size: number; RefCount: number };
}

export interface CreateVolumeRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

const LIST_FILTERS = ['dangling', 'name', 'driver', 'label'];
const PRUNE_FILTERS = ['label', 'label!', 'all'];
const VOLUME_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/**
 * Volume use cases: create, inspect, list, remove, prune, and the references containers take while they run.
 * The store says what exists and who uses it; the driver owns the directories and mounts. Creation is disk first
 * (the directory), then the record; removal forgets the record first, then deletes the files.
 */
export class VolumeService {
  readonly #deps: VolumeServiceDeps;
  #pruning = false;

  constructor(deps: VolumeServiceDeps) {
    this.#deps = deps;
  }

  /** `POST /volumes/create`: an existing volume of that name is returned as it is (Docker's rule). */
  async create(req: CreateVolumeRequest): Promise<VolumeView> {
    return this.view(await this.ensure(req.Name ?? '', { driver: req.Driver, options: req.DriverOpts ?? {}, labels: req.Labels ?? {} }));
  }

  /**
   * The volume named `name`, created when missing (an empty name makes an anonymous one, labelled as Docker
   * labels them). Used by `volume create` and by containers that name a volume that does not exist yet.
   */
  async ensure(name: string, opts: { driver?: string | undefined; options?: Record<string, string>; labels?: Record<string, string> } = {}): Promise<VolumeRecord> {
    const driver = opts.driver || 'local';
    const labels = { ...(opts.labels ?? {}) };
    if (name === '') {
      name = newId();
      labels[ANONYMOUS_VOLUME_LABEL] = '';
    }
    validateVolumeName(name, 'create');
    if (driver !== this.#deps.driver.name) {
      throw new NotFoundError(`create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    }
    const existing = this.#deps.metadata.view((tx) => tx.getVolume(name));
    if (existing) return existing;
    const options = { ...(opts.options ?? {}) };
    try {
      this.#deps.driver.validateOptions(options);
    } catch (err) {
      throw new InvalidArgumentError(`create ${name}: ${(err as Error).message}`, { cause: err });
    }
    await this.#deps.driver.create(name);
    const record: VolumeRecord = { name, driver, options, labels, createdAt: this.#deps.now().toISOString().replace(/\.\d+Z$/, 'Z') };
    const stored = this.#deps.metadata.update((tx) => {
      const raced = tx.getVolume(name);
      if (raced) return raced;
      tx.putVolume(record);
      return record;
    });
    if (stored === record) this.#publish('create', name, { driver });
    return stored;
  }

  get(name: string): VolumeRecord {
    const v = this.#deps.metadata.view((tx) => tx.getVolume(name));
    if (!v) throw noSuchVolume('get', name);
    return v;
  }

  inspect(name: string): VolumeView {
    return this.view(this.get(name));
  }

  view(v: VolumeRecord): VolumeView {
    return {
      CreatedAt: v.createdAt,
      Driver: v.driver,
      Labels: v.labels,
      Mountpoint: this.#deps.driver.path(v.name),
      Name: v.name,
      Options: Object.keys(v.options).length > 0 ? v.options : null,
      Scope: 'local',
    };
  }

  /** `GET /volumes` with Docker's filters: dangling, name (substring), driver, label. */
  list(filters: Filters): { Volumes: VolumeView[]; Warnings: string[] } {
    filters.validate(LIST_FILTERS);
    const dangling = filters.has('dangling') ? parseBoolFilter(filters, 'dangling') : undefined;
    const { volumes, used } = this.#deps.metadata.view((tx) => ({
      volumes: tx.listVolumes(),
      used: new Set(tx.listVolumeUses().map((u) => u.volume)),
    }));
    const out = volumes.filter((v) => {
      if (dangling !== undefined && used.has(v.name) === dangling) return false;
      if (!filters.regexMatch('name', v.name)) return false;
      if (!filters.regexMatch('driver', v.driver)) return false;
      return filters.matchKVList('label', v.labels);
    });
    return { Volumes: out.map((v) => this.view(v)), Warnings: [] };
  }

  /** `DELETE /volumes/{name}`: 409 while any container uses it; `force` only ignores a missing volume. */
  async remove(name: string, opts: { force: boolean }): Promise<void> {
    const removed = this.#deps.metadata.update((tx) => {
      const v = tx.getVolume(name);
      if (!v) {
        if (opts.force) return undefined;
        throw noSuchVolume('get', name);
      }
      const users = tx.volumeUsers(name);
      if (users.length > 0) throw new ConflictError(`remove ${name}: volume is in use - [${users.join(', ')}]`);
      tx.deleteVolume(name);
      return v;
    });
    if (!removed) return;
    await this.#deps.driver.remove(name).catch((err: unknown) => this.#deps.log.warn('volume directory removal failed', { name, error: String(err) }));
    this.#publish('destroy', name, { driver: removed.driver });
  }

  /**
   * `POST /volumes/prune`: local volumes no container uses and that have no driver options (Docker leaves those
   * alone: their data lives elsewhere). From API 1.42 only anonymous ones unless `all=true`.
   */
  async prune(filters: Filters, apiVersion: number): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }> {
    filters.validate(PRUNE_FILTERS);
    const all = filters.has('all') ? parseBoolFilter(filters, 'all') : false;
    if (this.#pruning) throw new ConflictError('a prune operation is already running');
    this.#pruning = true;
    try {
      const anonymousOnly = apiVersion >= 1.042 && !all;
      const candidates = this.#deps.metadata.view((tx) => {
        const used = new Set(tx.listVolumeUses().map((u) => u.volume));
        return tx.listVolumes().filter((v) => !used.has(v.name) && Object.keys(v.options).length === 0);
      });
      const deleted: string[] = [];
      let reclaimed = 0;
      for (const v of candidates) {
        if (anonymousOnly && !(ANONYMOUS_VOLUME_LABEL in v.labels)) continue;
        if (!filters.matchLabels(v.labels)) continue;
        const size = await this.#deps.driver.usage(v.name).catch(() => 0);
        try {
          await this.remove(v.name, { force: false });
        } catch (err) {
          this.#deps.log.warn('Could not remove volume', { volume: v.name, error: String(err) });
          continue;
        }
        deleted.push(v.name);
        reclaimed += size;
      }
      this.#publish('prune', '', { reclaimed: String(reclaimed) });
      return { VolumesDeleted: deleted, SpaceReclaimed: reclaimed };
    } finally {
      this.#pruning = false;
    }
  }

  /** Volumes for `system df`: local ones without driver options, with their size and number of users. */
  async diskUsage(): Promise<VolumeView[]> {
    const { volumes, uses } = this.#deps.metadata.view((tx) => ({ volumes: tx.listVolumes(), uses: tx.listVolumeUses() }));
    const counts = new Map<string, number>();
    for (const u of uses) counts.set(u.volume, (counts.get(u.volume) ?? 0) + 1);
    const out: VolumeView[] = [];
    for (const v of volumes) {
      if (Object.keys(v.options).length > 0) continue;
      const size = await this.#deps.driver.usage(v.name).catch(() => -1);
      out.push({ ...this.view(v), UsageData: { Size: size, RefCount: counts.get(v.name) ?? 0 } });
    }
    return out;
  }

  /** A container that starts takes a reference: the host path to bind, mounted first when the volume needs it. */
  async mount(name: string, ref: string): Promise<string> {
    return this.#deps.driver.mount(this.get(name), ref);
  }

  async unmount(name: string, ref: string): Promise<void> {
    const v = this.#deps.metadata.view((tx) => tx.getVolume(name));
    if (v) await this.#deps.driver.unmount(v, ref);
  }

  /** The volume's data directory on the host. */
  path(name: string): string {
    return this.#deps.driver.path(name);
  }

  /** After a daemon restart: `refs` are the volumes of containers that still run, by volume name. */
  async reconcile(refs: Map<string, string[]>): Promise<void> {
    const volumes = this.#deps.metadata.view((tx) => tx.listVolumes());
    await this.#deps.driver.reconcile(volumes, refs);
  }

  #publish(action: string, name: string, attrs: Record<string, string>): void {
    this.#deps.events.publish({ Type: 'volume', Action: action, Actor: { ID: name, Attributes: attrs } });
  }
}

/** Docker's local driver name rule, with its words; `op` is the operation named in front (`create`). */
export function validateVolumeName(name: string, op: string): void {
  if (name.length === 1) {
    throw new InvalidArgumentError(`${op} ${name}: volume name is too short, names should be at least two alphanumeric characters`);
  }
  if (!VOLUME_NAME_RE.test(name)) {
    throw new InvalidArgumentError(
      `${op} ${name}: ${JSON.stringify(name)} includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
}

export function noSuchVolume(op: string, name: string): NotFoundError {
  return new NotFoundError(`${op} ${name}: no such volume`);
}

function parseBoolFilter(filters: Filters, key: string): boolean {
  const values = filters.get(key);
  for (const v of values) {
    if (!['true', 'false', '1', '0'].includes(v)) throw new InvalidArgumentError(`Invalid filter '${key}=${v}'`);
  }
  return values.includes('true') || values.includes('1');
}
