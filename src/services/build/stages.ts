import { InvalidArgumentError } from '../../core/errdefs.js';
import { parseFlags, splitKeyValues, type Dockerfile, type Instruction } from '../../pkg/dockerfile/parse.js';
import { expandWord, ShellWordError, type Lookup } from '../../pkg/dockerfile/shell-words.js';

/** Build args every Dockerfile may use without declaring them; they stay out of history and the cache. */
export const PROXY_ARGS = new Set(['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']);

export interface Stage {
  index: number;
  /** Lower-cased `AS` name, if any. */
  name: string | undefined;
  /** The FROM instruction. */
  from: Instruction;
  /** The base as written after expansion with the meta args: an image reference, `scratch` or a stage. */
  base: string;
  /** The stage this one is built on, when `base` names an earlier stage. */
  baseStage: number | undefined;
  platform: string | undefined;
  instructions: Instruction[];
  /** Stages this one needs (its base, COPY --from and RUN --mount from=). */
  deps: Set<number>;
}

export interface BuildPlan {
  stages: Stage[];
  /** Values of the ARGs declared before the first FROM (defaults, overridden by build args). */
  metaArgs: Map<string, string | undefined>;
  /** The stages to build, in file order: the target and everything it needs. */
  needed: Stage[];
  target: Stage;
}

/**
 * Splits a parsed Dockerfile into stages, expands each FROM with the meta args, resolves stage references
 * (by name or index) and works out which stages the target needs: only those are built.
 */
export function planBuild(df: Dockerfile, buildArgs: ReadonlyMap<string, string>, targetName: string | undefined): BuildPlan {
  const metaArgs = new Map<string, string | undefined>();
  const stages: Stage[] = [];
  let current: Stage | undefined;
  for (const ins of df.instructions) {
    if (ins.cmd === 'from') {
      const lookup: Lookup = (n) => (metaArgs.has(n) ? metaArgs.get(n) : undefined);
      const flags = parseFlags(ins, ['platform']);
      const words = ins.rest.split(/\s+/).filter(Boolean);
      if (words.length !== 1 && !(words.length === 3 && words[1]?.toLowerCase() === 'as')) {
        throw new InvalidArgumentError(`dockerfile parse error on line ${ins.line}: FROM requires either one or three arguments`);
      }
      const base = expandOrThrow(words[0] as string, lookup, df.escape, ins);
      if (base === '') throw new InvalidArgumentError(`dockerfile parse error on line ${ins.line}: base name (${words[0]}) should not be blank`);
      const name = words.length === 3 ? (words[2] as string).toLowerCase() : undefined;
      if (name !== undefined && !/^[a-z][a-z0-9-_.]*$/.test(name)) {
        throw new InvalidArgumentError(`dockerfile parse error on line ${ins.line}: invalid name for build stage: "${words[2]}", name can't start with a number or contain symbols`);
      }
      if (name !== undefined && stages.some((s) => s.name === name)) {
        throw new InvalidArgumentError(`dockerfile parse error on line ${ins.line}: duplicate name ${name}`);
      }
      const platform = flags.get('platform')?.[0];
      current = { index: stages.length, name, from: ins, base, baseStage: undefined, platform: platform && expandOrThrow(platform, lookup, df.escape, ins), instructions: [], deps: new Set() };
      const baseStage = stages.find((s) => s.name !== undefined && s.name === base.toLowerCase());
      if (baseStage) {
        current.baseStage = baseStage.index;
        current.deps.add(baseStage.index);
      }
      stages.push(current);
      continue;
    }
    if (!current) {
      if (ins.cmd !== 'arg') throw new InvalidArgumentError(`dockerfile parse error on line ${ins.line}: no build stage in current context`);
      for (const [k, v] of splitKeyValues(ins.rest, df.escape, { allowBareKeys: true })) {
        const lookup: Lookup = (n) => metaArgs.get(n);
        metaArgs.set(k, buildArgs.get(k) ?? (v === undefined ? undefined : expandOrThrow(v, lookup, df.escape, ins)));
      }
      continue;
    }
    current.instructions.push(ins);
  }
  if (stages.length === 0) throw new InvalidArgumentError('the Dockerfile (Dockerfile) cannot be empty');

  const byRef = (ref: string, ins: Instruction, before: number): number | undefined => {
    const lower = ref.toLowerCase();
    const named = stages.find((s) => s.name === lower);
    if (named) {
      if (named.index >= before) throw new InvalidArgumentError(`dockerfile parse error on line ${ins.line}: stage "${ref}" is not defined before it is used`);
      return named.index;
    }
    if (/^\d+$/.test(ref)) {
      const n = Number(ref);
      if (n >= before) throw new InvalidArgumentError(`dockerfile parse error on line ${ins.line}: invalid stage index ${ref}`);
      return n;
    }
    return undefined;
  };
  for (const stage of stages) {
    for (const ins of stage.instructions) {
      for (const f of ins.flags) {
        const m = /^--from=(.+)$/.exec(f);
        if (m && (ins.cmd === 'copy' || ins.cmd === 'add')) {
          const idx = byRef(m[1] as string, ins, stage.index);
          if (idx !== undefined) stage.deps.add(idx);
        }
        const mount = /^--mount=(.*)$/.exec(f);
        if (mount && ins.cmd === 'run') {
          const from = /(?:^|,)from=([^,]+)/.exec(mount[1] as string);
          if (from) {
            const idx = byRef(from[1] as string, ins, stage.index);
            if (idx !== undefined) stage.deps.add(idx);
          }
        }
      }
    }
  }

  let target = stages[stages.length - 1] as Stage;
  if (targetName) {
    const t = stages.find((s) => s.name === targetName.toLowerCase());
    if (!t) throw new InvalidArgumentError(`failed to reach build target ${targetName} in Dockerfile`);
    target = t;
  }
  const want = new Set<number>();
  const visit = (i: number): void => {
    if (want.has(i)) return;
    want.add(i);
    for (const d of (stages[i] as Stage).deps) visit(d);
  };
  visit(target.index);
  return { stages, metaArgs, needed: stages.filter((s) => want.has(s.index)), target };
}

export function expandOrThrow(word: string, lookup: Lookup, escape: string, ins: Instruction): string {
  try {
    return expandWord(word, lookup, escape);
  } catch (err) {
    if (err instanceof ShellWordError) throw new InvalidArgumentError(`dockerfile parse error on line ${ins.line}: ${ins.cmd.toUpperCase()}: ${err.message}`);
    throw err;
  }
}
