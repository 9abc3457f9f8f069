import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../core/errdefs.js';
import { chooseAmd64, parseManifest } from './manifest.js';
import { progressBar } from './progress.js';

const D = (c: string): string => `sha256:${c.repeat(64)}`;

describe('parseManifest', () => {
  it('reads a Docker schema2 manifest', () => {
    const m = parseManifest(
      Buffer.from(JSON.stringify({ schemaVersion: 2, config: { mediaType: 'x', digest: D('a'), size: 3 }, layers: [{ mediaType: 'l', digest: D('b'), size: 9 }] })),
      'application/vnd.docker.distribution.manifest.v2+json',
    );
    assert.equal(m.kind, 'image');
    assert.equal(m.kind === 'image' && m.layers[0]?.digest, D('b'));
  });

  it('reads an OCI index and chooses its linux/amd64 entry', () => {
    const m = parseManifest(
      Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [
        { mediaType: 'm', digest: D('1'), size: 1, platform: { os: 'linux', architecture: 'arm64' } },
        { mediaType: 'm', digest: D('2'), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      ] })),
      'application/vnd.oci.image.index.v1+json',
    );
    assert.equal(m.kind, 'index');
    assert.equal(m.kind === 'index' && chooseAmd64(m.manifests)?.digest, D('2'));
  });

  it('refuses hostile descriptors and schema 1', () => {
    const type = 'application/vnd.oci.image.manifest.v1+json';
    const bad = (o: unknown): void => assert.throws(() => parseManifest(Buffer.from(JSON.stringify(o)), type), InvalidArgumentError);
    bad({ schemaVersion: 2, config: { digest: 'sha256:../../etc', size: 1 }, layers: [] });
    bad({ schemaVersion: 2, config: { digest: D('a'), size: -1 }, layers: [] });
    bad({ schemaVersion: 2, config: { digest: D('a'), size: 1 }, layers: 'nope' });
    bad({ schemaVersion: 1 });
    assert.throws(() => parseManifest(Buffer.from('{'), type), /invalid manifest/);
  });
});

describe('progressBar', () => {
  it('draws Docker\'s 50-wide bar with sizes', () => {
    const bar = progressBar(50, 100);
    assert.match(bar, /^\[={25}> {24}\] +50B\/100B$/);
    assert.match(progressBar(100, 100), /^\[={50}\] /);
  });
});
