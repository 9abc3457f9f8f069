import Database from 'better-sqlite3';
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import type { ContainerRecord, ContainerState } from '../../core/containers.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../../core/networks.js';
import type {
  BlobRecord,
  BuildCacheRecord,
  GarbageCollected,
  ImageRecord,
  LayerRecord,
  MetadataStore,
  ReadTx,
  SnapshotKind,
  TagRecord,
  WriteTx,
} from '../../core/metadata.js';
import type { VolumeRecord } from '../../core/volumes.js';
import type { Digest } from '../../pkg/digest.js';
import { MIGRATIONS } from './schema.js';

interface ImageRow {
  id: Digest;
  config_json: string;
  size: number;
  loaded_at: string;
  repo_digests: string;
  chain_ids: string | null;
}
interface LayerRow {
  chain_id: Digest;
  diff_id: Digest;
  parent_chain_id: Digest | null;
  snapshot_id: string;
  size: number;
}
interface VolumeRow {
  name: string;
  driver: string;
  options: string;
  labels: string;
  created_at: string;
}

interface BuildCacheRow {
  key: string;
  parent_id: string;
  image_id: Digest;
  config_json: string;
  chain_ids: string;
  description: string;
  created_at: string;
  last_used: string;
}

function toBuildCache(r: BuildCacheRow): BuildCacheRecord {
  return {
    key: r.key,
    parentId: r.parent_id,
    imageId: r.image_id,
    configJson: r.config_json,
    chainIds: JSON.parse(r.chain_ids) as Digest[],
    description: r.description,
    createdAt: r.created_at,
    lastUsed: r.last_used,
  };
}

interface ContainerRow {
  id: string;
  state: string;
  restart_count: number;
}

/** The parts of a container record kept in the `record` JSON column (state and counters have columns). */
type StoredContainer = Omit<ContainerRecord, 'state' | 'restartCount'>;

const IMAGE_SELECT = `SELECT i.id, i.config_json, i.size, i.loaded_at, i.repo_digests,
  (SELECT json_group_array(chain_id) FROM (SELECT chain_id FROM image_layers l WHERE l.image_id = i.id ORDER BY position)) AS chain_ids
  FROM images i`;

/**
 * MetadataStore on SQLite in WAL mode (better-sqlite3: synchronous, so a transaction is one uninterrupted
 * callback). `synchronous=FULL` makes each commit durable before it returns: a committed image or container
 * survives a power cut, not only a process crash.
 */
export class SqliteMetadataStore implements MetadataStore {
  readonly #db: SqliteDatabase;
  readonly #stmts = new Map<string, Statement>();
  readonly #tx: WriteTx;
  /** One transaction function each, made once: better-sqlite3 builds a wrapper per `transaction()` call. */
  readonly #runInTx: ReturnType<SqliteDatabase['transaction']>;
  /**
   * Parsed container records (everything but state) by id. `ps` reads every container on every call and
   * parsing their JSON dominated it; the daemon is the only writer, so a write simply drops the entry and the
   * next read parses the committed row again (also after a rolled-back transaction).
   */
  readonly #records = new Map<string, StoredContainer>();
  /** Ids written by the update in progress: a read inside it may cache rows that a rollback then undoes. */
  readonly #written = new Set<string>();

  constructor(path: string) {
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
    migrate(this.#db);
    this.#tx = this.#makeTx();
    this.#runInTx = this.#db.transaction((fn: (tx: WriteTx) => unknown) => fn(this.#tx));
  }

  view<T>(fn: (tx: ReadTx) => T): T {
    // Reads in WAL mode see a consistent snapshot inside a deferred transaction.
    return this.#runInTx.deferred(fn) as T;
  }

  update<T>(fn: (tx: WriteTx) => T): T {
    try {
      return this.#runInTx.immediate(fn) as T;
    } catch (err) {
      for (const id of this.#written) this.#records.delete(id);
      throw err;
    } finally {
      this.#written.clear();
    }
  }

  close(): void {
    this.#db.close();
  }

  #stmt(sql: string): Statement {
    let s = this.#stmts.get(sql);
    if (s === undefined) {
      s = this.#db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  #makeTx(): WriteTx {
    const get = <R>(sql: string, ...params: unknown[]): R | undefined => this.#stmt(sql).get(...params) as R | undefined;
    const all = <R>(sql: string, ...params: unknown[]): R[] => this.#stmt(sql).all(...params) as R[];
    const run = (sql: string, ...params: unknown[]): number => this.#stmt(sql).run(...params).changes;
    const pluck = <R>(sql: string, ...params: unknown[]): R[] => this.#stmt(sql).pluck().all(...params) as R[];

    const toImage = (r: ImageRow): ImageRecord => ({
      id: r.id,
      configJson: r.config_json,
      chainIds: r.chain_ids === null ? [] : (JSON.parse(r.chain_ids) as Digest[]),
      size: r.size,
      loadedAt: r.loaded_at,
      repoDigests: JSON.parse(r.repo_digests) as string[],
    });
    const toLayer = (r: LayerRow): LayerRecord => ({
      chainId: r.chain_id,
      diffId: r.diff_id,
      parentChainId: r.parent_chain_id,
      snapshotId: r.snapshot_id,
      size: r.size,
    });
    const storedRecord = (id: string): StoredContainer => {
      let rec = this.#records.get(id);
      if (rec === undefined) {
        rec = JSON.parse(get<{ record: string }>('SELECT record FROM containers WHERE id = ?', id)!.record) as StoredContainer;
        this.#records.set(id, rec);
      }
      return rec;
    };
    const toContainer = (r: ContainerRow): ContainerRecord => ({
      ...storedRecord(r.id),
      state: JSON.parse(r.state) as ContainerState,
      restartCount: r.restart_count,
    });
    const toVolume = (r: VolumeRow): VolumeRecord => ({
      name: r.name,
      driver: r.driver,
      options: JSON.parse(r.options) as Record<string, string>,
      labels: JSON.parse(r.labels) as Record<string, string>,
      createdAt: r.created_at,
    });
    const forget = (id: string): void => {
      this.#records.delete(id);
      this.#written.add(id);
    };
    const prefixRange = (prefix: string): [string, string] => [prefix, `${prefix}\uffff`];

    return {
      getBlob: (digest) => {
        const r = get<{ digest: Digest; size: number; media_type: string }>('SELECT * FROM blobs WHERE digest = ?', digest);
        return r && { digest: r.digest, size: r.size, mediaType: r.media_type };
      },
      listBlobDigests: () => pluck<Digest>('SELECT digest FROM blobs'),
      getLayer: (chainId) => {
        const r = get<LayerRow>('SELECT * FROM layers WHERE chain_id = ?', chainId);
        return r && toLayer(r);
      },
      listLayers: () => all<LayerRow>('SELECT * FROM layers').map(toLayer),
      getImage: (id) => {
        const r = get<ImageRow>(`${IMAGE_SELECT} WHERE i.id = ?`, id);
        return r && toImage(r);
      },
      listImages: () => all<ImageRow>(`${IMAGE_SELECT} ORDER BY i.loaded_at DESC`).map(toImage),
      findImageIds: (hexPrefix) =>
        pluck<Digest>('SELECT id FROM images WHERE id >= ? AND id < ?', ...prefixRange(`sha256:${hexPrefix}`)),
      getTag: (ref) => get<{ image_id: Digest }>('SELECT image_id FROM tags WHERE ref = ?', ref)?.image_id,
      listTags: () => all<{ ref: string; image_id: Digest }>('SELECT * FROM tags ORDER BY ref').map((r): TagRecord => ({ ref: r.ref, imageId: r.image_id })),
      tagsOf: (imageId) => pluck<string>('SELECT ref FROM tags WHERE image_id = ? ORDER BY ref', imageId),
      getContainer: (id) => {
        const r = get<ContainerRow>('SELECT id, state, restart_count FROM containers WHERE id = ?', id);
        return r && toContainer(r);
      },
      getContainerByName: (name) => {
        const r = get<ContainerRow>('SELECT id, state, restart_count FROM containers WHERE name = ?', name);
        return r && toContainer(r);
      },
      findContainerIds: (prefix) => pluck<string>('SELECT id FROM containers WHERE id >= ? AND id < ?', ...prefixRange(prefix)),
      listContainers: () =>
        all<ContainerRow>('SELECT id, state, restart_count FROM containers ORDER BY created DESC, id').map(toContainer),
      containersUsingImage: (imageId) =>
        all<ContainerRow>('SELECT id, state, restart_count FROM containers WHERE image_id = ? ORDER BY created DESC', imageId).map(
          toContainer,
        ),
      listSnapshotIds: () => pluck<string>('SELECT id FROM snapshots'),
      getVolume: (name) => {
        const r = get<VolumeRow>('SELECT * FROM volumes WHERE name = ?', name);
        return r && toVolume(r);
      },
      listVolumes: () => all<VolumeRow>('SELECT * FROM volumes ORDER BY name').map(toVolume),
      volumeUsers: (name) => pluck<string>('SELECT container_id FROM container_volumes WHERE volume_name = ? ORDER BY container_id', name),
      listVolumeUses: () =>
        all<{ volume_name: string; container_id: string }>('SELECT volume_name, container_id FROM container_volumes').map((r) => ({
          volume: r.volume_name,
          containerId: r.container_id,
        })),
      getBuildCache: (key) => {
        const r = get<BuildCacheRow>('SELECT * FROM build_cache WHERE key = ?', key);
        return r && toBuildCache(r);
      },
      buildCacheByParent: (parentId) =>
        all<BuildCacheRow>('SELECT * FROM build_cache WHERE parent_id = ? ORDER BY created_at DESC', parentId).map(toBuildCache),
      buildCacheByImage: (imageId) => {
        const r = get<BuildCacheRow>('SELECT * FROM build_cache WHERE image_id = ? LIMIT 1', imageId);
        return r && toBuildCache(r);
      },
      listBuildCache: () => all<BuildCacheRow>('SELECT * FROM build_cache ORDER BY created_at').map(toBuildCache),
      blobSourcesOf: (diffId) =>
        all<{ diff_id: Digest; digest: Digest; media_type: string; size: number; repository: string }>(
          'SELECT * FROM blob_sources WHERE diff_id = ?',
          diffId,
        ).map((r) => ({ diffId: r.diff_id, digest: r.digest, mediaType: r.media_type, size: r.size, repository: r.repository })),
      putBlobSource: (src) => {
        run(
          'INSERT OR REPLACE INTO blob_sources (diff_id, digest, media_type, size, repository) VALUES (?, ?, ?, ?, ?)',
          src.diffId,
          src.digest,
          src.mediaType,
          src.size,
          src.repository,
        );
      },

      putBlob: (b: BlobRecord) => {
        run('INSERT OR IGNORE INTO blobs (digest, size, media_type) VALUES (?, ?, ?)', b.digest, b.size, b.mediaType);
      },
      deleteBlob: (digest) => {
        run('DELETE FROM blobs WHERE digest = ?', digest);
      },
      putLayer: (l) =>
        run(
          'INSERT OR IGNORE INTO layers (chain_id, diff_id, parent_chain_id, snapshot_id, size) VALUES (?, ?, ?, ?, ?)',
          l.chainId,
          l.diffId,
          l.parentChainId,
          l.snapshotId,
          l.size,
        ) === 1,
      deleteLayer: (chainId) => {
        run('DELETE FROM layers WHERE chain_id = ?', chainId);
      },
      putImage: (img) => {
        run(
          `INSERT INTO images (id, config_json, size, loaded_at, repo_digests) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET repo_digests = excluded.repo_digests`,
          img.id,
          img.configJson,
          img.size,
          img.loadedAt,
          JSON.stringify(img.repoDigests),
        );
        run('DELETE FROM image_layers WHERE image_id = ?', img.id);
        img.chainIds.forEach((chainId, position) => {
          run('INSERT INTO image_layers (image_id, position, chain_id) VALUES (?, ?, ?)', img.id, position, chainId);
        });
      },
      deleteImage: (id) => {
        run('DELETE FROM tags WHERE image_id = ?', id);
        run('DELETE FROM images WHERE id = ?', id);
      },
      setTag: (ref, imageId) => {
        run('INSERT INTO tags (ref, image_id) VALUES (?, ?) ON CONFLICT (ref) DO UPDATE SET image_id = excluded.image_id', ref, imageId);
      },
      deleteTag: (ref) => {
        run('DELETE FROM tags WHERE ref = ?', ref);
      },
      putSnapshot: (id, kind: SnapshotKind) => {
        run('INSERT INTO snapshots (id, kind) VALUES (?, ?)', id, kind);
      },
      deleteSnapshot: (id) => {
        run('DELETE FROM snapshots WHERE id = ?', id);
      },
      putContainer: (c) => {
        forget(c.id);
        const { state, restartCount, ...stored } = c;
        run(
          `INSERT INTO containers (id, name, image_id, top_chain_id, snapshot_id, created, record, state, restart_count)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET name = excluded.name, record = excluded.record, state = excluded.state,
             restart_count = excluded.restart_count`,
          c.id,
          c.name,
          c.imageId,
          c.topChainId,
          c.snapshotId,
          c.created,
          JSON.stringify(stored satisfies StoredContainer),
          JSON.stringify(state),
          restartCount,
        );
      },
      updateContainerState: (id, state, opts) => {
        if (opts?.restartCount !== undefined) {
          run('UPDATE containers SET state = ?, restart_count = ? WHERE id = ?', JSON.stringify(state), opts.restartCount, id);
        } else {
          run('UPDATE containers SET state = ? WHERE id = ?', JSON.stringify(state), id);
        }
      },
      renameContainer: (id, name) => {
        forget(id);
        run(`UPDATE containers SET name = ?, record = json_set(record, '$.name', ?) WHERE id = ?`, name, name, id);
      },
      deleteContainer: (id) => {
        forget(id);
        run('DELETE FROM containers WHERE id = ?', id);
      },
      putVolume: (v) => {
        run(
          `INSERT INTO volumes (name, driver, options, labels, created_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET driver = excluded.driver, options = excluded.options, labels = excluded.labels`,
          v.name,
          v.driver,
          JSON.stringify(v.options),
          JSON.stringify(v.labels),
          v.createdAt,
        );
      },
      deleteVolume: (name) => {
        run('DELETE FROM volumes WHERE name = ?', name);
      },
      setContainerVolumes: (containerId, names) => {
        run('DELETE FROM container_volumes WHERE container_id = ?', containerId);
        for (const n of new Set(names)) run('INSERT INTO container_volumes (container_id, volume_name) VALUES (?, ?)', containerId, n);
      },
      getNetwork: (id) => parseRecord<NetworkRecord>(get<{ record: string }>('SELECT record FROM networks WHERE id = ?', id)),
      getNetworkByName: (name) => parseRecord<NetworkRecord>(get<{ record: string }>('SELECT record FROM networks WHERE name = ?', name)),
      findNetworkIds: (prefix) => pluck<string>("SELECT id FROM networks WHERE id >= ? AND id < ? || 'g'", prefix, prefix),
      listNetworks: () => pluck<string>('SELECT record FROM networks ORDER BY name').map((r) => JSON.parse(r) as NetworkRecord),
      listEndpoints: (by) => {
        const rows =
          by.networkId !== undefined
            ? pluck<string>('SELECT record FROM network_endpoints WHERE network_id = ?', by.networkId)
            : by.containerId !== undefined
              ? pluck<string>('SELECT record FROM network_endpoints WHERE container_id = ?', by.containerId)
              : pluck<string>('SELECT record FROM network_endpoints');
        return rows.map((r) => JSON.parse(r) as EndpointRecord);
      },
      getSandbox: (containerId) => parseRecord<SandboxRecord>(get<{ record: string }>('SELECT record FROM network_sandboxes WHERE container_id = ?', containerId)),
      listSandboxes: () => pluck<string>('SELECT record FROM network_sandboxes').map((r) => JSON.parse(r) as SandboxRecord),
      putNetwork: (net) => {
        run('INSERT INTO networks (id, name, record) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, record = excluded.record', net.id, net.name, JSON.stringify(net));
      },
      deleteNetwork: (id) => {
        run('DELETE FROM networks WHERE id = ?', id);
      },
      putEndpoint: (ep) => {
        run(
          `INSERT INTO network_endpoints (network_id, container_id, ip, record) VALUES (?, ?, ?, ?)
           ON CONFLICT (network_id, container_id) DO UPDATE SET ip = excluded.ip, record = excluded.record`,
          ep.networkId,
          ep.containerId,
          ep.ip,
          JSON.stringify(ep),
        );
      },
      deleteEndpoint: (networkId, containerId) => {
        run('DELETE FROM network_endpoints WHERE network_id = ? AND container_id = ?', networkId, containerId);
      },
      putSandbox: (sb) => {
        run('INSERT INTO network_sandboxes (container_id, record) VALUES (?, ?) ON CONFLICT (container_id) DO UPDATE SET record = excluded.record', sb.containerId, JSON.stringify(sb));
      },
      deleteSandbox: (containerId) => {
        run('DELETE FROM network_sandboxes WHERE container_id = ?', containerId);
      },
      putBuildCache: (b) => {
        run(
          `INSERT INTO build_cache (key, parent_id, image_id, config_json, chain_ids, top_chain_id, description, created_at, last_used)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET image_id = excluded.image_id, config_json = excluded.config_json,
             chain_ids = excluded.chain_ids, top_chain_id = excluded.top_chain_id, description = excluded.description,
             last_used = excluded.last_used`,
          b.key,
          b.parentId,
          b.imageId,
          b.configJson,
          JSON.stringify(b.chainIds),
          b.chainIds[b.chainIds.length - 1] ?? null,
          b.description,
          b.createdAt,
          b.lastUsed,
        );
      },
      touchBuildCache: (key, at) => {
        run('UPDATE build_cache SET last_used = ? WHERE key = ?', at, key);
      },
      deleteBuildCache: (key) => {
        run('DELETE FROM build_cache WHERE key = ?', key);
      },
      collectGarbage: (): GarbageCollected => {
        // Mark: every layer an image lists or a container sits on, and all their ancestors.
        const live = new Set(
          pluck<Digest>(`WITH RECURSIVE live(chain_id) AS (
              SELECT chain_id FROM image_layers
              UNION SELECT top_chain_id FROM containers WHERE top_chain_id IS NOT NULL
              UNION SELECT top_chain_id FROM build_cache WHERE top_chain_id IS NOT NULL
              UNION SELECT l.parent_chain_id FROM layers l JOIN live ON l.chain_id = live.chain_id
                WHERE l.parent_chain_id IS NOT NULL)
            SELECT chain_id FROM live`),
        );
        // Sweep children before parents so the parent foreign key never blocks a delete.
        const dead = all<LayerRow>('SELECT * FROM layers').map(toLayer).filter((l) => !live.has(l.chainId));
        const depth = (l: LayerRecord): number => {
          let d = 0;
          for (let p = l.parentChainId; p !== null; p = dead.find((x) => x.chainId === p)?.parentChainId ?? null) d++;
          return d;
        };
        dead.sort((a, b) => depth(b) - depth(a));
        for (const l of dead) run('DELETE FROM layers WHERE chain_id = ?', l.chainId);
        const snapshotIds = pluck<string>(
          `SELECT id FROM snapshots s WHERE
             NOT EXISTS (SELECT 1 FROM layers l WHERE l.snapshot_id = s.id) AND
             NOT EXISTS (SELECT 1 FROM containers c WHERE c.snapshot_id = s.id)`,
        );
        for (const id of snapshotIds) run('DELETE FROM snapshots WHERE id = ?', id);
        const blobs = pluck<Digest>(
          `SELECT digest FROM blobs b WHERE
             NOT EXISTS (SELECT 1 FROM layers l WHERE l.diff_id = b.digest) AND
             NOT EXISTS (SELECT 1 FROM images i WHERE i.id = b.digest)`,
        );
        for (const d of blobs) run('DELETE FROM blobs WHERE digest = ?', d);
        run('DELETE FROM blob_sources WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.digest = blob_sources.diff_id)');
        return { layers: dead, blobs, snapshotIds };
      },
    };
  }
}

function migrate(db: SqliteDatabase): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`Metadata schema version ${current} is newer than this berthd understands (${MIGRATIONS.length})`);
  }
  if (current === MIGRATIONS.length) return;
  db.transaction(() => {
    for (let v = current; v < MIGRATIONS.length; v++) {
      db.exec(MIGRATIONS[v] ?? '');
    }
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}

function parseRecord<T>(row: { record: string } | undefined): T | undefined {
  return row === undefined ? undefined : (JSON.parse(row.record) as T);
}
