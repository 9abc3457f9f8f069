// Dockerfile builds through the classic API: the real docker CLI (DOCKER_BUILDKIT=0), raw API requests and
// berth build, with real RUN containers, layers and the cache.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { leftovers, networkLeftovers, REPO, useTestDaemon, type CommandResult } from '../harness.js';

const daemon = useTestDaemon();
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function context(files: Record<string, string>): string {
  const dir = mkdtempSync('/tmp/bctx-');
  dirs.push(dir);
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  return dir;
}

function dockerBuild(args: string[], opts: { input?: string } = {}): CommandResult {
  const d = daemon();
  const r = d.docker(['build', ...args], { ...opts, timeoutMs: 120_000 });
  return r;
}

process.env['DOCKER_BUILDKIT'] = '0';

const SERVE_SCRIPT = `
  const s = require('node:http').createServer((req, res) => { res.writeHead(200); res.end('served ' + req.url); });
  s.listen(0, '127.0.0.1', () => console.log(s.address().port));
`;

function inspect(ref: string, format: string): string {
  const r = daemon().docker(['image', 'inspect', '--format', format, ref]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

function noBuildLeftovers(): void {
  const d = daemon();
  assert.equal(d.docker(['ps', '-aq']).stdout.trim(), '', 'no intermediate container is left');
  const mounts = leftovers(d.root).mounts.filter((m) => !m.includes('/containers/'));
  assert.deepEqual(mounts, [], 'no build mount is left');
  const tmp = join(d.dataRoot, 'build', 'tmp');
  let scratch: string[] = [];
  try {
    scratch = readdirSync(tmp);
  } catch {
    scratch = [];
  }
  assert.deepEqual(scratch, [], 'no build scratch directory is left');
}

describe('docker build (classic builder)', () => {
  it('builds FROM, RUN, COPY, ENV, WORKDIR, CMD and tags the result', () => {
    const dir = context({
      Dockerfile: 'FROM busybox\nENV GREETING=hello\nWORKDIR /app\nCOPY hello.txt .\nRUN echo "$GREETING $(cat hello.txt)" > out.txt\nCMD ["cat", "/app/out.txt"]\n',
      'hello.txt': 'world',
    });
    const r = dockerBuild(['-t', 'smoke:1', '-t', 'smoke:2', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^Step 1\/6 : FROM busybox\n ---> [0-9a-f]{12}\n/m);
    assert.match(r.stdout, /Step 5\/6 : RUN echo "\$GREETING \$\(cat hello.txt\)" > out.txt\n ---> Running in [0-9a-f]{12}\n/);
    assert.match(r.stdout, /Successfully built [0-9a-f]{12}\nSuccessfully tagged smoke:1\nSuccessfully tagged smoke:2\n/);
    const run = daemon().docker(['run', '--rm', 'smoke:1']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'hello world\n');
    const hist = daemon().docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'smoke:2']);
    assert.match(hist.stdout, /^\/bin\/sh -c #\(nop\)  CMD \["cat","\/app\/out.txt"\]\n\/bin\/sh -c echo "\$GREETING/);
  });

  it('builds only the stages the target needs, with ARG before FROM, --build-arg, --target and COPY --from', () => {
    const dir = context({
      Dockerfile: [
        'ARG BASE=busybox',
        'FROM ${BASE} AS base',
        'ARG WHO=nobody',
        'RUN echo "built for $WHO" > /who',
        'FROM base AS broken',
        'RUN exit 42',
        'FROM scratch AS files',
        'COPY <<EOF /note.txt',
        'from a heredoc',
        'EOF',
        'FROM ${BASE}',
        'COPY --from=base /who /who',
        'COPY --from=files /note.txt /note.txt',
        'RUN <<EOF',
        'cat /who /note.txt > /all',
        'EOF',
        'CMD ["cat", "/all"]',
      ].join('\n'),
    });
    const r = dockerBuild(['--build-arg', 'WHO=tests', '--build-arg', 'UNUSED=1', '-t', 'multi', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /exit 42/, 'the unused stage is not built');
    assert.match(r.stdout, /\[Warning\] One or more build-args \[UNUSED\] were not consumed/);
    assert.equal(daemon().docker(['run', '--rm', 'multi']).stdout, 'built for tests\nfrom a heredoc\n');
    const t = dockerBuild(['--target', 'broken', dir]);
    assert.notEqual(t.code, 0);
    assert.match(t.stdout + t.stderr, /The command '\/bin\/sh -c exit 42' returned a non-zero code: 42/);
    const missing = dockerBuild(['--target', 'nope', dir]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /failed to reach build target nope in Dockerfile/);
    noBuildLeftovers();
  });

  it('sets the image config from ENV, LABEL, --label, USER, EXPOSE, VOLUME, ENTRYPOINT, SHELL, STOPSIGNAL, HEALTHCHECK, ONBUILD', () => {
    const dir = context({
      Dockerfile: [
        'FROM busybox',
        '# syntax=ignored/here',
        'ENV A=1 B="two words"',
        'ENV C=${A}-${B:+set}-${NOPE:-dflt}',
        'LABEL org.example.x="y" other=z',
        'MAINTAINER someone',
        'USER 1000:1000',
        'EXPOSE 80 53/udp',
        'VOLUME ["/data"]',
        'WORKDIR /srv',
        'WORKDIR sub',
        'SHELL ["/bin/sh", "-ec"]',
        'ENTRYPOINT echo entry',
        'STOPSIGNAL SIGTERM',
        'HEALTHCHECK --interval=5s --retries=2 CMD true',
        'ONBUILD RUN echo child',
      ].join('\n'),
    });
    const r = dockerBuild(['--label', 'from.cli=yes', '-t', 'cfg', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const cfg = JSON.parse(inspect('cfg', '{{json .Config}}')) as Record<string, unknown>;
    assert.deepEqual((cfg['Env'] as string[]).slice(1), ['A=1', 'B=two words', 'C=1-set-dflt']);
    assert.deepEqual(cfg['Labels'], { 'org.example.x': 'y', other: 'z', 'from.cli': 'yes' });
    assert.equal(cfg['User'], '1000:1000');
    assert.deepEqual(cfg['ExposedPorts'], { '80/tcp': {}, '53/udp': {} });
    assert.deepEqual(cfg['Volumes'], { '/data': {} });
    assert.equal(cfg['WorkingDir'], '/srv/sub');
    assert.deepEqual(cfg['Entrypoint'], ['/bin/sh', '-ec', 'echo entry']);
    assert.ok(cfg['Cmd'] === null || cfg['Cmd'] === undefined, 'ENTRYPOINT clears an inherited CMD');
    assert.equal(cfg['StopSignal'], 'SIGTERM');
    assert.deepEqual(cfg['Healthcheck'], { Test: ['CMD-SHELL', 'true'], Interval: 5_000_000_000, Retries: 2 });
    assert.deepEqual(cfg['OnBuild'], ['RUN echo child']);
    assert.equal(inspect('cfg', '{{.Author}}'), 'someone');
    // A child image runs the trigger first.
    const child = context({ Dockerfile: 'FROM cfg\nUSER root\n' });
    const c = dockerBuild(['-t', 'cfg-child', child]);
    assert.equal(c.code, 0, c.stdout + c.stderr);
    assert.match(c.stdout, /# Executing 1 build trigger\n[\s\S]*child\n/);
    assert.equal(inspect('cfg-child', '{{json .Config.OnBuild}}'), 'null');
  });

  it('takes the Dockerfile from -f outside the context, from stdin (-f -) and a whole context from stdin, and writes --iidfile', () => {
    const dir = context({ 'data.txt': 'payload' });
    const outside = context({ 'My.Dockerfile': 'FROM busybox\nCOPY data.txt /data.txt\nCMD ["cat", "/data.txt"]\n' });
    const iid = join(outside, 'iid');
    const r = dockerBuild(['-f', join(outside, 'My.Dockerfile'), '--iidfile', iid, '-t', 'fx', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(readFileSync(iid, 'utf8'), /^sha256:[0-9a-f]{64}$/);
    assert.equal(readFileSync(iid, 'utf8'), inspect('fx', '{{.Id}}'));
    assert.equal(daemon().docker(['run', '--rm', 'fx']).stdout, 'payload');
    const stdinFile = dockerBuild(['-f', '-', '-t', 'fx2', dir], { input: 'FROM busybox\nCOPY data.txt /d\n' });
    assert.equal(stdinFile.code, 0, stdinFile.stdout + stdinFile.stderr);
    const bare = dockerBuild(['-q', '-t', 'fx3', '-'], { input: 'FROM busybox\nLABEL bare=1\n' });
    assert.equal(bare.code, 0, bare.stderr);
    assert.match(bare.stdout, /^sha256:[0-9a-f]{64}\n$/);
    assert.equal(inspect('fx3', '{{.Config.Labels.bare}}'), '1');
  });

  it('COPY with wildcards, --chown by name, --chmod, into an existing directory, and through a context symlink', () => {
    const dir = context({
      Dockerfile: [
        'FROM busybox',
        'COPY *.txt /w/',
        'COPY --chown=nobody:nogroup --chmod=640 one.txt /etc/',
        'COPY link /linked',
        'COPY sub /sub-content',
        'CMD ["sh"]',
      ].join('\n'),
      'one.txt': '1',
      'two.txt': '2',
      'other.md': 'no',
      'sub/inner': 'in\n',
    });
    spawnSync('ln', ['-s', 'sub/inner', join(dir, 'link')]);
    const r = dockerBuild(['-t', 'cp', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = daemon().docker(['run', '--rm', 'cp', 'sh', '-c', 'ls /w; stat -c "%U:%G %a" /etc/one.txt; cat /linked; ls /sub-content']).stdout;
    assert.equal(out, 'one.txt\ntwo.txt\nnobody:nogroup 640\nin\ninner\n');
  });

  it('honours .dockerignore with ** and ! exceptions', () => {
    const dir = context({
      Dockerfile: 'FROM busybox\nCOPY . /ctx\nRUN find /ctx -type f | sort > /list\nCMD ["cat", "/list"]\n',
      '.dockerignore': '**/*.log\nsecret\n!keep.log\n',
      'a.txt': 'a',
      'sub/b.log': 'b',
      'keep.log': 'k',
      secret: 's',
    });
    const r = dockerBuild(['-t', 'ign', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(daemon().docker(['run', '--rm', 'ign']).stdout, '/ctx/.dockerignore\n/ctx/Dockerfile\n/ctx/a.txt\n/ctx/keep.log\n');
  });

  it('keeps RUN --mount=type=cache between builds and out of the image; bind and tmpfs mounts work', () => {
    const dir = context({
      Dockerfile: [
        'FROM busybox',
        'RUN --mount=type=cache,target=/cache --mount=type=bind,source=in.txt,target=/in.txt --mount=type=tmpfs,target=/scratch \\',
        '    cat /in.txt >> /cache/log && cp /cache/log /seen && touch /scratch/x',
        'CMD ["cat", "/seen"]',
      ].join('\n'),
      'in.txt': 'line\n',
    });
    assert.equal(dockerBuild(['-t', 'cm', dir]).code, 0);
    assert.equal(daemon().docker(['run', '--rm', 'cm']).stdout, 'line\n');
    const again = dockerBuild(['--no-cache', '-t', 'cm', dir]);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.equal(daemon().docker(['run', '--rm', 'cm']).stdout, 'line\nline\n', 'the cache mount persisted');
    const ls = daemon().docker(['run', '--rm', 'cm', 'sh', '-c', 'ls -A /cache /scratch /in.txt 2>&1; true']);
    assert.match(ls.stdout, /\/cache.*No such file/);
    assert.match(ls.stdout, /\/scratch.*No such file/);
  });

  it('ADD unpacks a local tar and fetches an http URL', async () => {
    const dir = context({ Dockerfile: '' });
    mkdirSync(join(dir, 'tree'));
    writeFileSync(join(dir, 'tree', 'inner.txt'), 'inside');
    spawnSync('tar', ['-czf', join(dir, 'tree.tar.gz'), '-C', join(dir, 'tree'), 'inner.txt']);
    // The server runs in a child process: the docker CLI is run synchronously from this one.
    const server = spawn(process.execPath, ['-e', SERVE_SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const port = await new Promise<number>((resolve) => server.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
      writeFileSync(join(dir, 'Dockerfile'), `FROM busybox\nADD tree.tar.gz /x/\nADD http://127.0.0.1:${port}/file.txt /y/\nRUN cat /x/inner.txt /y/file.txt > /out\n`);
      const r = dockerBuild(['--network', 'host', '-t', 'addt', dir]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(daemon().docker(['run', '--rm', 'addt', 'cat', '/out']).stdout, 'insideserved /file.txt');
      assert.equal(daemon().docker(['run', '--rm', 'addt', 'stat', '-c', '%a', '/y/file.txt']).stdout, '600\n');
    } finally {
      server.kill();
    }
  });

  it('RUN steps are on the default bridge, or on the user network --network names (its containers by name)', () => {
    const d = daemon();
    // The veths of earlier tests' containers may still be on their way out: only new ones count.
    const veths = (): string[] => networkLeftovers(d.net).links.filter((l) => l.startsWith(`v${d.net.tag}`));
    const vethsBefore = new Set(veths());
    const newVeths = (): string[] => veths().filter((l) => !vethsBefore.has(l));
    const dir = context({ Dockerfile: 'FROM busybox\nRUN ip -o -4 addr show eth0 > /addr && ip route > /route && cat /etc/resolv.conf > /resolv\n' });
    const r = dockerBuild(['-t', 'onbridge', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const prefix = d.net.bip.replace(/\.1\/24$/, '.');
    assert.match(d.docker(['run', '--rm', 'onbridge', 'cat', '/addr']).stdout, new RegExp(`inet ${prefix.replace(/\./g, '\\.')}\\d+/24`));
    assert.match(d.docker(['run', '--rm', 'onbridge', 'cat', '/route']).stdout, new RegExp(`^default via ${d.net.bip.split('/')[0]!.replace(/\./g, '\\.')} dev eth0`, 'm'));
    assert.doesNotMatch(d.docker(['run', '--rm', 'onbridge', 'cat', '/resolv']).stdout, /127\.0\.0\.11/);
    assert.equal(d.docker(['network', 'create', 'buildnet']).code, 0);
    try {
      const web = d.docker(['run', '-d', '--name', 'bweb', '--network', 'buildnet', 'busybox', 'sh', '-c', 'mkdir /www && echo from-bweb > /www/index.html && exec httpd -f -p 80 -h /www']);
      assert.equal(web.code, 0, web.stderr);
      // The server must be listening before a step asks it (`run -d` returns once the process started).
      const deadline = Date.now() + 10_000;
      while (d.docker(['exec', 'bweb', 'wget', '-qO-', 'http://127.0.0.1/index.html']).code !== 0 && Date.now() < deadline) spawnSync('sleep', ['0.1']);
      const onNet = context({ Dockerfile: 'FROM busybox\nRUN wget -qO /got http://bweb/index.html\n' });
      const b = dockerBuild(['--network', 'buildnet', '-t', 'onnet', onNet]);
      assert.equal(b.code, 0, b.stdout + b.stderr);
      assert.equal(d.docker(['run', '--rm', 'onnet', 'cat', '/got']).stdout, 'from-bweb\n');
      // The default bridge has no names: the same step fails there.
      const off = dockerBuild(['--no-cache', onNet]);
      assert.notEqual(off.code, 0);
    } finally {
      d.docker(['rm', '-f', 'bweb']);
      d.docker(['network', 'rm', 'buildnet']);
    }
    // The steps' veths went with their namespaces (the kernel frees them a moment later).
    const deadline = Date.now() + 5000;
    while (newVeths().length > 0 && Date.now() < deadline) spawnSync('sleep', ['0.1']);
    assert.deepEqual(newVeths(), []);
    noBuildLeftovers();
  });

  it('runs RUN with --add-host, --ulimit and --shm-size; refuses another platform', () => {
    const dir = context({ Dockerfile: 'FROM busybox\nRUN grep -q "1.2.3.4\tbuildhost" /etc/hosts && ulimit -n > /n && df -k /dev/shm | tail -1 > /shm && echo "$HTTP_PROXY" > /proxy\n' });
    const r = dockerBuild(['--add-host', 'buildhost:1.2.3.4', '--ulimit', 'nofile=512:512', '--shm-size', '16m', '--build-arg', 'HTTP_PROXY=http://proxy.invalid:3128', '-t', 'opts', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /were not consumed/, 'proxy args need no ARG');
    assert.equal(daemon().docker(['run', '--rm', 'opts', 'cat', '/proxy']).stdout, 'http://proxy.invalid:3128\n');
    assert.doesNotMatch(daemon().docker(['history', '--no-trunc', 'opts']).stdout, /proxy\.invalid/, 'proxy args stay out of history');
    assert.equal(daemon().docker(['run', '--rm', 'opts', 'cat', '/n']).stdout, '512\n');
    assert.match(daemon().docker(['run', '--rm', 'opts', 'cat', '/shm']).stdout, /\s16384\s/);
    const p = dockerBuild(['--platform', 'linux/arm64', dir]);
    assert.notEqual(p.code, 0);
    assert.match(p.stderr, /platform "linux\/arm64" is not supported/);
  });
});

describe('docker build errors', () => {
  it('a syntax error names the line and the instruction', () => {
    const r = dockerBuild([context({ Dockerfile: 'FROM busybox\nRUN true\nFOO bar\n' })]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /dockerfile parse error on line 3: unknown instruction: FOO/);
    const s = dockerBuild([context({ Dockerfile: 'FROM busybox\nSHELL /bin/bash\n' })]);
    assert.match(s.stderr, /dockerfile parse error on line 2: SHELL requires the arguments to be in JSON form/);
    const f = dockerBuild([context({ Dockerfile: 'FROM busybox\nCOPY --bogus=1 a b\n' })]);
    assert.match(f.stderr, /dockerfile parse error on line 2: unknown flag: --bogus/);
  });

  it('COPY of a missing file, an ignored one, or a path outside the context', () => {
    const miss = dockerBuild([context({ Dockerfile: 'FROM busybox\nCOPY missing.txt /\n' })]);
    assert.notEqual(miss.code, 0);
    assert.match(miss.stderr, /COPY failed: file not found in build context or excluded by \.dockerignore: stat missing\.txt: file does not exist/);
    const ign = dockerBuild([context({ Dockerfile: 'FROM busybox\nCOPY x.txt /\n', 'x.txt': 'x', '.dockerignore': 'x.txt' })]);
    assert.match(ign.stderr, /COPY failed: file not found in build context or excluded by \.dockerignore/);
    const out = dockerBuild([context({ Dockerfile: 'FROM busybox\nCOPY ../etc/passwd /\n' })]);
    assert.match(out.stderr, /forbidden path outside the build context: \.\.\/etc\/passwd/);
    const multi = dockerBuild([context({ Dockerfile: 'FROM busybox\nCOPY a b /dst\n', a: '', b: '' })]);
    assert.match(multi.stderr, /When using COPY with more than one source file, the destination must be a directory and end with a \//);
    noBuildLeftovers();
  });

  it('a failing RUN gives the command and its exit code and leaves nothing behind', () => {
    const r = dockerBuild([context({ Dockerfile: 'FROM busybox\nRUN echo partial > /f && exit 3\n' })]);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stderr, /The command '\/bin\/sh -c echo partial > \/f && exit 3' returned a non-zero code: 3/);
    noBuildLeftovers();
  });

  it('refuses what berth cannot do, and malformed options, in words', async () => {
    const pull = dockerBuild(['--pull', context({ Dockerfile: 'FROM busybox\n' })]);
    // --pull now pulls: Docker Hub is unreachable from the test machine, and the build says so.
    assert.match(pull.stderr, /registry-1\.docker\.io/);
    const net = dockerBuild(['--network', 'nosuchnet', context({ Dockerfile: 'FROM busybox\n' })]);
    assert.match(net.stderr, /network nosuchnet not found/);
    const cases: Array<[string, RegExp]> = [
      ['FROM busybox\nRUN --mount=type=ssh true\n', /RUN --mount=type=ssh is not supported/],
      ['FROM busybox\nRUN --mount=type=secret,id=nope,required=true true\n', /line 2: secret nope not found/],
      ['FROM busybox\nRUN --mount=type=weird,target=/x true\n', /line 2: unsupported mount type "weird"/],
      ['FROM busybox\nRUN --mount=type=cache true\n', /line 2: mount type=cache requires a target/],
      ['FROM busybox\nADD git@github.com:x/y.git /src\n', /ADD failed: source git@github.com:x\/y.git is not supported/],
      ['FROM busybox\nCOPY --chmod=999 Dockerfile /\n', /invalid chmod parameter: 999/],
      ['FROM busybox\nCOPY Dockerfile\n', /line 2: COPY requires at least two arguments/],
      ['FROM busybox\nCOPY --parents Dockerfile /x/\n', /COPY --parents is not supported by berth yet/],
      ['FROM busybox\nENV A="unterminated\n', /line 2: ENV: unexpected end of statement while looking for matching double-quote/],
    ];
    for (const [dockerfile, want] of cases) {
      const r = dockerBuild([context({ Dockerfile: dockerfile })]);
      assert.notEqual(r.code, 0, dockerfile);
      assert.match(r.stderr, want, dockerfile);
    }
    const v2 = await daemon().api('POST', '/build?version=2');
    assert.equal(v2.status, 400);
    assert.match(v2.body, /berth has no BuildKit/);
    const badArgs = await daemon().api('POST', '/build?buildargs=%7Bnot-json');
    assert.equal(badArgs.status, 400);
    assert.match(badArgs.body, /invalid buildargs parameter/);
    const session = await daemon().api('POST', '/session');
    assert.equal(session.status, 501);
    noBuildLeftovers();
  });

  it('an unknown base image and a missing Dockerfile', () => {
    // A base that is not here is pulled, as Docker's classic builder does; Docker Hub is out of reach here, so the
    // build fails on that pull (with the registry's error, as dockerd words it) after naming the step.
    const img = dockerBuild([context({ Dockerfile: 'FROM nosuchimage:1\n' })]);
    assert.notEqual(img.code, 0);
    assert.match(img.stdout, /Step 1\/1 : FROM nosuchimage:1/);
    assert.match(img.stderr, /registry-1\.docker\.io/);
    const none = dockerBuild(['-f', 'Nope', context({ 'a.txt': '' })]);
    assert.notEqual(none.code, 0);
  });
});

describe('POST /build through the API', () => {
  async function tarGz(files: Record<string, string>): Promise<Buffer> {
    const { default: tar } = await import('tar-stream');
    const pack = tar.pack();
    for (const [name, body] of Object.entries(files)) pack.entry({ name, mode: 0o644 }, body);
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    return gzipSync(Buffer.concat(chunks));
  }

  it('takes a gzip context, streams JSON messages and applies .dockerignore itself', async () => {
    const body = await tarGz({ Dockerfile: 'FROM busybox\nCOPY . /c\n', '.dockerignore': 'junk\n', junk: 'x', keep: 'y' });
    const r = await daemon().api('POST', '/v1.43/build?t=apictx&rm=1', body);
    assert.equal(r.status, 200);
    const msgs = r.body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(msgs.some((m) => m['stream'] === 'Step 1/2 : FROM busybox\n'));
    assert.ok(msgs.some((m) => typeof (m['aux'] as { ID?: string } | undefined)?.ID === 'string'));
    const ls = daemon().docker(['run', '--rm', 'apictx', 'ls', '-A', '/c']);
    assert.equal(ls.stdout, '.dockerignore\nDockerfile\nkeep\n');
  });

  it('refuses a hostile context tar without writing outside it', async () => {
    const { default: tar } = await import('tar-stream');
    const pack = tar.pack();
    pack.entry({ name: 'Dockerfile' }, 'FROM busybox\n');
    pack.entry({ name: '../../../../escaped-by-build-test' }, 'x');
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    const r = await daemon().api('POST', '/build', Buffer.concat(chunks));
    assert.equal(r.status, 200);
    assert.match(r.body, /"error":"invalid build context: entry \\"..\/..\/..\/..\/escaped-by-build-test\\" points outside it"/);
    assert.throws(() => readFileSync('/escaped-by-build-test'));
    noBuildLeftovers();
  });

  it('fetches a remote context from a URL and reports errors in the stream', async () => {
    const body = await tarGz({ Dockerfile: 'FROM busybox\nLABEL remote=yes\n' });
    const server = createServer((_req, res) => res.end(body));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const r = await daemon().api('POST', `/build?t=remote&remote=${encodeURIComponent(`http://127.0.0.1:${port}/ctx.tgz`)}`);
      assert.equal(r.status, 200, r.body);
      assert.equal(inspect('remote', '{{.Config.Labels.remote}}'), 'yes');
    } finally {
      server.close();
    }
    const bad = await daemon().api('POST', '/build', await tarGz({ Dockerfile: 'FROM busybox\nRUN exit 7\n' }));
    assert.equal(bad.status, 200);
    const last = JSON.parse(bad.body.trim().split('\n').pop() ?? '{}') as { errorDetail?: { code?: number; message?: string } };
    assert.deepEqual(last.errorDetail, { code: 7, message: "The command '/bin/sh -c exit 7' returned a non-zero code: 7" });
    const prune = await daemon().api('POST', '/build/prune?all=1');
    assert.equal(prune.status, 200);
    assert.ok(((JSON.parse(prune.body) as { CachesDeleted: string[] }).CachesDeleted ?? []).length > 0);
  });

  it('refuses bad context-sync requests', async () => {
    const key = 'ab'.repeat(16);
    const badKey = await daemon().api('POST', '/berth/build-sync?key=../x', []);
    assert.equal(badKey.status, 400);
    assert.match(badKey.body, /context sync: invalid key/);
    const badManifest = await daemon().api('POST', `/berth/build-sync?key=${key}`, [{ p: '../escape', t: 'file', m: 420, s: 1, mt: 0 }]);
    assert.equal(badManifest.status, 400);
    assert.match(badManifest.body, /points outside it/);
    const notList = await daemon().api('POST', `/berth/build-sync?key=${key}`, { p: 'x' });
    assert.equal(notList.status, 400);
    const noManifest = await daemon().api('POST', `/build?berth-sync=${'cd'.repeat(16)}`);
    assert.match(noManifest.body, /context sync: no manifest for this build/);
    const need = await daemon().api('POST', `/berth/build-sync?key=${key}`, [{ p: 'Dockerfile', t: 'file', m: 420, s: 14, mt: 1 }]);
    assert.deepEqual(JSON.parse(need.body), { need: ['Dockerfile'] });
    const missing = await daemon().api('POST', `/build?berth-sync=${key}`);
    assert.match(missing.body, /context sync: file Dockerfile was neither sent nor known/);
  });

  it('docker-py builds through the same API', () => {
    const dir = context({ Dockerfile: 'FROM busybox\nARG X\nRUN echo "$X" > /x\n' });
    const script = [
      'import docker, sys',
      `c = docker.DockerClient(base_url="unix://${daemon().socket}")`,
      `img, logs = c.images.build(path="${dir}", tag="pybuilt", buildargs={"X": "py"}, rm=True)`,
      'print(img.id)',
    ].join('\n');
    // Debian's python with Debian's docker-py (setup.sh installs python3-docker), whatever python is on PATH.
    const r = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), inspect('pybuilt', '{{.Id}}'));
    assert.equal(daemon().docker(['run', '--rm', 'pybuilt', 'cat', '/x']).stdout, 'py\n');
  });
});

describe('berth build', () => {
  it('sends the context without ignored files, takes -f outside the context, --secret, --iidfile and -q', () => {
    const dir = context({
      'app.txt': 'app',
      'big.bin': 'ignored',
      '.dockerignore': 'big.bin\n',
      'secret.txt': 'not this one',
    });
    const outside = context({
      Dockerfile: 'FROM busybox\nCOPY . /src\nRUN --mount=type=secret,id=tok cat /run/secrets/tok > /tok-copy && ls -A /src > /listing\n',
      token: 's3cret',
    });
    const iid = join(outside, 'iid');
    const r = daemon().berth(['build', '-f', join(outside, 'Dockerfile'), '--secret', `id=tok,src=${join(outside, 'token')}`, '--iidfile', iid, '-t', 'bb', dir], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Step 1\/3 : FROM busybox\n/);
    assert.match(r.stdout, /Successfully tagged bb:latest\n/);
    assert.equal(readFileSync(iid, 'utf8'), inspect('bb', '{{.Id}}'));
    assert.equal(daemon().docker(['run', '--rm', 'bb', 'cat', '/listing']).stdout, 'app.txt\nsecret.txt\n');
    assert.equal(daemon().docker(['run', '--rm', 'bb', 'cat', '/tok-copy']).stdout, 's3cret');
    const ls = daemon().docker(['run', '--rm', 'bb', 'ls', '/run/secrets']);
    assert.equal(ls.stdout, '', 'the secret is not in the image');
    const q = daemon().berth(['build', '-q', '-f', join(outside, 'Dockerfile'), '--secret', `id=tok,src=${join(outside, 'token')}`, dir]);
    assert.equal(q.code, 0, q.stderr);
    assert.equal(q.stdout, `${inspect('bb', '{{.Id}}')}\n`);
  });

  it('sends only the files that changed since the last build of the same directory', () => {
    // big.bin is held in memory while its build runs, and kept on disk for the next one.
    const big = 'x'.repeat(2 * 1024 * 1024 + 7);
    const dir = context({ Dockerfile: 'FROM busybox\nCOPY . /src\n', 'a.txt': 'a', 'b.txt': 'b', 'sub/c.txt': 'c', 'big.bin': big });
    const first = daemon().berth(['build', '-t', 'synced', dir], { timeoutMs: 120_000 });
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.match(first.stderr, /Sending build context to berth \(5 files\)/, 'every file the first time');
    const again = daemon().berth(['build', '-t', 'synced', dir]);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stderr, /Sending build context to berth \(0 files\)/);
    assert.match(again.stdout, /Step 2\/2 : COPY \. \/src\n ---> Using cache\n/);
    const kept = spawnSync('find', [join(daemon().dataRoot, 'build', 'sync'), '-type', 'f', '-size', `${big.length}c`], { encoding: 'utf8' });
    assert.equal(kept.stdout.trim().split('\n').filter(Boolean).length, 1, 'the large file waits on disk between builds');
    writeFileSync(join(dir, 'b.txt'), 'b2');
    const changed = daemon().berth(['build', '-t', 'synced', dir]);
    assert.equal(changed.code, 0, changed.stdout + changed.stderr);
    assert.match(changed.stderr, /Sending build context to berth \(1 file\)/);
    assert.match(changed.stdout, /Cache miss: file changed: b\.txt/);
    assert.equal(daemon().docker(['run', '--rm', 'synced', 'cat', '/src/a.txt', '/src/b.txt', '/src/sub/c.txt']).stdout, 'ab2c');
    assert.equal(daemon().docker(['run', '--rm', 'synced', 'md5sum', '/src/big.bin']).stdout, `${createHash('md5').update(big).digest('hex')}  /src/big.bin\n`);
    const unsynced = spawnSync(process.execPath, [join(REPO, 'bin/berth'), 'build', dir], { env: { ...daemon().env, BERTH_BUILD_SYNC: '0' }, encoding: 'utf8', timeout: 60_000 });
    assert.equal(unsynced.status, 0, unsynced.stderr);
    assert.match(unsynced.stderr, /Sending build context to berth \(6 files\)/, 'files and directories');
  });

  it('exits with the failing command\'s code', () => {
    const r = daemon().berth(['build', context({ Dockerfile: 'FROM busybox\nRUN exit 5\n' })]);
    assert.equal(r.code, 5, r.stdout + r.stderr);
    assert.match(r.stderr, /The command '\/bin\/sh -c exit 5' returned a non-zero code: 5/);
    const missing = daemon().berth(['build', '/nonexistent-dir']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /unable to prepare context: path "\/nonexistent-dir" not found/);
  });
});

