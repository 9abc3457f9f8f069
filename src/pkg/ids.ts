/**
 * Object IDs as Docker makes and shows them: 64 lowercase hex characters, shown as their first 12.
 */
import { randomBytes as cryptoRandomBytes } from 'node:crypto';

export const SHORT_ID_LENGTH = 12;

const FULL_ID_RE = /^[a-f0-9]{64}$/;

/**
 * A new random 64-hex ID. Like Docker's stringid.GenerateRandomID it draws again when the short form is all decimal
 * digits, since such a short ID reads as a number (and in scientific notation, `1e10…`, even as a float) to tools.
 */
export function newId(options: { randomBytes?: (size: number) => Uint8Array } = {}): string {
  const draw = options.randomBytes ?? cryptoRandomBytes;
  for (;;) {
    const id = Buffer.from(draw(32)).toString('hex');
    if (!/^[0-9]+$/.test(id.slice(0, SHORT_ID_LENGTH))) return id;
  }
}

/**
 * The short form Docker prints: an algorithm prefix (`sha256:`) is dropped, then the first 12 characters kept
 * (Docker's stringid.TruncateID). Shorter input comes back whole.
 */
export function shortId(id: string): string {
  const colon = id.indexOf(':');
  return (colon === -1 ? id : id.slice(colon + 1)).slice(0, SHORT_ID_LENGTH);
}

/** Docker's name for `shortId` (stringid.TruncateID). */
export const truncId = shortId;

/** Whether `s` is a full 64-hex ID (without algorithm). */
export function isFullId(s: string): boolean {
  return FULL_ID_RE.test(s);
}
