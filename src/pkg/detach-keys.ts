import { InvalidArgumentError } from '../core/errdefs.js';

/** Docker's default: Ctrl-P then Ctrl-Q. */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** The names moby/term accepts, in code order: ctrl-@ is 0, ctrl-a 1 ... ctrl-_ 31. */
const CONTROL_NAMES = ['ctrl-@', ...'abcdefghijklmnopqrstuvwxyz'.split('').map((c) => `ctrl-${c}`), 'ctrl-[', 'ctrl-\\', 'ctrl-]', 'ctrl-^', 'ctrl-_'];

/**
 * Parses a detach-key string (`ctrl-p,ctrl-q`, `a,b`, `ctrl-x,DEL`) into the byte sequence that detaches. A
 * string that can't be parsed is the client's mistake: Docker answers 400 "Invalid detach keys (...) provided".
 */
export function parseDetachKeys(keys: string): Buffer {
  const codes: number[] = [];
  for (const key of keys.split(',')) {
    if (key.length === 1) {
      codes.push(key.charCodeAt(0));
      continue;
    }
    const code = CONTROL_NAMES.indexOf(key);
    if (code >= 0) codes.push(code);
    else if (key === 'DEL') codes.push(127);
    else throw new InvalidArgumentError(`Invalid detach keys (${keys}) provided`);
  }
  if (codes.some((c) => c > 255)) throw new InvalidArgumentError(`Invalid detach keys (${keys}) provided`);
  return Buffer.from(codes);
}

/**
 * Watches a client's input for the detach sequence. Bytes that could start the sequence are held back until it
 * is clear whether they do; if they don't, they are passed on unchanged. Once the whole sequence has been seen,
 * `detached` is true and nothing more is passed (the bytes of the sequence never reach the container).
 */
export class DetachScanner {
  readonly #keys: Buffer;
  #held = 0;
  #detached = false;

  constructor(keys: Buffer) {
    this.#keys = keys;
  }

  get detached(): boolean {
    return this.#detached;
  }

  /** Returns what should reach the container from this chunk. */
  feed(chunk: Buffer): Buffer {
    if (this.#detached) return Buffer.alloc(0);
    if (this.#keys.length === 0) return chunk;
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.#keys[this.#held]) {
        this.#held++;
        if (this.#held === this.#keys.length) {
          this.#detached = true;
          break;
        }
        continue;
      }
      // A mismatch releases what was held; this byte may itself start a new sequence.
      for (let i = 0; i < this.#held; i++) out.push(this.#keys[i]!);
      this.#held = 0;
      if (byte === this.#keys[0]) {
        this.#held = 1;
        if (this.#keys.length === 1) {
          this.#detached = true;
          break;
        }
      } else {
        out.push(byte);
      }
    }
    return Buffer.from(out);
  }
}
