import { PassThrough, type Readable } from 'node:stream';

export interface TeeOptions {
  highWaterMark?: number;
  /**
   * The second reader may stop early (destroy its branch) without stopping the first, which still gets every
   * chunk: a load that unpacks a file on the guess that it is a layer must still store it when it is not.
   */
  secondMayStop?: boolean;
}

/**
 * Two readers of one stream, each getting every chunk, at the pace of the slower one (backpressure from both).
 * An error on the source, or a required branch being destroyed, ends both: no reader is left waiting.
 */
export function tee(src: Readable, opts: TeeOptions = {}): [Readable, Readable] {
  const highWaterMark = opts.highWaterMark ?? 1024 * 1024;
  const branches = [new PassThrough({ highWaterMark }), new PassThrough({ highWaterMark })] as const;
  const required: readonly PassThrough[] = opts.secondMayStop ? [branches[0]] : branches;
  const fail = (err: unknown): void => {
    const e = err instanceof Error ? err : new Error(String(err));
    for (const b of branches) if (!b.destroyed) b.destroy(e);
    if (!src.destroyed) src.destroy(e);
  };
  for (const b of required) {
    b.once('close', () => {
      // A reader that stops early stops the other one too, with a reason it can report.
      if (!b.writableFinished) fail(new Error('the other reader of the stream stopped'));
    });
  }
  void (async () => {
    for await (const chunk of src) {
      const waits = branches.filter((b) => !b.destroyed && !b.write(chunk)).map(drained);
      if (waits.length > 0) await Promise.all(waits);
      if (required.some((b) => b.destroyed)) return;
    }
    for (const b of branches) if (!b.destroyed) b.end();
  })().catch(fail);
  return [branches[0], branches[1]];
}

function drained(stream: PassThrough): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
  });
}
