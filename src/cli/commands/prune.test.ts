import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildCachePruneResult,
  containerPruneResult,
  formatPruneReport,
  imagePruneFilters,
  imagePruneResult,
  networkPruneResult,
  volumePruneResult,
} from './prune.js';
import { systemPruneWarning } from './system.js';

test('container prune prints the deleted IDs, an empty line and the total', () => {
  const r = containerPruneResult({ ContainersDeleted: ['aaa', 'bbb'], SpaceReclaimed: 12345 });
  assert.equal(formatPruneReport([r]), 'Deleted Containers:\naaa\nbbb\n\nTotal reclaimed space: 12.35kB\n');
});

test('a prune that removed nothing prints only the total, 0B', () => {
  assert.equal(formatPruneReport([containerPruneResult({ ContainersDeleted: null, SpaceReclaimed: 0 })]), 'Total reclaimed space: 0B\n');
  // docker counts the space only when something was listed.
  assert.equal(containerPruneResult({ ContainersDeleted: [], SpaceReclaimed: 99 }).spaceReclaimed, 0);
});

test('image prune lists untagged and deleted entries', () => {
  const r = imagePruneResult({ ImagesDeleted: [{ Untagged: 'busybox:latest' }, { Deleted: 'sha256:abc' }], SpaceReclaimed: 4_200_000 });
  assert.equal(formatPruneReport([r]), 'Deleted Images:\nuntagged: busybox:latest\ndeleted: sha256:abc\n\nTotal reclaimed space: 4.2MB\n');
});

test('system prune output concatenates each step and totals the space', () => {
  const text = formatPruneReport([
    containerPruneResult({ ContainersDeleted: ['c1'], SpaceReclaimed: 1000 }),
    networkPruneResult({ NetworksDeleted: ['n1'] }),
    volumePruneResult({ VolumesDeleted: ['v1'], SpaceReclaimed: 2000 }),
    imagePruneResult({ ImagesDeleted: null, SpaceReclaimed: 0 }),
    buildCachePruneResult({ CachesDeleted: ['b1'], SpaceReclaimed: 500 }),
  ]);
  assert.equal(
    text,
    'Deleted Containers:\nc1\n\nDeleted Networks:\nn1\n\nDeleted Volumes:\nv1\n\nDeleted build cache objects:\nb1\n\nTotal reclaimed space: 3.5kB\n',
  );
});

test('image prune adds dangling=true, or dangling=false with --all, to the user filters', () => {
  const user = { label: { 'a=b': true } };
  assert.deepEqual(imagePruneFilters(user, false), { label: { 'a=b': true }, dangling: { true: true } });
  assert.deepEqual(imagePruneFilters(user, true), { label: { 'a=b': true }, dangling: { false: true } });
  assert.deepEqual(user, { label: { 'a=b': true } }, 'the caller’s filters are not changed');
});

test('systemPruneWarning reads like docker’s confirmation', () => {
  assert.equal(
    systemPruneWarning({ all: false, volumes: false, filters: {} }),
    'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all dangling images\n  - unused build cache\n\nAre you sure you want to continue?',
  );
  assert.equal(
    systemPruneWarning({ all: true, volumes: true, filters: { until: { '1h': true }, label: { 'a=b': true }, dangling: { true: true } } }),
    'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n' +
      '  - all anonymous volumes not used by at least one container\n  - all images without at least one container associated to them\n' +
      '  - all build cache\n\n  Items to be pruned will be filtered with:\n  - label=a=b\n  - until=1h\n\nAre you sure you want to continue?',
  );
});
