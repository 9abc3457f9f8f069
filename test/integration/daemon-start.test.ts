// berthd refuses to start, clearly and without leaving a claim behind, when its settings cannot work.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO } from '../harness.js';

const dir = mkdtempSync('/tmp/bt-start-');
after(() => rmSync(dir, { recursive: true, force: true }));

function berthd(args: string[]): { code: number; stderr: string } {
  const r = spawnSync(join(REPO, 'bin/berthd'), args, { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status ?? 1, stderr: r.stderr };
}

describe('berthd start-up errors', () => {
  it('an exec root too long for conmon’s attach socket fails at start, naming the path, and releases the pidfile', () => {
    const pidfile = join(dir, 'long.pid');
    const execRoot = join(dir, 'an-exec-root-whose-name-is-far-too-long-for-a-socket');
    const r = berthd(['-H', `unix://${join(dir, 'a.sock')}`, '--data-root', join(dir, 'data'), '--exec-root', execRoot, '--pidfile', pidfile]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /failed to start daemon: Attach socket path ".*" is \d+ bytes, over the 107-byte limit/);
    assert.ok(r.stderr.includes(execRoot));
    assert.equal(existsSync(pidfile), false);
  });

  it('a pidfile naming a live process is refused in dockerd’s words', () => {
    const pidfile = join(dir, 'live.pid');
    writeFileSync(pidfile, String(process.pid));
    const r = berthd(['-H', `unix://${join(dir, 'b.sock')}`, '--data-root', join(dir, 'data2'), '--exec-root', join(dir, 'r'), '--pidfile', pidfile]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /pid file found, ensure berthd is not running or delete /);
  });

  it('an unknown flag is a usage error', () => {
    const r = berthd(['--no-such-flag']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /no-such-flag/);
  });
});
