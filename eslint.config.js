// Lint: typescript-eslint's recommended rules plus the layering rule that keeps imports pointing one way
// (see ARCHITECTURE.md). Each folder lists what it must never import.
import tseslint from 'typescript-eslint';

const layer = (files, forbidden, message) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { patterns: [{ group: forbidden, message }] }],
  },
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  layer(
    ['src/pkg/**/*.ts'],
    ['**/registry/**', '**/core/**', '!**/core/errdefs.js', '!**/core/mount.js', '**/plugins/**', '**/services/**', '**/api/**', '**/daemon/**', '**/client/**', '**/cli/**', 'better-sqlite3', 'node-unix-socket'],
    'src/pkg holds leaf helpers: it may import only src/pkg (and core/errdefs and core/mount, plain value types).',
  ),
  layer(
    ['src/core/**/*.ts'],
    ['**/registry/**', '**/plugins/**', '**/services/**', '**/api/**', '**/daemon/**', '**/client/**', '**/cli/**', 'better-sqlite3', 'node-unix-socket'],
    'src/core holds contracts and pure logic: it may import only src/core and src/pkg.',
  ),
  layer(
    ['src/plugins/**/*.ts'],
    ['**/registry/**', '**/services/**', '**/api/**', '**/daemon/**', '**/client/**', '**/cli/**'],
    'Plugins implement core contracts: they may import src/core and src/pkg only (daemon/ wires them).',
  ),
  layer(
    ['src/services/**/*.ts'],
    ['**/registry/**', '**/plugins/**', '**/api/**', '**/daemon/**', '**/client/**', '**/cli/**', 'better-sqlite3', 'node-unix-socket'],
    'Services speak to contracts in src/core, never to plugins, the API or the CLI.',
  ),
  layer(
    ['src/api/**/*.ts'],
    ['**/registry/**', '**/plugins/**', '**/daemon/**', '**/client/**', '**/cli/**', 'better-sqlite3', 'node-unix-socket'],
    'The API layer forwards to services; it never reaches plugins or the daemon.',
  ),
  layer(
    ['src/client/**/*.ts'],
    ['**/registry/**', '**/core/**', '**/plugins/**', '**/services/**', '**/api/**', '**/daemon/**', '**/cli/**', 'better-sqlite3', 'node-unix-socket'],
    'The client speaks HTTP only: it may import src/pkg.',
  ),
  layer(
    ['src/cli/**/*.ts'],
    ['**/core/**', '**/plugins/**', '**/services/**', '**/api/**', '**/daemon/**', '**/registry/**', 'better-sqlite3', 'node-unix-socket'],
    'The CLI has no back door: it speaks to berthd only through src/client.',
  ),
  // `berth registry serve` runs the registry server in-process (no berthd involved): only this file may load it.
  layer(
    ['src/cli/commands/registry.ts'],
    ['**/core/**', '**/plugins/**', '**/services/**', '**/api/**', '**/daemon/**', 'better-sqlite3', 'node-unix-socket'],
    'The CLI has no back door: it speaks to berthd only through src/client (registry.ts alone may start src/registry).',
  ),
  layer(
    ['src/registry/**/*.ts'],
    ['**/core/**', '**/plugins/**', '**/services/**', '**/api/**', '**/daemon/**', '**/client/**', '**/cli/**', 'better-sqlite3', 'node-unix-socket'],
    'src/registry is a standalone distribution server: it may import only src/pkg (and node builtins, bcryptjs).',
  ),
  layer(
    ['src/daemon/**/*.ts'],
    ['**/registry/**', '**/client/**', '**/cli/**'],
    'The daemon composes plugins, services and the API; it never uses the CLI or client.',
  ),
);
