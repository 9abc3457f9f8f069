import { createReadStream } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type tarStream from 'tar-stream';
import { exec } from '../../pkg/exec.js';

const OPAQUE_MARKER = '.wh..wh..opq';
const WHITEOUT_PREFIX = '.wh.';
/** Files up to this size are read whole and handed to the packer in one piece. */
const SMALL_FILE = 256 * 1024;
const READ_AHEAD = 64;

/**
 * Writes a directory in overlay form (a container's upper dir, or a layer snapshot) as a Docker layer tar:
 * overlay whiteouts (0/0 character devices) become `.wh.<name>` files and opaque directories
 * (`trusted.overlay.opaque=y`) get a `.wh..wh..opq` entry. Entries come in sorted order, directories before
 * their content; a file with several links inside the directory is written once and linked after.
 * Modes, ownership, mtimes, symlinks, devices and fifos are kept; other xattrs are not carried (yet).
 */
export function writeLayerTar(dir: string, opts: { signal?: AbortSignal } = {}): { tar: Readable; contentSize: Promise<number> } {
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  const contentSize = (async () => {
    const { default: tar } = await import('tar-stream');
    const pack = tar.pack();
    pack.pipe(out);
    try {
      const [opaque, entries] = await Promise.all([opaqueDirs(dir, opts.signal), listTree(dir, opts.signal)]);
      const size = await writeEntries(pack, dir, entries, opaque, opts.signal);
      pack.finalize();
      return size;
    } catch (err) {
      pack.destroy(err as Error);
      out.destroy(err as Error);
      throw err;
    }
  })();
  contentSize.catch(() => undefined);
  return { tar: out, contentSize };
}

interface TreeEntry {
  path: string;
  st: Stats;
}

/**
 * Every path under `dir` in tar order (sorted, a directory before its content), with its lstat. Siblings are
 * stat'ed together: one at a time, the round trips through libuv's pool dominate for thousands of files.
 */
async function listTree(dir: string, signal: AbortSignal | undefined): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const visit = async (rel: string): Promise<void> => {
    signal?.throwIfAborted();
    const names = (await readdir(rel === '' ? dir : join(dir, rel))).sort();
    const stats = await Promise.all(names.map((n) => lstat(join(dir, rel, n))));
    for (const [i, name] of names.entries()) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const st = stats[i] as Stats;
      out.push({ path, st });
      if (st.isDirectory()) await visit(path);
    }
  };
  await visit('');
  return out;
}

/** Writes the entries; small files are read ahead, a window at a time. Returns the bytes of file content. */
async function writeEntries(pack: tarStream.Pack, root: string, entries: TreeEntry[], opaque: ReadonlySet<string>, signal: AbortSignal | undefined): Promise<number> {
  const inodes = new Map<string, string>();
  const reads = new Map<number, Promise<Buffer>>();
  let ahead = 0;
  let size = 0;
  const small = (e: TreeEntry): boolean => e.st.isFile() && e.st.size <= SMALL_FILE && !(e.st.nlink > 1);
  const fill = (from: number): void => {
    for (ahead = Math.max(ahead, from); ahead < entries.length && ahead < from + READ_AHEAD; ahead++) {
      const e = entries[ahead] as TreeEntry;
      if (small(e) && !reads.has(ahead)) {
        const p = readFile(join(root, e.path));
        p.catch(() => undefined);
        reads.set(ahead, p);
      }
    }
  };
  for (const [i, e] of entries.entries()) {
    signal?.throwIfAborted();
    fill(i);
    const { path, st } = e;
    const slash = path.lastIndexOf('/');
    const rel = slash < 0 ? '' : path.slice(0, slash);
    const name = path.slice(slash + 1);
    const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
    if (st.isCharacterDevice() && st.rdev === 0) {
      const wh = rel === '' ? `${WHITEOUT_PREFIX}${name}` : `${rel}/${WHITEOUT_PREFIX}${name}`;
      await entry(pack, { ...base, name: wh, type: 'file', size: 0, mode: 0o600 }, Buffer.alloc(0));
      continue;
    }
    if (st.isDirectory()) {
      await entry(pack, { ...base, name: `${path}/`, type: 'directory' }, undefined);
      if (opaque.has(path)) await entry(pack, { ...base, name: `${path}/${OPAQUE_MARKER}`, type: 'file', size: 0, mode: 0o600 }, Buffer.alloc(0));
      continue;
    }
    if (st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = inodes.get(key);
      if (first !== undefined) {
        await entry(pack, { ...base, name: path, type: 'link', linkname: first }, undefined);
        continue;
      }
      inodes.set(key, path);
    }
    const full = join(root, path);
    if (st.isSymbolicLink()) {
      await entry(pack, { ...base, name: path, type: 'symlink', linkname: await readlink(full) }, undefined);
    } else if (st.isFile()) {
      size += st.size;
      const pending = reads.get(i);
      reads.delete(i);
      if (pending) {
        await entry(pack, { ...base, name: path, type: 'file', size: st.size }, await pending);
      } else {
        await new Promise<void>((resolve, reject) => {
          const sink = pack.entry({ ...base, name: path, type: 'file', size: st.size }, (err) => (err ? reject(err) : resolve()));
          pipeline(createReadStream(full), sink).catch(reject);
        });
      }
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const type = st.isCharacterDevice() ? 'character-device' : 'block-device';
      await entry(pack, { ...base, name: path, type, devmajor: Math.floor(st.rdev / 256) & 0xfff, devminor: (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00) }, undefined);
    } else if (st.isFIFO()) {
      await entry(pack, { ...base, name: path, type: 'fifo' }, undefined);
    }
    // Sockets are not archived (as in Docker).
  }
  return size;
}

function entry(pack: tarStream.Pack, header: Parameters<tarStream.Pack["entry"]>[0], body: Buffer | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, body ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
  });
}

/** Directories (relative paths) marked opaque, found with one `getfattr -R` (Node has no getxattr). */
async function opaqueDirs(dir: string, signal: AbortSignal | undefined): Promise<Set<string>> {
  const { stdout } = await exec('getfattr', ['-R', '-h', '--absolute-names', '-n', 'trusted.overlay.opaque', dir], {
    signal,
    maxOutput: Infinity,
  });
  const out = new Set<string>();
  let current: string | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('# file: ')) current = unescapeOctal(line.slice(8));
    else if (current !== undefined && /^trusted\.overlay\.opaque="y"$/.test(line)) {
      const rel = current.slice(dir.length).replace(/^\/+/, '');
      if (rel !== '') out.add(rel);
    }
  }
  return out;
}

function unescapeOctal(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && /^[0-7]{3}$/.test(s.slice(i + 1, i + 4))) {
      bytes.push(parseInt(s.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(...Buffer.from(s[i] as string, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
