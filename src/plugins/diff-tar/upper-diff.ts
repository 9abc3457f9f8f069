import { Readable } from 'node:stream';
import type { UpperDiffOptions } from '../../core/diff.js';
import { opaqueDirs } from '../../pkg/overlay-opaque.js';
import { closeQuietly, DIR_OPEN_FLAGS, fdOpen } from '../../pkg/rooted-fs.js';
import { packTree } from '../../pkg/tree-tar.js';

/**
 * An overlay upper dir as a Docker layer tar (moby's overlayWhiteoutConverter in the writing direction): the
 * tree walk never follows a symlink, whiteouts become `.wh.` files, opaque directories get their marker.
 */
export function upperDiffTar(upperDir: string, opts: UpperDiffOptions = {}): Readable {
  return Readable.from(generate(upperDir, opts), { objectMode: false });
}

async function* generate(upperDir: string, opts: UpperDiffOptions): AsyncGenerator<Buffer> {
  const opaque = await opaqueDirs(upperDir);
  const fd = await fdOpen(upperDir, DIR_OPEN_FLAGS);
  try {
    yield* packTree(fd, '.', {
      topName: '',
      topPath: '/',
      whiteouts: { opaqueDirs: opaque },
      skip: opts.skip ? (path) => opts.skip!(path) : undefined,
      signal: opts.signal,
    });
  } finally {
    closeQuietly(fd);
  }
}
