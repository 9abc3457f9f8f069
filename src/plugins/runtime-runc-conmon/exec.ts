import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

import { ociSpecJson, type Exit, type ExecOptions, type ExecProcess, type TaskIO } from '../../core/runtime.js';
import { AlreadyExistsError, FailedPreconditionError, InternalError, InvalidArgumentError } from '../../core/errdefs.js';
import { openAttachInDir } from './attach.js';
import { execError, runningConmon, stopConmon } from './conmon.js';
import { checkTerminalSize, writeCtl } from './ctl.js';
import { ExitWatcher, type ExitRecord } from './exit-watcher.js';
import type { Layout } from './layout.js';
import { runcMessage } from './runc.js';

/** What starting an exec needs from the runtime. */
export interface ExecContext {
  layout: Layout;
  conmonPath: string;
  runcPath: string;
  /** Global runc arguments (`--root`, log format) for conmon's `runc exec`. */
  runcArgs: string[];
  syslog: boolean;
  /** How long to wait for conmon to report that `runc exec` ran. */
  timeoutMs: number;
}

/** How long a conmon whose exec failed gets to exit by itself before it is killed. */
const CONMON_EXIT_GRACE_MS = 3000;
/** How long `delete` waits for a killed exec's exit to be recorded before removing its state anyway. */
const DELETE_WAIT_MS = 10_000;
/** containerd's code for "the monitor died, the exit status is lost". */
const LOST_EXIT_CODE = 255;

/**
 * Starts `opts.process` in the running container `containerId` under its own conmon, in exec mode.
 *
 * Each exec gets a directory of its own under the container's bundle (Layout.execDir): conmon names its exit file
 * after the container (`-c`), so two execs cannot share an exit dir, and the directory also holds the exec's attach
 * socket, control FIFO, pid files and process.json. It goes when the exec or the container is deleted.
 *
 * Handshake (conmon 2.1.6, api version 1, `-e`): fd 3 is the sync pipe, fd 4 the start pipe and, with
 * `--exec-attach`, fd 5 the attach pipe. conmon reads the start pipe once, double-forks (so it outlives the daemon),
 * creates the attach socket and, when attaching, says `{"data": 0}` on the attach pipe and waits for a second write
 * on the start pipe: we connect in between, so not a byte of output is lost. It then runs `runc exec --detach` and
 * says `{"data": <pid>}` on the sync pipe, or `{"data": -1, "message": <runc's log>}` when the exec failed. When the
 * process ends conmon drains its output, writes `<exec-dir>/exits/<container-id>` and `<exec-dir>/exit`, and only
 * then says `{"data": <exit code>}` on the sync pipe. Waiting goes by the exit file, which is there whether or not
 * anyone read the pipe, and by that last message, which is there when the file was removed with the container.
 */
export async function startExec(ctx: ExecContext, containerId: string, opts: ExecOptions): Promise<RuncConmonExec> {
  opts.signal?.throwIfAborted();
  const { layout } = ctx;
  const dir = layout.execDir(containerId, opts.execId);
  await mkdir(layout.execsDir(containerId), { recursive: true, mode: 0o700 });
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new AlreadyExistsError(`Exec ${opts.execId} already exists in container ${containerId}`);
    }
    throw err;
  }
  const files = execFiles(dir);
  let launched: Launched | undefined;
  try {
    await mkdir(files.exitDir);
    await writeFile(files.processSpec, ociSpecJson({ ...opts.process, terminal: opts.tty }));
    launched = await launchExecConmon(ctx, containerId, dir, opts);
    const startTime = await processStartTime(launched.pid);
    const exec = new RuncConmonExec({ containerId, execId: opts.execId, dir, tty: opts.tty, pid: launched.pid, startTime, io: launched.io, sync: launched.sync });
    if (opts.signal?.aborted) {
      // Too late to not run it: take it back the ordinary way.
      await exec.delete();
      throw opts.signal.reason;
    }
    return exec;
  } catch (err) {
    launched?.io?.close();
    launched?.sync.close();
    // Once told to run the process, conmon exits by itself when runc has failed (or the process is gone).
    await stopConmon(files.conmonPid, dir, CONMON_EXIT_GRACE_MS).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Waits for the monitors of every exec of container `containerId` to end, killing any still there after a grace
 * period. Called once the container's processes are dead: each monitor then only records its exit and goes, and
 * must be gone before the directories it writes into are removed.
 */
export async function stopExecMonitors(layout: Layout, containerId: string): Promise<void> {
  const execs = layout.execsDir(containerId);
  const names = await readdir(execs).catch(() => []);
  await Promise.all(names.map((n) => stopConmon(execFiles(join(execs, n)).conmonPid, join(execs, n), CONMON_EXIT_GRACE_MS)));
}

/** The files conmon keeps for one exec, in its directory. */
function execFiles(dir: string): { processSpec: string; pid: string; conmonPid: string; exitDir: string; ctl: string } {
  return {
    processSpec: join(dir, 'process.json'),
    pid: join(dir, 'exec_pid'),
    conmonPid: join(dir, 'conmon.pid'),
    exitDir: join(dir, 'exits'),
    ctl: join(dir, 'ctl'),
  };
}

interface Launched {
  pid: number;
  io: TaskIO | undefined;
  /** conmon's sync pipe, still open for its last message. */
  sync: SyncPipe;
}

interface SyncMessage {
  data: number;
  message?: string;
}

/** Runs the handshake described at startExec. */
async function launchExecConmon(ctx: ExecContext, containerId: string, dir: string, opts: ExecOptions): Promise<Launched> {
  const files = execFiles(dir);
  const args = [
    '--api-version', '1',
    '-c', containerId,
    '-u', opts.execId,
    '-r', ctx.runcPath,
    ...ctx.runcArgs.flatMap((a) => ['--runtime-arg', a]),
    '-b', dir,
    '-p', files.pid,
    '--conmon-pidfile', files.conmonPid,
    '--exit-dir', files.exitDir,
    '--persist-dir', dir,
    // Docker keeps no log of an exec's output: attached clients get it, a detached exec's goes nowhere.
    '-l', 'none',
    '--socket-dir-path', dir,
    '--full-attach',
    '-e',
    '--exec-process-spec', files.processSpec,
  ];
  if (opts.attach) args.push('--exec-attach');
  if (opts.tty) args.push('-t');
  // Without an attached client nobody could write to stdin; the process gets /dev/null instead. No
  // --leave-stdin-open: the client closing its stdin is the process's end-of-file.
  if (opts.openStdin && opts.attach) args.push('-i');
  // No --log-level: conmon's own debug lines would end up in the exec's stderr.
  if (ctx.syslog) args.push('--syslog');

  const child = spawn(ctx.conmonPath, args, {
    stdio: opts.attach ? ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    detached: true,
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4', ...(opts.attach ? { _OCI_ATTACHPIPE: '5' } : {}) },
  });
  // Node types stdio as a 5-tuple; the attach pipe is a sixth.
  const pipes: readonly unknown[] = child.stdio;
  const stdout = pipes[1] as Readable;
  const stderr = pipes[2] as Readable;
  const sync = new SyncPipe(pipes[3] as Readable);
  const start = pipes[4] as Writable;
  const attachPipe = pipes[5] as Readable | undefined;
  let output = '';
  const collect = (d: Buffer): void => {
    if (output.length < 16 * 1024) output += d.toString('utf8');
  };
  stdout.on('data', collect);
  stderr.on('data', collect);
  for (const s of [start, attachPipe]) s?.on('error', () => undefined);
  let io: TaskIO | undefined;
  let ok = false;
  /** conmon has been told to run the process: from then on it ends by itself, whatever happens. */
  let told = false;

  try {
    const pid = await new Promise<number>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const timer = setTimeout(
        () => settle(() => reject(new InternalError(`conmon did not report the exec's start within ${ctx.timeoutMs} ms${detail(output)}`))),
        ctx.timeoutMs,
      );
      child.on('error', (err) => settle(() => reject(new InternalError(`Failed to run conmon (${ctx.conmonPath}): ${err.message}`, { cause: err }))));
      sync.started.then(
        (msg) => {
          if (msg.data > 0) return settle(() => resolve(msg.data));
          const message = msg.message ? runcMessage(msg.message) : '';
          settle(() => reject(execError(message || `conmon reported ${msg.data}${detail(output)}`)));
        },
        // conmon died before saying anything (bad arguments, a missing runc...): its stderr says why.
        (err: Error) => settle(() => reject(new InternalError(`${err.message}${detail(output)}`))),
      );
      if (attachPipe) {
        readMessages(attachPipe, (msg) => {
          if (msg.data !== 0) return settle(() => reject(new InternalError(`conmon could not set up the exec's attach socket${detail(output)}`)));
          openAttachInDir(dir).then(
            (conn) => {
              if (settled) return conn.close();
              io = conn;
              // The second write lets conmon run `runc exec`.
              told = true;
              start.end('1');
            },
            (err: unknown) => settle(() => reject(err)),
          );
        }, (bad) => settle(() => reject(new InternalError(`conmon sent an unreadable attach message: ${bad}`))));
        start.write('0');
      } else {
        told = true;
        start.end('0');
      }
    });
    ok = true;
    return { pid, io, sync };
  } finally {
    // A conmon still waiting for its second start would take the start pipe's closing for the go-ahead and run the
    // process after all: it goes first. (Its child, waiting to exec runc, dies with it: conmon sets PDEATHSIG.)
    if (!ok && !told) await stopConmon(files.conmonPid, dir, 0).catch(() => undefined);
    // conmon's stdout and stderr point at /dev/null once it has forked; the start and attach pipes are done with.
    for (const s of [stdout, stderr, start, attachPipe]) s?.destroy();
    if (!ok) {
      io?.close();
      sync.close();
    } else {
      sync.release();
    }
    child.unref();
  }
}

/**
 * conmon's sync pipe in exec mode. The first message is the start (`{"data": <pid>}` or the error), the second,
 * conmon's very last act, the exit code. conmon treats a pipe nobody reads any more as a fatal error (after the exit
 * files are written, but logging an error), so the pipe stays open until conmon closes its end, and the exit code on
 * it is a second source besides the exit file, one that survives the exec's directory being removed (the container
 * was deleted) before anyone waited.
 */
class SyncPipe {
  readonly started: Promise<SyncMessage>;
  /** undefined when the pipe closed without it (conmon died, or we closed it). */
  readonly exit: Promise<ExitRecord | undefined>;
  #stream: Readable;

  constructor(stream: Readable) {
    this.#stream = stream;
    let started!: { resolve(msg: SyncMessage): void; reject(err: Error): void };
    let resolveExit!: (rec: ExitRecord | undefined) => void;
    this.started = new Promise((resolve, reject) => (started = { resolve, reject }));
    this.exit = new Promise((resolve) => (resolveExit = resolve));
    // Whoever does not ask for the start (a failed launch) must not leave an unhandled rejection behind.
    this.started.catch(() => undefined);
    let count = 0;
    readMessages(
      stream,
      (msg) => {
        count += 1;
        if (count === 1) started.resolve(msg);
        else if (count === 2) resolveExit({ exitCode: msg.data >= 0 ? msg.data : LOST_EXIT_CODE, exitedAt: new Date() });
      },
      (bad) => started.reject(new InternalError(`conmon sent an unreadable sync message: ${bad}`)),
    );
    stream.on('error', () => undefined);
    stream.on('close', () => {
      started.reject(new InternalError('conmon exited before the exec started'));
      resolveExit(undefined);
    });
  }

  /** The handshake is over: keep reading, but never keep the daemon's process alive for it. */
  release(): void {
    if (this.#stream instanceof Socket) this.#stream.unref();
  }

  close(): void {
    this.#stream.destroy();
  }
}

/** conmon's messages: one JSON object per line. */
function readMessages(stream: Readable, onMessage: (msg: SyncMessage) => void, onBad: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let parsed: { data?: unknown; message?: unknown };
      try {
        parsed = JSON.parse(line) as typeof parsed;
      } catch {
        onBad(line);
        continue;
      }
      if (typeof parsed.data !== 'number') {
        onBad(line);
        continue;
      }
      onMessage({ data: parsed.data, ...(typeof parsed.message === 'string' ? { message: parsed.message } : {}) });
    }
  });
}

function detail(output: string): string {
  const t = output.trim();
  return t ? `: ${t}` : '';
}

interface ExecState {
  containerId: string;
  execId: string;
  dir: string;
  tty: boolean;
  pid: number;
  /** The process's start time (clock ticks since boot), undefined when it had already gone when we looked. */
  startTime: string | undefined;
  io: TaskIO | undefined;
  sync: SyncPipe;
}

/**
 * One process started by `exec`. Like the task, it holds no process of its own: conmon watches it, and the
 * exit file in its directory says when it ended.
 */
export class RuncConmonExec implements ExecProcess {
  readonly execId: string;
  readonly pid: number;
  readonly io: TaskIO | undefined;
  #s: ExecState;
  #exits: ExitWatcher;
  #exit: Promise<Exit> | undefined;

  constructor(state: ExecState) {
    this.execId = state.execId;
    this.pid = state.pid;
    this.io = state.io;
    this.#s = state;
    this.#exits = new ExitWatcher(execFiles(state.dir).exitDir);
  }

  /** A no-op without a TTY, and once the process has ended (conmon then reads the FIFO no more). */
  async resize(size: { height: number; width: number }): Promise<void> {
    checkTerminalSize(size);
    if (!this.#s.tty) return;
    await writeCtl(execFiles(this.#s.dir).ctl, { type: 'resize', height: size.height, width: size.width });
  }

  /**
   * kill(2) on the process's pid, but only while it is the process we started: the exit is not yet recorded and
   * the pid's start time is still the one seen at start, so a pid the kernel has given to another process after
   * the exit is never signalled.
   */
  async kill(signal: NodeJS.Signals | number): Promise<void> {
    const sig = signalNumber(signal);
    const notRunning = (): FailedPreconditionError => new FailedPreconditionError(`Exec process ${this.execId} is not running`);
    if (!(await this.#running())) throw notRunning();
    try {
      process.kill(this.pid, sig);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') throw notRunning();
      throw err;
    }
  }

  /** By the exit file or the sync pipe's last message, whichever is seen first (the file is written first). */
  wait(): Promise<Exit> {
    this.#exit ??= new Promise<Exit>((resolve, reject) => {
      let done = false;
      const finish = (rec: ExitRecord): void => {
        if (done) return;
        done = true;
        resolve(withoutOom(rec));
      };
      void this.#s.sync.exit.then((rec) => rec && finish(rec));
      this.#exits.wait(this.#s.containerId, () => this.#lostExit()).then(finish, (err: unknown) => {
        if (done) return;
        done = true;
        reject(err);
      });
    });
    return this.#exit;
  }

  /** Kills the process if it still runs, then removes the exec's directory. Safe to call again. */
  async delete(): Promise<void> {
    const { containerId, dir } = this.#s;
    if (!(await this.#exits.read(containerId)) && (await this.#conmonAlive())) {
      await this.kill('SIGKILL').catch(() => undefined);
      await Promise.race([this.wait().catch(() => undefined), new Promise((r) => setTimeout(r, DELETE_WAIT_MS).unref())]);
    }
    // Keep the exit for a wait() that comes after the files are gone.
    if (!this.#exit) {
      const rec = await this.#exits.read(containerId);
      if (rec) this.#exit = Promise.resolve(withoutOom(rec));
    }
    this.io?.close();
    await rm(dir, { recursive: true, force: true });
  }

  async #running(): Promise<boolean> {
    if (this.#s.startTime === undefined) return false;
    if (await this.#exits.read(this.#s.containerId)) return false;
    return (await processStartTime(this.pid)) === this.#s.startTime;
  }

  /** Called while waiting with no exit file: when conmon is gone it will never write one. */
  async #lostExit(): Promise<ExitRecord | undefined> {
    if (await this.#conmonAlive()) return undefined;
    // The file may have been written just before conmon went, or removed with the container; the pipe may have it.
    const fromPipe = await Promise.race([this.#s.sync.exit, Promise.resolve(undefined)]);
    return (await this.#exits.read(this.#s.containerId)) ?? fromPipe ?? { exitCode: LOST_EXIT_CODE, exitedAt: new Date() };
  }

  async #conmonAlive(): Promise<boolean> {
    const { dir } = this.#s;
    return (await runningConmon(execFiles(dir).conmonPid, dir)) !== undefined;
  }
}

function withoutOom(rec: ExitRecord): Exit {
  // conmon watches OOM kills per cgroup, and an exec shares its container's: that is the container's to report.
  return { ...rec, oomKilled: false };
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
async function processStartTime(pid: number): Promise<string | undefined> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}

/** A signal name (with or without SIG, any case) or number, as kill(2) takes it. */
function signalNumber(signal: NodeJS.Signals | number): number {
  if (typeof signal === 'number') {
    if (!Number.isInteger(signal) || signal < 1 || signal > 64) throw new InvalidArgumentError(`Invalid signal: ${signal}`);
    return signal;
  }
  const upper = signal.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  const num = (osConstants.signals as Record<string, number | undefined>)[name];
  if (num === undefined) throw new InvalidArgumentError(`Invalid signal: ${signal}`);
  return num;
}
