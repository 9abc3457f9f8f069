/**
 * Docker image references: parsing user input (`busybox`, `user/app:1.0`, `localhost:5000/a/b@sha256:…`) into a
 * normalised `{domain, path, tag, digest}` and printing it back in the forms Docker prints.
 *
 * The grammar is distribution/reference's (reference := name [":" tag] ["@" digest]); the normalisation is Docker's
 * `ParseNormalizedNamed`: a bare name lives on Docker Hub under `library/`, and the first path component is a
 * registry only when it looks like one (contains `.` or `:`, is `localhost`, or has uppercase letters, which a Hub
 * namespace never has). Error messages keep Docker's words because users' scripts match on them.
 */
import { InvalidArgumentError } from '../core/errdefs.js';
import type { Digest } from './digest.js';

/** A parsed, normalised image reference. Plain data, so it can cross layers and be stored. */
export interface ImageReference {
  /** Registry host with optional port, never empty: `docker.io`, `localhost:5000`, `[::1]:5000`. */
  readonly domain: string;
  /** Repository path inside the registry: `library/busybox`, `user/app`. */
  readonly path: string;
  readonly tag?: string;
  readonly digest?: Digest;
}

/** A reference that certainly carries a tag (what `docker tag` and `import ?repo=&tag=` produce). */
export type TaggedReference = ImageReference & { readonly tag: string };

export const DEFAULT_DOMAIN = 'docker.io';
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
export const OFFICIAL_REPO_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
/** distribution/reference's NameTotalLengthMax, counted over `domain/path` as Docker 24 (API 1.43) does. */
export const NAME_TOTAL_LENGTH_MAX = 255;

// The grammar, piece by piece, as in distribution/reference regexp.go.
const ALPHANUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const DOMAIN_NAME_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_NAME_COMPONENT}(?:\\.${DOMAIN_NAME_COMPONENT})*`;
const IPV6_ADDRESS = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN_AND_PORT = `(?:${DOMAIN_NAME}|${IPV6_ADDRESS})(?::[0-9]+)?`;
const NAME = `(?:${DOMAIN_AND_PORT}/)?${REMOTE_NAME}`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';

const REFERENCE_RE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_NAME_RE = new RegExp(`^(?:(${DOMAIN_AND_PORT})/)?(${REMOTE_NAME})$`);
const ANCHORED_TAG_RE = new RegExp(`^${TAG}$`);
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;
const SHA256_HEX_RE = /^[a-f0-9]{64}$/;
const ID_PREFIX_RE = /^(sha256:)?[a-f0-9]{1,64}$/;

// A real reference is at most 255 (name) + 129 (tag) + a digest; this bound only keeps a hostile API argument from
// making the backtracking regex work hard. Go's RE2 is linear, so Docker needs no such guard.
const MAX_INPUT_LENGTH = 4096;

const invalidFormat = (): InvalidArgumentError => new InvalidArgumentError('invalid reference format');

/**
 * Parses user input the way `docker pull`/`docker run` and the daemon do (distribution/reference ParseNormalizedNamed).
 * `busybox` → `{domain: 'docker.io', path: 'library/busybox'}` (no tag: add one with `withDefaultTag`).
 * Throws InvalidArgumentError with Docker's message.
 */
export function parseReference(s: string): ImageReference {
  if (IDENTIFIER_RE.test(s)) {
    throw new InvalidArgumentError(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  if (s.length > MAX_INPUT_LENGTH) throw invalidFormat();
  const [domain, remainder] = splitDockerDomain(s);
  // Docker checks case on everything before the first ':' of the remainder, digest included when there is no tag
  // (`Busybox@sha256:…` is reported as `library/Busybox@sha256`).
  const colon = remainder.indexOf(':');
  const remote = colon === -1 ? remainder : remainder.slice(0, colon);
  if (remote.toLowerCase() !== remote) {
    throw new InvalidArgumentError(`invalid reference format: repository name (${remote}) must be lowercase`);
  }
  return parseCanonical(`${domain}/${remainder}`);
}

/** Like `parseReference`, but never throws: undefined for anything Docker would refuse. */
export function tryParseReference(s: string): ImageReference | undefined {
  try {
    return parseReference(s);
  } catch {
    return undefined;
  }
}

/**
 * Docker's ParseAnyReference: a 64-hex string or `sha256:<64 hex>` is an image ID (returned as a Digest); anything
 * else is parsed as a reference. `sha256:abc` (short hex) is the reference `docker.io/library/sha256:abc`, as in Docker.
 */
export function parseAnyReference(s: string): ImageReference | Digest {
  if (IDENTIFIER_RE.test(s)) return `sha256:${s}`;
  const hex = s.slice('sha256:'.length);
  if (s.startsWith('sha256:') && SHA256_HEX_RE.test(hex)) return `sha256:${hex}`;
  return parseReference(s);
}

/**
 * Whether `s` could name an object by (a prefix of) its ID: `/^(sha256:)?[a-f0-9]{1,64}$/`. Stores try prefix
 * matching only for such strings, and only after the name/reference lookup failed (`docker rmi abc` first means
 * `abc:latest`), as Docker does.
 */
export function looksLikeIdPrefix(s: string): boolean {
  return ID_PREFIX_RE.test(s);
}

/** Whether `tag` satisfies Docker's tag grammar `[\w][\w.-]{0,127}`. */
export function isValidTag(tag: string): boolean {
  return ANCHORED_TAG_RE.test(tag);
}

/** Replaces the tag (keeping any digest), as distribution/reference WithTag; throws `invalid tag format`. */
export function withTag(ref: ImageReference, tag: string): TaggedReference {
  if (!isValidTag(tag)) throw new InvalidArgumentError('invalid tag format');
  return { ...ref, tag };
}

/** Adds the `latest` tag when the reference has neither tag nor digest (distribution/reference TagNameOnly). */
export function withDefaultTag(ref: ImageReference): ImageReference {
  if (ref.tag !== undefined || ref.digest !== undefined) return ref;
  return { ...ref, tag: DEFAULT_TAG };
}

/**
 * Docker's ParseDockerRef on an already parsed reference: a reference with both tag and digest keeps only the
 * digest; a bare name gets `latest`. This is the form images are stored and pulled under.
 */
export function toDockerRef(ref: ImageReference): ImageReference {
  if (ref.tag !== undefined && ref.digest !== undefined) return { domain: ref.domain, path: ref.path, digest: ref.digest };
  return withDefaultTag(ref);
}

/** The repository without tag or digest. */
export function trimReference(ref: ImageReference): ImageReference {
  return { domain: ref.domain, path: ref.path };
}

/** `docker.io/library/busybox`. */
export function fullName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** `docker.io/library/busybox:latest`, `docker.io/library/busybox:1@sha256:…` (tag and digest as present). */
export function normalizedString(ref: ImageReference): string {
  return fullName(ref) + suffix(ref);
}

/** The name as Docker shows it: `busybox`, `user/app`, `library/a/b`, `localhost:5000/app`, `quay.io/x/y`. */
export function familiarName(ref: ImageReference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return fullName(ref);
  if (ref.path.startsWith(OFFICIAL_REPO_PREFIX)) {
    const rest = ref.path.slice(OFFICIAL_REPO_PREFIX.length);
    // Only one level: `library/a/b` stays as it is (distribution/reference familiarizeName).
    if (!rest.includes('/')) return rest;
  }
  return ref.path;
}

/** `busybox:latest`, `busybox@sha256:…`, `user/app:1@sha256:…`; a bare `busybox` when neither is present. */
export function familiarString(ref: ImageReference): string {
  return familiarName(ref) + suffix(ref);
}

/** Whether two references denote the same repository, tag and digest. */
export function referenceEquals(a: ImageReference, b: ImageReference): boolean {
  return a.domain === b.domain && a.path === b.path && a.tag === b.tag && a.digest === b.digest;
}

/**
 * Docker's `POST /images/{name}/tag?repo=&tag=` and `POST /images/create?fromSrc=…&repo=&tag=` rule (httputils
 * RepoTagReference): a repo with a digest is refused (`cannot import digest reference`, Docker's words even for
 * `docker tag`); an explicit tag replaces the repo's own; otherwise `latest` unless the repo carries a tag.
 * Docker treats an empty repo as "no reference at all"; that choice is the caller's, so '' here is simply an
 * invalid reference.
 */
export function parseRepositoryTag(repo: string, tag?: string): TaggedReference {
  const ref = parseReference(repo);
  if (ref.digest !== undefined) throw new InvalidArgumentError('cannot import digest reference');
  if (tag !== undefined && tag !== '') return withTag(ref, tag);
  return { ...ref, tag: ref.tag ?? DEFAULT_TAG };
}

/**
 * The `reference=` filter of `docker images` (distribution/reference FamiliarMatch): Go's path.Match against the
 * familiar string (`busybox:latest`) and, failing that, the familiar name (`busybox`). So `busy*`, `busybox:lat*`
 * and `<star>/app` match; a star never crosses a `/`. A malformed pattern throws `syntax error in pattern`.
 */
export function matchReferenceFilter(pattern: string, ref: ImageReference): boolean {
  const matcher = compileGoPathPattern(pattern);
  return matcher(familiarString(ref)) || matcher(familiarName(ref));
}

function suffix(ref: ImageReference): string {
  return (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** distribution/reference splitDockerDomain: which part of `name` is a registry, with Hub normalisation. */
function splitDockerDomain(name: string): [domain: string, remainder: string] {
  const slash = name.indexOf('/');
  if (slash === -1) return [DEFAULT_DOMAIN, OFFICIAL_REPO_PREFIX + name];
  const first = name.slice(0, slash);
  let domain: string;
  let remainder: string;
  if (first === 'localhost' || /[.:]/.test(first) || first.toLowerCase() !== first) {
    // An uppercase first component is taken as a registry because a Hub namespace cannot be uppercase
    // (`Foo/bar` is domain `Foo`, path `bar`), exactly as Docker does.
    [domain, remainder] = [first, name.slice(slash + 1)];
  } else {
    [domain, remainder] = [DEFAULT_DOMAIN, name];
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return [domain, remainder];
}

/** distribution/reference Parse on the fully qualified `domain/remainder` string. */
function parseCanonical(s: string): ImageReference {
  const m = REFERENCE_RE.exec(s);
  if (m === null) {
    const lower = s.toLowerCase();
    if (lower !== s && REFERENCE_RE.test(lower)) throw new InvalidArgumentError('repository name must be lowercase');
    throw invalidFormat();
  }
  const [, name = '', tag, digest] = m;
  const nm = ANCHORED_NAME_RE.exec(name);
  // The whole name can also match the path grammar alone (`a_b.com/x`: `a_b.com` is a valid path component but not
  // a valid host). Docker then yields a reference with an empty domain that no registry can serve; refuse it here.
  if (nm === null || nm[1] === undefined || nm[2] === undefined) throw invalidFormat();
  if (name.length > NAME_TOTAL_LENGTH_MAX) {
    throw new InvalidArgumentError(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  const ref: { domain: string; path: string; tag?: string; digest?: Digest } = { domain: nm[1], path: nm[2] };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = parseReferenceDigest(digest);
  return ref;
}

/** go-digest's Parse/Validate for the digest part; berth knows sha256 only (Docker also knows sha384/sha512). */
function parseReferenceDigest(d: string): Digest {
  const colon = d.indexOf(':');
  const algorithm = d.slice(0, colon);
  const encoded = d.slice(colon + 1);
  if (algorithm !== 'sha256') throw new InvalidArgumentError('unsupported digest algorithm');
  if (encoded.length !== 64) throw new InvalidArgumentError('invalid checksum digest length');
  if (!SHA256_HEX_RE.test(encoded)) throw new InvalidArgumentError('invalid checksum digest format');
  return `sha256:${encoded}`;
}

// ---- Go's path.Match ----

type PatternItem =
  | { kind: 'star' }
  | { kind: 'any' }
  | { kind: 'literal'; ch: string }
  | { kind: 'class'; negated: boolean; ranges: Array<[lo: string, hi: string]> };

const badPattern = (): InvalidArgumentError => new InvalidArgumentError('syntax error in pattern');

/**
 * Compiles a Go path.Match pattern: `*` (any run of non-`/`), `?` (one non-`/`), `[a-z]`, `[^…]`, `\x`.
 * The whole pattern is checked up front, so a malformed one always throws (Go reports it on most, not all, paths).
 */
export function compileGoPathPattern(pattern: string): (name: string) => boolean {
  const items: PatternItem[] = [];
  const chars = Array.from(pattern);
  let i = 0;
  const escaped = (): string => {
    // getEsc: `-` and `]` must be escaped inside a class; `\` takes the next character.
    let c = chars[i];
    if (c === undefined || c === '-' || c === ']') throw badPattern();
    if (c === '\\') {
      i++;
      c = chars[i];
      if (c === undefined) throw badPattern();
    }
    i++;
    return c;
  };
  while (i < chars.length) {
    const c = chars[i] as string;
    if (c === '*') {
      items.push({ kind: 'star' });
      i++;
    } else if (c === '?') {
      items.push({ kind: 'any' });
      i++;
    } else if (c === '\\') {
      const next = chars[i + 1];
      if (next === undefined) throw badPattern();
      items.push({ kind: 'literal', ch: next });
      i += 2;
    } else if (c === '[') {
      i++;
      let negated = false;
      if (chars[i] === '^') {
        negated = true;
        i++;
      }
      const ranges: Array<[string, string]> = [];
      for (;;) {
        if (chars[i] === ']' && ranges.length > 0) {
          i++;
          break;
        }
        const lo = escaped();
        let hi = lo;
        if (chars[i] === '-') {
          i++;
          hi = escaped();
        }
        // A reversed range is not an error in Go; it simply matches nothing.
        ranges.push([lo, hi]);
      }
      items.push({ kind: 'class', negated, ranges });
    } else {
      items.push({ kind: 'literal', ch: c });
      i++;
    }
  }
  return (name) => matchItems(items, Array.from(name));
}

/** Backtracking matcher; failed (item, position) states are remembered, so a pattern of many stars stays polynomial. */
function matchItems(items: PatternItem[], name: string[]): boolean {
  const failed = new Set<number>();
  const width = name.length + 1;
  const from = (pi: number, ni: number): boolean => {
    const start = pi * width + ni;
    if (failed.has(start)) return false;
    for (; pi < items.length; pi++, ni++) {
      const item = items[pi] as PatternItem;
      if (item.kind === 'star') {
        // Try every split point that does not cross a '/'.
        for (let k = ni; ; k++) {
          if (from(pi + 1, k)) return true;
          if (k >= name.length || name[k] === '/') break;
        }
        failed.add(start);
        return false;
      }
      const ch = name[ni];
      let ok: boolean;
      if (ch === undefined) ok = false;
      else if (item.kind === 'literal') ok = ch === item.ch;
      else if (item.kind === 'any') ok = ch !== '/';
      else {
        // Unlike `?` and `*`, a class may match '/' in Go's path.Match.
        const cp = ch.codePointAt(0) as number;
        const inClass = item.ranges.some(
          ([lo, hi]) => (lo.codePointAt(0) as number) <= cp && cp <= (hi.codePointAt(0) as number),
        );
        ok = inClass !== item.negated;
      }
      if (!ok) {
        failed.add(start);
        return false;
      }
    }
    if (ni === name.length) return true;
    failed.add(start);
    return false;
  };
  return from(0, 0);
}
