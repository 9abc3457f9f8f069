import { rename, rm, stat } from 'node:fs/promises';

import { readContainerLogBatches, type LogEntry, type ReadLogOptions } from '../../pkg/container-log.js';
import type { Logger } from '../images/image-store-deps.js';

export interface RotationLimits {
  /** Bytes; the live file is rotated once it reaches this. */
  maxSize: number;
  /** Files kept, the live one included (Docker's max-file). */
  maxFile: number;
}

interface Watched {
  path: string;
  limits: RotationLimits;
  reopen: () => Promise<void>;
  busy: boolean;
}

/**
 * Docker's `--log-opt max-size=… max-file=…` for conmon's log. conmon writes the file; rotation is ours: once the
 * live file is over the limit it is renamed to `<log>.1` (older ones shift up, the oldest goes) and conmon is
 * told to reopen its log, which creates a new file at the path. A check every second is all it costs: the file
 * can overshoot the limit by what the container writes in that second. While the daemon is down conmon's own
 * cap (`--log-size-max`, which truncates) bounds the disk instead.
 */
export class LogRotation {
  readonly #watched = new Map<string, Watched>();
  readonly #log: Logger;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: { log: Logger; intervalMs?: number }) {
    this.#log = opts.log;
    this.#intervalMs = opts.intervalMs ?? 1000;
  }

  watch(id: string, path: string, limits: RotationLimits, reopen: () => Promise<void>): void {
    this.#watched.set(id, { path, limits, reopen, busy: false });
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#checkAll(), this.#intervalMs);
      this.#timer.unref();
    }
  }

  unwatch(id: string): void {
    this.#watched.delete(id);
    if (this.#watched.size === 0) this.close();
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #checkAll(): void {
    for (const [id, w] of this.#watched) {
      if (w.busy) continue;
      w.busy = true;
      rotateIfFull(w.path, w.limits, w.reopen)
        .catch((err: unknown) => this.#log.warn('log rotation failed', { id, error: String(err) }))
        .finally(() => (w.busy = false));
    }
  }
}

/** Rotates `path` when it has reached `maxSize`; true when it did. */
export async function rotateIfFull(path: string, limits: RotationLimits, reopen: () => Promise<void>): Promise<boolean> {
  const size = (await stat(path).catch(() => undefined))?.size ?? 0;
  if (size < limits.maxSize) return false;
  const keep = Math.max(1, limits.maxFile);
  if (keep === 1) {
    // Nothing older is kept: move the file aside, let conmon start a new one, then drop the old.
    await rename(path, `${path}.1`);
    await reopen();
    await rm(`${path}.1`, { force: true });
    return true;
  }
  await rm(`${path}.${keep - 1}`, { force: true });
  for (let i = keep - 2; i >= 1; i--) await rename(`${path}.${i}`, `${path}.${i + 1}`).catch(() => undefined);
  await rename(path, `${path}.1`);
  await reopen();
  return true;
}

/** The log's files, oldest first: `<log>.N` … `<log>.1`, then the live one. */
export async function logFiles(path: string, maxFile: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = Math.max(1, maxFile) - 1; i >= 1; i--) {
    if (await stat(`${path}.${i}`).catch(() => undefined)) out.push(`${path}.${i}`);
  }
  out.push(path);
  return out;
}

/**
 * Reads a rotated log as one, in batches: the older files (only as many of their last entries as `tail` still
 * needs), then the live file, followed when asked. Memory stays bounded by `tail`.
 */
export async function* readRotatedLog(path: string, maxFile: number, opts: ReadLogOptions): AsyncGenerator<LogEntry[], void, undefined> {
  const files = await logFiles(path, maxFile);
  const older = files.slice(0, -1);
  if (older.length === 0) {
    yield* readContainerLogBatches(path, opts);
    return;
  }
  const base: ReadLogOptions = { since: opts.since, until: opts.until, signal: opts.signal };
  if (opts.tail === undefined || opts.tail < 0) {
    for (const f of older) yield* readContainerLogBatches(f, base);
    yield* readContainerLogBatches(path, opts);
    return;
  }
  // Count backwards from the live file: whatever it lacks of `tail` comes from the newest older files.
  let needed = opts.tail;
  let live = 0;
  for await (const batch of readContainerLogBatches(path, { tail: needed, signal: opts.signal })) live += batch.length;
  needed -= live;
  const parts: LogEntry[][] = [];
  for (let i = older.length - 1; i >= 0 && needed > 0; i--) {
    const entries: LogEntry[] = [];
    for await (const batch of readContainerLogBatches(older[i]!, { ...base, tail: needed })) entries.push(...batch);
    needed -= entries.length;
    parts.unshift(entries);
  }
  for (const entries of parts) if (entries.length > 0) yield entries;
  yield* readContainerLogBatches(path, { ...opts, tail: live });
}
