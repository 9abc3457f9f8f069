/**
 * The client-side half of distribution/reference: parse a user's image reference, normalise it (`busybox` →
 * `docker.io/library/busybox`) and print it back in familiar form. The CLI needs it for display (`ps` IMAGE column,
 * `images` REPOSITORY/TAG split) and for the checks docker makes before calling the daemon (`tag`, `import`).
 */

const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const REFERENCE_RE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_ID_RE = /^[a-f0-9]{64}$/;

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';

export class ReferenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReferenceError';
  }
}

export interface NormalizedReference {
  /** `docker.io` */
  domain: string;
  /** `library/busybox` */
  path: string;
  tag: string | undefined;
  digest: string | undefined;
}

function splitDockerDomain(name: string): [string, string] {
  const i = name.indexOf('/');
  let domain: string;
  let remainder: string;
  if (i === -1 || (!/[.:]/.test(name.slice(0, i)) && name.slice(0, i) !== 'localhost' && name.slice(0, i).toLowerCase() === name.slice(0, i))) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = name.slice(0, i);
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return [domain, remainder];
}

/** `reference.ParseNormalizedNamed`, with its error messages. */
export function parseNormalizedNamed(s: string): NormalizedReference {
  if (ANCHORED_ID_RE.test(s)) {
    throw new ReferenceError(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  // Split off tag/digest to normalise the name part first, as the Go code does.
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
  }
  const [domain, remainder] = splitDockerDomain(rest);
  if (remainder.toLowerCase() !== remainder) {
    throw new ReferenceError(`invalid reference format: repository name (${remainder}) must be lowercase`);
  }
  const full = `${domain}/${remainder}${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`;
  const m = REFERENCE_RE.exec(full);
  if (!m) throw new ReferenceError('invalid reference format');
  if (m[1]!.length > 255) throw new ReferenceError('repository name must not be more than 255 characters');
  return { domain, path: remainder, tag: m[2], digest: m[3] };
}

/** Whether `s` parses as a reference (used where docker falls back to showing the raw string). */
export function tryParseNormalizedNamed(s: string): NormalizedReference | undefined {
  try {
    return parseNormalizedNamed(s);
  } catch {
    return undefined;
  }
}

/** `reference.FamiliarName`: `busybox`, `user/app`, `ghcr.io/x/y`. */
export function familiarName(ref: NormalizedReference): string {
  if (ref.domain === DEFAULT_DOMAIN) {
    return ref.path.startsWith(OFFICIAL_REPO_PREFIX) && ref.path.split('/').length === 2 ? ref.path.slice(OFFICIAL_REPO_PREFIX.length) : ref.path;
  }
  return `${ref.domain}/${ref.path}`;
}

/** `reference.FamiliarString`: familiar name plus tag and digest. */
export function familiarString(ref: NormalizedReference): string {
  return `${familiarName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** `reference.TagNameOnly`: add `:latest` when there is neither tag nor digest. */
export function tagNameOnly(ref: NormalizedReference): NormalizedReference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: 'latest' } : ref;
}
