// exec, stop/kill signals, pause, wait conditions, top, update, --init, --cidfile, logs options and rotation,
// prune and df: the real docker CLI and the API against berthd, with real containers.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { useTestDaemon } from '../harness.js';

const daemon = useTestDaemon();
const docker = (args: string[], input?: string) => daemon().docker(args, input === undefined ? {} : { input });

function ok(args: string[]): string {
  const r = docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

function state(name: string): Record<string, unknown> {
  return JSON.parse(ok(['inspect', '-f', '{{json .State}}', name])) as Record<string, unknown>;
}

describe('exec', () => {
  it('runs commands with -u, -w, -e, reports exit codes, -d runs in the background', () => {
    ok(['run', '-d', '--name', 'ex', '-e', 'FROM_CONTAINER=c', 'busybox', 'sleep', '300']);
    assert.equal(ok(['exec', 'ex', 'echo', 'hi']), 'hi');
    assert.equal(ok(['exec', '-u', 'nobody', '-w', '/tmp', '-e', 'A=1', 'ex', 'sh', '-c', 'echo $(id -u) $(pwd) $A $FROM_CONTAINER']), '65534 /tmp 1 c');
    const failed = docker(['exec', 'ex', 'sh', '-c', 'echo err >&2; exit 3']);
    assert.equal(failed.code, 3);
    assert.equal(failed.stderr, 'err\n');
    assert.equal(docker(['exec', 'ex', 'no-such-binary']).code, 127);
    ok(['exec', '-d', 'ex', 'sh', '-c', 'sleep 0.2; touch /tmp/bg-done']);
    const deadline = Date.now() + 5000;
    while (docker(['exec', 'ex', 'test', '-e', '/tmp/bg-done']).code !== 0) assert.ok(Date.now() < deadline, 'the detached exec never ran');
  });

  it('--privileged gives the exec every capability; the container keeps Docker defaults', () => {
    assert.match(ok(['exec', 'ex', 'grep', 'CapEff', '/proc/self/status']), /00000000a80425fb/);
    // Every capability the daemon itself has (a sandbox may lack some, e.g. CAP_SYS_RESOURCE).
    const own = /CapEff:\s+([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
    assert.match(ok(['exec', '--privileged', 'ex', 'grep', 'CapEff', '/proc/self/status']), new RegExp(own));
  });

  it('exec create/start/inspect through the API, and exec into a stopped container is a 409', async () => {
    const created = await daemon().api('POST', '/containers/ex/exec', { Cmd: ['sh', '-c', 'exit 5'], AttachStdout: true });
    assert.equal(created.status, 201, created.body);
    const { Id } = JSON.parse(created.body) as { Id: string };
    const started = await daemon().api('POST', `/exec/${Id}/start`, { Detach: true });
    assert.equal(started.status, 200, started.body);
    let info: { Running: boolean; ExitCode: number | null } = { Running: true, ExitCode: null };
    for (let i = 0; i < 50 && info.Running; i++) {
      await new Promise((r) => setTimeout(r, 100));
      info = JSON.parse((await daemon().api('GET', `/exec/${Id}/json`)).body) as typeof info;
    }
    assert.equal(info.ExitCode, 5);
    assert.equal((await daemon().api('POST', `/exec/${Id}/start`, { Detach: true })).status, 409);
    assert.equal((await daemon().api('GET', '/exec/nope/json')).status, 404);
    assert.equal((await daemon().api('POST', '/containers/ex/exec', { Cmd: [] })).status, 400);
    ok(['create', '--name', 'stopped', 'busybox', 'true']);
    const r = await daemon().api('POST', '/containers/stopped/exec', { Cmd: ['true'] });
    assert.equal(r.status, 409);
    assert.match(r.body, /is not running/);
    const cli = docker(['exec', 'stopped', 'true']);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /Error response from daemon: Container [0-9a-f]{64} is not running/);
    ok(['rm', 'stopped']);
    ok(['rm', '-f', 'ex']);
  });
});

describe('signals and states', () => {
  it('stop sends --stop-signal first and SIGKILL after -t', () => {
    ok(['run', '-d', '--name', 'sig', '--stop-signal', 'SIGUSR1', 'busybox', 'sh', '-c', 'trap "echo usr1; exit 11" USR1; while true; do sleep 0.1; done']);
    ok(['stop', 'sig']);
    assert.equal(state('sig')['ExitCode'], 11);
    assert.match(ok(['logs', 'sig']), /usr1/);
    ok(['start', 'sig']);
    const t0 = Date.now();
    ok(['stop', '-t', '1', '-s', 'SIGWINCH', 'sig']);
    assert.ok(Date.now() - t0 >= 900, 'SIGKILL came before the timeout');
    assert.equal(state('sig')['ExitCode'], 137);
    ok(['rm', 'sig']);
  });

  it('kill -s delivers the named signal; an unknown signal is a 400', async () => {
    ok(['run', '-d', '--name', 'kil', 'busybox', 'sh', '-c', 'trap "exit 12" HUP; while true; do sleep 0.1; done']);
    ok(['kill', '-s', 'HUP', 'kil']);
    assert.equal(ok(['wait', 'kil']), '12');
    const r = await daemon().api('POST', '/containers/kil/kill?signal=NOPE');
    assert.equal(r.status, 400);
    assert.match(docker(['kill', '-s', 'NOPE', 'kil']).stderr, /Invalid signal: NOPE/);
    ok(['rm', 'kil']);
  });

  it('pause freezes every process and unpause thaws them', async () => {
    ok(['run', '-d', '--name', 'pz', 'busybox', 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i > /tmp/n; sleep 0.05; done']);
    ok(['pause', 'pz']);
    assert.equal(state('pz')['Status'], 'paused');
    assert.match(ok(['ps', '--filter', 'name=pz', '--format', '{{.Status}}']), /\(Paused\)/);
    const pid = state('pz')['Pid'] as number;
    assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), /State:\s+[DS]/);
    const n1 = readFileSync(`/proc/${pid}/root/tmp/n`, 'utf8');
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(readFileSync(`/proc/${pid}/root/tmp/n`, 'utf8'), n1, 'a paused container advanced');
    assert.equal(docker(['exec', 'pz', 'true']).code, 1);
    assert.equal(docker(['pause', 'pz']).code, 1);
    ok(['unpause', 'pz']);
    await new Promise((r) => setTimeout(r, 400));
    assert.notEqual(readFileSync(`/proc/${pid}/root/tmp/n`, 'utf8'), n1);
    assert.match(docker(['unpause', 'pz']).stderr, /is not paused/);
    ok(['pause', 'pz']);
    ok(['rm', '-f', 'pz']);
  });

  it('wait conditions: not-running, next-exit and removed', async () => {
    ok(['create', '--name', 'wt', 'busybox', 'sh', '-c', 'exit 4']);
    const nextExit = daemon().api('POST', '/containers/wt/wait?condition=next-exit');
    const removed = daemon().api('POST', '/containers/wt/wait?condition=removed');
    await new Promise((r) => setTimeout(r, 200));
    ok(['start', 'wt']);
    assert.equal(JSON.parse((await nextExit).body).StatusCode, 4);
    assert.equal(JSON.parse((await daemon().api('POST', '/containers/wt/wait')).body).StatusCode, 4);
    ok(['rm', 'wt']);
    assert.equal((await removed).status, 200);
    // The condition is checked before the container, as in moby.
    assert.equal((await daemon().api('POST', '/containers/wt/wait?condition=bogus')).status, 400);
    assert.equal((await daemon().api('POST', '/containers/wt/wait')).status, 404);
  });

  it('top lists the container processes with ps options', () => {
    ok(['run', '-d', '--name', 'tp', 'busybox', 'sh', '-c', 'sleep 301 & sleep 302']);
    const top = ok(['top', 'tp']);
    assert.match(top, /UID\s+PID\s+PPID/);
    assert.match(top, /sleep 301/);
    assert.match(top, /sleep 302/);
    const custom = ok(['top', 'tp', '-o', 'pid,comm']);
    assert.match(custom.split('\n')[0]!, /PID\s+COMMAND/);
    ok(['rm', '-f', 'tp']);
    const r = docker(['top', 'tp']);
    assert.equal(r.code, 1);
  });

  it('update changes the memory limit of a running container', () => {
    ok(['run', '-d', '--name', 'up', '-m', '64m', 'busybox', 'sleep', '300']);
    const limitFile = (): string => {
      const id = ok(['inspect', '-f', '{{.Id}}', 'up']);
      const v1 = `/sys/fs/cgroup/memory${daemon().cgroupParent}/${id}/memory.limit_in_bytes`;
      return existsSync(v1) ? v1 : `/sys/fs/cgroup${daemon().cgroupParent}/${id}/memory.max`;
    };
    assert.equal(readFileSync(limitFile(), 'utf8').trim(), String(64 * 1024 * 1024));
    ok(['update', '-m', '128m', '--memory-swap', '256m', 'up']);
    assert.equal(readFileSync(limitFile(), 'utf8').trim(), String(128 * 1024 * 1024));
    assert.equal(ok(['inspect', '-f', '{{.HostConfig.Memory}}', 'up']), String(128 * 1024 * 1024));
    ok(['rm', '-f', 'up']);
  });

  it('--init runs an init as PID 1 that reaps zombies and forwards signals', () => {
    ok(['run', '-d', '--init', '--name', 'in', 'busybox', 'sh', '-c', '(sleep 0.1 &) ; sleep 300']);
    assert.match(ok(['exec', 'in', 'cat', '/proc/1/cmdline']), /docker-init/);
    const t0 = Date.now();
    ok(['stop', 'in']);
    assert.ok(Date.now() - t0 < 5000, 'SIGTERM was not forwarded through the init');
    assert.equal(state('in')['ExitCode'], 143);
    ok(['rm', 'in']);
  });

  it('--cidfile gets the container id; an existing file is refused', () => {
    const dir = mkdtempSync('/tmp/bt-cid-');
    try {
      const file = join(dir, 'cid');
      const id = ok(['run', '-d', '--cidfile', file, 'busybox', 'true']);
      assert.equal(readFileSync(file, 'utf8'), id);
      const again = docker(['run', '-d', '--cidfile', file, 'busybox', 'true']);
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, /container ID file found/i);
      ok(['rm', '-f', id]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('logs', () => {
  it('--tail, -t, --since and --until, for running and stopped containers', async () => {
    ok(['run', '-d', '--name', 'lg', 'busybox', 'sh', '-c', 'echo one; echo two; sleep 2; echo three; sleep 300']);
    await new Promise((r) => setTimeout(r, 1000));
    const mid = new Date().toISOString();
    assert.equal(ok(['logs', '--tail', '1', 'lg']), 'two');
    assert.match(ok(['logs', '-t', 'lg']).split('\n')[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z one$/);
    assert.equal(ok(['logs', '--until', mid, 'lg']), 'one\ntwo');
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(ok(['logs', '--since', mid, 'lg']), 'three');
    ok(['rm', '-f', 'lg']);
  });

  it('keeps each stream its own bytes, in order, when lines of a stream share a frame', () => {
    const script = 'for i in $(seq 1 3000); do echo out-$i; done; echo err-1 >&2; echo out-x; echo err-2 >&2; echo err-3 >&2';
    ok(['run', '--name', 'lgs', 'busybox', 'sh', '-c', script]);
    const r = docker(['logs', 'lgs']);
    assert.equal(r.code, 0);
    const want = Array.from({ length: 3000 }, (_, i) => `out-${i + 1}\n`).join('') + 'out-x\n';
    assert.equal(r.stdout, want);
    assert.equal(r.stderr, 'err-1\nerr-2\nerr-3\n');
    // With timestamps every entry still carries its own, whichever frame it travelled in. (A line conmon read in
    // two pieces, with the other stream's output in between, is two entries, each stamped, as in Docker.)
    const stamped = docker(['logs', '-t', 'lgs']);
    assert.match(stamped.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z out-1\n/);
    const strip = (text: string): string => text.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z /g, '');
    assert.equal(strip(stamped.stdout), want);
    assert.equal(strip(stamped.stderr), 'err-1\nerr-2\nerr-3\n');
    ok(['rm', 'lgs']);
  });

  it('rotates with --log-opt max-size and max-file, and logs reads across the files', async () => {
    ok(['run', '-d', '--name', 'rot', '--log-opt', 'max-size=10k', '--log-opt', 'max-file=3', 'busybox', 'sh', '-c',
      'i=0; while [ $i -lt 3000 ]; do echo line-$i; i=$((i+1)); [ $((i % 200)) -eq 0 ] && sleep 0.3; done; sleep 300']);
    const logPath = ok(['inspect', '-f', '{{.LogPath}}', 'rot']);
    const deadline = Date.now() + 30_000;
    while (!ok(['logs', '--tail', '1', 'rot']).includes('line-2999')) {
      assert.ok(Date.now() < deadline, 'the container did not finish writing');
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 1500));
    const files = readdirSync(join(logPath, '..')).filter((f) => f.startsWith('container.log'));
    assert.ok(files.length <= 3 && files.length >= 2, `files: ${files.join(', ')}`);
    for (const f of files) assert.ok(statSync(join(logPath, '..', f)).size < 64 * 1024, `${f} is too big`);
    const lines = ok(['logs', 'rot']).split('\n');
    assert.equal(lines.at(-1), 'line-2999');
    assert.ok(lines.length < 3000, 'old output was not dropped');
    const numbers = lines.map((l) => Number(l.slice(5)));
    assert.deepEqual(numbers, numbers.slice().sort((a, b) => a - b), 'rotated files are read in order');
    assert.equal(ok(['logs', '--tail', '5', 'rot']).split('\n').length, 5);
    assert.equal(ok(['inspect', '-f', '{{.HostConfig.LogConfig.Config}}', 'rot']), 'map[max-file:3 max-size:10k]');
    assert.match(docker(['run', '--log-opt', 'max-size=bogus', 'busybox', 'true']).stderr, /invalid size: 'bogus'/);
    ok(['rm', '-f', 'rot']);
  });
});

describe('prune and disk usage', () => {
  it('container prune removes stopped containers (with label filters); system df counts', () => {
    const leftover = ok(['ps', '-aq']).split('\n').filter(Boolean);
    if (leftover.length > 0) ok(['rm', '-f', ...leftover]);
    ok(['run', '--name', 'pr1', '--label', 'keep=yes', 'busybox', 'true']);
    ok(['run', '--name', 'pr2', 'busybox', 'true']);
    ok(['run', '-d', '--name', 'pr3', 'busybox', 'sleep', '300']);
    const df = ok(['system', 'df']);
    assert.match(df, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE/);
    assert.match(df, /Containers\s+3\s+1/);
    const pruned = ok(['container', 'prune', '-f', '--filter', 'label!=keep=yes']);
    assert.match(pruned, /Deleted Containers:/);
    assert.match(pruned, /Total reclaimed space:/);
    const names = ok(['ps', '-a', '--format', '{{.Names}}']).split('\n').sort();
    assert.deepEqual(names, ['pr1', 'pr3']);
    ok(['system', 'prune', '-f']);
    assert.deepEqual(ok(['ps', '-a', '--format', '{{.Names}}']).split('\n'), ['pr3']);
    ok(['rm', '-f', 'pr3']);
  });
});
