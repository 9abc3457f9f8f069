// Dockerfile builds through the classic API: the real docker CLI (DOCKER_BUILDKIT=0), raw API requests and
// berth build, with real RUN containers, layers and the cache.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { leftovers, useTestDaemon, type CommandResult } from '../harness.js';

const daemon = useTestDaemon();
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function context(files: Record<string, string>): string {
  const dir = mkdtempSync('/tmp/bctx-');
  dirs.push(dir);
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  return dir;
}

function dockerBuild(args: string[], opts: { input?: string } = {}): CommandResult {
  const d = daemon();
  const r = d.docker(['build', ...args], { ...opts, timeoutMs: 120_000 });
  return r;
}

/** Steps that ran (not taken from the cache), by step number, from the classic builder's output. */
function rebuiltSteps(output: string): number[] {
  const out: number[] = [];
  let step = 0;
  let cached = false;
  for (const line of output.split('\n')) {
    const m = /^Step (\d+)\/\d+ : (\S+)/.exec(line);
    if (m) {
      if (step > 0 && !cached) out.push(step);
      step = m[2] === 'FROM' ? 0 : Number(m[1]);
      cached = false;
    } else if (line === ' ---> Using cache') cached = true;
  }
  if (step > 0 && !cached) out.push(step);
  return out;
}

process.env['DOCKER_BUILDKIT'] = '0';

describe('docker build (classic builder)', () => {
  it('builds FROM, RUN, COPY, ENV, WORKDIR, CMD and tags the result', () => {
    const dir = context({
      Dockerfile: 'FROM busybox\nENV GREETING=hello\nWORKDIR /app\nCOPY hello.txt .\nRUN echo "$GREETING $(cat hello.txt)" > out.txt\nCMD ["cat", "/app/out.txt"]\n',
      'hello.txt': 'world',
    });
    const r = dockerBuild(['-t', 'smoke:1', '-t', 'smoke:2', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^Step 1\/6 : FROM busybox\n ---> [0-9a-f]{12}\n/m);
    assert.match(r.stdout, /Step 5\/6 : RUN echo "\$GREETING \$\(cat hello.txt\)" > out.txt\n ---> Running in [0-9a-f]{12}\n/);
    assert.match(r.stdout, /Successfully built [0-9a-f]{12}\nSuccessfully tagged smoke:1\nSuccessfully tagged smoke:2\n/);
    const run = daemon().docker(['run', '--rm', 'smoke:1']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'hello world\n');
    const hist = daemon().docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'smoke:2']);
    assert.match(hist.stdout, /^\/bin\/sh -c #\(nop\)  CMD \["cat","\/app\/out.txt"\]\n\/bin\/sh -c echo "\$GREETING/);
  });
});
