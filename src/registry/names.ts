/**
 * What the distribution API accepts in a URL: repository names (distribution/reference's path grammar, without a
 * domain), tags, and digests of the algorithms the registry can verify. Names become directories under the
 * storage root, so this grammar is also what keeps a request from naming a path outside it: every component
 * starts and ends with [a-z0-9], so `.`, `..` and the `_layers`-style bookkeeping names can never appear.
 */
import { createHash, type Hash } from 'node:crypto';

const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const NAME_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG_RE = /^[\w][\w.-]{0,127}$/;
/** distribution's NameTotalLengthMax. */
export const NAME_MAX_LENGTH = 255;

export function isRepositoryName(name: string): boolean {
  return name.length <= NAME_MAX_LENGTH && NAME_RE.test(name);
}

export function isTag(s: string): boolean {
  return TAG_RE.test(s);
}

/** The digest algorithms the registry verifies, with the length of their hex encoding. */
const ALGORITHMS = { sha256: 64, sha384: 96, sha512: 128 } as const;
export type DigestAlgorithm = keyof typeof ALGORITHMS;

/** A verified-shape digest: `<algorithm>:<lowercase hex>`. */
export interface BlobDigest {
  readonly algorithm: DigestAlgorithm;
  readonly hex: string;
  /** The canonical `algorithm:hex` string. */
  readonly value: string;
}

/** Parses a digest from a URL or a manifest; undefined for anything malformed or of an algorithm we cannot check. */
export function parseBlobDigest(s: string): BlobDigest | undefined {
  const colon = s.indexOf(':');
  if (colon === -1) return undefined;
  const algorithm = s.slice(0, colon);
  const hex = s.slice(colon + 1);
  if (!Object.hasOwn(ALGORITHMS, algorithm)) return undefined;
  const alg = algorithm as DigestAlgorithm;
  if (hex.length !== ALGORITHMS[alg] || !/^[a-f0-9]+$/.test(hex)) return undefined;
  return { algorithm: alg, hex, value: s };
}

/** A digest shaped like one but of an algorithm we do not support, for a precise error detail. */
export function looksLikeDigest(s: string): boolean {
  return /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(s);
}

export function newHash(algorithm: DigestAlgorithm): Hash {
  return createHash(algorithm);
}

export function digestOf(data: Uint8Array, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}
