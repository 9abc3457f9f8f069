/**
 * Attaching to a container: the hijacked attach connection `run` and `start -a` stream through, the exit-status
 * wait they share, and `berth attach` itself (docker/cli cli/command/container/attach.go). The copying, raw mode,
 * detach keys, resize and signal relay live in ../terminal.ts, shared with `exec`.
 */
import { errorText, handle } from '../action.js';
import type { CliContext } from '../cli-context.js';
import { addCommand, exactArgs, type DockerCommand } from '../command.js';
import { exitWith, StatusError } from '../errors.js';
import { checkTty, forwardSignals, monitorTtySize, streamHijacked, ttySize, type HijackedStream } from '../terminal.js';
import type { ContainerInspect, WaitResponse } from '../../client/types.js';

export type AttachSession = HijackedStream;

export interface AttachStreams {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  detachKeys?: string | undefined;
}

/** Attaches (before start, so no output is lost) and starts copying; stderr goes to stdout with a TTY, as docker does. */
export async function attachContainer(ctx: CliContext, id: string, s: AttachStreams): Promise<AttachSession> {
  const conn = await ctx.client.containerAttach(id, {
    stream: true,
    stdin: s.stdin,
    stdout: s.stdout,
    stderr: s.stderr,
    ...(s.detachKeys ? { detachKeys: s.detachKeys } : {}),
  });
  return streamHijacked(conn, {
    input: s.stdin ? ctx.stdin : undefined,
    stdout: s.stdout ? ctx.stdout : undefined,
    stderr: s.stderr ? (s.tty ? ctx.stdout : ctx.stderr) : undefined,
    tty: s.tty,
    detachKeys: s.detachKeys,
    raw: !ctx.env.NORAW,
  });
}

/** Keeps a container's TTY the size of ours (docker's MonitorTtySize). */
export function monitorContainerTty(ctx: CliContext, id: string): () => void {
  return monitorTtySize(ctx.client, ctx.stdout, ctx.stderr, { id, exec: false });
}

/**
 * docker's waitExitOrRemoved: registers the wait (the daemon has accepted it when this resolves) and yields the
 * exit status, 125 when waiting failed.
 */
export async function waitExitOrRemoved(ctx: CliContext, id: string, removed: boolean): Promise<{ status: Promise<number> }> {
  const { result } = await ctx.client.containerWait(id, removed ? 'removed' : 'next-exit');
  // Wrapped in an object: an async function returning a promise would adopt it and wait for the exit.
  const status = result.then(
    (r) => {
      if (r.Error?.Message) {
        ctx.err(`Error waiting for container: ${r.Error.Message}\n`);
        return 125;
      }
      return r.StatusCode;
    },
    (e: unknown) => {
      ctx.err(`error waiting for container: ${errorText(e)}\n`);
      return 125;
    },
  );
  return { status };
}

// -- berth attach -----------------------------------------------------------------------------------------------

interface AttachFlags {
  /** `--no-stdin` (commander stores a negatable flag as `stdin: false`). */
  stdin?: boolean;
  sigProxy?: boolean;
  detachKeys?: string;
}

/** docker's inspectContainerAndCheckState. */
async function inspectRunning(ctx: CliContext, id: string): Promise<ContainerInspect> {
  const c = await ctx.client.containerInspect(id);
  if (!c.State.Running) throw new StatusError('You cannot attach to a stopped container, start it first', 1);
  if (c.State.Paused) throw new StatusError('You cannot attach to a paused container, unpause it first', 1);
  if (c.State.Restarting) throw new StatusError('You cannot attach to a restarting container, wait until it is running', 1);
  return c;
}

/** docker's getExitStatus: the wait's error message (exit 1) or the container's non-zero status. */
export function exitStatusError(r: WaitResponse): StatusError | undefined {
  if (r.Error?.Message) return new StatusError(r.Error.Message, 1);
  if (r.StatusCode !== 0) return exitWith(r.StatusCode);
  return undefined;
}

async function runAttach(ctx: CliContext, name: string, flags: AttachFlags, cmd: DockerCommand): Promise<void> {
  // Registered before anything else, so an exit between the checks and the attach is not missed.
  const wait = ctx.client.containerWait(name);
  wait.catch(() => undefined);
  const c = await inspectRunning(ctx, name);
  const noStdin = flags.stdin === false;
  const tty = c.Config.Tty === true;
  checkTty(ctx.stdin, !noStdin, tty);
  const stdin = !noStdin && c.Config.OpenStdin === true;
  const sigProxy = flags.sigProxy !== false && !cmd.explicitFalse.has('sigProxy');
  const stopForwarding = sigProxy && !tty ? forwardSignals(ctx.client, c.Id) : (): void => undefined;
  let stopResize = (): void => undefined;
  let session: AttachSession | undefined;
  try {
    session = await attachContainer(ctx, name, { stdin, stdout: true, stderr: true, tty, detachKeys: flags.detachKeys });
    // The container may have stopped between the first check and the attach: check again rather than hang.
    await inspectRunning(ctx, name);
    if (tty && ctx.stdout.isTTY) {
      // docker resizes one larger first, so a shell redraws its prompt on every re-attach.
      const [h, w] = ttySize(ctx.stdout);
      if (h !== 0 || w !== 0) await ctx.client.containerResize(name, h + 1, w + 1).catch(() => undefined);
      stopResize = monitorContainerTty(ctx, name);
    }
    const end = await session.done;
    // docker returns the term.EscapeError itself: "read escape sequence", exit 1.
    if (end === 'detached') throw new StatusError('read escape sequence', 1);
    const r = await (await wait).result;
    const err = exitStatusError(r);
    if (err) throw err;
  } finally {
    stopResize();
    stopForwarding();
    session?.close();
  }
}

export function registerAttachCommands(root: DockerCommand, container: DockerCommand): void {
  for (const parent of [root, container]) {
    addCommand(
      parent,
      {
        name: 'attach',
        use: '[OPTIONS] CONTAINER',
        short: 'Attach local standard input, output, and error streams to a running container',
        args: exactArgs(1),
        aliasesLine: 'berth container attach, berth attach',
      },
      (cmd) => {
        cmd
          .str('--detach-keys <string>', 'Override the key sequence for detaching a container')
          .bool('--no-stdin', 'Do not attach STDIN')
          .bool('--sig-proxy', 'Proxy all received signals to the process (default true)');
        handle<AttachFlags>(cmd, (ctx, args, opts, self) => runAttach(ctx, args[0]!, opts, self));
      },
    );
  }
}
