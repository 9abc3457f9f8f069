// Volumes, bind mounts and tmpfs mounts through the real docker CLI, berth and the API, with real containers:
// named and anonymous volumes, copy-up from the image, rm -v / --rm, --volumes-from, binds, --mount, tmpfs and
// bind-backed local volumes, inspect's Mounts, ps/df/prune, and a daemon restart.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import tar from 'tar-stream';
import { useTestDaemon } from '../harness.js';

const daemon = useTestDaemon();
const docker = (args: string[]) => daemon().docker(args);

function ok(args: string[]): string {
  const r = docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

function fails(args: string[], message: RegExp | string): void {
  const r = docker(args);
  assert.notEqual(r.code, 0, `docker ${args.join(' ')} should fail`);
  if (typeof message === 'string') assert.ok(r.stderr.includes(message), `stderr: ${r.stderr}`);
  else assert.match(r.stderr, message);
}

const dataDir = (name: string): string => join(daemon().dataRoot, 'volumes', name, '_data');
const mounted = (path: string): boolean => readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === path);

describe('docker volume', () => {
  it('create, ls (filters, -q, --format), inspect, rm; Docker words for bad names and unknown volumes', async () => {
    assert.equal(ok(['volume', 'create', '--label', 'team=a', 'vol1']), 'vol1');
    ok(['volume', 'create', 'vol2']);
    const [v] = JSON.parse(ok(['volume', 'inspect', 'vol1'])) as Record<string, unknown>[];
    assert.deepEqual(Object.keys(v!).sort(), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
    assert.equal(v!['Driver'], 'local');
    assert.equal(v!['Scope'], 'local');
    assert.equal(v!['Mountpoint'], dataDir('vol1'));
    assert.deepEqual(v!['Labels'], { team: 'a' });
    assert.match(String(v!['CreatedAt']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(statSync(dataDir('vol1')).isDirectory());
    assert.deepEqual(ok(['volume', 'ls', '-q']).split('\n'), ['vol1', 'vol2']);
    assert.equal(ok(['volume', 'ls', '-q', '--filter', 'label=team=a']), 'vol1');
    assert.equal(ok(['volume', 'ls', '-q', '--filter', 'name=l2']), 'vol2');
    assert.equal(ok(['volume', 'ls', '-q', '--filter', 'driver=local', '--filter', 'dangling=true']), 'vol1\nvol2');
    assert.equal(ok(['volume', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Labels}}', '--filter', 'label=team']), 'vol1 local team=a');
    assert.match(ok(['volume', 'ls']), /^DRIVER\s+VOLUME NAME\nlocal\s+vol1\nlocal\s+vol2$/);

    fails(['volume', 'create', 'bad/name'], 'create bad/name: "bad/name" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path');
    const bad = await daemon().api('POST', '/volumes/create', { Name: 'a' });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /volume name is too short/);
    const badOpt = await daemon().api('POST', '/volumes/create', { Name: 'opt', DriverOpts: { bogus: '1' } });
    assert.equal(badOpt.status, 400);
    assert.match(badOpt.body, /invalid option: \\"bogus\\"/);
    assert.equal((await daemon().api('POST', '/volumes/create', { Name: 'opt', DriverOpts: { type: 'tmpfs' } })).status, 400);
    fails(['volume', 'inspect', 'nope'], 'get nope: no such volume');
    const rm404 = await daemon().api('DELETE', '/volumes/nope');
    assert.equal(rm404.status, 404);
    assert.equal(JSON.parse(rm404.body).message, 'get nope: no such volume');
    ok(['volume', 'rm', '-f', 'nope']);
    ok(['volume', 'rm', 'vol2']);
    assert.ok(!existsSync(join(daemon().dataRoot, 'volumes', 'vol2')));
    ok(['volume', 'rm', 'vol1']);
  });
});

describe('volumes in containers', () => {
  it('run -v creates the volume, fills it from the image (modes kept) unless nocopy, and data outlives the container', () => {
    ok(['run', '--name', 'w1', '-v', 'data:/root', 'busybox', 'sh', '-c', 'echo hello > /root/msg']);
    assert.equal(statSync(dataDir('data')).mode & 0o7777, 0o700, "the image directory's mode is copied");
    assert.equal(ok(['run', '--rm', '-v', 'data:/x', 'busybox', 'cat', '/x/msg']), 'hello');
    ok(['run', '--rm', '-v', 'etcvol:/etc', 'busybox', 'true']);
    assert.ok(existsSync(join(dataDir('etcvol'), 'passwd')), 'copied from the image');
    ok(['run', '--rm', '-v', 'empty:/etc:nocopy', 'busybox', 'true']);
    assert.ok(!existsSync(join(dataDir('empty'), 'passwd')), 'nocopy leaves the volume empty');
    ok(['run', '--rm', '--mount', 'type=volume,src=empty2,dst=/etc,volume-nocopy', 'busybox', 'true']);
    assert.ok(!existsSync(join(dataDir('empty2'), 'passwd')));

    const [m] = JSON.parse(ok(['inspect', '-f', '{{json .Mounts}}', 'w1'])) as Record<string, unknown>[];
    assert.deepEqual(m, { Type: 'volume', Name: 'data', Source: dataDir('data'), Destination: '/root', Driver: 'local', Mode: 'z', RW: true, Propagation: '' });
    assert.deepEqual(JSON.parse(ok(['inspect', '-f', '{{json .HostConfig.Binds}}', 'w1'])), ['data:/root']);
    assert.equal(ok(['ps', '-a', '--filter', 'volume=data', '--format', '{{.Names}}']), 'w1');
    assert.equal(ok(['ps', '-a', '--filter', 'volume=/root', '--format', '{{.Names}}']), 'w1');
    assert.equal(ok(['ps', '-a', '--filter', 'volume=other', '--format', '{{.Names}}']), '');

    const inUse = docker(['volume', 'rm', 'data']);
    assert.equal(inUse.code, 1);
    assert.ok(inUse.stderr.includes(`remove data: volume is in use - [${ok(['inspect', '-f', '{{.Id}}', 'w1'])}]`), inUse.stderr);
    assert.equal(ok(['volume', 'ls', '-q', '--filter', 'dangling=false']), 'data');
    ok(['rm', '-v', 'w1']);
    assert.ok(existsSync(dataDir('data')), 'rm -v never removes a named volume');
    ok(['volume', 'rm', 'data', 'etcvol', 'empty', 'empty2']);
  });

  it('anonymous volumes: image VOLUME and -v /path, kept by rm, removed by rm -v and --rm; --volumes-from', async () => {
    // An image with a VOLUME whose content belongs to another user.
    const pack = tar.pack();
    pack.entry({ name: 'bin/', type: 'directory', mode: 0o755 });
    pack.entry({ name: 'bin/busybox', mode: 0o755 }, readFileSync('/bin/busybox'));
    pack.entry({ name: 'bin/sh', type: 'symlink', linkname: 'busybox' });
    pack.entry({ name: 'data/', type: 'directory', mode: 0o750, uid: 1000, gid: 1000 });
    pack.entry({ name: 'data/f', mode: 0o640, uid: 1000, gid: 1000 }, 'from the image');
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    const imported = daemon().docker(['import', '--change', 'VOLUME /data', '--change', 'CMD ["sh"]', '-', 'withvol'], { input: Buffer.concat(chunks) });
    assert.equal(imported.code, 0, imported.stderr);

    ok(['create', '--name', 'anon', '-v', '/scratch', 'withvol']);
    const mounts = JSON.parse(ok(['inspect', '-f', '{{json .Mounts}}', 'anon'])) as { Name: string; Destination: string; Mode: string; Type: string }[];
    assert.deepEqual(mounts.map((m) => [m.Type, m.Destination, m.Mode]), [['volume', '/data', ''], ['volume', '/scratch', '']]);
    const dataVol = mounts[0]!.Name;
    assert.match(dataVol, /^[0-9a-f]{64}$/);
    const st = statSync(join(dataDir(dataVol), 'f'));
    assert.deepEqual([st.uid, st.gid, st.mode & 0o777], [1000, 1000, 0o640], 'ownership and modes kept');
    assert.equal(statSync(dataDir(dataVol)).uid, 1000);
    const [vol] = JSON.parse(ok(['volume', 'inspect', dataVol])) as { Labels: Record<string, string> }[];
    assert.deepEqual(vol!.Labels, { 'com.docker.volume.anonymous': '' });

    ok(['create', '--name', 'reader', '--volumes-from', 'anon:ro', 'busybox', 'true']);
    const fromMounts = JSON.parse(ok(['inspect', '-f', '{{json .Mounts}}', 'reader'])) as { Name: string; RW: boolean }[];
    assert.deepEqual(fromMounts.map((m) => [m.Name, m.RW]), mounts.map((m) => [m.Name, false]));
    ok(['start', '-a', 'reader']);
    fails(['run', '--rm', '--volumes-from', 'anon:ro', 'busybox', 'touch', '/data/x'], 'Read-only file system');
    assert.equal(ok(['run', '--rm', '--volumes-from', 'anon', 'busybox', 'cat', '/data/f']), 'from the image');

    ok(['rm', 'reader']);
    ok(['rm', '-v', 'anon']);
    assert.ok(!existsSync(dataDir(dataVol)), 'rm -v removes anonymous volumes');
    ok(['run', '--rm', '-v', '/tmpvol', 'busybox', 'true']);
    assert.equal(ok(['volume', 'ls', '-q']), '', '--rm removes anonymous volumes');
  });

  it('bind mounts: -v (ro, z, a missing source is created), --mount refuses a missing source, relative paths refused', () => {
    const hostDir = join(daemon().root, 'host-dir');
    mkdirSync(hostDir);
    writeFileSync(join(hostDir, 'in'), 'from host');
    assert.equal(ok(['run', '--rm', '-v', `${hostDir}:/h:ro,z`, 'busybox', 'cat', '/h/in']), 'from host');
    fails(['run', '--rm', '-v', `${hostDir}:/h:ro`, 'busybox', 'touch', '/h/x'], 'Read-only file system');
    ok(['run', '--rm', '--mount', `type=bind,src=${hostDir},dst=/h`, 'busybox', 'sh', '-c', 'echo out > /h/out']);
    assert.equal(readFileSync(join(hostDir, 'out'), 'utf8'), 'out\n');

    const missing = join(daemon().root, 'made-by-v', 'sub');
    ok(['run', '--name', 'b1', '-v', `${missing}:/m`, 'busybox', 'true']);
    assert.ok(statSync(missing).isDirectory(), '-v creates a missing host directory');
    const [m] = JSON.parse(ok(['inspect', '-f', '{{json .Mounts}}', 'b1'])) as Record<string, unknown>[];
    assert.deepEqual(m, { Type: 'bind', Source: missing, Destination: '/m', Mode: '', RW: true, Propagation: 'rprivate' });
    ok(['rm', 'b1']);

    const gone = join(daemon().root, 'not-there');
    fails(['run', '--rm', '--mount', `type=bind,src=${gone},dst=/x`, 'busybox', 'true'], `invalid mount config for type "bind": bind source path does not exist: ${gone}`);
    assert.ok(!existsSync(gone));
    fails(['run', '--rm', '-v', 'vol:relative', 'busybox', 'true'], "invalid volume specification: 'vol:relative'");
    fails(['run', '--rm', '-v', 'vol:relative', 'busybox', 'true'], "mount path must be absolute");
    fails(['run', '--rm', '-v', `${hostDir}:/a`, '-v', 'x1:/a', 'busybox', 'true'], 'Duplicate mount point: /a');
    fails(['run', '--rm', '-v', 'bad!name:/a', 'busybox', 'true'], 'includes invalid characters for a local volume name');
    fails(['run', '--rm', '--mount', 'type=tmpfs,src=x,dst=/a', 'busybox', 'true'], 'invalid mount config for type "tmpfs": field Source must not be specified');
    assert.equal(ok(['volume', 'ls', '-q']), '', 'failed creates leave no volumes');
  });

  it('--read-only root with --tmpfs and --mount type=tmpfs; tmpfs and o=bind local volumes mounted while used', () => {
    const out = ok(['run', '--rm', '--read-only', '--tmpfs', '/run', '--mount', 'type=tmpfs,dst=/scratch,tmpfs-size=1m,tmpfs-mode=1770', 'busybox', 'sh', '-c',
      'touch /run/ok && touch /scratch/ok && stat -c %a /scratch && grep " /scratch " /proc/mounts; touch /nope 2>/dev/null || echo ro-root']);
    assert.match(out, /^1770\ntmpfs \/scratch tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k,mode=1770.*\nro-root$/);

    ok(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=10m', 'tmp1']);
    const [v] = JSON.parse(ok(['volume', 'inspect', 'tmp1'])) as { Options: Record<string, string> }[];
    assert.deepEqual(v!.Options, { type: 'tmpfs', device: 'tmpfs', o: 'size=10m' });
    ok(['run', '-d', '--name', 't1', '-v', 'tmp1:/t', 'busybox', 'sleep', '300']);
    assert.match(ok(['exec', 't1', 'df', '-k', '/t']), /tmpfs\s+10240\s/);
    assert.ok(mounted(dataDir('tmp1')), 'mounted while a container uses it');
    ok(['rm', '-f', 't1']);
    assert.ok(!mounted(dataDir('tmp1')), 'unmounted when the last user is gone');

    const backing = join(daemon().root, 'backing');
    mkdirSync(backing);
    ok(['volume', 'create', '-o', 'type=none', '-o', 'o=bind', '-o', `device=${backing}`, 'bound']);
    ok(['run', '--rm', '-v', 'bound:/b', 'busybox', 'sh', '-c', 'echo via-volume > /b/f']);
    assert.equal(readFileSync(join(backing, 'f'), 'utf8'), 'via-volume\n');
    assert.ok(!mounted(dataDir('bound')));
    // Volumes with driver options are never pruned (their data lives elsewhere), as in Docker.
    ok(['volume', 'prune', '-af']);
    assert.equal(ok(['volume', 'ls', '-q']), 'bound\ntmp1');
    ok(['volume', 'rm', 'bound', 'tmp1']);
    assert.ok(existsSync(join(backing, 'f')), 'removing a bind volume leaves the host directory alone');
  });

  it('prune (anonymous only unless --all, label filters), system df -v, and volumes survive a daemon restart', async () => {
    ok(['volume', 'create', '--label', 'keep=1', 'named1']);
    ok(['volume', 'create', 'named2']);
    ok(['create', '--name', 'holder', '-v', '/anon1', '-v', 'named1:/n', 'busybox', 'true']);
    ok(['rm', 'holder']);
    ok(['run', '--name', 'user', '-v', 'used:/u', 'busybox', 'sh', '-c', 'head -c 4096 /dev/zero > /u/blob']);

    const df = ok(['system', 'df', '-v', '--format', '{{json .Volumes}}']);
    const rows = JSON.parse(df) as { Name: string; Links: string; Size: string }[];
    const used = rows.find((r) => r.Name === 'used');
    assert.deepEqual([used?.Links, used?.Size], ['1', '4.096kB']);
    assert.match(ok(['system', 'df']), /Local Volumes\s+4\s+1\s+4\.096kB\s+0B \(0%\)/);

    const pruned = ok(['volume', 'prune', '-f']);
    assert.match(pruned, /^Deleted Volumes:\n[0-9a-f]{64}\n\nTotal reclaimed space: 0B$/);
    assert.equal(ok(['volume', 'ls', '-q']), 'named1\nnamed2\nused');
    assert.match(ok(['volume', 'prune', '-af', '--filter', 'label!=keep']), /^Deleted Volumes:\nnamed2\n/);
    assert.equal(ok(['volume', 'ls', '-q']), 'named1\nused');

    await daemon().stopDaemon();
    await daemon().startDaemon();
    assert.equal(ok(['volume', 'ls', '-q']), 'named1\nused');
    assert.equal(ok(['run', '--rm', '-v', 'used:/u', 'busybox', 'wc', '-c', '/u/blob']), '4096 /u/blob');
    ok(['rm', 'user']);
    ok(['volume', 'rm', 'named1', 'used']);
  });

  it('berth volume commands and berth run -v/--mount', () => {
    const berth = (args: string[]) => daemon().berth(args);
    const created = berth(['volume', 'create', '--label', 'a=b', 'bv']);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout.trim(), 'bv');
    assert.equal(berth(['volume', 'ls', '-q']).stdout.trim(), 'bv');
    assert.equal(berth(['volume', 'inspect', '-f', '{{.Labels}}', 'bv']).stdout.trim(), 'map[a:b]');
    const run = berth(['run', '--rm', '-v', 'bv:/v', '--mount', 'type=tmpfs,dst=/t', 'busybox', 'sh', '-c', 'echo x > /v/f && touch /t/y && cat /v/f']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'x');
    const bad = berth(['volume', 'inspect', 'nope']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /get nope: no such volume/);
    assert.equal(berth(['volume', 'rm', 'bv']).code, 0);
    assert.equal(berth(['volume', 'prune', '-f']).code, 0);
  });
});
