import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';

/**
 * Reader for conmon's k8s-file log, the format the CRI defined:
 *
 *   2026-11-22T21:30:53.190359366+00:00 stdout F hello
 *   2026-11-22T21:30:53.190359366+00:00 stderr P no newline ye
 *   2026-11-22T21:30:53.201000000+00:00 stderr F t
 *
 * One file line per chunk conmon read, split at the program's newlines. `F` ends a line of output: its
 * newline is the file line's own terminator, so we give it back. `P` is a piece with no newline yet (conmon read
 * up to 8 KiB, or the program paused mid-line): conmon adds a newline to the file that is not in the output.
 * A TTY's "\r\n" arrives as content "…\r" plus the terminator, so the same rule holds for TTY logs. Joining the
 * `P`s of a stream with its next `F` and appending the newline reproduces the output byte for byte, as `docker
 * logs` must.
 */
export interface LogEntry {
  /** The timestamp exactly as written, nanoseconds and offset included (for `docker logs --timestamps`). */
  timeNano: string;
  stream: 'stdout' | 'stderr';
  /** The output bytes, with the newline the program wrote (none for output the program never ended). */
  line: Buffer;
}

export interface ReadLogOptions {
  /** Only the last `tail` entries (before `since`/`until` filtering, as Docker does). Undefined or < 0: all. */
  tail?: number;
  /** Skip entries older than this. */
  since?: Date;
  /** Stop at the first entry newer than this; in follow mode also stop once the clock passes it. */
  until?: Date;
  /** Keep reading as the file grows, until `signal` aborts or `done` resolves and the file is drained. */
  follow?: boolean;
  /** "The writer has finished" (e.g. the container exited and conmon wrote its exit file). */
  done?: Promise<unknown>;
  /** Ends the iteration quietly (a client that stops following is not an error). */
  signal?: AbortSignal;
  /** How often follow mode re-checks the file when inotify is silent (a fallback). Default 250 ms. */
  pollIntervalMs?: number;
}

type Stream = LogEntry['stream'];

interface ParsedLine {
  timeNano: string;
  stream: Stream;
  partial: boolean;
  /** The output bytes; for an `F` line they include the file line's newline, which is the program's. */
  content: Buffer;
}

const BLOCK = 64 * 1024;
const NL = 0x0a;
/** conmon's lines are ≤ 8 KiB plus the header. A longer one is damage: drop it rather than buffer without bound. */
const MAX_FILE_LINE = 1024 * 1024;
/** A program that never writes a newline must not make us hold its whole output: pass it on in pieces this big. */
const MAX_JOINED = 1024 * 1024;
/** Enough bytes of a line's start to classify it (timestamp + stream + tag). */
const HEADER_BYTES = 128;

/** Streams the entries of a conmon k8s-file log one by one (see readContainerLogBatches). */
export async function* readContainerLog(path: string, opts: ReadLogOptions = {}): AsyncGenerator<LogEntry, void, undefined> {
  for await (const batch of readContainerLogBatches(path, opts)) yield* batch;
}

/**
 * Streams the entries of a conmon k8s-file log, a batch per block read: a big log is read at the speed of the
 * disk, not of one promise per line. The entries' bytes point into their own block (a fresh buffer per read),
 * so a batch stays valid after the next one is read. Memory stays bounded by one block and one joined line,
 * whatever the file's size; `tail` reads backwards from the end instead of through the whole file. Timestamps
 * are parsed only when `since` or `until` asks for them.
 */
export async function* readContainerLogBatches(path: string, opts: ReadLogOptions = {}): AsyncGenerator<LogEntry[], void, undefined> {
  const { signal } = opts;
  const sinceNs = opts.since ? dateToNs(opts.since) : undefined;
  const untilNs = opts.until ? dateToNs(opts.until) : undefined;
  const filtered = sinceNs !== undefined || untilNs !== undefined;
  const follower = opts.follow ? new Follower(path, opts) : undefined;
  let finished = false;
  // Keeps the entries that pass since/until; past `until` the reader is finished.
  const keep = (out: LogEntry[], e: LogEntry): void => {
    if (finished) return;
    if (filtered) {
      const ns = parseTimestamp(e.timeNano);
      if (ns === undefined) return;
      if (untilNs !== undefined && ns > untilNs) {
        finished = true;
        return;
      }
      if (sinceNs !== undefined && ns < sinceNs) return;
    }
    out.push(e);
  };

  let fh: FileHandle | undefined;
  try {
    fh = await openLog(path, follower);
    if (!fh) return;
    let pos = 0;
    if (opts.tail !== undefined && opts.tail >= 0) pos = await findTailStart(fh, (await fh.stat()).size, Math.floor(opts.tail));
    const assembler = new Assembler();
    const lines = new LineSplitter();
    for (;;) {
      if (signal?.aborted) return;
      const buf = Buffer.allocUnsafe(BLOCK);
      const { bytesRead } = await fh.read(buf, 0, BLOCK, pos);
      if (bytesRead > 0) {
        pos += bytesRead;
        const out: LogEntry[] = [];
        lines.push(buf.subarray(0, bytesRead), (bytes) => {
          const parsed = parseLine(bytes);
          if (parsed) assembler.push(parsed, (e) => keep(out, e));
        });
        if (out.length > 0) yield out;
        if (finished) return;
        continue;
      }
      // At the end of what is written so far.
      if (!follower) break;
      // Whoever follows sees a prompt without its newline now, not once the line is finished.
      const out: LogEntry[] = [];
      assembler.flush((e) => keep(out, e));
      if (out.length > 0) yield out;
      if (finished) return;
      const next = await follower.waitForMore(fh, pos);
      if (next === 'stop') break;
      if (next === 'aborted') return;
      if (next !== 'more') {
        // conmon replaced the file (log reopen): the old one is drained, continue at the new one's start.
        await fh.close();
        fh = next;
        pos = 0;
        lines.reset();
      }
    }
    // Output the program never ended with a newline is still output.
    const out: LogEntry[] = [];
    assembler.flush((e) => keep(out, e));
    if (out.length > 0) yield out;
  } finally {
    follower?.close();
    await fh?.close();
  }
}

async function openLog(path: string, follower: Follower | undefined): Promise<FileHandle | undefined> {
  for (;;) {
    try {
      return await open(path, 'r');
    } catch (err) {
      // No log yet: the container never started. Nothing to show, unless we are told to wait for it.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      if (!follower) return undefined;
      const next = await follower.waitForFile();
      if (next !== 'retry') return undefined;
    }
  }
}

/**
 * Joins `P` pieces with the `F` that ends them. When the other stream's line comes in between, the pieces so far
 * are passed on as they are: entries stay in file order (as Docker's json-file, which stores each chunk), every
 * stream's bytes stay exact, and an entry is always a run of adjacent lines, which is what lets `tail` count
 * entries backwards without reading further than it returns.
 */
class Assembler {
  #pending: { first: ParsedLine; parts: Buffer[]; size: number } | undefined;

  push(p: ParsedLine, emit: (e: LogEntry) => void): void {
    if (this.#pending && this.#pending.first.stream !== p.stream) this.flush(emit);
    if (!this.#pending) {
      if (!p.partial) {
        emit({ timeNano: p.timeNano, stream: p.stream, line: p.content });
        return;
      }
      this.#pending = { first: p, parts: [], size: 0 };
    }
    const pend = this.#pending;
    pend.parts.push(p.content);
    pend.size += p.content.length;
    if (!p.partial || pend.size >= MAX_JOINED) this.flush(emit);
  }

  /** Passes on the pieces held so far (the other stream spoke, the file ended, or a follower must wait). */
  flush(emit: (e: LogEntry) => void): void {
    const pend = this.#pending;
    if (!pend) return;
    this.#pending = undefined;
    const { first } = pend;
    emit({ timeNano: first.timeNano, stream: first.stream, line: pend.parts.length === 1 ? pend.parts[0]! : Buffer.concat(pend.parts, pend.size) });
  }
}

/**
 * Cuts a byte stream into file lines, each with its terminating newline; keeps an unfinished last line for the
 * next chunk. The lines point into the chunks, which the caller must not reuse.
 */
class LineSplitter {
  #carry: Buffer[] = [];
  #carryLen = 0;
  #discarding = false;

  reset(): void {
    this.#carry = [];
    this.#carryLen = 0;
    this.#discarding = false;
  }

  push(chunk: Buffer, onLine: (line: Buffer) => void): void {
    let from = 0;
    for (let nl = chunk.indexOf(NL); nl >= 0; nl = chunk.indexOf(NL, from)) {
      if (this.#carryLen > 0 || this.#discarding) {
        const discarded = this.#discarding;
        this.#carry.push(chunk.subarray(from, nl + 1));
        const bytes = Buffer.concat(this.#carry);
        this.reset();
        if (!discarded) onLine(bytes);
      } else {
        onLine(chunk.subarray(from, nl + 1));
      }
      from = nl + 1;
    }
    if (from === chunk.length || this.#discarding) return;
    const rest = chunk.subarray(from);
    this.#carry.push(rest);
    this.#carryLen += rest.length;
    if (this.#carryLen > MAX_FILE_LINE) {
      this.#carry = [];
      this.#carryLen = 0;
      this.#discarding = true;
    }
  }
}

const TIMESTAMP = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/**
 * Parses one file line (with its terminator); undefined for a line that is not in the format. An `F` line's
 * content keeps the terminator (it is the program's newline); a `P` line's drops it (conmon added it).
 */
function parseLine(bytes: Buffer): ParsedLine | undefined {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === NL ? bytes.length - 1 : bytes.length;
  const h = parseHeader(bytes, end);
  if (!h) return undefined;
  return { timeNano: h.timeNano, stream: h.stream, partial: h.partial, content: bytes.subarray(h.contentStart, h.partial ? end : bytes.length) };
}

const STDOUT = Buffer.from(' stdout ');
const STDERR = Buffer.from(' stderr ');

/** Reads the header of a line whose content ends at `end`. The timestamp is checked for shape only. */
function parseHeader(bytes: Buffer, end = bytes.length): { timeNano: string; stream: Stream; partial: boolean; contentStart: number } | undefined {
  const sp1 = bytes.indexOf(0x20);
  if (sp1 < 20 || sp1 > 40 || sp1 + 9 > end) return undefined;
  let stream: Stream;
  if (bytes.compare(STDOUT, 0, 8, sp1, sp1 + 8) === 0) stream = 'stdout';
  else if (bytes.compare(STDERR, 0, 8, sp1, sp1 + 8) === 0) stream = 'stderr';
  else return undefined;
  const tag = bytes[sp1 + 8];
  if ((tag !== 0x50 && tag !== 0x46) || (end > sp1 + 9 && bytes[sp1 + 9] !== 0x20)) return undefined;
  // Shape of "YYYY-MM-DDTHH:MM:SS": enough to tell a header from damage without parsing the date.
  if (bytes[4] !== 0x2d || bytes[7] !== 0x2d || bytes[10] !== 0x54 || bytes[13] !== 0x3a || bytes[16] !== 0x3a) return undefined;
  const timeNano = bytes.toString('latin1', 0, sp1);
  return { timeNano, stream, partial: tag === 0x50, contentStart: Math.min(end, sp1 + 10) };
}

/**
 * RFC 3339 with up to nanoseconds → nanoseconds since the epoch (Date keeps only milliseconds). Lines come in
 * runs within one second, so the last second's value (date, time and zone) is remembered and only the
 * fraction is parsed again: reading a big log spends its time here otherwise.
 */
let lastSecond = '';
let lastZone = '';
let lastSecondNs = 0n;
export function parseTimestamp(text: string): bigint | undefined {
  const dot = text.charCodeAt(19) === 0x2e ? 19 : -1;
  if (dot === 19 && text.length > 21) {
    let end = 20;
    while (end < text.length && end < 29 && text.charCodeAt(end) >= 0x30 && text.charCodeAt(end) <= 0x39) end++;
    const zone = text.slice(end);
    if (end > 20 && text.slice(0, 19) === lastSecond && zone === lastZone) return lastSecondNs + BigInt(text.slice(20, end).padEnd(9, '0'));
  }
  const parsed = parseTimestampSlow(text);
  if (parsed !== undefined && dot === 19) {
    const m = /^\.(\d{1,9})(.*)$/.exec(text.slice(19));
    if (m) {
      lastSecond = text.slice(0, 19);
      lastZone = m[2]!;
      lastSecondNs = parsed - BigInt(m[1]!.padEnd(9, '0'));
    }
  }
  return parsed;
}

function parseTimestampSlow(text: string): bigint | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', zone] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (zone !== 'Z') {
    const sign = zone!.startsWith('-') ? -1 : 1;
    ms -= sign * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4, 6))) * 60_000;
  }
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt(frac.padEnd(9, '0'));
}

function dateToNs(d: Date): bigint {
  return BigInt(d.getTime()) * 1_000_000n;
}

/**
 * Where reading must start for the last `n` entries, found by reading backwards block by block. An entry is a
 * run of adjacent lines of one stream: `P` lines and the `F` that ends them (see Assembler). So, scanning
 * backwards, a line ends an entry unless it is a `P` followed by a line of the same stream; the (n+1)-th entry
 * end we meet is where the tail begins.
 */
async function findTailStart(fh: FileHandle, size: number, n: number): Promise<number> {
  let entries = 0;
  let next: { stream: Stream } | undefined; // the parsed line after the one being visited
  // Decide per complete line, newest first. True when the line is outside the tail (the scan stops).
  const visit = (header: Buffer): boolean => {
    const h = parseHeader(header);
    if (!h) return false;
    const continues = h.partial && next !== undefined && next.stream === h.stream;
    next = h;
    if (continues) return false;
    return ++entries > n;
  };

  if (n === 0) return endOfLastLine(fh, size);
  let end = size;
  let lineEnd = -1; // file offset of the newline ending the line being assembled; the bytes after the last one are a line still being written
  let header: Buffer = Buffer.alloc(0); // the first bytes seen so far of the line ending at lineEnd
  const buf = Buffer.allocUnsafe(BLOCK);
  while (end > 0) {
    const from = Math.max(0, end - BLOCK);
    const { bytesRead } = await fh.read(buf, 0, end - from, from);
    const block = buf.subarray(0, bytesRead);
    let i = block.length;
    while (i > 0) {
      const nl = block.lastIndexOf(NL, i - 1);
      if (nl < 0) {
        // The line continues into the previous block: keep only its start, which is all we need.
        header = Buffer.concat([block.subarray(0, i), header]).subarray(0, HEADER_BYTES);
        break;
      }
      if (lineEnd >= 0) {
        header = Buffer.concat([block.subarray(nl + 1, i), header]).subarray(0, HEADER_BYTES);
        if (visit(header)) return lineEnd + 1;
      }
      lineEnd = from + nl;
      header = Buffer.alloc(0);
      i = nl;
    }
    end = from;
  }
  // The first line of the file.
  if (lineEnd >= 0 && visit(header)) return lineEnd + 1;
  return 0;
}

async function endOfLastLine(fh: FileHandle, size: number): Promise<number> {
  const buf = Buffer.allocUnsafe(BLOCK);
  let end = size;
  while (end > 0) {
    const from = Math.max(0, end - BLOCK);
    const { bytesRead } = await fh.read(buf, 0, end - from, from);
    const nl = buf.subarray(0, bytesRead).lastIndexOf(NL);
    if (nl >= 0) return from + nl + 1;
    end = from;
  }
  return 0;
}

/**
 * Waits for the log to grow: inotify wakes us at once, a slow poll covers filesystems where it is silent. Also
 * notices the writer replacing the file (conmon's log reopen renames a new, empty file over the path).
 */
class Follower {
  #path: string;
  #signal: AbortSignal | undefined;
  #untilMs: number | undefined;
  #poll: number;
  #done = false;
  #drainedAfterDone = false;
  #watcher: FSWatcher | undefined;
  #wake: (() => void) | undefined;
  /** The file changed since the last look: set by the watcher, so a change while nobody sleeps is not lost. */
  #changed = false;

  constructor(path: string, opts: ReadLogOptions) {
    this.#path = path;
    this.#signal = opts.signal;
    this.#untilMs = opts.until?.getTime();
    this.#poll = opts.pollIntervalMs ?? 250;
    const finish = (): void => {
      this.#done = true;
      this.#wake?.();
    };
    opts.done?.then(finish, finish);
  }

  /**
   * Called when a read of `fh` at `pos` found nothing. 'more': read `fh` again; a new handle: the file was
   * replaced and the old one is drained; 'stop': the writer is done and everything is read.
   */
  async waitForMore(fh: FileHandle, pos: number): Promise<'more' | 'stop' | 'aborted' | FileHandle> {
    if (this.#signal?.aborted) return 'aborted';
    if (this.#done) {
      // The read that just found nothing may have begun before `done` resolved: read once more, now that the
      // writer has certainly finished (it finishes before announcing it).
      if (this.#drainedAfterDone) return 'stop';
      this.#drainedAfterDone = true;
      return 'more';
    }
    if (this.#untilMs !== undefined && Date.now() > this.#untilMs) return 'stop';
    this.#ensureWatcher();
    // Armed (and the change mark cleared) before this check, so a write after it is seen, whether it comes
    // before #sleep starts waiting or during: no lost wake-up.
    this.#changed = false;
    if ((await fh.stat()).size > pos) return 'more';
    const replaced = await this.#replaced(fh);
    if (replaced) {
      this.#watcher?.close();
      this.#watcher = undefined;
      return replaced;
    }
    await this.#sleep();
    return this.#signal?.aborted ? 'aborted' : 'more';
  }

  async waitForFile(): Promise<'retry' | 'stop'> {
    if (this.#signal?.aborted || this.#done) return 'stop';
    if (this.#untilMs !== undefined && Date.now() > this.#untilMs) return 'stop';
    await this.#sleep();
    return 'retry';
  }

  async #replaced(fh: FileHandle): Promise<FileHandle | undefined> {
    const [mine, current] = await Promise.all([fh.stat(), stat(this.#path).catch(() => undefined)]);
    if (!current || (current.ino === mine.ino && current.dev === mine.dev)) return undefined;
    return open(this.#path, 'r').catch(() => undefined);
  }

  #ensureWatcher(): void {
    if (this.#watcher) return;
    try {
      this.#watcher = watch(this.#path, { persistent: false }, () => {
        this.#changed = true;
        this.#wake?.();
      });
      this.#watcher.on('error', () => undefined);
    } catch {
      // Polling alone still works.
    }
  }

  #sleep(): Promise<void> {
    if (this.#changed) return Promise.resolve();
    return new Promise((resolve) => {
      let wait = this.#poll;
      if (this.#untilMs !== undefined) wait = Math.max(0, Math.min(wait, this.#untilMs - Date.now() + 1));
      const finish = (): void => {
        clearTimeout(timer);
        this.#signal?.removeEventListener('abort', finish);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(finish, wait);
      this.#signal?.addEventListener('abort', finish, { once: true });
      this.#wake = finish;
    });
  }

  close(): void {
    this.#watcher?.close();
    this.#wake?.();
  }
}
