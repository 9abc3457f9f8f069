/**
 * The local time zone's abbreviation ("CET", "EDT", "IST") as Go prints it in `time.Time.String()`. JavaScript only
 * offers locale-dependent names ("GMT+1"), so read the same tzdata file Go reads: `$TZ` under
 * /usr/share/zoneinfo, or /etc/localtime. The UTC offset itself comes from the Date; the file only names it.
 */
import { readFileSync } from 'node:fs';

interface ZoneNames {
  /** From the TZif footer (the rule in force today): standard and daylight names with their offsets in seconds. */
  std?: { name: string; offset: number };
  dst?: { name: string; offset: number };
  /** Every (offset, isdst, name) the file defines, oldest first. */
  types: { offset: number; isDst: boolean; name: string }[];
}

let cached: ZoneNames | null | undefined;

function zoneFile(env: NodeJS.ProcessEnv): string | undefined {
  const tz = env.TZ;
  if (tz === undefined) return '/etc/localtime';
  if (tz === '' || tz === 'UTC' || tz === 'UTC0') return undefined;
  const name = tz.startsWith(':') ? tz.slice(1) : tz;
  return name.startsWith('/') ? name : `/usr/share/zoneinfo/${name}`;
}

/** Parses a POSIX TZ offset ("-1", "5", "-5:30") into seconds east of UTC. */
function posixOffset(s: string): number {
  const m = /^([+-]?)(\d+)(?::(\d+))?(?::(\d+))?$/.exec(s);
  if (!m) return NaN;
  const secs = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
  // POSIX offsets are west of UTC: "CET-1" is UTC+1.
  return m[1] === '-' ? secs : -secs;
}

function parseFooter(footer: string): Pick<ZoneNames, 'std' | 'dst'> {
  const m = /^(<[^>]+>|[A-Za-z]{3,})([+-]?\d+(?::\d+){0,2})(<[^>]+>|[A-Za-z]{3,})?([+-]?\d+(?::\d+){0,2})?/.exec(footer);
  if (!m) return {};
  const name = (n: string): string => n.replace(/^<|>$/g, '');
  const stdOffset = posixOffset(m[2]!);
  const out: Pick<ZoneNames, 'std' | 'dst'> = { std: { name: name(m[1]!), offset: stdOffset } };
  if (m[3]) out.dst = { name: name(m[3]), offset: m[4] ? posixOffset(m[4]) : stdOffset + 3600 };
  return out;
}

function parseTzif(buf: Buffer): ZoneNames | null {
  if (buf.toString('latin1', 0, 4) !== 'TZif') return null;
  const version = buf[4]!;
  const counts = (at: number): number[] => [0, 1, 2, 3, 4, 5].map((i) => buf.readUInt32BE(at + 20 + i * 4));
  let [isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt] = counts(0) as [number, number, number, number, number, number];
  let base = 44;
  let timeSize = 4;
  if (version >= 0x32) {
    // Skip the v1 block; the v2 block that follows has 64-bit times.
    base += timecnt * 4 + timecnt + typecnt * 6 + charcnt + leapcnt * 8 + isstdcnt + isutcnt;
    [isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt] = counts(base) as [number, number, number, number, number, number];
    base += 44;
    timeSize = 8;
  }
  const typesAt = base + timecnt * timeSize + timecnt;
  const charsAt = typesAt + typecnt * 6;
  const types: ZoneNames['types'] = [];
  for (let i = 0; i < typecnt; i++) {
    const at = typesAt + i * 6;
    const idx = buf[at + 5]!;
    const end = buf.indexOf(0, charsAt + idx);
    types.push({ offset: buf.readInt32BE(at), isDst: buf[at + 4] === 1, name: buf.toString('latin1', charsAt + idx, end) });
  }
  let footer = '';
  if (version >= 0x32) {
    const footerAt = charsAt + charcnt + leapcnt * (timeSize + 4) + isstdcnt + isutcnt;
    const text = buf.toString('latin1', footerAt);
    footer = text.split('\n')[1] ?? '';
  }
  return { ...parseFooter(footer), types };
}

function load(env: NodeJS.ProcessEnv): ZoneNames | null {
  const file = zoneFile(env);
  if (!file) return null;
  try {
    return parseTzif(readFileSync(file));
  } catch {
    return null;
  }
}

/** Go's zone name for a moment whose UTC offset (seconds east) the caller already knows; undefined if unknown. */
export function zoneAbbreviation(offsetSeconds: number, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (cached === undefined) cached = load(env);
  if (cached === null) return offsetSeconds === 0 ? 'UTC' : undefined;
  const z = cached;
  if (z.std?.offset === offsetSeconds) return z.std.name;
  if (z.dst?.offset === offsetSeconds) return z.dst.name;
  for (let i = z.types.length - 1; i >= 0; i--) if (z.types[i]!.offset === offsetSeconds) return z.types[i]!.name;
  return undefined;
}
