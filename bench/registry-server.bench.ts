/**
 * `berth registry serve` against distribution's `docker-registry` (2.8) on loopback, both driven by skopeo:
 * push (OCI layout → registry) and pull (registry → OCI layout) of an image with one 200 MB layer and of one
 * with 50 small layers. Each run gets a fresh registry on a new port, so nothing is already there and skopeo's
 * blob-info cache has no mount candidates. Prints median times, throughput and the berth/peer ratio.
 *
 *   node scripts/build.mjs && node scripts/run-ts.mjs bench/registry-server.bench.ts   (BERTH_BENCH_RUNS=3)
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { dockerRegistryAvailable, skopeo, startBerthRegistry, startDockerRegistry, type RunningRegistry } from '../test/registry-peers.js';

const RUNS = Number(process.env['BERTH_BENCH_RUNS'] ?? 3);

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

/** Writes a blob into the layout; returns its descriptor. */
function putBlob(layout: string, mediaType: string, data: Buffer): Descriptor {
  const hex = createHash('sha256').update(data).digest('hex');
  writeFileSync(join(layout, 'blobs', 'sha256', hex), data);
  return { mediaType, digest: `sha256:${hex}`, size: data.length };
}

/**
 * A gzip layer holding one file of `size` random bytes, streamed to disk (gzip level 1: random data does not
 * compress, and skopeo pushes compressed layers as they are). Returns its descriptor and the tar's diff ID.
 */
async function makeLayer(layout: string, size: number, name: string): Promise<{ desc: Descriptor; diffId: string }> {
  const pack = tarStream.pack();
  const tarHash = createHash('sha256');
  const gzHash = createHash('sha256');
  const tmp = join(layout, 'blobs', 'sha256', `tmp-${name}`);
  const tarOut = new PassThrough();
  pack.pipe(tarOut);
  const writing = pipeline(
    tarOut,
    async function* (src: AsyncIterable<Buffer>) {
      for await (const c of src) {
        tarHash.update(c);
        yield c;
      }
    },
    createGzip({ level: 1 }),
    async function* (src: AsyncIterable<Buffer>) {
      for await (const c of src) {
        gzHash.update(c);
        yield c;
      }
    },
    createWriteStream(tmp),
  );
  const chunks = function* (): Generator<Buffer> {
    for (let left = size; left > 0; left -= 1 << 20) yield randomBytes(Math.min(left, 1 << 20));
  };
  await pipeline(Readable.from(chunks()), pack.entry({ name, size, mode: 0o644 }));
  pack.finalize();
  await writing;
  const hex = gzHash.digest('hex');
  renameSync(tmp, join(layout, 'blobs', 'sha256', hex));
  return { desc: { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${hex}`, size: statSync(join(layout, 'blobs', 'sha256', hex)).size }, diffId: `sha256:${tarHash.digest('hex')}` };
}

/** An OCI image layout with one image tagged `bench`, of layers of the given sizes. */
async function makeImage(dir: string, layerSizes: number[]): Promise<{ layout: string; bytes: number }> {
  const layout = join(dir, 'layout');
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const layers = [];
  for (const [i, size] of layerSizes.entries()) layers.push(await makeLayer(layout, size, `file${i}`));
  const config = putBlob(
    layout,
    'application/vnd.oci.image.config.v1+json',
    Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } })),
  );
  const manifest = putBlob(
    layout,
    'application/vnd.oci.image.manifest.v1+json',
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: layers.map((l) => l.desc) })),
  );
  writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'bench' } }] }));
  return { layout, bytes: layers.reduce((n, l) => n + l.desc.size, 0) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timed(f: () => void): number {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** Push then pull once against a fresh registry; returns both times in ms. */
async function roundTrip(start: () => Promise<RunningRegistry>, layout: string, scratch: string): Promise<{ push: number; pull: number }> {
  const reg = await start();
  const out = join(scratch, `pull-${reg.port}`);
  try {
    const push = timed(() => skopeo(['copy', '-q', '--dest-tls-verify=false', `oci:${layout}:bench`, `docker://${reg.host}/bench/image:1`], 600_000));
    const pull = timed(() => skopeo(['copy', '-q', '--src-tls-verify=false', `docker://${reg.host}/bench/image:1`, `oci:${out}:bench`], 600_000));
    return { push, pull };
  } finally {
    await reg.stop();
    rmSync(out, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const scratch = mkdtempSync('/tmp/bt-registry-bench-');
  const rows: string[][] = [['workload', 'berth registry', 'docker-registry', 'berth/peer (time)']];
  try {
    const images = [
      { name: '1 × 200 MB layer', ...(await makeImage(join(scratch, 'big'), [200 * 1024 * 1024])) },
      { name: '50 small layers', ...(await makeImage(join(scratch, 'small'), Array.from({ length: 50 }, (_, i) => 8 * 1024 + i * 512))) },
    ];
    const peer = dockerRegistryAvailable();
    for (const img of images) {
      const berth = { push: [] as number[], pull: [] as number[] };
      const dist = { push: [] as number[], pull: [] as number[] };
      for (let i = 0; i < RUNS; i++) {
        const b = await roundTrip(() => startBerthRegistry(), img.layout, scratch);
        berth.push.push(b.push);
        berth.pull.push(b.pull);
        if (peer) {
          const d = await roundTrip(startDockerRegistry, img.layout, scratch);
          dist.push.push(d.push);
          dist.pull.push(d.pull);
        }
      }
      for (const op of ['push', 'pull'] as const) {
        const bm = median(berth[op]);
        const mbps = (ms: number): string => `${(img.bytes / 1024 / 1024 / (ms / 1000)).toFixed(1)} MB/s`;
        const dm = peer ? median(dist[op]) : undefined;
        rows.push([
          `${op} ${img.name}`,
          `${bm.toFixed(0)} ms (${mbps(bm)})`,
          dm === undefined ? 'n/a' : `${dm.toFixed(0)} ms (${mbps(dm)})`,
          dm === undefined ? 'n/a' : `${(bm / dm).toFixed(2)}×`,
        ]);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
  console.log(`\nmedian of ${RUNS} runs; skopeo ${'copy'} over loopback HTTP; lower ratio is better for berth`);
}

await main();
