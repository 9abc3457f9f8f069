import { EventEmitter } from 'node:events';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ConflictError,
  InvalidArgumentError,
  noSuchContainer,
  noSuchImage,
  NotModifiedError,
} from '../../core/errdefs.js';
import { ZERO_TIME, type ContainerRecord, type ContainerState } from '../../core/containers.js';
import type { MetadataStore } from '../../core/metadata.js';
import type { Runtime, Task } from '../../core/runtime.js';
import type { Snapshotter } from '../../core/snapshots.js';
import { readContainerLog, type LogEntry } from '../../pkg/container-log.js';
import type { Filters } from '../../pkg/filters.js';
import { newId } from '../../pkg/ids.js';
import type { KeyedLock } from '../../pkg/keyed-lock.js';
import { chooseContainerName, validateContainerName } from '../../pkg/names.js';
import { parseSignal } from '../../pkg/signals.js';
import type { Logger } from '../images/image-store-deps.js';
import { parseConfig, type ImageService } from '../images/image-service.js';
import { newSnapshotId } from '../images/layer-unpacker.js';
import { resolveContainer } from './container-resolver.js';
import { hostnameFile, hostsFile, resolvConfFile } from './container-files.js';
import { containerInspect, containerSummary } from './container-views.js';
import { mergeImageConfig, parseCreateBody, processArgs } from './create-config.js';
import { buildOciSpec } from './oci-spec.js';
import { resolveUser } from './user-lookup.js';
import { familiarString, parseReference, withDefaultTag } from '../../pkg/reference.js';

export interface ContainerServiceDeps {
  metadata: MetadataStore;
  snapshotter: Snapshotter;
  runtime: Runtime;
  images: ImageService;
  locks: KeyedLock;
  now: () => Date;
  log: Logger;
  /** `<data-root>/containers`: one directory per container (hosts files, log). */
  containersDir: string;
  /** Cgroup parent of every container, e.g. `/berth`: our own, apart from Docker's and Podman's. */
  cgroupParent: string;
  /** The host runs cgroup v2 only: containers then get a private cgroup namespace, as with Docker. */
  cgroupV2: boolean;
  hostResolvConf: string;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface WaitResult {
  StatusCode: number;
  Error: { Message: string } | null;
}

/** Where an attached client's output goes. */
export interface AttachSink {
  write(stream: 'stdout' | 'stderr', data: Buffer): void;
  end(): void;
}

interface PendingAttach {
  sink: AttachSink;
  stdout: boolean;
  stderr: boolean;
  done: () => void;
  signal: AbortSignal;
}

const RUNNING = new Set(['running', 'paused', 'restarting']);
const LIST_FILTERS = ['ancestor', 'before', 'exited', 'health', 'id', 'isolation', 'is-task', 'label', 'name', 'network', 'publish', 'expose', 'since', 'status', 'volume'];
const STATES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

/**
 * Container use cases: create, start, stop, kill, wait, remove, list, inspect, logs and attach, plus restore
 * after a daemon restart. The runtime's monitors own the processes; this service keeps the record in the
 * metadata store true and tells waiters when a container exits or goes away. Long operations take the
 * container's keyed lock; reads never wait on it.
 */
export class ContainerService {
  readonly #deps: ContainerServiceDeps;
  readonly #tasks = new Map<string, Task>();
  readonly #pendingAttach = new Map<string, PendingAttach[]>();
  readonly #events = new EventEmitter();

  constructor(deps: ContainerServiceDeps) {
    this.#deps = deps;
    this.#events.setMaxListeners(0);
  }

  get(idOrName: string): ContainerRecord {
    return this.#deps.metadata.view((tx) => resolveContainer(tx, idOrName));
  }

  async create(raw: unknown, opts: { name?: string }): Promise<{ Id: string; Warnings: string[] }> {
    const { config, hostConfig } = parseCreateBody(raw);
    const requestedName = opts.name ? opts.name.replace(/^\//, '') : undefined;
    if (opts.name) validateContainerName(opts.name);
    if (!config.Image) throw new InvalidArgumentError('No image was specified');
    const image = this.#deps.images.resolve(config.Image);
    const imageConfig = parseConfig(image);
    const id = newId();
    const merged = mergeImageConfig(config, imageConfig.config);
    merged.Hostname = merged.Hostname || id.slice(0, 12);
    merged.Domainname = merged.Domainname ?? '';
    merged.Image = config.Image;
    merged.AttachStdin = merged.AttachStdin ?? false;
    merged.AttachStdout = merged.AttachStdout ?? false;
    merged.AttachStderr = merged.AttachStderr ?? false;
    merged.Tty = merged.Tty ?? false;
    merged.OpenStdin = merged.OpenStdin ?? false;
    merged.StdinOnce = merged.StdinOnce ?? false;
    merged.Labels = merged.Labels ?? {};
    const { path, args } = processArgs(merged);
    const layers = this.#deps.metadata.view((tx) => image.chainIds.map((c) => tx.getLayer(c)));
    const lowerSnapshotIds = layers.map((l) => l!.snapshotId).reverse();
    const snapshotId = newSnapshotId();
    const dir = join(this.#deps.containersDir, id);
    const created = this.#deps.now().toISOString();

    // Disk first: a crash before the transaction leaves a directory and snapshot the start-up sweep removes.
    await mkdir(dir, { recursive: true, mode: 0o710 });
    try {
      await Promise.all([
        writeFile(join(dir, 'hosts'), hostsFile()),
        writeFile(join(dir, 'hostname'), hostnameFile(merged.Hostname)),
        writeFile(join(dir, 'resolv.conf'), await resolvConfFile(this.#deps.hostResolvConf)),
      ]);
      await this.#deps.snapshotter.prepareActive(snapshotId);
      this.#deps.metadata.update((tx) => {
        if (!tx.getImage(image.id)) throw noSuchImage(config.Image ?? '');
        let name = requestedName;
        if (name !== undefined) {
          const holder = tx.getContainerByName(name);
          if (holder) {
            throw new ConflictError(
              `Conflict. The container name "/${name}" is already in use by container "${holder.id}". You have to remove (or rename) that container to be able to reuse that name.`,
            );
          }
        } else {
          name = chooseContainerName(id, (n) => tx.getContainerByName(n) !== undefined);
        }
        tx.putSnapshot(snapshotId, 'active');
        tx.putContainer({
          id,
          name,
          imageName: config.Image ?? '',
          imageId: image.id,
          topChainId: image.chainIds[image.chainIds.length - 1] ?? null,
          lowerSnapshotIds,
          snapshotId,
          created,
          path,
          args,
          config: merged,
          hostConfig: { NetworkMode: 'default', ...hostConfig },
          state: { status: 'created', pid: 0, exitCode: 0, startedAt: ZERO_TIME, finishedAt: ZERO_TIME, error: '', oomKilled: false },
          logPath: join(dir, 'container.log'),
          dir,
          restartCount: 0,
        });
      });
    } catch (err) {
      await this.#deps.snapshotter.remove(snapshotId).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    return { Id: id, Warnings: [] };
  }

  async start(idOrName: string): Promise<void> {
    const { id } = this.get(idOrName);
    try {
      await this.#startLocked(id, idOrName);
    } catch (err) {
      // Docker removes an auto-remove container whose start failed; `docker run --rm` waits for that.
      const c = this.#deps.metadata.view((tx) => tx.getContainer(id));
      if (c?.hostConfig.AutoRemove && !RUNNING.has(c.state.status)) await this.remove(id, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  async #startLocked(id: string, idOrName: string): Promise<void> {
    await this.#deps.locks.withLock(id, async () => {
      const c = this.#deps.metadata.view((tx) => tx.getContainer(id));
      if (!c) throw noSuchContainer(idOrName);
      if (RUNNING.has(c.state.status)) throw new NotModifiedError('container already started');
      const snap = this.#deps.snapshotter;
      let task: Task | undefined;
      try {
        const user = await resolveUser(c.config.User, [snap.contentDir(c.snapshotId), ...c.lowerSnapshotIds.map((s) => snap.contentDir(s))]);
        const spec = buildOciSpec({ container: c, user, cgroupsPath: `${this.#deps.cgroupParent}/${c.id}`, privateCgroupns: this.#deps.cgroupV2 });
        task = await this.#deps.runtime.create({
          id: c.id,
          spec,
          rootfs: snap.mounts(c.snapshotId, c.lowerSnapshotIds),
          logPath: c.logPath,
          name: c.name,
          tty: c.config.Tty === true,
          openStdin: c.config.OpenStdin === true,
          stdinOnce: c.config.StdinOnce === true,
        });
        await this.#connectPendingAttaches(c.id, task);
        await task.start();
      } catch (err) {
        if (task) await task.delete().catch(() => undefined);
        const message = err instanceof Error ? err.message : String(err);
        this.#deps.metadata.update((tx) => tx.updateContainerState(c.id, { ...c.state, exitCode: startFailureCode(message), error: message }));
        this.#endPendingAttaches(c.id);
        throw err;
      }
      const state: ContainerState = {
        status: 'running',
        pid: task.pid,
        exitCode: 0,
        startedAt: this.#deps.now().toISOString(),
        finishedAt: c.state.finishedAt,
        error: '',
        oomKilled: false,
      };
      this.#deps.metadata.update((tx) => tx.updateContainerState(c.id, state));
      this.#watch(c.id, task);
    });
  }

  async stop(idOrName: string, opts: { timeout?: number; signal?: string }): Promise<void> {
    const c = this.get(idOrName);
    if (!RUNNING.has(c.state.status)) throw new NotModifiedError('container already stopped');
    const sig = parseSignal(opts.signal || c.config.StopSignal || 'SIGTERM');
    if (!sig) throw new InvalidArgumentError(`Invalid signal: ${opts.signal ?? c.config.StopSignal ?? ''}`);
    const timeout = opts.timeout ?? (typeof c.config.StopTimeout === 'number' ? c.config.StopTimeout : 10);
    const task = this.#tasks.get(c.id);
    if (!task) return;
    const exited = this.#next('exit', c.id);
    await task.kill(sig.number).catch(() => undefined);
    if (timeout < 0) {
      await exited;
      return;
    }
    const inTime = await Promise.race([exited.then(() => true), delay(timeout * 1000).then(() => false)]);
    if (!inTime) {
      await task.kill('SIGKILL').catch(() => undefined);
      await exited;
    }
  }

  /** Docker's restart: stop (when running) with the stop timeout, then start. */
  async restart(idOrName: string, opts: { timeout?: number; signal?: string }): Promise<void> {
    try {
      await this.stop(idOrName, opts);
    } catch (err) {
      if (!(err instanceof NotModifiedError)) throw err;
    }
    await this.start(idOrName);
  }

  rename(idOrName: string, newName: string): void {
    const name = newName.replace(/^\//, '');
    if (name === '') throw new InvalidArgumentError('Neither old nor new names may be empty');
    validateContainerName(newName);
    this.#deps.metadata.update((tx) => {
      const c = resolveContainer(tx, idOrName);
      if (c.name === name) throw new InvalidArgumentError('Renaming a container with the same name as its current name');
      const holder = tx.getContainerByName(name);
      if (holder) {
        throw new ConflictError(
          `Error when allocating new name: Conflict. The container name "/${name}" is already in use by container "${holder.id}". You have to remove (or rename) that container to be able to reuse that name.`,
        );
      }
      tx.renameContainer(c.id, name);
    });
  }

  async kill(idOrName: string, signal: string | undefined): Promise<void> {
    const c = this.get(idOrName);
    const sig = parseSignal(signal || 'SIGKILL');
    if (!sig) throw new InvalidArgumentError(`Invalid signal: ${signal ?? ''}`);
    const task = this.#tasks.get(c.id);
    if (!RUNNING.has(c.state.status) || !task) throw new ConflictError(`Container ${c.id} is not running`);
    const exited = sig.number === 9 ? this.#next('exit', c.id) : undefined;
    await task.kill(sig.number);
    // Docker's kill with SIGKILL returns once the container is gone, so a following `ps` is accurate.
    if (exited) await Promise.race([exited, delay(10_000)]);
  }

  /**
   * Registers a waiter and returns at once (Docker sends the response headers before the container exits, so
   * a client can wait first and start second without a race); `result` settles with the exit code.
   */
  wait(idOrName: string, condition: WaitCondition): { result: Promise<WaitResult> } {
    const c = this.get(idOrName);
    const toResult = (code: number): WaitResult => ({ StatusCode: code, Error: null });
    switch (condition) {
      case 'not-running':
        if (!RUNNING.has(c.state.status)) return { result: Promise.resolve(toResult(c.state.exitCode)) };
        return { result: this.#next('exit', c.id).then(toResult) };
      case 'next-exit':
        return { result: this.#next('exit', c.id).then(toResult) };
      case 'removed':
        return { result: this.#next('removed', c.id).then(toResult) };
    }
  }

  async remove(idOrName: string, opts: { force: boolean }): Promise<void> {
    const { id } = this.get(idOrName);
    await this.#deps.locks.withLock(id, async () => {
      const c = this.#deps.metadata.view((tx) => tx.getContainer(id));
      if (!c) throw noSuchContainer(idOrName);
      if (RUNNING.has(c.state.status)) {
        if (!opts.force) {
          throw new ConflictError(
            `You cannot remove a ${c.state.status} container ${c.id}. Stop the container before attempting removal or force remove`,
          );
        }
        const task = this.#tasks.get(id);
        if (task) {
          const exited = this.#next('exit', id);
          await task.kill('SIGKILL').catch(() => undefined);
          await Promise.race([exited, delay(15_000)]);
        }
      }
      const final = this.#deps.metadata.view((tx) => tx.getContainer(id)) ?? c;
      this.#deps.metadata.update((tx) => {
        tx.deleteContainer(id);
        tx.deleteSnapshot(c.snapshotId);
      });
      this.#events.emit(`removed:${id}`, final.state.exitCode);
      this.#endPendingAttaches(id);
      const leftover = this.#tasks.get(id) ?? (await this.#deps.runtime.load(id).catch(() => undefined));
      this.#tasks.delete(id);
      await this.#removeFiles(c, leftover);
    });
    await this.#deps.images.collectGarbage();
  }

  list(opts: { all: boolean; limit: number; size: boolean; filters: Filters }): Promise<Record<string, unknown>[]> {
    const { filters } = opts;
    filters.validate(LIST_FILTERS);
    for (const s of filters.get('status')) {
      if (!STATES.includes(s)) throw new InvalidArgumentError(`invalid filter 'status=${s}'`);
    }
    const all = opts.all || opts.limit > 0 || filters.has('status');
    const now = this.#deps.now();
    const rows = this.#deps.metadata.view((tx) => {
      let list = tx.listContainers();
      const position = (ref: string): number => {
        const target = resolveContainer(tx, ref);
        return list.findIndex((c) => c.id === target.id);
      };
      // The list is newest first: `before=x` keeps what comes after x, `since=x` what comes before it.
      for (const b of filters.get('before')) list = list.slice(position(b) + 1);
      for (const s of filters.get('since')) list = list.slice(0, Math.max(0, position(s)));
      const ancestors = filters.get('ancestor').flatMap((a) => {
        try {
          return [this.#deps.images.resolve(a).id as string];
        } catch {
          return [];
        }
      });
      const imageNames = new Map<string, string>();
      const shownImage = (c: ContainerRecord): string => {
        // Docker shows the name the user gave while it still points at the same image, else the image ID.
        let shown = imageNames.get(c.imageName);
        if (shown === undefined) {
          shown = c.imageId;
          try {
            if (this.#deps.images.resolve(c.imageName).id === c.imageId) shown = c.imageName;
          } catch {
            // The image name no longer resolves.
          }
          imageNames.set(c.imageName, shown);
        }
        return shown;
      };
      const out: { c: ContainerRecord; image: string }[] = [];
      for (const c of list) {
        if (!all && !RUNNING.has(c.state.status)) continue;
        if (!filters.match('status', c.state.status)) continue;
        if (!filters.regexMatch('name', `/${c.name}`) && !filters.regexMatch('name', c.name)) continue;
        if (!filters.fuzzyMatch('id', c.id)) continue;
        if (!filters.matchKVList('label', c.config.Labels ?? {})) continue;
        if (filters.has('exited') && (c.state.status !== 'exited' || !filters.contains('exited', String(c.state.exitCode)))) continue;
        if (filters.has('ancestor') && !ancestors.includes(c.imageId) && !filters.get('ancestor').some((a) => sameImageName(a, c.imageName))) continue;
        out.push({ c, image: shownImage(c) });
        if (opts.limit > 0 && out.length >= opts.limit) break;
      }
      return out;
    });
    return Promise.all(
      rows.map(async ({ c, image }) => {
        const size = opts.size ? await this.#size(c) : undefined;
        return containerSummary(c, image, now, size);
      }),
    );
  }

  async #size(c: ContainerRecord): Promise<{ rw: number; rootFs: number }> {
    const rw = (await this.#deps.snapshotter.usage(c.snapshotId)).size;
    const image = this.#deps.metadata.view((tx) => tx.getImage(c.imageId));
    return { rw, rootFs: rw + (image?.size ?? 0) };
  }

  inspect(idOrName: string): Record<string, unknown> {
    const c = this.get(idOrName);
    const snap = this.#deps.snapshotter;
    const upper = snap.contentDir(c.snapshotId);
    return containerInspect(c, this.#deps.cgroupV2 ? 'private' : 'host', {
      lowerDirs: c.lowerSnapshotIds.map((s) => snap.contentDir(s)),
      upperDir: upper,
      workDir: upper.replace(/\/fs$/, '/work'),
      mergedDir: join(c.dir, 'rootfs'),
    });
  }

  /** Log entries for `docker logs`; with `follow`, they keep coming until the container exits. */
  logs(
    idOrName: string,
    opts: { follow: boolean; tail?: number; since?: Date; until?: Date; signal: AbortSignal },
  ): { tty: boolean; entries: AsyncIterable<LogEntry> } {
    const c = this.get(idOrName);
    const running = RUNNING.has(c.state.status);
    const done = opts.follow && running ? this.#next('exit', c.id) : Promise.resolve(0);
    return {
      tty: c.config.Tty === true,
      entries: readContainerLog(c.logPath, { ...opts, follow: opts.follow && running, done }),
    };
  }

  /**
   * Streams a container's output to an attached client until the container exits or the client leaves. A
   * client attaching to a container that is not running yet (docker run attaches before it starts) is
   * connected when it starts.
   */
  async attach(
    idOrName: string,
    opts: { stream: boolean; logs: boolean; stdout: boolean; stderr: boolean; signal: AbortSignal },
    sink: AttachSink,
  ): Promise<void> {
    const c = this.get(idOrName);
    if (opts.logs) {
      for await (const e of readContainerLog(c.logPath, { signal: opts.signal })) {
        if ((e.stream === 'stdout' && opts.stdout) || (e.stream === 'stderr' && opts.stderr)) sink.write(e.stream, e.line);
      }
    }
    if (!opts.stream) {
      sink.end();
      return;
    }
    const task = this.#tasks.get(c.id);
    if (task && RUNNING.has(c.state.status)) {
      await pump(task, opts, sink);
      return;
    }
    await new Promise<void>((resolve) => {
      const pending: PendingAttach = { sink, stdout: opts.stdout, stderr: opts.stderr, done: resolve, signal: opts.signal };
      const list = this.#pendingAttach.get(c.id) ?? [];
      list.push(pending);
      this.#pendingAttach.set(c.id, list);
      opts.signal.addEventListener('abort', () => {
        const l = this.#pendingAttach.get(c.id)?.filter((p) => p !== pending) ?? [];
        if (l.length === 0) this.#pendingAttach.delete(c.id);
        else this.#pendingAttach.set(c.id, l);
        resolve();
      });
    });
  }

  /** Finds the containers' monitors again after a daemon restart, and settles what changed while it was down. */
  async restore(): Promise<void> {
    const containers = this.#deps.metadata.view((tx) => tx.listContainers());
    const known = new Set(containers.map((c) => c.id));
    const withState = new Set(await this.#deps.runtime.list());
    for (const c of containers) {
      if (RUNNING.has(c.state.status)) {
        const task = await this.#deps.runtime.load(c.id).catch(() => undefined);
        if (task) {
          this.#watch(c.id, task);
          continue;
        }
        this.#deps.log.warn('running container lost its runtime state', { id: c.id });
        this.#deps.metadata.update((tx) =>
          tx.updateContainerState(c.id, { ...c.state, status: 'exited', pid: 0, exitCode: 255, finishedAt: this.#deps.now().toISOString(), error: 'container state was lost while the daemon was down' }),
        );
      } else if (withState.has(c.id)) {
        const stale = await this.#deps.runtime.load(c.id).catch(() => undefined);
        await stale?.delete().catch(() => undefined);
      }
      if (c.hostConfig.AutoRemove && !RUNNING.has(c.state.status) && c.state.status !== 'created') {
        await this.remove(c.id, { force: true }).catch(() => undefined);
      }
    }
    for (const id of withState) {
      if (known.has(id)) continue;
      const orphan = await this.#deps.runtime.load(id).catch(() => undefined);
      if (!orphan) continue;
      this.#deps.log.warn('removing runtime state of an unknown container', { id });
      await orphan.kill('SIGKILL').catch(() => undefined);
      await orphan.delete().catch(() => undefined);
    }
  }

  /** Directories under containers/ that no container owns (a crash between mkdir and commit). */
  knownIds(): Set<string> {
    return new Set(this.#deps.metadata.view((tx) => tx.listContainers().map((c) => c.id)));
  }

  #watch(id: string, task: Task): void {
    this.#tasks.set(id, task);
    task.wait().then(
      (exit) => this.#onExit(id, task, exit.exitCode, exit.exitedAt, exit.oomKilled),
      (err: unknown) => this.#deps.log.error('waiting for a container failed', { id, error: String(err) }),
    );
  }

  /**
   * A container's process ended. The record changes first and waiters hear at once; the runtime state is
   * cleaned up after, under the container's lock, so a new start or a removal waits for it. An auto-remove
   * container is forgotten in the same step (database first, disk second), so `docker run --rm` returns
   * without waiting for the files to go.
   */
  async #onExit(id: string, task: Task, exitCode: number, exitedAt: Date, oomKilled: boolean): Promise<void> {
    if (this.#tasks.get(id) !== task) return;
    this.#tasks.delete(id);
    const c = this.#deps.metadata.view((tx) => tx.getContainer(id));
    if (!c) return;
    const finishedAt = exitedAt.toISOString();
    if (c.hostConfig.AutoRemove) {
      this.#deps.metadata.update((tx) => {
        tx.deleteContainer(id);
        tx.deleteSnapshot(c.snapshotId);
      });
      this.#events.emit(`exit:${id}`, exitCode);
      this.#events.emit(`removed:${id}`, exitCode);
      this.#endPendingAttaches(id);
      await this.#deps.locks.withLock(id, () => this.#removeFiles(c, task));
      await this.#deps.images.collectGarbage();
      return;
    }
    this.#deps.metadata.update((tx) => tx.updateContainerState(id, { ...c.state, status: 'exited', pid: 0, exitCode, finishedAt, oomKilled }));
    this.#events.emit(`exit:${id}`, exitCode);
    await this.#deps.locks.withLock(id, () =>
      task.delete().catch((err: unknown) => this.#deps.log.warn('runtime cleanup failed', { id, error: String(err) })),
    );
  }

  /** Everything on disk of a container the store has already forgotten; failures leave orphans the next start sweeps. */
  async #removeFiles(c: ContainerRecord, task: Task | undefined): Promise<void> {
    const warn = (what: string) => (err: unknown) => this.#deps.log.warn(what, { id: c.id, error: String(err) });
    if (task) await task.delete().catch(warn('runtime cleanup failed'));
    await this.#deps.snapshotter.remove(c.snapshotId).catch(warn('snapshot removal failed'));
    await rm(c.dir, { recursive: true, force: true }).catch(warn('container directory removal failed'));
  }

  #next(event: 'exit' | 'removed', id: string): Promise<number> {
    return new Promise((resolve) => this.#events.once(`${event}:${id}`, resolve));
  }

  async #connectPendingAttaches(id: string, task: Task): Promise<void> {
    const pending = this.#pendingAttach.get(id) ?? [];
    this.#pendingAttach.delete(id);
    for (const p of pending) {
      if (p.signal.aborted) continue;
      const io = await task.attach();
      void pumpIO(io, p, p.sink).finally(p.done);
    }
  }

  #endPendingAttaches(id: string): void {
    const pending = this.#pendingAttach.get(id) ?? [];
    this.#pendingAttach.delete(id);
    for (const p of pending) {
      p.sink.end();
      p.done();
    }
  }
}

async function pump(task: Task, opts: { stdout: boolean; stderr: boolean; signal: AbortSignal }, sink: AttachSink): Promise<void> {
  const io = await task.attach();
  await pumpIO(io, opts, sink);
}

async function pumpIO(
  io: Awaited<ReturnType<Task['attach']>>,
  opts: { stdout: boolean; stderr: boolean; signal: AbortSignal },
  sink: AttachSink,
): Promise<void> {
  const onAbort = (): void => io.close();
  opts.signal.addEventListener('abort', onAbort);
  try {
    for await (const chunk of io.output) {
      if ((chunk.stream === 'stdout' && opts.stdout) || (chunk.stream === 'stderr' && opts.stderr)) sink.write(chunk.stream, chunk.data);
    }
  } catch {
    // The connection to the monitor broke; the client sees the end of the stream.
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
    io.close();
    sink.end();
  }
}

/** Docker's exit codes for a process that could not be started: 127 not found, 126 not executable, else 128. */
function startFailureCode(message: string): number {
  if (/executable file not found|no such file or directory/i.test(message)) return 127;
  if (/permission denied|is a directory/i.test(message)) return 126;
  return 128;
}

function sameImageName(filter: string, imageName: string): boolean {
  try {
    return familiarString(withDefaultTag(parseReference(filter))) === familiarString(withDefaultTag(parseReference(imageName)));
  } catch {
    return false;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
