import { cpus, hostname, release, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import type { MetadataStore } from '../../core/metadata.js';

export interface SystemInfoInputs {
  metadata: MetadataStore;
  engineId: string;
  dataRoot: string;
  version: string;
  gitCommit: string;
  apiVersion: string;
  minApiVersion: string;
  cgroupVersion: '1' | '2';
  runcVersion: string;
  now: () => Date;
}

/** `docker version` and `docker info`: what the engine is and what it holds. */
export class SystemService {
  readonly #in: SystemInfoInputs;

  constructor(inputs: SystemInfoInputs) {
    this.#in = inputs;
  }

  version(): Record<string, unknown> {
    const i = this.#in;
    const details = {
      ApiVersion: i.apiVersion,
      Arch: 'amd64',
      BuildTime: '',
      Experimental: 'false',
      GitCommit: i.gitCommit,
      GoVersion: `node${process.versions.node}`,
      KernelVersion: release(),
      MinAPIVersion: i.minApiVersion,
      Os: 'linux',
    };
    return {
      Platform: { Name: 'Berth Engine' },
      Components: [
        { Name: 'Engine', Version: i.version, Details: details },
        { Name: 'runc', Version: i.runcVersion, Details: { GitCommit: '' } },
      ],
      Version: i.version,
      ApiVersion: i.apiVersion,
      MinAPIVersion: i.minApiVersion,
      GitCommit: i.gitCommit,
      GoVersion: details.GoVersion,
      Os: 'linux',
      Arch: 'amd64',
      KernelVersion: release(),
      BuildTime: '',
    };
  }

  info(): Record<string, unknown> {
    const i = this.#in;
    const counts = i.metadata.view((tx) => {
      const containers = tx.listContainers();
      const running = containers.filter((c) => c.state.status === 'running').length;
      const paused = containers.filter((c) => c.state.status === 'paused').length;
      return { total: containers.length, running, paused, stopped: containers.length - running - paused, images: tx.listImages().length };
    });
    return {
      ID: i.engineId,
      Containers: counts.total,
      ContainersRunning: counts.running,
      ContainersPaused: counts.paused,
      ContainersStopped: counts.stopped,
      Images: counts.images,
      Driver: 'overlay2',
      DriverStatus: [
        ['Backing Filesystem', 'extfs'],
        ['Supports d_type', 'true'],
      ],
      Plugins: { Volume: ['local'], Network: ['null'], Authorization: null, Log: ['json-file', 'k8s-file'] },
      MemoryLimit: true,
      SwapLimit: true,
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      CPUShares: true,
      CPUSet: true,
      PidsLimit: true,
      IPv4Forwarding: readFlag('/proc/sys/net/ipv4/ip_forward'),
      BridgeNfIptables: false,
      BridgeNfIp6tables: false,
      Debug: false,
      NFd: 0,
      OomKillDisable: true,
      NGoroutines: 0,
      SystemTime: i.now().toISOString(),
      LoggingDriver: 'json-file',
      CgroupDriver: 'cgroupfs',
      CgroupVersion: i.cgroupVersion,
      NEventsListener: 0,
      KernelVersion: release(),
      OperatingSystem: osName(),
      OSVersion: osVersion(),
      OSType: 'linux',
      Architecture: 'x86_64',
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: {
        AllowNondistributableArtifactsCIDRs: null,
        AllowNondistributableArtifactsHostnames: null,
        InsecureRegistryCIDRs: ['127.0.0.0/8'],
        IndexConfigs: { 'docker.io': { Name: 'docker.io', Mirrors: [], Secure: true, Official: true } },
        Mirrors: null,
      },
      NCPU: cpus().length,
      MemTotal: totalmem(),
      GenericResources: null,
      DockerRootDir: i.dataRoot,
      HttpProxy: '',
      HttpsProxy: '',
      NoProxy: '',
      Name: hostname(),
      Labels: [],
      ExperimentalBuild: false,
      ServerVersion: i.version,
      Runtimes: { runc: { path: 'runc' } },
      DefaultRuntime: 'runc',
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: true,
      Isolation: '',
      InitBinary: '',
      ContainerdCommit: { ID: '', Expected: '' },
      RuncCommit: { ID: i.runcVersion, Expected: i.runcVersion },
      InitCommit: { ID: '', Expected: '' },
      SecurityOptions: ['name=cgroupns'],
      Warnings: [],
    };
  }
}

function readFlag(path: string): boolean {
  try {
    return readFileSync(path, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

function osRelease(): Record<string, string> {
  try {
    const out: Record<string, string> = {};
    for (const line of readFileSync('/etc/os-release', 'utf8').split('\n')) {
      const m = /^(\w+)=(.*)$/.exec(line);
      if (m) out[m[1]!] = m[2]!.replace(/^"|"$/g, '');
    }
    return out;
  } catch {
    return {};
  }
}

function osName(): string {
  return osRelease()['PRETTY_NAME'] ?? 'Linux';
}

function osVersion(): string {
  return osRelease()['VERSION_ID'] ?? '';
}
