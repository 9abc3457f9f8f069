import { InvalidArgumentError, noSuchContainer } from '../../core/errdefs.js';
import type { ContainerRecord } from '../../core/containers.js';
import type { ReadTx } from '../../core/metadata.js';

/** Docker's container lookup: full id, then exact name (with or without the leading slash), then a unique id prefix. */
export function resolveContainer(tx: ReadTx, idOrName: string): ContainerRecord {
  if (idOrName === '') throw noSuchContainer(idOrName);
  const byId = /^[a-f0-9]{64}$/.test(idOrName) ? tx.getContainer(idOrName) : undefined;
  if (byId) return byId;
  const byName = tx.getContainerByName(idOrName.replace(/^\//, ''));
  if (byName) return byName;
  if (/^[a-f0-9]+$/.test(idOrName)) {
    const ids = tx.findContainerIds(idOrName);
    if (ids.length > 1) throw new InvalidArgumentError(`multiple IDs found with provided prefix: ${idOrName}`);
    const c = ids.length === 1 ? tx.getContainer(ids[0]!) : undefined;
    if (c) return c;
  }
  throw noSuchContainer(idOrName);
}
