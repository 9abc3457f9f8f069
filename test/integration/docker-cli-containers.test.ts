// The real docker CLI against berthd: running containers, listing them, logs, stop, wait, rm, and errors.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DOCKER, useTestDaemon } from '../harness.js';

const daemon = useTestDaemon();

describe('docker run', () => {
  it('runs a command and streams its output; --rm removes the container', () => {
    const before = daemon().docker(['ps', '-a', '-q']).stdout;
    const r = daemon().docker(['run', '--rm', 'busybox', 'echo', 'hello from berth']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello from berth\n');
    assert.equal(daemon().docker(['ps', '-a', '-q']).stdout, before);
  });

  it('keeps stdout and stderr apart', () => {
    const r = daemon().docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2']);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
  });

  it('the container’s exit code becomes the CLI’s', () => {
    assert.equal(daemon().docker(['run', '--rm', 'busybox', 'sh', '-c', 'exit 3']).code, 3);
  });

  it('shows output while the process is still running', async () => {
    const started = Date.now();
    const child = spawn(DOCKER, ['run', '--rm', 'busybox', 'sh', '-c', 'echo first; sleep 3; echo second'], { env: daemon().env });
    const firstAt = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => {
        if (b.toString().includes('first')) resolve(Date.now() - started);
      });
      child.on('exit', () => reject(new Error('exited before printing')));
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    const total = Date.now() - started;
    assert.equal(code, 0);
    assert.ok(total - firstAt >= 2500, `first line came ${firstAt} ms after start but the run took ${total} ms`);
  });

  it('applies -e, --env-file, -w, -u, --hostname, --entrypoint and --label', () => {
    const dir = mkdtempSync('/tmp/bt-env-');
    try {
      const envFile = join(dir, 'env');
      writeFileSync(envFile, '# comment\nFROM_FILE=yes\n');
      const r = daemon().docker([
        'run', '--rm', '-e', 'A=1', '--env-file', envFile, '-w', '/tmp', '-u', 'nobody', '--hostname', 'boxhost',
        'busybox', 'sh', '-c', 'echo $A $FROM_FILE $(pwd) $(id -u) $(hostname) $HOME',
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '1 yes /tmp 65534 boxhost /home\n');
      const ep = daemon().docker(['run', '--rm', '--entrypoint', 'echo', 'busybox', 'via', 'entrypoint']);
      assert.equal(ep.stdout, 'via entrypoint\n');
      const uid = daemon().docker(['run', '--rm', '-u', '1234:5678', 'busybox', 'sh', '-c', 'echo $(id -u):$(id -g)']);
      assert.equal(uid.stdout, '1234:5678\n');
      const labelled = daemon().docker(['create', '--label', 'team=blue', '--name', 'labelled', 'busybox', 'true']);
      assert.equal(labelled.code, 0, labelled.stderr);
      assert.equal(daemon().docker(['inspect', '--format', '{{index .Config.Labels "team"}}', 'labelled']).stdout.trim(), 'blue');
      assert.equal(daemon().docker(['rm', 'labelled']).code, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has /etc/hosts, /etc/hostname, /etc/resolv.conf; eth0 on the default bridge, only loopback with --network none', () => {
    const r = daemon().docker(['run', '--rm', '--hostname', 'h1', 'busybox', 'sh', '-c', 'cat /etc/hostname; grep -c localhost /etc/hosts; test -f /etc/resolv.conf && echo resolv; ls /sys/class/net']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'h1\n2\nresolv\neth0\nlo\n');
    const none = daemon().docker(['run', '--rm', '--network', 'none', 'busybox', 'ls', '/sys/class/net']);
    assert.equal(none.stdout, 'lo\n');
  });

  it('runs as a separate pid namespace with Docker’s default capabilities', () => {
    const r = daemon().docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo $$; grep CapEff /proc/self/status']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '1\nCapEff:\t00000000a80425fb\n');
  });

  it('writes go to the container’s own layer, not the image', () => {
    assert.equal(daemon().docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo changed > /bin/busybox-note; rm /bin/ls']).code, 0);
    const r = daemon().docker(['run', '--rm', 'busybox', 'sh', '-c', 'test -e /bin/busybox-note || echo clean; test -e /bin/ls && echo ls-present']);
    assert.equal(r.stdout, 'clean\nls-present\n');
  });

  it('exits 127 for a command that does not exist and 126 for one that cannot be executed', () => {
    const missing = daemon().docker(['run', '--rm', 'busybox', 'no-such-command']);
    assert.equal(missing.code, 127, missing.stderr);
    assert.match(missing.stderr, /executable file not found/);
    const notExec = daemon().docker(['run', '--rm', 'busybox', '/etc/passwd']);
    assert.equal(notExec.code, 126, notExec.stderr);
    assert.match(notExec.stderr, /permission denied/);
  });

  it('refuses an invalid reference and an unknown image in Docker’s words', () => {
    const bad = daemon().docker(['run', 'Busybox:']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /invalid reference format/);
    const missing = daemon().docker(['create', 'nosuchimage:1']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /nosuchimage:1/);
    const api = daemon().api('POST', '/v1.43/containers/create', { Image: 'Busybox:' });
    return api.then((res) => {
      assert.equal(res.status, 400);
      assert.match(JSON.parse(res.body).message, /invalid reference format/);
    });
  });
});

describe('detached containers: ps, logs, stop, wait, inspect, rm', () => {
  it('runs detached and is listed by ps with its filters', () => {
    const r = daemon().docker(['run', '-d', '--name', 'sleeper', '--label', 'role=sleeper', 'busybox', 'sh', '-c', 'echo one; echo two; echo three >&2; exec sleep 300']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ps = daemon().docker(['ps']);
    assert.match(ps.stdout, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\n/);
    assert.match(ps.stdout, new RegExp(`${id.slice(0, 12)}\\s+busybox\\s+"sh -c echo one; ech…"\\s+.*Up .*sleeper`));
    assert.equal(daemon().docker(['ps', '-q', '--no-trunc']).stdout.split('\n').includes(id), true);
    assert.equal(daemon().docker(['ps', '-q', '--filter', 'name=sleep']).stdout.trim(), id.slice(0, 12));
    assert.equal(daemon().docker(['ps', '-q', '--filter', 'label=role=sleeper']).stdout.trim(), id.slice(0, 12));
    assert.equal(daemon().docker(['ps', '-q', '--filter', `id=${id.slice(0, 8)}`]).stdout.trim(), id.slice(0, 12));
    assert.equal(daemon().docker(['ps', '-q', '--filter', 'ancestor=busybox', '--filter', 'name=sleeper']).stdout.trim(), id.slice(0, 12));
    assert.equal(daemon().docker(['ps', '-q', '--filter', 'status=running', '--filter', 'name=sleeper']).stdout.trim(), id.slice(0, 12));
    assert.equal(daemon().docker(['ps', '-q', '--filter', 'status=exited', '--filter', 'name=sleeper']).stdout.trim(), '');
    assert.equal(daemon().docker(['ps', '-l', '-q']).stdout.trim(), id.slice(0, 12));
    assert.equal(daemon().docker(['ps', '-n', '1', '-q']).stdout.trim(), id.slice(0, 12));
  });

  it('logs, with --tail and -t', async () => {
    for (let i = 0; i < 50 && !daemon().docker(['logs', 'sleeper']).stdout.includes('two'); i++) await new Promise((r) => setTimeout(r, 100));
    const all = daemon().docker(['logs', 'sleeper']);
    assert.equal(all.stdout, 'one\ntwo\n');
    assert.equal(all.stderr, 'three\n');
    assert.equal(daemon().docker(['logs', '--tail', '1', 'sleeper']).stdout + daemon().docker(['logs', '--tail', '1', 'sleeper']).stderr, 'three\n');
    const ts = daemon().docker(['logs', '-t', 'sleeper']).stdout.split('\n')[0] ?? '';
    assert.match(ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z one$/);
  });

  it('stop escalates to SIGKILL for a process that ignores SIGTERM; wait and inspect report 137', () => {
    const started = Date.now();
    const r = daemon().docker(['stop', '-t', '1', 'sleeper']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'sleeper');
    assert.ok(Date.now() - started < 8000);
    assert.equal(daemon().docker(['wait', 'sleeper']).stdout.trim(), '137');
    const state = JSON.parse(daemon().docker(['inspect', '--format', '{{json .State}}', 'sleeper']).stdout) as { Status: string; ExitCode: number; Running: boolean };
    assert.equal(state.Status, 'exited');
    assert.equal(state.ExitCode, 137);
    assert.equal(state.Running, false);
    assert.match(daemon().docker(['ps', '-a', '--filter', 'name=sleeper']).stdout, /Exited \(137\)/);
    assert.equal(daemon().docker(['logs', 'sleeper']).stdout, 'one\ntwo\n');
  });

  it('rm removes a stopped container; a running one needs -f', () => {
    assert.equal(daemon().docker(['rm', 'sleeper']).code, 0);
    assert.equal(daemon().docker(['ps', '-a', '-q', '--filter', 'name=sleeper']).stdout.trim(), '');
    const id = daemon().docker(['run', '-d', 'busybox', 'sleep', '300']).stdout.trim();
    const refused = daemon().docker(['rm', id]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /You cannot remove a running container/);
    assert.equal(daemon().docker(['rm', '-f', id]).code, 0);
    assert.equal(daemon().docker(['ps', '-a', '-q', '--no-trunc']).stdout.includes(id), false);
  });

  it('create then start, and wait for the exit code', () => {
    const id = daemon().docker(['create', 'busybox', 'sh', '-c', 'exit 42']).stdout.trim();
    assert.match(daemon().docker(['ps', '-a', '--filter', `id=${id}`]).stdout, /Created/);
    assert.equal(daemon().docker(['start', id]).code, 0);
    assert.equal(daemon().docker(['wait', id]).stdout.trim(), '42');
    assert.equal(daemon().docker(['rm', id]).code, 0);
  });

  it('unknown containers are 404s in Docker’s words; a duplicate name is a 409', () => {
    const r = daemon().docker(['inspect', '--type', 'container', 'nosuchcontainer']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /No such container: nosuchcontainer/);
    assert.match(daemon().docker(['rm', 'nosuchcontainer']).stderr, /No such container: nosuchcontainer/);
    assert.match(daemon().docker(['stop', 'nosuchcontainer']).stderr, /No such container: nosuchcontainer/);
    assert.equal(daemon().docker(['create', '--name', 'dup', 'busybox', 'true']).code, 0);
    const dup = daemon().docker(['create', '--name', 'dup', 'busybox', 'true']);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /Conflict\. The container name "\/dup" is already in use by container "[0-9a-f]{64}"/);
    assert.equal(daemon().docker(['rm', 'dup']).code, 0);
  });
});

describe('kill, restart and rename', () => {
  it('kill sends a signal; the default SIGKILL ends the container with 137', () => {
    const id = daemon().docker(['run', '-d', '--name', 'victim', 'busybox', 'sh', '-c', 'trap "exit 12" USR1; while true; do sleep 0.1; done']).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const usr1 = daemon().docker(['kill', '-s', 'USR1', 'victim']);
    assert.equal(usr1.code, 0, usr1.stderr);
    assert.equal(usr1.stdout.trim(), 'victim');
    assert.equal(daemon().docker(['wait', 'victim']).stdout.trim(), '12');
    const notRunning = daemon().docker(['kill', 'victim']);
    assert.equal(notRunning.code, 1);
    assert.match(notRunning.stderr, /is not running/);
    const badSignal = daemon().api('POST', '/v1.43/containers/victim/kill?signal=NOPE');
    return badSignal.then((res) => {
      assert.equal(res.status, 400);
      assert.equal(JSON.parse(res.body).message, 'Invalid signal: NOPE');
      assert.equal(daemon().docker(['rm', 'victim']).code, 0);
    });
  });

  it('restart starts an exited container again and keeps its logs', () => {
    const id = daemon().docker(['run', '-d', '--name', 'again', 'busybox', 'sh', '-c', 'echo run; sleep 300']).stdout.trim();
    const firstPid = daemon().docker(['inspect', '--format', '{{.State.Pid}}', id]).stdout.trim();
    const r = daemon().berth(['restart', '-t', '0', 'again']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'again');
    const state = JSON.parse(daemon().docker(['inspect', '--format', '{{json .State}}', id]).stdout) as { Status: string; Pid: number };
    assert.equal(state.Status, 'running');
    assert.notEqual(String(state.Pid), firstPid);
    for (let i = 0; i < 50 && daemon().docker(['logs', id]).stdout !== 'run\nrun\n'; i++) spawnSyncSleep();
    assert.equal(daemon().docker(['logs', id]).stdout, 'run\nrun\n');
    assert.equal(daemon().docker(['rm', '-f', id]).code, 0);
  });

  it('rename changes the name; a taken name is a 409 and the same name a 400', () => {
    assert.equal(daemon().docker(['create', '--name', 'first', 'busybox', 'true']).code, 0);
    assert.equal(daemon().docker(['create', '--name', 'taken', 'busybox', 'true']).code, 0);
    assert.equal(daemon().berth(['rename', 'first', 'second']).code, 0);
    assert.equal(daemon().docker(['inspect', '--format', '{{.Name}}', 'second']).stdout.trim(), '/second');
    assert.match(daemon().docker(['inspect', 'first']).stderr, /No such object: first|No such container: first/);
    const taken = daemon().docker(['rename', 'second', 'taken']);
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /Conflict\. The container name "\/taken" is already in use/);
    const same = daemon().docker(['rename', 'second', 'second']);
    assert.match(same.stderr, /Renaming a container with the same name as its current name/);
    assert.equal(daemon().docker(['rm', 'second', 'taken']).code, 0);
  });
});

function spawnSyncSleep(): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
}
