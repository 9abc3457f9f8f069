// The two halves of berth's registry support against each other: berthd's registry client (driven by the docker
// CLI) pushing to and pulling from `berth registry serve`, plain, with htpasswd, with tokens, over TLS, search,
// and an OCI image put there by skopeo. Every registry is a child process on loopback with a temp root.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { BUSYBOX_TAR, ensureBusyboxImage, leftovers, networkLeftovers, startTestDaemon, useTestDaemon, type CommandResult } from '../harness.js';
import { pushOnlyWhatIsMissing, skopeo, startBerthRegistry, useBerthRegistry as useRegistry, type RunningRegistry } from '../registry-peers.js';

// docker build through the classic builder (berth has no BuildKit).
process.env['DOCKER_BUILDKIT'] = '0';
const tmp = mkdtempSync('/tmp/bt-interop-');
/** berthd's `--registry-certs-dir` (dockerd's /etc/docker/certs.d), private to this file. */
const certsDir = join(tmp, 'certs.d');
mkdirSync(certsDir);
const daemon = useTestDaemon({ extraArgs: ['--registry-certs-dir', certsDir] });

before(() => {
  ensureBusyboxImage();
});
after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function ok(r: CommandResult): string {
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  return r.stdout;
}


/** A raw GET to a registry over plain HTTP (the tests' own view of what it holds). */
function registryGet(host: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const [hostname, port] = host.split(':');
    const req = request({ host: hostname, port: Number(port), method: 'GET', path, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function htpasswdFile(name: string): string {
  const file = join(tmp, name);
  // `htpasswd -B` writes $2y$; bcryptjs writes $2b$ (the same hash).
  writeFileSync(file, `alice:${bcrypt.hashSync('wonderland', 5).replace(/^\$2b\$/, '$2y$')}\n`);
  return file;
}

describe('berthd and berth registry, no auth', () => {
  const reg = useRegistry();

  it('pushes, pushes only what is missing, and mounts across repositories', () => {
    assert.match(pushOnlyWhatIsMissing((args) => daemon().docker(args), reg().host), /Mounted from app\/busybox|Mounted from 127\.0\.0\.1:\d+\/app\/busybox/);
  });

  it('pulls by tag and by digest what it pushed, and runs it', async () => {
    const ref = `${reg().host}/app/busybox:1`;
    const tags = JSON.parse((await registryGet(reg().host, '/v2/app/busybox/tags/list')).body) as { tags: string[] };
    assert.deepEqual(tags.tags, ['1']);
    ok(daemon().docker(['rmi', ref, `${reg().host}/other/busybox:2`, 'busybox']));
    const pulled = ok(daemon().docker(['pull', ref]));
    assert.match(pulled, /Pull complete/);
    const digest = /Digest: (sha256:[a-f0-9]{64})/.exec(pulled)?.[1];
    assert.ok(digest, pulled);
    const head = await registryGet(reg().host, '/v2/app/busybox/manifests/1', { Accept: 'application/vnd.docker.distribution.manifest.v2+json' });
    assert.equal(head.headers['docker-content-digest'], digest);
    assert.match(ok(daemon().docker(['run', '--rm', '--network', 'none', ref, 'echo', 'from-berth-registry'])), /from-berth-registry/);
    ok(daemon().docker(['rmi', ref]));
    const byDigest = ok(daemon().docker(['pull', `${reg().host}/other/busybox@${digest}`]));
    assert.match(byDigest, new RegExp(`Digest: ${digest}`));
    assert.match(ok(daemon().docker(['images', '--digests', '--format', '{{.Repository}} {{.Digest}}'])), new RegExp(`${reg().host}/other/busybox ${digest}`));
    // Give busybox back its name for the tests after this one.
    const id = ok(daemon().docker(['image', 'inspect', '--format', '{{.Id}}', `${reg().host}/other/busybox@${digest}`])).trim();
    ok(daemon().docker(['tag', id, 'busybox']));
  });

  it('docker search lists the registry\'s catalog', () => {
    const out = ok(daemon().docker(['search', `${reg().host}/busy`]));
    const names = out.split('\n').slice(1).filter(Boolean).map((l) => l.split(/\s+/)[0]).sort();
    assert.deepEqual(names, ['app/busybox', 'other/busybox']);
    assert.match(out.split('\n')[0]!, /^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL/);
    const none = ok(daemon().docker(['search', `${reg().host}/nothing-like-it`]));
    assert.equal(none.split('\n').filter(Boolean).length, 1, none);
  });

  it('pulls and runs an OCI image that skopeo pushed', async () => {
    const oci = join(tmp, 'oci-layout');
    skopeo(['copy', `docker-archive:${BUSYBOX_TAR}`, `oci:${oci}:1`]);
    skopeo(['copy', '--dest-tls-verify=false', `oci:${oci}:1`, `docker://${reg().host}/oci/busybox:1`]);
    const m = await registryGet(reg().host, '/v2/oci/busybox/manifests/1', { Accept: 'application/vnd.oci.image.manifest.v1+json' });
    assert.equal(m.status, 200);
    assert.equal(m.headers['content-type'], 'application/vnd.oci.image.manifest.v1+json');
    const manifest = JSON.parse(m.body) as { config: { mediaType: string }; layers: { mediaType: string }[] };
    assert.equal(manifest.config.mediaType, 'application/vnd.oci.image.config.v1+json');
    assert.match(manifest.layers[0]!.mediaType, /^application\/vnd\.oci\.image\.layer\.v1\.tar(\+gzip)?$/);
    const ref = `${reg().host}/oci/busybox:1`;
    assert.match(ok(daemon().docker(['pull', ref])), /Status: (Downloaded newer image|Image is up to date) for/);
    assert.match(ok(daemon().docker(['run', '--rm', '--network', 'none', ref, 'echo', 'oci-ok'])), /oci-ok/);
    ok(daemon().docker(['rmi', ref]));
  });
});

describe('berthd and berth registry with htpasswd', () => {
  const reg = useRegistry(() => ['--htpasswd', htpasswdFile('htpasswd')]);

  it('refuses an anonymous push, logs in, pushes and pulls with the credentials', () => {
    const ref = `${reg().host}/private/busybox:1`;
    ok(daemon().docker(['tag', 'busybox', ref]));
    const anon = daemon().docker(['push', ref]);
    assert.equal(anon.code, 1);
    assert.match(anon.stdout + anon.stderr, /no basic auth credentials/);
    const bad = daemon().docker(['login', '-u', 'alice', '--password-stdin', reg().host], { input: 'nope\n' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /401 Unauthorized/);
    assert.match(ok(daemon().docker(['login', '-u', 'alice', '--password-stdin', reg().host], { input: 'wonderland\n' })), /Login Succeeded/);
    assert.match(ok(daemon().docker(['push', ref])), /Pushed|Layer already exists/);
    ok(daemon().docker(['rmi', ref]));
    assert.match(ok(daemon().docker(['pull', ref])), /Status: Downloaded newer image|Image is up to date/);
    const found = ok(daemon().docker(['search', `${reg().host}/private`]));
    assert.match(found, /private\/busybox/);
    // A build's --pull takes the credentials the docker CLI sends in X-Registry-Config.
    const built = ok(daemon().docker(['build', '--pull', '-t', 'interop/private-child', '-'], { input: `FROM ${ref}\nLABEL from=private\n` }));
    assert.match(built, /Status: (Image is up to date|Downloaded newer image) for 127\.0\.0\.1:\d+\/private\/busybox:1/);
    ok(daemon().docker(['rmi', 'interop/private-child']));
    ok(daemon().docker(['logout', reg().host]));
    const refused = daemon().docker(['build', '--pull', '-'], { input: `FROM ${ref}\n` });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /no basic auth credentials/);
    ok(daemon().docker(['rmi', ref]));
    // dockerd answers a refused pull with a 500, not a 401 (on which the docker CLI would prompt for a Hub login).
    const anonPull = daemon().docker(['pull', ref], { timeoutMs: 20_000 });
    assert.doesNotMatch(anonPull.stdout, /Login prior to pull/);
    assert.equal(anonPull.code, 1);
    assert.match(anonPull.stderr, /^Error response from daemon: .*no basic auth credentials/m);
    const anonRun = daemon().docker(['run', '--rm', '--network', 'none', ref, 'true'], { timeoutMs: 20_000 });
    assert.equal(anonRun.code, 125);
    assert.match(anonRun.stderr, /no basic auth credentials/);
  });
});

describe('berthd and berth registry with token auth', () => {
  const reg = useRegistry(() => ['--htpasswd', htpasswdFile('htpasswd-token'), '--token-auth']);

  it('goes through the Bearer flow for login, push and pull', () => {
    const ref = `${reg().host}/tok/busybox:1`;
    ok(daemon().docker(['tag', 'busybox', ref]));
    const anon = daemon().docker(['push', ref]);
    assert.equal(anon.code, 1);
    assert.match(anon.stdout + anon.stderr, /unauthorized|insufficient_scope|authentication required/);
    const bad = daemon().docker(['login', '-u', 'alice', '--password-stdin', reg().host], { input: 'nope\n' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unauthorized/);
    assert.match(ok(daemon().docker(['login', '-u', 'alice', '--password-stdin', reg().host], { input: 'wonderland\n' })), /Login Succeeded/);
    assert.match(ok(daemon().docker(['push', ref])), /digest: sha256:/);
    ok(daemon().docker(['rmi', ref]));
    assert.match(ok(daemon().docker(['pull', ref])), /Status: Downloaded newer image|Image is up to date/);
    ok(daemon().docker(['logout', reg().host]));
    ok(daemon().docker(['rmi', ref]));
    const anonPull = daemon().docker(['pull', ref], { timeoutMs: 20_000 });
    assert.equal(anonPull.code, 1);
    assert.match(anonPull.stderr, /^Error response from daemon: .*(unauthorized|denied)/m);
  });
});

/** A throwaway CA and a server certificate for `ip` signed by it, in a temp directory. */
function makeCerts(dir: string, ip: string): { ca: string; cert: string; key: string } {
  const openssl = (args: string[]): void => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=berth interop test CA']);
  writeFileSync(join(dir, 'server.ext'), `subjectAltName=IP:${ip}\n`);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', `/CN=${ip}`]);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'server-cert.pem', '-days', '2', '-extfile', 'server.ext']);
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'server-cert.pem'), key: join(dir, 'server-key.pem') };
}

describe('berthd and berth registry over TLS on loopback', () => {
  const reg = useRegistry(() => {
    const certs = makeCerts(mkdtempSync(join(tmp, 'tls-')), '127.0.0.1');
    return ['--tls-cert', certs.cert, '--tls-key', certs.key, '--htpasswd', htpasswdFile('htpasswd-tls'), '--token-auth'];
  });

  it('logs in, pushes and pulls over HTTPS without verification (loopback is insecure by default), tokens included', () => {
    const ref = `${reg().host}/tls/busybox:1`;
    ok(daemon().docker(['tag', 'busybox', ref]));
    // The token realm is https://127.0.0.1:P/token: the same unverified TLS as the registry it serves.
    assert.match(ok(daemon().docker(['login', '-u', 'alice', '--password-stdin', reg().host], { input: 'wonderland\n' })), /Login Succeeded/);
    assert.match(ok(daemon().docker(['push', ref])), /digest: sha256:/);
    ok(daemon().docker(['rmi', ref]));
    assert.match(ok(daemon().docker(['pull', ref])), /Status: Downloaded newer image|Image is up to date/);
    ok(daemon().docker(['logout', reg().host]));
    ok(daemon().docker(['rmi', ref]));
  });
});

describe('berthd and berth registry over TLS on a non-loopback address', () => {
  // The test daemon's own bridge address: local, made by this test, and not insecure by default as 127/8 is.
  const ip = (): string => daemon().net.bip.replace(/\/\d+$/, '');
  let ca = '';
  let reg: RunningRegistry | undefined;
  before(async () => {
    const certs = makeCerts(mkdtempSync(join(tmp, 'tls-')), ip());
    ca = certs.ca;
    reg = await startBerthRegistry(['--tls-cert', certs.cert, '--tls-key', certs.key], { ip: ip() });
  });
  after(async () => {
    await reg?.stop();
  });

  it('refuses an unknown CA, then verifies with the CA from the certs directory', () => {
    const ref = `${reg!.host}/verified/busybox:1`;
    ok(daemon().docker(['tag', 'busybox', ref]));
    const refused = daemon().docker(['push', ref]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`Get "https://${ip().replace(/\./g, '\\.')}:\\d+/v2/": tls: failed to verify certificate: x509: certificate signed by unknown authority`));
    mkdirSync(join(certsDir, reg!.host));
    copyFileSync(ca, join(certsDir, reg!.host, 'ca.crt'));
    assert.match(ok(daemon().docker(['push', ref])), /digest: sha256:/);
    ok(daemon().docker(['rmi', ref]));
    assert.match(ok(daemon().docker(['pull', ref])), /Status: (Downloaded newer image|Image is up to date)/);
    ok(daemon().docker(['rmi', ref]));
  });

  it('skips verification for a registry given with --insecure-registry', async () => {
    // A second berthd, told the registry is insecure and given no CA: it pulls (and runs) what the first pushed.
    const other = await startTestDaemon({ loadBusybox: false, extraArgs: ['--insecure-registry', reg!.host] });
    try {
      const ref = `${reg!.host}/verified/busybox:1`;
      assert.match(ok(other.docker(['pull', ref])), /Pull complete/);
      assert.match(ok(other.docker(['run', '--rm', '--network', 'none', ref, 'echo', 'insecure-ok'])), /insecure-ok/);
    } finally {
      const root = other.root;
      await other.stop();
      assert.deepEqual(leftovers(root), { mounts: [], pids: [] });
      assert.deepEqual(networkLeftovers(other.net), { links: [], rules: [] });
    }
  });
});

describe('build pulls the images it starts from', () => {
  const reg = useRegistry();

  it('pulls a missing FROM image, uses the local one, and re-pulls with --pull', () => {
    const base = `${reg().host}/base/img:1`;
    const build = (args: string[], dockerfile: string): string => ok(daemon().docker(['build', ...args, '-'], { input: dockerfile, timeoutMs: 120_000 }));
    build(['-t', base], 'FROM busybox\nRUN echo v1 > /v\n');
    const v1 = ok(daemon().docker(['image', 'inspect', '--format', '{{.Id}}', base])).trim();
    ok(daemon().docker(['push', base]));
    ok(daemon().docker(['rmi', base]));

    // Missing here: the classic builder pulls it, with the pull's progress in the build output.
    const first = build(['-t', 'interop/child'], `FROM ${base}\nRUN cat /v\n`);
    assert.match(first, /Step 1\/2 : FROM 127\.0\.0\.1:\d+\/base\/img:1/);
    assert.match(first, /Pulling from base\/img|Pulling from 127\.0\.0\.1:\d+\/base\/img/);
    // Its layers may still be here (the build cache keeps the RUN layer of the image built above).
    assert.match(first, /: (Pull complete|Already exists)/);
    assert.match(first, /Status: Downloaded newer image for 127\.0\.0\.1:\d+\/base\/img:1/);
    assert.match(first, /\nv1\n/);
    assert.equal(ok(daemon().docker(['image', 'inspect', '--format', '{{.Id}}', base])).trim(), v1);

    // The registry's tag moves on to v2; the local tag stays on v1.
    build(['-t', base], 'FROM busybox\nRUN echo v2 > /v\n');
    ok(daemon().docker(['push', base]));
    ok(daemon().docker(['tag', v1, base]));
    const local = build(['--no-cache'], `FROM ${base}\nRUN cat /v\n`);
    assert.doesNotMatch(local, /Pulling from/);
    assert.match(local, /\nv1\n/);
    const pulled = build(['--pull', '--no-cache'], `FROM ${base}\nRUN cat /v\n`);
    assert.match(pulled, /Status: Downloaded newer image for 127\.0\.0\.1:\d+\/base\/img:1/);
    assert.match(pulled, /\nv2\n/);
    // -q keeps the pull's progress out of the output.
    const quiet = build(['-q', '--pull'], `FROM ${base}\nLABEL quiet=1\n`);
    assert.match(quiet.trim(), /^sha256:[a-f0-9]{64}$/);
    ok(daemon().docker(['rmi', 'interop/child', base, v1]));
  });

  it('says what the registry says when the FROM image is not there', () => {
    const r = daemon().docker(['build', '-'], { input: `FROM ${reg().host}/base/nope:1\n` });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /manifest for 127\.0\.0\.1:\d+\/base\/nope:1 not found: manifest unknown: manifest unknown/);
    // --pull of a Docker Hub image cannot reach Docker Hub here: it fails in Go's words instead of using the local copy.
    const hub = daemon().docker(['build', '--pull', '-'], { input: 'FROM busybox\n' });
    assert.equal(hub.code, 1);
    assert.match(hub.stderr, /registry-1\.docker\.io/);
  });
});
