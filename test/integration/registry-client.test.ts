// berthd's registry client against a real distribution registry (Debian's docker-registry 2.8), driven by
// the docker CLI and berth: push, pull, auth, and registries that lie or drop the connection.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import tar from 'tar-stream';
import { after, before, describe, it } from 'node:test';
import { DOCKER, REPO, startTestDaemon, useTestDaemon } from '../harness.js';
import { startDistributionRegistry, type DistributionRegistry } from '../distribution-registry.js';
import { pushOnlyWhatIsMissing } from '../registry-peers.js';
import { runInPty } from '../pty.js';

const daemon = useTestDaemon();
let registry: DistributionRegistry;
let secured: DistributionRegistry;

before(async () => {
  registry = await startDistributionRegistry();
  secured = await startDistributionRegistry({ htpasswd: { user: 'alice', password: 's3cret' } });
});
after(async () => {
  await registry?.stop();
  await secured?.stop();
});

function ok(r: { code: number; stdout: string; stderr: string }): string {
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * The docker CLI without blocking this process: the hostile registries below are servers in this very
 * process, and the harness's spawnSync would starve them.
 */
function dockerAsync(args: string[], cmd = DOCKER): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: daemon().env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128, stdout, stderr });
    });
  });
}

function blobCount(): number {
  return readdirSync(join(daemon().dataRoot, 'content', 'blobs', 'sha256')).length;
}

function snapshotCount(): number {
  return readdirSync(join(daemon().dataRoot, 'snapshots')).length;
}

function imageIds(): string[] {
  return [...new Set(ok(daemon().docker(['images', '-q', '--no-trunc'])).trim().split('\n').filter(Boolean))].sort();
}

/** A raw request to a registry (the tests' own view of what it holds). */
function registryRequest(host: string, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const [hostname, port] = host.split(':');
    const req = request({ host: hostname, port: Number(port), method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A one-layer image of random bytes, pushed and then removed locally, so a pull must download it. */
async function uniqueRemoteImage(name: string): Promise<string> {
  const pack = tar.pack();
  pack.entry({ name: 'noise.bin', mode: 0o644 }, randomBytes(256 * 1024));
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  const ref = `${registry.host}/${name}:1`;
  ok(daemon().docker(['import', '-', ref], { input: Buffer.concat(chunks) }));
  ok(daemon().docker(['push', ref]));
  ok(daemon().docker(['rmi', ref]));
  return `${name}:1`;
}

describe('push and pull through docker-registry', () => {
  it('pushes busybox, then only what is missing, then mounts across repositories', () => {
    const ref = `${registry.host}/app/busybox:1`;
    assert.match(pushOnlyWhatIsMissing((args) => daemon().docker(args), registry.host), /Mounted from 127\.0\.0\.1:\d+\/app\/busybox/);
    const inspect = ok(daemon().docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', ref]));
    assert.match(inspect, new RegExp(`${registry.host}/app/busybox@sha256:[a-f0-9]{64}`));
  });

  it('pulls a missing image by tag and by digest, runs it, and answers "up to date" quickly', async () => {
    const ref = `${registry.host}/app/busybox:1`;
    ok(daemon().docker(['rmi', ref, `${registry.host}/other/busybox:2`]));
    const loaded = imageIds();
    ok(daemon().docker(['rmi', 'busybox']));
    const pulled = ok(daemon().docker(['pull', ref]));
    assert.match(pulled, /1: Pulling from app\/busybox|1: Pulling from 127\.0\.0\.1:\d+\/app\/busybox/);
    assert.match(pulled, /: Pull complete/);
    const digest = /Digest: (sha256:[a-f0-9]{64})/.exec(pulled)?.[1];
    assert.ok(digest, pulled);
    assert.match(pulled, /Status: Downloaded newer image for 127\.0\.0\.1:\d+\/app\/busybox:1/);
    assert.deepEqual(imageIds(), loaded, 'the pulled image is the pushed one (same config digest)');
    assert.equal(ok(daemon().docker(['run', '--rm', ref, 'echo', 'pulled'])).trim(), 'pulled');
    const again = ok(daemon().docker(['pull', ref]));
    assert.match(again, /Status: Image is up to date for/);
    // The whole up-to-date pull is one manifest request: well under the 50 ms target, with margin for a loaded host.
    const t0 = performance.now();
    const res = await daemon().api('POST', `/images/create?fromImage=${encodeURIComponent(`${registry.host}/app/busybox`)}&tag=1`);
    const ms = performance.now() - t0;
    assert.equal(res.status, 200);
    assert.match(res.body, /Image is up to date/);
    assert.ok(ms < 500, `an up-to-date pull took ${ms} ms`);
    const byDigest = ok(daemon().docker(['pull', `${registry.host}/app/busybox@${digest}`]));
    assert.match(byDigest, new RegExp(`Digest: ${digest}`));
    ok(daemon().docker(['tag', ref, 'busybox']));
  });

  it('pulls with berth: -q prints the reference, --all-tags fetches every tag', () => {
    ok(daemon().docker(['tag', 'busybox', `${registry.host}/multi/bb:a`]));
    ok(daemon().docker(['tag', 'busybox', `${registry.host}/multi/bb:b`]));
    ok(daemon().berth(['push', '--all-tags', `${registry.host}/multi/bb`]));
    ok(daemon().docker(['rmi', `${registry.host}/multi/bb:a`, `${registry.host}/multi/bb:b`]));
    assert.equal(ok(daemon().berth(['pull', '-q', `${registry.host}/multi/bb:a`])).trim(), `${registry.host}/multi/bb:a`);
    const all = ok(daemon().berth(['pull', '--all-tags', `${registry.host}/multi/bb`]));
    assert.match(all, /b: Pulling from/);
    // Only this repository's references: no `<none>` row for the same image's digest in another repository.
    const tags = ok(daemon().docker(['images', '--format', '{{.Tag}}', `${registry.host}/multi/bb`])).trim().split('\n').sort();
    assert.deepEqual(tags, ['a', 'b']);
  });

  it('chooses the linux/amd64 entry of an OCI index', async () => {
    const manifest = await registryRequest(registry.host, 'GET', '/v2/app/busybox/manifests/1', { Accept: 'application/vnd.docker.distribution.manifest.v2+json' });
    assert.equal(manifest.status, 200);
    const digest = String(manifest.headers['docker-content-digest']);
    const desc = (arch: string): object => ({
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      digest,
      size: manifest.body.length,
      platform: { os: 'linux', architecture: arch },
    });
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [desc('arm64'), desc('amd64')] }));
    const put = await registryRequest(registry.host, 'PUT', '/v2/app/busybox/manifests/multi', { 'Content-Type': 'application/vnd.oci.image.index.v1+json' }, index);
    assert.equal(put.status, 201, put.body.toString());
    const out = ok(daemon().docker(['pull', `${registry.host}/app/busybox:multi`]));
    assert.match(out, /Status: Downloaded newer image for/);
  });

  it('refuses a missing tag in Docker\'s words, and run pulls a missing image', () => {
    const missing = daemon().docker(['pull', `${registry.host}/app/busybox:nope`]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim(), `Error response from daemon: manifest for ${registry.host}/app/busybox:nope not found: manifest unknown: manifest unknown`);
    ok(daemon().docker(['rmi', `${registry.host}/app/busybox:multi`]));
    const ran = daemon().docker(['run', '--rm', `${registry.host}/app/busybox:multi`, 'echo', 'auto']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stderr, /Unable to find image '.*app\/busybox:multi' locally/);
    assert.equal(ran.stdout.trim(), 'auto');
    ok(daemon().docker(['rmi', `${registry.host}/app/busybox:multi`]));
    const berthRun = daemon().berth(['run', '--rm', `${registry.host}/app/busybox:multi`, 'echo', 'berth-auto']);
    assert.equal(berthRun.code, 0, berthRun.stderr);
    assert.equal(berthRun.stdout.trim(), 'berth-auto');
    const never = daemon().berth(['run', '--rm', '--pull', 'never', `${registry.host}/app/busybox:absent`, 'true']);
    assert.notEqual(never.code, 0);
  });

  it('berth pull draws live progress bars on a terminal', async () => {
    const name = await uniqueRemoteImage('tty/progress');
    const pty = runInPty([join(REPO, 'bin/berth'), 'pull', `${registry.host}/${name}`], { env: daemon().env });
    try {
      await pty.expect(/Status: Downloaded newer image/, 30_000);
      assert.equal(await pty.exited, 0);
      const out = pty.output();
      assert.match(out, /\[=*>? *\] +[\d.]+[kM]?B\/[\d.]+[kM]?B/, 'a progress bar with sizes');
      assert.ok(out.includes('\x1b[2K'), 'lines are redrawn in place');
      assert.match(out, /Pull complete/);
    } finally {
      pty.kill();
    }
    ok(daemon().docker(['rmi', `${registry.host}/${name}`]));
  });

  it('fails fast and cleanly for docker.io, which is unreachable here', () => {
    const t0 = Date.now();
    const r = daemon().docker(['pull', 'alpine:3']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error response from daemon: .*registry-1\.docker\.io/);
    assert.ok(Date.now() - t0 < 30_000);
  });
});

describe('hostile and flaky registries', () => {
  /**
   * A proxy in front of the real registry that tampers with layer blobs: `corrupt` flips one byte of every
   * layer download; `drop` sends half of a layer and cuts the connection, once per layer, then honours Range.
   */
  async function proxy(mode: 'corrupt' | 'drop'): Promise<{ host: string; server: Server; ranges: string[] }> {
    const ranges: string[] = [];
    const dropped = new Set<string>();
    const server = createServer((req, res) => {
      const [hostname, port] = registry.host.split(':');
      const headers = { ...req.headers, host: registry.host };
      const up = request({ host: hostname, port: Number(port), method: req.method, path: req.url, headers }, (upRes) => {
        const isLayer = req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '') && Number(upRes.headers['content-length']) > 10_000;
        if (!isLayer) {
          res.writeHead(upRes.statusCode ?? 500, upRes.headers);
          upRes.pipe(res);
          return;
        }
        if (req.headers.range) ranges.push(req.headers.range);
        const chunks: Buffer[] = [];
        upRes.on('data', (c: Buffer) => chunks.push(c));
        upRes.on('end', () => {
          const body = Buffer.concat(chunks);
          if (mode === 'corrupt') {
            body[body.length >> 1] = (body[body.length >> 1] ?? 0) ^ 0xff;
            res.writeHead(upRes.statusCode ?? 200, upRes.headers);
            res.end(body);
          } else if (!dropped.has(req.url ?? '')) {
            dropped.add(req.url ?? '');
            res.writeHead(upRes.statusCode ?? 200, upRes.headers);
            res.write(body.subarray(0, body.length >> 1), () => res.destroy());
          } else {
            res.writeHead(upRes.statusCode ?? 200, upRes.headers);
            res.end(body);
          }
        });
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    return { host: `127.0.0.1:${port}`, server, ranges };
  }

  it('fails a pull whose layer does not match its digest and keeps nothing of it', async () => {
    const p = await proxy('corrupt');
    try {
      const name = await uniqueRemoteImage('hostile/corrupt');
      const blobs = blobCount();
      const snapshots = snapshotCount();
      const images = imageIds();
      const r = await dockerAsync(['pull', `${p.host}/${name}`]);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stdout + r.stderr, /verification failed for digest sha256:|does not match|failed to register layer: sha256:[a-f0-9]{64}: /);
      assert.deepEqual(imageIds(), images, 'no image was recorded');
      assert.equal(blobCount(), blobs, 'no blob was left behind');
      assert.equal(snapshotCount(), snapshots, 'no layer snapshot (unpacked while downloading) was left behind');
      assert.equal(daemon().docker(['image', 'inspect', `${p.host}/${name}`]).code, 1);
    } finally {
      p.server.close();
    }
  });

  it('fails a pull whose layer does not hash to the diff ID its config claims, keeping nothing', async () => {
    const name = await uniqueRemoteImage('hostile/liar');
    const path = name.replace(/:1$/, '');
    const mres = await registryRequest(registry.host, 'GET', `/v2/${path}/manifests/1`, { Accept: 'application/vnd.docker.distribution.manifest.v2+json' });
    const manifest = JSON.parse(mres.body.toString()) as { config: { digest: string; size: number }; layers: unknown[] };
    const cres = await registryRequest(registry.host, 'GET', `/v2/${path}/blobs/${manifest.config.digest}`);
    const config = JSON.parse(cres.body.toString()) as { rootfs: { diff_ids: string[] } };
    config.rootfs.diff_ids = [`sha256:${'ab'.repeat(32)}`];
    const lie = Buffer.from(JSON.stringify(config));
    const lieDigest = `sha256:${createHash('sha256').update(lie).digest('hex')}`;
    const start = await registryRequest(registry.host, 'POST', `/v2/${path}/blobs/uploads/`);
    const loc = new URL(String(start.headers.location), `http://${registry.host}`);
    loc.searchParams.set('digest', lieDigest);
    assert.equal((await registryRequest(registry.host, 'PUT', loc.pathname + loc.search, { 'Content-Type': 'application/octet-stream' }, lie)).status, 201);
    const lying = Buffer.from(JSON.stringify({ ...manifest, config: { ...manifest.config, digest: lieDigest, size: lie.length } }));
    const put = await registryRequest(registry.host, 'PUT', `/v2/${path}/manifests/lie`, { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json' }, lying);
    assert.equal(put.status, 201, put.body.toString());
    const blobs = blobCount();
    const snapshots = snapshotCount();
    const r = await dockerAsync(['pull', `${registry.host}/${path}:lie`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /failed to register layer: layer sha256:[a-f0-9]{64} does not match its diff ID sha256:(ab){32}/);
    assert.equal(blobCount(), blobs);
    assert.equal(snapshotCount(), snapshots);
  });

  it('resumes a layer after a dropped connection with a Range request', async () => {
    const p = await proxy('drop');
    try {
      const name = await uniqueRemoteImage('flaky/dropped');
      const out = ok(await dockerAsync(['pull', `${p.host}/${name}`]));
      assert.match(out, /Pull complete/);
      assert.equal(p.ranges.length, 1, 'the second request asked for the rest only');
      assert.match(p.ranges[0]!, /^bytes=\d+-$/);
      ok(daemon().docker(['rmi', `${p.host}/${name}`]));
    } finally {
      p.server.close();
    }
  });
});

describe('authentication', () => {
  it('refuses an unauthenticated push, bad credentials, then pushes after login', () => {
    const ref = `${secured.host}/private/bb:1`;
    ok(daemon().docker(['tag', 'busybox', ref]));
    const anon = daemon().docker(['push', ref]);
    assert.equal(anon.code, 1);
    assert.match(anon.stdout + anon.stderr, /no basic auth credentials/);
    const bad = daemon().docker(['login', '-u', 'alice', '--password-stdin', secured.host], { input: 'wrong\n' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /401 Unauthorized/);
    const good = daemon().docker(['login', '-u', 'alice', '--password-stdin', secured.host], { input: 's3cret\n' });
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /Login Succeeded/);
    assert.match(ok(daemon().docker(['push', ref])), /Pushed/);
    ok(daemon().docker(['logout', secured.host]));
  });

  it('berth login stores credentials as docker does and sends them on pull; logout removes them', () => {
    const ref = `${secured.host}/private/bb:1`;
    ok(daemon().docker(['rmi', ref]));
    const bad = daemon().berth(['login', '-u', 'alice', '--password-stdin', secured.host], { input: 'nope\n' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Error response from daemon: .*401 Unauthorized/);
    assert.match(ok(daemon().berth(['login', '-u', 'alice', '--password-stdin', secured.host], { input: 's3cret\n' })), /Login Succeeded/);
    assert.match(ok(daemon().berth(['pull', ref])), /Pull complete|Already exists|Downloaded newer image/);
    assert.match(ok(daemon().berth(['logout', secured.host])), /Removing login credentials for/);
    ok(daemon().docker(['rmi', ref]));
    const anon = daemon().berth(['pull', ref]);
    assert.equal(anon.code, 1);
  });
});

describe('bearer tokens, search and mirrors', () => {
  /**
   * A registry front that speaks the token flow (distribution's docs/spec/auth/token.md): `/v2/` challenges with
   * `Bearer realm=…/token,service=test`, `/token` trades Basic credentials for a token naming the scopes asked
   * for, and every other request needs that token before it is forwarded to the real registry. `/v1/search`
   * answers like Docker Hub's index.
   */
  async function tokenRegistry(): Promise<{ host: string; server: Server; scopes: string[] }> {
    const scopes: string[] = [];
    const tokens = new Set<string>();
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const host = req.headers.host ?? '';
      if (url.pathname === '/token') {
        const basic = Buffer.from(String(req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
        if (basic !== 'bob:hunter2') {
          res.writeHead(401, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ details: 'incorrect username or password' }));
          return;
        }
        scopes.push(...url.searchParams.getAll('scope'));
        const token = randomBytes(8).toString('hex');
        tokens.add(token);
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ token, expires_in: 300 }));
        return;
      }
      if (url.pathname === '/v1/search') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ num_results: 1, query: url.searchParams.get('q'), results: [
          { name: `found/${url.searchParams.get('q') ?? ''}`, description: 'an image the index knows about', star_count: 7, is_official: true, is_automated: false },
        ] }));
        return;
      }
      const auth = String(req.headers.authorization ?? '');
      if (!tokens.has(auth.replace(/^Bearer /, ''))) {
        res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://${host}/token",service="test"`, 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
        return;
      }
      const [hostname, port] = registry.host.split(':');
      const headers = { ...req.headers, host: registry.host };
      delete headers.authorization;
      const up = request({ host: hostname, port: Number(port), method: req.method, path: req.url, headers }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 500, upRes.headers);
        upRes.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    return { host: `127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`, server, scopes };
  }

  it('logs in through the token flow, then pulls with a token scoped to the repository', async () => {
    const t = await tokenRegistry();
    try {
      const bad = await dockerAsync(['login', '-u', 'bob', '-p', 'nope', t.host]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /unauthorized: incorrect username or password/);
      const good = await dockerAsync(['login', '-u', 'bob', '-p', 'hunter2', t.host]);
      assert.equal(good.code, 0, good.stderr);
      const pulled = await dockerAsync(['pull', `${t.host}/app/busybox:1`]);
      assert.equal(pulled.code, 0, pulled.stderr);
      assert.ok(t.scopes.includes('repository:app/busybox:pull'), t.scopes.join(' '));
      const anonymous = await dockerAsync(['logout', t.host]);
      assert.equal(anonymous.code, 0);
      ok(daemon().docker(['rmi', `${t.host}/app/busybox:1`]));
    } finally {
      t.server.close();
    }
  });

  it('searches a registry\'s index with docker search', async () => {
    const t = await tokenRegistry();
    try {
      const r = await dockerAsync(['search', `${t.host}/busy`]);
      assert.equal(r.code, 0, r.stderr);
      const [header, row] = r.stdout.trim().split('\n');
      assert.match(header!, /^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL/);
      assert.match(row!, /^found\/busy\s+an image the index knows about\s+7\s+\[OK\]/);
      const berth = await dockerAsync(['search', '--format', '{{.Name}} {{.StarCount}}', `${t.host}/busy`], join(REPO, 'bin/berth'));
      assert.equal(berth.code, 0, berth.stderr);
      assert.equal(berth.stdout.trim(), 'found/busy 7');
    } finally {
      t.server.close();
    }
  });

  it('pulls Docker Hub images through --registry-mirror', async () => {
    ok(daemon().docker(['tag', 'busybox', `${registry.host}/library/busybox:mirrored`]));
    ok(daemon().docker(['push', `${registry.host}/library/busybox:mirrored`]));
    ok(daemon().docker(['rmi', `${registry.host}/library/busybox:mirrored`]));
    const mirrored = await startTestDaemon({ loadBusybox: false, extraArgs: ['--registry-mirror', `http://${registry.host}`] });
    try {
      const r = mirrored.docker(['pull', 'busybox:mirrored']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Status: Downloaded newer image for busybox:mirrored/);
      assert.match(r.stdout, /docker\.io\/library\/busybox:mirrored/);
    } finally {
      await mirrored.stop();
    }
  });
});
