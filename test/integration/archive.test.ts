// The container filesystem commands against berthd, through the real docker CLI, the API and berth: cp both
// ways (running and stopped containers, files, directories, streams, -a, -L), diff, export/import and commit;
// and the hostile cases: symlinks planted by the container (absolute, relative, into /proc, racing swaps) and
// hostile tar entries must never write outside the container.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, readlinkSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import tar from 'tar-stream';
import { useTestDaemon, type TestDaemon } from '../harness.js';

const daemon = useTestDaemon();
const work = mkdtempSync('/tmp/barch-');
after(() => rmSync(work, { recursive: true, force: true }));

interface TarEntry {
  name: string;
  body?: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

async function tarOf(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, mode: e.mode ?? 0o644, uid: e.uid ?? 0, gid: e.gid ?? 0 }, e.body ?? '');
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function tarNames(buf: Buffer): Promise<Map<string, { type: string; body: string; linkname?: string; uid?: number; mode?: number }>> {
  const out = new Map<string, { type: string; body: string; linkname?: string; uid?: number; mode?: number }>();
  const extract = tar.extract();
  const done = (async () => {
    for await (const e of extract) {
      const chunks: Buffer[] = [];
      for await (const c of e) chunks.push(c as Buffer);
      out.set(e.header.name, { type: e.header.type ?? '', body: Buffer.concat(chunks).toString(), linkname: e.header.linkname ?? undefined, uid: e.header.uid, mode: e.header.mode });
    }
  })();
  extract.end(buf);
  await done;
  return out;
}

/** A raw API call with a binary body or answer (the harness's `api` speaks JSON). */
function raw(d: TestDaemon, method: string, path: string, body?: Buffer): Promise<{ status: number; body: Buffer; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: d.socket, method, path, headers: body ? { 'Content-Type': 'application/x-tar', 'Content-Length': body.length } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function ok(r: { code: number; stdout: string; stderr: string }): string {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

function sh(name: string, script: string): string {
  return ok(daemon().docker(['exec', name, 'sh', '-c', script]));
}

describe('docker cp, running container', () => {
  it('copies a directory tree in and out, with files, symlinks, modes and ownership', async () => {
    const d = daemon();
    ok(d.docker(['run', '-d', '--name', 'cp1', 'busybox', 'sleep', '1000']));
    const src = join(work, 'tree');
    mkdirSync(join(src, 'sub/deeper'), { recursive: true });
    writeFileSync(join(src, 'a.txt'), 'alpha\n');
    writeFileSync(join(src, 'sub/deeper/b.sh'), '#!/bin/sh\necho beta\n', { mode: 0o755 });
    writeFileSync(join(src, 'big.bin'), randomBytes(3 * 1024 * 1024));
    symlinkSync('a.txt', join(src, 'link'));
    // Into an existing directory: the tree lands below it under its own name.
    ok(d.docker(['cp', src, 'cp1:/tmp']));
    assert.equal(sh('cp1', 'cat /tmp/tree/a.txt; /tmp/tree/sub/deeper/b.sh; readlink /tmp/tree/link; stat -c %a /tmp/tree/sub/deeper/b.sh'), 'alpha\nbeta\na.txt\n755\n');
    // To a new name: the directory is created with that name.
    ok(d.docker(['cp', src, 'cp1:/tmp/renamed']));
    assert.equal(sh('cp1', 'cat /tmp/renamed/a.txt'), 'alpha\n');
    // A file onto an existing file replaces it; into a directory keeps its name.
    sh('cp1', 'echo old > /etc/passwd-copy');
    ok(d.docker(['cp', join(src, 'a.txt'), 'cp1:/etc/passwd-copy']));
    assert.equal(sh('cp1', 'cat /etc/passwd-copy'), 'alpha\n');
    // Out again and compare byte for byte.
    const back = join(work, 'back');
    ok(d.docker(['cp', 'cp1:/tmp/tree', back]));
    assert.deepEqual(readFileSync(join(back, 'big.bin')), readFileSync(join(src, 'big.bin')));
    assert.equal(readFileSync(join(back, 'sub/deeper/b.sh'), 'utf8'), '#!/bin/sh\necho beta\n');
    assert.equal(readlinkSync(join(back, 'link')), 'a.txt');
    // Trailing "/.": the directory's content into an existing directory.
    const contents = join(work, 'contents');
    mkdirSync(contents);
    ok(d.docker(['cp', 'cp1:/tmp/tree/.', contents]));
    assert.equal(readFileSync(join(contents, 'a.txt'), 'utf8'), 'alpha\n');
  });

  it('streams tars on stdin and stdout, and reads the engine-managed files', async () => {
    const d = daemon();
    const input = await tarOf([{ name: 'streamed/x.txt', body: 'from stdin' }]);
    ok(d.docker(['cp', '-', 'cp1:/tmp'], { input }));
    assert.equal(sh('cp1', 'cat /tmp/streamed/x.txt'), 'from stdin');
    const out = await raw(d, 'GET', '/containers/cp1/archive?path=/etc/hosts');
    assert.equal(out.status, 200);
    const entries = await tarNames(out.body);
    assert.match(entries.get('hosts')?.body ?? '', /127\.0\.0\.1\tlocalhost/);
  });

  it('sees the running container’s own mounts (a tmpfs only its mount namespace has)', async () => {
    const d = daemon();
    ok(d.docker(['run', '-d', '--name', 'cpmnt', '--tmpfs', '/scratch', 'busybox', 'sleep', '1000']));
    ok(d.docker(['cp', '-', 'cpmnt:/scratch'], { input: await tarOf([{ name: 'in-tmpfs', body: 'on the tmpfs' }]) }));
    assert.equal(sh('cpmnt', 'cat /scratch/in-tmpfs; grep -c " /scratch tmpfs" /proc/mounts'), 'on the tmpfs1\n');
    const back = await tarNames((await raw(d, 'GET', '/containers/cpmnt/archive?path=/scratch/in-tmpfs')).body);
    assert.equal(back.get('in-tmpfs')?.body, 'on the tmpfs');
    ok(d.docker(['rm', '-f', 'cpmnt']));
  });

  it('answers HEAD with Docker’s path stat header (Go file mode bits, link target)', async () => {
    const d = daemon();
    sh('cp1', 'ln -s /etc /tmp/etc-link');
    const head = await raw(d, 'HEAD', '/containers/cp1/archive?path=/tmp/etc-link');
    assert.equal(head.status, 200);
    const stat = JSON.parse(Buffer.from(String(head.headers['x-docker-container-path-stat']), 'base64').toString()) as Record<string, unknown>;
    assert.equal(stat['name'], 'etc-link');
    assert.equal(stat['linkTarget'], '/etc');
    assert.equal(stat['mode'], 2 ** 27 + 0o777);
    const dir = await raw(d, 'HEAD', '/containers/cp1/archive?path=/tmp');
    const dirStat = JSON.parse(Buffer.from(String(dir.headers['x-docker-container-path-stat']), 'base64').toString()) as Record<string, unknown>;
    assert.equal(dirStat['mode'], 2 ** 31 + 2 ** 20 + 0o777);
    assert.match(String(dirStat['mtime']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    // -L follows the link: the copy holds the target's content under the link's name.
    const followed = join(work, 'followed');
    ok(d.docker(['cp', '-L', 'cp1:/tmp/etc-link', followed]));
    assert.ok(existsSync(join(followed, 'passwd')));
    const notFollowed = join(work, 'not-followed');
    ok(d.docker(['cp', 'cp1:/tmp/etc-link', notFollowed]));
    assert.equal(readlinkSync(notFollowed), '/etc');
  });

  it('keeps the tar’s ownership, and with -a the container user’s', async () => {
    const d = daemon();
    const input = await tarOf([{ name: 'owned.txt', body: 'x', uid: 1234, gid: 5678 }]);
    ok(d.docker(['cp', '-', 'cp1:/tmp'], { input }));
    assert.equal(sh('cp1', 'stat -c %u:%g /tmp/owned.txt'), '1234:5678\n');
    ok(d.docker(['create', '--name', 'cpuser', '--user', 'nobody', 'busybox', 'true']));
    ok(d.docker(['cp', '-a', '-', 'cpuser:/tmp'], { input }));
    const out = await tarNames(Buffer.from(ok(d.docker(['cp', 'cpuser:/tmp/owned.txt', '-'])), 'latin1'));
    assert.equal(out.get('owned.txt')?.uid, 65534);
  });

  it('answers missing paths and containers in Docker’s words', async () => {
    const d = daemon();
    const missing = await raw(d, 'GET', '/containers/cp1/archive?path=/no/such');
    assert.equal(missing.status, 404);
    assert.equal(JSON.parse(missing.body.toString()).message, 'Could not find the file /no/such in container cp1');
    const put = await raw(d, 'PUT', '/containers/cp1/archive?path=/no/such/dir', await tarOf([{ name: 'f' }]));
    assert.equal(put.status, 404);
    assert.equal(JSON.parse(put.body.toString()).message, 'Could not find the file /no/such/dir in container cp1');
    const notDir = await raw(d, 'PUT', '/containers/cp1/archive?path=/etc/passwd', await tarOf([{ name: 'f' }]));
    assert.equal(notDir.status, 400);
    assert.equal(JSON.parse(notDir.body.toString()).message, 'extraction point is not a directory');
    const noCtr = await raw(d, 'HEAD', '/containers/nope/archive?path=/');
    assert.equal(noCtr.status, 404);
    const cli = d.docker(['cp', 'cp1:/no/such', join(work, 'x')]);
    assert.notEqual(cli.code, 0);
    assert.match(cli.stderr, /Could not find the file \/no\/such in container cp1/);
    const cliNoCtr = d.docker(['cp', 'nope:/etc', join(work, 'x')]);
    assert.notEqual(cliNoCtr.code, 0);
    assert.match(cliNoCtr.stderr, /No such container: nope/);
    const noPath = await raw(d, 'GET', '/containers/cp1/archive');
    assert.equal(noPath.status, 400);
    assert.equal(JSON.parse(noPath.body.toString()).message, 'path is empty');
    ok(d.docker(['create', '--name', 'ro', '--read-only', 'busybox', 'true']));
    const ro = await raw(d, 'PUT', '/containers/ro/archive?path=/tmp', await tarOf([{ name: 'f' }]));
    assert.equal(ro.status, 400);
    assert.equal(JSON.parse(ro.body.toString()).message, 'container rootfs is marked read-only');
    for (const path of ['/containers/nope/changes', '/containers/nope/export']) {
      const r = await raw(d, 'GET', path);
      assert.equal(r.status, 404, path);
      assert.equal(JSON.parse(r.body.toString()).message, 'No such container: nope');
    }
    // A file onto a directory: refused (noOverwriteDirNonDir), nothing replaced.
    const over = await raw(d, 'PUT', '/containers/cp1/archive?path=/&noOverwriteDirNonDir=true', await tarOf([{ name: 'tmp', body: 'x' }]));
    assert.equal(over.status, 400);
    assert.match(JSON.parse(over.body.toString()).message, /cannot overwrite directory "\/tmp" with non-directory/);
  });
});

describe('docker cp, stopped container', () => {
  it('copies in and out of a created container, engine files included', async () => {
    const d = daemon();
    ok(d.docker(['create', '--name', 'st1', 'busybox', 'cat', '/tmp/note']));
    writeFileSync(join(work, 'note'), 'written while stopped\n');
    ok(d.docker(['cp', join(work, 'note'), 'st1:/tmp/note']));
    const back = join(work, 'note-back');
    ok(d.docker(['cp', 'st1:/tmp/note', back]));
    assert.equal(readFileSync(back, 'utf8'), 'written while stopped\n');
    const hosts = join(work, 'hosts-back');
    ok(d.docker(['cp', 'st1:/etc/hosts', hosts]));
    assert.match(readFileSync(hosts, 'utf8'), /localhost/);
    assert.equal(ok(d.docker(['start', '-a', 'st1'])), 'written while stopped\n');
  });

  it('crosses into volumes and bind mounts, and refuses a read-only one in Docker’s words', async () => {
    const d = daemon();
    const bound = join(work, 'bound');
    mkdirSync(bound);
    ok(d.docker(['run', '--name', 'stv', '-v', 'cpvol:/data', '-v', `${bound}:/bound`, '-v', 'cpro:/ro:ro', 'busybox', 'true']));
    writeFileSync(join(work, 'vnote'), 'into the volume\n');
    ok(d.docker(['cp', join(work, 'vnote'), 'stv:/data/vnote']));
    ok(d.docker(['cp', join(work, 'vnote'), 'stv:/bound/vnote']));
    assert.equal(readFileSync(join(bound, 'vnote'), 'utf8'), 'into the volume\n');
    assert.equal(ok(d.docker(['run', '--rm', '-v', 'cpvol:/v', 'busybox', 'cat', '/v/vnote'])), 'into the volume\n');
    const ro = d.docker(['cp', join(work, 'vnote'), 'stv:/ro/vnote']);
    assert.notEqual(ro.code, 0);
    assert.match(ro.stderr, /mounted volume is marked read-only/);
    // Out of a volume, from a running container that mounts it elsewhere.
    ok(d.docker(['run', '-d', '--name', 'stv2', '-v', 'cpvol:/other', 'busybox', 'sleep', '300']));
    ok(d.docker(['cp', 'stv2:/other/vnote', join(work, 'vnote-back')]));
    assert.equal(readFileSync(join(work, 'vnote-back'), 'utf8'), 'into the volume\n');
    ok(d.docker(['rm', '-f', 'stv', 'stv2']));
    ok(d.docker(['volume', 'rm', 'cpvol', 'cpro']));
  });
});

/** A marker path on the host that a successful escape would create. */
function hostMarker(): { name: string; hostPaths: string[] } {
  const name = `berth-escape-${randomBytes(6).toString('hex')}`;
  return { name, hostPaths: [`/${name}`, `/tmp/${name}`, `/etc/${name}`] };
}

function assertNoEscape(m: { hostPaths: string[] }): void {
  for (const p of m.hostPaths) assert.equal(existsSync(p), false, `${p} was written on the host`);
}

describe('cp never leaves the container', () => {
  for (const stopped of [false, true]) {
    const label = stopped ? 'stopped' : 'running';
    it(`follows planted symlinks inside the container only (${label})`, async () => {
      const d = daemon();
      const name = `trap-${label}`;
      ok(d.docker(['run', '-d', '--name', name, 'busybox', 'sh', '-c', 'mkdir -p /a/b && ln -s / /a/abs && ln -s ../../../../../../.. /a/b/rel && ln -s /proc/1/root /a/proc && ln -s /etc /a/etc && sleep 1000']));
      // Wait for the links.
      for (let i = 0; i < 50 && d.docker(['exec', name, 'test', '-L', '/a/etc']).code !== 0; i++) await new Promise((r) => setTimeout(r, 100));
      if (stopped) ok(d.docker(['stop', '-t', '0', name]));
      for (const via of ['/a/abs', '/a/b/rel', '/a/proc', '/a/abs/tmp', '/a/b/rel/etc']) {
        const m = hostMarker();
        const put = await raw(d, 'PUT', `/containers/${name}/archive?path=${encodeURIComponent(via)}`, await tarOf([{ name: m.name, body: 'escaped?' }]));
        assert.ok(put.status === 200 || put.status === 404 || put.status === 500, `${via}: ${put.status} ${put.body.toString()}`);
        assertNoEscape(m);
      }
      // A tar whose own symlink points at / and then writes through it.
      const m = hostMarker();
      const trick = await raw(d, 'PUT', `/containers/${name}/archive?path=/tmp`, await tarOf([{ name: 'up', type: 'symlink', linkname: '/' }, { name: `up/${m.name}`, body: 'x' }, { name: `up/tmp/${m.name}`, body: 'x' }]));
      assert.equal(trick.status, 200, trick.body.toString());
      assertNoEscape(m);
      // Reading through the planted links gives the container's files, never the host's.
      const host = readFileSync('/etc/hostname', 'utf8');
      for (const via of ['/a/abs/etc/hostname', '/a/b/rel/etc/hostname', '/a/etc/hostname']) {
        const got = await raw(d, 'GET', `/containers/${name}/archive?path=${encodeURIComponent(via)}`);
        assert.equal(got.status, 200, `${via}: ${got.body.toString()}`);
        const entries = await tarNames(got.body);
        const body = entries.get('hostname')?.body;
        assert.notEqual(body, host, `${via} read the host's /etc/hostname`);
      }
      if (!stopped) {
        // Where the writes went: inside the container's root.
        assert.match(sh(name, `ls /${m.name} /tmp/${m.name}`), new RegExp(m.name));
      }
    });
  }

  it('refuses hostile tar entries: .. names, hardlinks and relative symlinks out of the destination', async () => {
    const d = daemon();
    const m = hostMarker();
    for (const entries of [
      [{ name: `../../../../../../${m.name}`, body: 'x' }],
      [{ name: 'sub/../../x', body: 'x' }],
      [{ name: 'hl', type: 'link' as const, linkname: '../../../../etc/passwd' }],
      [{ name: 'sl', type: 'symlink' as const, linkname: '../../../../../..' }],
    ]) {
      const r = await raw(d, 'PUT', '/containers/cp1/archive?path=/tmp', await tarOf(entries));
      assert.equal(r.status, 400, `${JSON.stringify(entries)}: ${r.body.toString()}`);
      assert.match(JSON.parse(r.body.toString()).message, /is outside of/);
    }
    // An absolute name lands below the destination.
    const abs = await raw(d, 'PUT', '/containers/cp1/archive?path=/tmp', await tarOf([{ name: `/${m.name}`, body: 'contained' }]));
    assert.equal(abs.status, 200, abs.body.toString());
    assert.equal(sh('cp1', `cat /tmp/${m.name}`), 'contained');
    assertNoEscape(m);
    // Garbage is a 400, not a crash.
    const junk = await raw(d, 'PUT', '/containers/cp1/archive?path=/tmp', Buffer.alloc(1024, 7));
    assert.equal(junk.status, 400, junk.body.toString());
  });

  it('holds while the container swaps a directory for a symlink to / under the copy', async () => {
    const d = daemon();
    ok(d.docker(['run', '-d', '--name', 'racer', 'busybox', 'sh', '-c',
      'mkdir -p /r/d; while true; do mv /r/d /r/x 2>/dev/null; ln -s / /r/d; rm /r/d; mv /r/x /r/d 2>/dev/null; done']));
    const m = hostMarker();
    for (let i = 0; i < 40; i++) {
      const r = await raw(d, 'PUT', '/containers/racer/archive?path=/r/d', await tarOf([{ name: m.name, body: 'x' }, { name: `tmp/${m.name}`, body: 'x' }]));
      assert.ok([200, 404, 400, 500].includes(r.status));
      const g = await raw(d, 'GET', '/containers/racer/archive?path=/r/d/etc/hostname');
      if (g.status === 200) assert.notEqual((await tarNames(g.body)).get('hostname')?.body, readFileSync('/etc/hostname', 'utf8'));
    }
    assertNoEscape(m);
    ok(d.docker(['rm', '-f', 'racer']));
  });
});

describe('diff, export, import, commit', () => {
  it('diff shows Docker’s kinds, export/import round-trips, commit makes a layer that runs', async () => {
    const d = daemon();
    ok(d.docker(['run', '--name', 'chg', 'busybox', 'sh', '-c', 'echo new > /new.txt && rm /bin/cpio && echo more >> /etc/passwd && mkdir -p /home/u/.cfg && rm -rf /var/spool']));
    const diff = ok(d.docker(['diff', 'chg'])).trim().split('\n');
    assert.deepEqual(diff, ['C /bin', 'D /bin/cpio', 'C /etc', 'C /etc/passwd', 'C /home', 'A /home/u', 'A /home/u/.cfg', 'A /new.txt', 'C /var', 'D /var/spool']);

    const exported = join(work, 'chg.tar');
    ok(d.docker(['export', '-o', exported, 'chg']));
    const names = await tarNames(readFileSync(exported));
    assert.equal(names.get('new.txt')?.body, 'new\n');
    assert.equal(names.has('bin/cpio'), false);
    assert.equal(names.has('var/spool/'), false);
    assert.equal(names.get('bin/sh')?.linkname, '/bin/busybox');
    ok(d.docker(['import', exported, 'chg-imported:1']));
    assert.equal(ok(d.docker(['run', '--rm', 'chg-imported:1', 'cat', '/new.txt'])), 'new\n');

    const since = Math.floor(Date.now() / 1000);
    const id = ok(d.docker(['commit', '-m', 'my message', '-a', 'Jane <j@x>', '-c', 'CMD ["cat", "/new.txt"]', 'chg', 'chg-committed:v1'])).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const format = '{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.comment}} {{.Actor.Attributes.imageID}} {{.Actor.Attributes.imageRef}}';
    // Seconds are the finest --since: other commits of the same second may show; this one's line is checked.
    const events = ok(d.docker(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'event=commit', '--format', format]));
    assert.deepEqual(events.split('\n').filter((l) => l.includes(id)), [`container commit chg my message ${id} chg-committed:v1`]);
    // Without a tag, dockerd names the reference with :latest; without a repository, none.
    const since2 = Math.floor(Date.now() / 1000);
    const plain = ok(d.docker(['commit', 'chg', 'chg-plain'])).trim();
    const untagged = ok(d.docker(['commit', 'chg'])).trim();
    const more = ok(d.docker(['events', '--since', String(since2), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'event=commit', '--format', '{{.Actor.Attributes.imageID}} {{.Actor.Attributes.imageRef}}|']));
    assert.deepEqual(more.split('\n').filter((l) => l.startsWith(plain) || l.startsWith(untagged)), [`${plain} chg-plain:latest|`, `${untagged} |`]);
    ok(d.docker(['rmi', 'chg-plain', untagged]));
    assert.equal(ok(d.docker(['run', '--rm', 'chg-committed:v1'])), 'new\n');
    assert.notEqual(d.docker(['run', '--rm', 'chg-committed:v1', 'ls', '/bin/cpio']).code, 0);
    assert.notEqual(d.docker(['run', '--rm', 'chg-committed:v1', 'ls', '/var/spool']).code, 0);
    assert.match(ok(d.docker(['run', '--rm', 'chg-committed:v1', 'tail', '-n1', '/etc/passwd'])), /^more$/m);
    const history = ok(d.docker(['history', '--no-trunc', '--format', '{{.Comment}}|{{.CreatedBy}}', 'chg-committed:v1'])).split('\n');
    assert.equal(history[0], 'my message|sh -c echo new > /new.txt && rm /bin/cpio && echo more >> /etc/passwd && mkdir -p /home/u/.cfg && rm -rf /var/spool');
    const inspect = JSON.parse(ok(d.docker(['image', 'inspect', 'chg-committed:v1'])))[0] as { Author: string; Comment: string; RootFS: { Layers: string[] } };
    assert.equal(inspect.Author, 'Jane <j@x>');
    assert.equal(inspect.Comment, 'my message');
    assert.equal(inspect.RootFS.Layers.length, 2);
  });

  it('commits a running container (paused meanwhile), and an unchanged one as an empty layer', async () => {
    const d = daemon();
    ok(d.docker(['run', '-d', '--name', 'live', 'busybox', 'sh', '-c', 'echo live > /state; sleep 1000']));
    for (let i = 0; i < 50 && d.docker(['exec', 'live', 'test', '-f', '/state']).code !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    ok(d.docker(['commit', 'live', 'live-img']));
    assert.equal(ok(d.docker(['inspect', '-f', '{{.State.Status}}', 'live'])).trim(), 'running');
    assert.equal(ok(d.docker(['run', '--rm', 'live-img', 'cat', '/state'])), 'live\n');
    ok(d.docker(['create', '--name', 'untouched', 'busybox', 'true']));
    ok(d.docker(['commit', 'untouched', 'same-img']));
    const layers = JSON.parse(ok(d.docker(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', 'same-img']))) as string[];
    assert.equal(layers.length, 1);
    const bad = d.docker(['commit', '-c', 'FROM busybox', 'untouched', 'x']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /FROM is not a valid change command/);
    const none = d.docker(['commit', 'nope', 'x']);
    assert.match(none.stderr, /No such container: nope/);
    ok(d.docker(['rm', '-f', 'live']));
  });
});

describe('berth cp, diff, export, commit', () => {
  it('does what docker does, through the same API', async () => {
    const d = daemon();
    ok(d.berth(['run', '-d', '--name', 'bcp', 'busybox', 'sleep', '1000']));
    const src = join(work, 'btree');
    mkdirSync(join(src, 'in'), { recursive: true });
    writeFileSync(join(src, 'in/f.txt'), 'berth file\n');
    symlinkSync('in/f.txt', join(src, 'lnk'));
    ok(d.berth(['cp', src, 'bcp:/tmp']));
    assert.equal(sh('bcp', 'cat /tmp/btree/in/f.txt; readlink /tmp/btree/lnk'), 'berth file\nin/f.txt\n');
    ok(d.berth(['cp', join(src, 'in/f.txt'), 'bcp:/tmp/renamed.txt']));
    assert.equal(sh('bcp', 'cat /tmp/renamed.txt'), 'berth file\n');
    const out = join(work, 'bout');
    ok(d.berth(['cp', 'bcp:/tmp/btree', out]));
    assert.equal(readFileSync(join(out, 'in/f.txt'), 'utf8'), 'berth file\n');
    const single = join(work, 'single.txt');
    ok(d.berth(['cp', 'bcp:/tmp/renamed.txt', single]));
    assert.equal(readFileSync(single, 'utf8'), 'berth file\n');
    const streamed = await tarNames(Buffer.from(ok(d.berth(['cp', 'bcp:/tmp/renamed.txt', '-'])), 'latin1'));
    assert.equal(streamed.get('renamed.txt')?.body, 'berth file\n');
    ok(d.berth(['cp', '-', 'bcp:/tmp'], { input: await tarOf([{ name: 'from-stdin', body: 'in' }]) }));
    assert.equal(sh('bcp', 'cat /tmp/from-stdin'), 'in');
    // The same errors as docker's.
    for (const args of [['bcp:/no/such', join(work, 'x')], ['nope:/etc', join(work, 'x')], [single, 'bcp:/no/such/'], ['a', 'b'], ['bcp:/a', 'bcp:/b']]) {
      const b = d.berth(['cp', ...args]);
      const k = d.docker(['cp', ...args]);
      assert.equal(b.code, k.code, `${args.join(' ')}: berth ${b.stderr} docker ${k.stderr}`);
      // docker's CLI may log its own tar writer's noise (logrus lines) before or after its error.
      const dockerError = k.stderr.trim().split('\n').filter((line) => !/^time="[^"]*" level=/.test(line));
      assert.deepEqual([b.stderr.trim()], dockerError, args.join(' '));
    }
    sh('bcp', 'echo changed > /tmp/renamed.txt; rm /bin/cpio');
    assert.equal(ok(d.berth(['diff', 'bcp'])), ok(d.docker(['diff', 'bcp'])));
    const exported = join(work, 'b.tar');
    ok(d.berth(['export', '-o', exported, 'bcp']));
    assert.equal((await tarNames(readFileSync(exported))).get('tmp/renamed.txt')?.body, 'changed\n');
    const id = ok(d.berth(['commit', '-m', 'from berth', '-c', 'CMD ["cat", "/tmp/renamed.txt"]', 'bcp', 'berth-committed'])).trim();
    assert.match(id, /^sha256:/);
    assert.equal(ok(d.berth(['run', '--rm', 'berth-committed'])), 'changed\n');
    assert.match(ok(d.berth(['history', 'berth-committed'])), /from berth/);
    ok(d.berth(['rm', '-f', 'bcp']));
  });
});
