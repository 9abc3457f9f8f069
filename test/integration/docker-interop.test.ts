// Archives move both ways between berthd and a real Docker Engine (a private dockerd, see private-dockerd.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestDaemon, type TestDaemon } from '../harness.js';
import { dockerdAvailable, startPrivateDockerd, type PrivateDockerd } from '../private-dockerd.js';

const skip = dockerdAvailable() ? false : 'dockerd is not installed (scripts/setup.sh installs docker.io)';
let berth: TestDaemon;
let docker: PrivateDockerd;
let dir: string;

describe('docker-archive interoperability with a real Docker Engine', { skip }, () => {
  before(async () => {
    dir = mkdtempSync('/tmp/bt-interop-');
    [berth, docker] = await Promise.all([startTestDaemon(), startPrivateDockerd()]);
  });
  after(async () => {
    await Promise.all([berth?.stop(), docker?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('an archive written by berth loads into Docker and runs there', () => {
    const archive = join(dir, 'from-berth.tar');
    const saved = berth.docker(['save', '-o', archive, 'busybox']);
    assert.equal(saved.code, 0, saved.stderr);
    const loaded = docker.docker(['load', '-i', archive]);
    assert.equal(loaded.code, 0, loaded.stderr);
    assert.match(loaded.stdout, /Loaded image: busybox:latest/);
    const berthId = berth.docker(['image', 'inspect', '--format', '{{.Id}}', 'busybox']).stdout.trim();
    assert.equal(docker.docker(['image', 'inspect', '--format', '{{.Id}}', 'busybox']).stdout.trim(), berthId);
    const run = docker.docker(['run', '--rm', '--network', 'none', 'busybox', 'echo', 'berth image in docker']);
    assert.equal(run.stdout, 'berth image in docker\n', run.stderr);
  });

  it('an archive written by Docker loads into berth and runs there', () => {
    // Docker makes a two-layer image of its own (commit adds a layer), then saves it.
    const made = docker.docker(['run', '--name', 'maker', '--network', 'none', 'busybox', 'sh', '-c', 'echo from docker > /made-by-docker']);
    assert.equal(made.code, 0, made.stderr);
    assert.equal(docker.docker(['commit', '-c', 'CMD ["cat", "/made-by-docker"]', 'maker', 'dockermade:1']).code, 0);
    const archive = join(dir, 'from-docker.tar');
    const saved = docker.docker(['save', '-o', archive, 'dockermade:1']);
    assert.equal(saved.code, 0, saved.stderr);
    const loaded = berth.docker(['load', '-i', archive]);
    assert.equal(loaded.code, 0, loaded.stderr);
    assert.match(loaded.stdout, /Loaded image: dockermade:1/);
    assert.equal(
      berth.docker(['image', 'inspect', '--format', '{{.Id}}', 'dockermade:1']).stdout.trim(),
      docker.docker(['image', 'inspect', '--format', '{{.Id}}', 'dockermade:1']).stdout.trim(),
    );
    const run = berth.docker(['run', '--rm', 'dockermade:1']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'from docker\n');
  });
});

