/**
 * docker/cli's formatter.Context: renders a list through a `--format` string that is either `table …` (a header
 * row from the column names, then tab-aligned rows), `json` (`{{json .}}` per item) or a raw Go template (one
 * line per item). Items are "sub-contexts": objects whose methods are the template fields (`{{.ID}}`).
 */
import { DOCKER_HEADER_FUNCS, goJsonEscapeHtml, parseDockerTemplate, TemplateExecError, type Template } from '../../pkg/go-template.js';
import { StatusError } from '../errors.js';
import { tabwriterFormat } from './tabwriter.js';
import { zoneAbbreviation } from './zone-abbreviation.js';

export const TABLE_FORMAT_KEY = 'table';
export const RAW_FORMAT_KEY = 'raw';
export const JSON_FORMAT_KEY = 'json';
export const DEFAULT_QUIET_FORMAT = '{{.ID}}';
export const JSON_FORMAT = '{{json .}}';

export function isTableFormat(format: string): boolean {
  return format.startsWith(TABLE_FORMAT_KEY);
}

/**
 * The column titles of a table, keyed by field name. It behaves as a Go map (a missing key prints `<no value>`) and
 * has docker's `Label` method, which titles a label column by the label key's last dotted part.
 */
export class HeaderMap extends Map<string, string> {
  constructor(entries: Record<string, string>) {
    super(Object.entries(entries));
  }
  Label(name: string): string {
    const parts = name.split('.');
    return parts[parts.length - 1]!.replace(/[-_]/g, ' ');
  }
}

/** The template text after docker's preFormat: `table` stripped, `json` expanded, `\t`/`\n` escapes applied. */
export function finalFormat(format: string): string {
  let f = format;
  if (isTableFormat(f)) f = f.slice(TABLE_FORMAT_KEY.length);
  else if (f === JSON_FORMAT_KEY) f = JSON_FORMAT;
  f = f.replace(/^ +| +$/g, '');
  return f.replace(/\\t|\\n/g, (m) => (m === '\\t' ? '\t' : '\n'));
}

/** Parses a format; a bad one is docker's `template parsing error: …` (exit 1). */
export function parseFormat(format: string): Template {
  try {
    return parseDockerTemplate(finalFormat(format));
  } catch (e) {
    throw new StatusError(`template parsing error: ${(e as Error).message}`, 1);
  }
}

/**
 * Renders `items` with `format`. Rows are executed one by one; the first failing row stops the output with docker's
 * `template parsing error: …` (nothing is written, as docker buffers). Tables get the header row rendered from
 * `header` with docker's header functions, ignoring errors there (docker keeps the partial header).
 */
export function renderFormat(format: string, header: Record<string, string>, items: readonly object[]): string {
  const tmpl = parseFormat(format);
  let body = '';
  for (const item of items) {
    try {
      body += tmpl.execute(item) + '\n';
    } catch (e) {
      throw new StatusError(`template parsing error: ${(e as Error).message}`, 1);
    }
  }
  if (!isTableFormat(format)) return body;
  let head: string;
  try {
    head = tmpl.withFuncs(DOCKER_HEADER_FUNCS).execute(new HeaderMap(header));
  } catch (e) {
    head = e instanceof TemplateExecError ? e.partial : '';
  }
  return tabwriterFormat(head + '\n' + body);
}

// ---------------------------------------------------------------------------------------------------------------
// Display helpers shared by the sub-contexts

/** `stringid.TruncateID`: drop an algorithm prefix, keep 12 characters. */
export function truncateId(id: string): string {
  const i = id.indexOf(':');
  const hex = i >= 0 ? id.slice(i + 1) : id;
  return hex.length > 12 ? hex.slice(0, 12) : hex;
}

function isWide(cp: number): boolean {
  // East Asian Wide and Fullwidth ranges (golang.org/x/text/width), enough for CJK, Hangul and fullwidth forms.
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

/** docker's `formatter.Ellipsis`: cut to a display width, ending with "…". */
export function ellipsis(s: string, maxWidth: number): string {
  if (maxWidth <= 0) return '';
  const runes = [...s];
  if (maxWidth === 1) return runes[0] ?? '';
  const ascii = runes.length === Buffer.byteLength(s, 'utf8');
  if (ascii) return s.length <= maxWidth ? s : s.slice(0, maxWidth - 1) + '…';
  const display: number[] = [];
  let width = 0;
  for (const r of runes) {
    width += isWide(r.codePointAt(0)!) ? 2 : 1;
    display.push(width);
  }
  if (width <= maxWidth) return s;
  for (let i = 0; i < display.length - 1; i++) {
    if (display[i]! <= maxWidth - 1 && display[i + 1]! > maxWidth - 1) return runes.slice(0, i + 1).join('') + '…';
  }
  return s;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function zoneOffset(d: Date): string {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const a = Math.abs(off);
  return `${sign}${pad2(Math.floor(a / 60))}${pad2(a % 60)}`;
}

function zoneName(d: Date): string {
  const offsetSeconds = -d.getTimezoneOffset() * 60;
  const name = zoneAbbreviation(offsetSeconds);
  if (name !== undefined) return name;
  // Go names a zone it has no abbreviation for by its offset.
  const off = zoneOffset(d);
  return off.endsWith('00') ? off.slice(0, 3) : off;
}

/** Go's `time.Unix(sec, 0).String()` in local time: `2026-11-22 22:15:56 +0000 UTC`. */
export function goTimeString(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const date = `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
  const time = `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  return `${date} ${time} ${zoneOffset(d)} ${zoneName(d)}`;
}

/** Go's `time.Unix(sec, 0).Format(time.RFC3339)` in local time: `2026-11-22T22:15:56Z` or `…+02:00`. */
export function goRfc3339(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const off = -d.getTimezoneOffset();
  const tz = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${pad2(Math.floor(Math.abs(off) / 60))}:${pad2(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}T${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}${tz}`;
}

/** Go's encoding/json map marshalling order: keys sorted. Used for the sub-contexts' `{{json .}}`. */
export function sortedObject(entries: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(entries).sort()) out[k] = entries[k];
  return out;
}

/**
 * docker's formatter.MarshalJSON for a sub-context: `json.Marshal` of the field map, which escapes HTML characters
 * (`"<none>"` prints as `"\u003cnone\u003e"`), unlike the `json` template function on plain data.
 */
export function marshalContext(fields: Record<string, unknown>): string {
  return goJsonEscapeHtml(JSON.stringify(sortedObject(fields)));
}
