import { join } from 'node:path';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';

import { ociSpecJson, type Runtime, type Task, type TaskCreateOptions } from '../../core/runtime.js';
import { AlreadyExistsError, isBerthError } from '../../core/errdefs.js';
import { isMountPoint, mountAll, unmount } from '../../pkg/mounter.js';
import { launchConmon, stopConmon } from './conmon.js';
import { ExitWatcher } from './exit-watcher.js';
import { Layout } from './layout.js';
import { Runc } from './runc.js';
import { RuncConmonTask, type TaskContext } from './task.js';

/** How long a failed create gives conmon to notice its container is gone and exit by itself. */
const CONMON_EXIT_GRACE_MS = 3000;

export interface RuncConmonRuntimeOptions {
  /** Where bundles, exit files and runc's state live, e.g. <exec-root>/runtime. Keep it short: see Layout. */
  stateDir: string;
  runcPath?: string;
  conmonPath?: string;
  /** conmon's --log-level (error, warn, info, debug, trace). */
  logLevel?: string;
  /** Let conmon log to syslog too (its own errors after it detached go nowhere else). */
  syslog?: boolean;
  /** How long `create` (and `exec`) wait for conmon to report runc's outcome. Default 60 s. */
  createTimeoutMs?: number;
}

/**
 * Runs containers with runc under conmon, one conmon per container (see core/runtime.ts for the lifecycle).
 * conmon owns the container's stdio, log and exit code and outlives the daemon; all the runtime keeps is on
 * disk (see Layout), which is why `load` after a restart is as good as `create`.
 */
export class RuncConmonRuntime implements Runtime {
  #layout: Layout;
  #runc: Runc;
  #conmonPath: string;
  #logLevel: string | undefined;
  #syslog: boolean;
  #createTimeoutMs: number;
  #ctx: TaskContext;
  #dirs: Promise<void> | undefined;

  constructor(opts: RuncConmonRuntimeOptions) {
    this.#layout = new Layout(opts.stateDir);
    // Fail at daemon start, not at the first container start, when the state dir is too long for conmon's
    // attach socket (ids are always 64 hex characters).
    this.#layout.checkSocketPath('0'.repeat(64));
    this.#runc = new Runc(opts.runcPath ?? '/usr/sbin/runc', this.#layout.runcRoot);
    this.#conmonPath = opts.conmonPath ?? '/usr/bin/conmon';
    this.#logLevel = opts.logLevel;
    this.#syslog = opts.syslog ?? false;
    this.#createTimeoutMs = opts.createTimeoutMs ?? 60_000;
    this.#ctx = {
      layout: this.#layout,
      runc: this.#runc,
      exits: new ExitWatcher(this.#layout.exitDir),
      conmonPath: this.#conmonPath,
      syslog: this.#syslog,
      startTimeoutMs: this.#createTimeoutMs,
    };
  }

  async create(opts: TaskCreateOptions): Promise<Task> {
    const { id, signal } = opts;
    const layout = this.#layout;
    layout.checkSocketPath(id);
    signal?.throwIfAborted();
    await this.#ensureDirs();
    const bundle = layout.bundle(id);
    try {
      await mkdir(bundle, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new AlreadyExistsError(`Runtime state for container ${id} already exists`);
      throw err;
    }
    try {
      // A previous run's exit must not be taken for this one's.
      await rm(layout.exitFile(id), { force: true });
      const rootfs = layout.rootfs(id);
      await mkdir(rootfs);
      await mountAll(opts.rootfs, rootfs, { signal });
      const spec = { ...opts.spec, root: { ...opts.spec.root, path: rootfs } };
      await writeFile(layout.config(id), ociSpecJson(spec));
      const pid = await launchConmon({
        conmonPath: this.#conmonPath,
        runcPath: this.#runc.path,
        runcArgs: this.#runc.globalArgs(),
        id,
        name: opts.name,
        bundle,
        pidFile: layout.pidFile(id),
        conmonPidFile: layout.conmonPidFile(id),
        exitDir: layout.exitDir,
        logPath: opts.logPath,
        tty: opts.tty,
        openStdin: opts.openStdin,
        stdinOnce: opts.stdinOnce,
        logSizeMax: opts.logSizeMax,
        logLevel: this.#logLevel,
        syslog: this.#syslog,
        signal,
        timeoutMs: this.#createTimeoutMs,
      });
      return new RuncConmonTask(id, pid, this.#ctx);
    } catch (err) {
      await this.#undoCreate(id).catch(() => undefined);
      throw err;
    }
  }

  async load(id: string): Promise<Task | undefined> {
    let pidText: string;
    try {
      pidText = await readFile(this.#layout.pidFile(id), 'utf8');
    } catch (err) {
      // A bundle without a pidfile is a create that died half way: still a task, so that it can be deleted.
      if (isBerthError(err)) return undefined; // not a valid id: no state can exist for it
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // So is runc state whose bundle is already gone (a delete interrupted between `runc delete` and the rm).
      const bundle = await readdir(this.#layout.bundle(id)).catch(() => undefined);
      const runcState = await readdir(join(this.#layout.runcRoot, id)).catch(() => undefined);
      if (!bundle && !runcState) return undefined;
      pidText = '0';
    }
    const pid = Number.parseInt(pidText, 10);
    return new RuncConmonTask(id, Number.isNaN(pid) ? 0 : pid, this.#ctx);
  }

  /** Ids with a bundle or with runc state (either can outlive the other when a delete is interrupted). */
  async list(): Promise<string[]> {
    const dirs = async (path: string): Promise<string[]> => {
      try {
        const entries = await readdir(path, { withFileTypes: true });
        return entries.filter((e) => e.isDirectory()).map((e) => e.name);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
    };
    return [...new Set([...(await dirs(this.#layout.containersDir)), ...(await dirs(this.#layout.runcRoot))])];
  }

  #ensureDirs(): Promise<void> {
    const l = this.#layout;
    this.#dirs ??= (async () => {
      for (const d of [l.containersDir, l.exitDir, l.runcRoot]) await mkdir(d, { recursive: true, mode: 0o700 });
    })();
    // A failure (a read-only disk) must not stick: the next create tries again.
    this.#dirs.catch(() => (this.#dirs = undefined));
    return this.#dirs;
  }

  /**
   * Undoes a create that failed at any step. runc delete first: it kills a created container and removes its
   * cgroups; conmon then sees the exit and ends by itself. Only a conmon that does not (it hung, which is why
   * create timed out) is killed.
   */
  async #undoCreate(id: string): Promise<void> {
    const l = this.#layout;
    await this.#runc.delete(id).catch(() => undefined);
    await stopConmon(l.conmonPidFile(id), l.bundle(id), CONMON_EXIT_GRACE_MS);
    const rootfs = l.rootfs(id);
    await unmount(rootfs).catch(() => unmount(rootfs, { lazy: true }));
    if (await isMountPoint(rootfs)) return;
    await rm(l.bundle(id), { recursive: true, force: true });
    await rm(l.exitFile(id), { force: true });
  }
}
