/**
 * A port of the parts of Go's `fmt` and `strconv` that Docker's output relies on: `%v`-style printing of values,
 * `Sprintf` with the common verbs and flags, `Sprint`/`Sprintln`, `strconv.Quote` and `%g`/`%e`/`%f` float
 * formatting with Go's rounding (round half to even on the exact binary value).
 *
 * JavaScript values stand in for Go values as follows: strings are `string`; integral numbers and bigints are `int`;
 * other numbers are `float64`; booleans are `bool`; `null`/`undefined` are `nil`; arrays are slices; byte arrays are
 * `[]byte`; plain objects are maps (`map[k:v]`, keys sorted) unless every key starts with an upper-case letter, in
 * which case they print as structs (`{v1 v2}`), which is how Docker's typed API structs print; an object with a
 * `String()` method is a `fmt.Stringer`.
 */

/** Go's type name for a value, as `%T` and the `%!verb(type=value)` error forms print it. */
export function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return Number.isInteger(v) ? 'int' : 'float64';
    case 'function':
      return 'func()';
    default:
      break;
  }
  if (v instanceof Uint8Array) return '[]uint8';
  if (Array.isArray(v)) return '[]interface {}';
  if (isStructLike(v)) return 'struct';
  return 'map[string]interface {}';
}

/** Plain objects are maps unless all keys look like exported Go struct fields. Class instances are structs. */
export function isStructLike(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return true;
  const keys = Object.keys(v);
  return keys.length > 0 && keys.every((k) => /^[A-Z]/.test(k));
}

function isInt(v: unknown): v is number | bigint {
  return typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));
}

function hasMethod(v: unknown, name: string): boolean {
  return typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>)[name] === 'function';
}

/** Go's `%v` (and `fmt.Sprint` of a single operand). */
export function formatValue(v: unknown, depth = 0): string {
  if (v === null || v === undefined) return '<nil>';
  switch (typeof v) {
    case 'string':
      return v;
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return v.toString();
    case 'number':
      return Number.isInteger(v) ? intString(v) : formatFloat(v, 'g', -1);
    case 'function':
      return '0x1';
    default:
      break;
  }
  if (hasMethod(v, 'Error')) return String((v as { Error(): unknown }).Error());
  if (hasMethod(v, 'String')) return String((v as { String(): unknown }).String());
  if (v instanceof Uint8Array) return `[${[...v].join(' ')}]`;
  if (v instanceof Date) return v.toISOString();
  if (depth > 32) return '...';
  if (Array.isArray(v)) return `[${v.map((e) => formatValue(e, depth + 1)).join(' ')}]`;
  const obj = v as Record<string, unknown>;
  if (isStructLike(obj)) {
    return `{${structValues(obj)
      .map((e) => formatValue(e, depth + 1))
      .join(' ')}}`;
  }
  const keys = Object.keys(obj).sort();
  return `map[${keys.map((k) => `${k}:${formatValue(obj[k], depth + 1)}`).join(' ')}]`;
}

function structValues(obj: Record<string, unknown>): unknown[] {
  const out: unknown[] = [];
  for (const k of Object.keys(obj)) {
    const val = obj[k];
    if (typeof val !== 'function') out.push(val);
  }
  return out;
}

function intString(n: number): string {
  // Integers beyond 2^53 are still printed without an exponent, as Go prints an int64.
  return Math.abs(n) < 1e21 ? n.toFixed(0) : BigInt(n).toString();
}

/** `fmt.Sprint`: spaces between operands when neither side is a string. */
export function sprint(...args: unknown[]): string {
  let out = '';
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(a);
  }
  return out;
}

/** `fmt.Sprintln`: spaces between all operands, newline at the end. */
export function sprintln(...args: unknown[]): string {
  return args.map((a) => formatValue(a)).join(' ') + '\n';
}

// ---------------------------------------------------------------------------------------------------------------
// strconv.Quote

/**
 * Non-ASCII code points Go's strconv.IsPrint rejects: controls, spaces other than U+0020, format characters,
 * surrogates and private use (categories C* and Z*). A range table, because a Unicode-property regex costs
 * milliseconds to compile on every CLI start that prints an ellipsis. Unassigned code points count as printable.
 */
const NON_PRINTABLE: readonly [number, number][] = [
  [0x80, 0xa0],
  [0xad, 0xad],
  [0x600, 0x605],
  [0x61c, 0x61c],
  [0x6dd, 0x6dd],
  [0x70f, 0x70f],
  [0x890, 0x891],
  [0x8e2, 0x8e2],
  [0x1680, 0x1680],
  [0x180e, 0x180e],
  [0x2000, 0x200f],
  [0x2028, 0x202f],
  [0x205f, 0x2064],
  [0x2066, 0x206f],
  [0x3000, 0x3000],
  [0xd800, 0xf8ff],
  [0xfeff, 0xfeff],
  [0xfff9, 0xfffb],
  [0x110bd, 0x110bd],
  [0x110cd, 0x110cd],
  [0x13430, 0x1343f],
  [0x1bca0, 0x1bca3],
  [0x1d173, 0x1d17a],
  [0xe0001, 0xe007f],
  [0xf0000, 0x10ffff],
];

function isGoPrint(cp: number): boolean {
  if (cp < 0x80) return cp >= 0x20 && cp < 0x7f;
  for (const [lo, hi] of NON_PRINTABLE) if (cp >= lo && cp <= hi) return false;
  return true;
}

/** `strconv.Quote`: double-quoted Go string literal, non-printable runes escaped. */
export function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    out += quoteRune(ch, '"');
  }
  return out + '"';
}

/** `strconv.QuoteRune`. */
export function quoteRuneLiteral(code: number): string {
  const ch = code >= 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : '\ufffd';
  return `'${quoteRune(ch, "'")}'`;
}

function quoteRune(ch: string, q: string): string {
  if (ch === q || ch === '\\') return '\\' + ch;
  if (isGoPrint(ch.codePointAt(0)!)) return ch;
  switch (ch) {
    case '\x07':
      return '\\a';
    case '\b':
      return '\\b';
    case '\f':
      return '\\f';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    case '\v':
      return '\\v';
    default:
      break;
  }
  const cp = ch.codePointAt(0)!;
  if (cp < 0x20 || cp === 0x7f) return '\\x' + cp.toString(16).padStart(2, '0');
  if (cp >= 0xd800 && cp <= 0xdfff) return '\\ufffd';
  if (cp < 0x10000) return '\\u' + cp.toString(16).padStart(4, '0');
  return '\\U' + cp.toString(16).padStart(8, '0');
}

// ---------------------------------------------------------------------------------------------------------------
// Float formatting with Go's rounding

interface Decimal {
  digits: string; // significant digits, no leading zeros ("" for zero)
  exp: number; // value = 0.digits × 10^exp
}

/** Exact decimal expansion of a finite double (toPrecision(100) is exact for the magnitudes we format). */
function exactDecimal(x: number): Decimal {
  if (x === 0) return { digits: '', exp: 0 };
  const s = Math.abs(x).toExponential(99); // d.ddd…e±n, correctly rounded to 100 digits
  const [mant, e] = s.split('e') as [string, string];
  const digits = mant.replace('.', '').replace(/0+$/, '');
  return { digits, exp: Number(e) + 1 };
}

/** Shortest decimal that round-trips (what Go uses for precision -1), from JS's own shortest algorithm. */
function shortestDecimal(x: number): Decimal {
  if (x === 0) return { digits: '', exp: 0 };
  const s = Math.abs(x).toExponential();
  const [mant, e] = s.split('e') as [string, string];
  return { digits: mant.replace('.', '').replace(/0+$/, ''), exp: Number(e) + 1 };
}

/** Rounds to n significant digits, half to even (Go's decimal.Round on the exact value). */
function roundDecimal(d: Decimal, n: number): Decimal {
  if (n < 0 || d.digits.length <= n) return d;
  const next = d.digits.charCodeAt(n) - 48;
  let up: boolean;
  if (next > 5) up = true;
  else if (next < 5) up = false;
  else if (d.digits.length > n + 1) up = true; // more non-zero digits follow (digits carry no trailing zeros)
  else up = n > 0 && (d.digits.charCodeAt(n - 1) - 48) % 2 === 1;
  let digits = d.digits.slice(0, n);
  let exp = d.exp;
  if (up) {
    const arr = digits.split('').map(Number);
    let i = arr.length - 1;
    while (i >= 0 && arr[i] === 9) {
      arr[i] = 0;
      i--;
    }
    if (i < 0) {
      // All nines carried out: the value is 10^exp, a single significant digit.
      arr.length = 0;
      arr.push(1);
      exp++;
    } else {
      arr[i]!++;
    }
    digits = arr.join('');
  }
  digits = digits.replace(/0+$/, '');
  return { digits, exp };
}

function digitAt(d: Decimal, i: number): string {
  return i < d.digits.length ? d.digits[i]! : '0';
}

function fmtE(d: Decimal, prec: number, upper: boolean): string {
  let out = digitAt(d, 0);
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) out += digitAt(d, i);
  }
  const exp = d.digits === '' ? 0 : d.exp - 1;
  const sign = exp < 0 ? '-' : '+';
  const ae = Math.abs(exp);
  return out + (upper ? 'E' : 'e') + sign + (ae < 10 ? '0' + ae : String(ae));
}

function fmtF(d: Decimal, prec: number): string {
  let out = '';
  if (d.exp > 0) {
    for (let i = 0; i < d.exp; i++) out += digitAt(d, i);
  } else {
    out = '0';
  }
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) {
      const j = d.exp + i - 1;
      out += j < 0 ? '0' : digitAt(d, j);
    }
  }
  return out;
}

/**
 * `strconv.FormatFloat(x, fmt, prec, 64)` for fmt in e, E, f, g, G; prec -1 means the shortest representation that
 * round-trips. Returns the unsigned magnitude prefixed by "-" when negative; "+Inf", "-Inf", "NaN" as Go does.
 */
export function formatFloat(x: number, fmt: 'e' | 'E' | 'f' | 'g' | 'G', prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  const sign = neg ? '-' : '';
  const shortest = prec < 0;
  let d = shortest ? shortestDecimal(x) : exactDecimal(x);
  switch (fmt) {
    case 'e':
    case 'E': {
      if (!shortest) d = roundDecimal(d, prec + 1);
      else prec = Math.max(d.digits.length - 1, 0);
      return sign + fmtE(d, prec, fmt === 'E');
    }
    case 'f': {
      if (!shortest) {
        if (d.exp + prec >= 0) d = roundDecimal(d, d.exp + prec);
      } else {
        prec = Math.max(d.digits.length - d.exp, 0);
      }
      return sign + fmtF(d, prec);
    }
    default: {
      // A port of strconv's %g: choose %e or %f by the exponent, then print the significant digits.
      let p = prec;
      if (shortest) {
        p = d.digits.length;
      } else {
        if (p === 0) p = 1;
        d = roundDecimal(d, p);
      }
      const nd = d.digits.length;
      const dp = d.exp;
      let eprec = p;
      if (eprec > nd && nd >= dp) eprec = nd;
      if (shortest) eprec = 6;
      const exp = dp - 1;
      if (exp < -4 || exp >= eprec) {
        if (p > nd) p = nd;
        return sign + fmtE(d, Math.max(p - 1, 0), fmt === 'G');
      }
      if (p > dp) p = nd;
      return sign + fmtF(d, Math.max(p - dp, 0));
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Sprintf

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number | undefined;
  prec: number | undefined;
}

function runeLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function pad(s: string, spec: Spec, numeric = false): string {
  if (spec.width === undefined) return s;
  const len = runeLength(s);
  if (len >= spec.width) return s;
  const fill = spec.width - len;
  if (spec.minus) return s + ' '.repeat(fill);
  if (spec.zero && numeric) {
    const m = /^[+\- ]/.exec(s);
    const signPart = m ? m[0] : '';
    return signPart + '0'.repeat(fill) + s.slice(signPart.length);
  }
  return ' '.repeat(fill) + s;
}

function badVerb(verb: string, arg: unknown): string {
  if (arg === null || arg === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${goTypeName(arg)}=${formatValue(arg)})`;
}

function formatInt(n: number | bigint, verb: string, spec: Spec): string {
  const big = BigInt(n);
  const neg = big < 0n;
  const abs = neg ? -big : big;
  let digits: string;
  switch (verb) {
    case 'b':
      digits = abs.toString(2);
      break;
    case 'o':
      digits = abs.toString(8);
      if (spec.sharp && digits[0] !== '0') digits = '0' + digits;
      break;
    case 'O':
      digits = '0o' + abs.toString(8);
      break;
    case 'x':
      digits = abs.toString(16);
      if (spec.sharp) digits = '0x' + digits;
      break;
    case 'X':
      digits = abs.toString(16).toUpperCase();
      if (spec.sharp) digits = '0X' + digits;
      break;
    default:
      digits = abs.toString(10);
  }
  if (spec.prec !== undefined) {
    if (spec.prec === 0 && abs === 0n) digits = '';
    else if (digits.length < spec.prec) digits = '0'.repeat(spec.prec - digits.length) + digits;
  }
  const sign = neg ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
  return pad(sign + digits, spec, spec.prec === undefined);
}

function formatFloatVerb(x: number, verb: string, spec: Spec): string {
  let s: string;
  const prec = spec.prec ?? (verb === 'g' || verb === 'G' || verb === 'v' ? -1 : 6);
  switch (verb) {
    case 'e':
    case 'E':
      s = formatFloat(x, verb, prec);
      break;
    case 'f':
    case 'F':
      s = formatFloat(x, 'f', prec);
      break;
    case 'G':
      s = formatFloat(x, 'G', prec);
      break;
    default:
      s = formatFloat(x, 'g', prec);
  }
  if (spec.plus && !s.startsWith('-') && !s.startsWith('+')) s = '+' + s;
  else if (spec.space && !s.startsWith('-') && !s.startsWith('+')) s = ' ' + s;
  if (s === '+Inf' && !spec.plus) s = 'Inf';
  return pad(s, spec, Number.isFinite(x));
}

function truncRunes(s: string, prec: number | undefined): string {
  if (prec === undefined) return s;
  return [...s].slice(0, prec).join('');
}

function hexString(bytes: Uint8Array, spec: Spec, upper: boolean): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    if (spec.space && i > 0) out += ' ';
    if (spec.sharp && (spec.space || i === 0)) out += upper ? '0X' : '0x';
    const h = bytes[i]!.toString(16).padStart(2, '0');
    out += upper ? h.toUpperCase() : h;
  }
  return out;
}

function formatOne(verb: string, arg: unknown, spec: Spec): string {
  if (verb === 'T') return pad(goTypeName(arg), spec);
  if (verb === 'v') {
    if (typeof arg === 'number' && !Number.isInteger(arg)) return formatFloatVerb(arg, 'g', spec);
    if (isInt(arg)) return formatInt(arg, 'd', spec);
    if (spec.sharp && typeof arg === 'string') return pad(quote(arg), spec);
    return pad(formatValue(arg), spec);
  }
  if (arg === null || arg === undefined) return badVerb(verb, arg);
  if (typeof arg === 'boolean') {
    return verb === 't' ? pad(arg ? 'true' : 'false', spec) : badVerb(verb, arg);
  }
  if (isInt(arg)) {
    switch (verb) {
      case 'd':
      case 'b':
      case 'o':
      case 'O':
      case 'x':
      case 'X':
        return formatInt(arg, verb, spec);
      case 'c':
        return pad(String.fromCodePoint(Number(arg)), spec);
      case 'q':
        return pad(quoteRuneLiteral(Number(arg)), spec);
      case 'U': {
        const h = Number(arg).toString(16).toUpperCase().padStart(4, '0');
        return pad(`U+${h}`, spec);
      }
      case 'e':
      case 'E':
      case 'f':
      case 'F':
      case 'g':
      case 'G':
        return formatFloatVerb(Number(arg), verb, spec);
      default:
        return badVerb(verb, arg);
    }
  }
  if (typeof arg === 'number') {
    if ('eEfFgG'.includes(verb)) return formatFloatVerb(arg, verb, spec);
    return badVerb(verb, arg);
  }
  if (typeof arg === 'string' || arg instanceof Uint8Array || hasMethod(arg, 'String') || hasMethod(arg, 'Error')) {
    const s = typeof arg === 'string' || arg instanceof Uint8Array ? arg : formatValue(arg);
    const str = typeof s === 'string' ? s : Buffer.from(s).toString('utf8');
    switch (verb) {
      case 's':
        return pad(truncRunes(str, spec.prec), spec);
      case 'q':
        return pad(spec.sharp && !str.includes('`') ? '`' + str + '`' : quote(truncRunes(str, spec.prec)), spec);
      case 'x':
      case 'X': {
        const bytes = typeof s === 'string' ? Buffer.from(truncRunes(s, spec.prec), 'utf8') : s;
        return pad(hexString(bytes, spec, verb === 'X'), spec);
      }
      default:
        if (arg instanceof Uint8Array && verb === 'd') return pad(`[${[...arg].join(' ')}]`, spec);
        return badVerb(verb, arg);
    }
  }
  if (Array.isArray(arg) && verb !== 'q') {
    return `[${arg.map((e) => formatOne(verb, e, spec)).join(' ')}]`;
  }
  if (verb === 's' || verb === 'q') {
    // Go applies the verb element-wise inside maps and structs; %s of a map of strings looks like %v.
    return pad(formatValue(arg), spec);
  }
  return badVerb(verb, arg);
}

/** `fmt.Sprintf`, including Go's `%!verb(type=value)`, `%!v(MISSING)` and `%!(EXTRA …)` error forms. */
export function sprintf(format: string, ...args: unknown[]): string {
  let out = '';
  let argi = 0;
  let i = 0;
  const n = format.length;
  while (i < n) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false, width: undefined, prec: undefined };
    flags: for (; i < n; i++) {
      switch (format[i]) {
        case '-':
          spec.minus = true;
          spec.zero = false;
          break;
        case '+':
          spec.plus = true;
          break;
        case '#':
          spec.sharp = true;
          break;
        case ' ':
          spec.space = true;
          break;
        case '0':
          spec.zero = !spec.minus;
          break;
        default:
          break flags;
      }
    }
    if (format[i] === '*') {
      i++;
      const w = args[argi++];
      if (isInt(w)) {
        spec.width = Number(w);
        if (spec.width < 0) {
          spec.minus = true;
          spec.width = -spec.width;
        }
      } else {
        out += '%!(BADWIDTH)';
      }
    } else {
      const m = /^\d+/.exec(format.slice(i));
      if (m) {
        spec.width = Number(m[0]);
        i += m[0].length;
      }
    }
    if (format[i] === '.') {
      i++;
      if (format[i] === '*') {
        i++;
        const p = args[argi++];
        if (isInt(p) && Number(p) >= 0) spec.prec = Number(p);
        else out += '%!(BADPREC)';
      } else {
        const m = /^\d+/.exec(format.slice(i));
        spec.prec = m ? Number(m[0]) : 0;
        if (m) i += m[0].length;
      }
    }
    if (i >= n) {
      out += '%!(NOVERB)';
      break;
    }
    const cp = format.codePointAt(i)!;
    const verb = String.fromCodePoint(cp);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatOne(verb, args[argi++], spec);
  }
  if (argi < args.length) {
    out += '%!(EXTRA ' + args.slice(argi).map((a) => `${goTypeName(a)}=${formatValue(a)}`).join(', ') + ')';
  }
  return out;
}
