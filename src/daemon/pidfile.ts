import { readFile, rm, writeFile, rename } from 'node:fs/promises';

/** dockerd's pidfile rule: refuse to start while the recorded pid is alive; otherwise take the file over. */
export async function claimPidfile(path: string): Promise<void> {
  const old = await readFile(path, 'utf8').catch(() => undefined);
  const pid = old === undefined ? NaN : Number.parseInt(old.trim(), 10);
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
    throw new Error(`pid file found, ensure berthd is not running or delete ${path}`);
  }
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${process.pid}`);
  await rename(tmp, path);
}

export async function releasePidfile(path: string): Promise<void> {
  const content = await readFile(path, 'utf8').catch(() => '');
  if (content.trim() === String(process.pid)) await rm(path, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
