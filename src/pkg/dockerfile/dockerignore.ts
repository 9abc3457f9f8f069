import { posix } from 'node:path';

/**
 * `.dockerignore` with Docker's semantics (moby/patternmatcher and its ignorefile reader): one pattern a
 * line, `#` comments, blank lines skipped, patterns cleaned like Go's filepath.Clean with a leading `/`
 * dropped; `*` and `?` never cross `/`, `**` matches any number of directories (zero included), `[...]`
 * classes and `\` escapes as in Go's filepath.Match; `!` re-includes; the last matching pattern wins, and a
 * pattern matching a parent directory matches everything under it.
 */
export interface IgnorePattern {
  pattern: string;
  exclusion: boolean;
  re: RegExp;
  dirs: number;
}

export function readDockerignore(text: string): string[] {
  const out: string[] = [];
  for (let line of text.split(/\r?\n/)) {
    if (line.startsWith('#')) continue;
    line = line.trim();
    if (line === '') continue;
    let invert = false;
    if (line.startsWith('!')) {
      invert = true;
      line = line.slice(1).trim();
    }
    if (line.length > 0) {
      line = posix.normalize(line);
      if (line.length > 1 && line.startsWith('/')) line = line.slice(1);
      line = line.replace(/\/+$/, '') || line;
    }
    out.push(invert ? `!${line}` : line);
  }
  return out;
}

export class PatternMatcher {
  readonly patterns: IgnorePattern[];
  readonly #hasExclusions: boolean;

  constructor(patterns: readonly string[]) {
    this.patterns = [];
    for (const raw of patterns) {
      let p = raw.trim();
      if (p === '') continue;
      let exclusion = false;
      if (p.startsWith('!')) {
        if (p.length === 1) throw new Error('illegal exclusion pattern: "!"');
        exclusion = true;
        p = p.slice(1);
      }
      p = posix.normalize(p);
      if (p === '.') continue;
      this.patterns.push({ pattern: p, exclusion, re: compile(p), dirs: p.split('/').length });
    }
    this.#hasExclusions = this.patterns.some((p) => p.exclusion);
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  get hasExclusions(): boolean {
    return this.#hasExclusions;
  }

  /** Whether `file` (relative, `/`-separated) is ignored: it or one of its parent directories matches. */
  matches(file: string): boolean {
    if (this.patterns.length === 0) return false;
    const f = posix.normalize(file);
    const parents = f.split('/');
    parents.pop();
    let matched = false;
    for (const p of this.patterns) {
      if (p.exclusion !== matched) continue; // only a pattern that could change the answer matters
      let match = p.re.test(f);
      if (!match && parents.length > 0) {
        for (let i = 1; i <= parents.length && !match; i++) match = p.re.test(parents.slice(0, i).join('/'));
      }
      if (match) matched = !p.exclusion;
    }
    return matched;
  }

  /**
   * Whether a whole directory can be skipped: it is ignored and no exclusion pattern could re-include
   * something below it.
   */
  skipsDirectory(dir: string): boolean {
    if (!this.matches(dir)) return false;
    if (!this.#hasExclusions) return true;
    const prefix = `${dir}/`;
    return !this.patterns.some((p) => p.exclusion && (p.pattern.startsWith(prefix) || /[*?[\\]/.test(p.pattern)));
  }
}

function compile(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') i++;
        re += i + 1 >= pattern.length ? '.*' : '(.*/)?';
      } else {
        re += '[^/]*';
      }
    } else if (ch === '?') {
      re += '[^/]';
    } else if (ch === '\\') {
      i++;
      if (i < pattern.length) re += escapeRe(pattern[i] as string);
    } else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new Error(`syntax error in pattern: ${pattern}`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^') || cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\(.)/g, '\\$1')}]`;
      i = end;
    } else {
      re += escapeRe(ch);
    }
  }
  return new RegExp(`${re}$`, 's');
}

function escapeRe(ch: string): string {
  return /[.+^${}()|[\]\\*?/]/.test(ch) ? `\\${ch}` : ch;
}
