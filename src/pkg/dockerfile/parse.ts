/**
 * A Dockerfile parser (the syntax layer of moby/buildkit's `frontend/dockerfile/parser`): parser directives,
 * comments, line continuations with the escape character, heredocs, and each instruction's flags and
 * arguments in JSON (exec) or shell form. Variable expansion and instruction semantics are the builder's.
 */

export interface Heredoc {
  name: string;
  content: string;
  /** False when the delimiter was quoted (`<<"EOF"`): no variable expansion in the content. */
  expand: boolean;
}

export interface Instruction {
  /** Lower-case keyword: `from`, `run`... */
  cmd: string;
  /** The instruction as written, continuations joined (for error messages and history). */
  original: string;
  /** 1-based line of the keyword, and of the instruction's last line. */
  line: number;
  endLine: number;
  /** `--name=value` flags before the arguments, raw (`--from=build`). */
  flags: string[];
  /** The arguments after the flags, as one string (shell form or the raw JSON text). */
  rest: string;
  /** Set when the arguments were a JSON array of strings (exec form). */
  json: string[] | undefined;
  heredocs: Heredoc[];
}

export interface Dockerfile {
  escape: string;
  /** The `# syntax=` directive, if any (berth ignores it: there is one frontend). */
  syntax: string | undefined;
  instructions: Instruction[];
}

export class DockerfileParseError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(`dockerfile parse error on line ${line}: ${message}`);
    this.line = line;
  }
}

export const KNOWN_INSTRUCTIONS = new Set([
  'add', 'arg', 'cmd', 'copy', 'entrypoint', 'env', 'expose', 'from', 'healthcheck', 'label', 'maintainer',
  'onbuild', 'run', 'shell', 'stopsignal', 'user', 'volume', 'workdir',
]);

/** Instructions whose leading `--flags` are flags (others take `--` literally, e.g. `CMD --help`). */
const TAKES_FLAGS = new Set(['add', 'copy', 'from', 'run', 'healthcheck']);
const TAKES_HEREDOCS = new Set(['run', 'copy', 'add']);
const HEREDOC = /<<(-?)\s*(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;

export function parseDockerfile(text: string): Dockerfile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let escape = '\\';
  let syntax: string | undefined;
  let i = 0;
  // Parser directives: `# key=value` lines at the very top, before any other line.
  const seen = new Set<string>();
  for (; i < lines.length; i++) {
    const m = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/.exec(lines[i] as string);
    if (!m) break;
    const key = (m[1] as string).toLowerCase();
    const value = m[2] as string;
    if (seen.has(key)) throw new DockerfileParseError(i + 1, `only one ${key} parser directive can be used`);
    seen.add(key);
    if (key === 'escape') {
      if (value !== '\\' && value !== '`') throw new DockerfileParseError(i + 1, `invalid escape token '${value}' does not match ` + '` or \\');
      escape = value;
    } else if (key === 'syntax') {
      syntax = value;
    }
  }

  const instructions: Instruction[] = [];
  const isComment = (l: string): boolean => /^\s*#/.test(l);
  while (i < lines.length) {
    const first = lines[i] as string;
    if (first.trim() === '' || isComment(first)) {
      i++;
      continue;
    }
    const start = i + 1;
    let logical = '';
    let line = first;
    // Join continuation lines; comment lines inside an instruction are dropped, empty ones allowed.
    for (;;) {
      const trimmed = line.replace(/[ \t]+$/, '');
      i++;
      if (!trimmed.endsWith(escape)) {
        logical += trimmed;
        break;
      }
      logical += trimmed.slice(0, -1);
      while (i < lines.length && (isComment(lines[i] as string) || (lines[i] as string).trim() === '')) i++;
      if (i >= lines.length) break;
      line = lines[i] as string;
    }
    const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(logical);
    if (!m) continue;
    const cmd = (m[1] as string).toLowerCase();
    if (!KNOWN_INSTRUCTIONS.has(cmd)) throw new DockerfileParseError(start, `unknown instruction: ${m[1] as string}`);
    let rest = (m[2] as string).trim();
    const flags: string[] = [];
    if (TAKES_FLAGS.has(cmd)) {
      for (;;) {
        const f = /^(--[A-Za-z][A-Za-z0-9-]*(?:=(?:"[^"]*"|\S)*)?)(\s+|$)/.exec(rest);
        if (!f) break;
        flags.push(f[1] as string);
        rest = rest.slice(f[0].length);
      }
    }
    const heredocs: Heredoc[] = [];
    if (TAKES_HEREDOCS.has(cmd) && rest.includes('<<')) {
      for (const h of rest.matchAll(HEREDOC)) {
        const name = h[3] as string;
        const chomp = h[1] === '-';
        const body: string[] = [];
        let closed = false;
        while (i < lines.length) {
          const l = lines[i++] as string;
          const cmp = chomp ? l.replace(/^\t+/, '') : l;
          if (cmp === name) {
            closed = true;
            break;
          }
          body.push(chomp ? l.replace(/^\t+/, '') : l);
        }
        if (!closed) throw new DockerfileParseError(start, `unterminated heredoc ${name}`);
        heredocs.push({ name, content: body.length > 0 ? `${body.join('\n')}\n` : '', expand: h[2] === '' });
      }
    }
    let json: string[] | undefined;
    if (rest.startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(rest);
        if (Array.isArray(parsed) && parsed.every((s) => typeof s === 'string')) json = parsed;
      } catch {
        // Not JSON: shell form, as Docker does.
      }
    }
    instructions.push({ cmd, original: logical.trim(), line: start, endLine: i, flags, rest, json, heredocs });
  }
  return { escape, syntax, instructions };
}

/**
 * Splits `key=value` pairs (ENV, LABEL, ARG) as Docker does: words separated by unquoted whitespace, each
 * split at its first `=`. The legacy `ENV key value` form (no `=` in the first word) is one pair whose value
 * is the rest of the line. Values are still raw: the caller expands them.
 */
export function splitKeyValues(rest: string, escape: string, opts: { allowBareKeys?: boolean } = {}): Array<[string, string | undefined]> {
  const words = rawWords(rest, escape);
  if (words.length === 0) return [];
  const firstWord = words[0] as string;
  if (!firstWord.includes('=') && !opts.allowBareKeys) {
    const value = rest.slice(rest.indexOf(firstWord) + firstWord.length).trim();
    return [[firstWord, value]];
  }
  return words.map((w): [string, string | undefined] => {
    const eq = w.indexOf('=');
    if (eq < 0) {
      if (!opts.allowBareKeys) throw new Error(`Syntax error - can't find = in "${w}". Must be of the form: name=value`);
      return [w, undefined];
    }
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

/** Splits at unquoted, unescaped whitespace, keeping quotes and escapes in the words. */
export function rawWords(text: string, escape: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === escape && quote !== "'" && i + 1 < text.length) {
      cur += ch + (text[i + 1] as string);
      i++;
      inWord = true;
      continue;
    }
    if (quote) {
      if (ch === quote) quote = undefined;
      cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      cur += ch;
      inWord = true;
      continue;
    }
    if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    cur += ch;
    inWord = true;
  }
  if (inWord) out.push(cur);
  return out;
}

/** `--name=value` flags into a map; `--name` alone is "true". Unknown names get BuildKit's words. */
export function parseFlags(ins: Instruction, allowed: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of ins.flags) {
    const eq = f.indexOf('=');
    const name = f.slice(2, eq < 0 ? undefined : eq);
    let value = eq < 0 ? 'true' : f.slice(eq + 1);
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (!allowed.includes(name)) throw new DockerfileParseError(ins.line, `unknown flag: --${name}`);
    out.set(name, [...(out.get(name) ?? []), value]);
  }
  return out;
}
