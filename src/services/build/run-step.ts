import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerRecord } from '../../core/containers.js';
import { ZERO_TIME } from '../../core/containers.js';
import type { OciSpec, Task } from '../../core/runtime.js';
import { hostnameFile, hostsFile, resolvConfFile } from '../containers/container-files.js';
import type { Ulimit } from '../containers/host-config.js';
import { buildOciSpec } from '../containers/oci-spec.js';
import { resolveUser } from '../containers/user-lookup.js';
import { newSnapshotId } from '../images/layer-unpacker.js';
import type { StepNetwork } from '../networks/network-service.js';
import type { BuildDeps } from './build-types.js';

/**
 * The network a RUN step gets, decided here and nowhere else: as with Docker, the default bridge unless the
 * build (`--network`) or the step (`RUN --network`) names another: `host`, `none` (loopback only) or a user
 * network.
 */
export function runNetworkMode(requested: string | undefined): string {
  if (requested === undefined || requested === '' || requested === 'default') return 'bridge';
  return requested;
}

export interface RunStepOptions {
  /** Layer snapshot ids of the state the step runs on, top-most first. */
  lowerSnapshotIds: string[];
  args: string[];
  env: string[];
  user: string | undefined;
  workingDir: string | undefined;
  /** `host`, `none`, or a network's name or id (`bridge` for the default). */
  network: string;
  extraHosts: string[];
  shmSize: number;
  ulimits: Ulimit[];
  /** Extra mounts (RUN --mount): cache directories, binds, tmpfs, secrets. */
  mounts: OciSpec['mounts'];
  onOutput: (data: Buffer) => void;
  /** Called with the container id once it exists (for ` ---> Running in <id>`). */
  onStart?: (id: string) => void;
  signal?: AbortSignal;
}

export interface RunStepResult {
  /** The active snapshot holding the step's changes; the caller commits and removes it. */
  snapshotId: string;
  exitCode: number;
  /** The step container's id (gone by now), for ` ---> Running in` / `Removing intermediate container`. */
  containerId: string;
}

/**
 * Runs one RUN step in a container of its own, straight through the runtime (as BuildKit does: build
 * containers are not API containers, so none is ever left in `ps -a`). The step's changes stay in the active
 * snapshot, which the caller commits as a layer or discards; the runtime state and files are always removed.
 */
export async function runStep(deps: BuildDeps, opts: RunStepOptions): Promise<RunStepResult> {
  const id = randomBytes(32).toString('hex');
  const snapshotId = newSnapshotId();
  const dir = join(deps.workDir, 'run', id.slice(0, 16));
  const hostname = id.slice(0, 12);
  await deps.snapshotter.prepareActive(snapshotId);
  let task: Task | undefined;
  let network: StepNetwork | undefined;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const ownStack = opts.network !== 'host' && opts.network !== 'none';
    // On a bridge or user network the network service writes hosts and resolv.conf (the step's address and
    // name in them); with no default bridge (dockerd -b none) the step has a loopback only.
    if (ownStack && deps.stepNetworks) network = await deps.stepNetworks.attachStep(id, dir, { network: opts.network, hostname, extraHosts: opts.extraHosts });
    if (!network) {
      const hosts = hostsFile() + opts.extraHosts.map((h) => hostsLine(h)).join('');
      const resolv = opts.network === 'host' ? await readFile(deps.hostResolvConf, 'utf8').catch(() => '') : await resolvConfFile(deps.hostResolvConf);
      await Promise.all([writeFile(join(dir, 'hosts'), hosts), writeFile(join(dir, 'resolv.conf'), resolv)]);
    }
    await writeFile(join(dir, 'hostname'), hostnameFile(hostname));
    const layerDirs = [deps.snapshotter.contentDir(snapshotId), ...opts.lowerSnapshotIds.map((s) => deps.snapshotter.contentDir(s))];
    const user = await resolveUser(opts.user, layerDirs);
    const container: ContainerRecord = {
      id,
      name: `build-${hostname}`,
      imageName: '',
      imageId: 'sha256:',
      topChainId: null,
      lowerSnapshotIds: opts.lowerSnapshotIds,
      snapshotId,
      created: new Date().toISOString(),
      path: opts.args[0] ?? '',
      args: opts.args.slice(1),
      config: { Hostname: hostname, Env: opts.env, WorkingDir: opts.workingDir, Tty: false, User: opts.user },
      hostConfig: { NetworkMode: network ? 'bridge' : opts.network === 'host' ? 'host' : 'none', ShmSize: opts.shmSize > 0 ? opts.shmSize : 64 * 1024 * 1024, Ulimits: opts.ulimits },
      state: { status: 'created', pid: 0, exitCode: 0, startedAt: ZERO_TIME, finishedAt: ZERO_TIME, error: '', oomKilled: false },
      logPath: join(dir, 'ctr.log'),
      dir,
      restartCount: 0,
    };
    const spec = buildOciSpec({ container, user, cgroupsPath: `${deps.cgroupParent}/${id}`, privateCgroupns: deps.cgroupV2, namespacePaths: { net: network?.netnsPath } });
    if (opts.network === 'host') spec.linux.namespaces = spec.linux.namespaces.filter((n) => n.type !== 'network');
    spec.mounts.push(...opts.mounts);
    task = await deps.runtime.create({
      id,
      spec,
      rootfs: deps.snapshotter.mounts(snapshotId, opts.lowerSnapshotIds),
      logPath: container.logPath,
      name: container.name,
      tty: false,
      openStdin: false,
      stdinOnce: false,
    });
    // The step's process holds its namespace from now on.
    network?.release();
    opts.onStart?.(id);
    const io = await task.attach();
    const started = task;
    const onAbort = (): void => void started.kill('SIGKILL').catch(() => undefined);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await task.start();
      for await (const chunk of io.output) opts.onOutput(chunk.data);
      const exit = await task.wait();
      return { snapshotId, exitCode: exit.exitCode, containerId: id };
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      io.close();
    }
  } catch (err) {
    await deps.snapshotter.remove(snapshotId).catch(() => undefined);
    throw err;
  } finally {
    if (task) await task.delete().catch(() => undefined);
    await network?.detach();
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** `--add-host name:ip` as an /etc/hosts line. */
function hostsLine(spec: string): string {
  const i = spec.indexOf(':');
  const name = spec.slice(0, i);
  const ip = spec.slice(i + 1).replace(/^\[|\]$/g, '');
  return `${ip}\t${name}\n`;
}
