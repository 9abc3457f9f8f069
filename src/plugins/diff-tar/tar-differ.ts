import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type tarStream from 'tar-stream';
import type { ApplyResult, DiffDirectoryOptions, Differ, LayerTar } from '../../core/diff.js';
import { InvalidArgumentError, isBerthError } from '../../core/errdefs.js';
import { DigestCounter, type Digest } from '../../pkg/digest.js';
import { readEntryHeader } from './entry-header.js';
import { LayerWriter } from './layer-writer.js';
import { layerDiffTar } from './layer-diff.js';

/** What tar-stream throws for malformed archives: plain Errors with these words and no errno code. */
const TAR_ERRORS: ReadonlyArray<[RegExp, string]> = [
  [/^Unexpected end of data/, 'unexpected end of data'],
  [/^Invalid tar header\. Maybe/, 'corrupt header (checksum mismatch), or not an uncompressed tar'],
  [/^Invalid tar header/, 'corrupt header'],
  [/^Header exceeds max size/, 'pax or long-name header too large'],
  [/^Invalid header/, 'corrupt header (bad size field)'],
];

/**
 * Parser options. `allowUnknownFormat` accepts pre-POSIX (v7) headers, as Go's archive/tar does; the
 * checksum is still verified. tar-stream reads it at run time though its types do not declare it.
 */
const EXTRACT_OPTIONS = { allowUnknownFormat: true, highWaterMark: 64 * 1024 };

/**
 * A Differ that unpacks layer tars with tar-stream (see core/diff.ts for the contract).
 *
 * Two loops run together: one feeds the input into the parser, hashing and counting every byte on the way
 * (the diff ID covers the whole stream, end-of-archive padding included); the other takes entries one at a
 * time and hands them to a LayerWriter, which owns every rule about paths and file types. Backpressure
 * flows from the writer through tar-stream to the input, so memory stays at a few chunks whatever the
 * layer's size.
 */
export class TarDiffer implements Differ {
  diffDirectory(dir: string, opts: DiffDirectoryOptions = {}): LayerTar {
    return layerDiffTar(dir, opts);
  }

  applyLayer(tar: Readable, dir: string, opts?: { signal?: AbortSignal }): Promise<ApplyResult>;
  applyLayer(tar: Readable, dir: string, opts: { signal?: AbortSignal; digest: false }): Promise<Omit<ApplyResult, 'diffId'>>;
  async applyLayer(tar: Readable, dir: string, opts: { signal?: AbortSignal; digest?: false } = {}): Promise<Omit<ApplyResult, 'diffId'> & { diffId?: Digest }> {
    const { signal } = opts;
    signal?.throwIfAborted();
    const counter = new DigestCounter({ hash: opts.digest !== false });
    // Loaded on first use, to keep an idle daemon small.
    const { default: tarStreamModule } = await import('tar-stream');
    const extract = tarStreamModule.extract(EXTRACT_OPTIONS);
    const writer = await LayerWriter.open(resolve(dir), signal);

    // The parser's own error: an entry's data stream that dies with it reports only "destroyed".
    let parseError: unknown;
    extract.on('error', (err: unknown) => {
      parseError ??= err;
    });
    let inputError: unknown;
    const feeding = feed(tar, extract, counter).catch((err: unknown) => {
      inputError = err;
      extract.destroy(err instanceof Error ? err : new Error(String(err)));
    });
    const onAbort = (): void => {
      const reason = signal?.reason instanceof Error ? signal.reason : new Error('aborted');
      extract.destroy(reason);
      tar.destroy(reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    let lastEntry: string | undefined;
    try {
      for await (const entry of extract) {
        lastEntry = entry.header.name;
        await writer.apply(readEntryHeader(entry.header), entry);
      }
      await feeding;
      if (inputError !== undefined) throw inputError;
      signal?.throwIfAborted();
      await writer.finish();
      signal?.throwIfAborted();
    } catch (err) {
      extract.destroy();
      tar.destroy();
      // Nothing may still write into `dir` once we return: the caller deletes it next.
      await Promise.all([feeding, closed(extract), writer.abandon()]);
      if (signal?.aborted) throw signal.reason;
      const cause = isBerthError(err) ? err : (parseError ?? err);
      if (cause === inputError) throw cause;
      throw asTarError(cause, lastEntry);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    const result = { tarSize: counter.size, size: writer.size };
    return opts.digest === false ? result : { ...result, diffId: counter.digest() };
  }
}

/** Copies the input into the parser, honouring its backpressure, and ends it. */
async function feed(src: Readable, extract: tarStream.Extract, counter: DigestCounter): Promise<void> {
  for await (const chunk of src) {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('layer tar stream must yield bytes, not strings or objects');
    counter.update(chunk);
    if (extract.destroyed) throw new Error('tar parser stopped');
    if (!extract.write(chunk)) await drained(extract);
  }
  extract.end(null);
}

/** Resolves when the parser wants more, or fails when it was destroyed meanwhile (never waits forever). */
function drained(extract: tarStream.Extract): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    if (extract.destroyed || extract.destroying) {
      reject(new Error('tar parser stopped'));
      return;
    }
    const onDrain = (): void => {
      extract.off('close', onClose);
      resolvePromise();
    };
    const onClose = (): void => {
      extract.off('drain', onDrain);
      reject(new Error('tar parser stopped'));
    };
    extract.once('drain', onDrain);
    extract.once('close', onClose);
  });
}

/** Resolves once the parser has closed, by which time it has emitted its error, if any. */
function closed(extract: tarStream.Extract): Promise<void> {
  if (extract.destroyed) return Promise.resolve();
  return new Promise((resolvePromise) => extract.once('close', () => resolvePromise()));
}

/** Turns tar-stream's words for a malformed archive into an InvalidArgumentError; other errors pass as they are. */
function asTarError(err: unknown, lastEntry: string | undefined): unknown {
  if (isBerthError(err) || !(err instanceof Error) || 'code' in err) return err;
  for (const [re, words] of TAR_ERRORS) {
    if (re.test(err.message)) {
      const where = lastEntry === undefined ? 'before the first entry' : `after entry ${JSON.stringify(lastEntry)}`;
      return new InvalidArgumentError(`invalid tar: ${words} (${where})`, { cause: err });
    }
  }
  return err;
}
