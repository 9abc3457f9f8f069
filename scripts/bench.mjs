// `npm run bench`: the engine-wide benchmark (bench/bench.ts), then each area's (bench/*.bench.ts: networking,
// data, build, registry...), one after another so that they never compete for the machine. Arguments name a
// subset: `npm run bench -- build registry` runs bench/build.bench.ts and bench/registry.bench.ts only.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const wanted = process.argv.slice(2);
const areas = readdirSync('bench').filter((f) => f.endsWith('.bench.ts')).sort();
const entries = wanted.length > 0
  ? wanted.map((w) => (w === 'engine' ? 'bench/bench.ts' : join('bench', `${w}.bench.ts`)))
  : ['bench/bench.ts', ...areas.map((f) => join('bench', f))];
let failed = 0;
for (const entry of entries) {
  console.log(`\n=== ${entry}`);
  const r = spawnSync(process.execPath, ['scripts/run-ts.mjs', entry], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`${entry} failed (exit ${r.status ?? r.signal})`);
  }
}
process.exit(failed > 0 ? 1 : 0);
