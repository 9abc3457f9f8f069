import { constants } from 'node:os';

const SIGNALS = constants.signals as Record<string, number>;

/**
 * Parses a signal as Docker accepts it: a name with or without "SIG" in any case ("TERM", "sigkill") or a
 * number. Returns the canonical name (e.g. "SIGTERM") and number, or undefined when it is not a signal.
 */
export function parseSignal(input: string | number): { name: string; number: number } | undefined {
  if (typeof input === 'number' || /^\d+$/.test(input)) {
    const n = Number(input);
    const name = Object.keys(SIGNALS).find((k) => SIGNALS[k] === n);
    if (n <= 0 || n > 64) return undefined;
    return { name: name ?? String(n), number: n };
  }
  const upper = input.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  const number = SIGNALS[name];
  return number === undefined ? undefined : { name, number };
}
