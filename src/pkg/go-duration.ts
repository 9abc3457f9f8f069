/**
 * Go's duration syntax (`300ms`, `1m30s`, `-1.5h`) and Docker's `since`/`until` timestamps.
 *
 * Docker splits timestamp handling in two (api/types/time): the client turns whatever the user typed into Unix
 * seconds with `GetTimestamp` (a duration counts back from now; RFC 3339 and its shorter forms are read in the
 * local zone unless they carry one; a Unix timestamp passes through), and the daemon reads only `sec[.frac]` with
 * `ParseTimestamps`. Both halves are here, plus `parseTimestampArg` which does both for endpoints (such as prune's
 * `until`) where Docker's daemon accepts the user's form directly.
 */
import { InvalidArgumentError } from '../core/errdefs.js';

const NS_PER_SECOND = 1_000_000_000n;
const NS_PER_MS = 1_000_000;
const MAX_NS = 1n << 63n;

const UNITS: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n], // U+00B5 MICRO SIGN
  ['\u03bcs', 1_000n], // U+03BC GREEK SMALL LETTER MU
  ['ms', 1_000_000n],
  ['s', NS_PER_SECOND],
  ['m', 60n * NS_PER_SECOND],
  ['h', 3600n * NS_PER_SECOND],
]);

const quote = (s: string): string => JSON.stringify(s);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/**
 * Parses a Go duration into nanoseconds, exactly as Go's time.ParseDuration: `[-+]?([0-9]*(\.[0-9]*)?unit)+` with
 * units ns, us (µs, μs), ms, s, m, h, or a bare `0`; the result must fit an int64. Errors carry Go's words
 * (`time: invalid duration "x"`, `time: missing unit in duration "1"`, `time: unknown unit "d" in duration "1d"`).
 */
export function parseGoDurationNs(s: string): bigint {
  const invalid = (): InvalidArgumentError => new InvalidArgumentError(`time: invalid duration ${quote(s)}`);
  let i = 0;
  let negative = false;
  if (s[0] === '-' || s[0] === '+') {
    negative = s[0] === '-';
    i = 1;
  }
  if (s.slice(i) === '0') return 0n;
  if (i === s.length) throw invalid();
  let total = 0n;
  while (i < s.length) {
    if (!(s[i] === '.' || isDigit(s[i]))) throw invalid();
    // Whole part.
    const wholeStart = i;
    let whole = 0n;
    for (; isDigit(s[i]); i++) {
      whole = whole * 10n + BigInt(s.charCodeAt(i) - 48);
      if (whole > MAX_NS) throw invalid();
    }
    const hasWhole = i > wholeStart;
    // Fraction: digits beyond int64 precision are read but ignored, as Go does.
    let fraction = 0n;
    let scale = 1;
    let hasFraction = false;
    if (s[i] === '.') {
      i++;
      const fractionStart = i;
      let overflow = false;
      for (; isDigit(s[i]); i++) {
        if (overflow) continue;
        const next = fraction * 10n + BigInt(s.charCodeAt(i) - 48);
        if (fraction > (MAX_NS - 1n) / 10n || next > MAX_NS) {
          overflow = true;
          continue;
        }
        fraction = next;
        scale *= 10;
      }
      hasFraction = i > fractionStart;
    }
    if (!hasWhole && !hasFraction) throw invalid();
    // Unit: everything up to the next digit or '.'.
    const unitStart = i;
    while (i < s.length && s[i] !== '.' && !isDigit(s[i])) i++;
    if (i === unitStart) throw new InvalidArgumentError(`time: missing unit in duration ${quote(s)}`);
    const unitName = s.slice(unitStart, i);
    const unit = UNITS.get(unitName);
    if (unit === undefined) {
      throw new InvalidArgumentError(`time: unknown unit ${quote(unitName)} in duration ${quote(s)}`);
    }
    if (whole > MAX_NS / unit) throw invalid();
    let value = whole * unit;
    if (fraction > 0n) {
      // Go computes the fractional part in float64; so do we, to round alike.
      value += BigInt(Math.trunc(Number(fraction) * (Number(unit) / scale)));
      if (value > MAX_NS) throw invalid();
    }
    total += value;
    if (total > MAX_NS) throw invalid();
  }
  if (negative) return -total;
  if (total > MAX_NS - 1n) throw invalid();
  return total;
}

/** `parseGoDurationNs` in milliseconds (fractional below 1 ms: `1500us` → 1.5). */
export function parseGoDuration(s: string): number {
  return Number(parseGoDurationNs(s)) / NS_PER_MS;
}

// ---- Timestamps ----

/** Seconds and nanoseconds since the Unix epoch, as Docker passes `since`/`until` between client and daemon. */
export interface UnixTimestamp {
  seconds: number;
  nanoseconds: number;
}

export interface TimestampOptions {
  /**
   * The zone for forms without one, as minutes east of UTC. Docker uses the zone of the reference time (the
   * client's local zone); default: this process's offset at `reference`.
   */
  utcOffsetMinutes?: number;
}

// Docker's layouts (api/types/time): RFC 3339 and its shorter forms, with or without a zone.
const RFC3339_NANO = '2006-01-02T15:04:05.999999999Z07:00';
const RFC3339_NANO_LOCAL = '2006-01-02T15:04:05.999999999';
const DATE_WITH_ZONE = '2006-01-02Z07:00';
const DATE_LOCAL = '2006-01-02';

/**
 * Docker's GetTimestamp (the client half): turns `10m`, `2024-01-02`, `2024-01-02T15:04:05Z`, `1700000000.5` into
 * the string sent to the daemon: whole Unix seconds for a duration (counted back from `reference`), `sec.nnnnnnnnn`
 * for a date, the input itself for a Unix timestamp. `0` is the epoch, not a zero duration.
 */
export function getTimestamp(value: string, reference: Date, options: TimestampOptions = {}): string {
  if (value !== '0') {
    let duration: bigint | undefined;
    try {
      duration = parseGoDurationNs(value);
    } catch {
      duration = undefined;
    }
    if (duration !== undefined) {
      const ns = BigInt(reference.getTime()) * BigInt(NS_PER_MS) - duration;
      return String(floorDiv(ns, NS_PER_SECOND));
    }
  }

  // A 'Z', a '+' or three dashes (date plus a negative offset) mean the value carries its zone.
  const inLocation = !/[zZ+]/.test(value) && (value.match(/-/g) ?? []).length !== 3;
  let layout: string;
  if (value.includes('.')) {
    layout = inLocation ? RFC3339_NANO_LOCAL : RFC3339_NANO;
  } else if (value.includes('T')) {
    // Count the colons of the time part; with a +hh:mm zone one of them belongs to the zone.
    let colons = (value.match(/:/g) ?? []).length;
    if (!inLocation && !/[zZ]/.test(value) && colons > 0) colons--;
    const time = colons === 0 ? '15' : colons === 1 ? '15:04' : '15:04:05';
    // With seconds these are RFC 3339 and Docker's RFC3339Local.
    layout = `2006-01-02T${time}${inLocation ? '' : 'Z07:00'}`;
  } else {
    layout = inLocation ? DATE_LOCAL : DATE_WITH_ZONE;
  }

  const localOffset = options.utcOffsetMinutes ?? -reference.getTimezoneOffset();
  const parsed = parseGoTime(layout, value, inLocation ? localOffset : undefined);
  if (typeof parsed === 'string') {
    // With a '-' it was meant as a date: report why it is not one.
    if (value.includes('-')) throw new InvalidArgumentError(parsed);
    try {
      parseUnixTimestamp(value);
    } catch {
      throw new InvalidArgumentError(`failed to parse value as time or duration: ${quote(value)}`);
    }
    return value;
  }
  return `${parsed.seconds}.${String(parsed.nanoseconds).padStart(9, '0')}`;
}

/**
 * Docker's ParseTimestamps (the daemon half): reads `sec[.frac]`; '' gives `defaultSeconds`. A fraction of other
 * than nine digits is scaled to nanoseconds (`1.5` → 500000000 ns). Errors carry strconv's words.
 */
export function parseTimestamps(value: string, defaultSeconds: number): UnixTimestamp {
  if (value === '') return { seconds: defaultSeconds, nanoseconds: 0 };
  return parseUnixTimestamp(value);
}

function parseUnixTimestamp(value: string): UnixTimestamp {
  const dot = value.indexOf('.');
  const seconds = parseGoInt(dot === -1 ? value : value.slice(0, dot));
  if (dot === -1) return { seconds, nanoseconds: 0 };
  const fraction = value.slice(dot + 1);
  const n = parseGoInt(fraction);
  return { seconds, nanoseconds: Math.trunc(n * 10 ** (9 - fraction.length)) };
}

/**
 * Reads a `since`/`until` argument in any form the docker CLI accepts (getTimestamp, then parseTimestamps) and
 * returns it as a Date (millisecond precision). '' is refused; callers treat an absent argument themselves.
 */
export function parseTimestampArg(value: string, reference: Date, options: TimestampOptions = {}): Date {
  return timestampToDate(parseTimestamps(getTimestamp(value, reference, options), 0));
}

/** The instant of a UnixTimestamp, truncated to milliseconds. */
export function timestampToDate(t: UnixTimestamp): Date {
  return new Date(t.seconds * 1000 + Math.floor(t.nanoseconds / NS_PER_MS));
}

/** strconv.ParseInt(s, 10, 64). */
function parseGoInt(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new InvalidArgumentError(`strconv.ParseInt: parsing ${quote(s)}: invalid syntax`);
  const n = BigInt(s);
  if (n >= MAX_NS || n < -MAX_NS) {
    throw new InvalidArgumentError(`strconv.ParseInt: parsing ${quote(s)}: value out of range`);
  }
  return Number(n);
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

// ---- A small Go time.Parse for the layouts above ----

type LayoutElem = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'fraction' | 'zone';
const LAYOUT_ELEMS: ReadonlyArray<[text: string, elem: LayoutElem]> = [
  ['2006', 'year'],
  ['.999999999', 'fraction'],
  ['Z07:00', 'zone'],
  ['01', 'month'],
  ['02', 'day'],
  ['15', 'hour'],
  ['04', 'minute'],
  ['05', 'second'],
];

function tokenizeLayout(layout: string): Array<{ text: string; elem?: LayoutElem }> {
  const out: Array<{ text: string; elem?: LayoutElem }> = [];
  let literal = '';
  for (let i = 0; i < layout.length; ) {
    const hit = LAYOUT_ELEMS.find(([text]) => layout.startsWith(text, i));
    if (hit === undefined) {
      literal += layout[i];
      i++;
      continue;
    }
    if (literal !== '') out.push({ text: literal });
    literal = '';
    out.push({ text: hit[0], elem: hit[1] });
    i += hit[0].length;
  }
  if (literal !== '') out.push({ text: literal });
  return out;
}

/**
 * Go's time.Parse restricted to the elements Docker's layouts use. `offsetMinutes` is the zone for layouts without
 * one. Returns the instant, or Go's error message as a string.
 */
function parseGoTime(layout: string, value: string, offsetMinutes: number | undefined): UnixTimestamp | string {
  const cannotParse = (rest: string, elem: string): string =>
    `parsing time ${quote(value)} as ${quote(layout)}: cannot parse ${quote(rest)} as ${quote(elem)}`;
  const outOfRange = (what: string): string => `parsing time ${quote(value)}: ${what} out of range`;
  const tokens = tokenizeLayout(layout);
  let rest = value;
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let nanoseconds = 0;
  let offset = offsetMinutes ?? 0;
  const twoDigits = (fixed: boolean): number | undefined => {
    if (!isDigit(rest[0])) return undefined;
    if (!isDigit(rest[1])) {
      if (fixed) return undefined;
      const n = Number(rest[0]);
      rest = rest.slice(1);
      return n;
    }
    const n = Number(rest.slice(0, 2));
    rest = rest.slice(2);
    return n;
  };
  const readFraction = (): void => {
    let end = 1;
    while (isDigit(rest[end])) end++;
    nanoseconds = Number(rest.slice(1, Math.min(end, 10)).padEnd(9, '0'));
    rest = rest.slice(end);
  };
  for (let t = 0; t < tokens.length; t++) {
    const { text, elem } = tokens[t] as { text: string; elem?: LayoutElem };
    const before = rest;
    switch (elem) {
      case undefined:
        if (!rest.startsWith(text)) return cannotParse(rest, text);
        rest = rest.slice(text.length);
        break;
      case 'year':
        if (!/^[0-9]{4}/.test(rest)) return cannotParse(rest, text);
        year = Number(rest.slice(0, 4));
        rest = rest.slice(4);
        break;
      case 'month': {
        const n = twoDigits(true);
        if (n === undefined) return cannotParse(before, text);
        if (n < 1 || n > 12) return outOfRange('month');
        month = n;
        break;
      }
      case 'day': {
        const n = twoDigits(true);
        if (n === undefined) return cannotParse(before, text);
        // Checked against the month once the whole value is read, as Go does.
        day = n;
        break;
      }
      case 'hour': {
        const n = twoDigits(false);
        if (n === undefined) return cannotParse(before, text);
        if (n >= 24) return outOfRange('hour');
        hour = n;
        break;
      }
      case 'minute': {
        const n = twoDigits(true);
        if (n === undefined) return cannotParse(before, text);
        if (n >= 60) return outOfRange('minute');
        minute = n;
        break;
      }
      case 'second': {
        const n = twoDigits(true);
        if (n === undefined) return cannotParse(before, text);
        if (n >= 60) return outOfRange('second');
        second = n;
        // Go accepts a fraction after the seconds even when the layout has none.
        const next = tokens[t + 1]?.elem;
        if (next !== 'fraction' && (rest[0] === '.' || rest[0] === ',') && isDigit(rest[1])) readFraction();
        break;
      }
      case 'fraction':
        if ((rest[0] === '.' || rest[0] === ',') && isDigit(rest[1])) readFraction();
        break;
      case 'zone': {
        if (rest[0] === 'Z') {
          offset = 0;
          rest = rest.slice(1);
          break;
        }
        const m = /^([+-])([0-9]{2}):([0-9]{2})/.exec(rest);
        if (m === null) return cannotParse(rest, text);
        const hh = Number(m[2]);
        const mm = Number(m[3]);
        if (hh > 24) return outOfRange('time zone offset hour');
        if (mm > 60) return outOfRange('time zone offset minute');
        offset = (m[1] === '-' ? -1 : 1) * (hh * 60 + mm);
        rest = rest.slice(6);
        break;
      }
    }
  }
  if (rest !== '') return `parsing time ${quote(value)}: extra text: ${quote(rest)}`;
  if (day < 1 || day > daysInMonth(year, month)) return outOfRange('day');
  const seconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset * 60;
  return { seconds, nanoseconds };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's algorithm), without Date's quirks for years < 100. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}
