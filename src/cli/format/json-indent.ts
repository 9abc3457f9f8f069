/**
 * Go's `json.Indent` and `json.Compact`: re-layout JSON text without decoding it, so the daemon's bytes (number
 * spellings, `\u003c` escapes, key order) reach the terminal unchanged — `docker inspect` prints this way.
 */

/** Re-indents `src` (assumed valid JSON) with `indent` per level; empty objects/arrays stay `{}`/`[]`. */
export function jsonIndent(src: string, prefix = '', indent = '    '): string {
  let out = '';
  let depth = 0;
  let needIndent = false; // an opening bracket was just written; the next token goes on a new line
  const newline = (d: number): string => '\n' + prefix + indent.repeat(d);
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (needIndent && c !== ']' && c !== '}') {
      needIndent = false;
      depth++;
      out += newline(depth);
    }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j;
      continue;
    }
    switch (c) {
      case '{':
      case '[':
        needIndent = true;
        out += c;
        break;
      case ',':
        out += c + newline(depth);
        break;
      case ':':
        out += ': ';
        break;
      case '}':
      case ']':
        if (needIndent) {
          needIndent = false; // empty composite
        } else {
          depth--;
          out += newline(depth);
        }
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

/** Removes insignificant white space. */
export function jsonCompact(src: string): string {
  let out = '';
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    out += c;
  }
  return out;
}
