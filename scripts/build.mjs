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
  build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/berth.mjs' }),
  build({ ...common, entryPoints: ['src/daemon/main.ts'], outfile: 'dist/berthd.mjs' }),
]);
