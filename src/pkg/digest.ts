import { createHash, type Hash } from 'node:crypto';

/** A content digest as it appears in manifests and on the wire: `sha256:<64 lowercase hex>`. */
export type Digest = `sha256:${string}`;

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function isDigest(value: string): value is Digest {
  return DIGEST_RE.test(value);
}

/** Parses a digest from untrusted input; throws a TypeError naming the value when it is malformed. */
export function parseDigest(value: string): Digest {
  if (!isDigest(value)) throw new TypeError(`Invalid digest "${value}"`);
  return value;
}

export function sha256Digest(data: string | Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The hex part, used as a file name. */
export function digestHex(d: Digest): string {
  return d.slice('sha256:'.length);
}

/** An incremental hasher that also counts bytes, for streams that are verified as they pass. */
export class DigestCounter {
  /** Undefined when only counting (`hash: false`): then `digest()` throws. */
  readonly #hash: Hash | undefined;
  #size = 0;
  constructor(opts: { hash?: boolean } = {}) {
    this.#hash = opts.hash === false ? undefined : createHash('sha256');
  }
  update(chunk: Uint8Array): void {
    this.#hash?.update(chunk);
    this.#size += chunk.length;
  }
  get size(): number {
    return this.#size;
  }
  digest(): Digest {
    if (!this.#hash) throw new Error('DigestCounter made with hash: false has no digest');
    return `sha256:${this.#hash.digest('hex')}`;
  }
}
