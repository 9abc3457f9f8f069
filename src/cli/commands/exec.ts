/**
 * `berth exec` / `berth container exec` (docker/cli cli/command/container/exec.go).
 *
 * inspect the container (so "No such container" wins) → check the TTY → create the exec → either start it detached,
 * or start it over a hijacked connection and stream stdio (raw terminal, resize, detach keys as in ../terminal.ts)
 * → inspect the exec and exit with its ExitCode. A command the daemon cannot find or run shows up there as 127 or
 * 126, like docker.
 */
import { readFileSync } from 'node:fs';
import { DaemonConnectionError } from '../../client/errors.js';
import type { ExecCreateBody } from '../../client/types.js';
import { handle } from '../action.js';
import type { CliContext } from '../cli-context.js';
import { addCommand, minArgs, type DockerCommand } from '../command.js';
import { exitWith, StatusError } from '../errors.js';
import { checkTty, monitorTtySize, streamHijacked, ttySize, type StreamEnd } from '../terminal.js';
import { ContainerOptionsError, goOpenError, parseKeyValueFile, validateEnv, type EnvSource } from './container-options.js';

export interface ExecFlags {
  detach?: boolean;
  detachKeys?: string;
  env: string[];
  envFile: string[];
  interactive?: boolean;
  privileged?: boolean;
  tty?: boolean;
  user?: string;
  workdir?: string;
}

/** A flag value pflag would have refused while parsing (`-e =x`). */
export class ExecFlagError extends Error {
  readonly flag: string;
  readonly value: string;
  constructor(flag: string, value: string, message: string) {
    super(message);
    this.flag = flag;
    this.value = value;
  }
}

/**
 * docker's parseExec: the exec create body for `command`. Env comes from `--env-file`s first, then `-e` (a bare
 * `KEY` takes the client's value when it has one). Without `-d` stdout and stderr are attached, stdin with `-i`.
 */
export function buildExecConfig(flags: ExecFlags, command: string[], env: EnvSource, consoleSize: [number, number] = [0, 0]): ExecCreateBody {
  const lookup = env.lookup.bind(env);
  const fromFlags = flags.env.map((e) => {
    try {
      return validateEnv(e, lookup);
    } catch (err) {
      throw new ExecFlagError('-e, --env', e, (err as Error).message);
    }
  });
  const fromFiles: string[] = [];
  for (const f of flags.envFile) {
    let content: string;
    try {
      content = env.readFile(f);
    } catch (e) {
      throw new ContainerOptionsError(goOpenError(e, f));
    }
    fromFiles.push(...parseKeyValueFile(content, f, lookup));
  }
  const all = [...fromFiles, ...fromFlags];
  const detach = flags.detach === true;
  return {
    User: flags.user ?? '',
    Privileged: flags.privileged === true,
    Tty: flags.tty === true,
    // docker sends the terminal's size ([0, 0] when stdout is not one) whenever a TTY is asked for.
    ...(flags.tty === true ? { ConsoleSize: consoleSize } : {}),
    AttachStdin: !detach && flags.interactive === true,
    AttachStderr: !detach,
    AttachStdout: !detach,
    DetachKeys: flags.detachKeys ?? '',
    Env: all.length > 0 ? all : null,
    WorkingDir: flags.workdir ?? '',
    Cmd: command,
    Detach: false,
  };
}

async function runExec(ctx: CliContext, args: string[], flags: ExecFlags, cmd: DockerCommand): Promise<void> {
  const [container, ...command] = args as [string, ...string[]];
  let config: ExecCreateBody;
  try {
    const env = { lookup: (k: string) => ctx.env[k], readFile: (p: string) => readFileSync(p, 'utf8') };
    config = buildExecConfig(flags, command, env, ttySize(ctx.stdout));
  } catch (e) {
    if (e instanceof ExecFlagError) throw cmd.usageError(`invalid argument "${e.value}" for "${e.flag}" flag: ${e.message}`);
    throw new StatusError((e as Error).message, 1);
  }
  const client = ctx.client;
  // Before creating: a failed TTY check must not leave an exec behind, and "No such container" comes first.
  await client.containerInspect(container);
  if (flags.detach !== true) checkTty(ctx.stdin, config.AttachStdin, config.Tty);

  const execId = await client.execCreate(container, config);
  if (!execId) throw new StatusError('exec ID empty', 1);
  const start = { Tty: config.Tty, ...(config.ConsoleSize ? { ConsoleSize: config.ConsoleSize } : {}) };
  if (flags.detach === true) {
    await client.execStart(execId, { Detach: true, ...start });
    return;
  }

  const conn = await client.execAttach(execId, start);
  const session = streamHijacked(conn, {
    input: config.AttachStdin ? ctx.stdin : undefined,
    stdout: ctx.stdout,
    stderr: config.Tty ? ctx.stdout : ctx.stderr,
    tty: config.Tty,
    detachKeys: config.DetachKeys,
    raw: !ctx.env.NORAW,
  });
  let stopResize = (): void => undefined;
  let end: StreamEnd;
  try {
    if (config.Tty && ctx.stdin.isTTY) stopResize = monitorTtySize(client, ctx.stdout, ctx.stderr, { id: execId, exec: true });
    end = await session.done;
  } finally {
    stopResize();
    session.close();
  }
  // docker returns the term.EscapeError itself: "read escape sequence", exit 1.
  if (end === 'detached') throw new StatusError('read escape sequence', 1);

  let exitCode: number | null;
  try {
    exitCode = (await client.execInspect(execId)).ExitCode;
  } catch (e) {
    // The daemon went away: docker exits with status -1 (255).
    if (e instanceof DaemonConnectionError) throw exitWith(-1);
    throw e;
  }
  if (exitCode !== null && exitCode !== 0) throw exitWith(exitCode);
}

export function registerExecCommands(root: DockerCommand, container: DockerCommand): void {
  for (const parent of [root, container]) {
    addCommand(
      parent,
      {
        name: 'exec',
        use: '[OPTIONS] CONTAINER COMMAND [ARG...]',
        short: 'Execute a command in a running container',
        args: minArgs(2),
        aliasesLine: 'berth container exec, berth exec',
        passThrough: true,
      },
      (cmd) => {
        cmd
          .bool('-d, --detach', 'Detached mode: run command in the background')
          .str('--detach-keys <string>', 'Override the key sequence for detaching a container')
          .list('-e, --env <list>', 'Set environment variables')
          .list('--env-file <list>', 'Read in a file of environment variables')
          .bool('-i, --interactive', 'Keep STDIN open even if not attached')
          .bool('--privileged', 'Give extended privileges to the command')
          .bool('-t, --tty', 'Allocate a pseudo-TTY')
          .str('-u, --user <string>', 'Username or UID (format: "<name|uid>[:<group|gid>]")')
          .str('-w, --workdir <string>', 'Working directory inside the container');
        handle<ExecFlags>(cmd, (ctx, args, opts, self) => runExec(ctx, args, opts, self));
      },
    );
  }
}
