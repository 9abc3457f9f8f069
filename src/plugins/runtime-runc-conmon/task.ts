import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

import type { ExecOptions, ExecProcess, Exit, LinuxResources, Task, TaskIO, TaskStatus } from '../../core/runtime.js';
import { FailedPreconditionError, InternalError, InvalidArgumentError } from '../../core/errdefs.js';
import { pathExists } from '../../pkg/fsutil.js';
import { isMountPoint, unmount } from '../../pkg/mounter.js';
import { AttachHub } from './attach.js';
import { runningConmon } from './conmon.js';
import { checkTerminalSize, writeCtl } from './ctl.js';
import { startExec, stopExecMonitors } from './exec.js';
import { startThroughExecFifo } from './exec-fifo.js';
import type { ExitRecord, ExitWatcher } from './exit-watcher.js';
import type { Layout } from './layout.js';
import type { Runc } from './runc.js';

/** What a task needs from its runtime; shared by every task of one runtime. */
export interface TaskContext {
  layout: Layout;
  runc: Runc;
  exits: ExitWatcher;
  conmonPath: string;
  syslog: boolean;
  /** How long an exec waits for conmon to report that runc ran the process. */
  startTimeoutMs: number;
}

/** How long `delete` waits for a killed container's exit to be recorded before removing its state anyway. */
const DELETE_WAIT_MS = 10_000;
/** containerd's code for "the monitor died, the exit status is lost". */
const LOST_EXIT_CODE = 255;

/**
 * One container run by conmon + runc. Holds no process, and no handle but the attach connection its clients share
 * while any is attached: everything it knows is on disk (bundle, exit file, runc state), so the task `load`
 * rebuilds after a daemon restart is as good as the one `create` made.
 */
export class RuncConmonTask implements Task {
  readonly id: string;
  readonly pid: number;
  #ctx: TaskContext;
  #exit: Promise<Exit> | undefined;
  #tty: Promise<boolean> | undefined;
  readonly #attach: AttachHub;

  constructor(id: string, pid: number, ctx: TaskContext) {
    this.id = id;
    this.pid = pid;
    this.#ctx = ctx;
    this.#attach = new AttachHub(ctx.layout.attachSocket(id));
  }

  /** Any number of clients may attach; each gets the output from the moment it attached. */
  attach(): Promise<TaskIO> {
    return this.#attach.open();
  }

  async start(): Promise<void> {
    const fifo = join(this.#ctx.runc.root, this.id, 'exec.fifo');
    if (await startThroughExecFifo(fifo, this.pid)) return;
    await this.#ctx.runc.start(this.id);
  }

  /**
   * `runc kill` rather than kill(2): runc checks that the pid in its state still is the container's init (by
   * process start time), so a pid the kernel recycled after the exit is never signalled.
   */
  async kill(signal: NodeJS.Signals | number): Promise<void> {
    const sig = signalArg(signal);
    if (await this.#ctx.exits.read(this.id)) throw notRunning(this.id);
    await this.#ctx.runc.kill(this.id, sig);
  }

  async status(): Promise<TaskStatus> {
    if (await this.#ctx.exits.read(this.id)) return 'stopped';
    const state = await this.#ctx.runc.state(this.id);
    if (!state) return 'stopped';
    return state.status === 'creating' ? 'created' : state.status;
  }

  wait(): Promise<Exit> {
    this.#exit ??= this.#ctx.exits.wait(this.id, () => this.#lostExit()).then(async (rec) => ({
      ...rec,
      oomKilled: await pathExists(this.#ctx.layout.oomFile(this.id)),
    }));
    return this.#exit;
  }

  /**
   * Removes everything the runtime holds for this task. A container still running is killed first, and its
   * exit awaited so that conmon does not write into a removed bundle. Safe to call again.
   */
  async delete(): Promise<void> {
    const { layout, runc, exits } = this.#ctx;
    if (!(await exits.read(this.id)) && (await this.#conmonAlive())) {
      await runc.kill(this.id, 'KILL').catch(() => undefined);
      await Promise.race([this.wait().catch(() => undefined), new Promise((r) => setTimeout(r, DELETE_WAIT_MS).unref())]);
    }
    // Keep the exit for a wait() that comes after the files are gone.
    if (!this.#exit) {
      const rec = await exits.read(this.id);
      if (rec) this.#exit = Promise.resolve({ ...rec, oomKilled: await pathExists(layout.oomFile(this.id)) });
    }
    await runc.delete(this.id);
    // runc delete has killed every process in the cgroup, execs included: let their monitors finish first.
    await stopExecMonitors(layout, this.id);
    const rootfs = layout.rootfs(this.id);
    await unmount(rootfs).catch(() => unmount(rootfs, { lazy: true }));
    // Never recurse into a rootfs that is still mounted: that would delete the image's files.
    if (await isMountPoint(rootfs)) throw new InternalError(`Cannot remove the bundle of ${this.id}: "${rootfs}" is still mounted`);
    await rm(layout.bundle(this.id), { recursive: true, force: true });
    await rm(layout.exitFile(this.id), { force: true });
  }

  /** Docker's rules: only a running container can be paused, and not twice. */
  async pause(): Promise<void> {
    const status = await this.status();
    if (status === 'paused') throw new FailedPreconditionError(`Container ${this.id} is already paused`);
    if (status !== 'running') throw notRunning(this.id);
    await this.#ctx.runc.pause(this.id);
  }

  async resume(): Promise<void> {
    if ((await this.status()) !== 'paused') throw new FailedPreconditionError(`Container ${this.id} is not paused`);
    await this.#ctx.runc.resume(this.id);
  }

  /** Through conmon, which holds the terminal's master side. A no-op without a TTY or once conmon is gone. */
  async resize(size: { height: number; width: number }): Promise<void> {
    checkTerminalSize(size);
    if (!(await this.#hasTty())) return;
    await writeCtl(this.#ctx.layout.ctlFifo(this.id), { type: 'resize', height: size.height, width: size.width });
  }

  async update(resources: LinuxResources): Promise<void> {
    if (await this.#ctx.exits.read(this.id)) throw notRunning(this.id);
    await this.#ctx.runc.update(this.id, resources);
  }

  async pids(): Promise<number[]> {
    if (await this.#ctx.exits.read(this.id)) throw notRunning(this.id);
    return this.#ctx.runc.ps(this.id);
  }

  /** conmon opens a new file at the log path (the caller has renamed the old one). A no-op once conmon is gone. */
  async reopenLog(): Promise<void> {
    await writeCtl(this.#ctx.layout.ctlFifo(this.id), { type: 'reopen-log' });
  }

  /** Docker's words when the container cannot take an exec; runc's own check still guards the race after it. */
  async exec(opts: ExecOptions): Promise<ExecProcess> {
    const status = await this.status();
    if (status === 'paused') throw new FailedPreconditionError(`Container ${this.id} is paused, unpause the container before exec`);
    if (status !== 'running') throw notRunning(this.id);
    const { layout, runc, conmonPath, syslog, startTimeoutMs } = this.#ctx;
    return startExec({ layout, conmonPath, runcPath: runc.path, runcArgs: runc.globalArgs(), syslog, timeoutMs: startTimeoutMs }, this.id, opts);
  }

  /** Whether the container has a terminal, from its spec (a task found by `load` knows no more than the disk). */
  #hasTty(): Promise<boolean> {
    this.#tty ??= readFile(this.#ctx.layout.config(this.id), 'utf8').then(
      (text) => (JSON.parse(text) as { process?: { terminal?: unknown } }).process?.terminal === true,
      // No bundle: nothing to resize.
      () => false,
    );
    return this.#tty;
  }

  /** Called while waiting with no exit file: when conmon is gone it will never write one. */
  async #lostExit(): Promise<ExitRecord | undefined> {
    if (await this.#conmonAlive()) return undefined;
    // It may have written the file just before dying.
    return (await this.#ctx.exits.read(this.id)) ?? { exitCode: LOST_EXIT_CODE, exitedAt: new Date() };
  }

  async #conmonAlive(): Promise<boolean> {
    const { layout } = this.#ctx;
    return (await runningConmon(layout.conmonPidFile(this.id), layout.bundle(this.id))) !== undefined;
  }
}

function notRunning(id: string): FailedPreconditionError {
  return new FailedPreconditionError(`Container ${id} is not running`);
}

/** runc takes a name with or without SIG, or a number. */
function signalArg(signal: NodeJS.Signals | number): string {
  if (typeof signal === 'number') {
    if (!Number.isInteger(signal) || signal < 1 || signal > 64) throw new InvalidArgumentError(`Invalid signal: ${signal}`);
    return String(signal);
  }
  if (!/^(SIG)?[A-Z][A-Z0-9+-]*$/i.test(signal)) throw new InvalidArgumentError(`Invalid signal: ${signal}`);
  return signal.toUpperCase();
}

