import { constants } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { FailedPreconditionError } from '../../core/errdefs.js';

/**
 * Starts a created container the way `runc start` does (runc 1.x, libcontainer `exec()`): the container's init
 * process is blocked opening the write end of `<runc-root>/<id>/exec.fifo`; opening the read end releases it,
 * it writes one byte and execs the user's program, and removing the FIFO is what makes runc report the
 * container as running. Doing this here instead of spawning `runc start` saves a process start (~10 ms) on
 * every container start.
 *
 * Returns false when there is no FIFO (another runc, or already started), so the caller can fall back to
 * `runc start`. Like runc, it guards against an init that died before opening its end: the blocked open is
 * released by opening the write end ourselves, and the empty read then says the process is gone.
 */
export async function startThroughExecFifo(fifoPath: string, initPid: number): Promise<boolean> {
  let reading;
  try {
    // A blocking open, on libuv's thread pool, exactly as runc does; it returns once init opens its end.
    reading = open(fifoPath, constants.O_RDONLY);
    const watchdog = setInterval(() => {
      if (isAlive(initPid)) return;
      clearInterval(watchdog);
      void open(fifoPath, constants.O_WRONLY | constants.O_NONBLOCK)
        .then((w) => w.close())
        .catch(() => undefined);
    }, 100);
    let fh;
    try {
      fh = await reading;
    } finally {
      clearInterval(watchdog);
    }
    try {
      const buf = Buffer.alloc(16);
      let total = 0;
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        total += bytesRead;
      }
      if (total === 0) throw new FailedPreconditionError('cannot start a container whose process is already dead');
    } finally {
      await fh.close();
    }
    await unlink(fifoPath);
    await execCompleted(initPid);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * The FIFO reaches end-of-file when execve closes init's end (close-on-exec), which is before the kernel resets
 * the signal handlers of runc's Go runtime. A signal sent in that window (a fast `stop`) makes runc init die
 * with Go's exit status 2 instead of reaching the program. So wait, briefly, until the process no longer calls
 * itself runc init; `runc start` gets the same margin only from being a slower process.
 */
async function execCompleted(pid: number): Promise<void> {
  const deadline = Date.now() + 1000;
  while (Date.now() < deadline) {
    let comm: string;
    try {
      comm = await readFile(`/proc/${pid}/comm`, 'utf8');
    } catch {
      return; // Gone already: the program ran and exited.
    }
    if (!comm.startsWith('runc:')) return;
    await new Promise((r) => setTimeout(r, 1));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
