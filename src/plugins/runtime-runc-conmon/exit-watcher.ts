import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface ExitRecord {
  exitCode: number;
  exitedAt: Date;
}

/**
 * Tells waiters when conmon writes `<exit-dir>/<id>`. One inotify watch on the directory serves every task,
 * and exists only while someone waits (so an idle daemon holds nothing open). Each wait checks for the file right
 * after the watch is armed: an exit that happened before is seen, one that happens after is reported by
 * inotify. A slow poll also runs while anyone waits: it notices a monitor that died without writing the file,
 * which inotify cannot.
 */
export class ExitWatcher {
  #dir: string;
  #pollMs: number;
  #waiters = new Map<string, Set<Waiter>>();
  #watcher: FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;

  constructor(dir: string, opts: { pollMs?: number } = {}) {
    this.#dir = dir;
    this.#pollMs = opts.pollMs ?? 2000;
  }

  /** The exit, or undefined when there is none yet. */
  async read(id: string): Promise<ExitRecord | undefined> {
    const path = join(this.#dir, id);
    try {
      // conmon writes the file with g_file_set_contents (temp file + rename): it is never seen half written.
      const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
      const code = Number.parseInt(text.trim(), 10);
      return { exitCode: Number.isNaN(code) ? 255 : code, exitedAt: st.mtime };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /**
   * Resolves with the exit once it is written. `check` runs at each poll: returning an exit ends the wait with
   * it (used when the monitor is gone and will never write one).
   */
  wait(id: string, check: () => Promise<ExitRecord | undefined>): Promise<ExitRecord> {
    return new Promise<ExitRecord>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, check, busy: false, again: false };
      let set = this.#waiters.get(id);
      if (!set) this.#waiters.set(id, (set = new Set()));
      set.add(waiter);
      this.#arm();
      // After arming: a file written before the watch existed is found here.
      void this.#deliver(id, waiter);
    });
  }

  #arm(): void {
    if (!this.#watcher) {
      try {
        this.#watcher = watch(this.#dir, (_event, name) => {
          const id = name?.toString();
          if (id && this.#waiters.has(id)) for (const w of [...(this.#waiters.get(id) ?? [])]) void this.#deliver(id, w);
        });
        this.#watcher.on('error', () => this.#closeWatcher());
      } catch {
        // The poll still delivers, only later.
      }
    }
    this.#poll ??= setInterval(() => {
      for (const [id, set] of this.#waiters) for (const w of [...set]) void this.#deliver(id, w, { poll: true });
    }, this.#pollMs);
  }

  async #deliver(id: string, w: Waiter, opts: { poll?: boolean } = {}): Promise<void> {
    if (w.busy) {
      // An event during a read that may have just missed the file: look again once that read is done.
      w.again = true;
      return;
    }
    w.busy = true;
    try {
      let exit = await this.read(id);
      if (!exit && opts.poll) exit = await w.check();
      if (exit) this.#finish(id, w, () => w.resolve(exit));
    } catch (err) {
      this.#finish(id, w, () => w.reject(err));
    } finally {
      w.busy = false;
    }
    if (w.again) {
      w.again = false;
      await this.#deliver(id, w);
    }
  }

  #finish(id: string, w: Waiter, fn: () => void): void {
    const set = this.#waiters.get(id);
    if (!set?.delete(w)) return;
    if (set.size === 0) this.#waiters.delete(id);
    if (this.#waiters.size === 0) this.#closeWatcher();
    fn();
  }

  #closeWatcher(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    if (this.#waiters.size === 0 && this.#poll) {
      clearInterval(this.#poll);
      this.#poll = undefined;
    }
  }
}

interface Waiter {
  resolve(exit: ExitRecord): void;
  reject(err: unknown): void;
  check(): Promise<ExitRecord | undefined>;
  /** A delivery is in flight. */
  busy: boolean;
  /** Something happened while it was: deliver once more after it. */
  again: boolean;
}
