// Bundles the two executables with esbuild: one file each starts far faster than many ESM modules
// (see RUNTIME-NOTES: ~70 ms vs ~140 ms). Native addons stay external; everything else is inlined.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  external: ['better-sqlite3', 'node-unix-socket'],
  // Bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);" },
  logLevel: 'warning',
};

await Promise.all([
  // The CLI is split: its entry is tiny and the command tree is a chunk loaded only when a command runs, so
  // `berth --version` reads a few hundred bytes of JavaScript instead of the whole CLI.
  build({ ...common, entryPoints: { berth: 'src/cli/main.ts' }, outdir: 'dist/cli', splitting: true, outExtension: { '.js': '.mjs' }, chunkNames: 'chunks/[name]-[hash]' }),
  // The daemon keeps its source in memory for as long as it runs: whitespace and syntax minified (names kept, so
  // stack traces still read) saves about 1 MB of idle RSS.
  build({ ...common, entryPoints: ['src/daemon/main.ts'], outfile: 'dist/berthd.mjs', minifyWhitespace: true, minifySyntax: true }),
]);
