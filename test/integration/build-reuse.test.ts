// A COPY that misses the cache links the files an earlier run of it wrote, when they are identical, instead of
// writing them again; the image is the same either way.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { useTestDaemon } from '../harness.js';

const daemon = useTestDaemon();
let dir = '';
before(() => {
  dir = mkdtempSync('/tmp/breuse-');
  mkdirSync(join(dir, 'small', 'sub'), { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY small/ /app/\nRUN cat /app/a.txt /app/b.txt /app/sub/c.txt > /all\n');
  writeFileSync(join(dir, 'small', 'a.txt'), 'a1\n');
  writeFileSync(join(dir, 'small', 'b.txt'), 'b1\n');
  writeFileSync(join(dir, 'small', 'sub', 'c.txt'), 'c1\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

function build(args: string[] = []): void {
  const r = daemon().berth(['build', '-q', ...args, '-t', 'reuse', dir], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
}

/** Every copy of `/app/<rel>` in the daemon's snapshot directories (layers and leftovers alike). */
function copiesOf(rel: string): Array<{ path: string; ino: number; nlink: number }> {
  const snapshots = join(daemon().dataRoot, 'snapshots');
  const out: Array<{ path: string; ino: number; nlink: number }> = [];
  for (const id of readdirSync(snapshots)) {
    const path = join(snapshots, id, 'fs', 'app', rel);
    if (!existsSync(path)) continue;
    const st = statSync(path);
    out.push({ path, ino: st.ino, nlink: st.nlink });
  }
  return out;
}

function inodes(rel: string): number {
  return new Set(copiesOf(rel).map((c) => c.ino)).size;
}

function catInImage(): string {
  const r = daemon().berth(['run', '--rm', 'reuse', 'sh', '-c', 'cat /all; cat /app/a.txt /app/b.txt /app/sub/c.txt; stat -c %Y /app/a.txt']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** The files of the image's COPY layer, as `berth save` writes it (the layer tar, not the snapshot). */
function copyLayerFiles(): Record<string, string> {
  const out = mkdtempSync('/tmp/breuse-save-');
  try {
    const tarPath = join(out, 'img.tar');
    assert.equal(daemon().berth(['save', '-o', tarPath, 'reuse']).code, 0);
    assert.equal(spawnSync('tar', ['-xf', tarPath, '-C', out]).status, 0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Array<{ Layers: string[] }>;
    const layers = manifest[0]?.Layers ?? [];
    // busybox, the COPY, the RUN: the COPY's is the second.
    const layer = join(out, layers[1] ?? '');
    const files: Record<string, string> = {};
    for (const name of ['app/a.txt', 'app/b.txt', 'app/sub/c.txt']) {
      const r = spawnSync('tar', ['-xOf', layer, name], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      files[name] = r.stdout;
    }
    return files;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

describe('build: a COPY that misses the cache links unchanged files from its earlier layer', () => {
  it('links what is identical, writes what changed, and the image and its layer tar hold the new content', () => {
    build();
    assert.equal(inodes('a.txt'), 1);
    writeFileSync(join(dir, 'small', 'b.txt'), 'b2\n');
    build();
    // a.txt and sub/c.txt: one inode shared by both layers; b.txt: a new one.
    assert.equal(copiesOf('a.txt').length, 2);
    assert.equal(inodes('a.txt'), 1);
    assert.equal(inodes('sub/c.txt'), 1);
    assert.equal(inodes('b.txt'), 2);
    assert.match(catInImage(), /^a1\nb2\nc1\na1\nb2\nc1\n/);
    assert.deepEqual(copyLayerFiles(), { 'app/a.txt': 'a1\n', 'app/b.txt': 'b2\n', 'app/sub/c.txt': 'c1\n' });
  });

  it('an mtime is part of what must match: a touched file is written again with its new mtime', () => {
    const when = new Date('2020-01-02T03:04:05Z');
    utimesSync(join(dir, 'small', 'a.txt'), when, when);
    writeFileSync(join(dir, 'small', 'b.txt'), 'b3\n');
    const before = inodes('a.txt');
    build();
    assert.equal(inodes('a.txt'), before + 1);
    assert.match(catInImage(), new RegExp(`^a1\\nb3\\nc1\\na1\\nb3\\nc1\\n${when.getTime() / 1000}\\n`));
  });

  it('--no-cache links nothing', () => {
    const before = inodes('sub/c.txt');
    // A new b.txt: an identical layer would be the existing one (same chain id), whoever wrote it.
    writeFileSync(join(dir, 'small', 'b.txt'), 'b3 again\n');
    build(['--no-cache']);
    assert.equal(inodes('sub/c.txt'), before + 1);
  });

  it('a file missing from the earlier layer is written instead', () => {
    // The last COPY's layer loses c.txt (as if its layer were being removed): the next run cannot link it.
    const newest = copiesOf('sub/c.txt').find((c) => c.nlink === 1);
    assert.ok(newest, 'the --no-cache build wrote its own c.txt');
    unlinkSync(newest.path);
    writeFileSync(join(dir, 'small', 'b.txt'), 'b4\n');
    build();
    assert.match(catInImage(), /^a1\nb4\nc1\n/);
    assert.deepEqual(copyLayerFiles(), { 'app/a.txt': 'a1\n', 'app/b.txt': 'b4\n', 'app/sub/c.txt': 'c1\n' });
  });
});

describe('build: file reuse follows what a COPY finally left at a path', () => {
  it('a file a later source replaced with a symlink is never linked from that layer', () => {
    const ctx = mkdtempSync('/tmp/breuse-multi-');
    try {
      mkdirSync(join(ctx, 'one'));
      mkdirSync(join(ctx, 'two'));
      writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox\nCOPY one/ two/ /m/\n');
      writeFileSync(join(ctx, 'one', 'x'), 'file x\n');
      symlinkSync('elsewhere', join(ctx, 'two', 'x'));
      const run = (): void => {
        const r = daemon().berth(['build', '-q', '-t', 'reuse-multi', ctx], { timeoutMs: 120_000 });
        assert.equal(r.code, 0, r.stdout + r.stderr);
      };
      run();
      // Now nothing replaces one/x: /m/x must be that file, whatever the last layer held at /m/x.
      unlinkSync(join(ctx, 'two', 'x'));
      writeFileSync(join(ctx, 'two', 'other'), 'o\n');
      run();
      const r = daemon().berth(['run', '--rm', 'reuse-multi', 'sh', '-c', 'test -L /m/x && echo link; cat /m/x']);
      assert.equal(r.stdout, 'file x\n', r.stderr);
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }
  });
});
