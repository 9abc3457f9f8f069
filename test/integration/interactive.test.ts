// Interactive sessions with the real docker CLI under a pseudo-terminal: run -it, window size, Ctrl-C, detach
// keys, attach, start -ai, exec -it; and -i without a TTY.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { DOCKER, useTestDaemon } from '../harness.js';
import { runInPty, type PtySession } from '../pty.js';

const daemon = useTestDaemon();
const sessions: PtySession[] = [];
after(() => {
  for (const s of sessions) s.kill();
});

function pty(args: string[], size?: { rows: number; cols: number }): PtySession {
  const s = runInPty([DOCKER, ...args], { env: daemon().env, ...size });
  sessions.push(s);
  return s;
}

function inspectState(name: string): { Status: string; ExitCode: number } {
  const r = daemon().docker(['inspect', '-f', '{{json .State}}', name]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { Status: string; ExitCode: number };
}

describe('run -it', () => {
  it('gives a shell a real terminal: prompt, line editing, exit code', async () => {
    const s = pty(['run', '-it', '--rm', 'busybox', 'sh']);
    await s.expect('# ');
    // A typo erased with backspace: the line discipline of the container's terminal edits the line.
    s.write('echo $((6*8\x7f7))\r');
    await s.expect('42');
    s.write('tty\r');
    await s.expect('/dev/pts/0');
    s.write('exit 4\r');
    assert.equal(await s.exited, 4);
  });

  it('the container terminal takes the client window size, and follows resizes', async () => {
    const s = pty(['run', '-it', '--rm', 'busybox', 'sh', '-c', 'stty size'], { rows: 33, cols: 101 });
    assert.equal(await s.exited, 0);
    assert.match(s.output(), /33 101/);
  });

  it('Ctrl-C reaches the process in the container', async () => {
    const s = pty(['run', '-it', '--rm', 'busybox', 'sh', '-c', 'trap "echo caught-int; exit 7" INT; echo ready; while true; do sleep 0.1; done']);
    await s.expect('ready');
    s.write('\x03');
    await s.expect('caught-int');
    assert.equal(await s.exited, 7);
  });

  it('Ctrl-P Ctrl-Q detaches and leaves the container running; attach brings the session back', async () => {
    const s = pty(['run', '-it', '--name', 'detachme', 'busybox', 'sh']);
    await s.expect('# ');
    s.write('\x10\x11');
    assert.equal(await s.exited, 0);
    assert.equal(inspectState('detachme').Status, 'running');
    const a = pty(['attach', 'detachme']);
    a.write('echo back-$((1+1))\r');
    await a.expect('back-2');
    a.write('exit 3\r');
    assert.equal(await a.exited, 3);
    assert.equal(inspectState('detachme').ExitCode, 3);
    daemon().docker(['rm', 'detachme']);
  });

  it('--detach-keys sets other keys; keys that cannot be parsed are refused', async () => {
    const s = pty(['run', '-it', '--name', 'detachkeys', '--detach-keys', 'ctrl-x,x', 'busybox', 'sh']);
    await s.expect('# ');
    s.write('\x18x');
    assert.equal(await s.exited, 0);
    assert.equal(inspectState('detachkeys').Status, 'running');
    const res = await daemon().api('POST', '/containers/detachkeys/attach?stream=1&stdin=1&detachKeys=ctrl-NOPE');
    assert.equal(res.status, 400);
    assert.match(res.body, /Invalid detach keys \(ctrl-NOPE\) provided/);
    daemon().docker(['rm', '-f', 'detachkeys']);
  });

  it('exec -it runs a shell in a running container with the client window size', async () => {
    assert.equal(daemon().docker(['run', '-d', '--name', 'execit', 'busybox', 'sleep', '300']).code, 0);
    const s = pty(['exec', '-it', 'execit', 'sh'], { rows: 40, cols: 120 });
    await s.expect('# ');
    s.write('stty size; echo pid1-$(cat /proc/1/comm)\r');
    await s.expect('40 120');
    await s.expect('pid1-sleep');
    s.write('exit 9\r');
    assert.equal(await s.exited, 9);
    daemon().docker(['rm', '-f', 'execit']);
  });
});

describe('stdin without a TTY', () => {
  it('echo hi | docker run -i busybox cat', () => {
    const r = daemon().docker(['run', '-i', '--rm', 'busybox', 'cat'], { input: 'hi\nthere\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hi\nthere\n');
  });

  it('start -ai pipes stdin to a created container', () => {
    const id = daemon().docker(['create', '-i', 'busybox', 'sh', '-c', 'read x; echo got:$x; exit 2']).stdout.trim();
    const r = daemon().docker(['start', '-ai', id], { input: 'line\n' });
    assert.equal(r.stdout, 'got:line\n');
    assert.equal(r.code, 2);
    daemon().docker(['rm', id]);
  });

  it('exec -i pipes stdin to the exec', () => {
    assert.equal(daemon().docker(['run', '-d', '--name', 'execi', 'busybox', 'sleep', '300']).code, 0);
    const r = daemon().docker(['exec', '-i', 'execi', 'sh', '-c', 'tr a-z A-Z'], { input: 'shout\n' });
    assert.equal(r.stdout, 'SHOUT\n');
    daemon().docker(['rm', '-f', 'execi']);
  });
});
