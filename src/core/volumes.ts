/**
 * Volumes: named directories that outlive containers.
 *
 * Lifecycle. `create` records a volume (name, driver, driver options, labels) and the driver makes its
 * directory `<data-root>/volumes/<name>/_data` (the Mountpoint). A container that uses it takes a reference
 * while it runs: `mount(name, ref)` returns the host path to bind into the container; a local volume with
 * `type`/`device` options (a tmpfs, an `o=bind` of a host directory) is mounted there on the first reference
 * and unmounted when the last one is released. `remove` is refused while any container (running or not) uses
 * the volume: that rule is a foreign key in the metadata store, not a convention.
 */
export interface VolumeRecord {
  name: string;
  driver: string;
  /** The driver options as given (`-o type=tmpfs -o device=tmpfs -o o=size=10m`). */
  options: Record<string, string>;
  labels: Record<string, string>;
  /** RFC 3339 (seconds), as Docker shows CreatedAt. */
  createdAt: string;
}

/** Label Docker (23+) puts on anonymous volumes; prune without `all` removes only those. */
export const ANONYMOUS_VOLUME_LABEL = 'com.docker.volume.anonymous';

/** A volume driver: owns the volume's files and its mounts on the host. */
export interface VolumeDriver {
  readonly name: string;
  /** Checks driver options before anything is recorded (Docker's words on a bad option). */
  validateOptions(options: Record<string, string>): void;
  /** Makes the volume's directories; idempotent. */
  create(name: string): Promise<void>;
  /** Deletes the volume's files (after the store forgot it). */
  remove(name: string): Promise<void>;
  /** The Mountpoint: the host path a container binds. */
  path(name: string): string;
  /** Takes a reference for `ref` (a container id), mounting the volume when it needs a mount and is not mounted. */
  mount(volume: VolumeRecord, ref: string): Promise<string>;
  /** Releases `ref`'s reference; the last one unmounts. */
  unmount(volume: VolumeRecord, ref: string): Promise<void>;
  /** Bytes used under the volume's directory. */
  usage(name: string): Promise<number>;
  /**
   * After a daemon restart: takes the references of containers still running, unmounts what nobody uses, and
   * deletes directories of volumes the store does not know.
   */
  reconcile(volumes: VolumeRecord[], refs: Map<string, string[]>): Promise<void>;
}

/**
 * One mount of a container, resolved at create and stored in its record (Docker's MountPoint). `Source` is the
 * host path for binds and the volume's Mountpoint for volumes; tmpfs mounts have none.
 */
export interface MountPoint {
  Type: 'bind' | 'volume' | 'tmpfs';
  /** Volume name (volumes only). */
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  /** The mode string as given (`ro,z`), or `z` for local volumes without one (Docker's setBindModeIfNull). */
  Mode: string;
  RW: boolean;
  Propagation: string;
  /** Fill an empty volume from the image's directory at create. */
  CopyData?: boolean;
  /** The volume was created for this container (no name given): `rm -v` removes it. */
  Anonymous?: boolean;
  /** tmpfs mount options (size, mode) for Type tmpfs. */
  TmpfsOptions?: string[];
  /** `-v` creates a missing bind source; `--mount` refuses it. */
  CreateSource?: boolean;
  /** bind-recursive / volume subpath etc. are not supported: non-recursive binds (`bind-nonrecursive`). */
  NonRecursive?: boolean;
}
