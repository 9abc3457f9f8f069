/**
 * Docker's `filters` query parameter (api/types/filters): a JSON map from a filter name to a set of values, sent as
 * `{"status":{"running":true}}` or, by old clients (API < 1.22), as `{"status":["running"]}`. The CLI builds it
 * from repeated `--filter key=value` flags.
 *
 * The matching helpers keep Docker's semantics, including the one that surprises: most of them answer true when
 * the key is absent, because they ask "does this object pass the filter", not "is this value listed".
 */
import { InvalidArgumentError } from '../core/errdefs.js';

/** A set of values per filter key. Keys and values keep insertion order. */
export class Filters {
  readonly #fields = new Map<string, Set<string>>();

  /** Every key given is present, even with no values (Docker keeps `{"a":{}}` as a present key). */
  constructor(entries?: Iterable<readonly [key: string, values: Iterable<string>]>) {
    if (entries === undefined) return;
    for (const [key, values] of entries) {
      const set = this.#set(key);
      for (const v of values) set.add(v);
    }
  }

  /** Builds filters from a plain record: `{ label: ['a=b'], dangling: 'true' }`; undefined values are skipped. */
  static from(record: Readonly<Record<string, readonly string[] | string | undefined>>): Filters {
    const entries: Array<[string, readonly string[]]> = [];
    for (const [key, value] of Object.entries(record)) {
      if (value !== undefined) entries.push([key, typeof value === 'string' ? [value] : value]);
    }
    return new Filters(entries);
  }

  /** Number of keys. */
  get size(): number {
    return this.#fields.size;
  }

  keys(): string[] {
    return [...this.#fields.keys()];
  }

  /** Adds a value to a key's set; returns this for chaining. */
  add(key: string, value: string): this {
    this.#set(key).add(value);
    return this;
  }

  /** Removes one value; the key goes when its last value does (Docker's Del). */
  delete(key: string, value: string): void {
    const set = this.#fields.get(key);
    if (set === undefined) return;
    set.delete(value);
    if (set.size === 0) this.#fields.delete(key);
  }

  /** The values of a key, empty when absent. */
  get(key: string): string[] {
    return [...(this.#fields.get(key) ?? [])];
  }

  /** Whether the key is present (even with no values): Docker's Contains. */
  has(key: string): boolean {
    return this.#fields.has(key);
  }

  /** Whether `value` is one of the key's values. False when the key is absent. */
  contains(key: string, value: string): boolean {
    return this.#fields.get(key)?.has(value) ?? false;
  }

  /** Throws `invalid filter 'name'` (Docker's words, a 400) for the first key not in `accepted`. */
  validate(accepted: Iterable<string>): void {
    const allowed = new Set(accepted);
    for (const key of this.#fields.keys()) {
      if (!allowed.has(key)) throw new InvalidArgumentError(`invalid filter '${key}'`);
    }
  }

  /**
   * Exact match (Docker's ExactMatch): true when the key is absent or has no values, else whether `value` is one of
   * them.
   */
  match(key: string, value: string): boolean {
    const set = this.#fields.get(key);
    if (set === undefined || set.size === 0) return true;
    return set.has(value);
  }

  /** Docker's UniqueExactMatch: true when the key is absent; otherwise it must hold exactly one value, equal to `value`. */
  uniqueExactMatch(key: string, value: string): boolean {
    const set = this.#fields.get(key);
    if (set === undefined || set.size === 0) return true;
    return set.size === 1 && set.has(value);
  }

  /** Docker's FuzzyMatch: `match`, or one of the values is a prefix of `value` (IDs: `id=abc` matches `abcdef…`). */
  fuzzyMatch(key: string, value: string): boolean {
    if (this.match(key, value)) return true;
    for (const prefix of this.#fields.get(key) ?? []) if (value.startsWith(prefix)) return true;
    return false;
  }

  /**
   * Docker's Match: `match`, or one of the values, taken as an unanchored regular expression, matches `value`.
   * Docker uses it for the container `name` filter (`name=web` matches `my-web-1`); invalid expressions are skipped.
   */
  regexMatch(key: string, value: string): boolean {
    if (this.match(key, value)) return true;
    for (const pattern of this.#fields.get(key) ?? []) {
      let re: RegExp;
      try {
        re = new RegExp(pattern);
      } catch {
        continue;
      }
      if (re.test(value)) return true;
    }
    return false;
  }

  /**
   * Docker's MatchKVList for `label=k` / `label=k=v`: true when the key is absent or empty; otherwise every value must
   * hold: `k` requires the label to exist, `k=v` requires it to equal `v` (split at the first `=`).
   */
  matchKVList(key: string, labels: Readonly<Record<string, string>> | ReadonlyMap<string, string> | undefined): boolean {
    const set = this.#fields.get(key);
    if (set === undefined || set.size === 0) return true;
    const lookup = toLookup(labels);
    for (const entry of set) {
      const eq = entry.indexOf('=');
      const k = eq === -1 ? entry : entry.slice(0, eq);
      const actual = lookup(k);
      if (actual === undefined) return false;
      if (eq !== -1 && actual !== entry.slice(eq + 1)) return false;
    }
    return true;
  }

  /**
   * The prune filters' label rule (Docker's matchLabels in daemon/prune): `label=…` must all match, and an object
   * whose labels match all the `label!=…` entries (the key `label!`) is excluded.
   */
  matchLabels(labels: Readonly<Record<string, string>> | ReadonlyMap<string, string> | undefined): boolean {
    if (!this.matchKVList('label', labels)) return false;
    if (this.has('label!') && this.matchKVList('label!', labels)) return false;
    return true;
  }

  /**
   * Docker's GetBoolOrDefault: `defaultValue` when the key is absent; true for `1`/`true`, false for `0`/`false`;
   * throws `invalid filter 'key=[values]'` when the values are missing, unrecognised or contradictory.
   */
  getBool(key: string, defaultValue: boolean): boolean {
    const set = this.#fields.get(key);
    if (set === undefined) return defaultValue;
    if (set.size === 0) throw new InvalidArgumentError(`invalid filter '${key}'`);
    const isFalse = set.has('0') || set.has('false');
    const isTrue = set.has('1') || set.has('true');
    if (isFalse === isTrue) throw new InvalidArgumentError(`invalid filter '${key}=[${[...set].join(' ')}]'`);
    return isTrue;
  }

  /** The modern wire form `{"key":{"value":true}}`. */
  toJSON(): Record<string, Record<string, true>> {
    const out: Record<string, Record<string, true>> = {};
    for (const [key, set] of this.#fields) {
      const values: Record<string, true> = {};
      for (const v of set) values[v] = true;
      out[key] = values;
    }
    return out;
  }

  #set(key: string): Set<string> {
    let set = this.#fields.get(key);
    if (set === undefined) {
      set = new Set();
      this.#fields.set(key, set);
    }
    return set;
  }
}

function toLookup(
  labels: Readonly<Record<string, string>> | ReadonlyMap<string, string> | undefined,
): (k: string) => string | undefined {
  if (labels === undefined) return () => undefined;
  if (labels instanceof Map) return (k) => (labels as ReadonlyMap<string, string>).get(k);
  const record = labels as Readonly<Record<string, string>>;
  return (k) => (Object.hasOwn(record, k) ? record[k] : undefined);
}

/**
 * Parses the `filters` query parameter (Docker's FromJSON). Empty or absent → no filters. Accepts the map-of-sets
 * form and the legacy map-of-arrays form, but not a mixture (as Docker). Anything else is `invalid filter` (400).
 * Docker keeps a value mapped to `false` as present-but-unmatched; berth drops it, which no client can tell apart.
 */
export function parseFilters(json: string | null | undefined): Filters {
  if (json === undefined || json === null || json === '') return new Filters();
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new InvalidArgumentError('invalid filter', { cause: err });
  }
  // Go decodes `null` into a map as "nothing": no filters.
  if (raw === null) return new Filters();
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidArgumentError('invalid filter');
  const entries = Object.entries(raw);
  // First the modern form, then the legacy one; each must fit every key. A key with no values stays present.
  if (entries.every(([, v]) => v === null || isBoolMap(v))) {
    return new Filters(
      entries.map(([key, values]) => [
        key,
        Object.entries((values ?? {}) as Record<string, boolean | null>)
          .filter(([, on]) => on === true)
          .map(([v]) => v),
      ]),
    );
  }
  if (entries.every(([, v]) => v === null || isStringList(v))) {
    // Go decodes a null element into a string as "".
    return new Filters(entries.map(([key, values]) => [key, ((values ?? []) as Array<string | null>).map((v) => v ?? '')]));
  }
  throw new InvalidArgumentError('invalid filter');
}

function isBoolMap(v: unknown): boolean {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((b) => b === null || typeof b === 'boolean')
  );
}

function isStringList(v: unknown): boolean {
  return Array.isArray(v) && v.every((s) => s === null || typeof s === 'string');
}

/**
 * Encodes filters for the `filters` query parameter, in the modern form. Returns '' when there are none, like
 * Docker's ToJSON; the client then leaves the parameter out.
 */
export function encodeFilters(filters: Filters | Readonly<Record<string, readonly string[] | string | undefined>>): string {
  const f = filters instanceof Filters ? filters : Filters.from(filters);
  if (f.size === 0) return '';
  return JSON.stringify(f.toJSON());
}

/**
 * Parses one CLI `--filter` argument the way the docker CLI does: split at the first `=`, key trimmed and lowercased,
 * value trimmed. `label=a=b` → `['label', 'a=b']`; `label!=a` → `['label!', 'a']`.
 */
export function parseFilterFlag(arg: string): [key: string, value: string] {
  const eq = arg.indexOf('=');
  if (eq === -1) throw new InvalidArgumentError('bad format of filter (expected name=value)');
  return [arg.slice(0, eq).trim().toLowerCase(), arg.slice(eq + 1).trim()];
}
