// src/pkg/container-log.ts
import { watch } from "node:fs";
import { open, stat } from "node:fs/promises";
var BLOCK = 64 * 1024;
var NL = 10;
var MAX_FILE_LINE = 1024 * 1024;
var MAX_JOINED = 1024 * 1024;
var HEADER_BYTES = 128;
async function* readContainerLog(path, opts = {}) {
  const { signal } = opts;
  const sinceNs = opts.since ? dateToNs(opts.since) : void 0;
  const untilNs = opts.until ? dateToNs(opts.until) : void 0;
  const follower = opts.follow ? new Follower(path, opts) : void 0;
  function* emit(entries) {
    for (const e of entries) {
      if (untilNs !== void 0 && e.epochNs > untilNs) return true;
      if (sinceNs !== void 0 && e.epochNs < sinceNs) continue;
      yield { time: new Date(Number(e.epochNs / 1000000n)), timeNano: e.timeNano, stream: e.stream, line: e.line };
    }
    return false;
  }
  let fh;
  try {
    fh = await openLog(path, follower);
    if (!fh) return;
    let pos = 0;
    if (opts.tail !== void 0 && opts.tail >= 0) pos = await findTailStart(fh, (await fh.stat()).size, Math.floor(opts.tail));
    const assembler = new Assembler();
    const lines = new LineSplitter();
    const buf = Buffer.allocUnsafe(BLOCK);
    for (; ; ) {
      if (signal?.aborted) return;
      const { bytesRead } = await fh.read(buf, 0, BLOCK, pos);
      if (bytesRead > 0) {
        pos += bytesRead;
        for (const bytes of lines.push(buf.subarray(0, bytesRead))) {
          const parsed = parseLine(bytes);
          if (parsed && (yield* emit(assembler.push(parsed)))) return;
        }
        continue;
      }
      if (!follower) break;
      if (yield* emit(assembler.flush())) return;
      const next = await follower.waitForMore(fh, pos);
      if (next === "stop") break;
      if (next === "aborted") return;
      if (next !== "more") {
        await fh.close();
        fh = next;
        pos = 0;
        lines.reset();
      }
    }
    yield* emit(assembler.flush());
  } finally {
    follower?.close();
    await fh?.close();
  }
}
async function openLog(path, follower) {
  for (; ; ) {
    try {
      return await open(path, "r");
    } catch (err) {
      if (err.code !== "ENOENT") throw err;
      if (!follower) return void 0;
      const next = await follower.waitForFile();
      if (next !== "retry") return void 0;
    }
  }
}
var Assembler = class {
  #pending;
  *push(p) {
    if (this.#pending && this.#pending.first.stream !== p.stream) yield* this.flush();
    if (!this.#pending) {
      if (!p.partial) {
        yield { epochNs: p.epochNs, timeNano: p.timeNano, stream: p.stream, line: Buffer.concat([p.content, NEWLINE]) };
        return;
      }
      this.#pending = { first: p, parts: [], size: 0 };
    }
    const pend = this.#pending;
    pend.parts.push(p.partial ? Buffer.from(p.content) : p.content);
    pend.size += p.content.length;
    if (!p.partial) {
      pend.parts.push(NEWLINE);
      yield* this.flush();
    } else if (pend.size >= MAX_JOINED) {
      yield* this.flush();
    }
  }
  /** Passes on the pieces held so far (the other stream spoke, the file ended, or a follower must wait). */
  *flush() {
    const pend = this.#pending;
    if (!pend) return;
    this.#pending = void 0;
    const { first } = pend;
    yield { epochNs: first.epochNs, timeNano: first.timeNano, stream: first.stream, line: Buffer.concat(pend.parts) };
  }
};
var NEWLINE = Buffer.from("\n");
var LineSplitter = class {
  #carry = [];
  #carryLen = 0;
  #discarding = false;
  reset() {
    this.#carry = [];
    this.#carryLen = 0;
    this.#discarding = false;
  }
  *push(chunk) {
    let from = 0;
    for (let nl = chunk.indexOf(NL); nl >= 0; nl = chunk.indexOf(NL, from)) {
      if (this.#carryLen > 0 || this.#discarding) {
        const discarded = this.#discarding;
        this.#carry.push(chunk.subarray(from, nl));
        const bytes = Buffer.concat(this.#carry);
        this.reset();
        if (!discarded) yield bytes;
      } else {
        yield chunk.subarray(from, nl);
      }
      from = nl + 1;
    }
    if (from === chunk.length || this.#discarding) return;
    const rest = Buffer.from(chunk.subarray(from));
    this.#carry.push(rest);
    this.#carryLen += rest.length;
    if (this.#carryLen > MAX_FILE_LINE) {
      this.#carry = [];
      this.#carryLen = 0;
      this.#discarding = true;
    }
  }
};
var TIMESTAMP = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;
function parseLine(bytes) {
  const h = parseHeader(bytes);
  if (!h) return void 0;
  return { ...h, content: bytes.subarray(h.contentStart) };
}
function parseHeader(bytes) {
  const sp1 = bytes.indexOf(32);
  if (sp1 < 0 || sp1 > 40) return void 0;
  const sp2 = bytes.indexOf(32, sp1 + 1);
  if (sp2 < 0) return void 0;
  const streamText = bytes.toString("latin1", sp1 + 1, sp2);
  if (streamText !== "stdout" && streamText !== "stderr") return void 0;
  const tag = bytes[sp2 + 1];
  if (tag !== 80 && tag !== 70 || bytes.length > sp2 + 2 && bytes[sp2 + 2] !== 32) return void 0;
  const timeNano = bytes.toString("latin1", 0, sp1);
  const epochNs = parseTimestamp(timeNano);
  if (epochNs === void 0) return void 0;
  return { timeNano, epochNs, stream: streamText, partial: tag === 80, contentStart: Math.min(bytes.length, sp2 + 3) };
}
function parseTimestamp(text) {
  const m = TIMESTAMP.exec(text);
  if (!m) return void 0;
  const [, y, mo, d, h, mi, s, frac = "", zone] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (zone !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 6e4;
  }
  if (Number.isNaN(ms)) return void 0;
  return BigInt(ms) * 1000000n + BigInt(frac.padEnd(9, "0"));
}
function dateToNs(d) {
  return BigInt(d.getTime()) * 1000000n;
}
async function findTailStart(fh, size, n2) {
  let entries = 0;
  let next;
  const visit = (header2) => {
    const h = parseHeader(header2);
    if (!h) return false;
    const continues = h.partial && next !== void 0 && next.stream === h.stream;
    next = h;
    if (continues) return false;
    return ++entries > n2;
  };
  if (n2 === 0) return endOfLastLine(fh, size);
  let end = size;
  let lineEnd = -1;
  let header = Buffer.alloc(0);
  const buf = Buffer.allocUnsafe(BLOCK);
  while (end > 0) {
    const from = Math.max(0, end - BLOCK);
    const { bytesRead } = await fh.read(buf, 0, end - from, from);
    const block = buf.subarray(0, bytesRead);
    let i = block.length;
    while (i > 0) {
      const nl = block.lastIndexOf(NL, i - 1);
      if (nl < 0) {
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
  if (lineEnd >= 0 && visit(header)) return lineEnd + 1;
  return 0;
}
async function endOfLastLine(fh, size) {
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
var Follower = class {
  #path;
  #signal;
  #untilMs;
  #poll;
  #done = false;
  #drainedAfterDone = false;
  #watcher;
  #wake;
  constructor(path, opts) {
    this.#path = path;
    this.#signal = opts.signal;
    this.#untilMs = opts.until?.getTime();
    this.#poll = opts.pollIntervalMs ?? 250;
    const finish = () => {
      this.#done = true;
      this.#wake?.();
    };
    opts.done?.then(finish, finish);
  }
  /**
   * Called when a read of `fh` at `pos` found nothing. 'more': read `fh` again; a new handle: the file was
   * replaced and the old one is drained; 'stop': the writer is done and everything is read.
   */
  async waitForMore(fh, pos) {
    if (this.#signal?.aborted) return "aborted";
    if (this.#done) {
      if (this.#drainedAfterDone) return "stop";
      this.#drainedAfterDone = true;
      return "more";
    }
    if (this.#untilMs !== void 0 && Date.now() > this.#untilMs) return "stop";
    this.#ensureWatcher();
    if ((await fh.stat()).size > pos) return "more";
    const replaced = await this.#replaced(fh);
    if (replaced) {
      this.#watcher?.close();
      this.#watcher = void 0;
      return replaced;
    }
    await this.#sleep();
    return this.#signal?.aborted ? "aborted" : "more";
  }
  async waitForFile() {
    if (this.#signal?.aborted || this.#done) return "stop";
    if (this.#untilMs !== void 0 && Date.now() > this.#untilMs) return "stop";
    await this.#sleep();
    return "retry";
  }
  async #replaced(fh) {
    const [mine, current] = await Promise.all([fh.stat(), stat(this.#path).catch(() => void 0)]);
    if (!current || current.ino === mine.ino && current.dev === mine.dev) return void 0;
    return open(this.#path, "r").catch(() => void 0);
  }
  #ensureWatcher() {
    if (this.#watcher) return;
    try {
      this.#watcher = watch(this.#path, { persistent: false }, () => this.#wake?.());
      this.#watcher.on("error", () => void 0);
    } catch {
    }
  }
  #sleep() {
    return new Promise((resolve) => {
      let wait = this.#poll;
      if (this.#untilMs !== void 0) wait = Math.max(0, Math.min(wait, this.#untilMs - Date.now() + 1));
      const finish = () => {
        clearTimeout(timer);
        this.#signal?.removeEventListener("abort", finish);
        this.#wake = void 0;
        resolve();
      };
      const timer = setTimeout(finish, wait);
      this.#signal?.addEventListener("abort", finish, { once: true });
      this.#wake = finish;
    });
  }
  close() {
    this.#watcher?.close();
    this.#wake?.();
  }
};

// ../../tmp/prof.ts
var t = Date.now();
var n = 0;
for await (const e of readContainerLog("", {})) n++;
console.log(n, Date.now() - t, "ms");
//# sourceMappingURL=data:application/json;base64,ewogICJ2ZXJzaW9uIjogMywKICAic291cmNlcyI6IFsiLi4vc3JjL3BrZy9jb250YWluZXItbG9nLnRzIiwgIi4uLy4uLy4uL3RtcC9wcm9mLnRzIl0sCiAgInNvdXJjZXNDb250ZW50IjogWyJpbXBvcnQgeyB3YXRjaCwgdHlwZSBGU1dhdGNoZXIgfSBmcm9tICdub2RlOmZzJztcbmltcG9ydCB7IG9wZW4sIHN0YXQsIHR5cGUgRmlsZUhhbmRsZSB9IGZyb20gJ25vZGU6ZnMvcHJvbWlzZXMnO1xuXG4vKipcbiAqIFJlYWRlciBmb3IgY29ubW9uJ3MgazhzLWZpbGUgbG9nLCB0aGUgZm9ybWF0IHRoZSBDUkkgZGVmaW5lZDpcbiAqXG4gKiAgIDIwMjYtMTEtMjJUMjE6MzA6NTMuMTkwMzU5MzY2KzAwOjAwIHN0ZG91dCBGIGhlbGxvXG4gKiAgIDIwMjYtMTEtMjJUMjE6MzA6NTMuMTkwMzU5MzY2KzAwOjAwIHN0ZGVyciBQIG5vIG5ld2xpbmUgeWVcbiAqICAgMjAyNi0xMS0yMlQyMTozMDo1My4yMDEwMDAwMDArMDA6MDAgc3RkZXJyIEYgdFxuICpcbiAqIE9uZSBmaWxlIGxpbmUgcGVyIGNodW5rIGNvbm1vbiByZWFkLCBzcGxpdCBhdCB0aGUgcHJvZ3JhbSdzIG5ld2xpbmVzLiBgRmAgZW5kcyBhIGxpbmUgb2Ygb3V0cHV0OiBpdHNcbiAqIG5ld2xpbmUgaXMgdGhlIGZpbGUgbGluZSdzIG93biB0ZXJtaW5hdG9yLCBzbyB3ZSBnaXZlIGl0IGJhY2suIGBQYCBpcyBhIHBpZWNlIHdpdGggbm8gbmV3bGluZSB5ZXQgKGNvbm1vbiByZWFkXG4gKiB1cCB0byA4IEtpQiwgb3IgdGhlIHByb2dyYW0gcGF1c2VkIG1pZC1saW5lKTogY29ubW9uIGFkZHMgYSBuZXdsaW5lIHRvIHRoZSBmaWxlIHRoYXQgaXMgbm90IGluIHRoZSBvdXRwdXQuXG4gKiBBIFRUWSdzIFwiXFxyXFxuXCIgYXJyaXZlcyBhcyBjb250ZW50IFwiXHUyMDI2XFxyXCIgcGx1cyB0aGUgdGVybWluYXRvciwgc28gdGhlIHNhbWUgcnVsZSBob2xkcyBmb3IgVFRZIGxvZ3MuIEpvaW5pbmcgdGhlXG4gKiBgUGBzIG9mIGEgc3RyZWFtIHdpdGggaXRzIG5leHQgYEZgIGFuZCBhcHBlbmRpbmcgdGhlIG5ld2xpbmUgcmVwcm9kdWNlcyB0aGUgb3V0cHV0IGJ5dGUgZm9yIGJ5dGUsIGFzIGBkb2NrZXJcbiAqIGxvZ3NgIG11c3QuXG4gKi9cbmV4cG9ydCBpbnRlcmZhY2UgTG9nRW50cnkge1xuICAvKiogV2hlbiBjb25tb24gcmVhZCB0aGUgKGZpcnN0IHBpZWNlIG9mIHRoZSkgbGluZSwgYXQgbWlsbGlzZWNvbmQgcHJlY2lzaW9uLiAqL1xuICB0aW1lOiBEYXRlO1xuICAvKiogVGhlIHRpbWVzdGFtcCBleGFjdGx5IGFzIHdyaXR0ZW4sIG5hbm9zZWNvbmRzIGFuZCBvZmZzZXQgaW5jbHVkZWQgKGZvciBgZG9ja2VyIGxvZ3MgLS10aW1lc3RhbXBzYCkuICovXG4gIHRpbWVOYW5vOiBzdHJpbmc7XG4gIHN0cmVhbTogJ3N0ZG91dCcgfCAnc3RkZXJyJztcbiAgLyoqIFRoZSBvdXRwdXQgYnl0ZXMsIHdpdGggdGhlIG5ld2xpbmUgdGhlIHByb2dyYW0gd3JvdGUgKG5vbmUgZm9yIG91dHB1dCB0aGUgcHJvZ3JhbSBuZXZlciBlbmRlZCkuICovXG4gIGxpbmU6IEJ1ZmZlcjtcbn1cblxuZXhwb3J0IGludGVyZmFjZSBSZWFkTG9nT3B0aW9ucyB7XG4gIC8qKiBPbmx5IHRoZSBsYXN0IGB0YWlsYCBlbnRyaWVzIChiZWZvcmUgYHNpbmNlYC9gdW50aWxgIGZpbHRlcmluZywgYXMgRG9ja2VyIGRvZXMpLiBVbmRlZmluZWQgb3IgPCAwOiBhbGwuICovXG4gIHRhaWw/OiBudW1iZXI7XG4gIC8qKiBTa2lwIGVudHJpZXMgb2xkZXIgdGhhbiB0aGlzLiAqL1xuICBzaW5jZT86IERhdGU7XG4gIC8qKiBTdG9wIGF0IHRoZSBmaXJzdCBlbnRyeSBuZXdlciB0aGFuIHRoaXM7IGluIGZvbGxvdyBtb2RlIGFsc28gc3RvcCBvbmNlIHRoZSBjbG9jayBwYXNzZXMgaXQuICovXG4gIHVudGlsPzogRGF0ZTtcbiAgLyoqIEtlZXAgcmVhZGluZyBhcyB0aGUgZmlsZSBncm93cywgdW50aWwgYHNpZ25hbGAgYWJvcnRzIG9yIGBkb25lYCByZXNvbHZlcyBhbmQgdGhlIGZpbGUgaXMgZHJhaW5lZC4gKi9cbiAgZm9sbG93PzogYm9vbGVhbjtcbiAgLyoqIFwiVGhlIHdyaXRlciBoYXMgZmluaXNoZWRcIiAoZS5nLiB0aGUgY29udGFpbmVyIGV4aXRlZCBhbmQgY29ubW9uIHdyb3RlIGl0cyBleGl0IGZpbGUpLiAqL1xuICBkb25lPzogUHJvbWlzZTx1bmtub3duPjtcbiAgLyoqIEVuZHMgdGhlIGl0ZXJhdGlvbiBxdWlldGx5IChhIGNsaWVudCB0aGF0IHN0b3BzIGZvbGxvd2luZyBpcyBub3QgYW4gZXJyb3IpLiAqL1xuICBzaWduYWw/OiBBYm9ydFNpZ25hbDtcbiAgLyoqIEhvdyBvZnRlbiBmb2xsb3cgbW9kZSByZS1jaGVja3MgdGhlIGZpbGUgd2hlbiBpbm90aWZ5IGlzIHNpbGVudCAoYSBmYWxsYmFjaykuIERlZmF1bHQgMjUwIG1zLiAqL1xuICBwb2xsSW50ZXJ2YWxNcz86IG51bWJlcjtcbn1cblxudHlwZSBTdHJlYW0gPSBMb2dFbnRyeVsnc3RyZWFtJ107XG5cbmludGVyZmFjZSBQYXJzZWRMaW5lIHtcbiAgdGltZU5hbm86IHN0cmluZztcbiAgZXBvY2hOczogYmlnaW50O1xuICBzdHJlYW06IFN0cmVhbTtcbiAgcGFydGlhbDogYm9vbGVhbjtcbiAgY29udGVudDogQnVmZmVyO1xufVxuXG5jb25zdCBCTE9DSyA9IDY0ICogMTAyNDtcbmNvbnN0IE5MID0gMHgwYTtcbi8qKiBjb25tb24ncyBsaW5lcyBhcmUgXHUyMjY0IDggS2lCIHBsdXMgdGhlIGhlYWRlci4gQSBsb25nZXIgb25lIGlzIGRhbWFnZTogZHJvcCBpdCByYXRoZXIgdGhhbiBidWZmZXIgd2l0aG91dCBib3VuZC4gKi9cbmNvbnN0IE1BWF9GSUxFX0xJTkUgPSAxMDI0ICogMTAyNDtcbi8qKiBBIHByb2dyYW0gdGhhdCBuZXZlciB3cml0ZXMgYSBuZXdsaW5lIG11c3Qgbm90IG1ha2UgdXMgaG9sZCBpdHMgd2hvbGUgb3V0cHV0OiBwYXNzIGl0IG9uIGluIHBpZWNlcyB0aGlzIGJpZy4gKi9cbmNvbnN0IE1BWF9KT0lORUQgPSAxMDI0ICogMTAyNDtcbi8qKiBFbm91Z2ggYnl0ZXMgb2YgYSBsaW5lJ3Mgc3RhcnQgdG8gY2xhc3NpZnkgaXQgKHRpbWVzdGFtcCArIHN0cmVhbSArIHRhZykuICovXG5jb25zdCBIRUFERVJfQllURVMgPSAxMjg7XG5cbi8qKlxuICogU3RyZWFtcyB0aGUgZW50cmllcyBvZiBhIGNvbm1vbiBrOHMtZmlsZSBsb2cuIE1lbW9yeSBzdGF5cyBib3VuZGVkIGJ5IG9uZSBibG9jayBhbmQgb25lIGpvaW5lZCBsaW5lLFxuICogd2hhdGV2ZXIgdGhlIGZpbGUncyBzaXplOyBgdGFpbGAgcmVhZHMgYmFja3dhcmRzIGZyb20gdGhlIGVuZCBpbnN0ZWFkIG9mIHRocm91Z2ggdGhlIHdob2xlIGZpbGUuXG4gKi9cbmV4cG9ydCBhc3luYyBmdW5jdGlvbiogcmVhZENvbnRhaW5lckxvZyhwYXRoOiBzdHJpbmcsIG9wdHM6IFJlYWRMb2dPcHRpb25zID0ge30pOiBBc3luY0dlbmVyYXRvcjxMb2dFbnRyeSwgdm9pZCwgdW5kZWZpbmVkPiB7XG4gIGNvbnN0IHsgc2lnbmFsIH0gPSBvcHRzO1xuICBjb25zdCBzaW5jZU5zID0gb3B0cy5zaW5jZSA/IGRhdGVUb05zKG9wdHMuc2luY2UpIDogdW5kZWZpbmVkO1xuICBjb25zdCB1bnRpbE5zID0gb3B0cy51bnRpbCA/IGRhdGVUb05zKG9wdHMudW50aWwpIDogdW5kZWZpbmVkO1xuICBjb25zdCBmb2xsb3dlciA9IG9wdHMuZm9sbG93ID8gbmV3IEZvbGxvd2VyKHBhdGgsIG9wdHMpIDogdW5kZWZpbmVkO1xuICAvLyBZaWVsZHMgdGhlIGVudHJpZXMgdGhhdCBwYXNzIHNpbmNlL3VudGlsOyByZXR1cm5zIHRydWUgb25jZSBvbmUgaXMgcGFzdCBgdW50aWxgICh0aGUgcmVhZGVyIGlzIGZpbmlzaGVkKS5cbiAgZnVuY3Rpb24qIGVtaXQoZW50cmllczogSXRlcmFibGU8UmF3RW50cnk+KTogR2VuZXJhdG9yPExvZ0VudHJ5LCBib29sZWFuPiB7XG4gICAgZm9yIChjb25zdCBlIG9mIGVudHJpZXMpIHtcbiAgICAgIGlmICh1bnRpbE5zICE9PSB1bmRlZmluZWQgJiYgZS5lcG9jaE5zID4gdW50aWxOcykgcmV0dXJuIHRydWU7XG4gICAgICBpZiAoc2luY2VOcyAhPT0gdW5kZWZpbmVkICYmIGUuZXBvY2hOcyA8IHNpbmNlTnMpIGNvbnRpbnVlO1xuICAgICAgeWllbGQgeyB0aW1lOiBuZXcgRGF0ZShOdW1iZXIoZS5lcG9jaE5zIC8gMV8wMDBfMDAwbikpLCB0aW1lTmFubzogZS50aW1lTmFubywgc3RyZWFtOiBlLnN0cmVhbSwgbGluZTogZS5saW5lIH07XG4gICAgfVxuICAgIHJldHVybiBmYWxzZTtcbiAgfVxuXG4gIGxldCBmaDogRmlsZUhhbmRsZSB8IHVuZGVmaW5lZDtcbiAgdHJ5IHtcbiAgICBmaCA9IGF3YWl0IG9wZW5Mb2cocGF0aCwgZm9sbG93ZXIpO1xuICAgIGlmICghZmgpIHJldHVybjtcbiAgICBsZXQgcG9zID0gMDtcbiAgICBpZiAob3B0cy50YWlsICE9PSB1bmRlZmluZWQgJiYgb3B0cy50YWlsID49IDApIHBvcyA9IGF3YWl0IGZpbmRUYWlsU3RhcnQoZmgsIChhd2FpdCBmaC5zdGF0KCkpLnNpemUsIE1hdGguZmxvb3Iob3B0cy50YWlsKSk7XG4gICAgY29uc3QgYXNzZW1ibGVyID0gbmV3IEFzc2VtYmxlcigpO1xuICAgIGNvbnN0IGxpbmVzID0gbmV3IExpbmVTcGxpdHRlcigpO1xuICAgIGNvbnN0IGJ1ZiA9IEJ1ZmZlci5hbGxvY1Vuc2FmZShCTE9DSyk7XG4gICAgZm9yICg7Oykge1xuICAgICAgaWYgKHNpZ25hbD8uYWJvcnRlZCkgcmV0dXJuO1xuICAgICAgY29uc3QgeyBieXRlc1JlYWQgfSA9IGF3YWl0IGZoLnJlYWQoYnVmLCAwLCBCTE9DSywgcG9zKTtcbiAgICAgIGlmIChieXRlc1JlYWQgPiAwKSB7XG4gICAgICAgIHBvcyArPSBieXRlc1JlYWQ7XG4gICAgICAgIGZvciAoY29uc3QgYnl0ZXMgb2YgbGluZXMucHVzaChidWYuc3ViYXJyYXkoMCwgYnl0ZXNSZWFkKSkpIHtcbiAgICAgICAgICBjb25zdCBwYXJzZWQgPSBwYXJzZUxpbmUoYnl0ZXMpO1xuICAgICAgICAgIGlmIChwYXJzZWQgJiYgKHlpZWxkKiBlbWl0KGFzc2VtYmxlci5wdXNoKHBhcnNlZCkpKSkgcmV0dXJuO1xuICAgICAgICB9XG4gICAgICAgIGNvbnRpbnVlO1xuICAgICAgfVxuICAgICAgLy8gQXQgdGhlIGVuZCBvZiB3aGF0IGlzIHdyaXR0ZW4gc28gZmFyLlxuICAgICAgaWYgKCFmb2xsb3dlcikgYnJlYWs7XG4gICAgICAvLyBXaG9ldmVyIGZvbGxvd3Mgc2VlcyBhIHByb21wdCB3aXRob3V0IGl0cyBuZXdsaW5lIG5vdywgbm90IG9uY2UgdGhlIGxpbmUgaXMgZmluaXNoZWQuXG4gICAgICBpZiAoeWllbGQqIGVtaXQoYXNzZW1ibGVyLmZsdXNoKCkpKSByZXR1cm47XG4gICAgICBjb25zdCBuZXh0ID0gYXdhaXQgZm9sbG93ZXIud2FpdEZvck1vcmUoZmgsIHBvcyk7XG4gICAgICBpZiAobmV4dCA9PT0gJ3N0b3AnKSBicmVhaztcbiAgICAgIGlmIChuZXh0ID09PSAnYWJvcnRlZCcpIHJldHVybjtcbiAgICAgIGlmIChuZXh0ICE9PSAnbW9yZScpIHtcbiAgICAgICAgLy8gY29ubW9uIHJlcGxhY2VkIHRoZSBmaWxlIChsb2cgcmVvcGVuKTogdGhlIG9sZCBvbmUgaXMgZHJhaW5lZCwgY29udGludWUgYXQgdGhlIG5ldyBvbmUncyBzdGFydC5cbiAgICAgICAgYXdhaXQgZmguY2xvc2UoKTtcbiAgICAgICAgZmggPSBuZXh0O1xuICAgICAgICBwb3MgPSAwO1xuICAgICAgICBsaW5lcy5yZXNldCgpO1xuICAgICAgfVxuICAgIH1cbiAgICAvLyBPdXRwdXQgdGhlIHByb2dyYW0gbmV2ZXIgZW5kZWQgd2l0aCBhIG5ld2xpbmUgaXMgc3RpbGwgb3V0cHV0LlxuICAgIHlpZWxkKiBlbWl0KGFzc2VtYmxlci5mbHVzaCgpKTtcbiAgfSBmaW5hbGx5IHtcbiAgICBmb2xsb3dlcj8uY2xvc2UoKTtcbiAgICBhd2FpdCBmaD8uY2xvc2UoKTtcbiAgfVxufVxuXG5hc3luYyBmdW5jdGlvbiBvcGVuTG9nKHBhdGg6IHN0cmluZywgZm9sbG93ZXI6IEZvbGxvd2VyIHwgdW5kZWZpbmVkKTogUHJvbWlzZTxGaWxlSGFuZGxlIHwgdW5kZWZpbmVkPiB7XG4gIGZvciAoOzspIHtcbiAgICB0cnkge1xuICAgICAgcmV0dXJuIGF3YWl0IG9wZW4ocGF0aCwgJ3InKTtcbiAgICB9IGNhdGNoIChlcnIpIHtcbiAgICAgIC8vIE5vIGxvZyB5ZXQ6IHRoZSBjb250YWluZXIgbmV2ZXIgc3RhcnRlZC4gTm90aGluZyB0byBzaG93LCB1bmxlc3Mgd2UgYXJlIHRvbGQgdG8gd2FpdCBmb3IgaXQuXG4gICAgICBpZiAoKGVyciBhcyBOb2RlSlMuRXJybm9FeGNlcHRpb24pLmNvZGUgIT09ICdFTk9FTlQnKSB0aHJvdyBlcnI7XG4gICAgICBpZiAoIWZvbGxvd2VyKSByZXR1cm4gdW5kZWZpbmVkO1xuICAgICAgY29uc3QgbmV4dCA9IGF3YWl0IGZvbGxvd2VyLndhaXRGb3JGaWxlKCk7XG4gICAgICBpZiAobmV4dCAhPT0gJ3JldHJ5JykgcmV0dXJuIHVuZGVmaW5lZDtcbiAgICB9XG4gIH1cbn1cblxuaW50ZXJmYWNlIFJhd0VudHJ5IHtcbiAgZXBvY2hOczogYmlnaW50O1xuICB0aW1lTmFubzogc3RyaW5nO1xuICBzdHJlYW06IFN0cmVhbTtcbiAgbGluZTogQnVmZmVyO1xufVxuXG4vKipcbiAqIEpvaW5zIGBQYCBwaWVjZXMgd2l0aCB0aGUgYEZgIHRoYXQgZW5kcyB0aGVtLiBXaGVuIHRoZSBvdGhlciBzdHJlYW0ncyBsaW5lIGNvbWVzIGluIGJldHdlZW4sIHRoZSBwaWVjZXMgc28gZmFyXG4gKiBhcmUgcGFzc2VkIG9uIGFzIHRoZXkgYXJlOiBlbnRyaWVzIHN0YXkgaW4gZmlsZSBvcmRlciAoYXMgRG9ja2VyJ3MganNvbi1maWxlLCB3aGljaCBzdG9yZXMgZWFjaCBjaHVuayksIGV2ZXJ5XG4gKiBzdHJlYW0ncyBieXRlcyBzdGF5IGV4YWN0LCBhbmQgYW4gZW50cnkgaXMgYWx3YXlzIGEgcnVuIG9mIGFkamFjZW50IGxpbmVzLCB3aGljaCBpcyB3aGF0IGxldHMgYHRhaWxgIGNvdW50XG4gKiBlbnRyaWVzIGJhY2t3YXJkcyB3aXRob3V0IHJlYWRpbmcgZnVydGhlciB0aGFuIGl0IHJldHVybnMuXG4gKi9cbmNsYXNzIEFzc2VtYmxlciB7XG4gICNwZW5kaW5nOiB7IGZpcnN0OiBQYXJzZWRMaW5lOyBwYXJ0czogQnVmZmVyW107IHNpemU6IG51bWJlciB9IHwgdW5kZWZpbmVkO1xuXG4gICpwdXNoKHA6IFBhcnNlZExpbmUpOiBHZW5lcmF0b3I8UmF3RW50cnk+IHtcbiAgICBpZiAodGhpcy4jcGVuZGluZyAmJiB0aGlzLiNwZW5kaW5nLmZpcnN0LnN0cmVhbSAhPT0gcC5zdHJlYW0pIHlpZWxkKiB0aGlzLmZsdXNoKCk7XG4gICAgaWYgKCF0aGlzLiNwZW5kaW5nKSB7XG4gICAgICBpZiAoIXAucGFydGlhbCkge1xuICAgICAgICB5aWVsZCB7IGVwb2NoTnM6IHAuZXBvY2hOcywgdGltZU5hbm86IHAudGltZU5hbm8sIHN0cmVhbTogcC5zdHJlYW0sIGxpbmU6IEJ1ZmZlci5jb25jYXQoW3AuY29udGVudCwgTkVXTElORV0pIH07XG4gICAgICAgIHJldHVybjtcbiAgICAgIH1cbiAgICAgIHRoaXMuI3BlbmRpbmcgPSB7IGZpcnN0OiBwLCBwYXJ0czogW10sIHNpemU6IDAgfTtcbiAgICB9XG4gICAgY29uc3QgcGVuZCA9IHRoaXMuI3BlbmRpbmc7XG4gICAgLy8gQSBjb3B5OiB0aGUgY29udGVudCBwb2ludHMgaW50byB0aGUgcmVhZGVyJ3MgYmxvY2sgYnVmZmVyLCB3aGljaCB0aGUgbmV4dCByZWFkIG92ZXJ3cml0ZXMuXG4gICAgcGVuZC5wYXJ0cy5wdXNoKHAucGFydGlhbCA/IEJ1ZmZlci5mcm9tKHAuY29udGVudCkgOiBwLmNvbnRlbnQpO1xuICAgIHBlbmQuc2l6ZSArPSBwLmNvbnRlbnQubGVuZ3RoO1xuICAgIGlmICghcC5wYXJ0aWFsKSB7XG4gICAgICBwZW5kLnBhcnRzLnB1c2goTkVXTElORSk7XG4gICAgICB5aWVsZCogdGhpcy5mbHVzaCgpO1xuICAgIH0gZWxzZSBpZiAocGVuZC5zaXplID49IE1BWF9KT0lORUQpIHtcbiAgICAgIHlpZWxkKiB0aGlzLmZsdXNoKCk7XG4gICAgfVxuICB9XG5cbiAgLyoqIFBhc3NlcyBvbiB0aGUgcGllY2VzIGhlbGQgc28gZmFyICh0aGUgb3RoZXIgc3RyZWFtIHNwb2tlLCB0aGUgZmlsZSBlbmRlZCwgb3IgYSBmb2xsb3dlciBtdXN0IHdhaXQpLiAqL1xuICAqZmx1c2goKTogR2VuZXJhdG9yPFJhd0VudHJ5PiB7XG4gICAgY29uc3QgcGVuZCA9IHRoaXMuI3BlbmRpbmc7XG4gICAgaWYgKCFwZW5kKSByZXR1cm47XG4gICAgdGhpcy4jcGVuZGluZyA9IHVuZGVmaW5lZDtcbiAgICBjb25zdCB7IGZpcnN0IH0gPSBwZW5kO1xuICAgIHlpZWxkIHsgZXBvY2hOczogZmlyc3QuZXBvY2hOcywgdGltZU5hbm86IGZpcnN0LnRpbWVOYW5vLCBzdHJlYW06IGZpcnN0LnN0cmVhbSwgbGluZTogQnVmZmVyLmNvbmNhdChwZW5kLnBhcnRzKSB9O1xuICB9XG59XG5cbmNvbnN0IE5FV0xJTkUgPSBCdWZmZXIuZnJvbSgnXFxuJyk7XG5cbi8qKiBDdXRzIGEgYnl0ZSBzdHJlYW0gaW50byBmaWxlIGxpbmVzICh3aXRob3V0IHRlcm1pbmF0b3IpOyBrZWVwcyBhbiB1bmZpbmlzaGVkIGxhc3QgbGluZSBmb3IgdGhlIG5leHQgY2h1bmsuICovXG5jbGFzcyBMaW5lU3BsaXR0ZXIge1xuICAjY2Fycnk6IEJ1ZmZlcltdID0gW107XG4gICNjYXJyeUxlbiA9IDA7XG4gICNkaXNjYXJkaW5nID0gZmFsc2U7XG5cbiAgcmVzZXQoKTogdm9pZCB7XG4gICAgdGhpcy4jY2FycnkgPSBbXTtcbiAgICB0aGlzLiNjYXJyeUxlbiA9IDA7XG4gICAgdGhpcy4jZGlzY2FyZGluZyA9IGZhbHNlO1xuICB9XG5cbiAgKnB1c2goY2h1bms6IEJ1ZmZlcik6IEdlbmVyYXRvcjxCdWZmZXI+IHtcbiAgICBsZXQgZnJvbSA9IDA7XG4gICAgZm9yIChsZXQgbmwgPSBjaHVuay5pbmRleE9mKE5MKTsgbmwgPj0gMDsgbmwgPSBjaHVuay5pbmRleE9mKE5MLCBmcm9tKSkge1xuICAgICAgaWYgKHRoaXMuI2NhcnJ5TGVuID4gMCB8fCB0aGlzLiNkaXNjYXJkaW5nKSB7XG4gICAgICAgIGNvbnN0IGRpc2NhcmRlZCA9IHRoaXMuI2Rpc2NhcmRpbmc7XG4gICAgICAgIHRoaXMuI2NhcnJ5LnB1c2goY2h1bmsuc3ViYXJyYXkoZnJvbSwgbmwpKTtcbiAgICAgICAgY29uc3QgYnl0ZXMgPSBCdWZmZXIuY29uY2F0KHRoaXMuI2NhcnJ5KTtcbiAgICAgICAgdGhpcy5yZXNldCgpO1xuICAgICAgICBpZiAoIWRpc2NhcmRlZCkgeWllbGQgYnl0ZXM7XG4gICAgICB9IGVsc2Uge1xuICAgICAgICB5aWVsZCBjaHVuay5zdWJhcnJheShmcm9tLCBubCk7XG4gICAgICB9XG4gICAgICBmcm9tID0gbmwgKyAxO1xuICAgIH1cbiAgICBpZiAoZnJvbSA9PT0gY2h1bmsubGVuZ3RoIHx8IHRoaXMuI2Rpc2NhcmRpbmcpIHJldHVybjtcbiAgICAvLyBBIGNvcHk6IHRoZSBjYWxsZXIgcmV1c2VzIGl0cyByZWFkIGJ1ZmZlci5cbiAgICBjb25zdCByZXN0ID0gQnVmZmVyLmZyb20oY2h1bmsuc3ViYXJyYXkoZnJvbSkpO1xuICAgIHRoaXMuI2NhcnJ5LnB1c2gocmVzdCk7XG4gICAgdGhpcy4jY2FycnlMZW4gKz0gcmVzdC5sZW5ndGg7XG4gICAgaWYgKHRoaXMuI2NhcnJ5TGVuID4gTUFYX0ZJTEVfTElORSkge1xuICAgICAgdGhpcy4jY2FycnkgPSBbXTtcbiAgICAgIHRoaXMuI2NhcnJ5TGVuID0gMDtcbiAgICAgIHRoaXMuI2Rpc2NhcmRpbmcgPSB0cnVlO1xuICAgIH1cbiAgfVxufVxuXG5jb25zdCBUSU1FU1RBTVAgPSAvXihcXGR7NH0pLShcXGRcXGQpLShcXGRcXGQpVChcXGRcXGQpOihcXGRcXGQpOihcXGRcXGQpKD86XFwuKFxcZHsxLDl9KSk/KFp8WystXVxcZFxcZDpcXGRcXGQpJC87XG5cbi8qKiBQYXJzZXMgb25lIGZpbGUgbGluZSAod2l0aG91dCBpdHMgdGVybWluYXRvcik7IHVuZGVmaW5lZCBmb3IgYSBsaW5lIHRoYXQgaXMgbm90IGluIHRoZSBmb3JtYXQuICovXG5mdW5jdGlvbiBwYXJzZUxpbmUoYnl0ZXM6IEJ1ZmZlcik6IFBhcnNlZExpbmUgfCB1bmRlZmluZWQge1xuICBjb25zdCBoID0gcGFyc2VIZWFkZXIoYnl0ZXMpO1xuICBpZiAoIWgpIHJldHVybiB1bmRlZmluZWQ7XG4gIHJldHVybiB7IC4uLmgsIGNvbnRlbnQ6IGJ5dGVzLnN1YmFycmF5KGguY29udGVudFN0YXJ0KSB9O1xufVxuXG5mdW5jdGlvbiBwYXJzZUhlYWRlcihieXRlczogQnVmZmVyKTogKE9taXQ8UGFyc2VkTGluZSwgJ2NvbnRlbnQnPiAmIHsgY29udGVudFN0YXJ0OiBudW1iZXIgfSkgfCB1bmRlZmluZWQge1xuICBjb25zdCBzcDEgPSBieXRlcy5pbmRleE9mKDB4MjApO1xuICBpZiAoc3AxIDwgMCB8fCBzcDEgPiA0MCkgcmV0dXJuIHVuZGVmaW5lZDtcbiAgY29uc3Qgc3AyID0gYnl0ZXMuaW5kZXhPZigweDIwLCBzcDEgKyAxKTtcbiAgaWYgKHNwMiA8IDApIHJldHVybiB1bmRlZmluZWQ7XG4gIGNvbnN0IHN0cmVhbVRleHQgPSBieXRlcy50b1N0cmluZygnbGF0aW4xJywgc3AxICsgMSwgc3AyKTtcbiAgaWYgKHN0cmVhbVRleHQgIT09ICdzdGRvdXQnICYmIHN0cmVhbVRleHQgIT09ICdzdGRlcnInKSByZXR1cm4gdW5kZWZpbmVkO1xuICBjb25zdCB0YWcgPSBieXRlc1tzcDIgKyAxXTtcbiAgaWYgKCh0YWcgIT09IDB4NTAgJiYgdGFnICE9PSAweDQ2KSB8fCAoYnl0ZXMubGVuZ3RoID4gc3AyICsgMiAmJiBieXRlc1tzcDIgKyAyXSAhPT0gMHgyMCkpIHJldHVybiB1bmRlZmluZWQ7XG4gIGNvbnN0IHRpbWVOYW5vID0gYnl0ZXMudG9TdHJpbmcoJ2xhdGluMScsIDAsIHNwMSk7XG4gIGNvbnN0IGVwb2NoTnMgPSBwYXJzZVRpbWVzdGFtcCh0aW1lTmFubyk7XG4gIGlmIChlcG9jaE5zID09PSB1bmRlZmluZWQpIHJldHVybiB1bmRlZmluZWQ7XG4gIHJldHVybiB7IHRpbWVOYW5vLCBlcG9jaE5zLCBzdHJlYW06IHN0cmVhbVRleHQsIHBhcnRpYWw6IHRhZyA9PT0gMHg1MCwgY29udGVudFN0YXJ0OiBNYXRoLm1pbihieXRlcy5sZW5ndGgsIHNwMiArIDMpIH07XG59XG5cbi8qKiBSRkMgMzMzOSB3aXRoIHVwIHRvIG5hbm9zZWNvbmRzIFx1MjE5MiBuYW5vc2Vjb25kcyBzaW5jZSB0aGUgZXBvY2ggKERhdGUga2VlcHMgb25seSBtaWxsaXNlY29uZHMpLiAqL1xuZXhwb3J0IGZ1bmN0aW9uIHBhcnNlVGltZXN0YW1wKHRleHQ6IHN0cmluZyk6IGJpZ2ludCB8IHVuZGVmaW5lZCB7XG4gIGNvbnN0IG0gPSBUSU1FU1RBTVAuZXhlYyh0ZXh0KTtcbiAgaWYgKCFtKSByZXR1cm4gdW5kZWZpbmVkO1xuICBjb25zdCBbLCB5LCBtbywgZCwgaCwgbWksIHMsIGZyYWMgPSAnJywgem9uZV0gPSBtO1xuICBsZXQgbXMgPSBEYXRlLlVUQyhOdW1iZXIoeSksIE51bWJlcihtbykgLSAxLCBOdW1iZXIoZCksIE51bWJlcihoKSwgTnVtYmVyKG1pKSwgTnVtYmVyKHMpKTtcbiAgaWYgKHpvbmUgIT09ICdaJykge1xuICAgIGNvbnN0IHNpZ24gPSB6b25lIS5zdGFydHNXaXRoKCctJykgPyAtMSA6IDE7XG4gICAgbXMgLT0gc2lnbiAqIChOdW1iZXIoem9uZSEuc2xpY2UoMSwgMykpICogNjAgKyBOdW1iZXIoem9uZSEuc2xpY2UoNCwgNikpKSAqIDYwXzAwMDtcbiAgfVxuICBpZiAoTnVtYmVyLmlzTmFOKG1zKSkgcmV0dXJuIHVuZGVmaW5lZDtcbiAgcmV0dXJuIEJpZ0ludChtcykgKiAxXzAwMF8wMDBuICsgQmlnSW50KGZyYWMucGFkRW5kKDksICcwJykpO1xufVxuXG5mdW5jdGlvbiBkYXRlVG9OcyhkOiBEYXRlKTogYmlnaW50IHtcbiAgcmV0dXJuIEJpZ0ludChkLmdldFRpbWUoKSkgKiAxXzAwMF8wMDBuO1xufVxuXG4vKipcbiAqIFdoZXJlIHJlYWRpbmcgbXVzdCBzdGFydCBmb3IgdGhlIGxhc3QgYG5gIGVudHJpZXMsIGZvdW5kIGJ5IHJlYWRpbmcgYmFja3dhcmRzIGJsb2NrIGJ5IGJsb2NrLiBBbiBlbnRyeSBpcyBhXG4gKiBydW4gb2YgYWRqYWNlbnQgbGluZXMgb2Ygb25lIHN0cmVhbTogYFBgIGxpbmVzIGFuZCB0aGUgYEZgIHRoYXQgZW5kcyB0aGVtIChzZWUgQXNzZW1ibGVyKS4gU28sIHNjYW5uaW5nXG4gKiBiYWNrd2FyZHMsIGEgbGluZSBlbmRzIGFuIGVudHJ5IHVubGVzcyBpdCBpcyBhIGBQYCBmb2xsb3dlZCBieSBhIGxpbmUgb2YgdGhlIHNhbWUgc3RyZWFtOyB0aGUgKG4rMSktdGggZW50cnlcbiAqIGVuZCB3ZSBtZWV0IGlzIHdoZXJlIHRoZSB0YWlsIGJlZ2lucy5cbiAqL1xuYXN5bmMgZnVuY3Rpb24gZmluZFRhaWxTdGFydChmaDogRmlsZUhhbmRsZSwgc2l6ZTogbnVtYmVyLCBuOiBudW1iZXIpOiBQcm9taXNlPG51bWJlcj4ge1xuICBsZXQgZW50cmllcyA9IDA7XG4gIGxldCBuZXh0OiB7IHN0cmVhbTogU3RyZWFtIH0gfCB1bmRlZmluZWQ7IC8vIHRoZSBwYXJzZWQgbGluZSBhZnRlciB0aGUgb25lIGJlaW5nIHZpc2l0ZWRcbiAgLy8gRGVjaWRlIHBlciBjb21wbGV0ZSBsaW5lLCBuZXdlc3QgZmlyc3QuIFRydWUgd2hlbiB0aGUgbGluZSBpcyBvdXRzaWRlIHRoZSB0YWlsICh0aGUgc2NhbiBzdG9wcykuXG4gIGNvbnN0IHZpc2l0ID0gKGhlYWRlcjogQnVmZmVyKTogYm9vbGVhbiA9PiB7XG4gICAgY29uc3QgaCA9IHBhcnNlSGVhZGVyKGhlYWRlcik7XG4gICAgaWYgKCFoKSByZXR1cm4gZmFsc2U7XG4gICAgY29uc3QgY29udGludWVzID0gaC5wYXJ0aWFsICYmIG5leHQgIT09IHVuZGVmaW5lZCAmJiBuZXh0LnN0cmVhbSA9PT0gaC5zdHJlYW07XG4gICAgbmV4dCA9IGg7XG4gICAgaWYgKGNvbnRpbnVlcykgcmV0dXJuIGZhbHNlO1xuICAgIHJldHVybiArK2VudHJpZXMgPiBuO1xuICB9O1xuXG4gIGlmIChuID09PSAwKSByZXR1cm4gZW5kT2ZMYXN0TGluZShmaCwgc2l6ZSk7XG4gIGxldCBlbmQgPSBzaXplO1xuICBsZXQgbGluZUVuZCA9IC0xOyAvLyBmaWxlIG9mZnNldCBvZiB0aGUgbmV3bGluZSBlbmRpbmcgdGhlIGxpbmUgYmVpbmcgYXNzZW1ibGVkOyB0aGUgYnl0ZXMgYWZ0ZXIgdGhlIGxhc3Qgb25lIGFyZSBhIGxpbmUgc3RpbGwgYmVpbmcgd3JpdHRlblxuICBsZXQgaGVhZGVyOiBCdWZmZXIgPSBCdWZmZXIuYWxsb2MoMCk7IC8vIHRoZSBmaXJzdCBieXRlcyBzZWVuIHNvIGZhciBvZiB0aGUgbGluZSBlbmRpbmcgYXQgbGluZUVuZFxuICBjb25zdCBidWYgPSBCdWZmZXIuYWxsb2NVbnNhZmUoQkxPQ0spO1xuICB3aGlsZSAoZW5kID4gMCkge1xuICAgIGNvbnN0IGZyb20gPSBNYXRoLm1heCgwLCBlbmQgLSBCTE9DSyk7XG4gICAgY29uc3QgeyBieXRlc1JlYWQgfSA9IGF3YWl0IGZoLnJlYWQoYnVmLCAwLCBlbmQgLSBmcm9tLCBmcm9tKTtcbiAgICBjb25zdCBibG9jayA9IGJ1Zi5zdWJhcnJheSgwLCBieXRlc1JlYWQpO1xuICAgIGxldCBpID0gYmxvY2subGVuZ3RoO1xuICAgIHdoaWxlIChpID4gMCkge1xuICAgICAgY29uc3QgbmwgPSBibG9jay5sYXN0SW5kZXhPZihOTCwgaSAtIDEpO1xuICAgICAgaWYgKG5sIDwgMCkge1xuICAgICAgICAvLyBUaGUgbGluZSBjb250aW51ZXMgaW50byB0aGUgcHJldmlvdXMgYmxvY2s6IGtlZXAgb25seSBpdHMgc3RhcnQsIHdoaWNoIGlzIGFsbCB3ZSBuZWVkLlxuICAgICAgICBoZWFkZXIgPSBCdWZmZXIuY29uY2F0KFtibG9jay5zdWJhcnJheSgwLCBpKSwgaGVhZGVyXSkuc3ViYXJyYXkoMCwgSEVBREVSX0JZVEVTKTtcbiAgICAgICAgYnJlYWs7XG4gICAgICB9XG4gICAgICBpZiAobGluZUVuZCA+PSAwKSB7XG4gICAgICAgIGhlYWRlciA9IEJ1ZmZlci5jb25jYXQoW2Jsb2NrLnN1YmFycmF5KG5sICsgMSwgaSksIGhlYWRlcl0pLnN1YmFycmF5KDAsIEhFQURFUl9CWVRFUyk7XG4gICAgICAgIGlmICh2aXNpdChoZWFkZXIpKSByZXR1cm4gbGluZUVuZCArIDE7XG4gICAgICB9XG4gICAgICBsaW5lRW5kID0gZnJvbSArIG5sO1xuICAgICAgaGVhZGVyID0gQnVmZmVyLmFsbG9jKDApO1xuICAgICAgaSA9IG5sO1xuICAgIH1cbiAgICBlbmQgPSBmcm9tO1xuICB9XG4gIC8vIFRoZSBmaXJzdCBsaW5lIG9mIHRoZSBmaWxlLlxuICBpZiAobGluZUVuZCA+PSAwICYmIHZpc2l0KGhlYWRlcikpIHJldHVybiBsaW5lRW5kICsgMTtcbiAgcmV0dXJuIDA7XG59XG5cbmFzeW5jIGZ1bmN0aW9uIGVuZE9mTGFzdExpbmUoZmg6IEZpbGVIYW5kbGUsIHNpemU6IG51bWJlcik6IFByb21pc2U8bnVtYmVyPiB7XG4gIGNvbnN0IGJ1ZiA9IEJ1ZmZlci5hbGxvY1Vuc2FmZShCTE9DSyk7XG4gIGxldCBlbmQgPSBzaXplO1xuICB3aGlsZSAoZW5kID4gMCkge1xuICAgIGNvbnN0IGZyb20gPSBNYXRoLm1heCgwLCBlbmQgLSBCTE9DSyk7XG4gICAgY29uc3QgeyBieXRlc1JlYWQgfSA9IGF3YWl0IGZoLnJlYWQoYnVmLCAwLCBlbmQgLSBmcm9tLCBmcm9tKTtcbiAgICBjb25zdCBubCA9IGJ1Zi5zdWJhcnJheSgwLCBieXRlc1JlYWQpLmxhc3RJbmRleE9mKE5MKTtcbiAgICBpZiAobmwgPj0gMCkgcmV0dXJuIGZyb20gKyBubCArIDE7XG4gICAgZW5kID0gZnJvbTtcbiAgfVxuICByZXR1cm4gMDtcbn1cblxuLyoqXG4gKiBXYWl0cyBmb3IgdGhlIGxvZyB0byBncm93OiBpbm90aWZ5IHdha2VzIHVzIGF0IG9uY2UsIGEgc2xvdyBwb2xsIGNvdmVycyBmaWxlc3lzdGVtcyB3aGVyZSBpdCBpcyBzaWxlbnQuIEFsc29cbiAqIG5vdGljZXMgdGhlIHdyaXRlciByZXBsYWNpbmcgdGhlIGZpbGUgKGNvbm1vbidzIGxvZyByZW9wZW4gcmVuYW1lcyBhIG5ldywgZW1wdHkgZmlsZSBvdmVyIHRoZSBwYXRoKS5cbiAqL1xuY2xhc3MgRm9sbG93ZXIge1xuICAjcGF0aDogc3RyaW5nO1xuICAjc2lnbmFsOiBBYm9ydFNpZ25hbCB8IHVuZGVmaW5lZDtcbiAgI3VudGlsTXM6IG51bWJlciB8IHVuZGVmaW5lZDtcbiAgI3BvbGw6IG51bWJlcjtcbiAgI2RvbmUgPSBmYWxzZTtcbiAgI2RyYWluZWRBZnRlckRvbmUgPSBmYWxzZTtcbiAgI3dhdGNoZXI6IEZTV2F0Y2hlciB8IHVuZGVmaW5lZDtcbiAgI3dha2U6ICgoKSA9PiB2b2lkKSB8IHVuZGVmaW5lZDtcblxuICBjb25zdHJ1Y3RvcihwYXRoOiBzdHJpbmcsIG9wdHM6IFJlYWRMb2dPcHRpb25zKSB7XG4gICAgdGhpcy4jcGF0aCA9IHBhdGg7XG4gICAgdGhpcy4jc2lnbmFsID0gb3B0cy5zaWduYWw7XG4gICAgdGhpcy4jdW50aWxNcyA9IG9wdHMudW50aWw/LmdldFRpbWUoKTtcbiAgICB0aGlzLiNwb2xsID0gb3B0cy5wb2xsSW50ZXJ2YWxNcyA/PyAyNTA7XG4gICAgY29uc3QgZmluaXNoID0gKCk6IHZvaWQgPT4ge1xuICAgICAgdGhpcy4jZG9uZSA9IHRydWU7XG4gICAgICB0aGlzLiN3YWtlPy4oKTtcbiAgICB9O1xuICAgIG9wdHMuZG9uZT8udGhlbihmaW5pc2gsIGZpbmlzaCk7XG4gIH1cblxuICAvKipcbiAgICogQ2FsbGVkIHdoZW4gYSByZWFkIG9mIGBmaGAgYXQgYHBvc2AgZm91bmQgbm90aGluZy4gJ21vcmUnOiByZWFkIGBmaGAgYWdhaW47IGEgbmV3IGhhbmRsZTogdGhlIGZpbGUgd2FzXG4gICAqIHJlcGxhY2VkIGFuZCB0aGUgb2xkIG9uZSBpcyBkcmFpbmVkOyAnc3RvcCc6IHRoZSB3cml0ZXIgaXMgZG9uZSBhbmQgZXZlcnl0aGluZyBpcyByZWFkLlxuICAgKi9cbiAgYXN5bmMgd2FpdEZvck1vcmUoZmg6IEZpbGVIYW5kbGUsIHBvczogbnVtYmVyKTogUHJvbWlzZTwnbW9yZScgfCAnc3RvcCcgfCAnYWJvcnRlZCcgfCBGaWxlSGFuZGxlPiB7XG4gICAgaWYgKHRoaXMuI3NpZ25hbD8uYWJvcnRlZCkgcmV0dXJuICdhYm9ydGVkJztcbiAgICBpZiAodGhpcy4jZG9uZSkge1xuICAgICAgLy8gVGhlIHJlYWQgdGhhdCBqdXN0IGZvdW5kIG5vdGhpbmcgbWF5IGhhdmUgYmVndW4gYmVmb3JlIGBkb25lYCByZXNvbHZlZDogcmVhZCBvbmNlIG1vcmUsIG5vdyB0aGF0IHRoZVxuICAgICAgLy8gd3JpdGVyIGhhcyBjZXJ0YWlubHkgZmluaXNoZWQgKGl0IGZpbmlzaGVzIGJlZm9yZSBhbm5vdW5jaW5nIGl0KS5cbiAgICAgIGlmICh0aGlzLiNkcmFpbmVkQWZ0ZXJEb25lKSByZXR1cm4gJ3N0b3AnO1xuICAgICAgdGhpcy4jZHJhaW5lZEFmdGVyRG9uZSA9IHRydWU7XG4gICAgICByZXR1cm4gJ21vcmUnO1xuICAgIH1cbiAgICBpZiAodGhpcy4jdW50aWxNcyAhPT0gdW5kZWZpbmVkICYmIERhdGUubm93KCkgPiB0aGlzLiN1bnRpbE1zKSByZXR1cm4gJ3N0b3AnO1xuICAgIHRoaXMuI2Vuc3VyZVdhdGNoZXIoKTtcbiAgICAvLyBBcm1lZCBiZWZvcmUgdGhpcyBjaGVjaywgc28gYSB3cml0ZSBhZnRlciBpdCB3YWtlcyB1czogbm8gbG9zdCB3YWtlLXVwLlxuICAgIGlmICgoYXdhaXQgZmguc3RhdCgpKS5zaXplID4gcG9zKSByZXR1cm4gJ21vcmUnO1xuICAgIGNvbnN0IHJlcGxhY2VkID0gYXdhaXQgdGhpcy4jcmVwbGFjZWQoZmgpO1xuICAgIGlmIChyZXBsYWNlZCkge1xuICAgICAgdGhpcy4jd2F0Y2hlcj8uY2xvc2UoKTtcbiAgICAgIHRoaXMuI3dhdGNoZXIgPSB1bmRlZmluZWQ7XG4gICAgICByZXR1cm4gcmVwbGFjZWQ7XG4gICAgfVxuICAgIGF3YWl0IHRoaXMuI3NsZWVwKCk7XG4gICAgcmV0dXJuIHRoaXMuI3NpZ25hbD8uYWJvcnRlZCA/ICdhYm9ydGVkJyA6ICdtb3JlJztcbiAgfVxuXG4gIGFzeW5jIHdhaXRGb3JGaWxlKCk6IFByb21pc2U8J3JldHJ5JyB8ICdzdG9wJz4ge1xuICAgIGlmICh0aGlzLiNzaWduYWw/LmFib3J0ZWQgfHwgdGhpcy4jZG9uZSkgcmV0dXJuICdzdG9wJztcbiAgICBpZiAodGhpcy4jdW50aWxNcyAhPT0gdW5kZWZpbmVkICYmIERhdGUubm93KCkgPiB0aGlzLiN1bnRpbE1zKSByZXR1cm4gJ3N0b3AnO1xuICAgIGF3YWl0IHRoaXMuI3NsZWVwKCk7XG4gICAgcmV0dXJuICdyZXRyeSc7XG4gIH1cblxuICBhc3luYyAjcmVwbGFjZWQoZmg6IEZpbGVIYW5kbGUpOiBQcm9taXNlPEZpbGVIYW5kbGUgfCB1bmRlZmluZWQ+IHtcbiAgICBjb25zdCBbbWluZSwgY3VycmVudF0gPSBhd2FpdCBQcm9taXNlLmFsbChbZmguc3RhdCgpLCBzdGF0KHRoaXMuI3BhdGgpLmNhdGNoKCgpID0+IHVuZGVmaW5lZCldKTtcbiAgICBpZiAoIWN1cnJlbnQgfHwgKGN1cnJlbnQuaW5vID09PSBtaW5lLmlubyAmJiBjdXJyZW50LmRldiA9PT0gbWluZS5kZXYpKSByZXR1cm4gdW5kZWZpbmVkO1xuICAgIHJldHVybiBvcGVuKHRoaXMuI3BhdGgsICdyJykuY2F0Y2goKCkgPT4gdW5kZWZpbmVkKTtcbiAgfVxuXG4gICNlbnN1cmVXYXRjaGVyKCk6IHZvaWQge1xuICAgIGlmICh0aGlzLiN3YXRjaGVyKSByZXR1cm47XG4gICAgdHJ5IHtcbiAgICAgIHRoaXMuI3dhdGNoZXIgPSB3YXRjaCh0aGlzLiNwYXRoLCB7IHBlcnNpc3RlbnQ6IGZhbHNlIH0sICgpID0+IHRoaXMuI3dha2U/LigpKTtcbiAgICAgIHRoaXMuI3dhdGNoZXIub24oJ2Vycm9yJywgKCkgPT4gdW5kZWZpbmVkKTtcbiAgICB9IGNhdGNoIHtcbiAgICAgIC8vIFBvbGxpbmcgYWxvbmUgc3RpbGwgd29ya3MuXG4gICAgfVxuICB9XG5cbiAgI3NsZWVwKCk6IFByb21pc2U8dm9pZD4ge1xuICAgIHJldHVybiBuZXcgUHJvbWlzZSgocmVzb2x2ZSkgPT4ge1xuICAgICAgbGV0IHdhaXQgPSB0aGlzLiNwb2xsO1xuICAgICAgaWYgKHRoaXMuI3VudGlsTXMgIT09IHVuZGVmaW5lZCkgd2FpdCA9IE1hdGgubWF4KDAsIE1hdGgubWluKHdhaXQsIHRoaXMuI3VudGlsTXMgLSBEYXRlLm5vdygpICsgMSkpO1xuICAgICAgY29uc3QgZmluaXNoID0gKCk6IHZvaWQgPT4ge1xuICAgICAgICBjbGVhclRpbWVvdXQodGltZXIpO1xuICAgICAgICB0aGlzLiNzaWduYWw/LnJlbW92ZUV2ZW50TGlzdGVuZXIoJ2Fib3J0JywgZmluaXNoKTtcbiAgICAgICAgdGhpcy4jd2FrZSA9IHVuZGVmaW5lZDtcbiAgICAgICAgcmVzb2x2ZSgpO1xuICAgICAgfTtcbiAgICAgIGNvbnN0IHRpbWVyID0gc2V0VGltZW91dChmaW5pc2gsIHdhaXQpO1xuICAgICAgdGhpcy4jc2lnbmFsPy5hZGRFdmVudExpc3RlbmVyKCdhYm9ydCcsIGZpbmlzaCwgeyBvbmNlOiB0cnVlIH0pO1xuICAgICAgdGhpcy4jd2FrZSA9IGZpbmlzaDtcbiAgICB9KTtcbiAgfVxuXG4gIGNsb3NlKCk6IHZvaWQge1xuICAgIHRoaXMuI3dhdGNoZXI/LmNsb3NlKCk7XG4gICAgdGhpcy4jd2FrZT8uKCk7XG4gIH1cbn1cbiIsICJpbXBvcnQgeyByZWFkQ29udGFpbmVyTG9nIH0gZnJvbSAnL3dvcmsvbWFpbi9zcmMvcGtnL2NvbnRhaW5lci1sb2cudHMnO1xuY29uc3QgdCA9IERhdGUubm93KCk7XG5sZXQgbiA9IDA7XG5mb3IgYXdhaXQgKGNvbnN0IGUgb2YgcmVhZENvbnRhaW5lckxvZygnJywge30pKSBuKys7XG5jb25zb2xlLmxvZyhuLCBEYXRlLm5vdygpIC0gdCwgJ21zJyk7XG4iXSwKICAibWFwcGluZ3MiOiAiO0FBQUEsU0FBUyxhQUE2QjtBQUN0QyxTQUFTLE1BQU0sWUFBNkI7QUFxRDVDLElBQU0sUUFBUSxLQUFLO0FBQ25CLElBQU0sS0FBSztBQUVYLElBQU0sZ0JBQWdCLE9BQU87QUFFN0IsSUFBTSxhQUFhLE9BQU87QUFFMUIsSUFBTSxlQUFlO0FBTXJCLGdCQUF1QixpQkFBaUIsTUFBYyxPQUF1QixDQUFDLEdBQThDO0FBQzFILFFBQU0sRUFBRSxPQUFPLElBQUk7QUFDbkIsUUFBTSxVQUFVLEtBQUssUUFBUSxTQUFTLEtBQUssS0FBSyxJQUFJO0FBQ3BELFFBQU0sVUFBVSxLQUFLLFFBQVEsU0FBUyxLQUFLLEtBQUssSUFBSTtBQUNwRCxRQUFNLFdBQVcsS0FBSyxTQUFTLElBQUksU0FBUyxNQUFNLElBQUksSUFBSTtBQUUxRCxZQUFVLEtBQUssU0FBMkQ7QUFDeEUsZUFBVyxLQUFLLFNBQVM7QUFDdkIsVUFBSSxZQUFZLFVBQWEsRUFBRSxVQUFVLFFBQVMsUUFBTztBQUN6RCxVQUFJLFlBQVksVUFBYSxFQUFFLFVBQVUsUUFBUztBQUNsRCxZQUFNLEVBQUUsTUFBTSxJQUFJLEtBQUssT0FBTyxFQUFFLFVBQVUsUUFBVSxDQUFDLEdBQUcsVUFBVSxFQUFFLFVBQVUsUUFBUSxFQUFFLFFBQVEsTUFBTSxFQUFFLEtBQUs7QUFBQSxJQUMvRztBQUNBLFdBQU87QUFBQSxFQUNUO0FBRUEsTUFBSTtBQUNKLE1BQUk7QUFDRixTQUFLLE1BQU0sUUFBUSxNQUFNLFFBQVE7QUFDakMsUUFBSSxDQUFDLEdBQUk7QUFDVCxRQUFJLE1BQU07QUFDVixRQUFJLEtBQUssU0FBUyxVQUFhLEtBQUssUUFBUSxFQUFHLE9BQU0sTUFBTSxjQUFjLEtBQUssTUFBTSxHQUFHLEtBQUssR0FBRyxNQUFNLEtBQUssTUFBTSxLQUFLLElBQUksQ0FBQztBQUMxSCxVQUFNLFlBQVksSUFBSSxVQUFVO0FBQ2hDLFVBQU0sUUFBUSxJQUFJLGFBQWE7QUFDL0IsVUFBTSxNQUFNLE9BQU8sWUFBWSxLQUFLO0FBQ3BDLGVBQVM7QUFDUCxVQUFJLFFBQVEsUUFBUztBQUNyQixZQUFNLEVBQUUsVUFBVSxJQUFJLE1BQU0sR0FBRyxLQUFLLEtBQUssR0FBRyxPQUFPLEdBQUc7QUFDdEQsVUFBSSxZQUFZLEdBQUc7QUFDakIsZUFBTztBQUNQLG1CQUFXLFNBQVMsTUFBTSxLQUFLLElBQUksU0FBUyxHQUFHLFNBQVMsQ0FBQyxHQUFHO0FBQzFELGdCQUFNLFNBQVMsVUFBVSxLQUFLO0FBQzlCLGNBQUksV0FBVyxPQUFPLEtBQUssVUFBVSxLQUFLLE1BQU0sQ0FBQyxHQUFJO0FBQUEsUUFDdkQ7QUFDQTtBQUFBLE1BQ0Y7QUFFQSxVQUFJLENBQUMsU0FBVTtBQUVmLFVBQUksT0FBTyxLQUFLLFVBQVUsTUFBTSxDQUFDLEVBQUc7QUFDcEMsWUFBTSxPQUFPLE1BQU0sU0FBUyxZQUFZLElBQUksR0FBRztBQUMvQyxVQUFJLFNBQVMsT0FBUTtBQUNyQixVQUFJLFNBQVMsVUFBVztBQUN4QixVQUFJLFNBQVMsUUFBUTtBQUVuQixjQUFNLEdBQUcsTUFBTTtBQUNmLGFBQUs7QUFDTCxjQUFNO0FBQ04sY0FBTSxNQUFNO0FBQUEsTUFDZDtBQUFBLElBQ0Y7QUFFQSxXQUFPLEtBQUssVUFBVSxNQUFNLENBQUM7QUFBQSxFQUMvQixVQUFFO0FBQ0EsY0FBVSxNQUFNO0FBQ2hCLFVBQU0sSUFBSSxNQUFNO0FBQUEsRUFDbEI7QUFDRjtBQUVBLGVBQWUsUUFBUSxNQUFjLFVBQWlFO0FBQ3BHLGFBQVM7QUFDUCxRQUFJO0FBQ0YsYUFBTyxNQUFNLEtBQUssTUFBTSxHQUFHO0FBQUEsSUFDN0IsU0FBUyxLQUFLO0FBRVosVUFBSyxJQUE4QixTQUFTLFNBQVUsT0FBTTtBQUM1RCxVQUFJLENBQUMsU0FBVSxRQUFPO0FBQ3RCLFlBQU0sT0FBTyxNQUFNLFNBQVMsWUFBWTtBQUN4QyxVQUFJLFNBQVMsUUFBUyxRQUFPO0FBQUEsSUFDL0I7QUFBQSxFQUNGO0FBQ0Y7QUFlQSxJQUFNLFlBQU4sTUFBZ0I7QUFBQSxFQUNkO0FBQUEsRUFFQSxDQUFDLEtBQUssR0FBb0M7QUFDeEMsUUFBSSxLQUFLLFlBQVksS0FBSyxTQUFTLE1BQU0sV0FBVyxFQUFFLE9BQVEsUUFBTyxLQUFLLE1BQU07QUFDaEYsUUFBSSxDQUFDLEtBQUssVUFBVTtBQUNsQixVQUFJLENBQUMsRUFBRSxTQUFTO0FBQ2QsY0FBTSxFQUFFLFNBQVMsRUFBRSxTQUFTLFVBQVUsRUFBRSxVQUFVLFFBQVEsRUFBRSxRQUFRLE1BQU0sT0FBTyxPQUFPLENBQUMsRUFBRSxTQUFTLE9BQU8sQ0FBQyxFQUFFO0FBQzlHO0FBQUEsTUFDRjtBQUNBLFdBQUssV0FBVyxFQUFFLE9BQU8sR0FBRyxPQUFPLENBQUMsR0FBRyxNQUFNLEVBQUU7QUFBQSxJQUNqRDtBQUNBLFVBQU0sT0FBTyxLQUFLO0FBRWxCLFNBQUssTUFBTSxLQUFLLEVBQUUsVUFBVSxPQUFPLEtBQUssRUFBRSxPQUFPLElBQUksRUFBRSxPQUFPO0FBQzlELFNBQUssUUFBUSxFQUFFLFFBQVE7QUFDdkIsUUFBSSxDQUFDLEVBQUUsU0FBUztBQUNkLFdBQUssTUFBTSxLQUFLLE9BQU87QUFDdkIsYUFBTyxLQUFLLE1BQU07QUFBQSxJQUNwQixXQUFXLEtBQUssUUFBUSxZQUFZO0FBQ2xDLGFBQU8sS0FBSyxNQUFNO0FBQUEsSUFDcEI7QUFBQSxFQUNGO0FBQUE7QUFBQSxFQUdBLENBQUMsUUFBNkI7QUFDNUIsVUFBTSxPQUFPLEtBQUs7QUFDbEIsUUFBSSxDQUFDLEtBQU07QUFDWCxTQUFLLFdBQVc7QUFDaEIsVUFBTSxFQUFFLE1BQU0sSUFBSTtBQUNsQixVQUFNLEVBQUUsU0FBUyxNQUFNLFNBQVMsVUFBVSxNQUFNLFVBQVUsUUFBUSxNQUFNLFFBQVEsTUFBTSxPQUFPLE9BQU8sS0FBSyxLQUFLLEVBQUU7QUFBQSxFQUNsSDtBQUNGO0FBRUEsSUFBTSxVQUFVLE9BQU8sS0FBSyxJQUFJO0FBR2hDLElBQU0sZUFBTixNQUFtQjtBQUFBLEVBQ2pCLFNBQW1CLENBQUM7QUFBQSxFQUNwQixZQUFZO0FBQUEsRUFDWixjQUFjO0FBQUEsRUFFZCxRQUFjO0FBQ1osU0FBSyxTQUFTLENBQUM7QUFDZixTQUFLLFlBQVk7QUFDakIsU0FBSyxjQUFjO0FBQUEsRUFDckI7QUFBQSxFQUVBLENBQUMsS0FBSyxPQUFrQztBQUN0QyxRQUFJLE9BQU87QUFDWCxhQUFTLEtBQUssTUFBTSxRQUFRLEVBQUUsR0FBRyxNQUFNLEdBQUcsS0FBSyxNQUFNLFFBQVEsSUFBSSxJQUFJLEdBQUc7QUFDdEUsVUFBSSxLQUFLLFlBQVksS0FBSyxLQUFLLGFBQWE7QUFDMUMsY0FBTSxZQUFZLEtBQUs7QUFDdkIsYUFBSyxPQUFPLEtBQUssTUFBTSxTQUFTLE1BQU0sRUFBRSxDQUFDO0FBQ3pDLGNBQU0sUUFBUSxPQUFPLE9BQU8sS0FBSyxNQUFNO0FBQ3ZDLGFBQUssTUFBTTtBQUNYLFlBQUksQ0FBQyxVQUFXLE9BQU07QUFBQSxNQUN4QixPQUFPO0FBQ0wsY0FBTSxNQUFNLFNBQVMsTUFBTSxFQUFFO0FBQUEsTUFDL0I7QUFDQSxhQUFPLEtBQUs7QUFBQSxJQUNkO0FBQ0EsUUFBSSxTQUFTLE1BQU0sVUFBVSxLQUFLLFlBQWE7QUFFL0MsVUFBTSxPQUFPLE9BQU8sS0FBSyxNQUFNLFNBQVMsSUFBSSxDQUFDO0FBQzdDLFNBQUssT0FBTyxLQUFLLElBQUk7QUFDckIsU0FBSyxhQUFhLEtBQUs7QUFDdkIsUUFBSSxLQUFLLFlBQVksZUFBZTtBQUNsQyxXQUFLLFNBQVMsQ0FBQztBQUNmLFdBQUssWUFBWTtBQUNqQixXQUFLLGNBQWM7QUFBQSxJQUNyQjtBQUFBLEVBQ0Y7QUFDRjtBQUVBLElBQU0sWUFBWTtBQUdsQixTQUFTLFVBQVUsT0FBdUM7QUFDeEQsUUFBTSxJQUFJLFlBQVksS0FBSztBQUMzQixNQUFJLENBQUMsRUFBRyxRQUFPO0FBQ2YsU0FBTyxFQUFFLEdBQUcsR0FBRyxTQUFTLE1BQU0sU0FBUyxFQUFFLFlBQVksRUFBRTtBQUN6RDtBQUVBLFNBQVMsWUFBWSxPQUFxRjtBQUN4RyxRQUFNLE1BQU0sTUFBTSxRQUFRLEVBQUk7QUFDOUIsTUFBSSxNQUFNLEtBQUssTUFBTSxHQUFJLFFBQU87QUFDaEMsUUFBTSxNQUFNLE1BQU0sUUFBUSxJQUFNLE1BQU0sQ0FBQztBQUN2QyxNQUFJLE1BQU0sRUFBRyxRQUFPO0FBQ3BCLFFBQU0sYUFBYSxNQUFNLFNBQVMsVUFBVSxNQUFNLEdBQUcsR0FBRztBQUN4RCxNQUFJLGVBQWUsWUFBWSxlQUFlLFNBQVUsUUFBTztBQUMvRCxRQUFNLE1BQU0sTUFBTSxNQUFNLENBQUM7QUFDekIsTUFBSyxRQUFRLE1BQVEsUUFBUSxNQUFVLE1BQU0sU0FBUyxNQUFNLEtBQUssTUFBTSxNQUFNLENBQUMsTUFBTSxHQUFPLFFBQU87QUFDbEcsUUFBTSxXQUFXLE1BQU0sU0FBUyxVQUFVLEdBQUcsR0FBRztBQUNoRCxRQUFNLFVBQVUsZUFBZSxRQUFRO0FBQ3ZDLE1BQUksWUFBWSxPQUFXLFFBQU87QUFDbEMsU0FBTyxFQUFFLFVBQVUsU0FBUyxRQUFRLFlBQVksU0FBUyxRQUFRLElBQU0sY0FBYyxLQUFLLElBQUksTUFBTSxRQUFRLE1BQU0sQ0FBQyxFQUFFO0FBQ3ZIO0FBR08sU0FBUyxlQUFlLE1BQWtDO0FBQy9ELFFBQU0sSUFBSSxVQUFVLEtBQUssSUFBSTtBQUM3QixNQUFJLENBQUMsRUFBRyxRQUFPO0FBQ2YsUUFBTSxDQUFDLEVBQUUsR0FBRyxJQUFJLEdBQUcsR0FBRyxJQUFJLEdBQUcsT0FBTyxJQUFJLElBQUksSUFBSTtBQUNoRCxNQUFJLEtBQUssS0FBSyxJQUFJLE9BQU8sQ0FBQyxHQUFHLE9BQU8sRUFBRSxJQUFJLEdBQUcsT0FBTyxDQUFDLEdBQUcsT0FBTyxDQUFDLEdBQUcsT0FBTyxFQUFFLEdBQUcsT0FBTyxDQUFDLENBQUM7QUFDeEYsTUFBSSxTQUFTLEtBQUs7QUFDaEIsVUFBTSxPQUFPLEtBQU0sV0FBVyxHQUFHLElBQUksS0FBSztBQUMxQyxVQUFNLFFBQVEsT0FBTyxLQUFNLE1BQU0sR0FBRyxDQUFDLENBQUMsSUFBSSxLQUFLLE9BQU8sS0FBTSxNQUFNLEdBQUcsQ0FBQyxDQUFDLEtBQUs7QUFBQSxFQUM5RTtBQUNBLE1BQUksT0FBTyxNQUFNLEVBQUUsRUFBRyxRQUFPO0FBQzdCLFNBQU8sT0FBTyxFQUFFLElBQUksV0FBYSxPQUFPLEtBQUssT0FBTyxHQUFHLEdBQUcsQ0FBQztBQUM3RDtBQUVBLFNBQVMsU0FBUyxHQUFpQjtBQUNqQyxTQUFPLE9BQU8sRUFBRSxRQUFRLENBQUMsSUFBSTtBQUMvQjtBQVFBLGVBQWUsY0FBYyxJQUFnQixNQUFjQSxJQUE0QjtBQUNyRixNQUFJLFVBQVU7QUFDZCxNQUFJO0FBRUosUUFBTSxRQUFRLENBQUNDLFlBQTRCO0FBQ3pDLFVBQU0sSUFBSSxZQUFZQSxPQUFNO0FBQzVCLFFBQUksQ0FBQyxFQUFHLFFBQU87QUFDZixVQUFNLFlBQVksRUFBRSxXQUFXLFNBQVMsVUFBYSxLQUFLLFdBQVcsRUFBRTtBQUN2RSxXQUFPO0FBQ1AsUUFBSSxVQUFXLFFBQU87QUFDdEIsV0FBTyxFQUFFLFVBQVVEO0FBQUEsRUFDckI7QUFFQSxNQUFJQSxPQUFNLEVBQUcsUUFBTyxjQUFjLElBQUksSUFBSTtBQUMxQyxNQUFJLE1BQU07QUFDVixNQUFJLFVBQVU7QUFDZCxNQUFJLFNBQWlCLE9BQU8sTUFBTSxDQUFDO0FBQ25DLFFBQU0sTUFBTSxPQUFPLFlBQVksS0FBSztBQUNwQyxTQUFPLE1BQU0sR0FBRztBQUNkLFVBQU0sT0FBTyxLQUFLLElBQUksR0FBRyxNQUFNLEtBQUs7QUFDcEMsVUFBTSxFQUFFLFVBQVUsSUFBSSxNQUFNLEdBQUcsS0FBSyxLQUFLLEdBQUcsTUFBTSxNQUFNLElBQUk7QUFDNUQsVUFBTSxRQUFRLElBQUksU0FBUyxHQUFHLFNBQVM7QUFDdkMsUUFBSSxJQUFJLE1BQU07QUFDZCxXQUFPLElBQUksR0FBRztBQUNaLFlBQU0sS0FBSyxNQUFNLFlBQVksSUFBSSxJQUFJLENBQUM7QUFDdEMsVUFBSSxLQUFLLEdBQUc7QUFFVixpQkFBUyxPQUFPLE9BQU8sQ0FBQyxNQUFNLFNBQVMsR0FBRyxDQUFDLEdBQUcsTUFBTSxDQUFDLEVBQUUsU0FBUyxHQUFHLFlBQVk7QUFDL0U7QUFBQSxNQUNGO0FBQ0EsVUFBSSxXQUFXLEdBQUc7QUFDaEIsaUJBQVMsT0FBTyxPQUFPLENBQUMsTUFBTSxTQUFTLEtBQUssR0FBRyxDQUFDLEdBQUcsTUFBTSxDQUFDLEVBQUUsU0FBUyxHQUFHLFlBQVk7QUFDcEYsWUFBSSxNQUFNLE1BQU0sRUFBRyxRQUFPLFVBQVU7QUFBQSxNQUN0QztBQUNBLGdCQUFVLE9BQU87QUFDakIsZUFBUyxPQUFPLE1BQU0sQ0FBQztBQUN2QixVQUFJO0FBQUEsSUFDTjtBQUNBLFVBQU07QUFBQSxFQUNSO0FBRUEsTUFBSSxXQUFXLEtBQUssTUFBTSxNQUFNLEVBQUcsUUFBTyxVQUFVO0FBQ3BELFNBQU87QUFDVDtBQUVBLGVBQWUsY0FBYyxJQUFnQixNQUErQjtBQUMxRSxRQUFNLE1BQU0sT0FBTyxZQUFZLEtBQUs7QUFDcEMsTUFBSSxNQUFNO0FBQ1YsU0FBTyxNQUFNLEdBQUc7QUFDZCxVQUFNLE9BQU8sS0FBSyxJQUFJLEdBQUcsTUFBTSxLQUFLO0FBQ3BDLFVBQU0sRUFBRSxVQUFVLElBQUksTUFBTSxHQUFHLEtBQUssS0FBSyxHQUFHLE1BQU0sTUFBTSxJQUFJO0FBQzVELFVBQU0sS0FBSyxJQUFJLFNBQVMsR0FBRyxTQUFTLEVBQUUsWUFBWSxFQUFFO0FBQ3BELFFBQUksTUFBTSxFQUFHLFFBQU8sT0FBTyxLQUFLO0FBQ2hDLFVBQU07QUFBQSxFQUNSO0FBQ0EsU0FBTztBQUNUO0FBTUEsSUFBTSxXQUFOLE1BQWU7QUFBQSxFQUNiO0FBQUEsRUFDQTtBQUFBLEVBQ0E7QUFBQSxFQUNBO0FBQUEsRUFDQSxRQUFRO0FBQUEsRUFDUixvQkFBb0I7QUFBQSxFQUNwQjtBQUFBLEVBQ0E7QUFBQSxFQUVBLFlBQVksTUFBYyxNQUFzQjtBQUM5QyxTQUFLLFFBQVE7QUFDYixTQUFLLFVBQVUsS0FBSztBQUNwQixTQUFLLFdBQVcsS0FBSyxPQUFPLFFBQVE7QUFDcEMsU0FBSyxRQUFRLEtBQUssa0JBQWtCO0FBQ3BDLFVBQU0sU0FBUyxNQUFZO0FBQ3pCLFdBQUssUUFBUTtBQUNiLFdBQUssUUFBUTtBQUFBLElBQ2Y7QUFDQSxTQUFLLE1BQU0sS0FBSyxRQUFRLE1BQU07QUFBQSxFQUNoQztBQUFBO0FBQUE7QUFBQTtBQUFBO0FBQUEsRUFNQSxNQUFNLFlBQVksSUFBZ0IsS0FBZ0U7QUFDaEcsUUFBSSxLQUFLLFNBQVMsUUFBUyxRQUFPO0FBQ2xDLFFBQUksS0FBSyxPQUFPO0FBR2QsVUFBSSxLQUFLLGtCQUFtQixRQUFPO0FBQ25DLFdBQUssb0JBQW9CO0FBQ3pCLGFBQU87QUFBQSxJQUNUO0FBQ0EsUUFBSSxLQUFLLGFBQWEsVUFBYSxLQUFLLElBQUksSUFBSSxLQUFLLFNBQVUsUUFBTztBQUN0RSxTQUFLLGVBQWU7QUFFcEIsU0FBSyxNQUFNLEdBQUcsS0FBSyxHQUFHLE9BQU8sSUFBSyxRQUFPO0FBQ3pDLFVBQU0sV0FBVyxNQUFNLEtBQUssVUFBVSxFQUFFO0FBQ3hDLFFBQUksVUFBVTtBQUNaLFdBQUssVUFBVSxNQUFNO0FBQ3JCLFdBQUssV0FBVztBQUNoQixhQUFPO0FBQUEsSUFDVDtBQUNBLFVBQU0sS0FBSyxPQUFPO0FBQ2xCLFdBQU8sS0FBSyxTQUFTLFVBQVUsWUFBWTtBQUFBLEVBQzdDO0FBQUEsRUFFQSxNQUFNLGNBQXlDO0FBQzdDLFFBQUksS0FBSyxTQUFTLFdBQVcsS0FBSyxNQUFPLFFBQU87QUFDaEQsUUFBSSxLQUFLLGFBQWEsVUFBYSxLQUFLLElBQUksSUFBSSxLQUFLLFNBQVUsUUFBTztBQUN0RSxVQUFNLEtBQUssT0FBTztBQUNsQixXQUFPO0FBQUEsRUFDVDtBQUFBLEVBRUEsTUFBTSxVQUFVLElBQWlEO0FBQy9ELFVBQU0sQ0FBQyxNQUFNLE9BQU8sSUFBSSxNQUFNLFFBQVEsSUFBSSxDQUFDLEdBQUcsS0FBSyxHQUFHLEtBQUssS0FBSyxLQUFLLEVBQUUsTUFBTSxNQUFNLE1BQVMsQ0FBQyxDQUFDO0FBQzlGLFFBQUksQ0FBQyxXQUFZLFFBQVEsUUFBUSxLQUFLLE9BQU8sUUFBUSxRQUFRLEtBQUssSUFBTSxRQUFPO0FBQy9FLFdBQU8sS0FBSyxLQUFLLE9BQU8sR0FBRyxFQUFFLE1BQU0sTUFBTSxNQUFTO0FBQUEsRUFDcEQ7QUFBQSxFQUVBLGlCQUF1QjtBQUNyQixRQUFJLEtBQUssU0FBVTtBQUNuQixRQUFJO0FBQ0YsV0FBSyxXQUFXLE1BQU0sS0FBSyxPQUFPLEVBQUUsWUFBWSxNQUFNLEdBQUcsTUFBTSxLQUFLLFFBQVEsQ0FBQztBQUM3RSxXQUFLLFNBQVMsR0FBRyxTQUFTLE1BQU0sTUFBUztBQUFBLElBQzNDLFFBQVE7QUFBQSxJQUVSO0FBQUEsRUFDRjtBQUFBLEVBRUEsU0FBd0I7QUFDdEIsV0FBTyxJQUFJLFFBQVEsQ0FBQyxZQUFZO0FBQzlCLFVBQUksT0FBTyxLQUFLO0FBQ2hCLFVBQUksS0FBSyxhQUFhLE9BQVcsUUFBTyxLQUFLLElBQUksR0FBRyxLQUFLLElBQUksTUFBTSxLQUFLLFdBQVcsS0FBSyxJQUFJLElBQUksQ0FBQyxDQUFDO0FBQ2xHLFlBQU0sU0FBUyxNQUFZO0FBQ3pCLHFCQUFhLEtBQUs7QUFDbEIsYUFBSyxTQUFTLG9CQUFvQixTQUFTLE1BQU07QUFDakQsYUFBSyxRQUFRO0FBQ2IsZ0JBQVE7QUFBQSxNQUNWO0FBQ0EsWUFBTSxRQUFRLFdBQVcsUUFBUSxJQUFJO0FBQ3JDLFdBQUssU0FBUyxpQkFBaUIsU0FBUyxRQUFRLEVBQUUsTUFBTSxLQUFLLENBQUM7QUFDOUQsV0FBSyxRQUFRO0FBQUEsSUFDZixDQUFDO0FBQUEsRUFDSDtBQUFBLEVBRUEsUUFBYztBQUNaLFNBQUssVUFBVSxNQUFNO0FBQ3JCLFNBQUssUUFBUTtBQUFBLEVBQ2Y7QUFDRjs7O0FDNWFBLElBQU0sSUFBSSxLQUFLLElBQUk7QUFDbkIsSUFBSSxJQUFJO0FBQ1IsaUJBQWlCLEtBQUssaUJBQWlCLElBQUksQ0FBQyxDQUFDLEVBQUc7QUFDaEQsUUFBUSxJQUFJLEdBQUcsS0FBSyxJQUFJLElBQUksR0FBRyxJQUFJOyIsCiAgIm5hbWVzIjogWyJuIiwgImhlYWRlciJdCn0K
