import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parsePsOutput } from './ps-output.js';

test('keeps the container processes and joins the command', () => {
  const out = ['UID   PID  PPID  C STIME TTY TIME     CMD', 'root  10   1     0 10:00 ?   00:00:00 sleep 100', 'root  11   10    0 10:00 ?   00:00:00 sh -c echo hi', 'root  99   1     0 10:00 ?   00:00:00 other'].join('\n');
  const r = parsePsOutput(out, [10, 11]);
  assert.deepEqual(r.Titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
  assert.deepEqual(r.Processes, [
    ['root', '10', '1', '0', '10:00', '?', '00:00:00', 'sleep 100'],
    ['root', '11', '10', '0', '10:00', '?', '00:00:00', 'sh -c echo hi'],
  ]);
});

test('ps output without a PID column is an error in moby words', () => {
  assert.throws(() => parsePsOutput('USER COMMAND\nroot sh\n', [1]), /Couldn't find PID field in ps output/);
});
