import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export type Compression = 'none' | 'gzip' | 'zstd' | 'bzip2' | 'xz';

/** Recognises a compression format from its magic bytes, as Docker's archive.DetectCompression does. */
export function detectCompression(head: Uint8Array): Compression {
  const starts = (...bytes: number[]): boolean => bytes.every((b, i) => head[i] === b);
  if (starts(0x1f, 0x8b, 0x08)) return 'gzip';
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) return 'zstd';
  if (starts(0x42, 0x5a, 0x68)) return 'bzip2';
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return 'xz';
  return 'none';
}

/** Reads at least `n` bytes (or to the end) without consuming them: they are pushed back onto the stream. */
export async function peek(source: Readable, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let have = 0;
  while (have < n) {
    const chunk = await new Promise<Buffer | null>((resolve, reject) => {
      const onReadable = (): void => {
        cleanup();
        resolve(source.read() as Buffer | null);
      };
      const onEnd = (): void => {
        cleanup();
        resolve(null);
      };
      const onError = (err: Error): void => {
        cleanup();
        reject(err);
      };
      const cleanup = (): void => {
        source.off('readable', onReadable);
        source.off('end', onEnd);
        source.off('error', onError);
      };
      const ready = source.read() as Buffer | null;
      if (ready !== null) {
        resolve(ready);
        return;
      }
      if (source.readableEnded) {
        resolve(null);
        return;
      }
      source.on('readable', onReadable);
      source.on('end', onEnd);
      source.on('error', onError);
    });
    if (chunk === null) break;
    chunks.push(chunk);
    have += chunk.length;
  }
  const head = Buffer.concat(chunks);
  if (head.length > 0) source.unshift(head);
  return head;
}

/**
 * Returns a stream of the uncompressed bytes of `source`, whatever of gzip, zstd, bzip2 or xz it uses (or
 * none). Node's zlib does gzip; the others go through Debian's command-line tools, which are fast and
 * already on the machine (zstd is installed by the project's setup).
 */
export async function decompressStream(source: Readable): Promise<{ stream: Readable; compression: Compression }> {
  const head = await peek(source, 6);
  const compression = detectCompression(head);
  switch (compression) {
    case 'none':
      return { stream: source, compression };
    case 'gzip': {
      // 1 MiB output chunks instead of zlib's 16 KiB: a layer decompresses ~2.5x faster with far fewer
      // thread-pool round trips (measured on a 100 MB layer).
      const gunzip = createGunzip({ chunkSize: 1024 * 1024 });
      source.on('error', (err) => gunzip.destroy(err));
      return { stream: source.pipe(gunzip), compression };
    }
    default: {
      const tool = { zstd: 'zstd', bzip2: 'bzip2', xz: 'xz' }[compression];
      const child = spawn(tool, ['-d', '-c'], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out = new PassThrough();
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      source.on('error', (err) => out.destroy(err));
      child.on('error', (err) => out.destroy(new Error(`${tool} could not be run: ${err.message}`)));
      child.stdin.on('error', () => {});
      source.pipe(child.stdin);
      child.stdout.pipe(out, { end: false });
      child.on('close', (code) => {
        if (code === 0) out.end();
        else out.destroy(new Error(`${tool} -d failed: ${stderr.trim() || `exit ${code}`}`));
      });
      return { stream: out, compression };
    }
  }
}
