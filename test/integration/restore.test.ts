// berthd stops and crashes: containers keep running, their state is found again, and a kill -9 in the
// middle of a load leaves nothing half-made and nothing that can never be removed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import tar from 'tar-stream';
import { DOCKER, useTestDaemon } from '../harness.js';

const daemon = useTestDaemon();

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('containers outlive berthd', () => {
  it('a running container survives kill -9 of berthd and is managed again after restart', async () => {
    const id = daemon().docker(['run', '-d', '--name', 'ticker', 'busybox', 'sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done']).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const pid = Number(daemon().docker(['inspect', '--format', '{{.State.Pid}}', id]).stdout.trim());
    assert.ok(pid > 0);
    await daemon().stopDaemon('SIGKILL');
    await sleep(600);
    assert.ok(alive(pid), 'the container process died with the daemon');
    await daemon().startDaemon();
    assert.match(daemon().docker(['ps', '--filter', 'name=ticker']).stdout, /Up /);
    const before = daemon().docker(['logs', 'ticker']).stdout.split('\n').length;
    await sleep(700);
    assert.ok(daemon().docker(['logs', 'ticker']).stdout.split('\n').length > before, 'logs did not grow after the restart');
    const stop = daemon().docker(['stop', '-t', '1', 'ticker']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(daemon().docker(['wait', 'ticker']).stdout.trim(), '137');
    assert.equal(alive(pid), false);
    assert.equal(daemon().docker(['rm', 'ticker']).code, 0);
  });

  it('the exit code of a container that ended while berthd was down is known after restart', async () => {
    const id = daemon().docker(['run', '-d', 'busybox', 'sh', '-c', 'sleep 1; exit 7']).stdout.trim();
    await daemon().stopDaemon('SIGKILL');
    await sleep(2000);
    await daemon().startDaemon();
    const state = JSON.parse(daemon().docker(['inspect', '--format', '{{json .State}}', id]).stdout) as { Status: string; ExitCode: number };
    assert.equal(state.Status, 'exited');
    assert.equal(state.ExitCode, 7);
    assert.equal(daemon().docker(['wait', id]).stdout.trim(), '7');
    assert.equal(daemon().docker(['rm', id]).code, 0);
    assert.equal(existsSync(join(daemon().execRoot, 'runtime/containers', id)), false);
  });

  it('a graceful stop of berthd (SIGTERM) also leaves containers running', async () => {
    const id = daemon().docker(['run', '-d', 'busybox', 'sleep', '300']).stdout.trim();
    const pid = Number(daemon().docker(['inspect', '--format', '{{.State.Pid}}', id]).stdout.trim());
    await daemon().stopDaemon('SIGTERM');
    assert.ok(alive(pid));
    await daemon().startDaemon();
    assert.equal(daemon().docker(['rm', '-f', id]).code, 0);
    assert.equal(alive(pid), false);
  });
});

/** A docker-archive with several layers of incompressible data, big enough that a load takes a while. */
async function bigArchive(layers: number, bytesPerLayer: number): Promise<Buffer> {
  const layerTars: Buffer[] = [];
  for (let i = 0; i < layers; i++) {
    const pack = tar.pack();
    pack.entry({ name: `layer${i}/`, type: 'directory', mode: 0o755 });
    for (let f = 0; f < 8; f++) pack.entry({ name: `layer${i}/f${f}`, mode: 0o644 }, randomBytes(bytesPerLayer / 8));
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    layerTars.push(Buffer.concat(chunks));
  }
  const diffIds = layerTars.map((t) => `sha256:${createHash('sha256').update(t).digest('hex')}`);
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['true'] }, rootfs: { type: 'layers', diff_ids: diffIds } });
  const archive = tar.pack();
  layerTars.forEach((t, i) => archive.entry({ name: `l${i}.tar` }, t));
  archive.entry({ name: 'config.json' }, config);
  archive.entry({ name: 'manifest.json' }, JSON.stringify([{ Config: 'config.json', RepoTags: ['big:1'], Layers: layerTars.map((_t, i) => `l${i}.tar`) }]));
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const c of archive) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('crash consistency', () => {
  it('kill -9 during a load leaves no half image, and everything left can be removed', async () => {
    const archive = await bigArchive(6, 8 * 1024 * 1024);
    for (const killAfterMs of [80, 300, 700]) {
      const load = spawn(DOCKER, ['load'], { env: daemon().env, stdio: ['pipe', 'ignore', 'ignore'] });
      // Listen now: the client may exit while the daemon is being killed, before anyone would start listening.
      const loadExited = new Promise((r) => load.once('exit', r));
      load.stdin.on('error', () => undefined);
      load.stdin.end(archive);
      await sleep(killAfterMs);
      await daemon().stopDaemon('SIGKILL');
      await loadExited;
      await daemon().startDaemon();
      const images = daemon().docker(['images', '--format', '{{.Repository}}:{{.Tag}}']).stdout;
      if (images.includes('big:1')) {
        // The load had committed: the image must be whole and runnable.
        assert.equal(daemon().docker(['image', 'inspect', '--format', '{{len .RootFS.Layers}}', 'big:1']).stdout.trim(), '6');
        assert.equal(daemon().docker(['rmi', 'big:1']).code, 0);
      }
      assert.deepEqual(readdirSync(join(daemon().dataRoot, 'snapshots')).filter((n) => n.startsWith('new-')), []);
    }
    // Only busybox remains: its snapshot and blobs are all that is on disk.
    const snapshots = readdirSync(join(daemon().dataRoot, 'snapshots'));
    const blobs = readdirSync(join(daemon().dataRoot, 'content/blobs/sha256'));
    assert.equal(snapshots.length, 1, `leftover snapshots: ${snapshots.join(' ')}`);
    assert.equal(blobs.length, 2, `leftover blobs: ${blobs.join(' ')}`);
  });
});
