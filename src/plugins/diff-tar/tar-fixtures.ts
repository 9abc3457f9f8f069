import tarStream, { type Header } from 'tar-stream';

/** One entry for a test archive: a tar-stream header plus, for files, its content. */
export interface FixtureEntry extends Partial<Header> {
  name: string;
  data?: string | Buffer;
}

/** Builds a tar in memory with tar-stream's packer, so tests state exactly what each hostile archive holds. */
export async function makeTar(entries: readonly FixtureEntry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack) if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
  })();
  for (const { data, ...header } of entries) {
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (data === undefined) pack.entry({ mtime: new Date(0), ...header }, done).end(null);
      else pack.entry({ mtime: new Date(0), ...header }, data, done);
    });
  }
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}
