import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseChallenges } from './auth-challenge.js';

describe('parseChallenges', () => {
  it('reads a Bearer challenge with realm, service and scope', () => {
    const [c] = parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"');
    assert.deepEqual(c, {
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' },
    });
  });

  it('reads a Basic challenge and skips schemes registries do not use', () => {
    assert.deepEqual(parseChallenges(['Basic realm="basic-realm"', 'Negotiate']), [{ scheme: 'basic', params: { realm: 'basic-realm' } }]);
  });

  it('answers nothing for an absent header', () => {
    assert.deepEqual(parseChallenges(undefined), []);
  });
});
