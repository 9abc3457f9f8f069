import { NotFoundError } from '../../core/errdefs.js';
import type { RegistryCredentials } from '../../core/registry.js';
import { normalizedString, parseReference, toDockerRef, type ImageReference } from '../../pkg/reference.js';
import { parseConfig } from '../images/image-service.js';
import { resolveImage } from '../images/image-resolver.js';
import { pullImage } from '../images/image-pull.js';
import type { ProgressMessage } from '../images/progress.js';
import type { BuildDeps, BuildState } from './build-types.js';

export interface BaseImageOptions {
  /** `--pull`: fetch the newest version of every image the build names, even one present here. */
  pull: boolean;
  credentialsFor?: ((domain: string) => RegistryCredentials | undefined) | undefined;
  /** Where pull progress goes (Docker's classic builder streams it in the build's own output). */
  progress: (msg: ProgressMessage) => void;
  signal?: AbortSignal | undefined;
}

/**
 * The images a build starts from (FROM, COPY --from=image, RUN --mount from=image), as the classic builder
 * finds them: the local image, pulled through the registry client when it is missing or when `--pull` asks for
 * the newest one. Each reference is pulled at most once per build, however many steps name it.
 */
export class BaseImages {
  readonly #deps: BuildDeps;
  readonly #opts: BaseImageOptions;
  readonly #pulls = new Map<string, Promise<void>>();

  constructor(deps: BuildDeps, opts: BaseImageOptions) {
    this.#deps = deps;
    this.#opts = opts;
  }

  async get(ref: string): Promise<BuildState> {
    const local = this.#local(ref);
    if (local !== undefined && !this.#opts.pull) return local;
    const parsed = pullableReference(ref);
    const registry = this.#deps.registry;
    // An image ID is never pulled; nor is anything when the daemon has no registry client.
    if (parsed === undefined || registry === undefined) {
      if (local !== undefined) return local;
      throw new NotFoundError(`pull access denied for ${ref}, repository does not exist or may require 'docker login'`);
    }
    const key = normalizedString(parsed);
    let pull = this.#pulls.get(key);
    if (pull === undefined) {
      pull = pullImage({ ...this.#deps, registry }, parsed, this.#opts.progress, { credentials: this.#opts.credentialsFor?.(parsed.domain), signal: this.#opts.signal });
      this.#pulls.set(key, pull);
    }
    await pull;
    const pulled = this.#local(key);
    if (pulled === undefined) throw new NotFoundError(`No such image: ${ref}`);
    return pulled;
  }

  #local(ref: string): BuildState | undefined {
    try {
      const img = this.#deps.metadata.view((tx) => resolveImage(tx, ref));
      return { id: img.id, config: parseConfig(img), configJson: img.configJson, chainIds: img.chainIds };
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }
}

/** The reference a name would be pulled as (`busybox` → docker.io/library/busybox:latest); undefined for an ID. */
function pullableReference(ref: string): ImageReference | undefined {
  try {
    return toDockerRef(parseReference(ref));
  } catch {
    return undefined;
  }
}
