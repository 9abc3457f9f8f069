/**
 * Container names: random `adjective_noun` names for containers created without `--name` (Docker's shape, berth's
 * own words: steady qualities and the people, vessels and fittings of a harbour), and Docker's rule for names given
 * by the user.
 */
import { InvalidArgumentError } from '../core/errdefs.js';
import { shortId } from './ids.js';

export const ADJECTIVES: readonly string[] = [
  'agile', 'amber', 'ample', 'azure', 'balmy', 'blithe', 'breezy', 'bright', 'brisk', 'buoyant',
  'calm', 'candid', 'cheery', 'coastal', 'cozy', 'crisp', 'daring', 'deft', 'devoted', 'drifting',
  'earnest', 'fearless', 'fleet', 'fluent', 'frank', 'gentle', 'gleaming', 'golden', 'hardy', 'hearty',
  'humble', 'jaunty', 'lively', 'loyal', 'lucky', 'mellow', 'merry', 'mighty', 'misty', 'nimble',
  'noble', 'placid', 'plucky', 'polished', 'radiant', 'rapid', 'rugged', 'salty', 'seaworthy', 'sincere',
  'snug', 'spry', 'steady', 'stellar', 'sturdy', 'sunny', 'swift', 'tidal', 'tranquil', 'trusty',
  'valiant', 'vivid', 'wandering', 'windward', 'witty', 'zesty',
];

export const NOUNS: readonly string[] = [
  // People who computed, engineered or charted.
  'amundsen', 'babbage', 'backus', 'bowditch', 'brunel', 'cerf', 'conway', 'curie', 'dijkstra', 'eckert',
  'engelbart', 'fourier', 'gauss', 'hamming', 'harrison', 'hoare', 'hopper', 'huffman', 'kahn', 'kernighan',
  'knuth', 'lamport', 'liskov', 'lovelace', 'mauchly', 'maxwell', 'mccarthy', 'mercator', 'metcalfe', 'nansen',
  'noether', 'pascal', 'plimsoll', 'postel', 'ritchie', 'shackleton', 'shannon', 'stroustrup', 'tasman', 'tesla',
  'thompson', 'turing', 'wirth',
  // Vessels and the things of a harbour.
  'anchor', 'beacon', 'berth', 'bollard', 'breakwater', 'buoy', 'capstan', 'cleat', 'compass', 'dinghy',
  'dory', 'drydock', 'ferry', 'frigate', 'galley', 'gangway', 'harbour', 'hawser', 'hull', 'jetty',
  'keel', 'ketch', 'lantern', 'lanyard', 'lighthouse', 'marina', 'mast', 'mooring', 'pier', 'pilot',
  'quay', 'rudder', 'schooner', 'sextant', 'skiff', 'sloop', 'tiller', 'tugboat', 'wharf', 'windlass',
];

export interface RandomNameOptions {
  /** A number in [0, 1), as Math.random. Injected so tests are deterministic. */
  random?: () => number;
  /** Attempt number; from 1 on a digit is appended (`steady_knuth7`), as Docker does after a collision. */
  retry?: number;
}

/** A random `adjective_noun` name, with a trailing digit when `retry > 0`. */
export function randomName(options: RandomNameOptions = {}): string {
  const random = options.random ?? Math.random;
  const pick = (n: number): number => Math.min(n - 1, Math.floor(random() * n));
  const name = `${ADJECTIVES[pick(ADJECTIVES.length)]}_${NOUNS[pick(NOUNS.length)]}`;
  return (options.retry ?? 0) > 0 ? `${name}${pick(10)}` : name;
}

/** Attempts before falling back to the short ID, as Docker's generateNewName. */
export const NAME_ATTEMPTS = 6;

/**
 * Docker's policy for a container created without a name: up to six random names (the later ones with a digit),
 * then the 12-character short ID. `isTaken` is asked about each candidate; reservation stays with the caller.
 */
export function chooseContainerName(
  id: string,
  isTaken: (name: string) => boolean,
  options: { random?: () => number } = {},
): string {
  for (let retry = 0; retry < NAME_ATTEMPTS; retry++) {
    const name = randomName({ ...options, retry });
    if (!isTaken(name)) return name;
  }
  return shortId(id);
}

/** Docker's validContainerNamePattern; note it needs two characters at least (`a` is refused, as in Docker). */
const CONTAINER_NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Whether Docker would accept `name` (an optional leading `/` included) as a container name. */
export function isValidContainerName(name: string): boolean {
  return CONTAINER_NAME_RE.test(name);
}

/** Throws Docker's InvalidParameter message for an unacceptable container name. */
export function validateContainerName(name: string): void {
  if (!isValidContainerName(name)) {
    throw new InvalidArgumentError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
}
