import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DiskUsage } from '../../client/types.js';
import { formatDiskUsage, sortBuildCache } from './disk-usage-context.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const created = NOW / 1000 - 7200;

const du: DiskUsage = {
  LayersSize: 10_000_000,
  Images: [
    { Id: `sha256:${'a'.repeat(64)}`, ParentId: '', RepoTags: ['busybox:latest'], RepoDigests: [], Created: created, Size: 4_000_000, SharedSize: 0, Labels: null, Containers: 2 },
    { Id: `sha256:${'c'.repeat(64)}`, ParentId: '', RepoTags: [], RepoDigests: [], Created: created, Size: 6_000_000, SharedSize: 0, Labels: null, Containers: 0 },
  ],
  Containers: [
    { Id: 'b'.repeat(64), Names: ['/web'], Image: 'busybox', ImageID: `sha256:${'a'.repeat(64)}`, Command: 'sh', Created: created, Ports: [], SizeRw: 300, SizeRootFs: 4_000_300, Labels: null, State: 'running', Status: 'Up 2 hours', Mounts: [] },
    { Id: 'd'.repeat(64), Names: ['/old'], Image: 'busybox', ImageID: `sha256:${'a'.repeat(64)}`, Command: 'true', Created: created, Ports: [], SizeRw: 100, Labels: null, State: 'exited', Status: 'Exited (0) 1 hour ago', Mounts: [] },
  ],
  Volumes: [{ Name: 'data', Driver: 'local', Mountpoint: '/v/data', Labels: null, Scope: 'local', UsageData: { RefCount: 0, Size: 2048 } }],
  BuildCache: null,
};

test('system df prints docker’s summary table with reclaimable percentages', () => {
  assert.equal(
    formatDiskUsage(du, { format: '', verbose: false, now: NOW }),
    'TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE\n' +
      'Images          2         1         10MB      6MB (60%)\n' +
      'Containers      2         1         400B      100B (25%)\n' +
      'Local Volumes   1         0         2.048kB   2.048kB (100%)\n' +
      'Build Cache     0         0         0B        0B\n',
  );
});

test('system df --format json prints one object per row with sorted keys', () => {
  const lines = formatDiskUsage(du, { format: 'json', verbose: false, now: NOW }).trimEnd().split('\n');
  assert.equal(lines.length, 4);
  assert.equal(lines[0], '{"Active":"1","Reclaimable":"6MB (60%)","Size":"10MB","TotalCount":"2","Type":"Images"}');
  assert.equal(formatDiskUsage(du, { format: '{{.Type}}={{.TotalCount}}', verbose: false, now: NOW }), 'Images=2\nContainers=2\nLocal Volumes=1\nBuild Cache=0\n');
});

test('system df -v prints a table per kind', () => {
  const text = formatDiskUsage(du, { format: '', verbose: true, now: NOW });
  assert.equal(
    text,
    'Images space usage:\n\n' +
      'REPOSITORY   TAG       IMAGE ID       CREATED       SIZE      SHARED SIZE   UNIQUE SIZE   CONTAINERS\n' +
      'busybox      latest    aaaaaaaaaaaa   2 hours ago   4MB       0B            4MB           2\n' +
      '<none>       <none>    cccccccccccc   2 hours ago   6MB       0B            6MB           0\n' +
      '\nContainers space usage:\n\n' +
      'CONTAINER ID   IMAGE     COMMAND   LOCAL VOLUMES   SIZE      CREATED       STATUS                  NAMES\n' +
      'bbbbbbbbbbbb   busybox   "sh"      0               300B      2 hours ago   Up 2 hours              web\n' +
      'dddddddddddd   busybox   "true"    0               100B      2 hours ago   Exited (0) 1 hour ago   old\n' +
      '\nLocal Volumes space usage:\n\n' +
      'VOLUME NAME   LINKS     SIZE\n' +
      'data          0         2.048kB\n' +
      '\nBuild cache usage: 0B\n\n' +
      'CACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n',
  );
});

test('build cache rows sort never-used first, then by last use, ties by ID', () => {
  const rec = (ID: string, LastUsedAt: string | null) => ({ ID, Type: 'regular', Description: '', InUse: false, Shared: false, Size: 1, CreatedAt: '2026-01-01T00:00:00Z', LastUsedAt, UsageCount: 1 });
  const sorted = sortBuildCache([rec('b', '2026-01-01T02:00:00Z'), rec('z', null), rec('a', '2026-01-01T02:00:00Z'), rec('c', '2026-01-01T01:00:00Z'), rec('y', null)]);
  assert.deepEqual(
    sorted.map((r) => r.ID),
    ['y', 'z', 'c', 'a', 'b'],
  );
});
