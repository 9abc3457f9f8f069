import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { unmount } from '../../pkg/mounter.js';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FailedPreconditionError, InvalidArgumentError, NotImplementedError } from '../../core/errdefs.js';
import type { ImageConfig, ImageRuntimeConfig } from '../../core/images.js';
import { sha256Digest, type Digest } from '../../pkg/digest.js';
import { DockerfileParseError, parseDockerfile, parseFlags, splitKeyValues, type Dockerfile, type Instruction } from '../../pkg/dockerfile/parse.js';
import { referencedVariables, type Lookup } from '../../pkg/dockerfile/shell-words.js';
import { familiarString, parseReference, withDefaultTag } from '../../pkg/reference.js';
import { IMAGES_LOCK } from '../images/image-store-deps.js';
import { BaseImages } from './base-image.js';
import { BuildContext, contextPath } from './build-context.js';
import type { BuildDeps, BuildOptions, BuildOutput, BuildState, StepChanges, StepDescription } from './build-types.js';
import { explainMiss } from './cache-explain.js';
import { ContextSync } from './context-sync.js';
import { commitStep, recordImage } from './commit.js';
import { copyStep, type CopyEnv } from './copy-step.js';
import { FileReuse } from './file-reuse.js';
import { applyMetadata, commandOf, DEFAULT_SHELL, type StageVars } from './metadata-instructions.js';
import { pruneMountpoints, runMounts } from './run-mounts.js';
import { runNetworkMode, runStep } from './run-step.js';
import { expandOrThrow, planBuild, PROXY_ARGS, type Stage } from './stages.js';

const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const METADATA_INSTRUCTIONS = new Set(['env', 'label', 'workdir', 'user', 'expose', 'volume', 'cmd', 'entrypoint', 'shell', 'stopsignal', 'maintainer', 'onbuild', 'healthcheck']);

/** A failed build: the message Docker prints, and for a failed RUN its exit code (the CLI exits with it). */
export class BuildError extends Error {
  readonly code: number | undefined;
  constructor(message: string, code?: number) {
    super(message);
    this.code = code;
  }
}

interface StageEnv {
  df: Dockerfile;
  plan: ReturnType<typeof planBuild>;
  opts: BuildOptions;
  out: BuildOutput;
  ctx: BuildContext;
  scratch: string;
  total: number;
  firstStep: number;
  consumed: Set<string>;
  /** Cache rows used by this build: their last-use time is written once, at the end (one fsync, not one a step). */
  touched: string[];
  stageResult: (index: number) => Promise<StageRun>;
  /** Images named by FROM, COPY --from and RUN --mount from=: local, or pulled. */
  bases: BaseImages;
}

interface StageRun {
  stage: Stage;
  state: BuildState;
  runtime: ImageRuntimeConfig;
  author: string | undefined;
  /** ARGs in scope: declared in this stage, with their values (undefined: declared without one). */
  args: Map<string, string | undefined>;
  vars: StageVars;
  /** The state was built in this build (not taken from the cache): a later miss needs no explanation. */
  fresh: boolean;
}

/**
 * The Dockerfile builder behind `POST /build`: receives the context, parses the Dockerfile, builds the
 * stages the target needs (independent ones in parallel), reusing each step from the cache exactly when
 * Docker's rules allow and saying why when not, and records the result as an image with its tags.
 */
export class Builder {
  readonly #deps: BuildDeps;
  readonly #sync: ContextSync;
  readonly #reuse: FileReuse;

  constructor(deps: BuildDeps) {
    this.#deps = deps;
    this.#sync = new ContextSync(join(deps.workDir, 'sync'));
    this.#reuse = new FileReuse((chainId) => {
      const layer = deps.metadata.view((tx) => tx.getLayer(chainId));
      return layer ? deps.snapshotter.contentDir(layer.snapshotId) : undefined;
    });
  }

  /** `berth build`'s first request: which files of its context the daemon needs (see ContextSync). */
  contextNeeds(key: string, manifest: unknown): string[] {
    return this.#sync.need(key, manifest);
  }

  async build(body: Readable, opts: BuildOptions, out: BuildOutput): Promise<Digest> {
    const deps = this.#deps;
    if (opts.platform && !/^linux(\/amd64)?$/.test(opts.platform)) {
      throw new InvalidArgumentError(`platform "${opts.platform}" is not supported: berth builds linux/amd64 images only`);
    }
    // A user network for the RUN steps must exist before the context is even read (Docker's words if not).
    const network = runNetworkMode(opts.network);
    if (!['bridge', 'host', 'none'].includes(network)) deps.stepNetworks?.resolve(network);
    const tags = opts.tags.map((t) => withDefaultTag(parseReference(t)));
    const scratch = join(deps.workDir, 'tmp', randomBytes(8).toString('hex'));
    const started = Date.now();
    const received = await BuildContext.receive(body, join(scratch, 'context'), opts.signal ? { signal: opts.signal } : {}).catch(async (err: unknown) => {
      await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
      throw err;
    });
    let ctx = received.ctx;
    if (opts.syncKey !== undefined) {
      try {
        ctx = await this.#sync.assemble(opts.syncKey, received.ctx, join(scratch, 'context'));
      } catch (err) {
        await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
        throw err;
      }
    }
    const t0 = Date.now();
    deps.log.debug('build context received', { ms: t0 - started });
    try {
      const text = opts.dockerfileText ?? received.dockerfileText ?? (await readDockerfile(ctx, opts.dockerfile));
      let df: Dockerfile;
      try {
        df = parseDockerfile(text);
      } catch (err) {
        if (err instanceof DockerfileParseError) throw new InvalidArgumentError(err.message);
        throw err;
      }
      if (df.syntax !== undefined && !opts.quiet) out.stream(`# syntax=${df.syntax} is ignored: berth builds with its own Dockerfile frontend\n`);
      const labelLine = Object.entries(opts.labels)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`)
        .join(' ');
      const plan = planBuild(df, opts.buildArgs, opts.target);
      if (labelLine !== '') {
        const line = (plan.target.instructions[plan.target.instructions.length - 1]?.endLine ?? plan.target.from.endLine) + 1;
        plan.target.instructions.push({ cmd: 'label', original: `LABEL ${labelLine}`, line, endLine: line, flags: [], rest: labelLine, json: undefined, heredocs: [] });
      }
      const total = plan.needed.reduce((n, s) => n + 1 + s.instructions.length, 0);
      const firstStep = new Map<number, number>();
      let n = 1;
      for (const s of plan.needed) {
        firstStep.set(s.index, n);
        n += 1 + s.instructions.length;
      }
      const consumed = new Set<string>();
      const touched: string[] = [];
      const bases = new BaseImages(deps, {
        pull: opts.pull,
        credentialsFor: opts.credentialsFor,
        // The classic builder streams a FROM image's pull progress in the build output (not with -q).
        progress: (msg) => {
          if (!opts.quiet) out.progress?.(msg);
        },
        signal: opts.signal,
      });
      const results = new Map<number, Promise<StageRun>>();
      const runStage = (stage: Stage): Promise<StageRun> => {
        let p = results.get(stage.index);
        if (!p) {
          p = this.#buildStage(stage, { df, plan, opts, out, ctx, scratch, total, firstStep: firstStep.get(stage.index) ?? 1, consumed, touched, bases, stageResult: (i) => runStage(plan.stages[i] as Stage) });
          results.set(stage.index, p);
        }
        return p;
      };
      // Every needed stage starts now; each waits only for the stages it uses.
      const all = plan.needed.map((s) => runStage(s));
      const settled = await Promise.allSettled(all);
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
      const final = await runStage(plan.target);
      const unused = [...opts.buildArgs.keys()].filter((k) => !consumed.has(k) && !PROXY_ARGS.has(k) && !plan.metaArgs.has(k)).sort();
      if (unused.length > 0) out.stream(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
      await recordImage(deps, final.state, tags.map((t) => normalized(t)), touched);
      const id = sha256Digest(final.state.configJson);
      deps.log.debug('build finished', { ms: Date.now() - t0 });
      out.aux({ ID: id });
      if (!opts.quiet) {
        out.stream(`Successfully built ${id.slice(7, 19)}\n`);
        for (const t of tags) out.stream(`Successfully tagged ${familiarString(t)}\n`);
      }
      return id;
    } finally {
      if (opts.syncKey !== undefined) await this.#sync.remember(opts.syncKey, ctx).catch((err: unknown) => deps.log.warn('keeping the synced context failed', { error: String(err) }));
      await ctx.dispose();
      await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  async #buildStage(
    stage: Stage,
    env: StageEnv,
  ): Promise<StageRun> {
    const { opts, out } = env;
    const say = (text: string): void => {
      if (!opts.quiet) out.stream(text);
    };
    let step = env.firstStep;
    say(`Step ${step}/${env.total} : ${display(stage.from)}\n`);
    step++;
    let state: BuildState;
    let fresh = false;
    if (stage.baseStage !== undefined) {
      const base = await env.stageResult(stage.baseStage);
      state = base.state;
    } else if (stage.base.toLowerCase() === 'scratch') {
      const config: ImageConfig = { architecture: 'amd64', os: 'linux', config: { Env: [DEFAULT_PATH_ENV] }, rootfs: { type: 'layers', diff_ids: [] } };
      state = { id: 'scratch', config, configJson: JSON.stringify(config), chainIds: [] };
    } else {
      if (stage.platform && !/^linux(\/amd64)?$/.test(stage.platform)) {
        throw new InvalidArgumentError(`platform "${stage.platform}" is not supported: berth builds linux/amd64 images only`);
      }
      state = await env.bases.get(stage.base);
    }
    if (stage.baseStage === undefined && stage.base.toLowerCase() !== 'scratch') say(` ---> ${short(state.id)}\n`);
    else if (stage.baseStage !== undefined) say(` ---> ${short(state.id)}\n`);
    else say(' ---> \n');
    const runtime: ImageRuntimeConfig = structuredClone(state.config.config ?? {});
    const lookupArgs = new Map<string, string | undefined>();
    const run: StageRun = {
      stage,
      state,
      runtime,
      author: state.config.author,
      args: lookupArgs,
      vars: { escape: env.df.escape, lookup: () => undefined, cmdSet: false },
      fresh,
    };
    run.vars.lookup = stageLookup(run);

    // ONBUILD triggers of the base image run first, as Docker does.
    const triggers = runtime.OnBuild ?? [];
    if (triggers.length > 0 && stage.baseStage === undefined) {
      say(`# Executing ${triggers.length} build trigger${triggers.length === 1 ? '' : 's'}\n`);
      runtime.OnBuild = null;
      for (const t of triggers) {
        const ins = parseDockerfile(t).instructions[0];
        if (ins) await this.#step(run, ins, env);
      }
    } else if (triggers.length > 0) {
      runtime.OnBuild = null;
    }
    for (const ins of stage.instructions) {
      say(`Step ${step}/${env.total} : ${display(ins)}\n`);
      step++;
      await this.#step(run, ins, env);
      fresh = run.fresh;
    }
    void fresh;
    return run;
  }

  /** One instruction: look it up in the cache, else run it and commit the result. */
  async #step(run: StageRun, ins: Instruction, env: StageEnv): Promise<void> {
    const { opts, out } = env;
    const say = (text: string): void => {
      if (!opts.quiet) out.stream(text);
    };
    if (ins.cmd === 'arg') {
      this.#declareArgs(run, ins, env);
    }
    const prepared = await this.#prepare(run, ins, env);
    const key = sha256Digest(JSON.stringify([run.state.id, prepared.cacheText]));
    if (!opts.noCache) {
      const hit = this.#deps.metadata.view((tx) => {
        const row = tx.getBuildCache(key);
        if (!row) return undefined;
        const top = row.chainIds[row.chainIds.length - 1];
        if (top !== undefined && !tx.getLayer(top)) return undefined;
        return row;
      });
      if (hit) {
        env.touched.push(key);
        const config = JSON.parse(hit.configJson) as ImageConfig;
        run.state = { id: hit.imageId, config, configJson: hit.configJson, chainIds: hit.chainIds };
        run.runtime = structuredClone(config.config ?? {});
        run.author = config.author;
        say(` ---> Using cache\n ---> ${short(hit.imageId)}\n`);
        return;
      }
      if (!run.fresh) {
        const why = this.#deps.metadata.view((tx) => explainMiss(tx.buildCacheByParent(run.state.id), prepared.description));
        if (why) say(` ---> Cache miss: ${why}\n`);
      }
    }
    const stepStart = Date.now();
    const changes = await prepared.execute();
    const executed = Date.now();
    const config: ImageConfig = { ...run.state.config, config: run.runtime };
    delete config['container_config'];
    delete config['container'];
    if (run.author !== undefined) config.author = run.author;
    run.state = await commitStep(this.#deps, {
      parent: run.state,
      key,
      description: prepared.description,
      config,
      createdBy: prepared.createdBy,
      changes,
    });
    run.fresh = true;
    this.#deps.log.debug('build step', { instruction: ins.cmd, executeMs: executed - stepStart, commitMs: Date.now() - executed });
    say(` ---> ${short(run.state.id)}\n`);
  }

  #declareArgs(run: StageRun, ins: Instruction, env: StageEnv): void {
    for (const [name, raw] of splitKeyValues(ins.rest, env.df.escape, { allowBareKeys: true })) {
      let value: string | undefined;
      if (env.opts.buildArgs.has(name)) {
        value = env.opts.buildArgs.get(name);
        env.consumed.add(name);
      } else if (raw !== undefined) {
        value = expandArg(raw, run, ins, env.df.escape);
      } else if (env.plan.metaArgs.has(name)) {
        value = env.plan.metaArgs.get(name);
      }
      run.args.set(name, value);
    }
  }

  /** Works out an instruction's cache text and description, and how to run it on a miss. */
  async #prepare(
    run: StageRun,
    ins: Instruction,
    env: StageEnv,
  ): Promise<{ cacheText: string; createdBy: string; description: StepDescription; execute: () => Promise<StepChanges | undefined> }> {
    const argValues = (): Record<string, string> => {
      const out: Record<string, string> = {};
      for (const [k, v] of [...run.args.entries()].sort(([a], [b]) => a.localeCompare(b))) if (v !== undefined) out[k] = v;
      return out;
    };
    if (ins.cmd === 'arg') {
      const shown = [...run.args.keys()].filter((k) => new RegExp(`(^|\\s)${k}(=|\\s|$)`).test(ins.rest));
      const createdBy = `/bin/sh -c #(nop)  ARG ${ins.rest.trim()}`;
      const used: Record<string, string> = {};
      for (const k of shown) {
        const v = run.args.get(k);
        if (v !== undefined) used[k] = v;
      }
      // As in the classic builder the ARG step's key is its text: a new value rebuilds the steps that use it.
      return { cacheText: createdBy, createdBy, description: { instruction: ins.original, args: used, files: {} }, execute: async () => undefined };
    }
    if (METADATA_INSTRUCTIONS.has(ins.cmd)) {
      const author = { value: run.author };
      const effect = applyMetadata(ins, run.runtime, run.vars, author);
      run.author = author.value;
      const used = usedArgs(ins.rest, run);
      return { cacheText: effect.createdBy, createdBy: effect.createdBy, description: { instruction: ins.original, args: used, files: {} }, execute: async () => undefined };
    }
    if (ins.cmd === 'run') return this.#prepareRun(run, ins, env, argValues());
    if (ins.cmd === 'copy' || ins.cmd === 'add') {
      const copyEnv: CopyEnv = {
        deps: this.#deps,
        ctx: env.ctx,
        scratch: env.scratch,
        escape: env.df.escape,
        lookup: run.vars.lookup,
        workingDir: run.runtime.WorkingDir || '/',
        state: run.state,
        stageState: async (ref: string) => {
          const idx = stageIndex(env.plan.stages, ref, run.stage.index);
          if (idx !== undefined) return (await env.stageResult(idx)).state;
          return env.bases.get(ref);
        },
        reuse: this.#reuse,
        noCache: env.opts.noCache,
        signal: env.opts.signal,
      };
      const prepared = await copyStep(copyEnv, ins);
      return {
        cacheText: prepared.cacheText,
        createdBy: prepared.createdBy,
        description: {
          instruction: ins.original,
          args: usedArgs(ins.rest, run),
          // Read on a miss only (to explain it, and with the cache row): listing every file costs on each hit.
          get files() {
            return prepared.files();
          },
        },
        execute: prepared.execute,
      };
    }
    throw new InvalidArgumentError(`dockerfile parse error on line ${ins.line}: unknown instruction: ${ins.cmd.toUpperCase()}`);
  }

  async #prepareRun(
    run: StageRun,
    ins: Instruction,
    env: StageEnv,
    args: Record<string, string>,
  ): Promise<{ cacheText: string; createdBy: string; description: StepDescription; execute: () => Promise<StepChanges | undefined> }> {
    const { opts, out } = env;
    const flags = parseFlags(ins, ['mount', 'network', 'security']);
    const shell = run.runtime.Shell && run.runtime.Shell.length > 0 ? run.runtime.Shell : DEFAULT_SHELL;
    let script = ins.rest;
    if (ins.heredocs.length > 0) {
      const onlyHeredoc = ins.rest.replace(/<<-?\s*["']?[A-Za-z_][A-Za-z0-9_]*["']?/g, '').trim() === '';
      const first = ins.heredocs[0];
      script = onlyHeredoc && ins.heredocs.length === 1 && first ? first.content : `${ins.rest}\n${ins.heredocs.map((h) => `${h.content}${h.name}\n`).join('')}`;
    }
    const cmd = commandOf(script, ins.json, shell);
    // The build args in effect go into the step's environment and its cache key (Docker's `|N k=v` prefix).
    const argEnv = Object.entries(args)
      .filter(([k]) => !PROXY_ARGS.has(k) || run.args.has(k))
      .map(([k, v]) => `${k}=${v}`);
    const createdBy = `${argEnv.length > 0 ? `|${argEnv.length} ${argEnv.join(' ')} ` : ''}${cmd.join(' ')}`;
    const mountSpecs = flags.get('mount') ?? [];
    const network = flags.get('network')?.[0] ?? opts.network;
    if (flags.get('security')?.[0] === 'insecure') throw new NotImplementedError('RUN --security=insecure is not supported');
    const cacheText = JSON.stringify([createdBy, mountSpecs]);
    const description: StepDescription = { instruction: ins.original, args, files: {} };
    const execute = async (): Promise<StepChanges | undefined> => {
      const configured = run.runtime.Env ?? [];
      const has = (k: string): boolean => configured.some((e) => e.split('=', 1)[0] === k);
      const proxies = [...opts.buildArgs.entries()].filter(([k]) => PROXY_ARGS.has(k) && !has(k)).map(([k, v]) => `${k}=${v}`);
      const stepEnv = [...configured, ...Object.entries(args).filter(([k]) => !has(k)).map(([k, v]) => `${k}=${v}`), ...proxies];
      const mounts = await runMounts(mountSpecs, {
        deps: this.#deps,
        ctx: env.ctx,
        scratch: env.scratch,
        secrets: opts.secrets,
        lookup: run.vars.lookup,
        escape: env.df.escape,
        stageState: async (ref: string) => {
          const idx = stageIndex(env.plan.stages, ref, run.stage.index);
          if (idx !== undefined) return (await env.stageResult(idx)).state;
          return env.bases.get(ref);
        },
        line: ins.line,
      });
      const lowerSnapshotIds = this.#snapshotIds(run.state);
      try {
        const result = await runStep(this.#deps, {
          lowerSnapshotIds,
          args: cmd,
          env: stepEnv,
          user: run.runtime.User,
          workingDir: run.runtime.WorkingDir,
          network: runNetworkMode(network),
          extraHosts: opts.extraHosts,
          shmSize: opts.shmSize,
          ulimits: opts.ulimits,
          mounts: mounts.specs,
          onOutput: (data) => {
            if (!opts.quiet) out.stream(data.toString('utf8'));
          },
          onStart: (id) => {
            if (!opts.quiet) out.stream(` ---> Running in ${id.slice(0, 12)}\n`);
          },
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
        if (result.exitCode !== 0) {
          await this.#deps.snapshotter.remove(result.snapshotId).catch(() => undefined);
          throw new BuildError(`The command '${cmd.join(' ')}' returned a non-zero code: ${result.exitCode}`, result.exitCode);
        }
        await pruneMountpoints(this.#deps.snapshotter.contentDir(result.snapshotId), lowerSnapshotIds.map((s) => this.#deps.snapshotter.contentDir(s)), mounts.targets);
        if (!opts.quiet) out.stream(`Removing intermediate container ${result.containerId.slice(0, 12)}\n`);
        return { snapshotId: result.snapshotId };
      } finally {
        await mounts.release();
      }
    };
    return { cacheText, createdBy, description, execute };
  }

  #snapshotIds(state: BuildState): string[] {
    return this.#deps.metadata.view((tx) =>
      state.chainIds
        .map((c) => {
          const l = tx.getLayer(c);
          if (!l) throw new FailedPreconditionError(`layer ${c} of the build state is gone`);
          return l.snapshotId;
        })
        .reverse(),
    );
  }

  /** `docker builder prune`: forgets cache rows (all, or those unused for `keepDuration` ms), then sweeps layers. */
  async prune(opts: { all: boolean; unusedForMs?: number }): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }> {
    const cutoff = opts.unusedForMs !== undefined ? new Date(this.#deps.now().getTime() - opts.unusedForMs).toISOString() : undefined;
    const deleted = this.#deps.metadata.update((tx) => {
      const rows = tx.listBuildCache().filter((r) => cutoff === undefined || r.lastUsed < cutoff);
      for (const r of rows) tx.deleteBuildCache(r.key);
      return rows;
    });
    const sizes = this.#deps.metadata.view((tx) => new Map(tx.listLayers().map((l) => [l.chainId, l.size])));
    const before = [...sizes.values()].reduce((a, b) => a + b, 0);
    await this.#collect();
    const after = this.#deps.metadata.view((tx) => tx.listLayers().reduce((a, l) => a + l.size, 0));
    await rm(join(this.#deps.workDir, 'cache-mounts'), { recursive: true, force: true }).catch(() => undefined);
    return { CachesDeleted: deleted.length > 0 ? deleted.map((r) => r.key.slice(7)) : null, SpaceReclaimed: Math.max(0, before - after) };
  }

  async #collect(): Promise<void> {
    await this.#deps.locks.withLock(IMAGES_LOCK, async () => {
      const gc = this.#deps.metadata.update((tx) => tx.collectGarbage());
      await Promise.all(gc.snapshotIds.map((id) => this.#deps.snapshotter.remove(id).catch(() => undefined)));
      await Promise.all(gc.blobs.map((d) => this.#deps.content.delete(d).catch(() => undefined)));
    });
  }

  /**
   * Removes the scratch space of builds a crash cut short (contexts, mount points): mounts left under it are
   * detached first, so the removal never walks into a layer. Cache mounts are kept.
   */
  async cleanupScratch(): Promise<void> {
    const tmp = join(this.#deps.workDir, 'tmp');
    const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
    const targets = info
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .map((p) => p.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))))
      .filter((p) => p.startsWith(`${tmp}/`))
      .sort((a, b) => b.length - a.length);
    for (const t of targets) await unmount(t, { lazy: true }).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
    await this.#sync.reset();
  }


}

function normalized(ref: ReturnType<typeof parseReference>): string {
  const { domain, path, tag } = ref;
  return `${domain}/${path}:${tag ?? 'latest'}`;
}

function short(id: string): string {
  return id.startsWith('sha256:') ? id.slice(7, 19) : id.slice(0, 12);
}

/** The instruction as the classic builder prints it in `Step N/M : ...`. */
function display(ins: Instruction): string {
  const m = /^\s*(\S+)([\s\S]*)$/.exec(ins.original);
  return m ? `${(m[1] as string).toUpperCase()}${m[2] as string}` : ins.original;
}

function stageLookup(run: StageRun): Lookup {
  return (name) => {
    const env = run.runtime.Env ?? [];
    for (let i = env.length - 1; i >= 0; i--) {
      const e = env[i] as string;
      const eq = e.indexOf('=');
      if ((eq < 0 ? e : e.slice(0, eq)) === name) return eq < 0 ? '' : e.slice(eq + 1);
    }
    if (run.args.has(name)) return run.args.get(name);
    return undefined;
  };
}

function expandArg(raw: string, run: StageRun, ins: Instruction, escape: string): string {
  return expandOrThrow(raw, stageLookup(run), escape, ins);
}

/** The build args an instruction refers to, with their values (for explaining a cache miss). */
function usedArgs(text: string, run: StageRun): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of referencedVariables(text)) {
    const v = run.args.get(name);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

function stageIndex(stages: readonly Stage[], ref: string, before: number): number | undefined {
  const lower = ref.toLowerCase();
  const named = stages.find((s) => s.name === lower && s.index < before);
  if (named) return named.index;
  if (/^\d+$/.test(ref) && Number(ref) < before) return Number(ref);
  return undefined;
}

async function readDockerfile(ctx: BuildContext, name: string): Promise<string> {
  const rel = contextPath(name || 'Dockerfile');
  const text = (await ctx.readText(rel)) ?? (name === '' || name === 'Dockerfile' ? await ctx.readText('dockerfile') : undefined);
  if (text === undefined) throw new InvalidArgumentError(`Cannot locate specified Dockerfile: ${name || 'Dockerfile'}`);
  return text;
}
