import { InvalidArgumentError } from '../../core/errdefs.js';
import type { ImageConfig } from '../../core/images.js';
import { isDigest } from '../../pkg/digest.js';

const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

/**
 * Parses an image config from untrusted bytes into a typed value, checking the fields the engine relies on:
 * an archive's config can say anything.
 */
export function parseImageConfig(bytes: Buffer, where: string): ImageConfig {
  if (bytes.length > MAX_CONFIG_BYTES) throw new InvalidArgumentError(`invalid image config ${where}: too large`);
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new InvalidArgumentError(`invalid image config ${where}: ${(err as Error).message}`);
  }
  const bad = (why: string): never => {
    throw new InvalidArgumentError(`invalid image config ${where}: ${why}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('not a JSON object');
  const cfg = raw as Record<string, unknown>;
  const rootfs = cfg['rootfs'] as Record<string, unknown> | undefined;
  if (typeof rootfs !== 'object' || rootfs === null) return bad('missing rootfs');
  const diffIds = rootfs['diff_ids'] ?? [];
  if (!Array.isArray(diffIds) || !diffIds.every((d) => typeof d === 'string' && isDigest(d))) {
    return bad('rootfs.diff_ids must be a list of sha256 digests');
  }
  if (cfg['os'] !== undefined && typeof cfg['os'] !== 'string') bad('os must be a string');
  if (cfg['architecture'] !== undefined && typeof cfg['architecture'] !== 'string') bad('architecture must be a string');
  const runtime = cfg['config'];
  if (runtime !== undefined && runtime !== null && (typeof runtime !== 'object' || Array.isArray(runtime))) {
    bad('config must be an object');
  }
  if (cfg['history'] !== undefined && !Array.isArray(cfg['history'])) bad('history must be a list');
  return { ...cfg, os: (cfg['os'] as string | undefined) ?? 'linux', architecture: (cfg['architecture'] as string | undefined) ?? 'amd64', rootfs: { type: 'layers', diff_ids: diffIds } } satisfies ImageConfig;
}
