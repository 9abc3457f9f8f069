import { EventEmitter } from 'node:events';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  ConflictError,
  InternalError,
  InvalidArgumentError,
  noSuchContainer,
  noSuchImage,
  NotModifiedError,
} from '../../core/errdefs.js';
import { ZERO_TIME, type ContainerRecord, type ContainerState, type HealthState } from '../../core/containers.js';
import type { EventPublisher } from '../../core/events.js';
import type { MetadataStore, WriteTx } from '../../core/metadata.js';
import type { LinuxResources, OciSpec, Runtime, Task } from '../../core/runtime.js';
import type { Snapshotter } from '../../core/snapshots.js';
import { readContainerLog, type LogEntry } from '../../pkg/container-log.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../pkg/detach-keys.js';
import { exec } from '../../pkg/exec.js';
import type { Filters } from '../../pkg/filters.js';
import { newId } from '../../pkg/ids.js';
import type { KeyedLock } from '../../pkg/keyed-lock.js';
import { chooseContainerName, validateContainerName } from '../../pkg/names.js';
import { parseSignal } from '../../pkg/signals.js';
import type { Logger } from '../images/image-store-deps.js';
import { parseConfig, type ImageService } from '../images/image-service.js';
import { newSnapshotId } from '../images/layer-unpacker.js';
import { pruneFilter } from '../prune-filter.js';
import { resolveContainer } from './container-resolver.js';
import { hostnameFile, hostsFile, resolvConfFile } from './container-files.js';
import { containerInspect, containerSummary } from './container-views.js';
import { mergeImageConfig, parseCreateBody, processArgs } from './create-config.js';
import { buildOciSpec } from './oci-spec.js';
import { resolveGroups, resolveUser } from './user-lookup.js';
import type { ExecProcessOptions } from './exec-service.js';
import { HealthMonitor, resolveHealthcheck, type ProbeConfig } from './health-monitor.js';
import { LogRotation, readRotatedLog } from './log-rotation.js';
import { mountSharedShm, sharedShmDir, unmountSharedShm } from './shared-shm.js';
import { parsePsOutput } from './ps-output.js';
import { RestartTracker, restartOnDaemonStart } from './restart-policy.js';
import { applyUpdate, linuxResources, logOptions, restartPolicyOf } from './host-config.js';
import { delay } from '../../pkg/delay.js';
import { startFailureCode } from './start-failure.js';
import { runStdioSession, type AttachSink, type StdioSessionOptions } from './stdio-session.js';
import { familiarString, parseReference, withDefaultTag } from '../../pkg/reference.js';
import type { VolumeService } from '../volumes/volume-service.js';
import { ContainerVolumes } from './container-volumes.js';

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
  events: EventPublisher;
  /** Host path of the small init `--init` runs as PID 1 (tini); undefined when the host has none. */
  initPath?: string;
  /** The daemon's default detach keys (dockerd's --detach-keys; Docker's default ctrl-p,ctrl-q). */
  detachKeys?: string;
  volumes: VolumeService;
  /** Networking (services/networks); without it a container has a namespace with loopback only. */
  networks?: ContainerNetworking;
}

/** What the container service asks of networking: the NetworkService's container side. */
export interface ContainerNetworking {
  planCreate(hostConfig: Record<string, unknown>, networkingConfig: unknown, config: Record<string, unknown>): (tx: WriteTx, containerId: string) => void;
  setUp(c: ContainerRecord): Promise<{ netnsPath?: string; hostNetwork: boolean; env: string[]; release?: () => void }>;
  tearDown(containerId: string): Promise<void>;
  networkSettings(c: ContainerRecord): Record<string, unknown>;
  /** The `Ports` and `NetworkSettings` of `docker ps` rows, in the order of `cs`. */
  summaries(cs: readonly ContainerRecord[]): { Ports: Record<string, unknown>[]; NetworkSettings: { Networks: Record<string, unknown> } }[];
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface WaitResult {
  StatusCode: number;
  Error: { Message: string } | null;
}

interface PendingAttach {
  sink: AttachSink;
  session: Omit<StdioSessionOptions, 'signal'>;
  done: () => void;
  signal: AbortSignal;
}

/** moby keeps at most this much of a probe's output. */
const PROBE_OUTPUT_MAX = 4096;
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
  /** Containers the user is stopping: their exit must not trigger the restart policy. */
  readonly #stopping = new Set<string>();
  /** Pending policy restarts (the back-off timer), by container id. */
  readonly #restartTimers = new Map<string, NodeJS.Timeout>();
  readonly #restartTrackers = new Map<string, RestartTracker>();
  readonly #health = new Map<string, HealthMonitor>();
  readonly #logRotation: LogRotation;
  readonly #volumes: ContainerVolumes;

  constructor(deps: ContainerServiceDeps) {
    this.#deps = deps;
    this.#volumes = new ContainerVolumes({ volumes: deps.volumes, snapshotter: deps.snapshotter, get: (idOrName) => this.get(idOrName), log: deps.log });
    this.#events.setMaxListeners(0);
    this.#logRotation = new LogRotation({ log: deps.log });
  }

  get(idOrName: string): ContainerRecord {
    return this.#deps.metadata.view((tx) => resolveContainer(tx, idOrName));
  }

  async create(raw: unknown, opts: { name?: string }): Promise<{ Id: string; Warnings: string[] }> {
    const { config, hostConfig, warnings } = parseCreateBody(raw, { defaultCgroupnsMode: this.#deps.cgroupV2 ? 'private' : 'host' });
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
    const networkingConfig = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)['NetworkingConfig'] : undefined;
    const recordEndpoints = this.#deps.networks?.planCreate(hostConfig, networkingConfig, merged);
    const layers = this.#deps.metadata.view((tx) => image.chainIds.map((c) => tx.getLayer(c)));
    const lowerSnapshotIds = layers.map((l) => l!.snapshotId).reverse();
    const snapshotId = newSnapshotId();
    const dir = join(this.#deps.containersDir, id);
    const created = this.#deps.now().toISOString();

    // Disk first: a crash before the transaction leaves a directory and snapshot the start-up sweep removes.
    const mounts = await this.#volumes.resolve(hostConfig, merged.Volumes);
    await mkdir(dir, { recursive: true, mode: 0o710 });
    try {
      await Promise.all([
        writeFile(join(dir, 'hosts'), hostsFile()),
        writeFile(join(dir, 'hostname'), hostnameFile(merged.Hostname)),
        writeFile(join(dir, 'resolv.conf'), await resolvConfFile(this.#deps.hostResolvConf)),
      ]);
      await this.#deps.snapshotter.prepareActive(snapshotId);
      await this.#volumes.populate(mounts.points, snapshotId, lowerSnapshotIds, dir);
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
          ...(mounts.points.length > 0 ? { mounts: mounts.points } : {}),
        });
        tx.setContainerVolumes(id, mounts.volumeNames);
        recordEndpoints?.(tx, id);
      });
    } catch (err) {
      await this.#deps.snapshotter.remove(snapshotId).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      await this.#volumes.discardCreated(mounts.created);
      throw err;
    }
    this.#publish(this.get(id), 'create');
    return { Id: id, Warnings: warnings };
  }

  async start(idOrName: string): Promise<void> {
    const { id } = this.get(idOrName);
    // A start by the user clears a pending policy restart, the back-off and the "stopped by the user" mark.
    this.#cancelRestart(id);
    this.#restartTrackers.delete(id);
    try {
      await this.#startLocked(id, idOrName, { byUser: true });
    } catch (err) {
      // Docker removes an auto-remove container whose start failed; `docker run --rm` waits for that.
      const c = this.#deps.metadata.view((tx) => tx.getContainer(id));
      if (c?.hostConfig.AutoRemove && !RUNNING.has(c.state.status)) await this.remove(id, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  async #startLocked(id: string, idOrName: string, opts: { byUser: boolean }): Promise<void> {
    await this.#deps.locks.withLock(id, async () => {
      const c = this.#deps.metadata.view((tx) => tx.getContainer(id));
      if (!c) throw noSuchContainer(idOrName);
      if (c.state.status === 'paused') throw new ConflictError('cannot start a paused container, try unpause instead');
      // A policy restart goes ahead only if nothing (a stop, a user's start) settled the container meanwhile.
      if (!opts.byUser && (c.state.status !== 'restarting' || c.state.manuallyStopped)) return;
      if (RUNNING.has(c.state.status) && !(c.state.status === 'restarting' && !this.#tasks.has(id))) throw new NotModifiedError('container already started');
      let task: Task | undefined;
      let networked = false;
      try {
        if (c.hostConfig['IpcMode'] === 'shareable') await mountSharedShm(c.dir, shmSizeOf(c));
        const mountSources = await this.#volumes.acquire(c);
        const network = await this.#deps.networks?.setUp(c);
        networked = network !== undefined;
        const spec = await this.#spec(c, { mountSources, network });
        const logOpts = logOptions(c.hostConfig);
        task = await this.#deps.runtime.create({
          id: c.id,
          spec,
          rootfs: this.#deps.snapshotter.mounts(c.snapshotId, c.lowerSnapshotIds),
          logPath: c.logPath,
          name: c.name,
          tty: c.config.Tty === true,
          openStdin: c.config.OpenStdin === true,
          // With a TTY Docker never closes the container's stdin when the client goes (StdinOnce or not).
          stdinOnce: c.config.StdinOnce === true && c.config.Tty !== true,
          // While berthd is down nobody rotates: conmon's own cap bounds the disk (it truncates).
          logSizeMax: logOpts.maxSize > 0 ? logOpts.maxSize * Math.max(2, logOpts.maxFile) : 0,
        });
        // The container's process is in its network namespace now: the namespace needs no other holder.
        network?.release?.();
        await this.#connectPendingAttaches(c.id, task);
        await task.start();
      } catch (err) {
        if (task) await task.delete().catch(() => undefined);
        if (networked) await this.#deps.networks?.tearDown(c.id).catch(() => undefined);
        await unmountSharedShm(c.dir).catch(() => undefined);
        await this.#volumes.release(c);
        const message = err instanceof Error ? err.message : String(err);
        const status = c.state.status === 'restarting' ? 'exited' : c.state.status;
        this.#deps.metadata.update((tx) => tx.updateContainerState(c.id, { ...c.state, status, exitCode: startFailureCode(message, 128), error: message }));
        this.#endPendingAttaches(c.id);
        throw err;
      }
      const probe = this.#healthProbe(c);
      const state: ContainerState = {
        status: 'running',
        pid: task.pid,
        exitCode: 0,
        startedAt: this.#deps.now().toISOString(),
        finishedAt: c.state.finishedAt,
        error: '',
        oomKilled: false,
        ...(probe ? { health: { Status: 'starting', FailingStreak: 0, Log: c.state.health?.Log ?? [] } } : {}),
        manuallyStopped: false,
      };
      const restartCount = opts.byUser ? 0 : c.restartCount + 1;
      this.#deps.metadata.update((tx) => tx.updateContainerState(c.id, state, { restartCount }));
      this.#watch(c, task);
      this.#publish(c, 'start');
      if (probe) this.#startHealth(this.get(c.id), task, probe);
    });
  }

  /** Calls `fn` with the id of every container that is removed (exec instances go with it). */
  onRemove(fn: (id: string) => void): void {
    this.#events.on('forget', fn);
  }

  #healthProbe(c: ContainerRecord): ProbeConfig | undefined {
    try {
      return resolveHealthcheck(c.config.Healthcheck as Parameters<typeof resolveHealthcheck>[0], { shell: c.config.Shell ?? null });
    } catch {
      return undefined;
    }
  }

  /**
   * Runs the container's health check while it runs; each probe is an exec, its result goes to the store. The
   * probe's process (user, env, capabilities) is worked out once, not at every probe.
   */
  #startHealth(c: ContainerRecord, task: Task, probe = this.#healthProbe(c)): void {
    if (!probe) return;
    this.#stopHealth(c.id);
    let base: Promise<OciSpec['process']> | undefined;
    const processFor = (args: string[]): Promise<OciSpec['process']> => {
      base ??= this.execProcess(c, { cmd: [], env: [], user: '', workingDir: '', privileged: false, tty: false });
      // A failure (an unreadable /etc/passwd) is not remembered: the next probe tries again.
      base.catch(() => (base = undefined));
      return base.then((p) => ({ ...p, args }));
    };
    const monitor = new HealthMonitor({
      probe,
      initial: c.state.health,
      startedAt: new Date(c.state.startedAt),
      run: async (args, opts) => this.#probe(task, await processFor(args), opts.signal),
      onChange: (health, statusChanged) => {
        const cur = this.#deps.metadata.view((tx) => tx.getContainer(c.id));
        if (!cur || !RUNNING.has(cur.state.status) || this.#health.get(c.id) !== monitor) return;
        this.#deps.metadata.update((tx) => tx.updateContainerState(c.id, { ...cur.state, health }));
        if (statusChanged) this.#publish(cur, `health_status: ${health.Status}`);
      },
    });
    this.#health.set(c.id, monitor);
    monitor.start();
  }

  /** Stops the container's health monitor; returns the state Docker shows after a stop (unhealthy). */
  #stopHealth(id: string): HealthState | undefined {
    const final = this.#health.get(id)?.stop();
    this.#health.delete(id);
    return final;
  }

  /**
   * One health probe: an exec whose output is kept (bounded). The monitor owns the timeout: it aborts `signal`,
   * and the probe is killed.
   */
  async #probe(task: Task, processSpec: OciSpec['process'], signal: AbortSignal): Promise<{ exitCode: number; output: Uint8Array }> {
    const proc = await task.exec({ execId: newId(), process: processSpec, tty: false, openStdin: false, attach: true, signal });
    const chunks: Buffer[] = [];
    let size = 0;
    const reading = (async () => {
      for await (const chunk of proc.io?.output ?? []) {
        if (size < PROBE_OUTPUT_MAX) {
          chunks.push(chunk.data);
          size += chunk.data.length;
        }
      }
    })().catch(() => undefined);
    const onAbort = (): void => {
      proc.kill('SIGKILL').catch(() => undefined);
    };
    signal.addEventListener('abort', onAbort);
    try {
      const exit = await proc.wait();
      await Promise.race([reading, delay(1000)]);
      // One byte over the limit: the monitor cuts and marks the cut ("...") as Docker does.
      return { exitCode: exit.exitCode, output: Buffer.concat(chunks).subarray(0, PROBE_OUTPUT_MAX + 1) };
    } finally {
      signal.removeEventListener('abort', onAbort);
      proc.io?.close();
      await proc.delete().catch(() => undefined);
    }
  }

  /** The OCI spec of a container, with what only the daemon can resolve: users, groups, other containers' namespaces. */
  async #spec(
    c: ContainerRecord,
    overrides: {
      user?: string;
      privileged?: boolean;
      tty?: boolean;
      consoleSize?: unknown;
      forExec?: boolean;
      mountSources?: ReadonlyMap<string, string>;
      network?: { netnsPath?: string; hostNetwork: boolean; env: string[] };
    } = {},
  ): Promise<OciSpec> {
    const snap = this.#deps.snapshotter;
    const layerDirs = [snap.contentDir(c.snapshotId), ...c.lowerSnapshotIds.map((s) => snap.contentDir(s))];
    const user = await resolveUser(overrides.user || c.config.User, layerDirs);
    const groupAdd = await resolveGroups(c.hostConfig['GroupAdd'], layerDirs);
    const container: ContainerRecord = {
      ...c,
      config: { ...c.config, Tty: overrides.tty ?? c.config.Tty, ...(overrides.network?.env.length ? { Env: [...overrides.network.env, ...(c.config.Env ?? [])] } : {}) },
      hostConfig: { ...c.hostConfig, Privileged: overrides.privileged === true || c.hostConfig.Privileged === true },
    };
    const spec = buildOciSpec({
      container,
      user: { ...user, additionalGids: [...new Set([...(user.additionalGids ?? []), ...groupAdd])] },
      cgroupsPath: this.#cgroupsPath(c.id),
      privateCgroupns: this.#deps.cgroupV2,
      initPath: this.#deps.initPath,
      extraMounts: this.#volumes.ociMounts(c, overrides.mountSources),
      // An exec enters the container's own namespaces whatever the spec says: no donor is looked up for it.
      namespacePaths: overrides.forExec
        ? { pid: `/proc/${c.state.pid}/ns/pid`, ipc: `/proc/${c.state.pid}/ns/ipc` }
        : { pid: this.#namespaceOf(c.hostConfig['PidMode'], 'pid'), ipc: this.#namespaceOf(c.hostConfig['IpcMode'], 'ipc'), net: overrides.network?.netnsPath },
      shmPath: overrides.forExec ? undefined : this.#shmPathOf(c),
    });
    // The client's window size at create (docker sends ConsoleSize with -t): the first prompt is drawn right.
    const size = consoleSize(overrides.consoleSize ?? c.hostConfig['ConsoleSize']);
    if (spec.process.terminal && size) spec.process.consoleSize = size;
    return spec;
  }

  #cgroupsPath(id: string): string {
    return `${this.#deps.cgroupParent}/${id}`;
  }

  /** The shared /dev/shm to bind: a shareable container's own, or the donor's for IpcMode `container:<x>`. */
  #shmPathOf(c: ContainerRecord): string | undefined {
    const mode = c.hostConfig['IpcMode'];
    if (mode === 'shareable') return sharedShmDir(c.dir);
    if (typeof mode === 'string' && mode.startsWith('container:')) return sharedShmDir(this.get(mode.slice('container:'.length)).dir);
    return undefined;
  }

  /** `container:<name>` modes join that container's namespace, which must be running. */
  #namespaceOf(mode: unknown, ns: 'pid' | 'ipc'): string | undefined {
    if (typeof mode !== 'string' || !mode.startsWith('container:')) return undefined;
    const other = this.get(mode.slice('container:'.length));
    if (other.state.status !== 'running' || other.state.pid <= 0) {
      throw new ConflictError(`failed to join ${ns === 'pid' ? 'PID' : 'IPC'} namespace: container ${other.id} is not running`);
    }
    if (ns === 'ipc' && !['shareable', 'host'].includes(String(other.hostConfig['IpcMode'] ?? ''))) {
      throw new ConflictError(`non-shareable IPC (hint: use IpcMode:shareable for the donor container)`);
    }
    return `/proc/${other.state.pid}/ns/${ns}`;
  }

  async stop(idOrName: string, opts: { timeout?: number; signal?: string }): Promise<void> {
    let c = this.get(idOrName);
    const sig = parseSignal(opts.signal || c.config.StopSignal || 'SIGTERM');
    if (!sig) throw new InvalidArgumentError(`Invalid signal: ${opts.signal ?? c.config.StopSignal ?? ''}`);
    // The user's stop outranks the restart policy, also between two runs: while the last run is cleaned up,
    // while the back-off runs, and while a policy start is under way. Under the lock those are told apart: a
    // policy start that got there first is stopped below like any running container.
    if (c.state.status === 'restarting' && !this.#tasks.has(c.id)) {
      const settled = await this.#deps.locks.withLock(c.id, () => {
        this.#cancelRestart(c.id);
        if (this.#tasks.has(c.id)) return false;
        const now = this.#deps.metadata.view((tx) => tx.getContainer(c.id));
        if (now?.state.status === 'restarting') {
          this.#deps.metadata.update((tx) => tx.updateContainerState(c.id, { ...now.state, status: 'exited', manuallyStopped: true }));
        }
        return true;
      });
      if (settled) {
        this.#publish(c, 'stop');
        return;
      }
      c = this.get(c.id);
    }
    if (!RUNNING.has(c.state.status)) throw new NotModifiedError('container already stopped');
    const timeout = opts.timeout ?? (typeof c.config.StopTimeout === 'number' ? c.config.StopTimeout : 10);
    const task = this.#tasks.get(c.id);
    if (!task) return;
    this.#markManuallyStopped(c.id);
    const exited = this.#next('exit', c.id);
    await this.#signal(c, task, sig);
    if (timeout >= 0) {
      const inTime = await Promise.race([exited.then(() => true), delay(timeout * 1000).then(() => false)]);
      if (!inTime) await this.#signal(c, task, { name: 'SIGKILL', number: 9 });
    }
    await exited;
    this.#publish(c, 'stop');
  }

  /** Sends a signal (and a `kill` event); a paused container is thawed after so that it receives it. */
  async #signal(c: ContainerRecord, task: Task, sig: { name: string; number: number }): Promise<void> {
    this.#publish(c, 'kill', { signal: String(sig.number) });
    await task.kill(sig.number).catch(() => undefined);
    const now = this.#deps.metadata.view((tx) => tx.getContainer(c.id));
    if (now?.state.status === 'paused' && (sig.number === 9 || sig.number === 15)) {
      await task.resume().catch(() => undefined);
      this.#deps.metadata.update((tx) => tx.updateContainerState(c.id, { ...now.state, status: 'running' }));
    }
  }

  #markManuallyStopped(id: string): void {
    this.#stopping.add(id);
    this.#deps.metadata.update((tx) => {
      const cur = tx.getContainer(id);
      if (cur) tx.updateContainerState(id, { ...cur.state, manuallyStopped: true });
    });
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
    const renamed = this.#deps.metadata.update((tx) => {
      const c = resolveContainer(tx, idOrName);
      if (c.name === name) throw new InvalidArgumentError('Renaming a container with the same name as its current name');
      const holder = tx.getContainerByName(name);
      if (holder) {
        throw new ConflictError(
          `Error when allocating new name: Conflict. The container name "/${name}" is already in use by container "${holder.id}". You have to remove (or rename) that container to be able to reuse that name.`,
        );
      }
      tx.renameContainer(c.id, name);
      return c;
    });
    this.#publish({ ...renamed, name }, 'rename', { oldName: `/${renamed.name}` });
  }

  async kill(idOrName: string, signal: string | undefined): Promise<void> {
    const c = this.get(idOrName);
    const sig = parseSignal(signal || 'SIGKILL');
    if (!sig) throw new InvalidArgumentError(`Invalid signal: ${signal ?? ''}`);
    const task = this.#tasks.get(c.id);
    if (!RUNNING.has(c.state.status) || !task) throw new ConflictError(`Container ${c.id} is not running`);
    // Docker: a kill with the stop signal or SIGKILL counts as the user stopping it (no policy restart).
    if (sig.number === 9 || sig.number === parseSignal(c.config.StopSignal || 'SIGTERM')?.number) this.#markManuallyStopped(c.id);
    const exited = sig.number === 9 ? this.#next('exit', c.id) : undefined;
    await this.#signal(c, task, sig);
    // Docker's kill with SIGKILL returns once the container is gone, so a following `ps` is accurate.
    if (exited) await Promise.race([exited, delay(10_000)]);
  }

  async pause(idOrName: string): Promise<void> {
    const { id } = this.get(idOrName);
    await this.#deps.locks.withLock(id, async () => {
      const c = this.get(id);
      const task = this.#tasks.get(id);
      if (c.state.status === 'paused') throw new ConflictError(`Container ${id} is already paused`);
      if (c.state.status === 'restarting') throw new ConflictError(`Container ${id} is restarting, wait until the container is running`);
      if (c.state.status !== 'running' || !task) throw new ConflictError(`Container ${id} is not running`);
      await task.pause();
      this.#deps.metadata.update((tx) => tx.updateContainerState(id, { ...this.get(id).state, status: 'paused' }));
      this.#publish(c, 'pause');
    });
  }

  async unpause(idOrName: string): Promise<void> {
    const { id } = this.get(idOrName);
    await this.#deps.locks.withLock(id, async () => {
      const c = this.get(id);
      const task = this.#tasks.get(id);
      if (c.state.status !== 'paused' || !task) throw new ConflictError(`Container ${id} is not paused`);
      await task.resume();
      this.#deps.metadata.update((tx) => tx.updateContainerState(id, { ...this.get(id).state, status: 'running' }));
      this.#publish(c, 'unpause');
    });
  }

  async resize(idOrName: string, size: { height: number; width: number }): Promise<void> {
    const c = this.get(idOrName);
    const task = this.#tasks.get(c.id);
    if (!RUNNING.has(c.state.status) || !task) throw new ConflictError(`Container ${c.id} is not running`);
    await task.resize(size);
  }

  /** `docker update`: new limits are stored, and applied at once to a running container. */
  async update(idOrName: string, raw: unknown): Promise<{ Warnings: string[] }> {
    const { id } = this.get(idOrName);
    return this.#deps.locks.withLock(id, async () => {
      const c = this.get(id);
      const hostConfig = applyUpdate(c.hostConfig, raw);
      const task = this.#tasks.get(id);
      if (task && RUNNING.has(c.state.status)) {
        try {
          await task.update(linuxResources(hostConfig) as LinuxResources);
        } catch (err) {
          throw new InvalidArgumentError(`Cannot update container ${id}: ${(err as Error).message}`, { cause: err });
        }
      }
      this.#deps.metadata.update((tx) => {
        const cur = tx.getContainer(id);
        if (cur) tx.putContainer({ ...cur, hostConfig });
      });
      this.#publish(c, 'update');
      return { Warnings: [] };
    });
  }

  /** `docker top`: the host's `ps` with the user's options, filtered to the container's processes. */
  async top(idOrName: string, psArgs: string): Promise<{ Titles: string[]; Processes: string[][] }> {
    const c = this.get(idOrName);
    const task = this.#tasks.get(c.id);
    if (!RUNNING.has(c.state.status) || !task) throw new ConflictError(`Container ${c.id} is not running`);
    const pids = await task.pids();
    const args = psArgs.trim() === '' ? ['-ef'] : psArgs.trim().split(/\s+/);
    const res = await exec('ps', args, { timeoutMs: 30_000 });
    if (res.code !== 0) throw new InternalError(`Error running ps: exit status ${res.code}: ${res.stderr.trim()}`);
    this.#publish(c, 'top');
    return parsePsOutput(res.stdout, pids);
  }

  /** What `stats` reads: the container's cgroup and init pid while it runs. */
  statsTarget(idOrName: string): { id: string; name: string; cgroupsPath: string; pid: number | undefined; running: boolean } {
    const c = this.get(idOrName);
    const running = c.state.status === 'running' || c.state.status === 'paused';
    return { id: c.id, name: c.name, cgroupsPath: this.#cgroupsPath(c.id), pid: running && c.state.pid > 0 ? c.state.pid : undefined, running };
  }

  /** The running container and its task, for `exec`; Docker's 409s otherwise. */
  execTarget(idOrName: string): { container: ContainerRecord; task: Task } {
    const c = this.get(idOrName);
    const task = this.#tasks.get(c.id);
    if (c.state.status === 'paused') throw new ConflictError(`Container ${c.id} is paused, unpause the container before exec`);
    if (c.state.status === 'restarting') throw new ConflictError(`Container ${c.id} is restarting, wait until the container is running`);
    if (c.state.status !== 'running' || !task) throw new ConflictError(`Container ${c.id} is not running`);
    return { container: c, task };
  }

  /** An exec's process: the container's own (capabilities, seccomp, env), with the exec's command and options. */
  async execProcess(c: ContainerRecord, opts: ExecProcessOptions): Promise<OciSpec['process']> {
    const spec = await this.#spec(c, { user: opts.user, privileged: opts.privileged, tty: opts.tty, consoleSize: opts.consoleSize ?? null, forExec: true });
    const base = spec.process;
    const env = [...base.env];
    for (const e of opts.env) {
      const key = e.includes('=') ? e.slice(0, e.indexOf('=')) : e;
      const at = env.findIndex((x) => x === key || x.startsWith(`${key}=`));
      if (at >= 0) env[at] = e;
      else env.push(e);
    }
    return { ...base, terminal: opts.tty, args: opts.cmd, env, cwd: opts.workingDir || c.config.WorkingDir || '/' };
  }

  get detachKeys(): string {
    return this.#deps.detachKeys ?? DEFAULT_DETACH_KEYS;
  }

  /** Docker's event attributes of a container: its labels, image and name. */
  eventAttributes(c: ContainerRecord): Record<string, string> {
    return { ...(c.config.Labels ?? {}), image: c.imageName, name: c.name };
  }

  #publish(c: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    this.#deps.events.publish({ Type: 'container', Action: action, Actor: { ID: c.id, Attributes: { ...this.eventAttributes(c), ...extra } } });
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

  async remove(idOrName: string, opts: { force: boolean; volumes?: boolean }): Promise<void> {
    const { id } = this.get(idOrName);
    this.#cancelRestart(id);
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
          this.#stopping.add(id);
          const exited = this.#next('exit', id);
          await this.#signal(c, task, { name: 'SIGKILL', number: 9 });
          await Promise.race([exited, delay(15_000)]);
        }
      }
      const final = this.#deps.metadata.view((tx) => tx.getContainer(id)) ?? c;
      this.#deps.metadata.update((tx) => {
        tx.deleteContainer(id);
        tx.deleteSnapshot(c.snapshotId);
      });
      await this.#volumes.release(c);
      if (opts.volumes) await this.#volumes.removeAnonymous(c);
      this.#events.emit(`removed:${id}`, final.state.exitCode);
      this.#publish(c, 'destroy');
      this.#forget(id);
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
    for (const h of filters.get('health')) {
      if (!['starting', 'healthy', 'unhealthy', 'none'].includes(h)) throw new InvalidArgumentError(`Unrecognised filter value for health: ${h}`);
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
        if (filters.has('health') && !filters.contains('health', c.state.health?.Status ?? 'none')) continue;
        if (filters.has('volume') && !filters.get('volume').some((v) => usesVolume(c, v))) continue;
        if (filters.has('ancestor') && !ancestors.includes(c.imageId) && !filters.get('ancestor').some((a) => sameImageName(a, c.imageName))) continue;
        out.push({ c, image: shownImage(c) });
        if (opts.limit > 0 && out.length >= opts.limit) break;
      }
      return out;
    });
    const networking = this.#deps.networks?.summaries(rows.map((r) => r.c));
    return Promise.all(
      rows.map(async ({ c, image }, i) => {
        const size = opts.size ? await this.#size(c) : undefined;
        const row = containerSummary(c, image, now, size);
        return networking ? { ...row, ...networking[i] } : row;
      }),
    );
  }

  /** `docker container prune`: removes every container that is not running, matching `until` and `label`. */
  async prune(filters: Filters): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }> {
    filters.validate(['until', 'label', 'label!']);
    const keep = pruneFilter(filters, this.#deps.now());
    const candidates = this.#deps.metadata
      .view((tx) => tx.listContainers())
      .filter((c) => !RUNNING.has(c.state.status) && keep(new Date(c.created), c.config.Labels ?? {}));
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const c of candidates) {
      const size = (await this.#deps.snapshotter.usage(c.snapshotId).catch(() => ({ size: 0 }))).size;
      try {
        await this.remove(c.id, { force: false });
        deleted.push(c.id);
        reclaimed += size;
      } catch (err) {
        this.#deps.log.warn('prune could not remove a container', { id: c.id, error: String(err) });
      }
    }
    this.#deps.events.publish({ Type: 'container', Action: 'prune', Actor: { ID: '', Attributes: { reclaimed: String(reclaimed) } } });
    return { ContainersDeleted: deleted, SpaceReclaimed: reclaimed };
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
    const out = containerInspect(c, this.#deps.cgroupV2 ? 'private' : 'host', {
      lowerDirs: c.lowerSnapshotIds.map((s) => snap.contentDir(s)),
      upperDir: upper,
      workDir: upper.replace(/\/fs$/, '/work'),
      mergedDir: join(c.dir, 'rootfs'),
    });
    if (this.#deps.networks) out['NetworkSettings'] = this.#deps.networks.networkSettings(c);
    return out;
  }

  /** Log entries for `docker logs`, in batches; with `follow`, they keep coming until the container exits. */
  logs(
    idOrName: string,
    opts: { follow: boolean; tail?: number; since?: Date; until?: Date; signal: AbortSignal },
  ): { tty: boolean; batches: AsyncIterable<LogEntry[]> } {
    const c = this.get(idOrName);
    const running = RUNNING.has(c.state.status);
    const done = opts.follow && running ? this.#next('exit', c.id) : Promise.resolve(0);
    return {
      tty: c.config.Tty === true,
      batches: readRotatedLog(c.logPath, logOptions(c.hostConfig).maxFile, { ...opts, follow: opts.follow && running, done }),
    };
  }

  /**
   * Streams a container's output to an attached client (and the client's input to the container's stdin) until
   * the container exits, the client leaves, or it types the detach keys. A client attaching to a container that
   * is not running yet (docker run attaches before it starts) is connected when it starts.
   */
  async attach(
    idOrName: string,
    opts: { stream: boolean; logs: boolean; stdout: boolean; stderr: boolean; stdin?: Readable; detachKeys?: string; signal: AbortSignal },
    sink: AttachSink,
  ): Promise<void> {
    const c = this.get(idOrName);
    const keys = parseDetachKeys(opts.detachKeys || this.detachKeys);
    if (opts.logs) {
      for await (const e of readContainerLog(c.logPath, { signal: opts.signal })) {
        if ((e.stream === 'stdout' && opts.stdout) || (e.stream === 'stderr' && opts.stderr)) sink.write(e.stream, e.line);
      }
    }
    if (!opts.stream) {
      sink.end();
      return;
    }
    const session = { stdout: opts.stdout, stderr: opts.stderr, stdin: c.config.OpenStdin ? opts.stdin : undefined, detachKeys: keys };
    const task = this.#tasks.get(c.id);
    if (task && RUNNING.has(c.state.status)) {
      const io = await task.attach();
      await runStdioSession(io, { ...session, signal: opts.signal }, sink);
      sink.end();
      return;
    }
    await new Promise<void>((resolve) => {
      const pending: PendingAttach = { sink, session, done: resolve, signal: opts.signal };
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

  /**
   * Finds the containers' monitors again after a daemon restart, settles what changed while it was down (exits,
   * whose codes conmon kept), and starts what the restart policies say must run again.
   */
  async restore(): Promise<void> {
    const containers = this.#deps.metadata.view((tx) => tx.listContainers());
    const known = new Set(containers.map((c) => c.id));
    const withState = new Set(await this.#deps.runtime.list());
    const toStart: string[] = [];
    for (const c of containers) {
      if (RUNNING.has(c.state.status)) {
        const task = await this.#deps.runtime.load(c.id).catch(() => undefined);
        if (task) {
          // The store may lag behind the truth (a pause that the daemon died before recording).
          const status = await task.status().catch(() => undefined);
          if ((status === 'paused' || status === 'running') && status !== c.state.status && c.state.status !== 'restarting') {
            this.#deps.metadata.update((tx) => tx.updateContainerState(c.id, { ...c.state, status }));
          }
          this.#watch(c, task);
          if (status === 'running' || status === 'paused') this.#startHealth(this.get(c.id), task);
          continue;
        }
        if (c.state.status === 'restarting') {
          // It was waiting out its back-off when the daemon stopped.
          this.#deps.metadata.update((tx) => tx.updateContainerState(c.id, { ...c.state, status: 'exited' }));
          toStart.push(c.id);
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
        continue;
      }
      const now = this.get(c.id);
      if (now.state.status === 'exited' && restartOnDaemonStart(restartPolicyOf(now.hostConfig), { ...now.state, restartCount: now.restartCount })) toStart.push(c.id);
    }
    for (const id of withState) {
      if (known.has(id)) continue;
      const orphan = await this.#deps.runtime.load(id).catch(() => undefined);
      if (!orphan) continue;
      this.#deps.log.warn('removing runtime state of an unknown container', { id });
      await orphan.kill('SIGKILL').catch(() => undefined);
      await orphan.delete().catch(() => undefined);
    }
    // Volumes of containers that still run stay mounted; the rest are unmounted (a crash may have left them).
    await this.#volumes.reconcile(this.#deps.metadata.view((tx) => tx.listContainers()).filter((c) => this.#tasks.has(c.id)));
    // Started after the API is up, as Docker does, so a slow start does not hold the daemon back.
    for (const id of toStart) {
      setImmediate(() => {
        // Docker starts them as a user start would: RestartCount back to 0.
        this.#startLocked(id, id, { byUser: true }).catch((err: unknown) => this.#deps.log.warn('restart policy start failed', { id, error: String(err) }));
      });
    }
  }

  /** Directories under containers/ that no container owns (a crash between mkdir and commit). */
  knownIds(): Set<string> {
    return new Set(this.#deps.metadata.view((tx) => tx.listContainers().map((c) => c.id)));
  }

  /** Stops timers and monitors (daemon shutdown); containers keep running. */
  close(): void {
    for (const t of this.#restartTimers.values()) clearTimeout(t);
    this.#restartTimers.clear();
    for (const h of this.#health.values()) h.stop();
    this.#health.clear();
    this.#logRotation.close();
  }

  #watch(c: ContainerRecord, task: Task): void {
    const id = c.id;
    this.#tasks.set(id, task);
    const { maxSize, maxFile } = logOptions(c.hostConfig);
    if (maxSize > 0) this.#logRotation.watch(id, c.logPath, { maxSize, maxFile }, () => task.reopenLog());
    task.wait().then(
      (exit) => this.#onExit(id, task, exit.exitCode, exit.exitedAt, exit.oomKilled),
      (err: unknown) => this.#deps.log.error('waiting for a container failed', { id, error: String(err) }),
    );
  }

  /**
   * A container's process ended. The record changes first and waiters hear at once; the runtime state is
   * cleaned up after, under the container's lock, so a new start or a removal waits for it. An auto-remove
   * container is forgotten in the same step (database first, disk second), so `docker run --rm` returns
   * without waiting for the files to go. The restart policy may schedule a new start after Docker's back-off.
   */
  async #onExit(id: string, task: Task, exitCode: number, exitedAt: Date, oomKilled: boolean): Promise<void> {
    if (this.#tasks.get(id) !== task) return;
    this.#tasks.delete(id);
    // Started now (it reads what it removes at once), awaited under the lock below: waiters need not wait for it.
    const networkDown = (this.#deps.networks?.tearDown(id) ?? Promise.resolve()).catch((err: unknown) =>
      this.#deps.log.warn('network teardown failed', { id, error: String(err) }),
    );
    const health = this.#stopHealth(id);
    this.#logRotation.unwatch(id);
    const byUser = this.#stopping.delete(id);
    const c = this.#deps.metadata.view((tx) => tx.getContainer(id));
    if (!c) return;
    const finishedAt = exitedAt.toISOString();
    if (oomKilled) this.#publish(c, 'oom');
    const ranForMs = exitedAt.getTime() - new Date(c.state.startedAt).getTime();
    this.#publish(c, 'die', { exitCode: String(exitCode), execDuration: String(Math.max(0, Math.round(ranForMs / 1000))) });
    await this.#volumes.release(c);
    if (c.hostConfig.AutoRemove) {
      this.#deps.metadata.update((tx) => {
        tx.deleteContainer(id);
        tx.deleteSnapshot(c.snapshotId);
      });
      // `--rm` takes the container's anonymous volumes with it (the CLI's auto-remove is a remove with `v`),
      // before the waiters hear of the removal.
      await this.#volumes.removeAnonymous(c);
      this.#events.emit(`exit:${id}`, exitCode);
      this.#events.emit(`removed:${id}`, exitCode);
      this.#publish(c, 'destroy');
      this.#forget(id);
      this.#endPendingAttaches(id);
      await this.#deps.locks.withLock(id, async () => {
        await networkDown;
        await this.#removeFiles(c, task);
      });
      await this.#deps.images.collectGarbage();
      return;
    }
    let tracker = this.#restartTrackers.get(id);
    if (!tracker) this.#restartTrackers.set(id, (tracker = new RestartTracker(restartPolicyOf(c.hostConfig))));
    const decision = tracker.shouldRestart(exitCode, {
      manuallyStopped: byUser || c.state.manuallyStopped === true,
      runningForMs: ranForMs,
      restartCount: c.restartCount,
    });
    const status = decision.restart ? 'restarting' : 'exited';
    this.#deps.metadata.update((tx) =>
      tx.updateContainerState(id, { ...c.state, status, pid: 0, exitCode, finishedAt, oomKilled, ...(health ? { health } : {}) }),
    );
    this.#events.emit(`exit:${id}`, exitCode);
    await this.#deps.locks.withLock(id, async () => {
      await networkDown;
      await task.delete().catch((err: unknown) => this.#deps.log.warn('runtime cleanup failed', { id, error: String(err) }));
      await unmountSharedShm(c.dir).catch((err: unknown) => this.#deps.log.warn('shm unmount failed', { id, error: String(err) }));
    });
    // A stop may have settled the container while the last run was cleaned up.
    if (decision.restart && this.#deps.metadata.view((tx) => tx.getContainer(id))?.state.status === 'restarting') {
      this.#scheduleRestart(id, decision.delayMs);
    }
  }

  #scheduleRestart(id: string, delayMs: number): void {
    this.#cancelRestart(id);
    const timer = setTimeout(() => {
      this.#restartTimers.delete(id);
      this.#startLocked(id, id, { byUser: false }).catch((err: unknown) => {
        this.#deps.log.warn('restart policy start failed', { id, error: String(err) });
        const c = this.#deps.metadata.view((tx) => tx.getContainer(id));
        if (c?.state.status === 'restarting') this.#deps.metadata.update((tx) => tx.updateContainerState(id, { ...c.state, status: 'exited' }));
      });
    }, delayMs);
    timer.unref();
    this.#restartTimers.set(id, timer);
  }

  /** Cancels a pending policy restart; true when there was one. */
  #cancelRestart(id: string): boolean {
    const t = this.#restartTimers.get(id);
    if (!t) return false;
    clearTimeout(t);
    this.#restartTimers.delete(id);
    return true;
  }

  #forget(id: string): void {
    this.#cancelRestart(id);
    this.#restartTrackers.delete(id);
    this.#stopHealth(id);
    this.#logRotation.unwatch(id);
    this.#events.emit('forget', id);
  }

  /** Everything on disk of a container the store has already forgotten; failures leave orphans the next start sweeps. */
  async #removeFiles(c: ContainerRecord, task: Task | undefined): Promise<void> {
    const warn = (what: string) => (err: unknown) => this.#deps.log.warn(what, { id: c.id, error: String(err) });
    if (task) await task.delete().catch(warn('runtime cleanup failed'));
    await unmountSharedShm(c.dir).catch(warn('shm unmount failed'));
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
      void runStdioSession(io, { ...p.session, signal: p.signal }, p.sink)
        .catch(() => undefined)
        .finally(() => {
          p.sink.end();
          p.done();
        });
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

/** Docker's `volume=` filter: a volume's name (a bind's source) or a mount's destination. */
function usesVolume(c: ContainerRecord, value: string): boolean {
  return (c.mounts ?? []).some((m) => (m.Name ? m.Name === value : m.Source === value) || m.Destination === value);
}

function sameImageName(filter: string, imageName: string): boolean {
  try {
    return familiarString(withDefaultTag(parseReference(filter))) === familiarString(withDefaultTag(parseReference(imageName)));
  } catch {
    return false;
  }
}

/** Docker's `[height, width]`, when both are set. */
function consoleSize(v: unknown): { height: number; width: number } | undefined {
  if (!Array.isArray(v) || v.length !== 2) return undefined;
  const [height, width] = v as unknown[];
  if (typeof height !== 'number' || typeof width !== 'number' || !(height > 0) || !(width > 0)) return undefined;
  return { height: Math.floor(height), width: Math.floor(width) };
}

/** ShmSize in bytes (the host config has Docker's 64 MiB default filled in). */
function shmSizeOf(c: ContainerRecord): number {
  const v = c.hostConfig['ShmSize'];
  return typeof v === 'number' && v > 0 ? v : 64 * 1024 * 1024;
}
