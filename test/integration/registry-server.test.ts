// `berth registry serve` over real HTTP on loopback: the distribution API's upload, manifest, listing and deletion
// behaviour byte for byte, bad input in the spec's error format, auth (htpasswd, tokens), read-only mode, TLS,
// garbage collection, and skopeo copying images to and from it.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { BUSYBOX_TAR, ensureBusyboxImage, REPO } from '../harness.js';
import { skopeo, startBerthRegistry, useBerthRegistry as useRegistry, type RunningRegistry } from '../registry-peers.js';

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

let tmp: string;
before(() => {
  ensureBusyboxImage();
  tmp = mkdtempSync('/tmp/bt-registry-test-');
});
after(() => rmSync(tmp, { recursive: true, force: true }));


interface Reply {
  status: number;
  headers: Headers;
  body: Buffer;
  json: () => { errors?: { code: string; message: string; detail: unknown }[]; [k: string]: unknown };
}

async function call(reg: RunningRegistry, method: string, path: string, opts: { body?: Buffer | string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const url = path.startsWith('http') ? path : `http://${reg.host}${path}`;
  const r = await fetch(url, { method, headers: opts.headers, body: opts.body, redirect: 'manual' });
  const body = Buffer.from(await r.arrayBuffer());
  return { status: r.status, headers: r.headers, body, json: () => JSON.parse(body.toString('utf8')) };
}

function errorCode(r: Reply): string | undefined {
  return r.json().errors?.[0]?.code;
}

/** Pushes a blob monolithically and returns its digest. */
async function pushBlob(reg: RunningRegistry, name: string, data: Buffer): Promise<string> {
  const d = sha(data);
  const r = await call(reg, 'POST', `/v2/${name}/blobs/uploads/?digest=${d}`, { body: data });
  assert.equal(r.status, 201, r.body.toString());
  return d;
}

/** Pushes a config and a layer, then an image manifest of `mediaType` under `ref`; returns the manifest and its digest. */
async function pushImage(reg: RunningRegistry, name: string, ref: string, mediaType = DOCKER_MANIFEST): Promise<{ bytes: Buffer; digest: string; layer: string }> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, n: randomBytes(4).toString('hex') }));
  const layerData = randomBytes(3000);
  const configDigest = await pushBlob(reg, name, config);
  const layer = await pushBlob(reg, name, layerData);
  const manifest = {
    schemaVersion: 2,
    mediaType,
    config: { mediaType: mediaType === DOCKER_MANIFEST ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer, size: layerData.length }],
  };
  const bytes = Buffer.from(JSON.stringify(manifest, null, 3));
  const r = await call(reg, 'PUT', `/v2/${name}/manifests/${ref}`, { body: bytes, headers: { 'Content-Type': mediaType } });
  assert.equal(r.status, 201, r.body.toString());
  assert.equal(r.headers.get('docker-content-digest'), sha(bytes));
  return { bytes, digest: sha(bytes), layer };
}

/** Every file under the storage root's blobs/ directory. */
function blobFiles(root: string): string[] {
  const base = join(root, 'blobs');
  if (!existsSync(base)) return [];
  return readdirSync(base, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name);
}

describe('distribution API', () => {
  const reg = useRegistry();

  it('answers the version check with the API version header', async () => {
    const r = await call(reg(), 'GET', '/v2/');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('docker-distribution-api-version'), 'registry/2.0');
    assert.deepEqual(r.json(), {});
  });

  it('serves a monolithic upload, HEAD, GET and single byte ranges', async () => {
    const data = randomBytes(1000);
    const d = await pushBlob(reg(), 'blobs/mono', data);
    const head = await call(reg(), 'HEAD', `/v2/blobs/mono/blobs/${d}`);
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), '1000');
    assert.equal(head.headers.get('docker-content-digest'), d);
    const get = await call(reg(), 'GET', `/v2/blobs/mono/blobs/${d}`);
    assert.ok(get.body.equals(data));
    const part = await call(reg(), 'GET', `/v2/blobs/mono/blobs/${d}`, { headers: { Range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), 'bytes 100-199/1000');
    assert.ok(part.body.equals(data.subarray(100, 200)));
    const tail = await call(reg(), 'GET', `/v2/blobs/mono/blobs/${d}`, { headers: { Range: 'bytes=-10' } });
    assert.ok(tail.body.equals(data.subarray(990)));
    const beyond = await call(reg(), 'GET', `/v2/blobs/mono/blobs/${d}`, { headers: { Range: 'bytes=1000-' } });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get('content-range'), 'bytes */1000');
  });

  it('keeps blobs per repository: another repository does not see it until mounted', async () => {
    const data = randomBytes(500);
    const d = await pushBlob(reg(), 'mount/src', data);
    const unseen = await call(reg(), 'HEAD', `/v2/mount/dst/blobs/${d}`);
    assert.equal(unseen.status, 404);
    const mount = await call(reg(), 'POST', `/v2/mount/dst/blobs/uploads/?mount=${d}&from=mount/src`);
    assert.equal(mount.status, 201);
    assert.equal(mount.headers.get('docker-content-digest'), d);
    assert.match(mount.headers.get('location')!, new RegExp(`/v2/mount/dst/blobs/${d}$`));
    assert.equal((await call(reg(), 'GET', `/v2/mount/dst/blobs/${d}`)).body.equals(data), true);
    // Stored once, whatever the number of repositories using it.
    assert.equal(blobFiles(reg().root).filter((f) => d.endsWith(f)).length, 1);
    // A mount of a blob the source does not hold falls back to an upload session.
    const fallback = await call(reg(), 'POST', `/v2/mount/dst/blobs/uploads/?mount=${sha('nothing')}&from=mount/src`);
    assert.equal(fallback.status, 202);
    assert.ok(fallback.headers.get('docker-upload-uuid'));
  });

  it('takes a chunked upload, reports its status for resuming and refuses chunks out of order', async () => {
    const data = randomBytes(5000);
    const start = await call(reg(), 'POST', '/v2/blobs/chunked/blobs/uploads/');
    assert.equal(start.status, 202);
    assert.equal(start.headers.get('range'), '0-0');
    const uuid = start.headers.get('docker-upload-uuid')!;
    const location = start.headers.get('location')!;
    assert.match(location, new RegExp(`^http://${reg().host}/v2/blobs/chunked/blobs/uploads/${uuid}$`));
    const first = await call(reg(), 'PATCH', location, { body: data.subarray(0, 2000), headers: { 'Content-Range': '0-1999', 'Content-Type': 'application/octet-stream' } });
    assert.equal(first.status, 202);
    assert.equal(first.headers.get('range'), '0-1999');
    const status = await call(reg(), 'GET', location);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), '0-1999');
    assert.equal(status.headers.get('docker-upload-uuid'), uuid);
    assert.equal(status.headers.get('location'), location);
    const skipped = await call(reg(), 'PATCH', location, { body: data.subarray(3000, 4000), headers: { 'Content-Range': '3000-3999' } });
    assert.equal(skipped.status, 416);
    assert.equal(skipped.headers.get('range'), '0-1999');
    const second = await call(reg(), 'PATCH', location, { body: data.subarray(2000, 4000), headers: { 'Content-Range': '2000-3999' } });
    assert.equal(second.headers.get('range'), '0-3999');
    const d = sha(data);
    const done = await call(reg(), 'PUT', `${location}?digest=${d}`, { body: data.subarray(4000) });
    assert.equal(done.status, 201);
    assert.equal(done.headers.get('docker-content-digest'), d);
    assert.ok((await call(reg(), 'GET', `/v2/blobs/chunked/blobs/${d}`)).body.equals(data));
    assert.equal((await call(reg(), 'GET', location)).status, 404);
  });

  it('resumes an upload whose connection broke mid-chunk; the partial bytes never become a blob', async () => {
    const data = randomBytes(64 * 1024);
    const start = await call(reg(), 'POST', '/v2/blobs/resume/blobs/uploads/');
    const location = new URL(start.headers.get('location')!);
    // Promise 64 KiB, send 40 KiB, then cut the connection.
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port: reg().port, method: 'PATCH', path: location.pathname, headers: { 'Content-Length': data.length } });
      req.on('error', () => resolve());
      req.write(data.subarray(0, 40 * 1024), () => setTimeout(() => {
        req.destroy();
        resolve();
      }, 300));
    });
    let offset = -1;
    for (let i = 0; i < 50 && offset !== 40 * 1024; i++) {
      const st = await call(reg(), 'GET', location.href);
      assert.equal(st.status, 204);
      offset = Number(/^0-(\d+)$/.exec(st.headers.get('range')!)![1]) + 1;
      if (offset !== 40 * 1024) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(offset, 40 * 1024);
    assert.equal((await call(reg(), 'HEAD', `/v2/blobs/resume/blobs/${sha(data)}`)).status, 404);
    const rest = await call(reg(), 'PATCH', location.href, { body: data.subarray(offset), headers: { 'Content-Range': `${offset}-${data.length - 1}` } });
    assert.equal(rest.status, 202);
    const done = await call(reg(), 'PUT', `${location.href}?digest=${sha(data)}`);
    assert.equal(done.status, 201);
    assert.ok((await call(reg(), 'GET', `/v2/blobs/resume/blobs/${sha(data)}`)).body.equals(data));
  });

  it('fails an upload whose content does not match its digest and stores nothing', async () => {
    const before = blobFiles(reg().root).length;
    const data = randomBytes(2048);
    const wrong = sha('something else');
    const mono = await call(reg(), 'POST', `/v2/blobs/bad/blobs/uploads/?digest=${wrong}`, { body: data });
    assert.equal(mono.status, 400);
    assert.equal(errorCode(mono), 'DIGEST_INVALID');
    const start = await call(reg(), 'POST', '/v2/blobs/bad/blobs/uploads/');
    const location = start.headers.get('location')!;
    await call(reg(), 'PATCH', location, { body: data });
    const put = await call(reg(), 'PUT', `${location}?digest=${wrong}`);
    assert.equal(put.status, 400);
    assert.deepEqual(put.json().errors![0], { code: 'DIGEST_INVALID', message: 'provided digest did not match uploaded content', detail: { expected: wrong, actual: sha(data) } });
    assert.equal(errorCode(await call(reg(), 'GET', location)), 'BLOB_UPLOAD_UNKNOWN');
    for (const d of [wrong, sha(data)]) assert.equal(errorCode(await call(reg(), 'HEAD', `/v2/blobs/bad/blobs/${d}`).then((r) => call(reg(), 'GET', `/v2/blobs/bad/blobs/${d}`).then((g) => (assert.equal(r.status, 404), g)))), 'BLOB_UNKNOWN');
    assert.equal(blobFiles(reg().root).length, before);
    const noDigest = await call(reg(), 'PUT', `${(await call(reg(), 'POST', '/v2/blobs/bad/blobs/uploads/')).headers.get('location')}`);
    assert.equal(errorCode(noDigest), 'DIGEST_INVALID');
  });

  it('cancels an upload', async () => {
    const location = (await call(reg(), 'POST', '/v2/blobs/cancel/blobs/uploads/')).headers.get('location')!;
    assert.equal((await call(reg(), 'DELETE', location)).status, 204);
    assert.equal(errorCode(await call(reg(), 'DELETE', location)), 'BLOB_UPLOAD_UNKNOWN');
  });

  it('stores manifests byte for byte, by tag and digest, with content negotiation', async () => {
    const img = await pushImage(reg(), 'app/docker', 'v1');
    const byTag = await call(reg(), 'GET', '/v2/app/docker/manifests/v1', { headers: { Accept: DOCKER_MANIFEST } });
    assert.equal(byTag.status, 200);
    assert.ok(byTag.body.equals(img.bytes));
    assert.equal(byTag.headers.get('content-type'), DOCKER_MANIFEST);
    assert.equal(byTag.headers.get('docker-content-digest'), img.digest);
    const head = await call(reg(), 'HEAD', `/v2/app/docker/manifests/${img.digest}`);
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(img.bytes.length));
    const oci = await pushImage(reg(), 'app/oci', 'v1', OCI_MANIFEST);
    const refused = await call(reg(), 'GET', '/v2/app/oci/manifests/v1', { headers: { Accept: DOCKER_MANIFEST } });
    assert.equal(refused.status, 404);
    assert.equal(errorCode(refused), 'MANIFEST_UNKNOWN');
    const served = await call(reg(), 'GET', '/v2/app/oci/manifests/v1', { headers: { Accept: `${DOCKER_MANIFEST}, ${OCI_MANIFEST}` } });
    assert.ok(served.body.equals(oci.bytes));
    // An index of manifests the repository holds.
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: oci.digest, size: oci.bytes.length, platform: { architecture: 'amd64', os: 'linux' } }] }));
    const put = await call(reg(), 'PUT', `/v2/app/oci/manifests/${sha(index)}`, { body: index, headers: { 'Content-Type': OCI_INDEX } });
    assert.equal(put.status, 201);
    const got = await call(reg(), 'GET', `/v2/app/oci/manifests/${sha(index)}`, { headers: { Accept: OCI_INDEX } });
    assert.equal(got.headers.get('content-type'), OCI_INDEX);
    assert.ok(got.body.equals(index));
  });

  it('rejects bad manifests as distribution does', async () => {
    const img = await pushImage(reg(), 'app/bad', 'ok');
    const m = JSON.parse(img.bytes.toString()) as { layers: { digest: string }[] };
    // The reference digest does not match the body.
    const mismatch = await call(reg(), 'PUT', `/v2/app/bad/manifests/${sha('other')}`, { body: img.bytes, headers: { 'Content-Type': DOCKER_MANIFEST } });
    assert.equal(mismatch.status, 400);
    assert.equal(errorCode(mismatch), 'DIGEST_INVALID');
    // A layer the repository does not hold.
    m.layers[0]!.digest = sha('missing layer');
    const missing = await call(reg(), 'PUT', '/v2/app/bad/manifests/broken', { body: JSON.stringify(m), headers: { 'Content-Type': DOCKER_MANIFEST } });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.json().errors![0], { code: 'MANIFEST_BLOB_UNKNOWN', message: 'blob unknown to registry', detail: sha('missing layer') });
    // An index naming a manifest the repository does not hold.
    const index = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: sha('nope'), size: 2 }] });
    assert.equal(errorCode(await call(reg(), 'PUT', '/v2/app/bad/manifests/idx', { body: index, headers: { 'Content-Type': OCI_INDEX } })), 'MANIFEST_BLOB_UNKNOWN');
    for (const body of ['not json', JSON.stringify({ schemaVersion: 1, name: 'x' }), JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST })]) {
      const r = await call(reg(), 'PUT', '/v2/app/bad/manifests/junk', { body, headers: { 'Content-Type': OCI_MANIFEST } });
      assert.equal(r.status, 400, body);
      assert.equal(errorCode(r), 'MANIFEST_INVALID', body);
    }
    const unknownTag = await call(reg(), 'GET', '/v2/app/bad/manifests/nosuchtag');
    assert.equal(unknownTag.status, 404);
    assert.equal(errorCode(unknownTag), 'MANIFEST_UNKNOWN');
    assert.deepEqual((await call(reg(), 'GET', '/v2/app/bad/tags/list')).json(), { name: 'app/bad', tags: ['ok'] });
  });

  it('refuses invalid repository names and routes', async () => {
    for (const name of ['UPPER', 'a__-b', '-x', 'a/_layers']) {
      const r = await call(reg(), 'GET', `/v2/${name}/tags/list`);
      assert.equal(r.status, 400, name);
      assert.equal(errorCode(r), 'NAME_INVALID', name);
    }
    // fetch would normalise a dot segment away; a hostile client sends it raw.
    for (const [path, expected] of [['/v2/a/../../../etc/tags/list', 400], ['/v2/a/%2e%2e/b/blobs/uploads/', 400]] as const) {
      const status = await new Promise<number>((resolve, reject) => {
        request({ host: '127.0.0.1', port: reg().port, method: path.endsWith('/') ? 'POST' : 'GET', path }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        })
          .on('error', reject)
          .end();
      });
      assert.equal(status, expected, path);
    }
    assert.ok(!existsSync(join(reg().root, 'etc')) && !existsSync(join(reg().root, 'repositories', 'b')));
    assert.equal(errorCode(await call(reg(), 'GET', '/v2/nosuchrepo/tags/list')), 'NAME_UNKNOWN');
    assert.equal((await call(reg(), 'GET', '/v2/x/nothing-here')).status, 404);
    assert.equal(errorCode(await call(reg(), 'PATCH', '/v2/x/manifests/latest')), 'UNSUPPORTED');
  });

  it('pages tags and the catalog with n, last and Link', async () => {
    const img = await pushImage(reg(), 'paged/one', 'c');
    for (const tag of ['a', 'b', 'd']) {
      assert.equal((await call(reg(), 'PUT', `/v2/paged/one/manifests/${tag}`, { body: img.bytes, headers: { 'Content-Type': DOCKER_MANIFEST } })).status, 201);
    }
    const p1 = await call(reg(), 'GET', '/v2/paged/one/tags/list?n=2');
    assert.deepEqual(p1.json(), { name: 'paged/one', tags: ['a', 'b'] });
    assert.equal(p1.headers.get('link'), '</v2/paged/one/tags/list?last=b&n=2>; rel="next"');
    const p2 = await call(reg(), 'GET', '/v2/paged/one/tags/list?last=b&n=2');
    assert.deepEqual(p2.json().tags, ['c', 'd']);
    assert.equal(p2.headers.get('link'), null);
    assert.equal(errorCode(await call(reg(), 'GET', '/v2/paged/one/tags/list?n=abc')), 'PAGINATION_NUMBER_INVALID');
    const all = (await call(reg(), 'GET', '/v2/_catalog')).json().repositories as string[];
    assert.deepEqual(all, [...all].sort());
    assert.ok(all.includes('paged/one') && all.includes('app/docker'));
    assert.ok(!all.includes('blobs/mono'), 'a repository with blobs but no manifest is not listed');
    const c1 = await call(reg(), 'GET', '/v2/_catalog?n=1');
    assert.deepEqual(c1.json().repositories, [all[0]]);
    assert.equal(c1.headers.get('link'), `</v2/_catalog?last=${encodeURIComponent(all[0]!)}&n=1>; rel="next"`);
    const c2 = await call(reg(), 'GET', `/v2/_catalog?n=1&last=${encodeURIComponent(all[0]!)}`);
    assert.deepEqual(c2.json().repositories, [all[1]]);
  });

  it('answers Docker Hub v1 search over the catalog', async () => {
    const r = await call(reg(), 'GET', '/v1/search?q=paged&n=25');
    assert.deepEqual(r.json(), { num_pages: 1, num_results: 1, page_size: 25, query: 'paged', page: 1, results: [{ name: 'paged/one', description: '', star_count: 0, is_official: false, is_automated: false }] });
    const page2 = await call(reg(), 'GET', '/v1/search?q=app&n=1&page=2');
    assert.equal(page2.json().num_results, 3);
    assert.deepEqual((page2.json().results as { name: string }[]).map((x) => x.name), ['app/docker']);
    assert.equal(errorCode(await call(reg(), 'GET', '/v1/search?q=x&n=0')), 'PAGINATION_NUMBER_INVALID');
  });

  it('deletes manifests (with their tags), tags and blob links; garbage-collect removes what nothing references', async () => {
    const keep = await pushImage(reg(), 'gc/keep', 'v1');
    const gone = await pushImage(reg(), 'gc/gone', 'v1');
    const tagOnly = await pushImage(reg(), 'gc/keep', 'v2');
    assert.equal((await call(reg(), 'DELETE', `/v2/gc/gone/manifests/${gone.digest}`)).status, 202);
    assert.equal(errorCode(await call(reg(), 'GET', `/v2/gc/gone/manifests/${gone.digest}`)), 'MANIFEST_UNKNOWN');
    assert.equal(errorCode(await call(reg(), 'GET', '/v2/gc/gone/manifests/v1')), 'MANIFEST_UNKNOWN');
    assert.deepEqual((await call(reg(), 'GET', '/v2/gc/gone/tags/list')).json().tags, []);
    assert.equal(errorCode(await call(reg(), 'DELETE', `/v2/gc/gone/manifests/${gone.digest}`)), 'MANIFEST_UNKNOWN');
    // Deleting a tag leaves the manifest reachable by digest.
    assert.equal((await call(reg(), 'DELETE', '/v2/gc/keep/manifests/v2')).status, 202);
    assert.equal((await call(reg(), 'GET', `/v2/gc/keep/manifests/${tagOnly.digest}`)).status, 200);
    assert.equal((await call(reg(), 'DELETE', `/v2/gc/gone/blobs/${gone.layer}`)).status, 202);
    assert.equal(errorCode(await call(reg(), 'HEAD', `/v2/gc/gone/blobs/${gone.layer}`).then(() => call(reg(), 'GET', `/v2/gc/gone/blobs/${gone.layer}`))), 'BLOB_UNKNOWN');
    assert.equal(errorCode(await call(reg(), 'DELETE', `/v2/gc/gone/blobs/${gone.layer}`)), 'BLOB_UNKNOWN');

    // An upload abandoned a week ago, and one in progress.
    const stale = new URL((await call(reg(), 'POST', '/v2/gc/keep/blobs/uploads/')).headers.get('location')!);
    const fresh = new URL((await call(reg(), 'POST', '/v2/gc/keep/blobs/uploads/')).headers.get('location')!);
    const staleUuid = stale.pathname.split('/').pop()!;
    writeFileSync(join(reg().root, 'repositories/gc/keep/_uploads', staleUuid, 'startedat'), new Date(Date.now() - 8 * 24 * 3600 * 1000).toISOString());
    const hexOf = (d: string) => d.slice('sha256:'.length);
    const gc = (args: string[]) => spawnSync(process.execPath, [join(REPO, 'bin/berth'), 'registry', 'garbage-collect', '--root', reg().root, ...args], { encoding: 'utf8' });
    const dry = gc(['--dry-run']);
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`blob eligible for deletion: ${gone.digest}`));
    assert.match(dry.stdout, new RegExp(`blob eligible for deletion: ${gone.layer}`));
    assert.ok(blobFiles(reg().root).includes(hexOf(gone.layer)), 'a dry run deletes nothing');
    assert.match(dry.stdout, new RegExp(`upload gc/keep/${staleUuid} is abandoned`));
    assert.equal((await call(reg(), 'GET', stale.href)).status, 204, 'a dry run keeps the upload');
    const real = gc([]);
    assert.equal(real.status, 0, real.stderr);
    assert.equal(errorCode(await call(reg(), 'GET', stale.href)), 'BLOB_UPLOAD_UNKNOWN');
    assert.equal((await call(reg(), 'GET', fresh.href)).status, 204);
    const left = blobFiles(reg().root);
    assert.ok(!left.includes(hexOf(gone.layer)) && !left.includes(hexOf(gone.digest)));
    assert.ok(left.includes(hexOf(keep.layer)) && left.includes(hexOf(keep.digest)) && left.includes(hexOf(tagOnly.digest)));
    assert.ok((await call(reg(), 'GET', '/v2/gc/keep/manifests/v1')).body.equals(keep.bytes));
    // -m also forgets the untagged manifest.
    const untagged = gc(['-m']);
    assert.equal(untagged.status, 0, untagged.stderr);
    assert.ok(!blobFiles(reg().root).includes(hexOf(tagOnly.digest)));
    assert.equal((await call(reg(), 'GET', '/v2/gc/keep/manifests/v1')).status, 200);
  });
});

describe('read-only mode', () => {
  let root: string;
  let reg: RunningRegistry;
  before(async () => {
    root = join(tmp, 'ro-root');
    const rw = await startBerthRegistry([], { root });
    await pushImage(rw, 'ro/app', 'v1');
    await rw.stop();
    reg = await startBerthRegistry(['--read-only'], { root });
  });
  after(async () => reg?.stop());

  it('serves reads and refuses every write with 405 UNSUPPORTED', async () => {
    assert.equal((await call(reg, 'GET', '/v2/ro/app/manifests/v1')).status, 200);
    for (const [method, path] of [
      ['POST', '/v2/ro/app/blobs/uploads/'],
      ['PUT', '/v2/ro/app/manifests/v2'],
      ['DELETE', '/v2/ro/app/manifests/v1'],
    ] as const) {
      const r = await call(reg, method, path, method === 'PUT' ? { body: '{}' } : {});
      assert.equal(r.status, 405, `${method} ${path}`);
      assert.equal(errorCode(r), 'UNSUPPORTED');
    }
  });
});

describe('skopeo interoperability', () => {
  const reg = useRegistry();

  it('copies busybox in from a docker archive and back out to oci: and dir:', () => {
    skopeo(['copy', '--dest-tls-verify=false', `docker-archive:${BUSYBOX_TAR}`, `docker://${reg().host}/busybox:1`]);
    const oci = join(tmp, 'oci-out');
    skopeo(['copy', '--src-tls-verify=false', `docker://${reg().host}/busybox:1`, `oci:${oci}:1`]);
    const index = JSON.parse(readFileSync(join(oci, 'index.json'), 'utf8')) as { manifests: { annotations?: Record<string, string> }[] };
    assert.equal(index.manifests[0]?.annotations?.['org.opencontainers.image.ref.name'], '1');
    const dir = join(tmp, 'dir-out');
    skopeo(['copy', '--src-tls-verify=false', `docker://${reg().host}/busybox:1`, `dir:${dir}`]);
    assert.ok(readdirSync(dir).includes('manifest.json'));
    // And the OCI layout goes back in, to another repository (cross-repository blobs deduplicated on disk).
    skopeo(['copy', '--dest-tls-verify=false', `oci:${oci}:1`, `docker://${reg().host}/library/box:oci`]);
    const inspect = JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${reg().host}/library/box:oci`])) as { RepoTags: string[] };
    assert.deepEqual(inspect.RepoTags, ['oci']);
  });
});

describe('htpasswd auth', () => {
  const reg = useRegistry(() => {
    const file = join(tmp, 'htpasswd');
    writeFileSync(file, `alice:${bcrypt.hashSync('wonderland', 5).replace(/^\$2b\$/, '$2y$')}\n`);
    return ['--htpasswd', file];
  });
  const basic = (u: string, p: string) => ({ Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });

  it('challenges an anonymous or wrong client with 401 and WWW-Authenticate', async () => {
    for (const headers of [{}, basic('alice', 'wrong'), basic('bob', 'wonderland')]) {
      const r = await call(reg(), 'GET', '/v2/', { headers });
      assert.equal(r.status, 401);
      assert.equal(r.headers.get('www-authenticate'), 'Basic realm="Registry Realm"');
      assert.deepEqual(r.json(), { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required', detail: null }] });
    }
    const push = await call(reg(), 'POST', '/v2/x/blobs/uploads/');
    assert.equal(push.status, 401);
    assert.equal((await call(reg(), 'GET', '/v2/', { headers: basic('alice', 'wonderland') })).status, 200);
  });

  it('lets skopeo push and pull with credentials, and refuses it without', () => {
    assert.throws(() => skopeo(['copy', '--dest-tls-verify=false', `docker-archive:${BUSYBOX_TAR}`, `docker://${reg().host}/auth/busybox:1`]), /401|unauthorized|authentication required/i);
    skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'alice:wonderland', `docker-archive:${BUSYBOX_TAR}`, `docker://${reg().host}/auth/busybox:1`]);
    skopeo(['copy', '--src-tls-verify=false', '--src-creds', 'alice:wonderland', `docker://${reg().host}/auth/busybox:1`, `oci:${join(tmp, 'auth-oci')}:1`]);
  });
});

describe('token auth', () => {
  const reg = useRegistry(() => {
    const file = join(tmp, 'htpasswd-token');
    writeFileSync(file, `alice:${bcrypt.hashSync('wonderland', 5).replace(/^\$2b\$/, '$2y$')}\n`);
    return ['--htpasswd', file, '--token-auth', '--token-service', 'test-registry'];
  });

  it('challenges with the Bearer realm, service and scope, and issues tokens at the realm', async () => {
    const challenge = await call(reg(), 'POST', '/v2/tok/app/blobs/uploads/');
    assert.equal(challenge.status, 401);
    assert.equal(challenge.headers.get('www-authenticate'), `Bearer realm="http://${reg().host}/token",service="test-registry",scope="repository:tok/app:pull,push"`);
    assert.equal(errorCode(challenge), 'UNAUTHORIZED');
    const denied = await call(reg(), 'GET', '/token?service=test-registry&scope=repository:tok/app:pull,push', { headers: { Authorization: `Basic ${Buffer.from('alice:nope').toString('base64')}` } });
    assert.equal(denied.status, 401);
    // An anonymous token carries no access.
    const anon = (await call(reg(), 'GET', '/token?service=test-registry&scope=repository:tok/app:pull,push')).json().token as string;
    const insufficient = await call(reg(), 'POST', '/v2/tok/app/blobs/uploads/', { headers: { Authorization: `Bearer ${anon}` } });
    assert.equal(insufficient.status, 401);
    assert.match(insufficient.headers.get('www-authenticate')!, /error="insufficient_scope"/);
    const tok = await call(reg(), 'GET', '/token?service=test-registry&scope=repository:tok/app:pull,push', { headers: { Authorization: `Basic ${Buffer.from('alice:wonderland').toString('base64')}` } });
    assert.equal(tok.status, 200);
    const token = tok.json().token as string;
    const ok = await call(reg(), 'POST', '/v2/tok/app/blobs/uploads/', { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 202);
    // The token is for tok/app only.
    assert.equal((await call(reg(), 'POST', '/v2/tok/other/blobs/uploads/', { headers: { Authorization: `Bearer ${token}` } })).status, 401);
  });

  it('lets skopeo through the token flow with credentials', () => {
    skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'alice:wonderland', `docker-archive:${BUSYBOX_TAR}`, `docker://${reg().host}/tok/busybox:1`]);
    const out = JSON.parse(skopeo(['inspect', '--tls-verify=false', '--creds', 'alice:wonderland', `docker://${reg().host}/tok/busybox:1`])) as { Name: string };
    assert.equal(out.Name, `${reg().host}/tok/busybox`);
  });
});

describe('TLS', () => {
  let certDir: string;
  const reg = useRegistry(() => {
    const dir = join(tmp, 'tls');
    mkdirSync(dir);
    certDir = join(dir, 'certs.d');
    mkdirSync(certDir);
    const openssl = (args: string[]) => {
      const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
    };
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=berth registry test CA']);
    writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
    openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'server-cert.pem', '-days', '2', '-extfile', 'server.ext']);
    writeFileSync(join(certDir, 'ca.crt'), readFileSync(join(dir, 'ca.pem')));
    return ['--tls-cert', join(dir, 'server-cert.pem'), '--tls-key', join(dir, 'server-key.pem')];
  });

  it('serves HTTPS that skopeo verifies against the test CA', () => {
    skopeo(['copy', '--dest-cert-dir', certDir, `docker-archive:${BUSYBOX_TAR}`, `docker://${reg().host}/tls/busybox:1`]);
    skopeo(['copy', '--src-cert-dir', certDir, `docker://${reg().host}/tls/busybox:1`, `oci:${join(tmp, 'tls-oci')}:1`]);
    // Without the CA the certificate is refused.
    assert.throws(() => skopeo(['inspect', `docker://${reg().host}/tls/busybox:1`]), /certificate/i);
  });
});

describe('berth registry CLI', () => {
  it('refuses a bad listen address, half a TLS configuration and a missing root to collect', () => {
    const run = (args: string[]) => spawnSync(process.execPath, [join(REPO, 'bin/berth'), 'registry', 'serve', '--root', join(tmp, 'cli-root'), ...args], { encoding: 'utf8', timeout: 15_000 });
    const bad = run(['--addr', 'nonsense']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /invalid listen address "nonsense"/);
    const half = run(['--addr', '127.0.0.1:0', '--tls-cert', '/nonexistent']);
    assert.equal(half.status, 1);
    assert.match(half.stderr, /--tls-cert and --tls-key must be given together/);
    const gc = spawnSync(process.execPath, [join(REPO, 'bin/berth'), 'registry', 'garbage-collect', '--root', join(tmp, 'no-such-root')], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(gc.status, 1);
    assert.match(gc.stderr, /registry root .*no-such-root does not exist/);
  });
});
