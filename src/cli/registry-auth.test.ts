import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { configDir, DOCKER_HUB_SERVER, loadAuth, registryAuthHeader, removeAuth, serverKey, storeAuth } from './registry-auth.js';

describe('registry credentials in the docker config file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-auth-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the config dir as docker does: --config, then DOCKER_CONFIG, then ~/.docker', () => {
    assert.equal(configDir('/x', { DOCKER_CONFIG: '/y', HOME: '/h' }), '/x');
    assert.equal(configDir(undefined, { DOCKER_CONFIG: '/y', HOME: '/h' }), '/y');
    assert.equal(configDir(undefined, { HOME: '/h' }), '/h/.docker');
  });

  it('keys Docker Hub by its legacy URL and other registries by host', () => {
    assert.equal(serverKey(undefined), DOCKER_HUB_SERVER);
    assert.equal(serverKey('docker.io'), DOCKER_HUB_SERVER);
    assert.equal(serverKey('https://index.docker.io/v1/'), DOCKER_HUB_SERVER);
    assert.equal(serverKey('http://127.0.0.1:5000/v2/'), '127.0.0.1:5000');
  });

  it('stores auths[host].auth as base64 user:password (0600), reads it back, removes it', () => {
    storeAuth(dir, '127.0.0.1:5000', { username: 'alice', password: 'pa:ss' });
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
    assert.equal(cfg.auths['127.0.0.1:5000']?.auth, Buffer.from('alice:pa:ss').toString('base64'));
    assert.equal(statSync(join(dir, 'config.json')).mode & 0o777, 0o600);
    assert.deepEqual(loadAuth(dir, '127.0.0.1:5000'), { username: 'alice', password: 'pa:ss' });
    const header = JSON.parse(Buffer.from(registryAuthHeader(dir, '127.0.0.1:5000/app:1'), 'base64url').toString()) as Record<string, string>;
    assert.deepEqual(header, { username: 'alice', password: 'pa:ss', serveraddress: '127.0.0.1:5000' });
    assert.equal(Buffer.from(registryAuthHeader(dir, 'busybox'), 'base64url').toString(), '{}');
    assert.equal(removeAuth(dir, '127.0.0.1:5000'), true);
    assert.equal(removeAuth(dir, '127.0.0.1:5000'), false);
    assert.equal(loadAuth(dir, '127.0.0.1:5000'), undefined);
  });
});
