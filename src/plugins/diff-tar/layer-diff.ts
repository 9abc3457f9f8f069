import { Readable } from 'node:stream';
import type { DiffDirectoryOptions, LayerTar } from '../../core/diff.js';
import { opaqueDirs } from '../../pkg/overlay-opaque.js';
import { closeQuietly, DIR_OPEN_FLAGS, fdOpen } from '../../pkg/rooted-fs.js';
import { packTree } from '../../pkg/tree-tar.js';

/**
 * A directory in overlay form (a container's upper dir, a build step's snapshot) as a Docker layer tar, moby's
 * overlayWhiteoutConverter in the writing direction: whiteouts (0/0 character devices) become `.wh.<name>`
 * files, opaque directories get their `.wh..wh..opq` marker. The tree walk never follows a symlink, so the
 * directory may belong to a running container. The bytes of file content are counted on the way.
 */
export function layerDiffTar(dir: string, opts: DiffDirectoryOptions = {}): LayerTar {
  let resolveSize!: (size: number) => void;
  let rejectSize!: (err: unknown) => void;
  const contentSize = new Promise<number>((res, rej) => {
    resolveSize = res;
    rejectSize = rej;
  });
  // Read by the builder only: `commit` learns the size from unpacking the same bytes.
  contentSize.catch(() => undefined);
  const tar = Readable.from(generate(dir, opts, resolveSize), { objectMode: false });
  // A stream destroyed before its end (even before its first read) settles the size too; after a resolve
  // this is a no-op.
  tar.once('close', () => rejectSize(tar.errored ?? new Error('layer tar closed before its end')));
  return { tar, contentSize };
}

async function* generate(dir: string, opts: DiffDirectoryOptions, done: (size: number) => void): AsyncGenerator<Buffer> {
  const opaque = opts.neverMounted === true ? new Set<string>() : await opaqueDirs(dir, { signal: opts.signal });
  const fd = await fdOpen(dir, DIR_OPEN_FLAGS);
  let size = 0;
  try {
    const skip = opts.skip;
    yield* packTree(fd, '.', {
      topName: '',
      topPath: '/',
      whiteouts: { opaqueDirs: opaque },
      skip: skip ? (path) => skip(path) : undefined,
      knownContent: opts.knownContent,
      onFileContent: (bytes) => {
        size += bytes;
      },
      signal: opts.signal,
    });
  } finally {
    closeQuietly(fd);
  }
  done(size);
}
