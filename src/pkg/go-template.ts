/**
 * Go `text/template` for Docker-style `--format` strings.
 *
 * Lifecycle: {@link Template.parse} lexes and parses once (unknown functions and syntax errors are reported here,
 * with Go's messages); {@link Template.execute} walks the tree against a data value and returns the output, or
 * throws {@link TemplateExecError} carrying the output produced before the failure (Docker writes that partial
 * output for table headers). {@link Template.withFuncs} swaps function implementations for a later execution, as
 * Docker does when it renders a table header with its "header functions".
 *
 * Data model (see go-fmt.ts for how values print): a property that is a function is a Go method and is called with
 * the action's arguments (`{{.Label "com.x"}}`); class instances and plain objects whose keys all start with an
 * upper-case letter behave as structs (a missing field is an error); other plain objects are maps (a missing key
 * prints `<no value>`, or is an error with `missingKey: 'error'`, which also treats every plain object as a map,
 * matching Docker's raw-JSON fallback in `inspect`). An object may name its Go type for messages with
 * {@link GO_TYPE}.
 */
import { formatValue, goTypeName, isStructLike, sprint, sprintf, sprintln } from './go-fmt.js';
import { argString, parseTemplate, type ArgNode, type BranchNode, type CommandNode, type FieldNode, type Node, type PipeNode } from './go-template-parse.js';

export { TemplateParseError } from './go-template-parse.js';

/** Go's invalid `reflect.Value`: what a missing map key evaluates to; prints as `<no value>`. */
export const NO_VALUE: unique symbol = Symbol('no value');
/**
 * Optional method returning an object's JSON text, as a Go `MarshalJSON` would (used verbatim by the `json`
 * function; Docker's formatter contexts marshal with HTML escaping, which JSON.stringify cannot express).
 */
export const GO_MARSHAL_JSON: unique symbol = Symbol.for('berth.goTemplate.marshalJSON');
/** Optional property naming an object's Go type in error messages, e.g. `*formatter.ContainerContext`. */
export const GO_TYPE: unique symbol = Symbol.for('berth.goTemplate.type');

/** Parameter types functions may declare, checked as Go checks typed function arguments. */
export type ParamType = 'any' | 'string' | 'int' | 'bool' | 'strings';

/** A function with declared parameter types; a bare JS function takes any arguments untyped. */
export interface FuncSpec {
  params: ParamType[];
  variadic?: ParamType;
  fn: (...args: never[]) => unknown;
}
export type TemplateFunc = FuncSpec | ((...args: never[]) => unknown);
export type FuncMap = Record<string, TemplateFunc>;

/** A template execution failure; `message` is in Go's words, `partial` is the output written before it. */
export class TemplateExecError extends Error {
  readonly partial: string;
  constructor(message: string, partial: string) {
    super(message);
    this.name = 'TemplateExecError';
    this.partial = partial;
  }
}

export interface ExecuteOptions {
  /** Go's `missingkey` option: `default` (invalid value, prints `<no value>`), `zero`, or `error`. */
  missingKey?: 'default' | 'zero' | 'error';
  /**
   * For struct-like data decoded from JSON: the JSON key holding a Go field whose JSON name differs (Go's `ID` is
   * JSON `Id`, `APIVersion` is `ApiVersion`), consulted when a field is missing.
   */
  fieldAlias?: (goName: string) => string | undefined;
}

const MISSING: unique symbol = Symbol('missing'); // no final pipeline value (Go's missingVal)

class BreakSignal {}
class ContinueSignal {}
const BREAK = new BreakSignal();
const CONTINUE = new ContinueSignal();

function typeName(v: unknown): string {
  if (v === NO_VALUE) return '<invalid reflect.Value>';
  if (typeof v === 'object' && v !== null) {
    const named = (v as { [GO_TYPE]?: unknown })[GO_TYPE];
    if (typeof named === 'string') return named;
  }
  return goTypeName(v);
}

function paramTypeName(t: ParamType): string {
  switch (t) {
    case 'strings':
      return '[]string';
    case 'any':
      return 'interface {}';
    default:
      return t;
  }
}

function isTrue(v: unknown): boolean {
  if (v === NO_VALUE || v === null || v === undefined) return false;
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'number':
      return v !== 0;
    case 'bigint':
      return v !== 0n;
    case 'string':
      return v.length > 0;
    case 'function':
      return true;
    default:
      break;
  }
  if (Array.isArray(v) || v instanceof Uint8Array) return v.length > 0;
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    // A map is true when non-empty; a struct (upper-case keys) always is.
    return Object.keys(v).length > 0;
  }
  return true;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

interface Variable {
  name: string;
  value: unknown;
}

class State {
  readonly out: string[] = [];
  readonly vars: Variable[];
  node: ArgNode | CommandNode | PipeNode | undefined;
  depth = 0;

  constructor(
    readonly tmpl: Template,
    readonly funcs: Map<string, TemplateFunc>,
    readonly missingKey: 'default' | 'zero' | 'error',
    data: unknown,
    readonly fieldAlias: ((goName: string) => string | undefined) | undefined = undefined,
  ) {
    this.vars = [{ name: '$', value: data }];
  }

  at(node: ArgNode | CommandNode | PipeNode): void {
    this.node = node;
  }

  errorf(msg: string): never {
    const name = this.tmpl.name;
    if (this.node === undefined) {
      throw new TemplateExecError(`template: ${name}: ${msg}`, this.out.join(''));
    }
    const pos = this.node.pos;
    const text = this.tmpl.text.slice(0, pos);
    const nl = text.lastIndexOf('\n');
    const col = nl === -1 ? pos : pos - (nl + 1);
    const line = 1 + (text.match(/\n/g)?.length ?? 0);
    const context = this.node.type === 'pipe' ? argString(this.node) : argString(this.node);
    throw new TemplateExecError(
      `template: ${name}:${line}:${col}: executing ${JSON.stringify(name)} at <${context}>: ${msg}`,
      this.out.join(''),
    );
  }

  // -- variables --------------------------------------------------------------------------------------------
  mark(): number {
    return this.vars.length;
  }
  pop(mark: number): void {
    this.vars.length = mark;
  }
  push(name: string, value: unknown): void {
    this.vars.push({ name, value });
  }
  setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }
  setTopVar(n: number, value: unknown): void {
    this.vars[this.vars.length - n]!.value = value;
  }
  varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) return this.vars[i]!.value;
    }
    return this.errorf(`undefined variable: ${name}`);
  }

  // -- walking ----------------------------------------------------------------------------------------------
  walk(dot: unknown, nodes: Node[]): void {
    for (const node of nodes) {
      switch (node.type) {
        case 'text':
          this.out.push(node.text);
          break;
        case 'action': {
          const val = this.evalPipeline(dot, node.pipe);
          if (node.pipe.decl.length === 0) this.printValue(node.pipe, val);
          break;
        }
        case 'if':
        case 'with':
          this.walkIfOrWith(node.type, dot, node);
          break;
        case 'range':
          this.walkRange(dot, node);
          break;
        case 'break':
          throw BREAK;
        case 'continue':
          throw CONTINUE;
      }
    }
  }

  walkIfOrWith(kind: 'if' | 'with', dot: unknown, node: BranchNode): void {
    const mark = this.mark();
    try {
      const val = this.evalPipeline(dot, node.pipe);
      if (isTrue(val)) {
        this.walk(kind === 'with' ? val : dot, node.list);
      } else if (node.elseList) {
        this.walk(dot, node.elseList);
      }
    } finally {
      this.pop(mark);
    }
  }

  walkRange(dot: unknown, node: BranchNode): void {
    this.at(node.pipe);
    const outer = this.mark();
    try {
      const val = this.evalPipeline(dot, node.pipe);
      const mark = this.mark();
      const decl = node.pipe.decl;
      const one = (index: unknown, elem: unknown): boolean => {
        if (decl.length > 0) {
          if (node.pipe.isAssign) {
            if (decl.length > 1) {
              this.setVar(decl[0]!.ident[0]!, index);
              this.setVar(decl[1]!.ident[0]!, elem);
            } else {
              this.setVar(decl[0]!.ident[0]!, elem);
            }
          } else {
            this.setTopVar(1, elem);
            if (decl.length > 1) this.setTopVar(2, index);
          }
        }
        const inner = this.mark();
        try {
          this.walk(elem, node.list);
        } catch (e) {
          if (e === BREAK) return false;
          if (e !== CONTINUE) throw e;
        } finally {
          this.pop(inner);
        }
        return true;
      };
      let iterated = false;
      if (val === NO_VALUE || val === null || val === undefined) {
        // Go: ranging over an invalid value or nil is no iteration, not an error.
      } else if (Array.isArray(val)) {
        for (let i = 0; i < val.length; i++) {
          iterated = true;
          if (!one(i, val[i])) break;
        }
      } else if (typeof val === 'number' && Number.isInteger(val)) {
        if (decl.length > 1) this.errorf(`can't use ${val} to iterate over more than one variable`);
        for (let i = 0; i < val; i++) {
          iterated = true;
          if (!one(i, i)) break;
        }
      } else if (isPlainObject(val)) {
        const obj = val;
        for (const k of Object.keys(obj).sort()) {
          iterated = true;
          if (!one(k, obj[k])) break;
        }
      } else if (val instanceof Map) {
        for (const k of [...val.keys()].sort()) {
          iterated = true;
          if (!one(k, val.get(k))) break;
        }
      } else {
        this.errorf(`range can't iterate over ${formatValue(val)}`);
      }
      this.pop(mark);
      if (!iterated && node.elseList) this.walk(dot, node.elseList);
    } finally {
      this.pop(outer);
    }
  }

  printValue(node: PipeNode, v: unknown): void {
    this.at(node);
    if (v === NO_VALUE) {
      this.out.push('<no value>');
      return;
    }
    if (typeof v === 'function') this.errorf(`can't print ${argString(node)} of type func()`);
    this.out.push(formatValue(v));
  }

  // -- evaluation -------------------------------------------------------------------------------------------
  evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.at(pipe);
    let value: unknown = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
    }
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v.ident[0]!, value);
      else this.push(v.ident[0]!, value);
    }
    return value;
  }

  notAFunction(args: ArgNode[], final: unknown): void {
    if (args.length > 1 || final !== MISSING) {
      this.errorf(`can't give argument to non-function ${argString(args[0]!)}`);
    }
  }

  evalCommand(dot: unknown, cmd: CommandNode, final: unknown): unknown {
    const first = cmd.args[0]!;
    switch (first.type) {
      case 'field':
        return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain': {
        this.at(first);
        const pipe = this.evalArg(dot, 'any', first.node, true);
        return this.evalFieldChain(dot, pipe, first, first.field, cmd.args, final);
      }
      case 'identifier':
        return this.evalFunction(dot, first.name, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariableNode(dot, first, cmd.args, final);
      default:
        break;
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        return this.errorf('nil is not a command');
      case 'number':
        return first.value;
      case 'string':
        return first.text;
    }
  }

  evalFieldNode(dot: unknown, field: FieldNode, args: ArgNode[], final: unknown): unknown {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  evalVariableNode(dot: unknown, v: ArgNode & { type: 'variable' }, args: ArgNode[], final: unknown): unknown {
    this.at(v);
    const value = this.varValue(v.ident[0]!);
    if (v.ident.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.ident.slice(1), args, final);
  }

  evalFieldChain(dot: unknown, receiver: unknown, node: ArgNode, ident: string[], args: ArgNode[], final: unknown): unknown {
    const n = ident.length;
    for (let i = 0; i < n - 1; i++) {
      receiver = this.evalField(dot, ident[i]!, node, [], MISSING, receiver);
    }
    return this.evalField(dot, ident[n - 1]!, node, args, final, receiver);
  }

  evalField(dot: unknown, name: string, node: ArgNode, args: ArgNode[], final: unknown, receiver: unknown): unknown {
    if (receiver === NO_VALUE || receiver === MISSING) {
      if (this.missingKey === 'error') this.errorf(`nil data; no entry for key ${JSON.stringify(name)}`);
      return NO_VALUE;
    }
    if (receiver === null || receiver === undefined) {
      this.errorf(`nil pointer evaluating interface {}.${name}`);
    }
    if (typeof receiver === 'object' || typeof receiver === 'function') {
      const obj = receiver as Record<string, unknown>;
      const member = obj[name];
      // Methods: own or class-defined functions, never the ones every JS object inherits (toString, constructor…).
      const isMethod =
        typeof member === 'function' && !Array.isArray(obj) && (Object.prototype.hasOwnProperty.call(obj, name) || !(name in Object.prototype));
      if (isMethod) {
        return this.evalCall(dot, member as (...a: unknown[]) => unknown, obj, node, name, args, final);
      }
      const hasArgs = args.length > 1 || final !== MISSING;
      const asMap = this.missingKey === 'error' ? isPlainObject(obj) : isPlainObject(obj) && !isStructLike(obj);
      if (receiver instanceof Map) {
        if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
        return receiver.has(name) ? receiver.get(name) : this.missing(name, receiver);
      }
      if (asMap) {
        if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
        if (Object.prototype.hasOwnProperty.call(obj, name)) return obj[name];
        return this.missing(name, obj);
      }
      if (!Array.isArray(obj)) {
        let key: string | undefined = name;
        if (!Object.prototype.hasOwnProperty.call(obj, key)) {
          key = this.fieldAlias?.(name);
          if (key !== undefined && !Object.prototype.hasOwnProperty.call(obj, key)) key = undefined;
        }
        if (key !== undefined) {
          if (hasArgs) this.errorf(`${name} has arguments but cannot be invoked as function`);
          const v = obj[key];
          return v === undefined ? null : v;
        }
      }
    }
    return this.errorf(`can't evaluate field ${name} in type ${fieldTypeName(receiver, this.missingKey === 'error')}`);
  }

  missing(name: string, map: Record<string, unknown> | Map<string, unknown>): unknown {
    switch (this.missingKey) {
      case 'error':
        return this.errorf(`map has no entry for key ${JSON.stringify(name)}`);
      case 'zero':
        return zeroOfMap(map);
      default:
        return NO_VALUE;
    }
  }

  evalFunction(dot: unknown, name: string, node: ArgNode, cmd: ArgNode | CommandNode, args: ArgNode[], final: unknown): unknown {
    this.at(node);
    const f = this.funcs.get(name);
    if (f === undefined) this.errorf(`${JSON.stringify(name)} is not a defined function`);
    if (name === 'and' || name === 'or') return this.evalAndOr(dot, name, args, final);
    return this.evalCall(dot, f, undefined, cmd, name, args, final);
  }

  evalAndOr(dot: unknown, name: 'and' | 'or', args: ArgNode[], final: unknown): unknown {
    const argv = args.slice(1);
    const n = argv.length + (final !== MISSING ? 1 : 0);
    if (n < 1) this.errorf(`wrong number of args for ${name}: want at least 1 got 0`);
    let v: unknown;
    for (let i = 0; i < n; i++) {
      v = i < argv.length ? this.evalArg(dot, 'any', argv[i]!) : final === NO_VALUE ? null : final;
      const t = isTrue(v);
      if ((name === 'and' && !t) || (name === 'or' && t)) return v;
    }
    return v;
  }

  evalCall(
    dot: unknown,
    fun: TemplateFunc | ((...a: unknown[]) => unknown),
    self: object | undefined,
    node: ArgNode | CommandNode,
    name: string,
    args: ArgNode[],
    final: unknown,
  ): unknown {
    const argNodes = args.slice(1);
    const numIn = argNodes.length + (final !== MISSING ? 1 : 0);
    let params: ParamType[] | undefined;
    let variadic: ParamType | undefined;
    let fn: (...a: unknown[]) => unknown;
    if (typeof fun === 'function') {
      fn = fun as (...a: unknown[]) => unknown;
      if (self !== undefined) {
        // A method: its declared arity is its parameter count, untyped.
        params = new Array<ParamType>(fn.length).fill('any');
      }
    } else {
      fn = fun.fn as (...a: unknown[]) => unknown;
      params = fun.params;
      variadic = fun.variadic;
    }
    if (params !== undefined) {
      if (variadic !== undefined) {
        if (numIn < params.length) {
          this.errorf(`wrong number of args for ${name}: want at least ${params.length} got ${numIn}`);
        }
      } else if (numIn !== params.length) {
        this.errorf(`wrong number of args for ${name}: want ${params.length} got ${numIn}`);
      }
    }
    const argv: unknown[] = [];
    const typeAt = (i: number): ParamType => (params === undefined ? 'any' : i < params.length ? params[i]! : (variadic ?? 'any'));
    for (let i = 0; i < argNodes.length; i++) argv.push(this.evalArg(dot, typeAt(i), argNodes[i]!));
    if (final !== MISSING) argv.push(this.validateType(final, typeAt(argv.length)));
    this.at(node);
    try {
      const result = self !== undefined ? fn.apply(self, argv) : fn(...argv);
      return result === undefined ? null : result;
    } catch (e) {
      if (e instanceof TemplateExecError) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      return this.errorf(`error calling ${name}: ${msg}`);
    }
  }

  validateType(value: unknown, typ: ParamType): unknown {
    if (value === NO_VALUE || value === MISSING) {
      if (typ === 'any' || typ === 'strings') return null;
      return this.errorf(`invalid value; expected ${paramTypeName(typ)}`);
    }
    switch (typ) {
      case 'any':
        return value;
      case 'string':
        if (typeof value === 'string') return value;
        break;
      case 'int':
        if ((typeof value === 'number' && Number.isInteger(value)) || typeof value === 'bigint') return Number(value);
        break;
      case 'bool':
        if (typeof value === 'boolean') return value;
        break;
      case 'strings':
        if (value === null) return value;
        if (Array.isArray(value) && value.every((e) => typeof e === 'string')) return value;
        break;
    }
    return this.errorf(`wrong type for value; expected ${paramTypeName(typ)}; got ${typeName(value)}`);
  }

  evalArg(dot: unknown, typ: ParamType, n: ArgNode, untyped = false): unknown {
    this.at(n);
    switch (n.type) {
      case 'dot':
        return untyped ? dot : this.validateType(dot, typ);
      case 'nil':
        if (typ === 'any' || typ === 'strings') return null;
        return this.errorf(`cannot assign nil to ${paramTypeName(typ)}`);
      case 'field':
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), typ);
      case 'variable':
        return this.validateType(this.evalVariableNode(dot, n, [n], MISSING), typ);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, n), typ);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, n.name, n, n, [n], MISSING), typ);
      case 'chain': {
        const recv = this.evalArg(dot, 'any', n.node, true);
        return this.validateType(this.evalFieldChain(dot, recv, n, n.field, [n], MISSING), typ);
      }
      default:
        break;
    }
    switch (typ) {
      case 'bool':
        if (n.type === 'bool') return n.value;
        return this.errorf(`expected bool; found ${argString(n)}`);
      case 'string':
        if (n.type === 'string') return n.text;
        return this.errorf(`expected string; found ${argString(n)}`);
      case 'int':
        if (n.type === 'number' && n.isInt) return n.value;
        return this.errorf(`expected integer; found ${argString(n)}`);
      case 'strings':
        return this.errorf(`can't handle ${argString(n)} for arg of type []string`);
      default:
        switch (n.type) {
          case 'bool':
            return n.value;
          case 'number':
            return n.value;
          case 'string':
            return n.text;
        }
    }
  }
}

function fieldTypeName(receiver: unknown, raw: boolean): string {
  if (raw && receiver !== null && typeof receiver === 'object' && !Array.isArray(receiver)) return 'interface {}';
  if (raw && Array.isArray(receiver)) return 'interface {}';
  return typeName(receiver);
}

function zeroOfMap(map: Record<string, unknown> | Map<string, unknown>): unknown {
  const values = map instanceof Map ? [...map.values()] : Object.values(map);
  return values.every((v) => typeof v === 'string') ? '' : null;
}

// ---------------------------------------------------------------------------------------------------------------
// Built-in functions (Go's text/template builtins)

function basicKind(v: unknown): 'bool' | 'number' | 'string' | undefined {
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'number':
    case 'bigint':
      return 'number';
    case 'string':
      return 'string';
    default:
      return undefined;
  }
}

function eq(arg1: unknown, ...rest: unknown[]): boolean {
  if (rest.length === 0) throw new Error('missing argument for comparison');
  const k1 = basicKind(arg1);
  for (const arg of rest) {
    const k2 = basicKind(arg);
    let truth: boolean;
    if (k1 === undefined || k2 === undefined) {
      // Non-basic values: nil compares with nil; otherwise only identical values are equal.
      if ((arg1 === null || arg1 === undefined) && (arg === null || arg === undefined)) truth = true;
      else if (arg1 === null || arg1 === undefined || arg === null || arg === undefined) truth = false;
      else if (Array.isArray(arg1) || isPlainObject(arg1)) throw new Error(`non-comparable type ${formatValue(arg1)}: ${goTypeName(arg1)}`);
      else truth = arg1 === arg;
    } else if (k1 !== k2) {
      throw new Error('incompatible types for comparison');
    } else {
      truth = k1 === 'number' ? Number(arg1) === Number(arg) : arg1 === arg;
    }
    if (truth) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === undefined || k2 === undefined || k1 === 'bool') throw new Error('invalid type for comparison');
  if (k1 !== k2) throw new Error('incompatible types for comparison');
  if (k1 === 'number') return Number(a) < Number(b);
  return (a as string) < (b as string);
}

function goLen(v: unknown): number {
  if (v === null || v === undefined) throw new Error('len of nil pointer');
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  if (Array.isArray(v) || v instanceof Uint8Array) return v.length;
  if (v instanceof Map) return v.size;
  if (isPlainObject(v)) return Object.keys(v).length;
  throw new Error(`len of type ${goTypeName(v)}`);
}

function goIndex(item: unknown, ...indexes: unknown[]): unknown {
  let v = item;
  if (v === null || v === undefined) throw new Error('index of untyped nil');
  for (const idx of indexes) {
    if (v === null || v === undefined) throw new Error('index of nil pointer');
    if (Array.isArray(v) || typeof v === 'string' || v instanceof Uint8Array) {
      if (typeof idx !== 'number' || !Number.isInteger(idx)) {
        throw new Error(`cannot index slice/array with type ${goTypeName(idx)}`);
      }
      if (idx < 0 || idx >= v.length) throw new Error(`index out of range: ${idx}`);
      v = typeof v === 'string' ? Buffer.from(v, 'utf8')[idx] : v[idx];
    } else if (v instanceof Map) {
      v = v.has(idx) ? v.get(idx) : zeroOfMap(v);
    } else if (typeof v === 'object') {
      if (typeof idx !== 'string') throw new Error(`value has type ${goTypeName(idx)}; should be string`);
      const obj = v as Record<string, unknown>;
      v = Object.prototype.hasOwnProperty.call(obj, idx) ? obj[idx] : zeroOfMap(obj);
    } else {
      throw new Error(`can't index item of type ${goTypeName(v)}`);
    }
  }
  return v;
}

function goSlice(item: unknown, ...indexes: unknown[]): unknown {
  if (item === null || item === undefined) throw new Error('slice of untyped nil');
  if (indexes.length > 3) throw new Error(`too many slice indexes: ${indexes.length}`);
  if (typeof item !== 'string' && !Array.isArray(item)) throw new Error(`can't slice item of type ${goTypeName(item)}`);
  if (typeof item === 'string' && indexes.length === 3) throw new Error('cannot 3-index slice a string');
  const len = item.length;
  const idx = indexes.map((i) => {
    if (typeof i !== 'number' || !Number.isInteger(i)) throw new Error(`cannot index slice/array with type ${goTypeName(i)}`);
    if (i < 0 || i > len) throw new Error(`index out of range: ${i}`);
    return i;
  });
  const lo = idx[0] ?? 0;
  const hi = idx[1] ?? len;
  if (lo > hi) throw new Error(`invalid slice index: ${lo} > ${hi}`);
  return item.slice(lo, hi);
}

function htmlEscape(s: string): string {
  return s.replace(/[<>&'"\0]/g, (c) => {
    switch (c) {
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '&':
        return '&amp;';
      case "'":
        return '&#39;';
      case '"':
        return '&#34;';
      default:
        return '\uFFFD';
    }
  });
}

function jsEscape(s: string): string {
  return s.replace(/[\\'"<>&=\n\r\t\0-\x1f]/g, (c) => {
    switch (c) {
      case '\\':
        return '\\\\';
      case "'":
        return "\\'";
      case '"':
        return '\\"';
      case '<':
        return '\\u003C';
      case '>':
        return '\\u003E';
      case '&':
        return '\\u0026';
      case '=':
        return '\\u003D';
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default:
        return '\\u' + c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    }
  });
}

function evalArgsString(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(...args);
}

/** Go's predefined template functions. */
export const BUILTIN_FUNCS: FuncMap = {
  and: { params: ['any'], variadic: 'any', fn: () => null }, // evaluated lazily by the executor
  or: { params: ['any'], variadic: 'any', fn: () => null },
  not: { params: ['any'], fn: (v: unknown) => !isTrue(v) },
  call: {
    params: ['any'],
    variadic: 'any',
    fn: (f: unknown, ...args: unknown[]) => {
      if (typeof f !== 'function') throw new Error(`non-function of type ${goTypeName(f)}`);
      return (f as (...a: unknown[]) => unknown)(...args);
    },
  },
  html: { params: [], variadic: 'any', fn: (...args: unknown[]) => htmlEscape(evalArgsString(args)) },
  js: { params: [], variadic: 'any', fn: (...args: unknown[]) => jsEscape(evalArgsString(args)) },
  urlquery: {
    params: [],
    variadic: 'any',
    fn: (...args: unknown[]) => encodeURIComponent(evalArgsString(args)).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()),
  },
  index: { params: ['any'], variadic: 'any', fn: goIndex },
  slice: { params: ['any'], variadic: 'any', fn: goSlice },
  len: { params: ['any'], fn: goLen },
  print: { params: [], variadic: 'any', fn: (...args: unknown[]) => sprint(...args) },
  printf: { params: ['string'], variadic: 'any', fn: (f: string, ...args: unknown[]) => sprintf(f, ...args) },
  println: { params: [], variadic: 'any', fn: (...args: unknown[]) => sprintln(...args) },
  eq: { params: ['any'], variadic: 'any', fn: eq },
  ne: { params: ['any', 'any'], fn: (a: unknown, b: unknown) => !eq(a, b) },
  lt: { params: ['any', 'any'], fn: lt },
  le: { params: ['any', 'any'], fn: (a: unknown, b: unknown) => lt(a, b) || eq(a, b) },
  gt: { params: ['any', 'any'], fn: (a: unknown, b: unknown) => !lt(a, b) && !eq(a, b) },
  ge: { params: ['any', 'any'], fn: (a: unknown, b: unknown) => !lt(a, b) },
};

// ---------------------------------------------------------------------------------------------------------------
// Docker's template functions (docker/cli templates/templates.go)

/** Go's encoding/json with SetEscapeHTML(false): JSON.stringify plus Go's escaping of U+2028/U+2029. */
export function goJson(v: unknown): string {
  if (v === NO_VALUE || v === undefined) return 'null';
  if (typeof v === 'object' && v !== null && typeof (v as { [GO_MARSHAL_JSON]?: unknown })[GO_MARSHAL_JSON] === 'function') {
    return (v as { [GO_MARSHAL_JSON]: () => string })[GO_MARSHAL_JSON]();
  }
  const s = JSON.stringify(v, (_k, val: unknown) => (typeof val === 'bigint' ? Number(val) : val));
  return (s ?? 'null').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Go's json.Marshal escaping: `<`, `>`, `&`, U+2028 and U+2029 as \u escapes. */
export function goJsonEscapeHtml(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

function goTitle(s: string): string {
  // strings.Title: upper-case the first letter of each word; letters, digits, '_' and non-ASCII
  // non-space runes continue a word.
  let prevSep = true;
  let out = '';
  for (const ch of s) {
    out += prevSep ? ch.toUpperCase() : ch;
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) prevSep = !/[A-Za-z0-9_]/.test(ch);
    else prevSep = /^[\p{Zs}\s]$/u.test(ch) || !/^[\p{L}\p{N}]$/u.test(ch);
  }
  return out;
}

function goSplit(s: string, sep: string): string[] {
  if (sep === '') return [...s];
  return s.split(sep);
}

function goTruncate(s: string, length: number): string {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length < length) return s;
  if (length < 0) throw new Error(`runtime error: slice bounds out of range [:${length}]`);
  return bytes.subarray(0, length).toString('utf8');
}

/** Docker's `basicFunctions`, available in every `--format` template. */
export const DOCKER_FUNCS: FuncMap = {
  json: { params: ['any'], fn: goJson },
  split: { params: ['string', 'string'], fn: goSplit },
  join: { params: ['strings', 'string'], fn: (a: string[] | null, sep: string) => (a ?? []).join(sep) },
  title: { params: ['string'], fn: goTitle },
  lower: { params: ['string'], fn: (s: string) => s.toLowerCase() },
  upper: { params: ['string'], fn: (s: string) => s.toUpperCase() },
  pad: {
    params: ['string', 'int', 'int'],
    fn: (s: string, prefix: number, suffix: number) => (s === '' ? s : ' '.repeat(Math.max(prefix, 0)) + s + ' '.repeat(Math.max(suffix, 0))),
  },
  truncate: { params: ['string', 'int'], fn: goTruncate },
};

/**
 * Docker's `HeaderFunctions`: replacements used when a table template is executed against the header map, so the
 * column titles come through unchanged.
 */
export const DOCKER_HEADER_FUNCS: FuncMap = {
  json: { params: ['string'], fn: (v: string) => v },
  split: { params: ['string', 'string'], fn: (v: string) => v },
  join: { params: ['string', 'string'], fn: (v: string) => v },
  title: { params: ['string'], fn: (v: string) => v },
  lower: { params: ['string'], fn: (v: string) => v },
  upper: { params: ['string'], fn: (v: string) => v },
  truncate: { params: ['string', 'int'], fn: (v: string) => v },
};

// ---------------------------------------------------------------------------------------------------------------

export interface TemplateOptions {
  /** Template name for messages (Docker's are anonymous: ""). */
  name?: string;
  /** Extra functions on top of Go's builtins. */
  funcs?: FuncMap;
}

export class Template {
  readonly name: string;
  readonly text: string;
  readonly #nodes: Node[];
  readonly #funcs: Map<string, TemplateFunc>;

  private constructor(name: string, text: string, nodes: Node[], funcs: Map<string, TemplateFunc>) {
    this.name = name;
    this.text = text;
    this.#nodes = nodes;
    this.#funcs = funcs;
  }

  /** Parses `text`; throws TemplateParseError (`template: :1: function "foo" not defined`). */
  static parse(text: string, opts: TemplateOptions = {}): Template {
    const funcs = new Map<string, TemplateFunc>(Object.entries(BUILTIN_FUNCS));
    for (const [k, v] of Object.entries(opts.funcs ?? {})) funcs.set(k, v);
    const name = opts.name ?? '';
    const nodes = parseTemplate(text, { name, hasFunction: (n) => funcs.has(n) });
    return new Template(name, text, nodes, funcs);
  }

  /** A copy of this template whose named functions are replaced (Go's `tmpl.Funcs`). */
  withFuncs(funcs: FuncMap): Template {
    const merged = new Map(this.#funcs);
    for (const [k, v] of Object.entries(funcs)) merged.set(k, v);
    return new Template(this.name, this.text, this.#nodes, merged);
  }

  /** Executes against `data`; throws TemplateExecError (with the partial output) on failure. */
  execute(data: unknown, opts: ExecuteOptions = {}): string {
    const state = new State(this, this.#funcs, opts.missingKey ?? 'default', data, opts.fieldAlias);
    try {
      state.walk(data, this.#nodes);
    } catch (e) {
      if (e === BREAK || e === CONTINUE) return state.out.join('');
      throw e;
    }
    return state.out.join('');
  }
}

/** Parses a Docker `--format` template: Go builtins plus Docker's functions. */
export function parseDockerTemplate(text: string): Template {
  return Template.parse(text, { funcs: DOCKER_FUNCS });
}
