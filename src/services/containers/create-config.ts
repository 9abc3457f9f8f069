import { InvalidArgumentError } from '../../core/errdefs.js';
import type { ContainerConfig, HostConfig } from '../../core/containers.js';
import type { ImageRuntimeConfig } from '../../core/images.js';
import { parseHostConfig, readHostLimits, type HostConfigOptions } from './host-config.js';

export interface CreateBody {
  config: ContainerConfig;
  hostConfig: HostConfig;
  /** Docker's create warnings (settings the kernel cannot honour, discarded). */
  warnings: string[];
}

/**
 * Validates a `POST /containers/create` body into typed config and host config. The body is untrusted: every
 * field the engine uses is type-checked, and options berth cannot honour yet are refused by name instead of
 * being silently ignored. `opts` carries the host facts and daemon defaults the HostConfig checks depend on
 * (this host's, read once, when not given).
 */
export function parseCreateBody(raw: unknown, opts: Partial<HostConfigOptions> = {}): CreateBody {
  if (raw === undefined || raw === null) throw new InvalidArgumentError('Config cannot be empty in order to create a container');
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidArgumentError('invalid container config: not a JSON object');
  const body = { ...(raw as Record<string, unknown>) };
  const hostRaw = body['HostConfig'] ?? {};
  delete body['HostConfig'];
  delete body['NetworkingConfig'];
  const config = body as ContainerConfig;

  for (const key of ['Hostname', 'Domainname', 'User', 'Image', 'WorkingDir', 'StopSignal'] as const) {
    const v = config[key];
    if (v !== undefined && v !== null && typeof v !== 'string') throw new InvalidArgumentError(`invalid ${key}: must be a string`);
  }
  for (const key of ['Tty', 'OpenStdin', 'StdinOnce', 'AttachStdin', 'AttachStdout', 'AttachStderr'] as const) {
    const v = config[key];
    if (v !== undefined && v !== null && typeof v !== 'boolean') throw new InvalidArgumentError(`invalid ${key}: must be a boolean`);
  }
  config.Env = stringList(config.Env, 'Env');
  config.Cmd = strSlice(config.Cmd, 'Cmd');
  config.Entrypoint = strSlice(config.Entrypoint, 'Entrypoint');
  config.Labels = stringMap(config.Labels, 'Labels');
  for (const e of config.Env ?? []) {
    if (e.startsWith('=') || e === '') throw new InvalidArgumentError(`invalid environment variable: ${e}`);
  }
  if (config.WorkingDir && !config.WorkingDir.startsWith('/')) {
    throw new InvalidArgumentError(`the working directory '${config.WorkingDir}' is invalid, it needs to be an absolute path`);
  }
  if (config.StopTimeout !== undefined && config.StopTimeout !== null && !Number.isInteger(config.StopTimeout)) {
    throw new InvalidArgumentError('invalid StopTimeout: must be an integer');
  }
  if (config.Healthcheck === null) delete config.Healthcheck;
  else if (config.Healthcheck !== undefined) config.Healthcheck = parseHealthcheck(config.Healthcheck);

  const { hostConfig, warnings } = parseHostConfig(hostRaw, { limits: opts.limits ?? readHostLimits(), ...withoutLimits(opts) });
  return { config, hostConfig, warnings };
}

function withoutLimits(opts: Partial<HostConfigOptions>): Omit<HostConfigOptions, 'limits'> {
  const { limits: _limits, ...rest } = opts;
  return rest;
}

/** A health check as the API carries it: durations in nanoseconds. */
export interface HealthConfig {
  Test?: string[] | null;
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** Docker's shortest probe interval, timeout and start period (container.MinimumDuration): 1ms. */
const MIN_HEALTH_DURATION_NS = 1_000_000;

/** Type checks and Docker's validateHealthCheck. */
export function parseHealthcheck(raw: unknown): HealthConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidArgumentError('invalid Healthcheck: must be an object');
  const hc = { ...(raw as Record<string, unknown>) };
  const test = hc['Test'];
  if (test !== undefined && test !== null && !(Array.isArray(test) && test.every((x) => typeof x === 'string'))) {
    throw new InvalidArgumentError('invalid Healthcheck.Test: must be a list of strings');
  }
  for (const key of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries']) {
    const v = hc[key];
    if (v === undefined) continue;
    if (v === null) hc[key] = 0;
    else if (!Number.isSafeInteger(v)) throw new InvalidArgumentError(`invalid Healthcheck.${key}: must be an integer`);
  }
  const short = (key: string): boolean => {
    const v = (hc[key] as number | undefined) ?? 0;
    return v !== 0 && v < MIN_HEALTH_DURATION_NS;
  };
  if (short('Interval')) throw new InvalidArgumentError('Interval in Healthcheck cannot be less than 1ms');
  if (short('Timeout')) throw new InvalidArgumentError('Timeout in Healthcheck cannot be less than 1ms');
  if (((hc['Retries'] as number | undefined) ?? 0) < 0) throw new InvalidArgumentError('Retries in Healthcheck cannot be negative');
  if (short('StartPeriod')) throw new InvalidArgumentError('StartPeriod in Healthcheck cannot be less than 1ms');
  if (short('StartInterval')) throw new InvalidArgumentError('StartInterval in Healthcheck cannot be less than 1ms');
  return hc as HealthConfig;
}

function stringList(v: unknown, what: string): string[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new InvalidArgumentError(`invalid ${what}: must be a list of strings`);
  return v as string[];
}

/** Docker's StrSlice: a JSON string or a list of strings. */
function strSlice(v: unknown, what: string): string[] | null {
  if (typeof v === 'string') return [v];
  return stringList(v, what);
}

function stringMap(v: unknown, what: string): Record<string, string> | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string')) {
    throw new InvalidArgumentError(`invalid ${what}: must be a map of strings`);
  }
  return v as Record<string, string>;
}

/**
 * Docker's merge of the create config with the image's (daemon/create.go merge): user values win; env and
 * labels are merged key by key; the image's Cmd is used only when the user gave neither Entrypoint nor Cmd,
 * and an explicit Entrypoint drops the image's Cmd.
 */
export function mergeImageConfig(user: ContainerConfig, image: ImageRuntimeConfig | undefined): ContainerConfig {
  const img = image ?? {};
  const out: ContainerConfig = { ...user };
  if (!out.User) out.User = img.User ?? '';
  if (out.Env === null || out.Env === undefined || out.Env.length === 0) {
    out.Env = img.Env ?? [];
  } else {
    const keys = new Set(out.Env.map(envKey));
    out.Env = [...(img.Env ?? []).filter((e) => !keys.has(envKey(e))), ...out.Env];
  }
  const entrypointGiven = out.Entrypoint !== null && out.Entrypoint !== undefined;
  // `--entrypoint ""` arrives as [""]: it clears the image's entrypoint.
  if (entrypointGiven && out.Entrypoint!.length === 1 && out.Entrypoint![0] === '') out.Entrypoint = [];
  if (!entrypointGiven || out.Entrypoint!.length === 0) {
    if (out.Cmd === null || out.Cmd === undefined || out.Cmd.length === 0) out.Cmd = img.Cmd ?? null;
    if (!entrypointGiven) out.Entrypoint = img.Entrypoint ?? null;
  }
  if (out.Entrypoint !== null && out.Entrypoint !== undefined && out.Entrypoint.length === 0) out.Entrypoint = null;
  if (!out.WorkingDir) out.WorkingDir = img.WorkingDir ?? '';
  if (!out.StopSignal && img.StopSignal) out.StopSignal = img.StopSignal;
  if (img.ExposedPorts) out.ExposedPorts = { ...img.ExposedPorts, ...(out.ExposedPorts ?? {}) };
  if (img.Volumes) out.Volumes = { ...img.Volumes, ...(out.Volumes ?? {}) };
  if (img.Labels) out.Labels = { ...img.Labels, ...(out.Labels ?? {}) };
  if (img.Healthcheck && !out.Healthcheck) out.Healthcheck = img.Healthcheck;
  if (img.OnBuild && !out.OnBuild) out.OnBuild = img.OnBuild;
  return out;
}

function envKey(e: string): string {
  const i = e.indexOf('=');
  return i === -1 ? e : e.slice(0, i);
}

/** The process to run: entrypoint followed by cmd. Neither → Docker's "No command specified" (400). */
export function processArgs(config: ContainerConfig): { path: string; args: string[] } {
  const argv = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  if (argv.length === 0) throw new InvalidArgumentError('No command specified');
  return { path: argv[0]!, args: argv.slice(1) };
}
