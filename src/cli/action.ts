/**
 * Wiring between commander actions and berth handlers: the per-invocation {@link CliContext} (created from the
 * root's global options on first use) and docker's error text.
 */
import { EngineApiError } from '../client/errors.js';
import { CliContext, type GlobalOptions } from './cli-context.js';
import type { DockerCommand } from './command.js';

/** The text docker prints for an error: API errors carry the "Error response from daemon: " prefix. */
export function errorText(e: unknown): string {
  if (e instanceof EngineApiError) return `Error response from daemon: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}

const contexts = new WeakMap<DockerCommand, CliContext>();

function rootOf(cmd: DockerCommand): DockerCommand {
  let c: DockerCommand = cmd;
  while (c.parent) c = c.parent as DockerCommand;
  return c;
}

function contextFor(cmd: DockerCommand): CliContext {
  const root = rootOf(cmd);
  let ctx = contexts.get(root);
  if (!ctx) {
    ctx = new CliContext(root.opts<GlobalOptions>());
    contexts.set(root, ctx);
  }
  return ctx;
}

/** Releases the invocation's client, if one was made. */
export function closeContext(root: DockerCommand): void {
  contexts.get(root)?.close();
}

export type Handler<O> = (ctx: CliContext, args: string[], opts: O, cmd: DockerCommand) => Promise<void> | void;

/** Attaches a handler: checks the positional count (docker's messages), then runs with the invocation context. */
export function handle<O>(cmd: DockerCommand, handler: Handler<O>): DockerCommand {
  cmd.action(async (args: string[], opts: O, self: DockerCommand) => {
    self.checkArgs(args);
    await handler(contextFor(self), args, opts, self);
  });
  return cmd;
}
