// The real docker CLI against berthd: image commands and their errors.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import tar from 'tar-stream';
import { useTestDaemon } from '../harness.js';

const daemon = useTestDaemon();

async function tarOf(entries: { name: string; body?: string | Buffer; type?: 'file' | 'directory' | 'symlink' | 'link'; linkname?: string }[], truncateTo?: number): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, mode: 0o755 }, e.body ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  const all = Buffer.concat(chunks);
  return truncateTo === undefined ? all : all.subarray(0, truncateTo);
}

function imageCount(): number {
  return daemon().docker(['images', '-q', '-a']).stdout.trim().split('\n').filter(Boolean).length;
}

describe('docker version and info', () => {
  it('version shows the server and its API version', () => {
    const r = daemon().docker(['version', '--format', '{{.Server.APIVersion}} {{.Server.Platform.Name}}']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '1.43 Berth Engine');
  });
  it('info answers with the engine counts', () => {
    const r = daemon().docker(['info', '--format', '{{.Images}} {{.Driver}} {{.OSType}}']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim(), /^\d+ overlay2 linux$/);
  });
});

describe('docker images, inspect, history, tag, rmi', () => {
  it('lists the loaded busybox image with -q, -a, --digests and filters', () => {
    const table = daemon().docker(['images']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\n/);
    assert.match(table.stdout, /\nbusybox\s+latest\s+[0-9a-f]{12}\s+/);
    const id = daemon().docker(['image', 'inspect', '--format', '{{.Id}}', 'busybox']).stdout.trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(daemon().docker(['images', '-q']).stdout.trim().split('\n')[0], id.slice(7, 19));
    assert.match(daemon().docker(['images', '-a']).stdout, /busybox/);
    assert.match(daemon().docker(['images', '--digests']).stdout, /^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID/);
    assert.match(daemon().docker(['images', '--filter', 'reference=busy*']).stdout, /busybox/);
    assert.doesNotMatch(daemon().docker(['images', '--filter', 'reference=nothing*']).stdout, /busybox/);
    assert.doesNotMatch(daemon().docker(['images', '--filter', 'dangling=true']).stdout, /busybox/);
    assert.match(daemon().docker(['images', '--filter', 'dangling=false']).stdout, /busybox/);
  });

  it('inspect shows Docker’s fields', () => {
    const r = daemon().docker(['image', 'inspect', 'busybox']);
    assert.equal(r.code, 0, r.stderr);
    const [img] = JSON.parse(r.stdout) as Record<string, unknown>[];
    assert.deepEqual(img?.['RepoTags'], ['busybox:latest']);
    assert.equal(img?.['Os'], 'linux');
    assert.equal(img?.['Architecture'], 'amd64');
    assert.deepEqual((img?.['Config'] as { Cmd: string[] }).Cmd, ['sh']);
    assert.equal((img?.['RootFS'] as { Layers: string[] }).Layers.length, 1);
  });

  it('inspect by short id prefix and by full name', () => {
    const id = daemon().docker(['image', 'inspect', '--format', '{{.Id}}', 'busybox']).stdout.trim();
    assert.equal(daemon().docker(['image', 'inspect', '--format', '{{.Id}}', id.slice(7, 13)]).stdout.trim(), id);
    assert.equal(daemon().docker(['image', 'inspect', '--format', '{{.Id}}', 'docker.io/library/busybox:latest']).stdout.trim(), id);
  });

  it('history lists the steps newest first', () => {
    const r = daemon().docker(['history', '--no-trunc', 'busybox']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT/);
    assert.match(lines[1] ?? '', /CMD \["sh"\]/);
  });

  it('tag and rmi of a tag', () => {
    assert.equal(daemon().docker(['tag', 'busybox', 'example.com/team/box:v1']).code, 0);
    assert.match(daemon().docker(['images']).stdout, /example\.com\/team\/box\s+v1/);
    const r = daemon().docker(['rmi', 'example.com/team/box:v1']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'Untagged: example.com/team/box:v1');
    assert.doesNotMatch(daemon().docker(['images']).stdout, /example\.com/);
  });

  it('rmi of an image a container uses is a 409 unless forced', () => {
    assert.equal(daemon().docker(['tag', 'busybox', 'inuse:1']).code, 0);
    const c = daemon().docker(['create', 'inuse:1', 'true']);
    assert.equal(c.code, 0, c.stderr);
    const r = daemon().docker(['rmi', 'inuse:1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /conflict: unable to remove repository reference "inuse:1" \(must force\) - container [0-9a-f]{12} is using its referenced image [0-9a-f]{12}/);
    const forced = daemon().docker(['rmi', '-f', 'inuse:1']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /Untagged: inuse:1/);
    assert.equal(daemon().docker(['rm', c.stdout.trim()]).code, 0);
  });

  it('unknown images are 404s in Docker’s words', () => {
    const r = daemon().docker(['image', 'inspect', 'nosuchimage']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /No such image: nosuchimage/);
    const rmi = daemon().docker(['rmi', 'nosuchimage:2']);
    assert.match(rmi.stderr, /No such image: nosuchimage:2/);
  });
});

describe('docker import', () => {
  it('imports a rootfs tar with --change and runs it', async () => {
    const busyboxBin = readFileSync('/bin/busybox');
    const pack = tar.pack();
    pack.entry({ name: 'bin/', type: 'directory', mode: 0o755 });
    pack.entry({ name: 'bin/busybox', mode: 0o755 }, busyboxBin);
    pack.entry({ name: 'bin/sh', type: 'symlink', linkname: 'busybox' });
    pack.entry({ name: 'bin/env', type: 'symlink', linkname: 'busybox' });
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    const r = daemon().docker(['import', '--change', 'ENV GREETING="hi there"', '--change', 'CMD ["env"]', '-', 'imported:v1'], { input: Buffer.concat(chunks) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
    const run = daemon().docker(['run', '--rm', 'imported:v1']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^GREETING=hi there$/m);
    assert.match(daemon().docker(['history', 'imported:v1']).stdout, /Imported from -/);
  });

  it('refuses an unknown --change instruction', async () => {
    const r = daemon().docker(['import', '--change', 'RUN true', '-', 'x:1'], { input: await tarOf([{ name: 'a', body: 'a' }]) });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /RUN is not a valid change command/);
  });

  it('a truncated tar leaves no image and no files behind', async () => {
    const before = imageCount();
    const blobsBefore = readdirSync(join(daemon().dataRoot, 'content/blobs/sha256')).length;
    const r = daemon().docker(['import', '-', 'broken:1'], { input: await tarOf([{ name: 'file', body: 'x'.repeat(5000) }], 1500) });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /tar/i);
    assert.equal(imageCount(), before);
    assert.equal(readdirSync(join(daemon().dataRoot, 'content/blobs/sha256')).length, blobsBefore);
  });

  it('a tar that climbs out of its root is refused, naming the entry, and nothing is written outside', async () => {
    const marker = `escape-${process.pid}-${Date.now()}`;
    const r = daemon().docker(['import', '-', 'evil:1'], { input: await tarOf([{ name: `../../../../../../tmp/${marker}`, body: 'pwned' }]) });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(marker));
    assert.equal(existsSync(`/tmp/${marker}`), false);
    const viaLink = daemon().docker(['import', '-', 'evil:2'], {
      input: await tarOf([
        { name: 'link', type: 'symlink', linkname: '/tmp' },
        { name: `link/${marker}`, body: 'pwned' },
      ]),
    });
    assert.notEqual(viaLink.code, 0);
    assert.match(viaLink.stderr, new RegExp(`link/${marker}`));
    assert.equal(existsSync(`/tmp/${marker}`), false);
    assert.doesNotMatch(daemon().docker(['images']).stdout, /evil/);
  });
});

describe('docker save and load', () => {
  it('round-trips an image through save and load', () => {
    const dir = mkdtempSync('/tmp/bt-save-');
    try {
      const archive = join(dir, 'bb.tar');
      assert.equal(daemon().docker(['tag', 'busybox', 'roundtrip:1']).code, 0);
      const id = daemon().docker(['image', 'inspect', '--format', '{{.Id}}', 'roundtrip:1']).stdout.trim();
      const saved = daemon().docker(['save', '-o', archive, 'roundtrip:1']);
      assert.equal(saved.code, 0, saved.stderr);
      assert.equal(daemon().docker(['rmi', 'roundtrip:1']).code, 0);
      const loaded = daemon().docker(['load', '-i', archive]);
      assert.equal(loaded.code, 0, loaded.stderr);
      assert.match(loaded.stdout, /Loaded image: roundtrip:1/);
      assert.equal(daemon().docker(['image', 'inspect', '--format', '{{.Id}}', 'roundtrip:1']).stdout.trim(), id);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a corrupt archive and keeps nothing of it', async () => {
    const before = imageCount();
    const noManifest = daemon().docker(['load'], { input: await tarOf([{ name: 'hello.txt', body: 'hi' }]) });
    assert.notEqual(noManifest.code, 0);
    assert.match(noManifest.stderr, /manifest\.json/);
    const badDiff = await tarOf([
      { name: 'manifest.json', body: JSON.stringify([{ Config: 'c.json', RepoTags: ['bad:1'], Layers: ['l.tar'] }]) },
      { name: 'c.json', body: JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${'0'.repeat(64)}`] } }) },
      { name: 'l.tar', body: await tarOf([{ name: 'f', body: 'x' }]) },
    ]);
    const r = daemon().docker(['load'], { input: badDiff });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /invalid diffID for layer 0/);
    const truncated = daemon().docker(['load'], { input: (await tarOf([{ name: 'manifest.json', body: 'x'.repeat(3000) }])).subarray(0, 1200) });
    assert.notEqual(truncated.code, 0);
    assert.equal(imageCount(), before);
  });

  it('loads an archive whose layer is gzip-compressed', async () => {
    const { gzipSync } = await import('node:zlib');
    const { createHash } = await import('node:crypto');
    const layer = await tarOf([{ name: 'hello.txt', body: 'compressed layer' }]);
    const diffId = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['true'] }, rootfs: { type: 'layers', diff_ids: [diffId] } });
    const archive = await tarOf([
      { name: 'manifest.json', body: JSON.stringify([{ Config: 'config.json', RepoTags: ['gz:1'], Layers: ['layer.tar.gz'] }]) },
      { name: 'config.json', body: config },
      { name: 'layer.tar.gz', body: gzipSync(layer) },
    ]);
    const r = daemon().docker(['load'], { input: archive });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Loaded image: gz:1/);
    assert.equal(daemon().docker(['rmi', 'gz:1']).code, 0);
  });
});

