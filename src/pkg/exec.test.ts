import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { InternalError } from '../core/errdefs.js';
import { exec, execOrThrow } from './exec.js';

const sh = (script: string): [string, string[]] => ['/bin/sh', ['-c', script]];

describe('exec', () => {
  it('resolves with the exit status and both outputs, whatever the status', async () => {
    const res = await exec(...sh('echo out; echo err >&2; exit 3'));
    assert.deepEqual(res, { code: 3, stdout: 'out\n', stderr: 'err\n' });
  });

  it('runs with a fixed PATH and the C locale unless given an environment', async () => {
    assert.equal((await exec(...sh('echo "$PATH $LC_ALL $HOME"'))).stdout, '/usr/sbin:/usr/bin:/sbin:/bin C \n');
    assert.equal((await exec(...sh('echo "$X"'), { env: { X: 'y' } })).stdout, 'y\n');
  });

  it('passes arguments as they are, without a shell', async () => {
    const res = await exec('/bin/echo', ['$HOME', 'a b', '*']);
    assert.equal(res.stdout, '$HOME a b *\n');
  });

  it('feeds input on stdin and runs in cwd', async () => {
    assert.equal((await exec('cat', [], { input: 'hello\n' })).stdout, 'hello\n');
    const dir = await mkdtemp(join(tmpdir(), 'berth-exec-'));
    try {
      assert.equal((await exec('pwd', [], { cwd: dir })).stdout, `${dir}\n`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('ignores a command that exits without reading its input', async () => {
    // Enough to fill the pipe: the write fails with EPIPE, which must not surface as an error.
    const res = await exec('true', [], { input: 'x'.repeat(1024 * 1024) });
    assert.equal(res.code, 0);
  });

  it('can send stdout to /dev/null', async () => {
    const res = await exec(...sh('echo out; echo err >&2'), { stdout: 'ignore' });
    assert.deepEqual(res, { code: 0, stdout: '', stderr: 'err\n' });
  });

  it('keeps at most about maxOutput characters of each stream', async () => {
    const res = await exec(...sh('head -c 1000000 /dev/zero | tr "\\0" a'), { maxOutput: 10 });
    assert.equal(res.code, 0);
    assert.ok(res.stdout.length >= 10 && res.stdout.length < 1_000_000, `kept ${res.stdout.length}`);
    assert.match(res.stdout, /^a+$/);
  });

  it('kills a command that outlives its timeout', async () => {
    const start = Date.now();
    await assert.rejects(exec('sleep', ['10'], { timeoutMs: 50 }), (err: unknown) => {
      assert.ok(err instanceof InternalError);
      assert.equal(err.message, 'sleep 10 did not finish within 50 ms (killed by SIGKILL)');
      return true;
    });
    assert.ok(Date.now() - start < 5000);
  });

  it('kills the command on abort and rejects with an AbortError', async () => {
    const ac = new AbortController();
    const running = exec('sleep', ['10'], { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(running, { name: 'AbortError' });
  });

  it('does not start when the signal is already aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(exec('sleep', ['10'], { signal: ac.signal }), { name: 'AbortError' });
  });

  it('rejects when the command dies of a signal', async () => {
    await assert.rejects(exec(...sh('kill -TERM $$')), { name: 'InternalError', message: "/bin/sh -c kill -TERM $$ was killed by SIGTERM" });
  });

  it('rejects with InternalError when the command cannot be started', async () => {
    await assert.rejects(exec('/nonexistent/berth-test-tool', []), (err: unknown) => {
      assert.ok(err instanceof InternalError);
      assert.match(err.message, /^Failed to run \/nonexistent\/berth-test-tool: spawn \/nonexistent\/berth-test-tool ENOENT$/);
      return true;
    });
  });
});

describe('execOrThrow', () => {
  it('returns the result on exit 0', async () => {
    assert.equal((await execOrThrow('echo', ['hi'])).stdout, 'hi\n');
  });

  it('fails with the command line, exit status and stderr otherwise', async () => {
    await assert.rejects(execOrThrow(...sh('echo " boom " >&2; exit 2')), {
      name: 'InternalError',
      message: '/bin/sh -c echo " boom " >&2; exit 2 failed (exit 2): boom',
    });
  });
});
