import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { logFiles, readRotatedLog, rotateIfFull } from './log-rotation.js';

const dir = await mkdtemp(join(tmpdir(), 'berth-logrot-'));
after(() => rm(dir, { recursive: true, force: true }));

const line = (n: number): string => `2026-11-23T10:00:${String(n % 60).padStart(2, '0')}.000000000+00:00 stdout F line ${n}\n`;

test('rotates when full, keeping max-file files, oldest dropped', async () => {
  const path = join(dir, 'a.log');
  let reopened = 0;
  const reopen = async (): Promise<void> => {
    reopened++;
    await writeFile(path, '');
  };
  await writeFile(path, line(1));
  assert.equal(await rotateIfFull(path, { maxSize: 1000, maxFile: 3 }, reopen), false, 'under the limit');
  for (let round = 0; round < 3; round++) {
    await writeFile(path, line(round * 10) + line(round * 10 + 1));
    assert.equal(await rotateIfFull(path, { maxSize: 10, maxFile: 3 }, reopen), true);
  }
  assert.equal(reopened, 3);
  assert.deepEqual(await logFiles(path, 3), [`${path}.2`, `${path}.1`, path]);
  assert.match(await readFile(`${path}.1`, 'utf8'), /line 20/);
  assert.match(await readFile(`${path}.2`, 'utf8'), /line 10/);
});

test('max-file 1 keeps nothing old', async () => {
  const path = join(dir, 'b.log');
  await writeFile(path, line(1));
  await rotateIfFull(path, { maxSize: 1, maxFile: 1 }, () => writeFile(path, ''));
  assert.deepEqual(await logFiles(path, 1), [path]);
  assert.equal(await readFile(path, 'utf8'), '');
});

test('reads rotated files as one log, and tail spans files', async () => {
  const path = join(dir, 'c.log');
  await writeFile(`${path}.2`, line(1) + line(2));
  await writeFile(`${path}.1`, line(3) + line(4));
  await writeFile(path, line(5));
  await appendFile(path, line(6));
  const all: string[] = [];
  for await (const b of readRotatedLog(path, 3, {})) for (const e of b) all.push(e.line.toString().trim());
  assert.deepEqual(all, ['line 1', 'line 2', 'line 3', 'line 4', 'line 5', 'line 6']);
  const tail: string[] = [];
  for await (const b of readRotatedLog(path, 3, { tail: 3 })) for (const e of b) tail.push(e.line.toString().trim());
  assert.deepEqual(tail, ['line 4', 'line 5', 'line 6']);
  const tail1: string[] = [];
  for await (const b of readRotatedLog(path, 3, { tail: 1 })) for (const e of b) tail1.push(e.line.toString().trim());
  assert.deepEqual(tail1, ['line 6']);
});
