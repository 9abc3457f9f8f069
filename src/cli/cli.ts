/**
 * Builds the command tree and runs one invocation, turning every failure into docker's stderr text and exit code.
 */
import { CommanderError } from 'commander';
import { DaemonConnectionError, EngineApiError } from '../client/errors.js';
import { addCommand, addGroup, BIN, DockerCommand } from './command.js';
import { StatusError } from './errors.js';
import { versionLine } from './version.js';
import { closeContext, errorText } from './action.js';
import { registerImageCommands } from './commands/images.js';
import { registerInspectCommands } from './commands/inspect.js';
import { registerContainerCommands } from './commands/containers.js';
import { registerRunCommands } from './commands/run.js';
import { registerSystemCommands } from './commands/system.js';
import { registerAttachCommands } from './commands/attach.js';
import { registerContainerAdminCommands } from './commands/container-admin.js';
import { registerExecCommands } from './commands/exec.js';
import { registerPruneCommands } from './commands/prune.js';
import { registerEventsCommands } from './commands/events.js';
import { registerStatsCommands } from './commands/stats.js';
import { registerRegistryCommands } from './commands/registry.js';
import { registerVolumeCommands } from './commands/volumes.js';
import { registerNetworkCommands } from './commands/network.js';
import { registerCpCommands } from './commands/cp.js';
import { registerBuildCommands } from './commands/build.js';
import { registerDistributionCommands } from './commands/distribution.js';

export function buildProgram(): DockerCommand {
  const program = new DockerCommand(BIN);
  program.short = 'A self-sufficient runtime for containers';
  program.use = '[OPTIONS] COMMAND [ARG...]';
  program.description(program.short);
  program.enablePositionalOptions();
  program.helpOption('--help', 'Print usage');
  program
    .str('--config <string>', 'Location of client config files')
    .str('-c, --context <string>', 'Name of the context to use to connect to the daemon')
    .bool('-D, --debug', 'Enable debug mode')
    .list('-H, --host <list>', 'Daemon socket to connect to')
    .str('-l, --log-level <string>', 'Set the logging level ("debug", "info", "warn", "error", "fatal")', 'info')
    .bool('-v, --version', 'Print version information and quit');
  program.allowExcessArguments(true);
  program.argument('[args...]');
  program.action((args: string[], opts: { version?: boolean }) => {
    if (opts.version) {
      process.stdout.write(`${versionLine()}\n`);
      return;
    }
    if (args.length === 0) {
      process.stdout.write(program.helpInformation());
      return;
    }
    throw program.unknownCommandError(args[0]!);
  });

  const container = addGroup(program, 'container', 'Manage containers');
  const image = addGroup(program, 'image', 'Manage images');
  const system = addGroup(program, 'system', 'Manage Berth');
  const volume = addGroup(program, 'volume', 'Manage volumes');
  registerSystemCommands(program);
  registerInspectCommands(program, container, image);
  registerImageCommands(program, image);
  registerRunCommands(program, container);
  registerContainerCommands(program, container);
  registerAttachCommands(program, container);
  registerExecCommands(program, container);
  registerContainerAdminCommands(program, container);
  registerPruneCommands(container, image);
  registerEventsCommands(program, system);
  registerStatsCommands(program, container);
  registerRegistryCommands(program);
  registerVolumeCommands(volume);
  registerNetworkCommands(program);
  registerCpCommands(program, container);
  registerBuildCommands(program, image);
  registerDistributionCommands(program, image);

  // `berth help [COMMAND...]`, as cobra provides it.
  const help = addCommand(program, { name: 'help', use: '[command]', short: 'Help about any command', args: { kind: 'any' }, hidden: true });
  help.action((args: string[]) => {
    let target: DockerCommand = program;
    for (const name of args) {
      const next = target.commands.find((c) => c.name() === name || c.aliases().includes(name)) as DockerCommand | undefined;
      next?.ensureSetup();
      if (!next) throw new StatusError(`unknown help topic: ${args.join(' ')}`, 1);
      target = next;
    }
    process.stdout.write(target.helpInformation());
  });

  // Commander's own messages never reach the user: every error is rethrown and printed in docker's words.
  const quiet = (cmd: DockerCommand): void => {
    cmd.exitOverride();
    cmd.configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
      outputError: () => undefined,
    });
    for (const sub of cmd.commands) quiet(sub as DockerCommand);
  };
  quiet(program);
  return program;
}

/** Runs `berth <argv>`; resolves with the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  // A closed stdout (`berth save busybox | head`) ends the run like Go's SIGPIPE death: quietly, status 141.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(141);
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException | undefined)?.code === 'EPIPE') return 141;
    if (e instanceof StatusError) {
      if (e.message !== '') process.stderr.write(`${e.message}\n`);
      return e.statusCode;
    }
    if (e instanceof CommanderError) {
      // Help and version displays end here; anything else is a parse failure commander reported itself.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return 0;
      process.stderr.write(`${e.message.replace(/^error: /, '')}\n`);
      return 125;
    }
    if (e instanceof DaemonConnectionError || e instanceof EngineApiError || e instanceof Error) {
      process.stderr.write(`${errorText(e)}\n`);
      return 1;
    }
    process.stderr.write(`${String(e)}\n`);
    return 1;
  } finally {
    closeContext(program);
  }
}
