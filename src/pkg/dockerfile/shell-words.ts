/**
 * Docker's word processing for Dockerfile arguments (moby's `shell.Lex`): quotes, the escape character and
 * variable substitution, as the builder applies them to ADD, COPY, ENV, EXPOSE, FROM, LABEL, STOPSIGNAL,
 * USER, VOLUME, WORKDIR and ARG. RUN, CMD and ENTRYPOINT are left to the shell in the container.
 *
 * - `'...'` is literal; `"..."` expands variables and honours the escape character before `"`, `$` and the
 *   escape character itself; outside quotes the escape character makes the next character literal.
 * - `$name`, `${name}`, `${name:-word}`, `${name-word}`, `${name:+word}`, `${name+word}`, `${name:?msg}`,
 *   `${name?msg}`. An unset variable expands to nothing.
 */
export type Lookup = (name: string) => string | undefined;

export class ShellWordError extends Error {}

interface Options {
  escape: string;
  /** Split into words at unquoted whitespace (for COPY's sources, EXPOSE's ports...). */
  split: boolean;
}

/** Expands one word; quotes are removed, whitespace kept. */
export function expandWord(word: string, lookup: Lookup, escape = '\\'): string {
  return new Lexer(word, lookup, { escape, split: false }).words().join('');
}

/** Expands and splits into words at unquoted whitespace (empty words from expansion are dropped). */
export function expandWords(text: string, lookup: Lookup, escape = '\\'): string[] {
  return new Lexer(text, lookup, { escape, split: true }).words();
}

/** Names of the variables a text refers to (for cache keys: which build args a step uses). */
export function referencedVariables(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))/g)) out.add((m[1] ?? m[2]) as string);
  return out;
}

class Lexer {
  readonly #src: string;
  readonly #lookup: Lookup;
  readonly #opts: Options;
  #pos = 0;

  constructor(src: string, lookup: Lookup, opts: Options) {
    this.#src = src;
    this.#lookup = lookup;
    this.#opts = opts;
  }

  words(): string[] {
    const out: string[] = [];
    let cur = '';
    let inWord = false;
    const esc = this.#opts.escape;
    while (this.#pos < this.#src.length) {
      const ch = this.#src[this.#pos] as string;
      if (this.#opts.split && /\s/.test(ch)) {
        if (inWord) out.push(cur);
        cur = '';
        inWord = false;
        this.#pos++;
        continue;
      }
      if (ch === "'") {
        cur += this.#single();
        inWord = true;
      } else if (ch === '"') {
        cur += this.#double();
        inWord = true;
      } else if (ch === esc) {
        this.#pos++;
        if (this.#pos < this.#src.length) cur += this.#src[this.#pos++];
        else cur += esc;
        inWord = true;
      } else if (ch === '$') {
        const value = this.#dollar();
        cur += value;
        inWord ||= value !== '';
      } else {
        cur += ch;
        this.#pos++;
        inWord = true;
      }
    }
    if (inWord || (!this.#opts.split && out.length === 0)) out.push(cur);
    return out;
  }

  #single(): string {
    const end = this.#src.indexOf("'", this.#pos + 1);
    if (end < 0) throw new ShellWordError('unexpected end of statement while looking for matching single-quote');
    const s = this.#src.slice(this.#pos + 1, end);
    this.#pos = end + 1;
    return s;
  }

  #double(): string {
    const esc = this.#opts.escape;
    this.#pos++;
    let out = '';
    while (this.#pos < this.#src.length) {
      const ch = this.#src[this.#pos] as string;
      if (ch === '"') {
        this.#pos++;
        return out;
      }
      if (ch === '$') {
        out += this.#dollar();
      } else if (ch === esc) {
        const next = this.#src[this.#pos + 1];
        if (next === '"' || next === '$' || next === esc) {
          out += next;
          this.#pos += 2;
        } else {
          out += ch;
          this.#pos++;
        }
      } else {
        out += ch;
        this.#pos++;
      }
    }
    throw new ShellWordError('unexpected end of statement while looking for matching double-quote');
  }

  #dollar(): string {
    this.#pos++; // '$'
    const ch = this.#src[this.#pos];
    if (ch === '{') {
      this.#pos++;
      const name = this.#name();
      if (name === '') throw new ShellWordError(`missing ':' in substitution`);
      const next = this.#src[this.#pos];
      if (next === '}') {
        this.#pos++;
        return this.#lookup(name) ?? '';
      }
      let op = '';
      if (next === ':') {
        op = ':';
        this.#pos++;
      }
      const kind = this.#src[this.#pos];
      if (kind !== '-' && kind !== '+' && kind !== '?') {
        throw new ShellWordError(`unsupported modifier (${op}${kind ?? ''}) in substitution`);
      }
      this.#pos++;
      const word = this.#untilBrace();
      const value = this.#lookup(name);
      const set = op === ':' ? value !== undefined && value !== '' : value !== undefined;
      switch (kind) {
        case '-':
          return set ? (value as string) : word;
        case '+':
          return set ? word : '';
        default:
          if (!set) throw new ShellWordError(`${name}: ${word || 'is not allowed to be unset'}`);
          return value as string;
      }
    }
    const name = this.#name();
    if (name === '') return '$';
    return this.#lookup(name) ?? '';
  }

  #name(): string {
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.#src.slice(this.#pos));
    if (!m) {
      // Special parameters ($1, $@...) are not variables in a Dockerfile: they expand to nothing.
      const d = /^[0-9@*#?$!-]/.exec(this.#src.slice(this.#pos));
      if (d) {
        this.#pos++;
        return `\0${d[0]}`;
      }
      return '';
    }
    this.#pos += m[0].length;
    return m[0];
  }

  /** The word of `${name:-word}`: itself expanded, up to the matching brace. */
  #untilBrace(): string {
    let out = '';
    const esc = this.#opts.escape;
    while (this.#pos < this.#src.length) {
      const ch = this.#src[this.#pos] as string;
      if (ch === '}') {
        this.#pos++;
        return out;
      }
      if (ch === '$') out += this.#dollar();
      else if (ch === "'") out += this.#single();
      else if (ch === '"') out += this.#double();
      else if (ch === esc && this.#pos + 1 < this.#src.length) {
        out += this.#src[this.#pos + 1];
        this.#pos += 2;
      } else {
        out += ch;
        this.#pos++;
      }
    }
    throw new ShellWordError('syntax error: missing }');
  }
}
