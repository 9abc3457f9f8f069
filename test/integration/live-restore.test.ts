// Live restore, complete: kill -9 of berthd while containers run, stream logs, are paused, have an interactive
// stdin, and have restart policies. After the restart every container is in its true state and logs -f,
// attach, exec, stop and wait work; `always` containers come back, `unless-stopped` ones the user stopped don't.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { DOCKER, useTestDaemon } from '../harness.js';

const daemon = useTestDaemon();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function ok(args: string[], input?: string): string {
  const r = daemon().docker(args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

describe('kill -9 of berthd', () => {
  it('running, paused, streaming and interactive containers are all found in their true state', async () => {
    ok(['run', '-d', '--name', 'lr-run', 'busybox', 'sleep', '300']);
    ok(['run', '-d', '--name', 'lr-pause', 'busybox', 'sleep', '300']);
    ok(['pause', 'lr-pause']);
    ok(['run', '-d', '--name', 'lr-ticker', 'busybox', 'sh', '-c', 'i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.1; done']);
    ok(['run', '-d', '-i', '--name', 'lr-cat', 'busybox', 'cat']);
    ok(['run', '-d', '--name', 'lr-ends', 'busybox', 'sh', '-c', 'sleep 1; exit 9']);
    // A logs -f client whose daemon dies: it ends, and a new one follows again after the restart.
    const follower = spawn(DOCKER, ['logs', '-f', 'lr-ticker'], { env: daemon().env });
    follower.stdout.resume();
    // Listened for before the kill: the client may be gone before stopDaemon returns.
    const followerGone = new Promise((r) => follower.once('exit', r));
    await sleep(300);
    await daemon().stopDaemon('SIGKILL');
    await followerGone;
    await sleep(1500);
    await daemon().startDaemon();

    const status = (n: string): string => ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', n]);
    assert.equal(status('lr-run'), 'running 0');
    assert.equal(status('lr-pause'), 'paused 0');
    assert.equal(status('lr-ticker'), 'running 0');
    assert.equal(status('lr-ends'), 'exited 9');

    ok(['unpause', 'lr-pause']);
    assert.equal(ok(['exec', 'lr-pause', 'echo', 'thawed']), 'thawed');
    assert.equal(ok(['exec', 'lr-run', 'sh', '-c', 'echo exec-after-restart']), 'exec-after-restart');

    const again = spawn(DOCKER, ['logs', '-f', '--tail', '0', 'lr-ticker'], { env: daemon().env });
    let followed = '';
    again.stdout.on('data', (b: Buffer) => (followed += b.toString()));
    await sleep(800);
    again.kill();
    assert.match(followed, /tick-\d+/);

    // Attach with stdin to the interactive container found again: input reaches it and output comes back.
    const attach = spawn(DOCKER, ['attach', 'lr-cat'], { env: daemon().env });
    let echoed = '';
    attach.stdout.on('data', (b: Buffer) => (echoed += b.toString()));
    await sleep(500);
    attach.stdin.write('after-restart\n');
    for (let i = 0; i < 50 && !echoed.includes('after-restart'); i++) await sleep(100);
    attach.kill();
    assert.match(echoed, /after-restart/);

    const waiter = spawn(DOCKER, ['wait', 'lr-run'], { env: daemon().env });
    let waited = '';
    waiter.stdout.on('data', (b: Buffer) => (waited += b.toString()));
    const waiterGone = new Promise((r) => waiter.once('exit', r));
    await sleep(300);
    ok(['stop', '-t', '1', 'lr-run']);
    await waiterGone;
    assert.equal(waited.trim(), '137');
    ok(['rm', '-f', 'lr-run', 'lr-pause', 'lr-ticker', 'lr-cat', 'lr-ends']);
  });

  it('always containers come back after a berthd restart; unless-stopped ones the user stopped do not', async () => {
    ok(['run', '-d', '--name', 'lr-always', '--restart', 'always', 'busybox', 'sleep', '300']);
    ok(['run', '-d', '--name', 'lr-always-stopped', '--restart', 'always', 'busybox', 'sleep', '300']);
    ok(['run', '-d', '--name', 'lr-us-stopped', '--restart', 'unless-stopped', 'busybox', 'sleep', '300']);
    ok(['run', '-d', '--name', 'lr-us-dies', '--restart', 'unless-stopped', 'busybox', 'sh', '-c', 'sleep 1; exit 1']);
    ok(['stop', '-t', '0', 'lr-always-stopped']);
    ok(['stop', '-t', '0', 'lr-us-stopped']);
    await daemon().stopDaemon('SIGKILL');
    await sleep(1500);
    await daemon().startDaemon();
    const deadline = Date.now() + 15_000;
    const status = (n: string): string => ok(['inspect', '-f', '{{.State.Status}}', n]);
    while (status('lr-always-stopped') !== 'running' || status('lr-us-dies') !== 'running') {
      assert.ok(Date.now() < deadline, `lr-always-stopped ${status('lr-always-stopped')}, lr-us-dies ${status('lr-us-dies')}`);
      await sleep(200);
    }
    assert.equal(status('lr-always'), 'running');
    assert.equal(status('lr-us-stopped'), 'exited');
    ok(['rm', '-f', 'lr-always', 'lr-always-stopped', 'lr-us-stopped', 'lr-us-dies']);
  });
});
