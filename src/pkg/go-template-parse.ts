/**
 * Lexer and parser for Go's `text/template` language (the subset Docker's `--format` users write): text, actions,
 * comments, trim markers `{{-`/`-}}`, pipelines, variables (`$`, `$x := …`, `$x = …`), `if`/`else if`/`with`/
 * `else with`/`range` (with `break`/`continue`), parenthesised pipelines, field chains, and literals. `define`,
 * `template` and `block` are rejected: a `--format` string is a single anonymous template.
 *
 * Error messages follow Go's (`template: :1: function "foo" not defined`) because Docker prints them verbatim.
 * Positions are offsets into the template text, as Go's are.
 */

export type Node =
  | TextNode
  | ActionNode
  | IfNode
  | RangeNode
  | WithNode
  | BreakNode
  | ContinueNode;

export interface TextNode {
  type: 'text';
  pos: number;
  text: string;
}
export interface ActionNode {
  type: 'action';
  pos: number;
  line: number;
  pipe: PipeNode;
}
export interface BranchNode {
  pos: number;
  line: number;
  pipe: PipeNode;
  list: Node[];
  elseList: Node[] | undefined;
}
export interface IfNode extends BranchNode {
  type: 'if';
}
export interface WithNode extends BranchNode {
  type: 'with';
}
export interface RangeNode extends BranchNode {
  type: 'range';
}
export interface BreakNode {
  type: 'break';
  pos: number;
  line: number;
}
export interface ContinueNode {
  type: 'continue';
  pos: number;
  line: number;
}
export interface PipeNode {
  type: 'pipe';
  pos: number;
  line: number;
  isAssign: boolean;
  decl: VariableNode[];
  cmds: CommandNode[];
}
export interface CommandNode {
  type: 'command';
  pos: number;
  args: ArgNode[];
}
export type ArgNode =
  | FieldNode
  | VariableNode
  | ChainNode
  | IdentifierNode
  | DotNode
  | NilNode
  | BoolNode
  | NumberNode
  | StringNode
  | PipeNode;

export interface FieldNode {
  type: 'field';
  pos: number;
  ident: string[];
}
export interface VariableNode {
  type: 'variable';
  pos: number;
  ident: string[]; // ident[0] is the variable name including "$"
}
export interface ChainNode {
  type: 'chain';
  pos: number;
  node: ArgNode;
  field: string[];
}
export interface IdentifierNode {
  type: 'identifier';
  pos: number;
  name: string;
}
export interface DotNode {
  type: 'dot';
  pos: number;
}
export interface NilNode {
  type: 'nil';
  pos: number;
}
export interface BoolNode {
  type: 'bool';
  pos: number;
  value: boolean;
}
export interface NumberNode {
  type: 'number';
  pos: number;
  text: string;
  value: number;
  isInt: boolean;
}
export interface StringNode {
  type: 'string';
  pos: number;
  quoted: string;
  text: string;
}

/** A template parse failure; `message` is already in Go's words. */
export class TemplateParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateParseError';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Lexer

type ItemType =
  | 'error'
  | 'bool'
  | 'char'
  | 'charConstant'
  | 'assign'
  | 'declare'
  | 'eof'
  | 'field'
  | 'identifier'
  | 'leftDelim'
  | 'leftParen'
  | 'number'
  | 'pipe'
  | 'rawString'
  | 'rightDelim'
  | 'rightParen'
  | 'space'
  | 'string'
  | 'text'
  | 'variable'
  | 'dot'
  | 'keyword';

interface Item {
  typ: ItemType;
  pos: number;
  val: string;
  line: number;
}

const KEYWORDS = new Set(['block', 'break', 'continue', 'define', 'else', 'end', 'if', 'range', 'nil', 'template', 'with']);

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

function isAlphaNumeric(c: string | undefined): boolean {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  // ASCII first: a Unicode-property regex costs milliseconds to compile, and nearly every template is ASCII.
  if (code < 0x80) return c === '_' || (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
  return /^[\p{L}\p{Nd}]$/u.test(c);
}

function itemString(i: Item): string {
  switch (i.typ) {
    case 'eof':
      return 'EOF';
    case 'error':
      return i.val;
    case 'keyword':
      return `<${i.val}>`;
    default:
      return i.val.length > 10 ? `${goQuote(i.val.slice(0, 10))}...` : goQuote(i.val);
  }
}

function goQuote(s: string): string {
  return JSON.stringify(s);
}

function unicodeName(c: string): string {
  const cp = c.codePointAt(0)!;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${c}'`;
}

function lex(input: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let start = 0;
  let line = 1;
  let startLine = 1;
  let parenDepth = 0;
  let insideAction = false;

  const emit = (typ: ItemType, val = input.slice(start, pos)): void => {
    items.push({ typ, pos: start, val, line: startLine });
    start = pos;
    startLine = line;
  };
  const advance = (n: number): void => {
    for (let i = 0; i < n; i++) if (input[pos + i] === '\n') line++;
    pos += n;
  };
  const ignore = (): void => {
    start = pos;
    startLine = line;
  };
  const fail = (msg: string): Item[] => {
    items.push({ typ: 'error', pos: start, val: msg, line: startLine });
    return items;
  };
  const atTerminator = (): boolean => {
    const r = input[pos];
    if (r === undefined || isSpace(r)) return true;
    switch (r) {
      case '.':
      case ',':
      case '|':
      case ':':
      case ')':
      case '(':
        return true;
      default:
        return r === '}';
    }
  };

  for (;;) {
    if (!insideAction) {
      const x = input.indexOf('{{', pos);
      if (x < 0) {
        advance(input.length - pos);
        if (pos > start) emit('text');
        emit('eof', '');
        return items;
      }
      // Text before the delimiter; a left trim marker ("{{- ") trims its trailing white space.
      let trimLen = 0;
      if (input[x + 2] === '-' && isSpace(input[x + 3])) {
        const text = input.slice(start, x);
        trimLen = text.length - text.replace(/[ \t\r\n]+$/, '').length;
      }
      advance(x - pos);
      if (x - trimLen > start) {
        items.push({ typ: 'text', pos: start, val: input.slice(start, x - trimLen), line: startLine });
      }
      start = pos;
      startLine = line;
      // Left delimiter.
      const trimmed = input[x + 2] === '-' && isSpace(input[x + 3]);
      advance(2);
      let afterMarker = 0;
      if (trimmed) afterMarker = 2; // "- "
      if (input.startsWith('/*', pos + afterMarker)) {
        // Comment.
        advance(afterMarker + 2);
        const end = input.indexOf('*/', pos);
        if (end < 0) return fail('unclosed comment');
        advance(end + 2 - pos);
        let rightTrim = false;
        if (input[pos] !== undefined && isSpace(input[pos]) && input.startsWith('-}}', pos + 1)) {
          rightTrim = true;
          advance(1);
          advance(1);
        }
        if (!input.startsWith('}}', pos)) return fail('comment ends before closing delimiter');
        advance(2);
        if (rightTrim) {
          while (isSpace(input[pos])) advance(1);
        }
        ignore();
        continue;
      }
      emit('leftDelim', '{{');
      if (trimmed) {
        advance(afterMarker);
        ignore();
      }
      insideAction = true;
      parenDepth = 0;
      continue;
    }

    // Inside an action. A right trim marker (" -}}") drops the white space that follows the action.
    const rightTrim = isSpace(input[pos]) && input.startsWith('-}}', pos + 1);
    if (rightTrim || input.startsWith('}}', pos)) {
      if (parenDepth !== 0) return fail('unclosed left paren');
      if (rightTrim) {
        advance(2);
        ignore();
      }
      advance(2);
      emit('rightDelim', '}}');
      if (rightTrim) {
        while (isSpace(input[pos])) advance(1);
        ignore();
      }
      insideAction = false;
      continue;
    }
    const r = input[pos];
    if (r === undefined) return fail('unclosed action');
    if (isSpace(r)) {
      // A run of spaces (newlines are allowed inside actions); stop before the space of a " -}}".
      while (isSpace(input[pos]) && !input.startsWith('-}}', pos + 1)) advance(1);
      emit('space');
      continue;
    }
    if (r === '=') {
      advance(1);
      emit('assign');
      continue;
    }
    if (r === ':') {
      advance(1);
      if (input[pos] !== '=') return fail('expected :=');
      advance(1);
      emit('declare');
      continue;
    }
    if (r === '|') {
      advance(1);
      emit('pipe');
      continue;
    }
    if (r === '"' || r === "'") {
      // Quoted string and character constant share Go's scanning: backslash escapes, no raw newline.
      advance(1);
      const what = r === '"' ? 'unterminated quoted string' : 'unterminated character constant';
      for (;;) {
        const c = input[pos];
        if (c === '\\') {
          advance(1);
          const n = input[pos];
          if (n === undefined || n === '\n') return fail(what);
          advance(1);
          continue;
        }
        if (c === undefined || c === '\n') return fail(what);
        advance(1);
        if (c === r) break;
      }
      emit(r === '"' ? 'string' : 'charConstant');
      continue;
    }
    if (r === '`') {
      advance(1);
      const end = input.indexOf('`', pos);
      if (end < 0) return fail('unterminated raw quoted string');
      advance(end + 1 - pos);
      emit('rawString');
      continue;
    }
    if (r === '$' || (r === '.' && !/[0-9]/.test(input[pos + 1] ?? ''))) {
      advance(1);
      if (atTerminator()) {
        emit(r === '$' ? 'variable' : 'dot');
        continue;
      }
      while (isAlphaNumeric(input[pos])) advance(1);
      if (!atTerminator()) return fail(`bad character ${unicodeName(input[pos]!)}`);
      emit(r === '$' ? 'variable' : 'field');
      continue;
    }
    if (r === '.' || r === '+' || r === '-' || (r >= '0' && r <= '9')) {
      const m = /^[+-]?(0[xX][0-9a-fA-F_]*(\.[0-9a-fA-F_]*)?([pP][+-]?[0-9_]+)?|0[oObB][0-9_]*|[0-9_]*(\.[0-9_]*)?([eE][+-]?[0-9_]+)?)i?/.exec(
        input.slice(pos),
      )!;
      advance(m[0].length);
      if (isAlphaNumeric(input[pos])) {
        advance(1);
        return fail(`bad number syntax: ${goQuote(input.slice(start, pos))}`);
      }
      emit('number');
      continue;
    }
    if (isAlphaNumeric(r)) {
      while (isAlphaNumeric(input[pos])) advance(1);
      if (!atTerminator()) return fail(`bad character ${unicodeName(input[pos]!)}`);
      const word = input.slice(start, pos);
      if (KEYWORDS.has(word)) emit('keyword');
      else if (word === 'true' || word === 'false') emit('bool');
      else emit('identifier');
      continue;
    }
    if (r === '(') {
      advance(1);
      emit('leftParen');
      parenDepth++;
      continue;
    }
    if (r === ')') {
      advance(1);
      emit('rightParen');
      parenDepth--;
      if (parenDepth < 0) return fail(`unexpected right paren`);
      continue;
    }
    const cp = r.codePointAt(0)!;
    if (cp < 0x7f && cp >= 0x20) {
      advance(1);
      emit('char');
      continue;
    }
    return fail(`unrecognized character in action: ${unicodeName(r)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Parser

export interface ParseOptions {
  /** Template name used in messages; Docker's templates are anonymous (""). */
  name?: string;
  /** Names of the functions available at execution time; unknown identifiers are a parse error, as in Go. */
  hasFunction: (name: string) => boolean;
}

class Parser {
  readonly #items: Item[];
  #i = 0;
  readonly #name: string;
  readonly #hasFunction: (name: string) => boolean;
  #vars: string[] = ['$'];
  #rangeDepth = 0;
  #actionLine = 0;

  constructor(text: string, opts: ParseOptions) {
    this.#items = lex(text);
    this.#name = opts.name ?? '';
    this.#hasFunction = opts.hasFunction;
  }

  #next(): Item {
    return this.#items[Math.min(this.#i++, this.#items.length - 1)]!;
  }
  #backup(): void {
    this.#i--;
  }
  #peek(): Item {
    return this.#items[Math.min(this.#i, this.#items.length - 1)]!;
  }
  #nextNonSpace(): Item {
    let t = this.#next();
    while (t.typ === 'space') t = this.#next();
    return t;
  }
  #peekNonSpace(): Item {
    const t = this.#nextNonSpace();
    this.#backup();
    return t;
  }

  #errorf(line: number, msg: string): never {
    throw new TemplateParseError(`template: ${this.#name}:${line}: ${msg}`);
  }

  #unexpected(t: Item, context: string): never {
    if (t.typ === 'error') {
      const extra = this.#actionLine !== 0 && this.#actionLine !== t.line ? ` in action started at ${this.#name}:${this.#actionLine}` : '';
      this.#errorf(t.line, `${itemString(t)}${extra}`);
    }
    this.#errorf(t.line, `unexpected ${itemString(t)} in ${context}`);
  }

  #expect(typ: ItemType, context: string): Item {
    const t = this.#nextNonSpace();
    if (t.typ !== typ) this.#unexpected(t, context);
    return t;
  }

  parse(): Node[] {
    const list: Node[] = [];
    while (this.#peek().typ !== 'eof') {
      const n = this.#textOrAction();
      if (n.kind === 'end' || n.kind === 'else') this.#errorf(n.line, `unexpected ${n.kind === 'end' ? '{{end}}' : '{{else}}'}`);
      list.push(n.node!);
    }
    return list;
  }

  #itemList(): { list: Node[]; end: Control } {
    const list: Node[] = [];
    while (this.#peekNonSpace().typ !== 'eof') {
      const n = this.#textOrAction();
      if (n.kind === 'end' || n.kind === 'else') return { list, end: n };
      list.push(n.node!);
    }
    this.#errorf(this.#peek().line, 'unexpected EOF');
  }

  #textOrAction(): Control {
    const t = this.#nextNonSpace();
    switch (t.typ) {
      case 'text':
        return { kind: 'node', node: { type: 'text', pos: t.pos, text: t.val }, line: t.line, pos: t.pos };
      case 'leftDelim': {
        this.#actionLine = t.line;
        try {
          return this.#action();
        } finally {
          this.#actionLine = 0;
        }
      }
      case 'error':
        return this.#unexpected(t, 'input');
      default:
        return this.#unexpected(t, 'input');
    }
  }

  #action(): Control {
    const t = this.#nextNonSpace();
    if (t.typ === 'keyword') {
      switch (t.val) {
        case 'block':
        case 'define':
        case 'template':
          this.#errorf(t.line, `{{${t.val}}} is not supported in format templates`);
          break;
        case 'break':
        case 'continue': {
          if (this.#rangeDepth === 0) this.#errorf(t.line, `{{${t.val}}} outside {{range}}`);
          const r = this.#nextNonSpace();
          if (r.typ !== 'rightDelim') this.#unexpected(r, `{{${t.val}}}`);
          return { kind: 'node', node: { type: t.val, pos: t.pos, line: t.line }, line: t.line, pos: t.pos };
        }
        case 'else':
          return this.#elseControl(t);
        case 'end': {
          this.#expect('rightDelim', 'end');
          return { kind: 'end', line: t.line, pos: t.pos };
        }
        case 'if':
          return this.#branch('if', t);
        case 'range':
          return this.#branch('range', t);
        case 'with':
          return this.#branch('with', t);
        default:
          break;
      }
    }
    this.#backup();
    const pipe = this.#pipeline('command', 'rightDelim');
    return { kind: 'node', node: { type: 'action', pos: t.pos, line: t.line, pipe }, line: t.line, pos: t.pos };
  }

  #elseControl(t: Item): Control {
    const p = this.#peekNonSpace();
    if (p.typ === 'keyword' && (p.val === 'if' || p.val === 'with')) {
      // "{{else if …}}" is "{{else}}{{if …}}…{{end}}{{end}}": leave the keyword for the next action.
      return { kind: 'else', line: t.line, pos: t.pos, chained: p.val };
    }
    this.#expect('rightDelim', 'else');
    return { kind: 'else', line: t.line, pos: t.pos };
  }

  #branch(kind: 'if' | 'range' | 'with', t: Item): Control {
    const varsLen = this.#vars.length;
    const pipe = this.#pipeline(kind, 'rightDelim');
    if (kind === 'range') this.#rangeDepth++;
    let body: { list: Node[]; end: Control };
    try {
      body = this.#itemList();
    } finally {
      if (kind === 'range') this.#rangeDepth--;
    }
    let elseList: Node[] | undefined;
    if (body.end.kind === 'else') {
      if (body.end.chained !== undefined && (kind === 'if' || kind === 'with') && body.end.chained === kind) {
        // Parse "{{else if}}" as a nested branch that consumes the final {{end}}.
        const kw = this.#nextNonSpace();
        const nested = this.#branch(kind, kw);
        elseList = [nested.node!];
      } else if (body.end.chained !== undefined) {
        const kw = this.#nextNonSpace();
        this.#unexpected(kw, 'else');
      } else {
        const rest = this.#itemList();
        if (rest.end.kind !== 'end') this.#errorf(rest.end.line, 'expected end; found {{else}}');
        elseList = rest.list;
      }
    }
    this.#vars.length = varsLen;
    const node: BranchNode = { pos: t.pos, line: t.line, pipe, list: body.list, elseList };
    return { kind: 'node', node: { type: kind, ...node }, line: t.line, pos: t.pos };
  }

  #pipeline(context: string, end: ItemType): PipeNode {
    const tok = this.#peekNonSpace();
    const pipe: PipeNode = { type: 'pipe', pos: tok.pos, line: tok.line, isAssign: false, decl: [], cmds: [] };
    // Optional declarations: "$x :=", "$x =", "$i, $e :=" (range only).
    decls: if (tok.typ === 'variable') {
      const save = this.#i;
      this.#nextNonSpace();
      const after = this.#peekNonSpace();
      if (after.typ === 'declare' || after.typ === 'assign') {
        this.#nextNonSpace();
        pipe.isAssign = after.typ === 'assign';
        pipe.decl.push({ type: 'variable', pos: tok.pos, ident: [tok.val] });
        if (after.typ === 'declare') this.#vars.push(tok.val);
        else if (!this.#vars.includes(tok.val)) this.#errorf(tok.line, `undefined variable "${tok.val}"`);
        break decls;
      }
      if (after.typ === 'char' && after.val === ',') {
        this.#nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: tok.pos, ident: [tok.val] });
        this.#vars.push(tok.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const v2 = this.#nextNonSpace();
          if (v2.typ !== 'variable') this.#errorf(v2.line, 'range can only initialize variables');
          const op = this.#nextNonSpace();
          if (op.typ !== 'declare' && op.typ !== 'assign') this.#unexpected(op, 'range');
          pipe.isAssign = op.typ === 'assign';
          pipe.decl.push({ type: 'variable', pos: v2.pos, ident: [v2.val] });
          this.#vars.push(v2.val);
          break decls;
        }
        this.#errorf(after.line, `too many declarations in ${context}`);
      }
      this.#i = save;
    }
    for (;;) {
      const t = this.#nextNonSpace();
      if (t.typ === end) {
        this.#checkPipeline(pipe, context, t);
        return pipe;
      }
      switch (t.typ) {
        case 'bool':
        case 'charConstant':
        case 'dot':
        case 'field':
        case 'identifier':
        case 'number':
        case 'rawString':
        case 'string':
        case 'variable':
        case 'leftParen':
          this.#backup();
          pipe.cmds.push(this.#command());
          break;
        case 'keyword':
          if (t.val === 'nil') {
            this.#backup();
            pipe.cmds.push(this.#command());
            break;
          }
          this.#unexpected(t, context);
          break;
        default:
          this.#unexpected(t, context);
      }
    }
  }

  #checkPipeline(pipe: PipeNode, context: string, t: Item): void {
    if (pipe.cmds.length === 0) this.#errorf(t.line, `missing value for ${context}`);
    for (let i = 1; i < pipe.cmds.length; i++) {
      const first = pipe.cmds[i]!.args[0]!;
      switch (first.type) {
        case 'bool':
        case 'dot':
        case 'nil':
        case 'number':
        case 'string':
          this.#errorf(t.line, `non executable command in pipeline stage ${i + 1}`);
          break;
        default:
          break;
      }
    }
  }

  #command(): CommandNode {
    const cmd: CommandNode = { type: 'command', pos: this.#peekNonSpace().pos, args: [] };
    for (;;) {
      this.#peekNonSpace();
      const operand = this.#operand();
      if (operand) cmd.args.push(operand);
      const t = this.#next();
      switch (t.typ) {
        case 'space':
          continue;
        case 'rightDelim':
        case 'rightParen':
          this.#backup();
          break;
        case 'pipe':
          break;
        default:
          this.#unexpected(t, 'operand');
      }
      break;
    }
    if (cmd.args.length === 0) this.#errorf(this.#peek().line, 'empty command');
    return cmd;
  }

  #operand(): ArgNode | undefined {
    const node = this.#term();
    if (!node) return undefined;
    if (this.#peek().typ === 'field') {
      // Like Go, the extended node takes the position of its first trailing field (".Config.Foo" is at ".Foo").
      const chainPos = this.#peek().pos;
      const fields: string[] = [];
      while (this.#peek().typ === 'field') fields.push(this.#next().val.slice(1));
      switch (node.type) {
        case 'field':
          return { type: 'field', pos: chainPos, ident: [...node.ident, ...fields] };
        case 'variable':
          return { type: 'variable', pos: chainPos, ident: [...node.ident, ...fields] };
        case 'bool':
        case 'string':
        case 'number':
        case 'nil':
        case 'dot':
          this.#errorf(this.#peek().line, `unexpected . after term ${JSON.stringify(argString(node))}`);
          break;
        default:
          return { type: 'chain', pos: chainPos, node, field: fields };
      }
    }
    return node;
  }

  #term(): ArgNode | undefined {
    const t = this.#nextNonSpace();
    switch (t.typ) {
      case 'identifier':
        if (!this.#hasFunction(t.val)) this.#errorf(t.line, `function ${goQuote(t.val)} not defined`);
        return { type: 'identifier', pos: t.pos, name: t.val };
      case 'dot':
        return { type: 'dot', pos: t.pos };
      case 'keyword':
        if (t.val === 'nil') return { type: 'nil', pos: t.pos };
        break;
      case 'variable': {
        if (!this.#vars.includes(t.val)) this.#errorf(t.line, `undefined variable ${goQuote(t.val)}`);
        return { type: 'variable', pos: t.pos, ident: [t.val] };
      }
      case 'field':
        return { type: 'field', pos: t.pos, ident: [t.val.slice(1)] };
      case 'bool':
        return { type: 'bool', pos: t.pos, value: t.val === 'true' };
      case 'charConstant':
      case 'number':
        return this.#number(t);
      case 'leftParen': {
        const pipe = this.#pipeline('parenthesized pipeline', 'rightParen');
        return pipe;
      }
      case 'string':
      case 'rawString':
        return { type: 'string', pos: t.pos, quoted: t.val, text: this.#unquote(t) };
      default:
        break;
    }
    this.#backup();
    return undefined;
  }

  #number(t: Item): NumberNode {
    if (t.typ === 'charConstant') {
      const s = t.val.slice(1, -1);
      let cp: number;
      try {
        const un = unquoteGo(s, "'");
        if ([...un].length !== 1) throw new Error('bad');
        cp = un.codePointAt(0)!;
      } catch {
        this.#errorf(t.line, `malformed character constant: ${t.val}`);
      }
      return { type: 'number', pos: t.pos, text: t.val, value: cp, isInt: true };
    }
    const text = t.val;
    if (text.endsWith('i')) this.#errorf(t.line, `complex numbers are not supported: ${goQuote(text)}`);
    const clean = text.replace(/_/g, '');
    let value: number;
    let isInt = false;
    if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(clean)) {
      value = parseInt(clean.replace(/^([+-]?)0[xX]/, '$1'), 16);
      isInt = true;
    } else if (/^[+-]?0[oO]?[0-7]+$/.test(clean) && /^[+-]?0/.test(clean) && clean.replace(/^[+-]/, '').length > 1) {
      value = parseInt(clean.replace(/^([+-]?)0[oO]?/, '$1'), 8);
      isInt = true;
    } else if (/^[+-]?0[bB][01]+$/.test(clean)) {
      value = parseInt(clean.replace(/^([+-]?)0[bB]/, '$1'), 2);
      isInt = true;
    } else if (/^[+-]?\d+$/.test(clean)) {
      value = Number(clean);
      isInt = true;
    } else if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(clean)) {
      value = Number(clean);
      isInt = Number.isInteger(value) && !/[.eE]/.test(clean);
    } else {
      this.#errorf(t.line, `illegal number syntax: ${goQuote(text)}`);
    }
    return { type: 'number', pos: t.pos, text, value, isInt };
  }

  #unquote(t: Item): string {
    if (t.typ === 'rawString') return t.val.slice(1, -1).replace(/\r/g, '');
    try {
      return unquoteGo(t.val.slice(1, -1), '"');
    } catch {
      this.#errorf(t.line, 'invalid syntax');
    }
  }
}

interface Control {
  kind: 'node' | 'end' | 'else';
  node?: Node;
  line: number;
  pos: number;
  chained?: string;
}

/** Decodes the body of a Go interpreted string or rune literal. */
export function unquoteGo(s: string, q: '"' | "'"): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === q) throw new Error('invalid syntax');
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = s[++i];
    switch (e) {
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
        out += '\\';
        break;
      case '"':
      case "'":
        if (e !== q) throw new Error('invalid syntax');
        out += e;
        break;
      case 'x': {
        const h = s.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new Error('invalid syntax');
        out += String.fromCharCode(parseInt(h, 16));
        i += 2;
        break;
      }
      case 'u':
      case 'U': {
        const n = e === 'u' ? 4 : 8;
        const h = s.slice(i + 1, i + 1 + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) throw new Error('invalid syntax');
        out += String.fromCodePoint(parseInt(h, 16));
        i += n;
        break;
      }
      default: {
        const o = s.slice(i, i + 3);
        if (/^[0-7]{3}$/.test(o)) {
          out += String.fromCharCode(parseInt(o, 8));
          i += 2;
          break;
        }
        throw new Error('invalid syntax');
      }
    }
  }
  return out;
}

/** Parses a template into its node list. Throws {@link TemplateParseError} with Go's message on bad input. */
export function parseTemplate(text: string, opts: ParseOptions): Node[] {
  return new Parser(text, opts).parse();
}

/** Go's `Node.String()` for argument nodes, used in execution error contexts (`at <.Foo>`). */
export function argString(n: ArgNode | CommandNode): string {
  switch (n.type) {
    case 'field':
      return '.' + n.ident.join('.');
    case 'variable':
      return n.ident.join('.');
    case 'chain':
      return (n.node.type === 'pipe' ? `(${argString(n.node)})` : argString(n.node)) + '.' + n.field.join('.');
    case 'identifier':
      return n.name;
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return String(n.value);
    case 'number':
      return n.text;
    case 'string':
      return n.quoted;
    case 'command':
      return n.args.map((a) => (a.type === 'pipe' ? `(${argString(a)})` : argString(a))).join(' ');
    case 'pipe': {
      let s = '';
      if (n.decl.length > 0) s = n.decl.map((d) => d.ident.join('.')).join(', ') + (n.isAssign ? ' = ' : ' := ');
      return s + n.cmds.map((c) => argString(c)).join(' | ');
    }
  }
}
