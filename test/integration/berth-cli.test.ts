// The berth CLI against berthd: the same commands as docker, with Docker's flags, output and exit codes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO, useTestDaemon } from '../harness.js';

const daemon = useTestDaemon();

describe('berth CLI', () => {
  it('--version answers without a daemon', () => {
    const r = spawnSync(process.execPath, [join(REPO, 'bin/berth'), '--version'], { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent.sock' } });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^Berth version \d+\.\d+\.\d+/);
  });

  it('honours -H as well as DOCKER_HOST', () => {
    const r = spawnSync(process.execPath, [join(REPO, 'bin/berth'), '-H', daemon().host, 'version', '--format', '{{.Server.APIVersion}}'], {
      encoding: 'utf8',
      env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent.sock' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '1.43');
  });

  it('run in the foreground streams output and returns the exit code', () => {
    const r = daemon().berth(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 5']);
    assert.equal(r.code, 5);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal(daemon().berth(['run', '--rm', 'busybox', 'ls', '-d', '/tmp']).stdout, '/tmp\n', 'flags after the image belong to the command');
  });

  it('exit codes 125, 126 and 127 as docker gives them', () => {
    assert.equal(daemon().berth(['run', '--rm', 'busybox', 'no-such-command']).code, 127);
    assert.equal(daemon().berth(['run', '--rm', 'busybox', '/etc/passwd']).code, 126);
    const missing = daemon().berth(['run', '--rm', 'nosuchimage:1']);
    assert.equal(missing.code, 125);
    const badFlag = daemon().berth(['run', '--no-such-flag', 'busybox']);
    assert.equal(badFlag.code, 125);
    assert.match(badFlag.stderr, /unknown flag: --no-such-flag/);
  });

  it('ps, logs, stop, wait, inspect and rm with docker’s columns', () => {
    const id = daemon().berth(['run', '-d', '--name', 'bsleeper', '-e', 'X=1', 'busybox', 'sh', '-c', 'echo $X; exec sleep 300']).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ps = daemon().berth(['ps']);
    assert.match(ps.stdout, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\n/);
    assert.match(ps.stdout, /bsleeper/);
    assert.equal(daemon().berth(['ps', '-q', '--filter', 'name=bsleeper']).stdout.trim(), id.slice(0, 12));
    assert.equal(daemon().berth(['ps', '--format', '{{.Names}} {{.Image}}', '--filter', 'name=bsleeper']).stdout.trim(), 'bsleeper busybox');
    for (let i = 0; i < 50 && daemon().berth(['logs', 'bsleeper']).stdout !== '1\n'; i++) spawnSync('sleep', ['0.1']);
    assert.equal(daemon().berth(['logs', 'bsleeper']).stdout, '1\n');
    assert.equal(daemon().berth(['stop', '-t', '1', 'bsleeper']).stdout.trim(), 'bsleeper');
    assert.equal(daemon().berth(['wait', 'bsleeper']).stdout.trim(), '137');
    assert.equal(daemon().berth(['inspect', '--format', '{{.State.ExitCode}}', 'bsleeper']).stdout.trim(), '137');
    const inspect = JSON.parse(daemon().berth(['inspect', 'bsleeper']).stdout) as { Name: string }[];
    assert.equal(inspect[0]?.Name, '/bsleeper');
    assert.equal(daemon().berth(['rm', 'bsleeper']).stdout.trim(), 'bsleeper');
    const gone = daemon().berth(['rm', 'bsleeper']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /No such container: bsleeper/);
  });

  it('images, tag, history, rmi, save and load', () => {
    assert.match(daemon().berth(['images']).stdout, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\n(.|\n)*busybox\s+latest/);
    assert.equal(daemon().berth(['tag', 'busybox', 'bbcopy:2']).code, 0);
    assert.equal(daemon().berth(['images', '-q', '--filter', 'reference=bbcopy']).stdout.trim().length, 12);
    assert.match(daemon().berth(['history', 'bbcopy:2']).stdout, /CMD \["sh"\]/);
    const dir = mkdtempSync('/tmp/bt-bsave-');
    try {
      const archive = join(dir, 'x.tar');
      assert.equal(daemon().berth(['save', '-o', archive, 'bbcopy:2']).code, 0);
      assert.ok(statSync(archive).size > 100_000);
      assert.equal(daemon().berth(['rmi', 'bbcopy:2']).stdout.trim(), 'Untagged: bbcopy:2');
      assert.match(daemon().berth(['load', '-i', archive]).stdout, /Loaded image: bbcopy:2/);
      assert.equal(daemon().berth(['rmi', 'bbcopy:2']).code, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('errors from the daemon in Docker’s words, exit 1 for plain commands', () => {
    const r = daemon().berth(['image', 'inspect', 'nosuchimage']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /No such image: nosuchimage/);
  });
});
