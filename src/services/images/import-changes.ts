import { InvalidArgumentError } from '../../core/errdefs.js';
import type { ImageRuntimeConfig } from '../../core/images.js';

/** The Dockerfile instructions `docker import --change` and `docker commit --change` accept. */
const ALLOWED = new Set(['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'HEALTHCHECK', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR']);

/**
 * Applies `--change` lines to an image's runtime config, as Docker's builder-based change parser does for
 * the subset above. Anything else is Docker's "X is not a valid change command" (400).
 */
export function applyChanges(base: ImageRuntimeConfig, changes: readonly string[]): ImageRuntimeConfig {
  const cfg: ImageRuntimeConfig = structuredClone(base);
  for (const change of changes) {
    const line = change.trim();
    if (line === '') continue;
    const m = /^(\S+)\s*([\s\S]*)$/.exec(line);
    const instr = (m?.[1] ?? '').toUpperCase();
    const rest = (m?.[2] ?? '').trim();
    if (!ALLOWED.has(instr)) throw new InvalidArgumentError(`${m?.[1] ?? line} is not a valid change command`);
    switch (instr) {
      case 'CMD':
        cfg.Cmd = commandForm(rest);
        break;
      case 'ENTRYPOINT':
        cfg.Entrypoint = commandForm(rest);
        break;
      case 'ENV':
        for (const [k, v] of keyValues(rest, 'ENV')) {
          const env = (cfg.Env ?? []).filter((e) => e.split('=')[0] !== k);
          env.push(`${k}=${v}`);
          cfg.Env = env;
        }
        break;
      case 'LABEL':
        for (const [k, v] of keyValues(rest, 'LABEL')) cfg.Labels = { ...(cfg.Labels ?? {}), [k]: v };
        break;
      case 'EXPOSE':
        for (const port of words(rest)) {
          const spec = port.includes('/') ? port.toLowerCase() : `${port}/tcp`;
          if (!/^\d+(-\d+)?\/(tcp|udp|sctp)$/.test(spec)) throw new InvalidArgumentError(`invalid containerPort: ${port}`);
          cfg.ExposedPorts = { ...(cfg.ExposedPorts ?? {}), [spec]: {} };
        }
        break;
      case 'VOLUME': {
        const vols = rest.startsWith('[') ? jsonArray(rest, 'VOLUME') : words(rest);
        for (const v of vols) cfg.Volumes = { ...(cfg.Volumes ?? {}), [v]: {} };
        break;
      }
      case 'WORKDIR':
        cfg.WorkingDir = rest.startsWith('/') ? rest : `${cfg.WorkingDir ?? '/'}/${rest}`.replace(/\/+/g, '/');
        break;
      case 'USER':
        cfg.User = rest;
        break;
      case 'STOPSIGNAL':
        cfg.StopSignal = rest;
        break;
      case 'ONBUILD':
        cfg.OnBuild = [...(cfg.OnBuild ?? []), rest];
        break;
      case 'HEALTHCHECK':
        if (rest.toUpperCase() === 'NONE') cfg.Healthcheck = { Test: ['NONE'] };
        else {
          const cmd = /^CMD\s+([\s\S]+)$/i.exec(rest);
          if (!cmd) throw new InvalidArgumentError('HEALTHCHECK change must be NONE or CMD ...');
          const form = commandForm(cmd[1] ?? '');
          cfg.Healthcheck = { Test: rest.includes('[') ? ['CMD', ...form] : ['CMD-SHELL', cmd[1] ?? ''] };
        }
        break;
    }
  }
  return cfg;
}

function commandForm(rest: string): string[] {
  if (rest.startsWith('[')) {
    try {
      return jsonArray(rest, 'CMD');
    } catch {
      // Docker falls back to the shell form when the JSON form does not parse.
    }
  }
  return ['/bin/sh', '-c', rest];
}

function jsonArray(text: string, what: string): string[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) {
    throw new InvalidArgumentError(`${what} requires a JSON array of strings`);
  }
  return parsed as string[];
}

/** Splits on whitespace, honouring single and double quotes and backslash escapes. */
export function words(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw new InvalidArgumentError(`unmatched quote in "${text}"`);
  if (inWord) out.push(cur);
  return out;
}

/** `K=V K2="v 2"`, or the legacy single-pair form `K V with spaces`. */
function keyValues(rest: string, what: string): [string, string][] {
  const ws = words(rest);
  if (ws.length === 0) throw new InvalidArgumentError(`${what} requires at least one argument`);
  if (!ws[0]!.includes('=')) {
    const m = /^(\S+)\s+([\s\S]*)$/.exec(rest);
    if (!m) throw new InvalidArgumentError(`${what} requires at least two arguments`);
    return [[m[1]!, words(m[2]!).join(' ')]];
  }
  return ws.map((w) => {
    const i = w.indexOf('=');
    if (i === -1) throw new InvalidArgumentError(`Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    if (i === 0) throw new InvalidArgumentError(`${what} names can not be blank`);
    return [w.slice(0, i), w.slice(i + 1)];
  });
}
