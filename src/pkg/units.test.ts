import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesSize, fromHumanSize, humanDuration, humanSize, humanSize4, ramInBytes } from './units.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

test('humanDuration follows go-units thresholds', () => {
  const cases: [number, string][] = [
    [-5 * S, 'Less than a second'],
    [0, 'Less than a second'],
    [999, 'Less than a second'],
    [1 * S, '1 second'],
    [1999, '1 second'],
    [2 * S, '2 seconds'],
    [59 * S + 999, '59 seconds'],
    [60 * S, 'About a minute'],
    [119 * S, 'About a minute'],
    [2 * M, '2 minutes'],
    [59 * M + 59 * S, '59 minutes'],
    [60 * M, 'About an hour'],
    [89 * M, 'About an hour'],
    [90 * M, '2 hours'],
    [47 * H + 29 * M, '47 hours'],
    [47 * H + 30 * M, '2 days'],
    [13 * D, '13 days'],
    [14 * D, '2 weeks'],
    [59 * D, '8 weeks'],
    [60 * D, '2 months'],
    [729 * D, '24 months'],
    [730 * D, '2 years'],
    [3650 * D, '10 years'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `humanDuration(${ms})`);
});

test('humanSize uses 3 significant digits and decimal units like docker images', () => {
  const cases: [number, string][] = [
    [0, '0B'],
    [999, '999B'],
    [1000, '1kB'],
    [1500, '1.5kB'],
    [1125, '1.12kB'], // exact tie rounds half to even, as Go's strconv does
    [1982256, '1.98MB'],
    [4260000, '4.26MB'],
    [4264999, '4.26MB'],
    [999500, '1e+03kB'], // go-units divides before rounding, so Go prints this oddity too
    [123456789, '123MB'],
    [5e12, '5TB'],
  ];
  for (const [n, want] of cases) assert.equal(humanSize(n), want, `humanSize(${n})`);
  assert.equal(humanSize4(2746000), '2.746MB');
  assert.equal(humanSize4(796000), '796kB');
});

test('bytesSize uses binary units', () => {
  assert.equal(bytesSize(44 * 1024), '44KiB');
  assert.equal(bytesSize(17 * 1024 * 1024), '17MiB');
  assert.equal(bytesSize(512), '512B');
  assert.equal(bytesSize(1536), '1.5KiB');
});

test('fromHumanSize and ramInBytes parse like go-units', () => {
  assert.equal(fromHumanSize('32'), 32);
  assert.equal(fromHumanSize('32b'), 32);
  assert.equal(fromHumanSize('32K'), 32000);
  assert.equal(fromHumanSize('32kb'), 32000);
  assert.equal(fromHumanSize('1.5GB'), 1.5e9);
  assert.equal(fromHumanSize('10 kB'), 10000);
  assert.equal(ramInBytes('512m'), 536870912);
  assert.equal(ramInBytes('64KiB'), 65536);
  assert.equal(ramInBytes('1g'), 1073741824);
  assert.throws(() => fromHumanSize('abc'), /invalid size: 'abc'/);
  assert.throws(() => fromHumanSize('10x'), /invalid suffix: 'x'/);
  assert.throws(() => fromHumanSize('-1'), /invalid size: '-1'/);
  assert.throws(() => ramInBytes('1kbb'), /invalid suffix: 'kbb'/);
  assert.throws(() => ramInBytes('1mi'), /invalid suffix: 'mi'/);
});
