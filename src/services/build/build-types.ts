import type { ImageConfig } from '../../core/images.js';
import type { Registry, RegistryCredentials } from '../../core/registry.js';
import type { Runtime } from '../../core/runtime.js';
import type { ProgressMessage } from '../images/progress.js';
import type { Digest } from '../../pkg/digest.js';
import type { Ulimit } from '../containers/host-config.js';
import type { StepNetwork } from '../networks/network-service.js';
import type { ImageStoreDeps } from '../images/image-store-deps.js';

/** What the builder needs; the daemon wires it. */
export interface BuildDeps extends ImageStoreDeps {
  runtime: Runtime;
  /** `<data-root>/build`: contexts, step scratch space and cache mounts. Only the builder writes here. */
  workDir: string;
  cgroupParent: string;
  cgroupV2: boolean;
  hostResolvConf: string;
  /** The registry client: FROM images missing here (or all of them, with --pull) are pulled through it. */
  registry?: Registry | undefined;
  /** Networks for RUN steps (the network service); without it a step not on `host` has a loopback only. */
  stepNetworks?: StepNetworks | undefined;
}

export interface StepNetworks {
  /** Throws NotFoundError (`network x not found`) for a network that does not exist. */
  resolve(idOrName: string): unknown;
  /** Undefined when the network has no stack to give (no default bridge): the step gets a loopback only. */
  attachStep(stepId: string, dir: string, opts: { network: string; hostname: string; extraHosts: string[] }): Promise<StepNetwork | undefined>;
}

export interface BuildOptions {
  /** Tags to give the result (normalised later). */
  tags: string[];
  /** Path of the Dockerfile inside the context, or the Dockerfile text itself when sent apart. */
  dockerfile: string;
  dockerfileText?: string;
  buildArgs: Map<string, string>;
  target?: string;
  noCache: boolean;
  pull: boolean;
  labels: Record<string, string>;
  quiet: boolean;
  /** Remove intermediate containers after a successful build (always the case: build containers never linger). */
  rm: boolean;
  forceRm: boolean;
  network?: string;
  extraHosts: string[];
  platform?: string;
  shmSize: number;
  ulimits: Ulimit[];
  /** `RUN --mount=type=secret` sources, by id (berth build --secret). */
  secrets: Map<string, Buffer>;
  /** `berth build`'s incremental context: the body holds only the files the daemon asked for (see ContextSync). */
  syncKey?: string;
  /** Credentials for a registry host, from `X-Registry-Config` (what the docker CLI sends with a build). */
  credentialsFor?: (domain: string) => RegistryCredentials | undefined;
  signal?: AbortSignal;
}

/** What the builder says while it works: Docker's `{"stream": ...}` and `{"aux": ...}` messages. */
export interface BuildOutput {
  stream(text: string): void;
  aux(value: unknown): void;
  /** A pull's progress message (a FROM image being pulled), passed through as Docker's JSON message. */
  progress?(msg: ProgressMessage): void;
}

/** The state a build is at: an image (the base, or a step's result). `id` is the config digest (or `scratch`). */
export interface BuildState {
  id: string;
  config: ImageConfig;
  /** The config exactly as stored (its digest is `id`). */
  configJson: string;
  chainIds: Digest[];
}

/** What running a step left behind for its commit. */
export interface StepChanges {
  /** The active snapshot holding the step's changes (overlay form). */
  snapshotId: string;
  /** Bytes of files the step wrote there, by canonical path (see `DiffDirectoryOptions.knownContent`). */
  knownContent?: (path: string) => Uint8Array | undefined;
  /** The snapshot's directory was written directly, never mounted (see `DiffDirectoryOptions.neverMounted`). */
  neverMounted?: boolean;
  /** Told the chain id when the snapshot's directory became that layer. */
  onLayer?: (chainId: Digest) => void;
}

/** Why a step was rebuilt, kept with each cache row (JSON in `description`). */
export interface StepDescription {
  instruction: string;
  args: Record<string, string>;
  files: Record<string, string>;
  extra?: string;
}
