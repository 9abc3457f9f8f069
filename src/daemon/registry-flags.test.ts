import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDaemonArgs } from './config.js';

describe('berthd registry flags', () => {
  it('takes --insecure-registry and --registry-mirror, several times each', () => {
    const parsed = parseDaemonArgs(['--insecure-registry', '10.0.0.0/8', '--insecure-registry', 'reg.local:5000', '--registry-mirror', 'https://mirror.local/']);
    assert.equal(parsed.kind, 'run');
    assert.deepEqual(parsed.kind === 'run' && parsed.config.insecureRegistries, ['10.0.0.0/8', 'reg.local:5000']);
    assert.deepEqual(parsed.kind === 'run' && parsed.config.registryMirrors, ['https://mirror.local']);
  });

  it('takes --registry-certs-dir (dockerd reads /etc/docker/certs.d; berthd can be pointed elsewhere)', () => {
    const parsed = parseDaemonArgs(['--registry-certs-dir', '/tmp/certs.d']);
    assert.equal(parsed.kind === 'run' && parsed.config.registryCertsDir, '/tmp/certs.d');
    const plain = parseDaemonArgs([]);
    assert.equal(plain.kind === 'run' && plain.config.registryCertsDir, undefined);
  });

  it('refuses a mirror with a path or another scheme, in dockerd\'s words', () => {
    assert.throws(() => parseDaemonArgs(['--registry-mirror', 'https://mirror.local/v2/']), /invalid mirror: path, query, or fragment/);
    assert.throws(() => parseDaemonArgs(['--registry-mirror', 'ftp://mirror.local']), /invalid mirror: unsupported scheme "ftp"/);
    assert.throws(() => parseDaemonArgs(['--insecure-registry', 'host/path']), /invalid value "host\/path" for flag --insecure-registry/);
  });
});
