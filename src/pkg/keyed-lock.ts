/**
 * A mutex per key: `withLock('container-id', fn)` runs `fn` only when no other holder of the same key is running,
 * in arrival order, while other keys proceed freely. There is no global lock; a key's entry exists only while
 * someone holds or waits for it, so the map does not grow with every ID ever seen.
 *
 * Long operations (start, stop, remove, commit) take the lock for their object; reads never do (see STYLE.md on
 * moby#30225). The lock is not re-entrant: taking the same key inside `fn` waits forever.
 */

interface Entry {
  /** Settles when the last holder or waiter so far has finished; the next arrival waits on it. */
  tail: Promise<void>;
  /** Holders plus waiters. The entry is dropped when this returns to 0. */
  refs: number;
}

export class KeyedLock<K = string> {
  readonly #entries = new Map<K, Entry>();

  /**
   * Runs `fn` while holding `key`, releasing it however `fn` ends. With `signal`, giving up while still waiting
   * rejects with the signal's reason and never runs `fn`; once `fn` runs, aborting is `fn`'s business.
   */
  async withLock<T>(key: K, fn: () => Promise<T> | T, options: { signal?: AbortSignal } = {}): Promise<T> {
    const { signal } = options;
    signal?.throwIfAborted();
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { tail: Promise.resolve(), refs: 0 };
      this.#entries.set(key, entry);
    }
    entry.refs++;
    const previous = entry.tail;
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    // The next arrival waits for everyone before it, including a waiter ahead of it that gave up early.
    entry.tail = previous.then(() => done);
    try {
      await waitTurn(previous, signal);
      return await fn();
    } finally {
      release();
      if (--entry.refs === 0 && this.#entries.get(key) === entry) this.#entries.delete(key);
    }
  }

  /** Whether someone holds or waits for `key`. */
  isLocked(key: K): boolean {
    return this.#entries.has(key);
  }

  /** Number of keys currently held or waited for. */
  get size(): number {
    return this.#entries.size;
  }
}

function waitTurn(previous: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return previous;
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void previous.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
