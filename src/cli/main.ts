/**
 * `berth` entry point. `berth --version`/`-v` answers before anything else is loaded (it is benchmarked against a
 * bare `node -e 0`); every other invocation loads the command tree lazily.
 */
import { versionLine } from './version.js';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  process.stdout.write(`${versionLine()}\n`);
} else {
  const { runCli } = await import('./cli.js');
  const code = await runCli(argv);
  // Exit explicitly: an attached stdin or a lingering socket must not keep the process alive. Writes to pipes and
  // files are synchronous on Linux, so nothing buffered is lost.
  process.exit(code);
}
