/**
 * The registry's disk layout, one owner for every path under the root:
 *
 *   blobs/<alg>/<hex[0:2]>/<hex>                         blob bytes, once per digest whatever repository uses them
 *   repositories/<name>/_layers/<alg>/<hex>              empty file: the repository may serve that blob
 *   repositories/<name>/_manifests/revisions/<alg>/<hex> the manifest's media type: the repository holds it
 *   repositories/<name>/_manifests/tags/<tag>            the tagged manifest's digest
 *   repositories/<name>/_uploads/<uuid>/data             an upload in progress, never visible as a blob
 *
 * Lifecycle of a blob: an upload appends to `data` while a sha256 is kept running beside it; commit checks the
 * digest the client names (re-reading the file only when the running hash was lost), then renames `data` into
 * blobs/ and links it into the repository. A mismatch deletes the upload: nothing is stored. Small files (tags,
 * links) are written to a temporary name and renamed, so a reader sees the old or the new content, never half.
 * Names were checked against the grammar before they reach here, so joining them under the root stays inside it.
 */
import { randomUUID, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathExists } from '../pkg/fsutil.js';
import { RegistryError } from './errors.js';
import { newHash, parseBlobDigest, type BlobDigest } from './names.js';

interface UploadState {
  /** A running sha256 of the bytes in `data`, valid while `hashedSize` equals the file's size. */
  hash: Hash | undefined;
  hashedSize: number;
  busy: boolean;
}

export interface StoredManifest {
  digest: BlobDigest;
  mediaType: string;
  bytes: Buffer;
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

async function listDir(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch {
    return [];
  }
}

/** Writes a small file atomically: a temporary sibling, then rename over the target. */
async function writeAtomic(path: string, data: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  const tmp = `${path}.tmp-${randomUUID()}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

async function hashFile(path: string, algorithm: BlobDigest['algorithm']): Promise<string> {
  const h = newHash(algorithm);
  await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), async (src: AsyncIterable<Buffer>) => {
    for await (const chunk of src) h.update(chunk);
  });
  return h.digest('hex');
}

export class RegistryStorage {
  readonly root: string;
  readonly #uploads = new Map<string, UploadState>();

  constructor(root: string) {
    this.root = root;
  }

  blobPath(d: BlobDigest): string {
    return join(this.root, 'blobs', d.algorithm, d.hex.slice(0, 2), d.hex);
  }

  #repo(name: string): string {
    return join(this.root, 'repositories', name);
  }

  #layerLink(name: string, d: BlobDigest): string {
    return join(this.#repo(name), '_layers', d.algorithm, d.hex);
  }

  #revision(name: string, d: BlobDigest): string {
    return join(this.#repo(name), '_manifests', 'revisions', d.algorithm, d.hex);
  }

  #tag(name: string, tag: string): string {
    return join(this.#repo(name), '_manifests', 'tags', tag);
  }

  #uploadDir(name: string, uuid: string): string {
    return join(this.#repo(name), '_uploads', uuid);
  }

  // -- blobs ----------------------------------------------------------------------------------------------------

  /** The blob's size when `name` may serve it (linked there and present), else undefined. */
  async blobSize(name: string, d: BlobDigest): Promise<number | undefined> {
    if (!(await pathExists(this.#layerLink(name, d)))) return undefined;
    return sizeOf(this.blobPath(d));
  }

  async linkBlob(name: string, d: BlobDigest): Promise<void> {
    const link = this.#layerLink(name, d);
    await mkdir(join(link, '..'), { recursive: true });
    await writeFile(link, '');
  }

  /** Removes the repository's link (the bytes stay until garbage collection, as in distribution). */
  async unlinkBlob(name: string, d: BlobDigest): Promise<boolean> {
    try {
      await unlink(this.#layerLink(name, d));
      return true;
    } catch {
      return false;
    }
  }

  // -- uploads --------------------------------------------------------------------------------------------------

  async startUpload(name: string): Promise<string> {
    const uuid = randomUUID();
    const dir = this.#uploadDir(name, uuid);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'data'), '');
    await writeFile(join(dir, 'startedat'), new Date().toISOString());
    this.#uploads.set(`${name}/${uuid}`, { hash: newHash('sha256'), hashedSize: 0, busy: false });
    return uuid;
  }

  /** The number of bytes received so far, or undefined for an unknown upload. */
  async uploadOffset(name: string, uuid: string): Promise<number | undefined> {
    if (!/^[a-f0-9-]{36}$/.test(uuid)) return undefined;
    return sizeOf(join(this.#uploadDir(name, uuid), 'data'));
  }

  #state(name: string, uuid: string): UploadState {
    const key = `${name}/${uuid}`;
    let s = this.#uploads.get(key);
    if (!s) {
      // Known on disk but not in memory (the server restarted): the hash is rebuilt at commit.
      s = { hash: undefined, hashedSize: -1, busy: false };
      this.#uploads.set(key, s);
    }
    return s;
  }

  /**
   * Appends a request body to the upload, hashing as it streams. `start` (from Content-Range) must equal the
   * current size: a chunk out of order is a 416. Resolves with the new size. If the stream breaks, the bytes
   * that reached the file stay (the client may resume from the status) and the running hash is dropped.
   */
  async appendUpload(name: string, uuid: string, body: Readable, start?: number): Promise<number> {
    const offset = await this.uploadOffset(name, uuid);
    if (offset === undefined) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', { detail: { uuid } });
    const state = this.#state(name, uuid);
    if (state.busy) throw new RegistryError('BLOB_UPLOAD_INVALID', { detail: 'another request is writing to this upload' });
    if (start !== undefined && start !== offset) {
      throw new RegistryError('RANGE_INVALID', { headers: { Range: offset === 0 ? '0-0' : `0-${offset - 1}` }, detail: { expected: offset, got: start } });
    }
    state.busy = true;
    const hash = state.hash !== undefined && state.hashedSize === offset ? state.hash : undefined;
    let written = 0;
    try {
      await pipeline(
        body,
        async function* (src: AsyncIterable<Buffer>) {
          for await (const chunk of src) {
            hash?.update(chunk);
            written += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(join(this.#uploadDir(name, uuid), 'data'), { flags: 'a', highWaterMark: 1 << 20 }),
      );
      state.hash = hash;
      state.hashedSize = hash ? offset + written : -1;
      return offset + written;
    } catch (e) {
      state.hash = undefined;
      state.hashedSize = -1;
      throw e;
    } finally {
      state.busy = false;
    }
  }

  async cancelUpload(name: string, uuid: string): Promise<boolean> {
    if ((await this.uploadOffset(name, uuid)) === undefined) return false;
    this.#uploads.delete(`${name}/${uuid}`);
    await rm(this.#uploadDir(name, uuid), { recursive: true, force: true });
    return true;
  }

  /**
   * Verifies the upload against `expected` and makes it a blob linked into the repository. On a mismatch the upload
   * is deleted and DIGEST_INVALID thrown: nothing becomes visible.
   */
  async commitUpload(name: string, uuid: string, expected: BlobDigest): Promise<number> {
    const data = join(this.#uploadDir(name, uuid), 'data');
    const size = await sizeOf(data);
    if (size === undefined) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', { detail: { uuid } });
    const state = this.#state(name, uuid);
    if (state.busy) throw new RegistryError('BLOB_UPLOAD_INVALID', { detail: 'another request is writing to this upload' });
    const actual =
      expected.algorithm === 'sha256' && state.hash !== undefined && state.hashedSize === size
        ? state.hash.copy().digest('hex')
        : await hashFile(data, expected.algorithm);
    if (actual !== expected.hex) {
      await this.cancelUpload(name, uuid);
      throw new RegistryError('DIGEST_INVALID', { detail: { expected: expected.value, actual: `${expected.algorithm}:${actual}` } });
    }
    const target = this.blobPath(expected);
    await mkdir(join(target, '..'), { recursive: true });
    if ((await sizeOf(target)) === undefined) await rename(data, target);
    await this.linkBlob(name, expected);
    await this.cancelUpload(name, uuid);
    return size;
  }

  // -- manifests and tags ---------------------------------------------------------------------------------------

  /** Stores manifest bytes (as a blob, verified by construction) and links them as a revision of the repository. */
  async putManifest(name: string, digest: BlobDigest, mediaType: string, bytes: Buffer, tag?: string): Promise<void> {
    const target = this.blobPath(digest);
    if ((await sizeOf(target)) === undefined) {
      await mkdir(join(target, '..'), { recursive: true });
      const tmp = `${target}.tmp-${randomUUID()}`;
      await writeFile(tmp, bytes);
      await rename(tmp, target);
    }
    await writeAtomic(this.#revision(name, digest), mediaType);
    if (tag !== undefined) await writeAtomic(this.#tag(name, tag), digest.value);
  }

  async resolveTag(name: string, tag: string): Promise<BlobDigest | undefined> {
    try {
      return parseBlobDigest((await readFile(this.#tag(name, tag), 'utf8')).trim());
    } catch {
      return undefined;
    }
  }

  /** The repository's manifest by digest, or undefined when the repository does not hold it. */
  async getManifest(name: string, digest: BlobDigest): Promise<StoredManifest | undefined> {
    let mediaType: string;
    try {
      mediaType = await readFile(this.#revision(name, digest), 'utf8');
    } catch {
      return undefined;
    }
    try {
      return { digest, mediaType, bytes: await readFile(this.blobPath(digest)) };
    } catch {
      return undefined;
    }
  }

  async hasManifest(name: string, digest: BlobDigest): Promise<boolean> {
    return pathExists(this.#revision(name, digest));
  }

  /** Forgets a manifest revision and every tag that points at it. */
  async deleteManifest(name: string, digest: BlobDigest): Promise<boolean> {
    try {
      await unlink(this.#revision(name, digest));
    } catch {
      return false;
    }
    for (const tag of await this.tags(name)) {
      if ((await this.resolveTag(name, tag))?.value === digest.value) await rm(this.#tag(name, tag), { force: true });
    }
    return true;
  }

  async deleteTag(name: string, tag: string): Promise<boolean> {
    try {
      await unlink(this.#tag(name, tag));
      return true;
    } catch {
      return false;
    }
  }

  async repositoryExists(name: string): Promise<boolean> {
    return pathExists(this.#repo(name));
  }

  /** The repository's tags, sorted. */
  async tags(name: string): Promise<string[]> {
    return (await listDir(join(this.#repo(name), '_manifests', 'tags'))).filter((t) => !t.includes('.tmp-')).sort();
  }

  /** Every repository holding manifests (a `_manifests` directory, as distribution's catalog walk), sorted. */
  async repositories(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      const entries = await listDir(dir);
      if (prefix !== '' && entries.includes('_manifests')) out.push(prefix);
      for (const e of entries) {
        if (e.startsWith('_')) continue;
        await walk(join(dir, e), prefix === '' ? e : `${prefix}/${e}`);
      }
    };
    await walk(join(this.root, 'repositories'), '');
    return out.sort();
  }

  /** Every manifest revision of a repository (for garbage collection). */
  async revisions(name: string): Promise<BlobDigest[]> {
    const out: BlobDigest[] = [];
    const base = join(this.#repo(name), '_manifests', 'revisions');
    for (const alg of await listDir(base)) {
      for (const hex of await listDir(join(base, alg))) {
        const d = parseBlobDigest(`${alg}:${hex}`);
        if (d) out.push(d);
      }
    }
    return out;
  }

  /** Every blob on disk (for garbage collection). */
  async allBlobs(): Promise<{ digest: BlobDigest; size: number }[]> {
    const out: { digest: BlobDigest; size: number }[] = [];
    const base = join(this.root, 'blobs');
    for (const alg of await listDir(base)) {
      for (const prefix of await listDir(join(base, alg))) {
        for (const hex of await listDir(join(base, alg, prefix))) {
          const d = parseBlobDigest(`${alg}:${hex}`);
          const size = d ? await sizeOf(this.blobPath(d)) : undefined;
          if (d && size !== undefined) out.push({ digest: d, size });
        }
      }
    }
    return out;
  }

  /** Every layer link of a repository (for garbage collection). */
  async layerLinks(name: string): Promise<BlobDigest[]> {
    const out: BlobDigest[] = [];
    const base = join(this.#repo(name), '_layers');
    for (const alg of await listDir(base)) {
      for (const hex of await listDir(join(base, alg))) {
        const d = parseBlobDigest(`${alg}:${hex}`);
        if (d) out.push(d);
      }
    }
    return out;
  }

  /**
   * Deletes uploads started before `before` (distribution's upload purging): an abandoned upload would otherwise
   * hold its partial bytes forever. Returns the `<name>/<uuid>` of each.
   */
  async purgeUploads(before: Date, options: { dryRun?: boolean } = {}): Promise<string[]> {
    const purged: string[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      for (const e of await listDir(dir)) {
        if (e === '_uploads') {
          for (const uuid of await listDir(join(dir, e))) {
            let started: Date;
            try {
              started = new Date((await readFile(join(dir, e, uuid, 'startedat'), 'utf8')).trim());
            } catch {
              started = new Date(0);
            }
            if (!(started < before)) continue;
            purged.push(`${prefix}/${uuid}`);
            if (!options.dryRun) await rm(join(dir, e, uuid), { recursive: true, force: true });
          }
        } else if (!e.startsWith('_')) {
          await walk(join(dir, e), prefix === '' ? e : `${prefix}/${e}`);
        }
      }
    };
    await walk(join(this.root, 'repositories'), '');
    return purged;
  }

  async deleteBlobFile(d: BlobDigest): Promise<void> {
    await rm(this.blobPath(d), { force: true });
  }

  /** Reads a blob's bytes whole (manifests only: they are small). */
  async readSmallBlob(d: BlobDigest): Promise<Buffer | undefined> {
    try {
      return await readFile(this.blobPath(d));
    } catch {
      return undefined;
    }
  }
}
