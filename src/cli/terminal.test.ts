import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex, PassThrough, Writable } from 'node:stream';
import type { HijackedConnection } from '../client/engine-client.js';
import { encodeFrame } from '../pkg/stdcopy.js';
import { StatusError } from './errors.js';
import { checkTty, confirm, detachKeyBytes, streamHijacked, ttySize, type InputStream } from './terminal.js';

/** A hijacked connection whose daemon side the test drives: `output` is what the daemon sends. */
function fakeConnection(): { conn: HijackedConnection; output: PassThrough; written: Buffer[]; halfClosed: () => boolean } {
  const output = new PassThrough();
  const written: Buffer[] = [];
  let ended = false;
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      written.push(chunk);
      cb();
    },
    final(cb) {
      ended = true;
      cb();
    },
  });
  return { conn: { readable: output, socket, head: Buffer.alloc(0), mediaType: undefined }, output, written, halfClosed: () => ended };
}

function sink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(c);
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('streamHijacked demultiplexes output and ends when the output ends', async () => {
  const { conn, output, halfClosed } = fakeConnection();
  const out = sink();
  const err = sink();
  const s = streamHijacked(conn, { stdout: out.stream, stderr: err.stream, tty: false });
  output.write(encodeFrame(1, Buffer.from('out\n')));
  output.end(encodeFrame(2, Buffer.from('err\n')));
  assert.equal(await s.done, 'eof');
  s.close();
  assert.equal(out.text(), 'out\n');
  assert.equal(err.text(), 'err\n');
  // No input attached: docker half-closes the connection at once.
  assert.equal(halfClosed(), true);
});

test('streamHijacked copies stdin and half-closes on its end, then waits for the output', async () => {
  const { conn, output, written, halfClosed } = fakeConnection();
  const input = new PassThrough();
  const out = sink();
  const s = streamHijacked(conn, { input, stdout: out.stream, stderr: out.stream, tty: false });
  input.write('hi\n');
  input.end();
  await tick();
  assert.equal(Buffer.concat(written).toString(), 'hi\n');
  assert.equal(halfClosed(), true);
  let settled = false;
  void s.done.then(() => (settled = true));
  await tick();
  assert.equal(settled, false, 'the end of stdin alone does not end the stream while output is attached');
  output.end(encodeFrame(1, Buffer.from('hi\n')));
  assert.equal(await s.done, 'eof');
  assert.equal(out.text(), 'hi\n');
  s.close();
});

test('streamHijacked with a TTY keeps the detach keys from the daemon and reports the detach', async () => {
  const { conn, output, written, halfClosed } = fakeConnection();
  const input = new PassThrough();
  const out = sink();
  const s = streamHijacked(conn, { input, stdout: out.stream, tty: true, detachKeys: 'ctrl-x,y' });
  output.write('raw output');
  input.write(Buffer.from([0x61, 0x18]));
  await tick();
  input.write(Buffer.from([0x62]));
  await tick();
  input.write(Buffer.from([0x18, 0x79, 0x63]));
  assert.equal(await s.done, 'detached');
  assert.deepEqual([...Buffer.concat(written)], [0x61, 0x18, 0x62]);
  assert.equal(halfClosed(), false, 'detaching does not send EOF to the process');
  assert.equal(out.text(), 'raw output');
  s.close();
});

test('streamHijacked without output ends when the input ends', async () => {
  const { conn } = fakeConnection();
  const input = new PassThrough();
  const s = streamHijacked(conn, { input, tty: false });
  input.end('x');
  assert.equal(await s.done, 'eof');
  s.close();
});

test('streamHijacked puts a TTY input into raw mode and restores it', async () => {
  const { conn, output } = fakeConnection();
  const modes: boolean[] = [];
  const input: InputStream = Object.assign(new PassThrough(), { isTTY: false, setRawMode: (m: boolean) => modes.push(m) });
  const s = streamHijacked(conn, { input, stdout: sink().stream, tty: true, raw: false });
  output.end();
  await s.done;
  s.close();
  assert.deepEqual(modes, [], 'raw: false (NORAW) leaves the terminal alone');
});

test('streamHijacked rejects on an in-band daemon error', async () => {
  const { conn, output } = fakeConnection();
  const s = streamHijacked(conn, { stdout: sink().stream, stderr: sink().stream, tty: false });
  output.end(encodeFrame(3, Buffer.from('boom')));
  await assert.rejects(s.done, /error from daemon in stream: boom/);
  s.close();
});

test('detachKeyBytes parses docker key names and falls back to ctrl-p,ctrl-q', () => {
  assert.deepEqual([...detachKeyBytes(undefined)], [16, 17]);
  assert.deepEqual([...detachKeyBytes('ctrl-a,b,DEL')], [1, 0x62, 127]);
  assert.deepEqual([...detachKeyBytes('nonsense-key')], [16, 17]);
});

test('checkTty refuses a TTY session on a non-terminal stdin', () => {
  assert.throws(
    () => checkTty({ isTTY: false }, true, true),
    (e: unknown) => e instanceof StatusError && e.message === 'the input device is not a TTY' && e.statusCode === 1,
  );
  checkTty({ isTTY: false }, false, true);
  checkTty({ isTTY: false }, true, false);
  checkTty({ isTTY: true }, true, true);
});

test('ttySize is [rows, columns] of a terminal and [0, 0] otherwise', () => {
  const out = Object.assign(new PassThrough(), { isTTY: true, rows: 40, columns: 100 });
  assert.deepEqual(ttySize(out), [40, 100]);
  assert.deepEqual(ttySize(new PassThrough()), [0, 0]);
});

test('confirm accepts y or Y only, and end of input is no', async () => {
  const ask = async (answer: string | undefined): Promise<[boolean, string]> => {
    const input = new PassThrough();
    const out = sink();
    const p = confirm(input, out.stream, 'Sure?');
    if (answer === undefined) input.end();
    else input.write(answer);
    return [await p, out.text()];
  };
  assert.deepEqual(await ask('y\n'), [true, 'Sure? [y/N] ']);
  assert.deepEqual(await ask('  Y \r\n'), [true, 'Sure? [y/N] ']);
  assert.deepEqual(await ask('yes\n'), [false, 'Sure? [y/N] ']);
  assert.deepEqual(await ask('\n'), [false, 'Sure? [y/N] ']);
  assert.deepEqual(await ask(undefined), [false, 'Sure? [y/N] ']);
});
