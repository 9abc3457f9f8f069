import { createReadStream } from 'node:fs';
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

/**
 * Writes a directory in overlay form (a container's upper dir, or a layer snapshot) as a Docker layer tar:
 * overlay whiteouts (0/0 character devices) become `.wh.<name>` files and opaque directories
 * (`trusted.overlay.opaque=y`) get a `.wh..wh..opq` entry. Entries come in sorted order, directories before
 * their content; a file with several links inside the directory is written once and linked after.
 * Modes, ownership, mtimes, symlinks, devices and fifos are kept; other xattrs are not carried (yet).
 */
export function writeLayerTar(dir: string, opts: { signal?: AbortSignal } = {}): Readable {
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  void (async () => {
    const { default: tar } = await import('tar-stream');
    const pack = tar.pack();
    pack.pipe(out);
    try {
      const opaque = await opaqueDirs(dir, opts.signal);
      await walk(pack, dir, '', opaque, new Map(), opts.signal);
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
      out.destroy(err as Error);
    }
  })();
  return out;
}

async function walk(
  pack: tarStream.Pack,
  root: string,
  rel: string,
  opaque: ReadonlySet<string>,
  inodes: Map<string, string>,
  signal: AbortSignal | undefined,
): Promise<void> {
  const names = (await readdir(join(root, rel))).sort();
  for (const name of names) {
    signal?.throwIfAborted();
    const path = rel === '' ? name : `${rel}/${name}`;
    const full = join(root, path);
    const st = await lstat(full, { bigint: false });
    const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
    if (st.isCharacterDevice() && st.rdev === 0) {
      const wh = rel === '' ? `${WHITEOUT_PREFIX}${name}` : `${rel}/${WHITEOUT_PREFIX}${name}`;
      await entry(pack, { ...base, name: wh, type: 'file', size: 0, mode: 0o600 }, Buffer.alloc(0));
      continue;
    }
    if (st.isDirectory()) {
      await entry(pack, { ...base, name: `${path}/`, type: 'directory' }, undefined);
      if (opaque.has(path)) await entry(pack, { ...base, name: `${path}/${OPAQUE_MARKER}`, type: 'file', size: 0, mode: 0o600 }, Buffer.alloc(0));
      await walk(pack, root, path, opaque, inodes, signal);
      continue;
    }
    if (st.nlink > 1 && !st.isDirectory()) {
      const key = `${st.dev}:${st.ino}`;
      const first = inodes.get(key);
      if (first !== undefined) {
        await entry(pack, { ...base, name: path, type: 'link', linkname: first }, undefined);
        continue;
      }
      inodes.set(key, path);
    }
    if (st.isSymbolicLink()) {
      await entry(pack, { ...base, name: path, type: 'symlink', linkname: await readlink(full) }, undefined);
    } else if (st.isFile()) {
      if (st.size <= SMALL_FILE) {
        await entry(pack, { ...base, name: path, type: 'file', size: st.size }, await readFile(full));
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
