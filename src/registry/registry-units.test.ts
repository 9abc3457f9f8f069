// The registry's pure pieces: name grammar, digests, ranges, pagination, manifest validation, htpasswd and tokens.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { authorize, covers, grant, HtpasswdCheck, parseHtpasswd, parseScope, TokenIssuer, type AuthConfig } from './auth.js';
import { RegistryError } from './errors.js';
import { paginate, parseContentRange, parsePagination, parseRange } from './http-util.js';
import { accepts, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, parseManifest } from './manifests.js';
import { isRepositoryName, isTag, parseBlobDigest } from './names.js';

const HEX = 'a'.repeat(64);

describe('repository names and references', () => {
  it('accepts distribution grammar and refuses paths that could leave the storage root', () => {
    for (const ok of ['busybox', 'library/busybox', 'a/b/c', 'my-app', 'my__app', 'a.b_c', 'x1']) assert.ok(isRepositoryName(ok), ok);
    for (const bad of ['', 'UPPER', '../x', 'a/../b', 'a//b', '/a', 'a/', '_layers', 'a/_manifests', '-a', 'a-', '.', 'a/.', `${'a'.repeat(256)}`]) {
      assert.ok(!isRepositoryName(bad), bad);
    }
  });
  it('parses digests of the algorithms it can verify only', () => {
    assert.equal(parseBlobDigest(`sha256:${HEX}`)?.hex, HEX);
    assert.equal(parseBlobDigest(`sha512:${'b'.repeat(128)}`)?.algorithm, 'sha512');
    for (const bad of [`sha256:${HEX.slice(1)}`, `sha256:${HEX.toUpperCase()}`, `md5:${HEX}`, HEX, `sha256:../${HEX.slice(3)}`]) assert.equal(parseBlobDigest(bad), undefined, bad);
  });
  it('checks tags', () => {
    assert.ok(isTag('v1.0-rc_1'));
    assert.ok(!isTag('.hidden'));
    assert.ok(!isTag('a'.repeat(129)));
  });
});

describe('ranges and pagination', () => {
  it('parses Range over a blob', () => {
    assert.deepEqual(parseRange('bytes=2-5', 10), { start: 2, end: 5 });
    assert.deepEqual(parseRange('bytes=7-', 10), { start: 7, end: 9 });
    assert.deepEqual(parseRange('bytes=-3', 10), { start: 7, end: 9 });
    assert.deepEqual(parseRange('bytes=5-100', 10), { start: 5, end: 9 });
    assert.equal(parseRange('bytes=10-', 10), 'unsatisfiable');
    assert.equal(parseRange('bytes=5-2', 10), 'unsatisfiable');
    assert.equal(parseRange('items=1-2', 10), undefined);
    assert.equal(parseRange(undefined, 10), undefined);
  });
  it('parses a PATCH Content-Range and refuses a malformed one', () => {
    assert.deepEqual(parseContentRange('0-99'), { start: 0, end: 99 });
    assert.throws(() => parseContentRange('5-1'), (e: RegistryError) => e.code === 'RANGE_INVALID' && e.status === 416);
    assert.throws(() => parseContentRange('abc'), RegistryError);
  });
  it('pages a sorted list after `last`', () => {
    const all = ['a', 'b', 'c', 'd'];
    assert.deepEqual(paginate(all, 2, undefined), { page: ['a', 'b'], more: true });
    assert.deepEqual(paginate(all, 2, 'b'), { page: ['c', 'd'], more: false });
    assert.deepEqual(parsePagination(new URLSearchParams('n=5&last=x')), { n: 5, last: 'x' });
    assert.throws(() => parsePagination(new URLSearchParams('n=-1')), (e: RegistryError) => e.code === 'PAGINATION_NUMBER_INVALID');
    assert.throws(() => parsePagination(new URLSearchParams('n=100000')), (e: RegistryError) => e.code === 'PAGINATION_NUMBER_INVALID');
  });
});

describe('manifest validation', () => {
  const desc = (d = `sha256:${HEX}`) => ({ mediaType: 'application/octet-stream', digest: d, size: 3 });
  const body = (v: unknown) => Buffer.from(JSON.stringify(v));
  it('collects config and layers of an image manifest, skipping foreign layers', () => {
    const foreign = { mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: `sha256:${'c'.repeat(64)}`, size: 1, urls: ['https://x'] };
    const m = parseManifest(body({ schemaVersion: 2, mediaType: DOCKER_MANIFEST, config: desc(), layers: [desc(`sha256:${'b'.repeat(64)}`), foreign] }), DOCKER_MANIFEST);
    assert.deepEqual(m.blobs.map((b) => b.hex), [HEX, 'b'.repeat(64)]);
  });
  it('falls back to the body and its shape when the Content-Type says nothing', () => {
    assert.equal(parseManifest(body({ schemaVersion: 2, config: desc(), layers: [] }), undefined).mediaType, OCI_MANIFEST);
    assert.equal(parseManifest(body({ schemaVersion: 2, manifests: [desc()] }), 'application/json').mediaType, OCI_INDEX);
  });
  it('refuses what distribution refuses', () => {
    const invalid = (e: RegistryError) => e.code === 'MANIFEST_INVALID';
    assert.throws(() => parseManifest(Buffer.from('{'), DOCKER_MANIFEST), invalid);
    assert.throws(() => parseManifest(body({ schemaVersion: 1 }), undefined), invalid);
    assert.throws(() => parseManifest(body({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: desc() }), DOCKER_MANIFEST), invalid);
    assert.throws(() => parseManifest(body({ schemaVersion: 2, config: { digest: 'nope', size: 1 } }), OCI_MANIFEST), invalid);
    assert.throws(() => parseManifest(body({ schemaVersion: 2, config: desc() }), 'application/x-unknown'), invalid);
  });
  it('serves OCI types only to clients that accept them', () => {
    assert.ok(accepts(undefined, DOCKER_MANIFEST));
    assert.ok(!accepts(DOCKER_MANIFEST, OCI_MANIFEST));
    assert.ok(accepts(`${DOCKER_MANIFEST}, ${OCI_MANIFEST};q=0.9`, OCI_MANIFEST));
  });
});

describe('htpasswd and tokens', () => {
  const hash = bcrypt.hashSync('s3cret', 4).replace(/^\$2b\$/, '$2y$');
  const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
  it('checks bcrypt entries as htpasswd -B writes them, and ignores other kinds', async () => {
    const users = parseHtpasswd(`# comment\nalice:${hash}\nbob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n\n`);
    assert.deepEqual([...users.keys()], ['alice']);
    const check = new HtpasswdCheck(users);
    assert.equal(await check.check(basic('alice', 's3cret')), 'alice');
    assert.equal(await check.check(basic('alice', 's3cret')), 'alice');
    assert.equal(await check.check(basic('alice', 'wrong')), undefined);
    assert.equal(await check.check(basic('bob', 'password')), undefined);
    assert.equal(await check.check(undefined), undefined);
  });
  it('issues tokens it alone can verify, for the audience and lifetime they name', () => {
    let now = 1_000_000;
    const issuer = new TokenIssuer({ now: () => now, ttlSeconds: 60 });
    const access = grant('alice', [parseScope('repository:a/b:pull,push')!]);
    const { token } = issuer.issue('alice', 'svc', access);
    assert.deepEqual(issuer.verify(token, 'svc')?.access, [{ type: 'repository', name: 'a/b', actions: ['pull', 'push'] }]);
    assert.equal(issuer.verify(token, 'other'), undefined);
    assert.equal(new TokenIssuer({ now: () => now }).verify(token, 'svc'), undefined);
    const [h, p, s] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), access: [{ type: 'repository', name: 'x', actions: ['*'] }] })).toString('base64url');
    assert.equal(issuer.verify(`${h}.${forged}.${s}`, 'svc'), undefined);
    now += 120;
    assert.equal(issuer.verify(token, 'svc'), undefined);
  });
  it('grants nothing to an anonymous user and checks coverage per action', () => {
    assert.deepEqual(grant(undefined, [parseScope('repository:a:pull')!]), []);
    const g = [{ type: 'repository', name: 'a', actions: ['pull'] }];
    assert.ok(covers(g, [{ type: 'repository', name: 'a', actions: ['pull'] }]));
    assert.ok(!covers(g, [{ type: 'repository', name: 'a', actions: ['pull', 'push'] }]));
    assert.ok(!covers(g, [{ type: 'repository', name: 'b', actions: ['pull'] }]));
  });
  it('challenges with the realm, service and scope a request needs', async () => {
    const config: AuthConfig = { mode: 'token', realm: undefined, service: 'svc', htpasswd: new HtpasswdCheck(new Map()), issuer: new TokenIssuer() };
    await assert.rejects(
      authorize(config, undefined, [{ type: 'repository', name: 'a', actions: ['pull', 'push'] }], () => 'http://h/token'),
      (e: RegistryError) => e.status === 401 && e.headers['WWW-Authenticate'] === 'Bearer realm="http://h/token",service="svc",scope="repository:a:pull,push"',
    );
    await assert.rejects(authorize(config, 'Bearer garbage', [], () => 'r'), (e: RegistryError) => /invalid_token/.test(e.headers['WWW-Authenticate']!));
  });
});
