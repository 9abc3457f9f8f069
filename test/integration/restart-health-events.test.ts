// Restart policies with Docker's back-off, health checks (ps, inspect, events), events with filters and
// since/until, and stats: real containers through the docker CLI and the API.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { DOCKER, useTestDaemon } from '../harness.js';

const daemon = useTestDaemon();
const docker = (args: string[]) => daemon().docker(args, { timeoutMs: 60_000 });

function ok(args: string[]): string {
  const r = docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

async function until(what: string, fn: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('restart policies', () => {
  it('on-failure:2 restarts a failing container twice, with back-off', async () => {
    ok(['run', '-d', '--name', 'onfail', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'date +%s%N >> /tmp/starts; exit 3']);
    await until('two restarts', () => ok(['inspect', '-f', '{{.RestartCount}} {{.State.Status}}', 'onfail']) === '2 exited');
    assert.equal(ok(['inspect', '-f', '{{.State.ExitCode}}', 'onfail']), '3');
    ok(['rm', 'onfail']);
  });

  it('on-failure does not restart a clean exit; no never restarts', async () => {
    ok(['run', '-d', '--name', 'clean', '--restart', 'on-failure', 'busybox', 'true']);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(ok(['inspect', '-f', '{{.RestartCount}} {{.State.Status}}', 'clean']), '0 exited');
    ok(['rm', 'clean']);
  });

  it('always restarts until stopped by the user; a stop cancels a pending restart', async () => {
    ok(['run', '-d', '--name', 'alw', '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 0.2']);
    await until('restarts', () => Number(ok(['inspect', '-f', '{{.RestartCount}}', 'alw'])) >= 2);
    ok(['stop', 'alw']);
    const count = ok(['inspect', '-f', '{{.RestartCount}}', 'alw']);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(ok(['inspect', '-f', '{{.State.Status}}', 'alw']), 'exited');
    assert.equal(ok(['inspect', '-f', '{{.RestartCount}}', 'alw']), count);
    ok(['rm', 'alw']);
  });

  it('a stop between two runs holds: during the cleanup, the back-off or a policy start under way', async () => {
    // `true` exits at once, so the stops land in every phase of the restart loop over the rounds.
    for (let round = 0; round < 6; round++) {
      ok(['run', '-d', '--name', 'alw2', '--restart', 'always', 'busybox', 'true']);
      await new Promise((r) => setTimeout(r, 40 * round));
      ok(['stop', '-t', '1', 'alw2']);
      const count = ok(['inspect', '-f', '{{.RestartCount}}', 'alw2']);
      await new Promise((r) => setTimeout(r, 700));
      assert.equal(ok(['inspect', '-f', '{{.State.Status}} {{.RestartCount}}', 'alw2']), `exited ${count}`, `round ${round}`);
      ok(['rm', 'alw2']);
    }
  });

  it('bad policies are refused in Docker words', async () => {
    assert.match(docker(['run', '--restart', 'sometimes', 'busybox', 'true']).stderr, /invalid restart policy|unknown policy/);
    const r = await daemon().api('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } });
    assert.equal(r.status, 400);
    assert.match(r.body, /can't create 'AutoRemove' container with restart policy/);
  });
});

describe('health checks', () => {
  it('a passing check turns healthy; ps, inspect, filters and events show it', async () => {
    const events = spawn(DOCKER, ['events', '--filter', 'event=health_status', '--format', '{{.Status}} {{.Actor.Attributes.name}}'], { env: daemon().env });
    let seen = '';
    events.stdout.on('data', (b: Buffer) => (seen += b.toString()));
    try {
      ok(['run', '-d', '--name', 'hok', '--health-cmd', 'true', '--health-interval', '200ms', 'busybox', 'sleep', '300']);
      assert.match(ok(['ps', '--filter', 'name=hok', '--format', '{{.Status}}']), /\(health: starting\)/);
      await until('healthy', () => ok(['inspect', '-f', '{{.State.Health.Status}}', 'hok']) === 'healthy');
      assert.match(ok(['ps', '--filter', 'name=hok', '--format', '{{.Status}}']), /\(healthy\)/);
      assert.equal(ok(['ps', '--filter', 'health=healthy', '--format', '{{.Names}}']), 'hok');
      await until('the health_status event', () => seen.includes('health_status: healthy hok'));
      const log = JSON.parse(ok(['inspect', '-f', '{{json .State.Health.Log}}', 'hok'])) as { ExitCode: number }[];
      assert.ok(log.length >= 1 && log.length <= 5);
      assert.equal(log[0]!.ExitCode, 0);
    } finally {
      events.kill();
    }
    ok(['rm', '-f', 'hok']);
  });

  it('a failing check turns unhealthy after the retries; --no-healthcheck disables the image check', async () => {
    ok(['run', '-d', '--name', 'hbad', '--health-cmd', 'echo sick; exit 1', '--health-interval', '100ms', '--health-retries', '2', 'busybox', 'sleep', '300']);
    await until('unhealthy', () => ok(['inspect', '-f', '{{.State.Health.Status}}', 'hbad']) === 'unhealthy');
    assert.equal(ok(['inspect', '-f', '{{.State.Health.FailingStreak}}', 'hbad']) >= '2', true);
    assert.match(ok(['inspect', '-f', '{{json .State.Health.Log}}', 'hbad']), /sick/);
    ok(['rm', '-f', 'hbad']);
    ok(['run', '-d', '--name', 'hnone', '--no-healthcheck', 'busybox', 'sleep', '300']);
    assert.equal(ok(['inspect', '-f', '{{.State.Health}}', 'hnone']), '<nil>');
    ok(['rm', '-f', 'hnone']);
  });

  it('a probe that runs over its timeout fails', async () => {
    ok(['run', '-d', '--name', 'hslow', '--health-cmd', 'sleep 5', '--health-interval', '100ms', '--health-timeout', '200ms', '--health-retries', '1', 'busybox', 'sleep', '300']);
    await until('unhealthy', () => ok(['inspect', '-f', '{{.State.Health.Status}}', 'hslow']) === 'unhealthy');
    assert.match(ok(['inspect', '-f', '{{json .State.Health.Log}}', 'hslow']), /Health check exceeded timeout/);
    ok(['rm', '-f', 'hslow']);
  });
});

describe('events', () => {
  it('reports every lifecycle change, filtered by type, container, event and label, within since/until', () => {
    const since = String(Date.now() / 1000);
    ok(['run', '--name', 'ev', '--label', 'team=red', 'busybox', 'true']);
    ok(['start', 'ev']);
    ok(['rm', 'ev']);
    const until = String(Date.now() / 1000 + 1);
    const all = ok(['events', '--since', since, '--until', until, '--filter', 'container=ev', '--format', '{{.Action}}']).split('\n');
    assert.deepEqual(all.filter((a) => !a.startsWith('attach')), ['create', 'start', 'die', 'start', 'die', 'destroy']);
    const dies = ok(['events', '--since', since, '--until', until, '--filter', 'event=die', '--filter', 'label=team=red', '--format', '{{.Actor.Attributes.exitCode}}']);
    assert.equal(dies, '0\n0');
    assert.equal(ok(['events', '--since', since, '--until', until, '--filter', 'type=image']), '');
    assert.match(docker(['events', '--filter', 'bogus=1', '--until', until]).stderr, /invalid filter 'bogus'/);
  });
});

describe('stats', () => {
  it('stats --no-stream shows CPU, memory against the limit, and pids', () => {
    ok(['run', '-d', '--name', 'st', '--memory', '64m', 'busybox', 'sh', '-c', 'sleep 300 & sleep 301; true']);
    const line = ok(['stats', '--no-stream', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}', 'st']);
    assert.match(line, /^st \d+\.\d\d% [\d.]+[KMG]?i?B \/ 64MiB 3$/);
    const json = ok(['stats', '--no-stream', '--format', '{{json .}}', 'st']);
    assert.match(json, /"BlockIO"/);
    ok(['rm', '-f', 'st']);
  });

  it('the API streams one sample a second', async () => {
    ok(['run', '-d', '--name', 'st2', 'busybox', 'sleep', '300']);
    const r = await daemon().api('GET', '/containers/st2/stats?stream=false');
    assert.equal(r.status, 200);
    const s = JSON.parse(r.body) as { pids_stats: { current: number }; memory_stats: { usage: number }; cpu_stats: { cpu_usage: { total_usage: number } } };
    assert.equal(s.pids_stats.current, 1);
    assert.ok(s.memory_stats.usage > 0);
    assert.ok(s.cpu_stats.cpu_usage.total_usage > 0);
    ok(['rm', '-f', 'st2']);
  });
});
