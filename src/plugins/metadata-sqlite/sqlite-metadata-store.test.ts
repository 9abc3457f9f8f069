import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ZERO_TIME, type ContainerRecord } from '../../core/containers.js';
import type { Digest } from '../../pkg/digest.js';
import { MIGRATIONS } from './schema.js';
import { SqliteMetadataStore } from './sqlite-metadata-store.js';

const dir = mkdtempSync('/tmp/bt-meta-');
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = (): { store: SqliteMetadataStore; path: string } => {
  const path = join(dir, `db-${n++}.sqlite`);
  return { store: new SqliteMetadataStore(path), path };
};
const d = (c: string): Digest => `sha256:${c.repeat(64)}`;

function seedImage(store: SqliteMetadataStore, id: Digest, chain: Digest[], snapshotPrefix: string): void {
  store.update((tx) => {
    chain.forEach((c, i) => {
      tx.putBlob({ digest: c, size: 1, mediaType: 'layer' });
      tx.putSnapshot(`${snapshotPrefix}${i}`, 'layer');
      tx.putLayer({ chainId: c, diffId: c, parentChainId: i === 0 ? null : chain[i - 1]!, snapshotId: `${snapshotPrefix}${i}`, size: 10 });
    });
    tx.putBlob({ digest: id, size: 2, mediaType: 'config' });
    tx.putImage({ id, configJson: '{}', chainIds: chain, size: 10 * chain.length, loadedAt: new Date().toISOString(), repoDigests: [] });
  });
}

function container(id: string, name: string, imageId: Digest, top: Digest | null, snapshotId: string): ContainerRecord {
  return {
    id,
    name,
    imageName: 'img',
    imageId,
    topChainId: top,
    lowerSnapshotIds: [],
    snapshotId,
    created: new Date().toISOString(),
    path: 'true',
    args: [],
    config: {},
    hostConfig: {},
    state: { status: 'created', pid: 0, exitCode: 0, startedAt: ZERO_TIME, finishedAt: ZERO_TIME, error: '', oomKilled: false },
    logPath: '/l',
    dir: '/d',
    restartCount: 0,
  };
}

describe('SqliteMetadataStore', () => {
  it('migrates a new database to the latest schema version and uses WAL', () => {
    const { store, path } = fresh();
    store.close();
    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
  });

  it('refuses a database from a newer berthd', () => {
    const path = join(dir, 'newer.sqlite');
    const db = new Database(path);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    assert.throws(() => new SqliteMetadataStore(path), /newer than this berthd understands/);
  });

  it('keeps committed state across reopen, and a throwing update changes nothing', () => {
    const { store, path } = fresh();
    seedImage(store, d('1'), [d('a')], 'snap-a');
    store.update((tx) => tx.setTag('docker.io/library/x:latest', d('1')));
    assert.throws(() =>
      store.update((tx) => {
        tx.deleteTag('docker.io/library/x:latest');
        tx.deleteImage(d('1'));
        throw new Error('crash in the middle');
      }),
    );
    store.close();
    const reopened = new SqliteMetadataStore(path);
    assert.equal(reopened.view((tx) => tx.getTag('docker.io/library/x:latest')), d('1'));
    assert.deepEqual(reopened.view((tx) => tx.getImage(d('1'))?.chainIds), [d('a')]);
    reopened.close();
  });

  it('finds images and containers by id prefix and names uniquely', () => {
    const { store } = fresh();
    seedImage(store, d('1'), [d('a')], 'sa');
    store.update((tx) => {
      tx.putSnapshot('c1', 'active');
      tx.putContainer(container('ab'.repeat(32), 'web', d('1'), d('a'), 'c1'));
    });
    assert.deepEqual(store.view((tx) => tx.findImageIds('111')), [d('1')]);
    assert.deepEqual(store.view((tx) => tx.findContainerIds('abab')), ['ab'.repeat(32)]);
    assert.equal(store.view((tx) => tx.getContainerByName('web')?.id), 'ab'.repeat(32));
    assert.throws(() =>
      store.update((tx) => {
        tx.putSnapshot('c2', 'active');
        tx.putContainer(container('cd'.repeat(32), 'web', d('1'), d('a'), 'c2'));
      }),
    /UNIQUE/);
    store.close();
  });

  it('a rolled-back change to a container is not seen afterwards (the parsed-record cache follows the database)', () => {
    const { store } = fresh();
    seedImage(store, d('1'), [d('a')], 'sa');
    store.update((tx) => {
      tx.putSnapshot('c1', 'active');
      tx.putContainer(container('12'.repeat(32), 'before', d('1'), d('a'), 'c1'));
    });
    assert.equal(store.view((tx) => tx.listContainers()[0]?.config.Image), undefined);
    assert.throws(() =>
      store.update((tx) => {
        const c = tx.getContainer('12'.repeat(32))!;
        tx.putContainer({ ...c, config: { Image: 'changed' } });
        assert.equal(tx.getContainer('12'.repeat(32))?.config.Image, 'changed');
        throw new Error('roll back');
      }),
    );
    assert.equal(store.view((tx) => tx.getContainer('12'.repeat(32))?.config.Image), undefined);
    store.update((tx) => tx.renameContainer('12'.repeat(32), 'after'));
    assert.equal(store.view((tx) => tx.listContainers()[0]?.name), 'after');
    store.close();
  });

  it('will not forget a layer an image still lists (a schema constraint, not a convention)', () => {
    const { store } = fresh();
    seedImage(store, d('1'), [d('a')], 'sa');
    assert.throws(() => store.update((tx) => tx.deleteLayer(d('a'))), /FOREIGN KEY/);
    store.close();
  });

  it('keeps the layers of build cache rows through a garbage collection, until the row goes', () => {
    const { store } = fresh();
    seedImage(store, d('9'), [d('1'), d('2')], 'bc');
    store.update((tx) => {
      tx.deleteImage(d('9'));
      tx.putBuildCache({ key: 'k1', parentId: 'p', imageId: d('8'), configJson: '{}', chainIds: [d('1'), d('2')], description: '{}', createdAt: 'a', lastUsed: 'a' });
    });
    assert.deepEqual(store.update((tx) => tx.collectGarbage().layers), []);
    assert.equal(store.view((tx) => tx.buildCacheByParent('p'))[0]?.key, 'k1');
    assert.equal(store.view((tx) => tx.buildCacheByImage(d('8')))?.key, 'k1');
    store.update((tx) => tx.touchBuildCache('k1', 'b'));
    assert.equal(store.view((tx) => tx.getBuildCache('k1'))?.lastUsed, 'b');
    store.update((tx) => tx.deleteBuildCache('k1'));
    assert.deepEqual(store.update((tx) => tx.collectGarbage().layers.map((l) => l.chainId).sort()), [d('1'), d('2')]);
    assert.deepEqual(store.view((tx) => tx.listBuildCache()), []);
    store.close();
  });

  it('migrates a version 1 database to the build cache schema', () => {
    const path = join(dir, `db-${n++}.sqlite`);
    const db = new Database(path);
    db.exec(MIGRATIONS[0] ?? '');
    db.pragma('user_version = 1');
    db.close();
    const store = new SqliteMetadataStore(path);
    assert.deepEqual(store.view((tx) => tx.listBuildCache()), []);
    store.close();
  });

  it('collectGarbage sweeps exactly what nothing references, following parents', () => {
    const { store } = fresh();
    seedImage(store, d('1'), [d('a'), d('b')], 'one-');
    seedImage(store, d('2'), [d('a'), d('b'), d('c')], 'two-');
    store.update((tx) => {
      tx.putSnapshot('ctr', 'active');
      tx.putContainer(container('ef'.repeat(32), 'c', d('2'), d('c'), 'ctr'));
    });
    // Image 2 goes, but its container still sits on chain c (and so on a and b).
    let g = store.update((tx) => {
      tx.deleteImage(d('2'));
      return tx.collectGarbage();
    });
    assert.deepEqual(g.layers, []);
    assert.deepEqual(g.blobs, [d('2')]);
    // The container goes: chain c is unreferenced, a and b are still image 1's.
    g = store.update((tx) => {
      tx.deleteContainer('ef'.repeat(32));
      tx.deleteSnapshot('ctr');
      return tx.collectGarbage();
    });
    assert.deepEqual(g.layers.map((l) => l.chainId), [d('c')]);
    assert.deepEqual(g.snapshotIds, ['two-2']);
    // Image 1 goes: everything goes, children before parents.
    g = store.update((tx) => {
      tx.deleteImage(d('1'));
      return tx.collectGarbage();
    });
    assert.deepEqual(g.layers.map((l) => l.chainId), [d('b'), d('a')]);
    assert.deepEqual(g.snapshotIds.sort(), ['one-0', 'one-1']);
    assert.equal(store.view((tx) => tx.listBlobDigests().length), 0);
    assert.equal(store.view((tx) => tx.listSnapshotIds().length), 0);
    store.close();
  });
});

describe('volumes (migration 2)', () => {
  it('keeps volumes with their options and labels; a volume in use cannot be deleted; uses go with the container', () => {
    const { store } = fresh();
    seedImage(store, d('1'), [d('a')], 'vl');
    const vol = { name: 'data', driver: 'local', options: { type: 'tmpfs' }, labels: { a: 'b' }, createdAt: '2026-01-01T00:00:00Z' };
    const id = '9a'.repeat(32);
    store.update((tx) => {
      tx.putVolume(vol);
      tx.putVolume({ ...vol, name: 'spare' });
      tx.putSnapshot('cv', 'active');
      tx.putContainer(container(id, 'user', d('1'), d('a'), 'cv'));
      tx.setContainerVolumes(id, ['data', 'data']);
    });
    assert.deepEqual(store.view((tx) => tx.getVolume('data')), vol);
    assert.deepEqual(store.view((tx) => tx.listVolumes().map((v) => v.name)), ['data', 'spare']);
    assert.deepEqual(store.view((tx) => tx.volumeUsers('data')), [id]);
    assert.deepEqual(store.view((tx) => tx.listVolumeUses()), [{ volume: 'data', containerId: id }]);
    assert.throws(() => store.update((tx) => tx.deleteVolume('data')), /FOREIGN KEY constraint failed/);
    assert.throws(() => store.update((tx) => tx.setContainerVolumes(id, ['unknown'])), /FOREIGN KEY constraint failed/);
    store.update((tx) => tx.deleteContainer(id));
    assert.deepEqual(store.view((tx) => tx.volumeUsers('data')), []);
    store.update((tx) => tx.deleteVolume('data'));
    assert.equal(store.view((tx) => tx.getVolume('data')), undefined);
    store.close();
  });
});
