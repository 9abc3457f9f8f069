import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import tar from 'tar-stream';

import { cleanComponents, RootedFs, RootedFsError } from './rooted-fs.js';
import { untarInRoot } from './rooted-untar.js';
import { packTree } from './tree-tar.js';

/**
 * A "container root" with planted symlinks next to a "host" directory holding a secret, and checks that
 * resolution, reading and extraction stay inside the root whatever the links say.
 */
describe('RootedFs and the rooted tar reader/writer', () => {
  let base: string;
  let root: string;
  let host: string;
  before(() => {
    base = mkdtempSync(join(tmpdir(), 'berth-rooted-'));
    root = join(base, 'root');
    host = join(base, 'host');
    mkdirSync(join(root, 'etc'), { recursive: true });
    mkdirSync(join(root, 'a/b/c'), { recursive: true });
    mkdirSync(host);
    writeFileSync(join(root, 'etc/secret'), 'inside');
    writeFileSync(join(host, 'secret'), 'HOST');
    symlinkSync('/', join(root, 'a/abs'));
    symlinkSync('../../../../../../../../..', join(root, 'a/b/rel'));
    symlinkSync(host, join(root, 'a/hostpath'));
    symlinkSync('/etc', join(root, 'a/etc'));
    symlinkSync('loop2', join(root, 'a/loop1'));
    symlinkSync('loop1', join(root, 'a/loop2'));
    writeFileSync(join(root, 'file'), 'plain');
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  const fdCount = (): number => readdirSync('/proc/self/fd').length;

  it('cleans paths lexically, never above the root', () => {
    assert.deepEqual(cleanComponents('/../../x/./y/../z'), ['x', 'z']);
    assert.deepEqual(cleanComponents(''), []);
  });

  it('resolves absolute, relative and host-pointing symlinks inside the root', async () => {
    const fs = await RootedFs.open(root);
    const fds = fdCount();
    try {
      for (const [path, want] of [
        ['/a/abs/etc/secret', '/etc/secret'],
        ['/a/b/rel/etc/secret', '/etc/secret'],
        ['/a/etc/secret', '/etc/secret'],
        ['a/b/c/../../../etc/secret', '/etc/secret'],
        ['/a/abs', '/'],
      ] as const) {
        const r = await fs.resolve(path, { followFinal: true });
        assert.equal(r.path, want, path);
        r.close();
      }
      // The host path a link names is looked up inside the root, where it does not exist.
      await assert.rejects(fs.resolve('/a/hostpath/secret', { followFinal: true }), (e: unknown) => e instanceof RootedFsError && e.code === 'ENOENT');
      // The last component is not followed unless asked.
      const link = await fs.resolve('/a/abs', { followFinal: false });
      assert.equal(link.path, '/a/abs');
      link.close();
      await assert.rejects(fs.resolve('/a/loop1/x', { followFinal: true }), (e: unknown) => e instanceof RootedFsError && e.code === 'ELOOP');
      await assert.rejects(fs.resolve('/file/x', { followFinal: true }), (e: unknown) => e instanceof RootedFsError && e.code === 'ENOTDIR');
      await assert.rejects(fs.openDir('/file'), (e: unknown) => e instanceof RootedFsError && e.code === 'ENOTDIR');
    } finally {
      fs.close();
    }
    assert.equal(fdCount(), fds - 1, 'descriptors leaked');
  });

  it('follows emulated mounts to their host sources', async () => {
    writeFileSync(join(base, 'mounted-file'), 'from the mount');
    mkdirSync(join(base, 'mounted-dir'), { recursive: true });
    // runc makes mount points before mounting: the emulation crosses them where they exist.
    mkdirSync(join(root, 'mnt/data'), { recursive: true });
    writeFileSync(join(base, 'mounted-dir/x'), 'x in mount');
    const fs = await RootedFs.open(root, [
      { destination: '/etc/hosts', source: join(base, 'mounted-file') },
      { destination: '/mnt/data', source: join(base, 'mounted-dir') },
    ]);
    try {
      const chunks: Buffer[] = [];
      const r = await fs.resolve('/a/etc', { followFinal: false });
      for await (const c of packTree(r.dirFd, r.name, { topName: 'etc', topPath: '/a/etc', redirect: (p) => fs.mountAt(p) })) chunks.push(c);
      r.close();
      const e = await fs.resolve('/a/etc/hosts', { followFinal: true });
      assert.equal(readFileSync(`/proc/self/fd/${e.dirFd}/${e.name}`, 'utf8'), 'from the mount');
      e.close();
      const d = await fs.openDir('/mnt/data');
      assert.equal(readFileSync(`/proc/self/fd/${d.fd}/x`, 'utf8'), 'x in mount');
      d.close();
    } finally {
      fs.close();
    }
  });

  it('extracts through planted links into the root, never the host', async () => {
    const fs = await RootedFs.open(root);
    try {
      const pack = tar.pack();
      pack.entry({ name: 'new.txt' }, 'n');
      pack.entry({ name: 'up', type: 'symlink', linkname: '/' });
      pack.entry({ name: 'up/escaped.txt' }, 'e');
      pack.finalize();
      await untarInRoot(pack as unknown as Readable, fs, '/a/b/rel/a/hostpath/../abs/tmp', { noOverwriteDirNonDir: true });
      assert.equal(readFileSync(join(root, 'tmp/new.txt'), 'utf8'), 'n');
      // `up` -> / resolves to the container root, so the file lands at the root's top.
      assert.equal(readFileSync(join(root, 'escaped.txt'), 'utf8'), 'e');
      assert.equal(existsSync(join(host, 'new.txt')), false);
      assert.equal(existsSync('/escaped.txt'), false);
      assert.equal(readFileSync(join(host, 'secret'), 'utf8'), 'HOST');
    } finally {
      fs.close();
    }
  });

  it('refuses entries that climb out of the destination, and keeps going on a well-formed archive', async () => {
    const fs = await RootedFs.open(root);
    try {
      for (const entry of [
        { name: '../../x' },
        { name: 'hl', type: 'link' as const, linkname: '../../etc/secret' },
        { name: 'sl', type: 'symlink' as const, linkname: '../../..' },
      ]) {
        const pack = tar.pack();
        if (entry.type) pack.entry(entry);
        else pack.entry(entry, 'x');
        pack.finalize();
        await assert.rejects(untarInRoot(pack as unknown as Readable, fs, '/a/b', { noOverwriteDirNonDir: true }), /is outside of/);
      }
      const over = tar.pack();
      over.entry({ name: 'c' }, 'file over dir');
      over.finalize();
      await assert.rejects(untarInRoot(over as unknown as Readable, fs, '/a/b', { noOverwriteDirNonDir: true }), /cannot overwrite directory/);
      assert.ok(existsSync(join(root, 'a/b/c')));
    } finally {
      fs.close();
    }
  });

  it('replaces what the container makes in a fresh directory while files are on their way, never following it', async () => {
    const pack = tar.pack();
    pack.entry({ name: 'fresh', type: 'directory', mode: 0o755 });
    pack.entry({ name: 'fresh/a', mode: 0o644 }, 'archive a');
    pack.entry({ name: 'fresh/b', mode: 0o644 }, 'archive b');
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    const bytes = Buffer.concat(chunks);
    const made = join(root, 'a/b/c/fresh');
    // The directory's header alone, then, once the writer has made it, the container's move: a symlink to
    // the host where the first file goes, a file of its own where the second goes; then the files.
    async function* slowly(): AsyncGenerator<Buffer> {
      yield bytes.subarray(0, 512);
      for (let i = 0; i < 1000 && !existsSync(made); i++) await new Promise((r) => setTimeout(r, 5));
      symlinkSync(join(host, 'secret'), join(made, 'a'));
      writeFileSync(join(made, 'b'), 'container b');
      yield bytes.subarray(512);
    }
    const fs = await RootedFs.open(root);
    try {
      await untarInRoot(Readable.from(slowly()), fs, '/a/b/c', { noOverwriteDirNonDir: true });
    } finally {
      fs.close();
    }
    assert.equal(readFileSync(join(host, 'secret'), 'utf8'), 'HOST');
    assert.equal(readFileSync(join(made, 'a'), 'utf8'), 'archive a');
    assert.equal(readFileSync(join(made, 'b'), 'utf8'), 'archive b');
    rmSync(made, { recursive: true });

    // An entry below a file the archive is still writing waits for it, then fails on it, as on any file.
    const under = tar.pack();
    under.entry({ name: 'fresh2', type: 'directory', mode: 0o755 });
    under.entry({ name: 'fresh2/x' }, 'file x');
    under.entry({ name: 'fresh2/x/y' }, 'under x');
    under.finalize();
    const fs2 = await RootedFs.open(root);
    try {
      await assert.rejects(untarInRoot(under as unknown as Readable, fs2, '/a/b/c', { noOverwriteDirNonDir: true }), /not a directory/);
    } finally {
      fs2.close();
    }
    assert.equal(readFileSync(join(root, 'a/b/c/fresh2/x'), 'utf8'), 'file x');
    rmSync(join(root, 'a/b/c/fresh2'), { recursive: true });
  });

  it('packs a tree without following links, with hard links as link entries', async () => {
    const src = join(base, 'src');
    mkdirSync(join(src, 'd'), { recursive: true });
    writeFileSync(join(src, 'd/f'), 'content');
    symlinkSync('/etc/passwd', join(src, 'd/l'));
    const { linkSync } = await import('node:fs');
    linkSync(join(src, 'd/f'), join(src, 'd/h'));
    const fs = await RootedFs.open(base);
    const got = new Map<string, { type: string; body: string; linkname?: string | null }>();
    try {
      const extract = tar.extract();
      const reading = (async () => {
        for await (const e of extract) {
          const chunks: Buffer[] = [];
          for await (const c of e) chunks.push(c as Buffer);
          got.set(e.header.name, { type: e.header.type ?? '', body: Buffer.concat(chunks).toString(), linkname: e.header.linkname });
        }
      })();
      for await (const c of packTree(fs.rootFd, 'src', { topName: 'renamed', topPath: '/src' })) extract.write(c);
      extract.end(null);
      await reading;
    } finally {
      fs.close();
    }
    assert.equal(got.get('renamed/d/f')?.body, 'content');
    assert.equal(got.get('renamed/d/l')?.type, 'symlink');
    assert.equal(got.get('renamed/d/l')?.linkname, '/etc/passwd');
    assert.equal(got.get('renamed/d/h')?.type, 'link');
    assert.equal(got.get('renamed/d/h')?.linkname, 'renamed/d/f');
    assert.equal(got.get('renamed/')?.type, 'directory');
  });
});
