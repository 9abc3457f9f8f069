import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { listen, type Listener } from '../api/server.js';
import { API_VERSION, MIN_API_VERSION, type Route } from '../api/router.js';
import { containerRoutes } from '../api/routes/containers.js';
import { imageRoutes } from '../api/routes/images.js';
import { notInSwarmRoutes } from '../api/routes/not-in-swarm.js';
import { containerStatsRoutes } from '../api/routes/container-stats.js';
import { containerArchiveRoutes } from '../api/routes/container-archive.js';
import { ContainerArchiveService } from '../services/containers/container-archive.js';
import { eventRoutes } from '../api/routes/events.js';
import { execRoutes } from '../api/routes/exec.js';
import { volumeRoutes } from '../api/routes/volumes.js';
import { LocalVolumeDriver } from '../plugins/volumes-local/index.js';
import { VolumeService } from '../services/volumes/volume-service.js';
import { networkRoutes } from '../api/routes/networks.js';
import { BridgeDriver, EmbeddedDnsServer, HostPortReserver } from '../plugins/network-bridge/index.js';
import { NetworkService } from '../services/networks/network-service.js';
import { parseAddressPool } from '../services/networks/ipam.js';
import { networkTag } from '../pkg/network-tag.js';
import { buildRoutes } from '../api/routes/build.js';
import { diskUsageRoutes, systemRoutes } from '../api/routes/system.js';
import { LocalContentStore } from '../plugins/content-local/index.js';
import { TarDiffer } from '../plugins/diff-tar/index.js';
import { SqliteMetadataStore } from '../plugins/metadata-sqlite/index.js';
import { RuncConmonRuntime } from '../plugins/runtime-runc-conmon/index.js';
import { OverlaySnapshotter } from '../plugins/snapshots-overlay/index.js';
import { RegistryClient } from '../plugins/registry-client/index.js';
import { registryRoutes } from '../api/routes/registry.js';
import { KeyedLock } from '../pkg/keyed-lock.js';
import { createLogger, type Logger } from '../pkg/logger.js';
import { BERTH_VERSION } from '../pkg/version.js';
import { ContainerService } from '../services/containers/container-service.js';
import { ExecService } from '../services/containers/exec-service.js';
import { Builder } from '../services/build/builder.js';
import { EventLog } from '../services/events/event-log.js';
import { ImageService } from '../services/images/image-service.js';
import type { ImageStoreDeps } from '../services/images/image-store-deps.js';
import { SystemService } from '../services/system/system-service.js';
import type { DaemonConfig } from './config.js';
import { claimPidfile, releasePidfile } from './pidfile.js';

export interface RunningDaemon {
  stop(): Promise<void>;
}

/**
 * The composition root: builds the plugins, reconciles disk with the metadata store, restores containers,
 * then serves the API. Start order matters: nothing is served until the store and the disk agree, so no
 * client ever sees a half-swept state.
 */
export async function startDaemon(config: DaemonConfig, log: Logger = createLogger(config.logLevel)): Promise<RunningDaemon> {
  await mkdir(config.dataRoot, { recursive: true, mode: 0o711 });
  await mkdir(config.execRoot, { recursive: true, mode: 0o711 });
  await claimPidfile(config.pidfile);
  // Anything that fails from here on must not leave the pidfile claiming a daemon that is not running.
  try {
    return await startClaimed(config, log);
  } catch (err) {
    await releasePidfile(config.pidfile);
    throw err;
  }
}

async function startClaimed(config: DaemonConfig, log: Logger): Promise<RunningDaemon> {
  const containersDir = join(config.dataRoot, 'containers');
  await mkdir(containersDir, { recursive: true, mode: 0o710 });

  const metadata = new SqliteMetadataStore(join(config.dataRoot, 'berth.db'));
  const content = await LocalContentStore.open(join(config.dataRoot, 'content'));
  const snapshotter = await OverlaySnapshotter.open(join(config.dataRoot, 'snapshots'));
  const differ = new TarDiffer();
  const runtime = new RuncConmonRuntime({ stateDir: join(config.execRoot, 'runtime') });
  const locks = new KeyedLock();
  const cgroupV2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  const now = (): Date => new Date();

  const store: ImageStoreDeps = { metadata, content, snapshotter, differ, locks, now, log };
  const events = new EventLog();
  const images = new ImageService(store);
  const volumes = new VolumeService({ metadata, driver: await LocalVolumeDriver.open(join(config.dataRoot, 'volumes')), events, now, log });
  const ports = new HostPortReserver();
  const dns = new EmbeddedDnsServer();
  const networks = new NetworkService({
    metadata,
    driver: new BridgeDriver({ netnsDir: join(config.execRoot, 'netns'), tag: networkTag(config.execRoot) }),
    ports,
    dns,
    locks,
    events,
    now,
    log,
    defaultBridge: { device: config.bridge, bip: config.bip },
    pools: config.defaultAddressPools.map(parseAddressPool),
    hostResolvConf: '/etc/resolv.conf',
  });
  await networks.init();
  const registry = { ...store, registry: new RegistryClient({ insecureRegistries: config.insecureRegistries, mirrors: config.registryMirrors, ...(config.registryCertsDir !== undefined ? { certsDir: config.registryCertsDir } : {}) }) };
  const containers = new ContainerService({
    networks,
    events,
    initPath: findInit(),
    metadata,
    snapshotter,
    runtime,
    images,
    locks,
    now,
    log,
    containersDir,
    cgroupParent: config.cgroupParent,
    cgroupV2,
    hostResolvConf: '/etc/resolv.conf',
    volumes,
  });

  const buildDir = join(config.dataRoot, 'build');
  // Scratch space of builds cut short by a crash; cache mounts (build/cache-mounts) are kept.
  const builder = new Builder({ ...store, runtime, workDir: buildDir, cgroupParent: config.cgroupParent, cgroupV2, hostResolvConf: '/etc/resolv.conf', registry: registry.registry, stepNetworks: networks });
  await builder.cleanupScratch();

  const execs = new ExecService({ host: containers, events, log });
  containers.onRemove((id) => execs.forgetContainer(id));

  await containers.restore();
  await networks.reconcile();
  await reconcileDisk({ metadata, content, snapshotter, containersDir, knownContainers: containers.knownIds(), log });

  const system = new SystemService({
    metadata,
    engineId: await engineId(config.dataRoot),
    dataRoot: config.dataRoot,
    version: BERTH_VERSION,
    gitCommit: '',
    apiVersion: API_VERSION,
    minApiVersion: MIN_API_VERSION,
    cgroupVersion: cgroupV2 ? '2' : '1',
    runcVersion: await runcVersion(),
    now,
  });

  const routes: Route[] = [
    ...systemRoutes(system, BERTH_VERSION),
    ...diskUsageRoutes({ metadata, containers, images, volumes }),
    ...eventRoutes(events),
    ...containerRoutes(containers),
    ...networkRoutes(networks),
    ...containerStatsRoutes((idOrName) => containers.statsTarget(idOrName)),
    ...containerArchiveRoutes(new ContainerArchiveService({ container: (c) => containers.get(c), snapshotter, locks }), {
      container: (c) => containers.get(c),
      pause: (id) => containers.pause(id),
      unpause: (id) => containers.unpause(id),
      snapshotter,
      differ,
      images: store,
      committed: (c, attributes) => events.publish({ Type: 'container', Action: 'commit', Actor: { ID: c.id, Attributes: { ...containers.eventAttributes(c), ...attributes } } }),
    }),
    ...execRoutes(execs),
    ...registryRoutes(registry),
    ...imageRoutes(images, store, registry),
    ...volumeRoutes(volumes),
    ...buildRoutes(builder),
    ...notInSwarmRoutes(),
  ];
  const listeners: Listener[] = [];
  try {
    for (const host of config.hosts) listeners.push(await listen(host, routes, log, config.tls));
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    containers.close();
    ports.close();
    await dns.close();
    metadata.close();
    throw err;
  }
  log.info('API listen on', { hosts: config.hosts.join(',') });
  log.info('Daemon has completed initialization', { version: BERTH_VERSION });

  return {
    async stop(): Promise<void> {
      log.info('Processing signal, shutting down; containers keep running');
      events.close();
      await Promise.race([Promise.all(listeners.map((l) => l.close())), new Promise((r) => setTimeout(r, 2000).unref())]);
      containers.close();
      ports.close();
      await dns.close();
      metadata.close();
      await releasePidfile(config.pidfile);
    },
  };
}

/** Removes what a crash can leave behind: snapshot dirs, blobs and container dirs the store does not know. */
async function reconcileDisk(args: {
  metadata: SqliteMetadataStore;
  content: LocalContentStore;
  snapshotter: OverlaySnapshotter;
  containersDir: string;
  knownContainers: Set<string>;
  log: Logger;
}): Promise<void> {
  const { metadata, content, snapshotter, containersDir, knownContainers, log } = args;
  const snapshots = metadata.view((tx) => new Set(tx.listSnapshotIds()));
  const blobs = metadata.view((tx) => new Set(tx.listBlobDigests()));
  const removedSnapshots = await snapshotter.removeUnknown(snapshots);
  const removedBlobs = await content.removeUnknown(blobs);
  let removedDirs = 0;
  for (const name of await readdir(containersDir)) {
    if (knownContainers.has(name)) continue;
    await rm(join(containersDir, name), { recursive: true, force: true });
    removedDirs++;
  }
  if (removedSnapshots + removedBlobs + removedDirs > 0) {
    log.info('removed leftovers of an earlier crash', { snapshots: removedSnapshots, blobs: removedBlobs, containerDirs: removedDirs });
  }
}

/** The init `--init` runs as PID 1: Debian's static tini works in any image, the dynamic one only in glibc ones. */
function findInit(): string | undefined {
  return ['/usr/bin/tini-static', '/usr/bin/tini', '/usr/bin/catatonit', '/usr/libexec/podman/catatonit'].find((p) => existsSync(p));
}

async function engineId(dataRoot: string): Promise<string> {
  const path = join(dataRoot, 'engine-id');
  const existing = await readFile(path, 'utf8').catch(() => undefined);
  if (existing?.trim()) return existing.trim();
  const id = randomUUID();
  await writeFile(`${path}.tmp`, id);
  await rename(`${path}.tmp`, path);
  return id;
}

async function runcVersion(): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('runc', ['--version']);
    return /runc version (\S+)/.exec(stdout)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
