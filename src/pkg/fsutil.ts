import { open, stat } from 'node:fs/promises';

/**
 * Makes changes to a directory's entries durable (a rename into it, a file created or removed), not only the
 * bytes of the files: fsync(2) on the directory itself. Ingest-verify-rename and build-then-rename both end here.
 */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Whether `path` names something (symlinks followed); any failure to stat it counts as no. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
