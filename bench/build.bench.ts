/**
 * Build benchmark: a 12-step Dockerfile over a ~20 MB context (2000 small files and one 10 MB file), built
 * cold (no cache), warm (nothing changed) and after one copied file changed; through the classic API with the
 * docker CLI (DOCKER_BUILDKIT=0) against berthd and against a private dockerd's classic builder, through
 * `berth build`, and through BuildKit: the same private dockerd (20.10) has BuildKit built in, and Debian's
 * docker 20.10 CLI (/usr/bin/docker, from docker.io) still drives it without the buildx plugin
 * (DOCKER_BUILDKIT=1), sending the context incrementally over its session as buildx does. Without that
 * CLI the reference figures for BuildKit (2.1 s / 0.10 s / 1.1 s) stand in, for scale only.
 *
 *   node scripts/build.mjs && node scripts/run-ts.mjs bench/build.bench.ts
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOCKER, REPO, startTestDaemon, BUSYBOX_TAR, ensureBusyboxImage } from '../test/harness.js';
import { dockerdAvailable, startPrivateDockerd } from '../test/private-dockerd.js';

const RUNS = Number(process.env['BENCH_BUILD_RUNS'] ?? '3');
const BUILDKIT_REFERENCE = { cold: 2.1, warm: 0.1, changed: 1.1 };
/** Debian's docker.io CLI (20.10): BuildKit builds without buildx. The v28 CLI needs the buildx plugin. */
const DOCKER_20 = '/usr/bin/docker';

const DOCKERFILE = [
  'FROM busybox',
  'ENV APP=/app',
  'WORKDIR /app',
  'COPY small/ /app/small/',
  'COPY big.bin /app/big.bin',
  'RUN ls /app/small | wc -l > /count',
  'ARG V=1',
  'LABEL v=$V',
  'RUN echo built > /built',
  'COPY Dockerfile /app/',
  'EXPOSE 8080',
  'CMD ["sh"]',
].join('\n');

function makeContext(): string {
  const dir = mkdtempSync('/tmp/bbench-');
  mkdirSync(join(dir, 'small'));
  for (let i = 0; i < 2000; i++) {
    mkdirSync(join(dir, 'small', `d${i % 40}`), { recursive: true });
    writeFileSync(join(dir, 'small', `d${i % 40}`, `f${i}.txt`), Buffer.alloc(5000, i % 251));
  }
  writeFileSync(join(dir, 'big.bin'), Buffer.alloc(10 * 1024 * 1024, 7));
  writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
  return dir;
}

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
  return ms / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

interface Figures {
  cold: number;
  warm: number;
  changed: number;
}

interface Engine {
  name: string;
  build(extra: string[]): number;
  /** The context directory this engine builds (each engine has its own copy). */
  dir: string;
  cold: number[];
  warm: number[];
  changed: number[];
}

/** Warm builds per run: the cheapest figure and the noisiest, so it gets more samples. */
const WARM_PER_RUN = 3;

/**
 * Cold (--no-cache), warm (same context again) and one-file-changed, `RUNS` times each. The engines take
 * turns run by run, so that a slow moment of this shared machine lands on all of them alike.
 */
function measure(engines: Engine[]): void {
  for (const e of engines) e.build([]); // prime: the base image's first use, page cache
  for (let i = 0; i < RUNS; i++) {
    for (const e of engines) {
      e.cold.push(e.build(['--no-cache']));
      for (let w = 0; w < WARM_PER_RUN; w++) e.warm.push(e.build([]));
      writeFileSync(join(e.dir, 'small', 'd0', 'f0.txt'), `changed ${Date.now()} ${i}`);
      e.changed.push(e.build([]));
    }
  }
}

function engine(name: string, dir: string, build: (extra: string[]) => number): Engine {
  return { name, dir, build, cold: [], warm: [], changed: [] };
}

/** Whether Debian's docker 20.10 CLI is here and gets a BuildKit build through to this dockerd. */
function buildkitAvailable(env: NodeJS.ProcessEnv): boolean {
  if (!existsSync(DOCKER_20)) return false;
  const dir = mkdtempSync('/tmp/bbench-kit-');
  try {
    writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nRUN true\n');
    const r = spawnSync(DOCKER_20, ['build', '-q', '--network', 'none', dir], { env: { ...env, DOCKER_BUILDKIT: '1' }, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) console.error(`BuildKit is not usable here, its reference figures stand in: ${r.stderr.trim()}`);
    return r.status === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What the docker CLI alone takes to pack and send this context (to a server that reads the body and
 * answers at once): no engine behind the classic API can build faster than this.
 */
async function cliFloor(dir: string): Promise<number> {
  const root = mkdtempSync('/tmp/bbench-sink-');
  const sock = join(root, 'sink.sock');
  // A child process: the timed runs below block this one's event loop.
  const server = spawn(process.execPath, ['-e', `
    require('node:http').createServer((req, res) => {
      if (req.url.includes('/_ping')) { res.writeHead(200, { 'Api-Version': '1.43' }); res.end('OK'); return; }
      req.resume();
      req.on('end', () => { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end(JSON.stringify({ aux: { ID: 'sha256:' + '0'.repeat(64) } }) + '\\n'); });
    }).listen(process.argv[1], () => console.log('ready'));`, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout.once('data', () => resolve());
      server.once('exit', (code) => reject(new Error(`the sink server exited (${code})`)));
    });
    const env = { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_BUILDKIT: '0' };
    const times: number[] = [];
    for (let i = 0; i < RUNS * WARM_PER_RUN; i++) times.push(timed(DOCKER, ['build', '-q', '-t', 'floor', dir], env));
    return median(times);
  } finally {
    server.kill();
    rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  ensureBusyboxImage();
  const berthd = await startTestDaemon();
  const peer = dockerdAvailable() ? await startPrivateDockerd() : undefined;
  const dirs: string[] = [];
  const context = (): string => {
    const d = makeContext();
    dirs.push(d);
    return d;
  };
  const engines: Engine[] = [];
  let floor = NaN;
  try {
    const env = { ...berthd.env, DOCKER_BUILDKIT: '0' };
    const d1 = context();
    engines.push(engine('berthd, docker CLI (classic API)', d1, (extra) => timed(DOCKER, ['build', '-q', ...extra, '-t', 'bench', d1], env)));
    const d2 = context();
    engines.push(engine('berthd, berth build', d2, (extra) => timed(process.execPath, [join(REPO, 'bin/berth'), 'build', '-q', ...extra, '-t', 'bench2', d2], env)));
    if (peer) {
      const denv = { ...peer.env, DOCKER_BUILDKIT: '0' };
      const load = spawnSync(DOCKER, ['load', '-i', BUSYBOX_TAR], { env: denv, encoding: 'utf8' });
      if (load.status !== 0) throw new Error(`docker load failed: ${load.stderr}`);
      const d3 = context();
      engines.push(engine('dockerd classic builder', d3, (extra) => timed(DOCKER, ['build', '-q', ...extra, '-t', 'bench', d3], denv)));
      if (buildkitAvailable(peer.env)) {
        const d4 = context();
        const kenv = { ...peer.env, DOCKER_BUILDKIT: '1' };
        // --network none: the private dockerd has no bridge, which BuildKit's RUN would need; its classic
        // builder's RUN steps run without a network there too. berthd's RUN steps are on its bridge.
        engines.push(engine('dockerd BuildKit', d4, (extra) => timed(DOCKER_20, ['build', '-q', '--network', 'none', ...extra, '-t', 'benchkit', d4], kenv)));
      }
    }
    measure(engines);
    floor = await cliFloor(context());
  } finally {
    await berthd.stop();
    await peer?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  const rows: Array<[string, Figures | undefined]> = engines.map((e) => [e.name, { cold: median(e.cold), warm: median(e.warm), changed: median(e.changed) }]);
  if (!peer) rows.push(['dockerd classic builder (not installed)', undefined]);

  const fmt = (n: number | undefined): string => (n === undefined || Number.isNaN(n) ? '   n/a' : `${n.toFixed(2).padStart(6)}`);
  console.log(`\nBuild benchmark: 12 steps, ~20 MB context (2000 x 5 kB + 10 MB), medians of ${RUNS} runs (${RUNS * WARM_PER_RUN} warm builds), engines in turn (seconds)\n`);
  console.log(`${'engine'.padEnd(40)} ${'cold'.padStart(6)} ${'warm'.padStart(6)} ${'1 file'.padStart(6)}`);
  for (const [name, f] of rows) console.log(`${name.padEnd(40)} ${fmt(f?.cold)} ${fmt(f?.warm)} ${fmt(f?.changed)}`);
  if (process.env['BENCH_BUILD_SAMPLES'] === '1') {
    for (const e of engines) console.log(`  ${e.name}: cold ${e.cold.map((x) => x.toFixed(2)).join(' ')} | warm ${e.warm.map((x) => x.toFixed(2)).join(' ')} | 1 file ${e.changed.map((x) => x.toFixed(2)).join(' ')}`);
  }
  console.log(`${'docker CLI alone, to a sink (warm floor)'.padEnd(40)} ${fmt(undefined)} ${fmt(floor)} ${fmt(undefined)}`);
  const measuredKit = rows.find(([n]) => n === 'dockerd BuildKit')?.[1];
  if (!measuredKit) console.log(`${'BuildKit (issue reference, not run here)'.padEnd(40)} ${fmt(BUILDKIT_REFERENCE.cold)} ${fmt(BUILDKIT_REFERENCE.warm)} ${fmt(BUILDKIT_REFERENCE.changed)}`);
  const kit = measuredKit ?? BUILDKIT_REFERENCE;
  const kitNote = measuredKit ? 'same run' : 'reference figure, not same-run';
  const classic = rows.find(([n]) => n.startsWith('berthd, docker CLI'))?.[1];
  const berthCli = rows.find(([n]) => n.startsWith('berthd, berth build'))?.[1];
  const dockerd = rows.find(([n]) => n === 'dockerd classic builder')?.[1];
  console.log('\nRatios (targets in brackets):');
  if (classic && dockerd) console.log(`  classic API warm / dockerd classic warm      ${(classic.warm / dockerd.warm).toFixed(3)}  [<= 0.15]`);
  if (dockerd) console.log(`  docker CLI floor / dockerd classic warm      ${(floor / dockerd.warm).toFixed(3)}  (no classic-API engine can go below this)`);
  if (classic) console.log(`  classic API cold / BuildKit cold             ${(classic.cold / kit.cold).toFixed(3)}  [<= 0.6; ${kitNote}]`);
  if (berthCli) console.log(`  berth build warm / BuildKit warm             ${(berthCli.warm / kit.warm).toFixed(3)}  [<= 1.0; ${kitNote}]`);
  if (berthCli) console.log(`  berth build 1-file / BuildKit 1-file         ${(berthCli.changed / kit.changed).toFixed(3)}  [<= 0.5; ${kitNote}]`);
  if (classic && dockerd) {
    console.log(`  classic API cold / dockerd classic cold      ${(classic.cold / dockerd.cold).toFixed(3)}`);
    console.log(`  classic API 1-file / dockerd classic 1-file  ${(classic.changed / dockerd.changed).toFixed(3)}`);
  }
}

await main();
