import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

import { InternalError, InvalidArgumentError } from '../../core/errdefs.js';

/**
 * conmon's control FIFO (`ctl` in the bundle or exec directory) takes messages `"<type> <height> <width>\n"`:
 * type 1 sets the terminal size (conmon passes it on to a second FIFO, `winsz`, which it reads once it holds the
 * terminal), type 2 reopens the log file.
 *
 * conmon 2.1.6 reads each FIFO into one buffer and, for every complete line in a read, parses the line at the start
 * of the buffer: two messages that arrive in one read run the first one twice and lose the second. Hence:
 *   - each message goes in a single write() (atomic for a FIFO below PIPE_BUF);
 *   - writes to one FIFO from this process are queued, GAP_MS apart, so that conmon's event loop has normally read
 *     one before the next arrives; a resize still waiting in the queue is replaced by a newer one;
 *   - that is only "normally" (conmon may not be scheduled in time, and `winsz` is not read at all until conmon has
 *     received the terminal, so resizes sent right after a start pile up there): the last size of a burst (a resize
 *     written less than RESEND_AFTER_MS after another message) is written once more when the FIFO has been quiet
 *     that long, on its own. Setting a terminal to the size it has is a no-op (no SIGWINCH).
 * A reopen is never repeated: a second one would replace the new log file, and lose what was written to it since.
 */
const GAP_MS = 20;
const RESEND_AFTER_MS = 150;

export type CtlMessage = { type: 'resize'; height: number; width: number } | { type: 'reopen-log' };

/**
 * Sends `msg` to conmon through the FIFO at `path`. Resolves false, writing nothing, when no conmon reads it any
 * more (it has exited: the open fails with ENXIO) or the FIFO is gone.
 */
export function writeCtl(path: string, msg: CtlMessage): Promise<boolean> {
  const text = encode(msg);
  let fifo = fifos.get(path);
  if (!fifo) fifos.set(path, (fifo = { jobs: [], draining: false, lastWriteAt: 0, lastResize: undefined, timer: undefined }));
  const f = fifo;
  return new Promise<boolean>((resolve, reject) => {
    const last = f.jobs.at(-1);
    if (msg.type === 'resize' && last?.resize) {
      last.text = text;
      last.waiters.push({ resolve, reject });
    } else {
      f.jobs.push({ text, resize: msg.type === 'resize', waiters: [{ resolve, reject }] });
    }
    void drain(path, f);
  });
}

/** TIOCSWINSZ takes unsigned shorts. Checked even where there is no terminal to resize. */
export function checkTerminalSize(size: { height: number; width: number }): void {
  for (const [name, v] of [['height', size.height], ['width', size.width]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new InvalidArgumentError(`Invalid terminal ${name}: ${v}`);
  }
}

function encode(msg: CtlMessage): string {
  if (msg.type === 'reopen-log') return '2 0 0\n';
  checkTerminalSize(msg);
  return `1 ${msg.height} ${msg.width}\n`;
}

interface Job {
  text: string;
  resize: boolean;
  /** The once-more write of a burst's last size: never itself a burst (a timer may fire a millisecond early). */
  resend?: boolean;
  waiters: { resolve(written: boolean): void; reject(err: unknown): void }[];
}

interface Fifo {
  jobs: Job[];
  draining: boolean;
  lastWriteAt: number;
  /** The last resize written and whether it came in a burst (then it is sent again once things are quiet). */
  lastResize: { text: string; burst: boolean } | undefined;
  /** Either the resend or forgetting this entry, whichever is due. */
  timer: NodeJS.Timeout | undefined;
}

const fifos = new Map<string, Fifo>();

async function drain(path: string, f: Fifo): Promise<void> {
  if (f.draining) return;
  f.draining = true;
  clearTimeout(f.timer);
  try {
    for (let job = f.jobs.shift(); job; job = f.jobs.shift()) {
      const wait = f.lastWriteAt + GAP_MS - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const burst = !job.resend && Date.now() - f.lastWriteAt < RESEND_AFTER_MS;
      try {
        const written = await writeOnce(path, job.text);
        if (job.resize) f.lastResize = written ? { text: job.text, burst } : undefined;
        for (const w of job.waiters) w.resolve(written);
      } catch (err) {
        for (const w of job.waiters) w.reject(err);
      } finally {
        f.lastWriteAt = Date.now();
      }
    }
  } finally {
    f.draining = false;
  }
  // Quiet from here unless someone writes again, which clears this timer.
  f.timer = setTimeout(() => {
    f.timer = undefined;
    const resend = f.lastResize?.burst ? f.lastResize.text : undefined;
    f.lastResize = undefined;
    if (resend !== undefined) {
      f.jobs.push({ text: resend, resize: true, resend: true, waiters: [{ resolve: () => undefined, reject: () => undefined }] });
      void drain(path, f);
    } else if (!f.draining && f.jobs.length === 0) {
      fifos.delete(path);
    }
  }, RESEND_AFTER_MS);
  // Neither must keep the daemon's process alive.
  f.timer.unref();
}

async function writeOnce(path: string, text: string): Promise<boolean> {
  let fh;
  try {
    // Non-blocking: a blocking open of a FIFO without a reader would wait for one forever.
    fh = await open(path, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENXIO' || code === 'ENOENT') return false;
    throw err;
  }
  try {
    // Anything but a FIFO here (a regular file) would just be appended to.
    if (!(await fh.stat()).isFIFO()) throw new InternalError(`"${path}" is not conmon's control FIFO`);
    const buf = Buffer.from(text);
    const { bytesWritten } = await fh.write(buf, 0, buf.length);
    if (bytesWritten !== buf.length) throw new InternalError(`Short write to "${path}": ${bytesWritten} of ${buf.length} bytes`);
    return true;
  } catch (err) {
    // EPIPE: conmon closed its end between our open and write; EAGAIN: its FIFO is full, it reads nothing.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') return false;
    if (code === 'EAGAIN') throw new InternalError(`conmon does not read its control FIFO "${path}"`, { cause: err });
    throw err;
  } finally {
    await fh.close();
  }
}
