import { availableParallelism } from 'node:os';
import { USAGE, parseDaemonArgs } from './config.js';
import { BERTH_VERSION } from '../pkg/version.js';

/** berthd entry point: flags → config → start; the composition lives in daemon.ts. */
async function main(): Promise<void> {
  // Layer compression and decompression run on libuv's pool; its default of 4 threads would cap a push or pull
  // on bigger hosts. Read when the pool starts (on first use), so setting it here, before any work, is in time.
  process.env['UV_THREADPOOL_SIZE'] ??= String(Math.max(4, availableParallelism() + 2));
  let parsed;
  try {
    parsed = parseDaemonArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`berthd: ${(err as Error).message}\nSee 'berthd --help'.\n`);
    process.exit(125);
  }
  if (parsed.kind === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`Berth version ${BERTH_VERSION}\n`);
    return;
  }
  // Builds copy and tar thousands of small files through libuv's pool; its default of 4 threads bounds them.
  process.env['UV_THREADPOOL_SIZE'] ??= '16';
  const { startDaemon } = await import('./daemon.js');
  const daemon = await startDaemon(parsed.config).catch((err: unknown) => {
    process.stderr.write(`berthd: failed to start daemon: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void daemon.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
