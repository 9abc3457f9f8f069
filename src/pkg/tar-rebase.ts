import { Readable } from 'node:stream';
import type { Header } from 'tar-stream';
import { encodeHeader, END_OF_ARCHIVE, padding, type TarEntryType } from './tar-header.js';

const TYPES = new Map<string, TarEntryType>([
  ['file', 'file'],
  ['contiguous-file', 'file'],
  ['link', 'link'],
  ['symlink', 'symlink'],
  ['character-device', 'character-device'],
  ['block-device', 'block-device'],
  ['directory', 'directory'],
  ['fifo', 'fifo'],
]);

/**
 * Docker's archive.RebaseArchiveEntries: every entry name (and hard-link target) has its first `oldBase`
 * replaced by `newBase` (strings.Replace with n=1), which is how `docker cp` gives a copy the destination's
 * name. With `oldBase` "/" (a copy of a container's root) names are joined below `newBase` instead.
 */
export function rebaseTar(input: Readable, oldBase: string, newBase: string): Readable {
  return Readable.from(rebase(input, oldBase, newBase), { objectMode: false });
}

async function* rebase(input: Readable, oldBase: string, newBase: string): AsyncGenerator<Buffer> {
  const { default: tarStream } = await import('tar-stream');
  const extract = tarStream.extract({ allowUnknownFormat: true } as Parameters<typeof tarStream.extract>[0]);
  const rename = (name: string): string => {
    if (oldBase === '/') return `${newBase.replace(/\/+$/, '')}/${name.replace(/^\/+/, '')}`;
    return name.replace(oldBase, () => newBase);
  };
  let inputError: unknown;
  const feeding = (async () => {
    for await (const chunk of input) {
      if (extract.destroyed) break;
      if (!extract.write(chunk as Buffer)) await new Promise<void>((r) => { extract.once('drain', r); extract.once('close', r); });
    }
    extract.end(null);
  })().catch((err: unknown) => {
    inputError = err;
    extract.destroy(err instanceof Error ? err : new Error(String(err)));
  });
  try {
    for await (const entry of extract) {
      const h: Header = entry.header;
      const type = TYPES.get(h.type ?? '');
      if (type === undefined) {
        for await (const _ of entry) void _;
        continue;
      }
      const linkname = type === 'link' ? rename(h.linkname ?? '') : (h.linkname ?? undefined);
      const size = type === 'file' ? (h.size ?? 0) : 0;
      yield encodeHeader({
        name: rename(h.name),
        type,
        mode: h.mode ?? 0o644,
        uid: h.uid ?? 0,
        gid: h.gid ?? 0,
        size,
        mtime: h.mtime ? h.mtime.getTime() / 1000 : 0,
        linkname: linkname ?? undefined,
        devmajor: h.devmajor ?? 0,
        devminor: h.devminor ?? 0,
      });
      for await (const chunk of entry) yield chunk as Buffer;
      yield padding(size);
    }
    await feeding;
    if (inputError !== undefined) throw inputError;
    yield END_OF_ARCHIVE;
  } finally {
    extract.destroy();
  }
}
