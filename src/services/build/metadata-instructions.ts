import { InvalidArgumentError } from '../../core/errdefs.js';
import type { ImageRuntimeConfig } from '../../core/images.js';
import { parseGoDurationNs } from '../../pkg/go-duration.js';
import { parseDockerfile, parseFlags, splitKeyValues, type Instruction } from '../../pkg/dockerfile/parse.js';
import { expandWords, type Lookup } from '../../pkg/dockerfile/shell-words.js';
import { expandOrThrow } from './stages.js';

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** What an instruction that only changes the image config does to it, and how history records it. */
export interface MetadataEffect {
  /** The `created_by` text (`/bin/sh -c #(nop)  ENV A=b`). */
  createdBy: string;
}

export interface StageVars {
  escape: string;
  lookup: Lookup;
  /** CMD was set in this stage (an ENTRYPOINT then keeps it; otherwise ENTRYPOINT clears an inherited CMD). */
  cmdSet: boolean;
}

function nop(text: string): string {
  return `/bin/sh -c #(nop) ${text}`;
}

function fail(ins: Instruction, msg: string): never {
  throw new InvalidArgumentError(`dockerfile parse error on line ${ins.line}: ${msg}`);
}

/** The command of CMD, ENTRYPOINT, RUN and HEALTHCHECK CMD: exec form as is, shell form through SHELL. */
export function commandOf(rest: string, json: string[] | undefined, shell: readonly string[]): string[] {
  if (json) return json;
  return [...shell, rest];
}

/** Applies ENV, LABEL, WORKDIR, USER, EXPOSE, VOLUME, CMD, ENTRYPOINT, SHELL, STOPSIGNAL, HEALTHCHECK, ONBUILD, MAINTAINER. */
export function applyMetadata(ins: Instruction, cfg: ImageRuntimeConfig, vars: StageVars, author: { value?: string }): MetadataEffect {
  const expand = (w: string): string => expandOrThrow(w, vars.lookup, vars.escape, ins);
  const shell = cfg.Shell && cfg.Shell.length > 0 ? cfg.Shell : DEFAULT_SHELL;
  switch (ins.cmd) {
    case 'env': {
      const pairs = splitPairs(ins, vars.escape);
      if (pairs.length === 0) fail(ins, 'ENV requires at least one argument');
      const env = [...(cfg.Env ?? [])];
      const shown: string[] = [];
      for (const [k, raw] of pairs) {
        const v = expand(raw ?? '');
        // Later pairs of the same ENV see earlier ones, as Docker's sequential expansion does.
        const idx = env.findIndex((e) => e.split('=', 1)[0] === k);
        if (idx >= 0) env[idx] = `${k}=${v}`;
        else env.push(`${k}=${v}`);
        cfg.Env = env;
        shown.push(`${k}=${v}`);
      }
      return { createdBy: nop(` ENV ${shown.join(' ')}`) };
    }
    case 'label': {
      const pairs = splitPairs(ins, vars.escape);
      if (pairs.length === 0) fail(ins, 'LABEL requires at least one argument');
      const labels = { ...(cfg.Labels ?? {}) };
      const shown: string[] = [];
      for (const [k, raw] of pairs) {
        const key = expand(k);
        const v = expand(raw ?? '');
        labels[key] = v;
        shown.push(`${key}=${v}`);
      }
      cfg.Labels = labels;
      return { createdBy: nop(` LABEL ${shown.join(' ')}`) };
    }
    case 'workdir': {
      const dir = expand(ins.rest.trim());
      if (dir === '') fail(ins, 'WORKDIR requires exactly one argument');
      cfg.WorkingDir = dir.startsWith('/') ? posixJoin(dir) : posixJoin(cfg.WorkingDir || '/', dir);
      return { createdBy: nop(`WORKDIR ${cfg.WorkingDir}`) };
    }
    case 'user': {
      const user = expand(ins.rest.trim());
      if (user === '') fail(ins, 'USER requires exactly one argument');
      cfg.User = user;
      return { createdBy: nop(` USER ${user}`) };
    }
    case 'expose': {
      const ports = expandWords(ins.rest, vars.lookup, vars.escape);
      if (ports.length === 0) fail(ins, 'EXPOSE requires at least one argument');
      const exposed = { ...(cfg.ExposedPorts ?? {}) };
      for (const p of ports) {
        if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/i.test(p)) throw new InvalidArgumentError(`invalid containerPort: ${p.split('/')[0]}`);
        exposed[p.includes('/') ? p.toLowerCase() : `${p}/tcp`] = {};
      }
      cfg.ExposedPorts = exposed;
      return { createdBy: nop(` EXPOSE ${Object.keys(exposed).filter((k) => ports.some((p) => k.startsWith(p))).join(' ') || ports.join(' ')}`) };
    }
    case 'volume': {
      const vols = ins.json ? ins.json.map(expand) : expandWords(ins.rest, vars.lookup, vars.escape);
      if (vols.length === 0) fail(ins, 'VOLUME requires at least one argument');
      const volumes = { ...(cfg.Volumes ?? {}) };
      for (const v of vols) {
        if (v.trim() === '') throw new InvalidArgumentError('VOLUME specified can not be an empty string');
        volumes[v] = {};
      }
      cfg.Volumes = volumes;
      return { createdBy: nop(` VOLUME [${vols.join(' ')}]`) };
    }
    case 'cmd': {
      cfg.Cmd = commandOf(ins.rest, ins.json, shell);
      cfg.ArgsEscaped = ins.json ? undefined : true;
      if (cfg.ArgsEscaped === undefined) delete cfg.ArgsEscaped;
      vars.cmdSet = true;
      return { createdBy: nop(` CMD ${JSON.stringify(cfg.Cmd)}`) };
    }
    case 'entrypoint': {
      cfg.Entrypoint = ins.json ? ins.json : ins.rest.trim() === '' ? null : [...shell, ins.rest];
      if (!vars.cmdSet) cfg.Cmd = null;
      return { createdBy: nop(` ENTRYPOINT ${JSON.stringify(cfg.Entrypoint)}`) };
    }
    case 'shell': {
      if (!ins.json) fail(ins, 'SHELL requires the arguments to be in JSON form');
      if (ins.json.length === 0) fail(ins, 'SHELL requires at least one argument');
      cfg.Shell = ins.json;
      return { createdBy: nop(` SHELL ${JSON.stringify(ins.json)}`) };
    }
    case 'stopsignal': {
      const sig = expand(ins.rest.trim());
      if (!/^(SIG)?[A-Z0-9+-]+$/i.test(sig)) throw new InvalidArgumentError(`Invalid signal: ${sig}`);
      cfg.StopSignal = sig;
      return { createdBy: nop(` STOPSIGNAL ${sig}`) };
    }
    case 'maintainer': {
      author.value = expand(ins.rest.trim());
      return { createdBy: nop(` MAINTAINER ${author.value}`) };
    }
    case 'onbuild': {
      const trigger = ins.rest.trim();
      const inner = /^(\S+)/.exec(trigger)?.[1]?.toUpperCase() ?? '';
      if (inner === 'ONBUILD') fail(ins, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      if (inner === 'FROM' || inner === 'MAINTAINER') fail(ins, `${inner} isn't allowed as an ONBUILD trigger`);
      // Validate it as an instruction now, so a typo fails this build, not the child's.
      parseDockerfile(trigger);
      cfg.OnBuild = [...(cfg.OnBuild ?? []), trigger];
      return { createdBy: nop(` ONBUILD ${trigger}`) };
    }
    case 'healthcheck':
      return applyHealthcheck(ins, cfg, shell);
    default:
      throw new Error(`not a metadata instruction: ${ins.cmd}`);
  }
}

function applyHealthcheck(ins: Instruction, cfg: ImageRuntimeConfig, shell: readonly string[]): MetadataEffect {
  const flags = parseFlags(ins, ['interval', 'timeout', 'start-period', 'start-interval', 'retries']);
  const m = /^(\S+)\s*([\s\S]*)$/.exec(ins.rest.trim());
  const kind = m?.[1]?.toUpperCase();
  if (kind === 'NONE') {
    if (ins.flags.length > 0 || (m?.[2] ?? '') !== '') fail(ins, 'HEALTHCHECK NONE takes no arguments');
    cfg.Healthcheck = { Test: ['NONE'] };
    return { createdBy: nop(' HEALTHCHECK NONE') };
  }
  if (kind !== 'CMD') fail(ins, `Unknown type "${m?.[1] ?? ''}" in HEALTHCHECK (try CMD)`);
  const rest = m?.[2] ?? '';
  let json: string[] | undefined;
  if (rest.startsWith('[')) {
    try {
      const v: unknown = JSON.parse(rest);
      if (Array.isArray(v) && v.every((s) => typeof s === 'string')) json = v;
    } catch {
      // shell form
    }
  }
  const test = json ? ['CMD', ...json] : ['CMD-SHELL', rest];
  void shell;
  const dur = (name: string): number | undefined => {
    const v = flags.get(name)?.[0];
    if (v === undefined) return undefined;
    const ns = Number(parseGoDurationNs(v));
    if (ns !== 0 && ns < 1_000_000) throw new InvalidArgumentError(`Interval "${name}" cannot be less than 1ms`);
    return ns;
  };
  const hc: NonNullable<ImageRuntimeConfig['Healthcheck']> = { Test: test };
  const interval = dur('interval');
  const timeout = dur('timeout');
  const start = dur('start-period');
  if (interval !== undefined) hc.Interval = interval;
  if (timeout !== undefined) hc.Timeout = timeout;
  if (start !== undefined) hc.StartPeriod = start;
  const retries = flags.get('retries')?.[0];
  if (retries !== undefined) {
    const n = Number(retries);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('--retries cannot be negative');
    hc.Retries = n;
  }
  cfg.Healthcheck = hc;
  return { createdBy: nop(` HEALTHCHECK &{${JSON.stringify(test)} ${hc.Interval ?? 0} ${hc.Timeout ?? 0} ${hc.StartPeriod ?? 0} ${hc.Retries ?? 0}}`) };
}

function splitPairs(ins: Instruction, escape: string): Array<[string, string | undefined]> {
  try {
    return splitKeyValues(ins.rest, escape);
  } catch (err) {
    fail(ins, `${ins.cmd.toUpperCase()} names can not be blank: ${(err as Error).message}`);
  }
}

function posixJoin(...parts: string[]): string {
  const joined = parts.join('/').split('/');
  const out: string[] = [];
  for (const p of joined) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  return `/${out.join('/')}`;
}
