/**
 * Commander, shaped like docker's cobra/pflag front end.
 *
 * {@link DockerCommand} adds what commander lacks for docker compatibility: pflag's `--flag=false` and `-t=10`
 * spellings (rewritten before commander sees them), docker's usage errors (`unknown flag: --x`, `flag needs an
 * argument: 'e' in -e`, exit 125), argument-count errors (`'berth tag' requires 2 arguments`, exit 1), docker's
 * help layout, and typed flag helpers (repeatable lists, Go-style integers).
 */
import { Command, type Option } from 'commander';
import { StatusError } from './errors.js';

export const BIN = 'berth';

export type ArgsRule =
  | { kind: 'any' }
  | { kind: 'none' }
  | { kind: 'min'; n: number }
  | { kind: 'max'; n: number }
  | { kind: 'exact'; n: number }
  | { kind: 'range'; min: number; max: number };

export const NO_ARGS: ArgsRule = { kind: 'none' };
export const minArgs = (n: number): ArgsRule => ({ kind: 'min', n });
export const maxArgs = (n: number): ArgsRule => ({ kind: 'max', n });
export const exactArgs = (n: number): ArgsRule => ({ kind: 'exact', n });
export const rangeArgs = (min: number, max: number): ArgsRule => ({ kind: 'range', min, max });

/** A flag value that pflag would reject (`invalid argument "x" for "-t, --time" flag: …`). */
class FlagValueError extends Error {}

function plural(n: number): string {
  return n === 1 ? 'argument' : 'arguments';
}

function isBoolOption(o: Option): boolean {
  return !o.required && !o.optional;
}

/** pflag's ParseBool: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False. */
export function parseGoBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

export class DockerCommand extends Command {
  /** Docker's `Use` without the command name: `[OPTIONS] IMAGE [COMMAND] [ARG...]`. */
  use = '';
  /** One-line description. */
  short = '';
  argsRule: ArgsRule = { kind: 'any' };
  /** Docker's "Aliases:" help line, e.g. `docker container ls, docker ps`. */
  aliasesLine: string | undefined;
  /** Flags whose value types show in help (`--format string`). */
  readonly valueTypes = new Map<string, string>();
  /** Original spelling of a short-flag cluster we split, for pflag-style messages. */
  readonly #clusterOrigin = new Map<string, string>();
  /** Flags set to false with `--flag=false`; handlers consult this for flags whose default is true. */
  readonly explicitFalse = new Set<string>();

  override createCommand(name?: string): DockerCommand {
    return new DockerCommand(name);
  }

  #setup: ((cmd: DockerCommand) => void) | undefined;

  /** Registers the flag/action definitions to run on first use (see {@link ensureSetup}). */
  deferSetup(setup: (cmd: DockerCommand) => void): void {
    this.#setup = setup;
  }

  /** Runs the deferred definitions once. */
  ensureSetup(): this {
    const setup = this.#setup;
    this.#setup = undefined;
    setup?.(this);
    return this;
  }

  /** `berth container run` */
  commandPath(): string {
    const parent = this.parent as DockerCommand | null;
    return parent ? `${parent.commandPath()} ${this.name()}` : BIN;
  }

  /** `berth container run [OPTIONS] IMAGE [COMMAND] [ARG...]` */
  useLine(): string {
    return this.use ? `${this.commandPath()} ${this.use}` : this.commandPath();
  }

  // -- flag helpers -------------------------------------------------------------------------------------------

  /** A boolean flag: `flags` like `-a, --all`. */
  bool(flags: string, description: string): this {
    return this.option(flags, description);
  }

  /** A string flag: `flags` like `--format <string>` (the placeholder names the type in help). */
  str(flags: string, description: string, defaultValue?: string): this {
    this.#noteType(flags);
    return defaultValue === undefined ? this.option(flags, description) : this.option(flags, description, defaultValue);
  }

  /** A repeatable flag collecting every value in order: `-e, --env <list>`. */
  list(flags: string, description: string): this {
    this.#noteType(flags);
    return this.option(flags, description, (value: string, previous: string[] | undefined) => [...(previous ?? []), value], [] as string[]);
  }

  /** A repeatable `-f, --filter <filter>` flag; values without `=` are rejected at parse time, as docker does. */
  filter(flags: string, description: string): this {
    this.#noteType(flags);
    const display = flags.replace(/\s*<[^>]*>/, '');
    return this.option(
      flags,
      description,
      (value: string, previous: string[] | undefined) => {
        if (value !== '' && !value.includes('=')) {
          throw new FlagValueError(`invalid argument "${value}" for "${display}" flag: bad format of filter (expected name=value)`);
        }
        return [...(previous ?? []), value];
      },
      [] as string[],
    );
  }

  /**
   * A string flag whose value is checked while parsing (pflag's typed flags): `check` throws with the reason,
   * reported as `invalid argument "v" for "-m, --memory" flag: <reason>` (exit 125).
   */
  checked(flags: string, description: string, check: (value: string) => void): this {
    this.#noteType(flags);
    const display = flags.replace(/\s*<[^>]*>/, '');
    return this.option(flags, description, (value: string) => {
      try {
        check(value);
      } catch (e) {
        throw new FlagValueError(`invalid argument "${value}" for "${display}" flag: ${(e as Error).message}`);
      }
      return value;
    });
  }

  /** A Go `int` flag, rejecting what strconv.ParseInt rejects. */
  int(flags: string, description: string, defaultValue?: number): this {
    this.#noteType(flags);
    const display = flags.replace(/\s*<[^>]*>/, '');
    const parse = (value: string): number => {
      if (!/^[+-]?\d+$/.test(value.replace(/_/g, ''))) {
        throw new FlagValueError(`invalid argument "${value}" for "${display}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`);
      }
      return Number(value);
    };
    return defaultValue === undefined ? this.option(flags, description, parse) : this.option(flags, description, parse, defaultValue);
  }

  #noteType(flags: string): void {
    const m = /--([\w-]+)\s+<([^>]+)>/.exec(flags);
    if (m) this.valueTypes.set(m[1]!, m[2]!);
  }

  // -- parsing ------------------------------------------------------------------------------------------------

  #findOption(flag: string): Option | undefined {
    return this.options.find((o) => o.short === flag || o.long === flag);
  }

  #stopsAtPositional(): boolean {
    const internals = this as unknown as { _passThroughOptions?: boolean };
    return internals._passThroughOptions === true || this.commands.length > 0;
  }

  #flagDisplay(o: Option): string {
    return o.short ? `${o.short}, ${o.long}` : (o.long ?? o.short ?? '');
  }

  /** Rewrites pflag spellings commander does not know, stopping where this command's own options end. */
  #rewritePflag(args: string[]): string[] {
    const out: string[] = [];
    const stop = this.#stopsAtPositional();
    const setBool = (o: Option, raw: string): void => {
      const b = parseGoBool(raw);
      if (b === undefined) {
        throw new FlagValueError(`invalid argument "${raw}" for "${this.#flagDisplay(o)}" flag: strconv.ParseBool: parsing "${raw}": invalid syntax`);
      }
      if (b) out.push(o.long ?? o.short!);
      else this.explicitFalse.add(o.attributeName());
    };
    let i = 0;
    while (i < args.length) {
      const a = args[i++]!;
      if (a === '--') {
        out.push(a, ...args.slice(i));
        return out;
      }
      if (a.startsWith('--') && a.length > 2) {
        const eq = a.indexOf('=');
        const o = this.#findOption(eq >= 0 ? a.slice(0, eq) : a);
        if (o && isBoolOption(o) && eq >= 0) {
          setBool(o, a.slice(eq + 1));
          continue;
        }
        out.push(a);
        if (o && !isBoolOption(o) && eq < 0 && i < args.length) out.push(args[i++]!);
        continue;
      }
      if (a.startsWith('-') && a.length > 1) {
        for (let j = 1; j < a.length; j++) {
          const o = this.#findOption(`-${a[j]}`);
          if (!o) {
            const rest = `-${a.slice(j)}`;
            if (rest !== a) this.#clusterOrigin.set(rest, a);
            out.push(rest);
            break;
          }
          if (a[j + 1] === '=') {
            const value = a.slice(j + 2);
            if (isBoolOption(o)) setBool(o, value);
            else out.push(o.short!, value);
            break;
          }
          if (!isBoolOption(o)) {
            out.push(o.short!);
            if (j + 1 < a.length) out.push(a.slice(j + 1));
            else if (i < args.length) out.push(args[i++]!);
            else this.#clusterOrigin.set(o.short!, a);
            break;
          }
          out.push(o.short!);
        }
        continue;
      }
      if (stop) {
        out.push(a, ...args.slice(i));
        return out;
      }
      out.push(a);
    }
    return out;
  }

  override parseOptions(argv: string[]): { operands: string[]; unknown: string[] } {
    this.ensureSetup();
    try {
      return super.parseOptions(this.#rewritePflag(argv));
    } catch (e) {
      if (e instanceof FlagValueError) throw this.usageError(e.message);
      throw e;
    }
  }

  /** docker's flag error: message, usage line, pointer to --help; exit 125. */
  usageError(message: string): StatusError {
    return new StatusError(`${message}\n\nUsage:  ${this.useLine()}\n\nRun '${this.commandPath()} --help' for more information`, 125);
  }

  // Commander calls these (undocumented) hooks on the command being parsed; answer in docker's words.
  unknownOption(flag: string): never {
    if (flag.startsWith('--')) {
      const name = flag.includes('=') ? flag.slice(0, flag.indexOf('=')) : flag;
      throw this.usageError(`unknown flag: ${name}`);
    }
    const origin = this.#clusterOrigin.get(flag) ?? flag;
    throw this.usageError(`unknown shorthand flag: '${flag[1]}' in ${origin}`);
  }

  optionMissingArgument(option: Option): never {
    // The rewrite records a value-taking short flag that ended the arguments; anything else was the long form.
    const origin = option.short ? this.#clusterOrigin.get(option.short) : undefined;
    if (origin !== undefined && option.short) throw this.usageError(`flag needs an argument: '${option.short[1]}' in ${origin}`);
    throw this.usageError(`flag needs an argument: ${option.long ?? option.short}`);
  }

  unknownCommand(): never {
    throw this.unknownCommandError(this.args[0] ?? '');
  }

  unknownCommandError(name: string): StatusError {
    const path = this.commandPath();
    const usage = this.parent ? `\n\nUsage:  ${this.useLine()}` : '';
    return new StatusError(`${BIN}: unknown command: ${path} ${name}${usage}\n\nRun '${path} --help' for more information`, 1);
  }

  /** Checks the positional count against {@link argsRule}, with docker's messages (exit 1). */
  checkArgs(args: string[]): void {
    const r = this.argsRule;
    const path = this.commandPath();
    const use = this.useLine();
    const n = args.length;
    switch (r.kind) {
      case 'none':
        if (n > 0) throw new StatusError(`${BIN}: '${path}' accepts no arguments\n\nUsage:  ${use}\n\nRun '${path} --help' for more information`, 1);
        return;
      case 'min':
        if (n < r.n) {
          throw new StatusError(
            `${BIN}: '${path}' requires at least ${r.n} ${plural(r.n)}\n\nUsage:  ${use}\n\nSee '${path} --help' for more information`,
            1,
          );
        }
        return;
      case 'max':
        if (n > r.n) {
          // "SRun" is docker/cli's own typo (cli/required.go); reproduced so output matches byte for byte.
          throw new StatusError(
            `${BIN}: '${path}' requires at most ${r.n} ${plural(r.n)}\n\nUsage:  ${use}\n\nSRun '${path} --help' for more information`,
            1,
          );
        }
        return;
      case 'exact':
        if (n !== r.n) {
          throw new StatusError(`${BIN}: '${path}' requires ${r.n} ${plural(r.n)}\n\nUsage:  ${use}\n\nRun '${path} --help' for more information`, 1);
        }
        return;
      case 'range':
        if (n < r.min || n > r.max) {
          throw new StatusError(
            `${BIN}: '${path}' requires at least ${r.min} and at most ${r.max} ${plural(r.max)}\n\nUsage:  ${use}\n\nRun '${path} --help' for more information`,
            1,
          );
        }
        return;
      case 'any':
        return;
    }
  }

  // -- help ---------------------------------------------------------------------------------------------------

  override helpInformation(): string {
    this.ensureSetup();
    const usage = this.commands.length > 0 ? `${this.parent ? this.commandPath() : `${BIN} [OPTIONS]`} COMMAND` : this.useLine();
    const lines: string[] = [`Usage:  ${usage}`, '', this.short || this.description()];
    if (this.aliasesLine) lines.push('', 'Aliases:', `  ${this.aliasesLine}`);
    const subs = (this.commands as DockerCommand[]).filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
    if (subs.length > 0) {
      lines.push('', 'Commands:');
      const w = Math.max(...subs.map((c) => c.name().length));
      for (const c of [...subs].sort((a, b) => a.name().localeCompare(b.name()))) {
        lines.push(`  ${c.name().padEnd(Math.max(w, 10))}  ${c.short || c.description()}`);
      }
    }
    const opts = this.options.filter((o) => !o.hidden);
    if (opts.length > 0) {
      lines.push('', this.parent ? 'Options:' : 'Global Options:');
      const rows = [...opts]
        .sort((a, b) => (a.long ?? '').localeCompare(b.long ?? ''))
        .map((o) => {
          const type = o.long ? this.valueTypes.get(o.long.slice(2)) : undefined;
          const left = `${o.short ? `${o.short}, ` : '    '}${o.long ?? ''}${type ? ` ${type}` : ''}`;
          let desc = o.description;
          const def: unknown = o.defaultValue;
          if (def !== undefined && def !== false && !(Array.isArray(def) && def.length === 0) && def !== '') desc += ` (default ${String(def)})`;
          return [left, desc] as const;
        });
      const w = Math.max(...rows.map((r) => r[0].length));
      for (const [l, d] of rows) lines.push(`  ${l.padEnd(w)}   ${d}`);
    }
    if (subs.length > 0) lines.push('', `Run '${this.commandPath()} COMMAND --help' for more information on a command.`);
    return lines.join('\n') + '\n';
  }
}

export interface CommandSpec {
  name: string;
  aliases?: string[];
  use: string;
  short: string;
  args: ArgsRule;
  aliasesLine?: string;
  /** Stop option parsing at the first positional (docker's SetInterspersed(false) for run/create/exec). */
  passThrough?: boolean;
  hidden?: boolean;
}

/**
 * Adds a docker-style subcommand to `parent`. `setup` (flags and action) runs only when the command is about to
 * parse — dispatch, or help — so a `berth ps` does not build the option tables of thirty other commands.
 */
export function addCommand(parent: DockerCommand, spec: CommandSpec, setup?: (cmd: DockerCommand) => void): DockerCommand {
  const cmd = parent.createCommand(spec.name);
  if (setup) cmd.deferSetup(setup);
  cmd.use = spec.use;
  cmd.short = spec.short;
  cmd.description(spec.short);
  cmd.argsRule = spec.args;
  cmd.aliasesLine = spec.aliasesLine;
  if (spec.aliases) cmd.aliases(spec.aliases);
  cmd.helpOption('--help', 'Print usage');
  cmd.allowExcessArguments(true);
  cmd.argument('[args...]');
  if (spec.passThrough) cmd.passThroughOptions();
  parent.addCommand(cmd, spec.hidden ? { hidden: true } : {});
  return cmd;
}

/** Adds a management command (`container`, `image`) whose subcommands do the work. */
export function addGroup(parent: DockerCommand, name: string, short: string): DockerCommand {
  const cmd = parent.createCommand(name);
  cmd.short = short;
  cmd.description(short);
  cmd.helpOption('--help', 'Print usage');
  cmd.enablePositionalOptions();
  cmd.allowExcessArguments(true);
  cmd.argument('[args...]');
  cmd.action((args: string[]) => {
    // `berth image` alone prints help (exit 0); an unknown subcommand is docker's usage error.
    if (args.length === 0) process.stdout.write(cmd.helpInformation());
    else throw cmd.unknownCommandError(args[0]!);
  });
  parent.addCommand(cmd);
  return cmd;
}
