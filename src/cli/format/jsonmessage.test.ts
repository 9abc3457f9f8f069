import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { displayJsonMessages, JsonMessageError } from './jsonmessage.js';

async function show(lines: object[], tty = false): Promise<string> {
  let out = '';
  await displayJsonMessages(Readable.from([Buffer.from(lines.map((l) => JSON.stringify(l)).join('\r\n'))]), { write: (s: string) => (out += s) }, tty);
  return out;
}

test('off a terminal: streams and statuses print, progress updates do not', async () => {
  assert.equal(
    await show([
      { stream: 'Loaded image: busybox:latest\n' },
      { status: 'Pulling from library/busybox', id: 'latest' },
      { status: 'Downloading', id: 'abc', progressDetail: { current: 10, total: 100 }, progress: '[=>  ] 10B/100B' },
      { status: 'Download complete', id: 'abc', progressDetail: {} },
      { status: 'sha256:1234' },
    ]),
    'Loaded image: busybox:latest\nlatest: Pulling from library/busybox\nabc: Download complete\nsha256:1234\n',
  );
});

test('an error message ends the display with that error', async () => {
  await assert.rejects(show([{ status: 'x' }, { errorDetail: { message: 'no space left' }, error: 'no space left' }]), (e: unknown) => {
    return e instanceof JsonMessageError && e.message === 'no space left';
  });
});

test('aux messages go to the callback, not the output', async () => {
  let aux: unknown;
  let out = '';
  await displayJsonMessages(Readable.from([Buffer.from('{"aux":{"ID":"sha256:x"}}\n')]), { write: (s: string) => (out += s) }, false, (a) => (aux = a));
  assert.deepEqual(aux, { ID: 'sha256:x' });
  assert.equal(out, '');
});
