import type { ContainerRecord, ContainerState } from '../../core/containers.js';
import { ZERO_TIME } from '../../core/containers.js';
import { humanDuration } from '../../pkg/units.js';
import { mountsView } from './mounts.js';

/** Docker's State.String(): the STATUS column of `docker ps`. */
export function statusText(state: ContainerState, now: Date): string {
  const since = (iso: string): string => humanDuration(Math.max(0, now.getTime() - Date.parse(iso)));
  switch (state.status) {
    case 'running':
      if (state.health) return `Up ${since(state.startedAt)} (${state.health.Status === 'starting' ? 'health: starting' : state.health.Status})`;
      return `Up ${since(state.startedAt)}`;
    case 'paused':
      return `Up ${since(state.startedAt)} (Paused)`;
    case 'restarting':
      return `Restarting (${state.exitCode}) ${since(state.finishedAt)} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    case 'created':
      return 'Created';
    case 'exited':
      if (state.finishedAt === ZERO_TIME) return 'Exited';
      return `Exited (${state.exitCode}) ${since(state.finishedAt)} ago`;
  }
}

export function commandText(c: ContainerRecord): string {
  return [c.path, ...c.args].join(' ');
}

export function unixSeconds(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}

/** One row of `GET /containers/json`. */
export function containerSummary(c: ContainerRecord, imageShownAs: string, now: Date, size?: { rw: number; rootFs: number }): Record<string, unknown> {
  const out: Record<string, unknown> = {
    Id: c.id,
    Names: [`/${c.name}`],
    Image: imageShownAs,
    ImageID: c.imageId,
    Command: commandText(c),
    Created: unixSeconds(c.created),
    Ports: [],
    Labels: c.config.Labels ?? {},
    State: c.state.status,
    Status: statusText(c.state, now),
    HostConfig: { NetworkMode: c.hostConfig.NetworkMode || 'default' },
    NetworkSettings: { Networks: {} },
    Mounts: mountsView(c.mounts),
  };
  if (size) {
    out['SizeRw'] = size.rw;
    out['SizeRootFs'] = size.rootFs;
  }
  return out;
}

const HOST_CONFIG_DEFAULTS: Record<string, unknown> = {
  Binds: null,
  ContainerIDFile: '',
  LogConfig: { Type: 'json-file', Config: {} },
  NetworkMode: 'default',
  PortBindings: {},
  RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
  AutoRemove: false,
  VolumeDriver: '',
  VolumesFrom: null,
  CapAdd: null,
  CapDrop: null,
  CgroupnsMode: 'private',
  Dns: [],
  DnsOptions: [],
  DnsSearch: [],
  ExtraHosts: null,
  GroupAdd: null,
  IpcMode: 'private',
  Cgroup: '',
  Links: null,
  OomScoreAdj: 0,
  PidMode: '',
  Privileged: false,
  PublishAllPorts: false,
  ReadonlyRootfs: false,
  SecurityOpt: null,
  UTSMode: '',
  UsernsMode: '',
  ShmSize: 67108864,
  Runtime: 'runc',
  Isolation: '',
  CpuShares: 0,
  Memory: 0,
  NanoCpus: 0,
  CgroupParent: '',
  BlkioWeight: 0,
  CpuPeriod: 0,
  CpuQuota: 0,
  CpusetCpus: '',
  CpusetMems: '',
  Devices: [],
  MemoryReservation: 0,
  MemorySwap: 0,
  OomKillDisable: false,
  PidsLimit: null,
  Ulimits: null,
  MaskedPaths: null,
  ReadonlyPaths: null,
};

/** `GET /containers/{id}/json`. */
export function containerInspect(
  c: ContainerRecord,
  cgroupnsMode: 'host' | 'private',
  graph: { lowerDirs: string[]; upperDir: string; workDir: string; mergedDir: string },
): Record<string, unknown> {
  const s = c.state;
  return {
    Id: c.id,
    Created: c.created,
    Path: c.path,
    Args: c.args,
    State: {
      Status: s.status,
      Running: s.status === 'running' || s.status === 'paused' || s.status === 'restarting',
      Paused: s.status === 'paused',
      Restarting: s.status === 'restarting',
      OOMKilled: s.oomKilled,
      Dead: s.status === 'dead',
      Pid: s.pid,
      ExitCode: s.exitCode,
      Error: s.error,
      StartedAt: s.startedAt,
      FinishedAt: s.finishedAt,
      ...(s.health ? { Health: s.health } : {}),
    },
    Image: c.imageId,
    ResolvConfPath: `${c.dir}/resolv.conf`,
    HostnamePath: `${c.dir}/hostname`,
    HostsPath: `${c.dir}/hosts`,
    LogPath: c.logPath,
    Name: `/${c.name}`,
    RestartCount: c.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: { ...HOST_CONFIG_DEFAULTS, CgroupnsMode: cgroupnsMode, ...c.hostConfig, LogConfig: logConfigShown(c) },
    GraphDriver: {
      Name: 'overlay2',
      Data: {
        LowerDir: graph.lowerDirs.join(':'),
        MergedDir: graph.mergedDir,
        UpperDir: graph.upperDir,
        WorkDir: graph.workDir,
      },
    },
    Mounts: mountsView(c.mounts),
    Config: c.config,
    NetworkSettings: {
      Bridge: '',
      SandboxID: '',
      SandboxKey: '',
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      Ports: {},
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: '',
      Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPAddress: '',
      IPPrefixLen: 0,
      IPv6Gateway: '',
      MacAddress: '',
      Networks: {},
    },
  };
}

/** Docker shows json-file, the driver it would use; berth's k8s-file log honours the same options. */
function logConfigShown(c: ContainerRecord): { Type: string; Config: Record<string, string> } {
  return { Type: 'json-file', Config: { ...(c.hostConfig.LogConfig?.Config ?? {}) } };
}
