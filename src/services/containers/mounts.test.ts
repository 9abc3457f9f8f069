import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { MountPoint } from '../../core/volumes.js';
import { ociMounts, parseApiMount, parseBind, parseVolumesFrom, resolveInRoot, resolveMounts, validMountMode } from './mounts.js';

const exists = (p: string): boolean => p === '/exists';

describe('parseBind (-v, Docker ParseMountRaw)', () => {
  it('tells binds from named and anonymous volumes and reads the mode', () => {
    assert.deepEqual(parseBind('/h:/c:ro,Z'), { Type: 'bind', Source: '/h', Destination: '/c', Mode: 'ro,Z', RW: false, Propagation: 'rprivate', CreateSource: true });
    assert.deepEqual(parseBind('/h/:/c/:rshared').Propagation, 'rshared');
    const named = parseBind('data:/var/lib/x:nocopy');
    assert.deepEqual([named.Type, named.Name, named.Destination, named.CopyData, named.Anonymous], ['volume', 'data', '/var/lib/x', false, false]);
    const anon = parseBind('/only');
    assert.deepEqual([anon.Type, anon.Name, anon.Anonymous, anon.CopyData], ['volume', undefined, true, true]);
  });
  it("refuses bad specs in Docker's words", () => {
    assert.throws(() => parseBind('data:rel'), { message: "invalid volume specification: 'data:rel': invalid mount config for type \"volume\": invalid mount path: 'rel' mount path must be absolute" });
    assert.throws(() => parseBind('/foo:rw'), { message: "invalid volume specification: '/foo:rw'" });
    assert.throws(() => parseBind('a:b:c:d'), { message: "invalid volume specification: 'a:b:c:d'" });
    assert.throws(() => parseBind('/h:/c:rw,ro'), { message: "invalid volume specification: '/h:/c:rw,ro': invalid mode: rw,ro" });
    assert.throws(() => parseBind('/h:/'), /destination can't be '\/'/);
    assert.ok(validMountMode('ro,z,rslave,nocopy,cached'));
    assert.ok(!validMountMode('bogus'));
  });
});

describe('parseApiMount (--mount, Docker ParseMountSpec)', () => {
  it('checks the bind source exists, fields per type, and converts tmpfs options', () => {
    assert.throws(() => parseApiMount({ Type: 'bind', Source: '/missing', Target: '/x' }, exists), {
      message: 'invalid mount config for type "bind": bind source path does not exist: /missing',
    });
    assert.equal(parseApiMount({ Type: 'bind', Source: '/exists', Target: '/x', ReadOnly: true }, exists).RW, false);
    assert.throws(() => parseApiMount({ Type: 'tmpfs', Source: 'x', Target: '/x' }, exists), /field Source must not be specified/);
    assert.throws(() => parseApiMount({ Type: 'volume', Target: '/x', BindOptions: {} }, exists), /field BindOptions must not be specified/);
    assert.throws(() => parseApiMount({ Type: 'volume' }, exists), /field Target must not be empty/);
    assert.throws(() => parseApiMount({ Type: 'npipe', Target: '/x' }, exists), /invalid mount config for type "npipe": mount type unknown/);
    assert.throws(() => parseApiMount({ Type: 'bind', Source: '/exists', Target: '/x', BindOptions: { Propagation: 'odd' } }, exists), /invalid propagation mode: odd/);
    const t = parseApiMount({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 10 * 1024 * 1024, Mode: 0o1770 } }, exists);
    assert.deepEqual(t.TmpfsOptions, ['mode=1770', 'size=10m']);
  });
  it('parses --volumes-from modes', () => {
    assert.deepEqual(parseVolumesFrom('c1'), { id: 'c1', mode: 'rw' });
    assert.deepEqual(parseVolumesFrom('c1:ro'), { id: 'c1', mode: 'ro' });
    assert.throws(() => parseVolumesFrom('c1:rshared'), /invalid mode: rshared/);
    assert.throws(() => parseVolumesFrom(''), /cannot be an empty string/);
  });
});

describe('resolveMounts', () => {
  const host = (created: string[]) => ({
    ensureVolume: async (name: string) => {
      const n = name || `anon${created.length}`;
      created.push(n);
      return { name: n, driver: 'local', mountpoint: `/vols/${n}/_data` };
    },
    mountsOf: (): MountPoint[] => [{ Type: 'volume', Name: 'shared', Source: '/vols/shared/_data', Destination: '/s', Driver: 'local', Mode: 'z', RW: true, Propagation: '' }],
  });
  it('orders volumes-from, -v, --mount, then image volumes; later ones win; duplicates refused', async () => {
    const created: string[] = [];
    const mounts = await resolveMounts(
      { hostConfig: { VolumesFrom: ['other:ro'], Binds: ['data:/d', '/exists:/s'], Mounts: [{ Type: 'tmpfs', Target: '/t' }] }, configVolumes: { '/d': {}, '/img': {} } },
      host(created),
      exists,
    );
    assert.deepEqual(mounts.map((m) => [m.Type, m.Destination, m.Name ?? m.Source, m.Mode]), [
      ['volume', '/d', 'data', 'z'],
      ['volume', '/img', 'anon1', ''],
      ['bind', '/s', '/exists', ''],
      ['tmpfs', '/t', '', ''],
    ]);
    assert.deepEqual(created, ['data', 'anon1']);
    await assert.rejects(resolveMounts({ hostConfig: { Binds: ['/a:/x', 'v:/x'] }, configVolumes: null }, host([]), exists), { message: 'Duplicate mount point: /x' });
    await assert.rejects(resolveMounts({ hostConfig: { Binds: ['/a:/x'], Tmpfs: { '/x': '' } }, configVolumes: null }, host([]), exists), /Duplicate mount point/);
  });
  it('gives OCI bind options (rbind, ro, propagation) and tmpfs defaults', () => {
    const oci = ociMounts([parseBind('/h:/c:ro'), parseApiMount({ Type: 'tmpfs', Target: '/t' }, exists)], new Map());
    assert.deepEqual(oci, [
      { destination: '/c', type: 'bind', source: '/h', options: ['rbind', 'ro', 'rprivate'] },
      { destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'rprivate'] },
    ]);
  });
});

describe('resolveInRoot', () => {
  it('follows symlinks inside the root, never out of it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mounts-test-'));
    try {
      mkdirSync(join(root, 'real/dir'), { recursive: true });
      symlinkSync('/real', join(root, 'abs'));
      symlinkSync('../../../../..', join(root, 'real/up'));
      assert.equal(await resolveInRoot(root, '/abs/dir'), join(root, 'real/dir'));
      assert.equal(await resolveInRoot(root, '/real/up/real'), join(root, 'real'));
      assert.equal(await resolveInRoot(root, '/missing'), undefined);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
