/**
 * `berth registry garbage-collect`: distribution's mark and sweep. Mark every blob a stored manifest revision
 * reaches (the manifest itself, its config and layers; an index's children are revisions of their own), sweep
 * every other blob, and drop repository layer links whose blob is gone. Like distribution's, it must run while
 * no client is pushing (the server stopped or read-only): a blob uploaded but not yet referenced by a manifest
 * looks unreferenced. Uploads started more than a week ago are deleted too. With `deleteUntagged`, revisions no tag points at are forgotten first (distribution's -m).
 */
import { parseManifest } from './manifests.js';
import type { BlobDigest } from './names.js';
import type { RegistryStorage } from './storage.js';

export interface GcResult {
  marked: number;
  deleted: { digest: string; size: number }[];
  untaggedManifests: string[];
  purgedUploads: string[];
}

/** Uploads older than this are abandoned (distribution's default `purgeuploads.age`). */
export const UPLOAD_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

export async function garbageCollect(storage: RegistryStorage, options: { dryRun?: boolean; deleteUntagged?: boolean; log?: (line: string) => void; now?: Date } = {}): Promise<GcResult> {
  const log = options.log ?? (() => undefined);
  const marked = new Set<string>();
  const untagged: string[] = [];
  for (const repo of await storage.repositories()) {
    const tagged = new Set<string>();
    if (options.deleteUntagged) {
      for (const tag of await storage.tags(repo)) {
        const d = await storage.resolveTag(repo, tag);
        if (d) tagged.add(d.value);
      }
    }
    for (const rev of await storage.revisions(repo)) {
      if (options.deleteUntagged && !tagged.has(rev.value)) {
        untagged.push(`${repo}@${rev.value}`);
        log(`${repo}: manifest ${rev.value} is untagged${options.dryRun ? '' : ', deleting'}`);
        if (!options.dryRun) await storage.deleteManifest(repo, rev);
        continue;
      }
      log(`${repo}: marking manifest ${rev.value}`);
      marked.add(rev.value);
      const m = await storage.getManifest(repo, rev);
      if (!m) continue;
      let refs: BlobDigest[] = [];
      try {
        refs = parseManifest(m.bytes, m.mediaType).blobs;
      } catch {
        // Stored manifests were validated on PUT; one that no longer parses keeps only itself.
      }
      for (const b of refs) {
        log(`${repo}: marking blob ${b.value}`);
        marked.add(b.value);
      }
    }
  }
  const deleted: { digest: string; size: number }[] = [];
  for (const { digest, size } of await storage.allBlobs()) {
    if (marked.has(digest.value)) continue;
    deleted.push({ digest: digest.value, size });
    log(`blob eligible for deletion: ${digest.value}`);
    if (!options.dryRun) await storage.deleteBlobFile(digest);
  }
  if (!options.dryRun) {
    const gone = new Set(deleted.map((d) => d.digest));
    for (const repo of await storage.repositories()) {
      for (const link of await storage.layerLinks(repo)) {
        if (gone.has(link.value)) await storage.unlinkBlob(repo, link);
      }
    }
  }
  const purgedUploads = await storage.purgeUploads(new Date((options.now ?? new Date()).getTime() - UPLOAD_MAX_AGE_MS), { dryRun: options.dryRun });
  for (const u of purgedUploads) log(`upload ${u} is abandoned${options.dryRun ? '' : ', deleting'}`);
  return { marked: marked.size, deleted, untaggedManifests: untagged, purgedUploads };
}
