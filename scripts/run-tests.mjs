// Runs the test suite: every `*.test.ts` under src/ and test/ (or the files given as arguments) is bundled
// by esbuild into dist/tests/ and handed to `node --test`. Type checking is a separate step (`tsc --noEmit`),
// so a test run never waits on it. Node 20's runner takes no globs, hence the explicit list.
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const files = (args.length > 0 ? args : [...findTests('src'), ...findTests('test')]).sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// A directory per run, so two runs at once (e.g. two engineers) do not delete each other's bundles.
const outDir = join('dist', `tests-${process.pid}`);
const outFiles = files.map((f) => join(outDir, relative('.', f).replace(/\.ts$/, '.mjs')));
await Promise.all(
  files.map((f, i) =>
    build({
      entryPoints: [f],
      outfile: outFiles[i],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      sourcemap: 'inline',
      packages: 'external',
      logLevel: 'warning',
    }),
  ),
);
const concurrency = process.env.BERTH_TEST_CONCURRENCY ?? '2';
const child = spawn(process.execPath, ['--enable-source-maps', '--test', `--test-concurrency=${concurrency}`, ...outFiles], {
  stdio: 'inherit',
});
child.on('exit', (code, signal) => {
  rmSync(outDir, { recursive: true, force: true });
  process.exit(code ?? (signal ? 1 : 0));
});
