import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { InvalidArgumentError } from '../core/errdefs.js';
import {
  getTimestamp,
  parseGoDuration,
  parseGoDurationNs,
  parseTimestampArg,
  parseTimestamps,
  timestampToDate,
} from './go-duration.js';

const S = 1_000_000_000n;
const MS = 1_000_000n;
const US = 1_000n;
const MIN = 60n * S;
const H = 60n * MIN;

describe('parseGoDurationNs', () => {
  // Go's own table (time/time_test.go parseDurationTests), plus a few.
  const valid: Array<[string, bigint]> = [
    ['0', 0n],
    ['-0', 0n],
    ['+0', 0n],
    ['5s', 5n * S],
    ['30s', 30n * S],
    ['1478s', 1478n * S],
    ['-5s', -5n * S],
    ['+5s', 5n * S],
    ['0s', 0n],
    ['5.0s', 5n * S],
    ['5.6s', 5n * S + 600n * MS],
    ['5.s', 5n * S],
    ['.5s', 500n * MS],
    ['1.0s', S],
    ['1.00s', S],
    ['1.004s', S + 4n * MS],
    ['1.0040s', S + 4n * MS],
    ['100.00100s', 100n * S + MS],
    ['10ns', 10n],
    ['11us', 11n * US],
    ['12µs', 12n * US],
    ['12μs', 12n * US],
    ['13ms', 13n * MS],
    ['14s', 14n * S],
    ['15m', 15n * MIN],
    ['16h', 16n * H],
    ['300ms', 300n * MS],
    ['1m30s', 90n * S],
    ['3h30m', 3n * H + 30n * MIN],
    ['10.5s4m', 4n * MIN + 10n * S + 500n * MS],
    ['-2m3.4s', -(2n * MIN + 3n * S + 400n * MS)],
    ['1h2m3s4ms5us6ns', H + 2n * MIN + 3n * S + 4n * MS + 5n * US + 6n],
    ['39h9m14.425s', 39n * H + 9n * MIN + 14n * S + 425n * MS],
    ['52763797000ns', 52763797000n],
    ['0.3333333333333333333h', 20n * MIN],
    ['9007199254740993ns', (1n << 53n) + 1n],
    ['9223372036854775807ns', (1n << 63n) - 1n],
    ['9223372036854775.807us', (1n << 63n) - 1n],
    ['9223372036s854ms775us807ns', (1n << 63n) - 1n],
    ['-9223372036854775808ns', -(1n << 63n)],
    ['-9223372036854775.808us', -(1n << 63n)],
    ['-2562047h47m16.854775808s', -(1n << 63n)],
    ['0.100000000000000000000h', 6n * MIN],
    ['0.830103483285477580700h', 49n * MIN + 48n * S + 372539827n],
  ];
  for (const [input, expected] of valid) {
    it(`${input} = ${expected}ns`, () => assert.equal(parseGoDurationNs(input), expected));
  }

  const invalid: Array<[string, string]> = [
    ['', 'time: invalid duration ""'],
    ['3', 'time: missing unit in duration "3"'],
    ['-', 'time: invalid duration "-"'],
    ['s', 'time: invalid duration "s"'],
    ['.', 'time: invalid duration "."'],
    ['-.', 'time: invalid duration "-."'],
    ['.s', 'time: invalid duration ".s"'],
    ['+.s', 'time: invalid duration "+.s"'],
    ['1d', 'time: unknown unit "d" in duration "1d"'],
    ['1 s', 'time: unknown unit " s" in duration "1 s"'],
    ['1S', 'time: unknown unit "S" in duration "1S"'],
    ['1h-1m', 'time: unknown unit "h-" in duration "1h-1m"'],
    ['1.5', 'time: missing unit in duration "1.5"'],
    ['9223372036854775808ns', 'time: invalid duration "9223372036854775808ns"'],
    ['9223372036854775.808us', 'time: invalid duration "9223372036854775.808us"'],
    ['9223372036854ms775us808ns', 'time: invalid duration "9223372036854ms775us808ns"'],
    ['-9223372036854775809ns', 'time: invalid duration "-9223372036854775809ns"'],
    ['99999999999999999999999h', 'time: invalid duration "99999999999999999999999h"'],
  ];
  for (const [input, message] of invalid) {
    it(`refuses ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => parseGoDurationNs(input),
        (err: unknown) => err instanceof InvalidArgumentError && err.message === message,
      );
    });
  }
});

describe('parseGoDuration', () => {
  const cases: Array<[string, number]> = [
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['300ms', 300],
    ['1500us', 1.5],
    ['-1s', -1000],
    ['0', 0],
  ];
  for (const [input, ms] of cases) it(`${input} = ${ms}ms`, () => assert.equal(parseGoDuration(input), ms));
  it('throws InvalidArgumentError', () => assert.throws(() => parseGoDuration('10'), InvalidArgumentError));
});

describe('getTimestamp', () => {
  // moby api/types/time/timestamp_test.go, with the reference time in UTC.
  const now = new Date('2024-03-10T12:34:56.789Z');
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const utc = { utcOffsetMinutes: 0 };
  const valid: Array<[string, string]> = [
    ['2006-01-02T15:04:05.999999999+07:00', '1136189045.999999999'],
    ['2006-01-02T15:04:05.999999999Z', '1136214245.999999999'],
    ['2006-01-02T15:04:05.999999999', '1136214245.999999999'],
    ['2006-01-02T15:04:05.5Z', '1136214245.500000000'],
    ['2006-01-02T15:04:05.1234567891234Z', '1136214245.123456789'],
    ['2006-01-02T15:04:05,5Z', '1136214245.500000000'],
    ['2006-01-02T15:04:05Z', '1136214245.000000000'],
    ['2006-01-02T15:04:05', '1136214245.000000000'],
    ['2006-01-02T15:04Z', '1136214240.000000000'],
    ['2006-01-02T15:04+00:00', '1136214240.000000000'],
    ['2006-01-02T15:04-00:00', '1136214240.000000000'],
    ['2006-01-02T15:04', '1136214240.000000000'],
    ['2006-01-02T15Z', '1136214000.000000000'],
    ['2006-01-02T15+00:00', '1136214000.000000000'],
    ['2006-01-02T15-00:00', '1136214000.000000000'],
    ['2006-01-02T15', '1136214000.000000000'],
    ['2006-01-02T1Z', '1136163600.000000000'],
    ['2006-01-02T1', '1136163600.000000000'],
    ['2006-01-02+07:00', '1136134800.000000000'],
    ['2006-01-02-07:00', '1136185200.000000000'],
    ['2006-01-02Z', '1136160000.000000000'],
    ['2006-01-02', '1136160000.000000000'],
    ['2015-05-13T20:39:09Z', '1431549549.000000000'],
    ['2024-02-29', '1709164800.000000000'],
    ['1969-12-31T23:59:59Z', '-1.000000000'],
    ['0001-01-01T00:00:00Z', '-62135596800.000000000'],
    // Unix timestamps pass through untouched.
    ['1136073600', '1136073600'],
    ['1136073600.000000001', '1136073600.000000001'],
    ['1.5', '1.5'],
    ['0', '0'],
    // Durations count back from the reference, in whole seconds.
    ['1m', String(nowSeconds - 60)],
    ['1.5h', String(nowSeconds - 5400)],
    ['1h30m', String(nowSeconds - 5400)],
    ['10s', String(Math.floor((now.getTime() - 10_000) / 1000))],
    ['-1h', String(nowSeconds + 3600)],
    ['0s', String(nowSeconds)],
  ];
  for (const [input, expected] of valid) {
    it(`${JSON.stringify(input)} → ${expected}`, () => assert.equal(getTimestamp(input, now, utc), expected));
  }

  const invalid: Array<[string, string | RegExp]> = [
    ['2006-01-02T15:04:0Z', 'parsing time "2006-01-02T15:04:0Z" as "2006-01-02T15:04:05Z07:00": cannot parse "0Z" as "05"'],
    ['2006-01-02T15:04:0', /^parsing time "2006-01-02T15:04:0" as "2006-01-02T15:04:05": cannot parse "0" as "05"$/],
    ['2006-01-02T15:0Z', /cannot parse "0Z" as "04"/],
    ['2006-01-02T15:0', /cannot parse/],
    ['2006-01-02TZ', /cannot parse "Z" as "15"/],
    ['2006-01-02T', /cannot parse "" as "15"/],
    ['2006-13-02', 'parsing time "2006-13-02": month out of range'],
    ['2023-02-29', 'parsing time "2023-02-29": day out of range'],
    ['2006-01-32', 'parsing time "2006-01-32": day out of range'],
    ['2006-01-02T24:00', 'parsing time "2006-01-02T24:00": hour out of range'],
    ['2006-01-02T10:60', 'parsing time "2006-01-02T10:60": minute out of range'],
    ['2006-01-02T10:00:60', 'parsing time "2006-01-02T10:00:60": second out of range'],
    ['2006-01-02T10:00:00+25:00', 'parsing time "2006-01-02T10:00:00+25:00": time zone offset hour out of range'],
    ['2006-01-02x', 'parsing time "2006-01-02x": extra text: "x"'],
    ['2006-1-02', /cannot parse "1-02" as "01"/],
    ['06-01-02', /cannot parse/],
    ['2006-01-02T15:04:05z', /./],
    ['invalid', 'failed to parse value as time or duration: "invalid"'],
    ['', 'failed to parse value as time or duration: ""'],
    ['1.', 'failed to parse value as time or duration: "1."'],
    ['1.x', 'failed to parse value as time or duration: "1.x"'],
  ];
  for (const [input, message] of invalid) {
    it(`refuses ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => getTimestamp(input, now, utc),
        (err: unknown) => {
          assert.ok(err instanceof InvalidArgumentError);
          if (typeof message === 'string') assert.equal(err.message, message);
          else assert.match(err.message, message);
          return true;
        },
      );
    });
  }

  it('reads zone-less forms in the given local zone', () => {
    const plus2 = { utcOffsetMinutes: 120 };
    assert.equal(getTimestamp('2006-01-02', now, plus2), '1136152800.000000000');
    assert.equal(getTimestamp('2006-01-02T15:04:05', now, plus2), '1136207045.000000000');
    // A value with its own zone ignores the local one.
    assert.equal(getTimestamp('2006-01-02T15:04:05Z', now, plus2), '1136214245.000000000');
    const minus5 = { utcOffsetMinutes: -300 };
    assert.equal(getTimestamp('2006-01-02T15', now, minus5), '1136232000.000000000');
  });

  it('defaults to the process zone at the reference time', () => {
    const expected = Date.UTC(2006, 0, 2) / 1000 + now.getTimezoneOffset() * 60;
    assert.equal(getTimestamp('2006-01-02', now), `${expected}.000000000`);
  });
});

describe('parseTimestamps', () => {
  // moby api/types/time/timestamp_test.go TestParseTimestamps.
  const valid: Array<[string, number, number, number]> = [
    ['1136073600', 0, 1136073600, 0],
    ['1136073600.000000001', 0, 1136073600, 1],
    ['1136073600.0000000010', 0, 1136073600, 1],
    ['1136073600.00000001', 0, 1136073600, 10],
    ['1136073600.5', 0, 1136073600, 500_000_000],
    ['-1.5', 0, -1, 500_000_000],
    ['', -1, -1, 0],
    ['', 7, 7, 0],
  ];
  for (const [input, def, seconds, nanoseconds] of valid) {
    it(`${JSON.stringify(input)} → ${seconds}s ${nanoseconds}ns`, () =>
      assert.deepEqual(parseTimestamps(input, def), { seconds, nanoseconds }));
  }
  const invalid: Array<[string, string]> = [
    ['foo.bar', 'strconv.ParseInt: parsing "foo": invalid syntax'],
    ['1136073600.bar', 'strconv.ParseInt: parsing "bar": invalid syntax'],
    ['1.', 'strconv.ParseInt: parsing "": invalid syntax'],
    ['1e9', 'strconv.ParseInt: parsing "1e9": invalid syntax'],
    ['9223372036854775808', 'strconv.ParseInt: parsing "9223372036854775808": value out of range'],
  ];
  for (const [input, message] of invalid) {
    it(`refuses ${JSON.stringify(input)}`, () =>
      assert.throws(() => parseTimestamps(input, 0), (err: unknown) => err instanceof InvalidArgumentError && err.message === message));
  }
});

describe('parseTimestampArg', () => {
  const now = new Date('2024-03-10T12:34:56.789Z');
  const utc = { utcOffsetMinutes: 0 };
  it('reads every form into a Date', () => {
    assert.equal(parseTimestampArg('2015-05-13T20:39:09Z', now, utc).toISOString(), '2015-05-13T20:39:09.000Z');
    assert.equal(parseTimestampArg('2015-05-13T20:39:09.123456Z', now, utc).toISOString(), '2015-05-13T20:39:09.123Z');
    assert.equal(parseTimestampArg('1431549549.5', now, utc).toISOString(), '2015-05-13T20:39:09.500Z');
    assert.equal(parseTimestampArg('10m', now, utc).toISOString(), '2024-03-10T12:24:56.000Z');
    assert.equal(parseTimestampArg('0', now, utc).getTime(), 0);
  });
  it('refuses nonsense', () => {
    assert.throws(() => parseTimestampArg('yesterday', now, utc), InvalidArgumentError);
    assert.throws(() => parseTimestampArg('', now, utc), InvalidArgumentError);
  });
  it('timestampToDate truncates to milliseconds', () => {
    assert.equal(timestampToDate({ seconds: 1, nanoseconds: 999_999_999 }).getTime(), 1999);
    assert.equal(timestampToDate({ seconds: -1, nanoseconds: 500_000_000 }).getTime(), -500);
  });
});
