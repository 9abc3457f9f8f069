import { InvalidArgumentError, noSuchImage } from '../../core/errdefs.js';
import type { ImageRecord, ReadTx } from '../../core/metadata.js';
import { isDigest } from '../../pkg/digest.js';
import {
  familiarString,
  looksLikeIdPrefix,
  normalizedString,
  parseReference,
  withDefaultTag,
  type ImageReference,
} from '../../pkg/reference.js';

/**
 * Finds an image the way Docker does: a full `sha256:` id, then a name (tag or digest reference), then a
 * unique id prefix. Names win over prefixes, so an image called `abc` is found before an id starting "abc".
 */
export function resolveImage(tx: ReadTx, refOrId: string): ImageRecord {
  if (isDigest(refOrId)) {
    const img = tx.getImage(refOrId);
    if (img) return img;
    throw noSuchImage(refOrId);
  }
  let ref: ImageReference | undefined;
  let parseError: unknown;
  try {
    ref = parseReference(refOrId);
  } catch (err) {
    parseError = err;
  }
  if (ref !== undefined) {
    const img = findByReference(tx, ref);
    if (img) return img;
  }
  if (looksLikeIdPrefix(refOrId)) {
    const hex = refOrId.startsWith('sha256:') ? refOrId.slice(7) : refOrId;
    const ids = tx.findImageIds(hex);
    if (ids.length === 1) {
      const img = tx.getImage(ids[0]!);
      if (img) return img;
    }
  }
  if (ref === undefined) throw parseError instanceof Error ? parseError : new InvalidArgumentError('invalid reference format');
  throw noSuchImage(ref.digest ? familiarString(ref) : familiarString(withDefaultTag(ref)));
}

export function findByReference(tx: ReadTx, ref: ImageReference): ImageRecord | undefined {
  if (ref.digest !== undefined) {
    const byDigest = tx.getTag(normalizedString({ ...ref, tag: undefined }));
    if (byDigest) return tx.getImage(byDigest);
    const repo = normalizedString({ ...ref, tag: undefined, digest: undefined });
    return tx.listImages().find((img) => img.repoDigests.includes(`${repo}@${ref.digest}`));
  }
  const id = tx.getTag(normalizedString(withDefaultTag(ref)));
  return id ? tx.getImage(id) : undefined;
}

/** True when the user named the image by id (or id prefix) rather than by a reference. */
export function isIdReference(img: ImageRecord, given: string): boolean {
  const hex = img.id.slice(7);
  const g = given.startsWith('sha256:') ? given.slice(7) : given;
  return g.length > 0 && hex.startsWith(g);
}
