// The build cache's correctness: for each kind of change, exactly the steps Docker's rules say are rebuilt.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { useTestDaemon } from '../harness.js';

const daemon = useTestDaemon();
let dir = '';
before(() => {
  dir = mkdtempSync('/tmp/bcache-');
});
after(() => rmSync(dir, { recursive: true, force: true }));

const DOCKERFILE = [
  'FROM busybox', // 1
  'ARG A=1', // 2
  'COPY a.txt /a.txt', // 3
  'COPY b.txt /b.txt', // 4
  'ENV E=1', // 5
  'RUN echo "$A $E" > /arg', // 6
  'COPY --chown=1:1 c.txt /c.txt', // 7
].join('\n');

function write(files: Record<string, string>): void {
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
}

/** Runs a build and returns the steps that did not come from the cache (FROM excluded). */
function build(args: string[] = []): { rebuilt: number[]; output: string } {
  const r = daemon().docker(['build', ...args, '-t', 'cachetest', dir], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const rebuilt: number[] = [];
  const blocks = r.stdout.split(/^(?=Step \d+\/\d+ : )/m).filter((b) => b.startsWith('Step'));
  for (const b of blocks) {
    const m = /^Step (\d+)\/\d+ : (\S+)/.exec(b);
    if (!m || m[2] === 'FROM') continue;
    if (!b.includes('\n ---> Using cache\n')) rebuilt.push(Number(m[1]));
  }
  return { rebuilt, output: r.stdout };
}

describe('build cache: which steps a change rebuilds', () => {
  before(() => {
    process.env['DOCKER_BUILDKIT'] = '0';
    write({ Dockerfile: DOCKERFILE, 'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c', 'ignored.txt': 'i', '.dockerignore': 'ignored.txt\n' });
    assert.deepEqual(build().rebuilt, [2, 3, 4, 5, 6, 7], 'the first build runs every step');
  });

  it('nothing changed: everything from the cache', () => assert.deepEqual(build().rebuilt, []));

  it('an mtime alone changes nothing', () => {
    utimesSync(join(dir, 'a.txt'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    assert.deepEqual(build().rebuilt, []);
  });

  it('file content: the COPY of it and every later step', () => {
    write({ 'b.txt': 'b2' });
    const { rebuilt, output } = build();
    assert.deepEqual(rebuilt, [4, 5, 6, 7]);
    assert.match(output, /Step 4\/7 : COPY b.txt \/b.txt\n ---> Cache miss: file changed: b.txt\n/);
  });

  it('file mode: the COPY of it and every later step', () => {
    chmodSync(join(dir, 'a.txt'), 0o600);
    assert.deepEqual(build().rebuilt, [3, 4, 5, 6, 7]);
  });

  it('file owner: nothing (the client sends every file as 0:0, as Docker does)', () => {
    chownSync(join(dir, 'c.txt'), 1234, 1234);
    assert.deepEqual(build().rebuilt, []);
  });

  it('a build arg: the steps that use it (RUN) and what follows', () => {
    const { rebuilt, output } = build(['--build-arg', 'A=2']);
    assert.deepEqual(rebuilt, [6, 7]);
    assert.match(output, /Step 6\/7 : RUN echo "\$A \$E" > \/arg\n ---> Cache miss: build arg A changed\n/);
    assert.deepEqual(build(['--build-arg', 'A=2']).rebuilt, [], 'the same value again is cached');
  });

  it('an ENV: that step and every later one', () => {
    write({ Dockerfile: DOCKERFILE.replace('ENV E=1', 'ENV E=2') });
    const { rebuilt, output } = build();
    assert.deepEqual(rebuilt, [5, 6, 7]);
    assert.match(output, /Step 5\/7 : ENV E=2\n ---> Cache miss: the instruction changed \(was: ENV E=1\)\n/);
  });

  it('--chown of a COPY: that step only', () => {
    write({ Dockerfile: DOCKERFILE.replace('ENV E=1', 'ENV E=2').replace('--chown=1:1', '--chown=2:2') });
    assert.deepEqual(build().rebuilt, [7]);
  });

  it('instruction order: from the first moved step on', () => {
    const swapped = DOCKERFILE.replace('ENV E=1', 'ENV E=2').replace('--chown=1:1', '--chown=2:2').replace('COPY a.txt /a.txt\nCOPY b.txt /b.txt', 'COPY b.txt /b.txt\nCOPY a.txt /a.txt');
    write({ Dockerfile: swapped });
    assert.deepEqual(build().rebuilt, [3, 4, 5, 6, 7]);
  });

  it('a .dockerignored file: nothing', () => {
    write({ 'ignored.txt': 'changed' });
    assert.deepEqual(build().rebuilt, []);
  });

  it('--no-cache: everything', () => assert.deepEqual(build(['--no-cache']).rebuilt, [2, 3, 4, 5, 6, 7]));
});
