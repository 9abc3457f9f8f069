/**
 * Ports of docker/go-units: the human-readable durations and sizes Docker prints ("Up 3 seconds", "About an hour
 * ago", "4.26MB") and the size parsers behind flags such as `--memory 512m`. Thresholds and rounding follow the Go
 * code exactly, since scripts compare these strings.
 */
import { formatFloat } from './go-fmt.js';

/**
 * `units.HumanDuration`: an approximation of a duration given in milliseconds. Like Go, seconds and minutes are
 * truncated, hours are rounded, and anything under a second (including negative durations) is "Less than a second".
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3_600_000) / 24 / 365)} years`;
}

const DECIMAL_ABBRS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY_ABBRS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function sizeAndUnit(size: number, base: number, abbrs: readonly string[]): [number, string] {
  let i = 0;
  while (size >= base && i < abbrs.length - 1) {
    size /= base;
    i++;
  }
  return [size, abbrs[i]!];
}

/** `units.HumanSizeWithPrecision`: decimal units, `%.{precision}g` ("1.5kB", "4.26MB", "0B"). */
export function humanSizeWithPrecision(bytes: number, precision: number): string {
  const [size, unit] = sizeAndUnit(bytes, 1000, DECIMAL_ABBRS);
  return formatFloat(size, 'g', precision) + unit;
}

/**
 * The size string Docker's `images`, `ps -s` and `history` columns show: `HumanSizeWithPrecision(size, 3)`.
 * (go-units' own `HumanSize` uses 4 significant digits; see {@link humanSize4}.)
 */
export function humanSize(bytes: number): string {
  return humanSizeWithPrecision(bytes, 3);
}

/** `units.HumanSize`: 4 significant digits ("2.746MB"). */
export function humanSize4(bytes: number): string {
  return humanSizeWithPrecision(bytes, 4);
}

/** `units.BytesSize`: binary units, 4 significant digits ("44KiB", "17MiB"). */
export function bytesSize(bytes: number): string {
  const [size, unit] = sizeAndUnit(bytes, 1024, BINARY_ABBRS);
  return formatFloat(size, 'g', 4) + unit;
}

const DECIMAL_MAP: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };
const BINARY_MAP: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

function parseSize(sizeStr: string, map: Record<string, number>): number {
  let num: string;
  let sfx: string;
  const sp = sizeStr.indexOf(' ');
  if (sp >= 0) {
    num = sizeStr.slice(0, sp);
    sfx = sizeStr.slice(sp + 1);
  } else {
    let sep = -1;
    for (let i = sizeStr.length - 1; i >= 0; i--) {
      if ('0123456789.'.includes(sizeStr[i]!)) {
        sep = i;
        break;
      }
    }
    if (sep === -1) throw new Error(`invalid size: '${sizeStr}'`);
    num = sizeStr.slice(0, sep + 1);
    sfx = sizeStr.slice(sep + 1);
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(num)) {
    throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(num)}: invalid syntax`);
  }
  let size = Number(num);
  if (size < 0) throw new Error(`invalid size: '${sizeStr}'`);
  if (sfx.length === 0) return Math.trunc(size);
  const bad = (): Error => new Error(`invalid suffix: '${sfx}'`);
  if (sfx.length > 3) throw bad();
  sfx = sfx.toLowerCase();
  if (sfx[0] === 'b') {
    if (sfx.length > 1) throw bad();
    return Math.trunc(size);
  }
  const mul = map[sfx[0]!];
  if (mul === undefined) throw bad();
  size *= mul;
  if (sfx.length === 2 && sfx[1] !== 'b') throw bad();
  if (sfx.length === 3 && sfx.slice(1) !== 'ib') throw bad();
  return Math.trunc(size);
}

/** `units.FromHumanSize`: "44kB", "17MB", "1.5 GB" (decimal multiples). Throws go-units' messages on bad input. */
export function fromHumanSize(size: string): number {
  return parseSize(size, DECIMAL_MAP);
}

/** `units.RAMInBytes`: "512m", "1g", "64KiB" (binary multiples; case-insensitive; the "b" is optional). */
export function ramInBytes(size: string): number {
  return parseSize(size, BINARY_MAP);
}
