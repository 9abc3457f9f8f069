// Bundles one TypeScript entry (e.g. bench/bench.ts) with esbuild and runs it with the remaining arguments.
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { join, relative } from 'node:path';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs <file.ts> [args...]');
  process.exit(2);
}
const outfile = join('dist', 'run', relative('.', entry).replace(/\.ts$/, '.mjs'));
await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', target: 'node20', format: 'esm', packages: 'external', sourcemap: 'inline', logLevel: 'warning' });
// RUNTS_NODE_FLAGS passes flags to that Node (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile a benchmark).
const nodeFlags = (process.env.RUNTS_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const child = spawn(process.execPath, [...nodeFlags, '--enable-source-maps', outfile, ...args], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
