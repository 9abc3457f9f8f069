/**
 * `berth create` and `berth run` (docker/cli cli/command/container/create.go, run.go).
 *
 * run in the foreground: create (pulling a missing image) → attach → register the wait (`next-exit`, or `removed`
 * with `--rm`) → start → copy output until the stream ends → exit with the container's status. Daemon errors on
 * create/start exit 125, or 126/127 when the command cannot be invoked / is not found, like docker.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { EngineApiError } from '../../client/errors.js';
import { familiarString, fullName, tryParseReference, withDefaultTag } from '../../pkg/reference.js';
import { errorText, handle } from '../action.js';
import type { CliContext } from '../cli-context.js';
import { addCommand, BIN, minArgs, type DockerCommand } from '../command.js';
import { exitWith, StatusError } from '../errors.js';
import { displayJsonMessages } from '../format/jsonmessage.js';
import { configDir, registryAuthHeader } from '../registry-auth.js';
import { checkTty, forwardSignals, type StreamEnd } from '../terminal.js';
import { attachContainer, monitorContainerTty, waitExitOrRemoved, type AttachSession } from './attach.js';
import { addContainerFlags, buildCreateRequest, ContainerOptionsError, goOpenError, type ContainerFlags, type CreateRequest } from './container-options.js';

interface RunFlags extends ContainerFlags {
  detach?: boolean;
  detachKeys?: string;
  sigProxy?: boolean;
}

/**
 * docker's cidFile: `--cidfile` must not exist yet (another container may own it); it is created before the
 * container and removed again unless the container's ID was written to it.
 */
export class CidFile {
  readonly path: string;
  #fd: number | undefined;
  #written = false;

  private constructor(path: string, fd: number | undefined) {
    this.path = path;
    this.#fd = fd;
  }

  /** Opens `path` for the ID; an empty path is no file at all. */
  static open(path: string): CidFile {
    if (path === '') return new CidFile('', undefined);
    let exists = true;
    try {
      statSync(path);
    } catch {
      exists = false;
    }
    if (exists) throw new Error(`container ID file found, make sure the other container isn't running or delete ${path}`);
    let fd: number;
    try {
      fd = openSync(path, 'w', 0o666);
    } catch (e) {
      throw new Error(`failed to create the container ID file: ${goOpenError(e, path)}`);
    }
    return new CidFile(path, fd);
  }

  write(id: string): void {
    if (this.#fd === undefined) return;
    try {
      writeSync(this.#fd, id);
    } catch (e) {
      throw new Error(`failed to write the container ID to the file: ${(e as Error).message}`);
    }
    this.#written = true;
  }

  /** Closes the file, deleting it when no ID was written (the create failed). */
  close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
    if (this.#written) return;
    try {
      unlinkSync(this.path);
    } catch (e) {
      throw new Error(`failed to remove the CID file '${this.path}': ${(e as Error).message}`);
    }
  }
}

/** The `--cidfile` path: from the create body (HostConfig.ContainerIDFile) or, failing that, the flag. */
export function cidFilePath(req: CreateRequest, flags: object): string {
  const fromBody = req.body.HostConfig?.ContainerIDFile;
  if (typeof fromBody === 'string' && fromBody !== '') return fromBody;
  const fromFlag = (flags as { cidfile?: unknown }).cidfile;
  return typeof fromFlag === 'string' ? fromFlag : '';
}

/** docker's withHelp: `berth: <err>` plus the pointer to `--help`. */
export function withHelp(message: string, command: string): string {
  return `${BIN}: ${message}\n\nRun '${BIN} ${command} --help' for more information`;
}

/**
 * docker's toStatusError: 127 when the command was not found, 126 when it could not be invoked, else 125.
 */
export function toStatusError(e: unknown, command = 'run'): StatusError {
  if (e instanceof StatusError) return e;
  const msg = errorText(e);
  if (msg.includes('executable file not found') || msg.includes('no such file or directory') || msg.includes('system cannot find the file specified')) {
    return new StatusError(withHelp(msg, command), 127);
  }
  if (msg.includes('permission denied') || msg.includes('is a directory')) return new StatusError(withHelp(msg, command), 126);
  return new StatusError(withHelp(msg, command), 125);
}

function consoleSize(ctx: CliContext): [number, number] {
  const out = ctx.stdout;
  return out.isTTY && out.rows && out.columns ? [out.rows, out.columns] : [0, 0];
}

function envSource(ctx: CliContext): { lookup(k: string): string | undefined; readFile(p: string): string } {
  return { lookup: (k) => ctx.env[k], readFile: (p) => readFileSync(p, 'utf8') };
}

function validatePull(pull: string, command: string): void {
  if (pull !== 'always' && pull !== 'missing' && pull !== 'never') {
    throw new StatusError(withHelp(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`, command), 125);
  }
}

function parseRequest(ctx: CliContext, flags: ContainerFlags, args: string[], detach: boolean, command: string): CreateRequest {
  const entrypointSet = flags.entrypoint !== undefined;
  try {
    return buildCreateRequest(flags, args, envSource(ctx), { detach, consoleSize: consoleSize(ctx), entrypointSet });
  } catch (e) {
    if (e instanceof ContainerOptionsError) throw new StatusError(withHelp(e.message, command), 125);
    throw e;
  }
}

async function pullImage(ctx: CliContext, image: string, platform: string | undefined, quiet: boolean): Promise<void> {
  const ref = tryParseReference(image);
  if (!ref) throw new Error('invalid reference format');
  const named = withDefaultTag(ref);
  const res = await ctx.client.imageCreate(
    { fromImage: fullName(named), tag: named.digest ?? named.tag, platform: platform || undefined },
    { registryAuth: registryAuthHeader(configDir(ctx.globals.config, ctx.env), image) },
  );
  const sink = quiet ? { write: () => true } : ctx.stderr;
  await displayJsonMessages(res, sink, !quiet && ctx.stderr.isTTY === true);
}

/**
 * docker's createContainer: create, pulling the image first (`--pull always`) or on "not found" (`missing`), and
 * record the ID in the `--cidfile`.
 */
export async function createContainer(ctx: CliContext, req: CreateRequest, quiet: boolean, cidfile = ''): Promise<string> {
  const cid = CidFile.open(cidfile);
  try {
    const id = await createWithPull(ctx, req, quiet);
    cid.write(id);
    return id;
  } finally {
    cid.close();
  }
}

async function createWithPull(ctx: CliContext, req: CreateRequest, quiet: boolean): Promise<string> {
  const image = req.body.Image ?? '';
  const ref = tryParseReference(image);
  const named = ref ? withDefaultTag(ref) : undefined;
  if (req.pull === 'always') await pullImage(ctx, image, req.platform, quiet);
  const create = (): ReturnType<typeof ctx.client.containerCreate> =>
    ctx.client.containerCreate(req.body, { ...(req.name ? { name: req.name } : {}), ...(req.platform ? { platform: req.platform } : {}) });
  let res;
  try {
    res = await create();
  } catch (e) {
    if (e instanceof EngineApiError && e.statusCode === 404 && named && req.pull === 'missing') {
      if (!quiet) ctx.err(`Unable to find image '${familiarString(named)}' locally\n`);
      await pullImage(ctx, image, req.platform, quiet);
      res = await create();
    } else {
      throw e;
    }
  }
  for (const w of res.Warnings ?? []) ctx.err(`WARNING: ${w}\n`);
  return res.Id;
}

async function runCreate(ctx: CliContext, args: string[], flags: ContainerFlags): Promise<void> {
  validatePull(flags.pull ?? 'missing', 'create');
  // create never attaches, but like docker it records the streams a later `start -a` would use.
  const req = parseRequest(ctx, flags, args, false, 'create');
  const id = await createContainer(ctx, req, flags.quiet === true, cidFilePath(req, flags));
  ctx.out(`${id}\n`);
}

/** `--sig-proxy` (default true) as run and attach read it: off for `--sig-proxy=false`. */
export function sigProxyEnabled(flags: { sigProxy?: boolean }, cmd: DockerCommand): boolean {
  return flags.sigProxy !== false && !cmd.explicitFalse.has('sigProxy');
}

async function runRun(ctx: CliContext, args: string[], flags: RunFlags, cmd: DockerCommand): Promise<void> {
  validatePull(flags.pull ?? 'missing', 'run');
  const detach = flags.detach === true;
  const req = parseRequest(ctx, flags, args, detach, 'run');
  const config = req.body;
  if (!detach) {
    checkTty(ctx.stdin, config.AttachStdin === true, config.Tty === true);
  } else if (flags.attach.length > 0) {
    throw new StatusError('conflicting options: cannot specify both --attach and --detach', 1);
  }

  let id: string;
  try {
    id = await createContainer(ctx, req, flags.quiet === true, cidFilePath(req, flags));
  } catch (e) {
    throw toStatusError(e);
  }
  const stopForwarding = sigProxyEnabled(flags, cmd) ? forwardSignals(ctx.client, id) : (): void => undefined;
  let stopResize = (): void => undefined;
  let session: AttachSession | undefined;
  try {
    const attach = config.AttachStdin === true || config.AttachStdout === true || config.AttachStderr === true;
    if (!attach) ctx.out(`${id}\n`);
    if (attach) {
      session = await attachContainer(ctx, id, {
        stdin: config.AttachStdin === true,
        stdout: config.AttachStdout === true,
        stderr: config.AttachStderr === true,
        tty: config.Tty === true,
        detachKeys: flags.detachKeys,
      });
    }
    const { status } = await waitExitOrRemoved(ctx, id, flags.rm === true);
    try {
      await ctx.client.containerStart(id);
    } catch (e) {
      session?.close();
      if (flags.rm) await status;
      throw toStatusError(e);
    }
    if (!session) return;
    if (config.Tty && ctx.stdout.isTTY) stopResize = monitorContainerTty(ctx, id);
    // Whichever ends first: the stream (output done, or the user detached) or the container.
    type First = { stream: StreamEnd } | { streamError: unknown } | { status: number };
    const first = await Promise.race<First>([
      session.done.then(
        (end) => ({ stream: end }),
        (e: unknown) => ({ streamError: e }),
      ),
      status.then((code) => ({ status: code })),
    ]);
    let code: number;
    if ('streamError' in first) throw first.streamError;
    if ('stream' in first) {
      // Detached with the detach keys: the container keeps running and run succeeds.
      if (first.stream === 'detached') return;
      code = await status;
    } else {
      // The container exited; its output may still be arriving, unless no output is attached.
      if (!config.AttachStdout && !config.AttachStderr) session.close();
      else await session.done.catch(() => undefined);
      code = first.status;
    }
    if (code !== 0) throw exitWith(code);
  } finally {
    stopResize();
    stopForwarding();
    session?.close();
  }
}

/** Adds a flag unless the shared container flags already define it (they may grow run's flags over time). */
function hasFlag(cmd: DockerCommand, long: string): boolean {
  return cmd.options.some((o) => o.long === long);
}

export function registerRunCommands(root: DockerCommand, container: DockerCommand): void {
  for (const parent of [root, container]) {
    addCommand(
      parent,
      {
        name: 'create',
        use: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
        short: 'Create a new container',
        args: minArgs(1),
        aliasesLine: 'berth container create, berth create',
        passThrough: true,
      },
      (cmd) => {
        addContainerFlags(cmd);
        handle<ContainerFlags>(cmd, (ctx, args, opts) => runCreate(ctx, args, opts));
      },
    );
    addCommand(
      parent,
      {
        name: 'run',
        use: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
        short: 'Create and run a new container from an image',
        args: minArgs(1),
        aliasesLine: 'berth container run, berth run',
        passThrough: true,
      },
      (cmd) => {
        addContainerFlags(cmd);
        if (!hasFlag(cmd, '--detach')) cmd.bool('-d, --detach', 'Run container in background and print container ID');
        if (!hasFlag(cmd, '--detach-keys')) cmd.str('--detach-keys <string>', 'Override the key sequence for detaching a container');
        if (!hasFlag(cmd, '--sig-proxy')) cmd.bool('--sig-proxy', 'Proxy received signals to the process (default true)');
        handle<RunFlags>(cmd, (ctx, args, opts, self) => runRun(ctx, args, opts, self));
      },
    );
  }
}
