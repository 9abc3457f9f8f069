import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError } from '../../core/errdefs.js';
import { BuildContext, cleanEntryName, type ContextNode } from './build-context.js';

/** One path of a client's context as `berth build` describes it before sending anything. */
export interface ManifestEntry {
  p: string;
  t: 'file' | 'dir' | 'symlink';
  m: number;
  s: number;
  /** mtime in ms. */
  mt: number;
  l?: string;
}

interface Session {
  /** What the client said the last time, by path: a file whose signature is unchanged is not sent again. */
  signatures: Map<string, string>;
  files: Map<string, ContextNode>;
  /** The manifest of the build about to come. */
  pending: ManifestEntry[] | undefined;
  dir: string;
  lastUsed: number;
}

const MAX_SESSIONS = 4;
/** Larger files of a remembered context wait on disk, not in the daemon's memory. */
const KEPT_IN_MEMORY = 1024 * 1024;
const MAX_MANIFEST_ENTRIES = 1_000_000;

/**
 * Incremental context transfer for `berth build` (what BuildKit's file sync does): the client sends a
 * manifest (path, type, mode, size, mtime), the daemon answers which files it lacks, and the build request
 * then carries only those. The daemon keeps the last context of a few client directories (small files in
 * memory, large ones under `<workDir>/sync/<session>`); a daemon restart forgets them and the client sends
 * everything again. Keys are chosen by the client and name nothing on disk.
 */
export class ContextSync {
  readonly #dir: string;
  readonly #sessions = new Map<string, Session>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Clears what an earlier daemon left. */
  async reset(): Promise<void> {
    await rm(this.#dir, { recursive: true, force: true });
  }

  /** Records the manifest of the next build for `key` and returns the files the client must send. */
  need(key: string, raw: unknown): string[] {
    checkKey(key);
    const manifest = parseManifest(raw);
    let session = this.#sessions.get(key);
    if (!session) {
      session = { signatures: new Map(), files: new Map(), pending: undefined, dir: join(this.#dir, randomBytes(8).toString('hex')), lastUsed: Date.now() };
      this.#sessions.set(key, session);
      this.#evict();
    }
    session.pending = manifest;
    session.lastUsed = Date.now();
    const s = session;
    return manifest.filter((e) => e.t === 'file' && (s.signatures.get(e.p) !== signature(e) || !s.files.has(e.p))).map((e) => e.p);
  }

  /** The full context of a synced build: the manifest's paths, new files from `partial`, the others from the last build. */
  async assemble(key: string, partial: BuildContext, scratch: string): Promise<BuildContext> {
    checkKey(key);
    const session = this.#sessions.get(key);
    if (!session?.pending) throw new InvalidArgumentError('context sync: no manifest for this build (send it to /berth/build-sync first)');
    const entries: Array<[string, ContextNode]> = [];
    const listed = new Set<string>();
    for (const e of session.pending) {
      listed.add(e.p);
      const base = { mode: e.m & 0o7777, uid: 0, gid: 0, mtime: new Date(e.mt), size: e.s };
      if (e.t === 'dir') entries.push([e.p, { ...base, type: 'dir', size: 0 }]);
      else if (e.t === 'symlink') entries.push([e.p, { ...base, type: 'symlink', size: 0, linkname: e.l ?? '' }]);
      else {
        const node = partial.node(e.p) ?? session.files.get(e.p);
        if (node?.type !== 'file') throw new InvalidArgumentError(`context sync: file ${e.p} was neither sent nor known`);
        entries.push([e.p, { ...node, ...base, type: 'file' }]);
      }
    }
    // Entries the client added outside the manifest (a Dockerfile from elsewhere, its .dockerignore).
    for (const [p, node] of partial.entries()) if (p !== '' && !listed.has(p) && node.type !== 'dir') entries.push([p, node]);
    session.signatures = new Map(session.pending.map((e) => [e.p, signature(e)]));
    session.pending = undefined;
    return BuildContext.fromEntries(scratch, entries);
  }

  /** Keeps a build's files for the next build of `key`; large files move out of the build's scratch space. */
  async remember(key: string, ctx: BuildContext): Promise<void> {
    const session = this.#sessions.get(key);
    if (!session) return;
    await mkdir(session.dir, { recursive: true, mode: 0o700 });
    const files = new Map<string, ContextNode>();
    const keep = new Set<string>();
    for (const [p, node] of ctx.entries()) {
      if (node.type !== 'file' || !session.signatures.has(p)) continue;
      if (node.data && node.data.length > KEPT_IN_MEMORY) {
        // A build holds large files in memory for its own length; a session kept for later does not.
        const blob = join(session.dir, randomBytes(8).toString('hex'));
        await writeFile(blob, node.data, { mode: 0o600 });
        node.blob = blob;
        delete node.data;
      } else if (node.blob && !node.blob.startsWith(`${session.dir}/`)) {
        const moved = join(session.dir, randomBytes(8).toString('hex'));
        await rename(node.blob, moved);
        node.blob = moved;
      }
      if (node.blob) keep.add(node.blob);
      files.set(p, node);
    }
    session.files = files;
    for (const name of await readdir(session.dir)) {
      const path = join(session.dir, name);
      if (!keep.has(path)) await rm(path, { force: true });
    }
  }

  #evict(): void {
    while (this.#sessions.size > MAX_SESSIONS) {
      const oldest = [...this.#sessions.entries()].sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0];
      if (!oldest) return;
      this.#sessions.delete(oldest[0]);
      void rm(oldest[1].dir, { recursive: true, force: true });
    }
  }
}

function signature(e: ManifestEntry): string {
  return `${e.t}:${e.m}:${e.s}:${e.mt}:${e.l ?? ''}`;
}

function checkKey(key: string): void {
  if (!/^[0-9a-f]{16,64}$/.test(key)) throw new InvalidArgumentError('context sync: invalid key');
}

function parseManifest(raw: unknown): ManifestEntry[] {
  const bad = (): never => {
    throw new InvalidArgumentError('context sync: the manifest must be a list of {p, t, m, s, mt[, l]}');
  };
  if (!Array.isArray(raw) || raw.length > MAX_MANIFEST_ENTRIES) return bad();
  return raw.map((r: unknown): ManifestEntry => {
    if (typeof r !== 'object' || r === null) return bad();
    const o = r as Record<string, unknown>;
    const { p, t, m, s, mt, l } = o;
    if (typeof p !== 'string' || (t !== 'file' && t !== 'dir' && t !== 'symlink')) return bad();
    if (typeof m !== 'number' || typeof s !== 'number' || typeof mt !== 'number' || (l !== undefined && typeof l !== 'string')) return bad();
    const path = cleanEntryName(p);
    if (path === '') return bad();
    return { p: path, t, m, s, mt, ...(typeof l === 'string' ? { l } : {}) };
  });
}
