import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError } from '../../core/errdefs.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

const MAX_DB_BYTES = 4 * 1024 * 1024;

/**
 * Reads a file from a stack of layer directories (top-most first) as the merged root filesystem would show
 * it, without mounting anything: the first layer that has the path wins, and an overlay whiteout (0:0
 * character device) hides it. Symlinks are never followed: the image is untrusted and a link could point at
 * the host's files.
 */
export async function readFromLayers(dirs: readonly string[], relPath: string): Promise<string | undefined> {
  const parts = relPath.split('/').filter(Boolean);
  for (const dir of dirs) {
    let p = dir;
    let hidden = false;
    let missing = false;
    for (const [i, part] of parts.entries()) {
      p = join(p, part);
      const st = await lstat(p).catch(() => undefined);
      if (st === undefined) {
        missing = true;
        break;
      }
      if (st.isCharacterDevice() && st.rdev === 0) {
        hidden = true;
        break;
      }
      if (st.isSymbolicLink()) return undefined;
      if (i === parts.length - 1) {
        if (!st.isFile() || st.size > MAX_DB_BYTES) return undefined;
        return readFile(p, 'utf8');
      }
      if (!st.isDirectory()) {
        hidden = true;
        break;
      }
    }
    if (hidden) return undefined;
    if (missing) continue;
  }
  return undefined;
}

/**
 * Resolves Docker's `--user` forms (`name`, `uid`, `name:group`, `uid:gid`) against the container's
 * /etc/passwd and /etc/group, as runc's user lookup does: an unknown name is an error, an unknown number is
 * used as is (with gid 0 and home "/").
 */
export async function resolveUser(spec: string | undefined, layerDirs: readonly string[]): Promise<ResolvedUser> {
  const [userPart = '', groupPart] = (spec ?? '').split(':', 2);
  const passwd = parsePasswd((await readFromLayers(layerDirs, 'etc/passwd')) ?? '');
  const groups = parseGroup((await readFromLayers(layerDirs, 'etc/group')) ?? '');
  let uid = 0;
  let gid = 0;
  let home = '/';
  let name: string | undefined;
  const user = userPart === '' ? passwd.find((p) => p.uid === 0) : passwd.find((p) => p.name === userPart || String(p.uid) === userPart);
  if (user) {
    uid = user.uid;
    gid = user.gid;
    home = user.home;
    name = user.name;
  } else if (userPart === '') {
    home = '/root';
  } else if (/^\d+$/.test(userPart)) {
    uid = Number(userPart);
  } else {
    throw new InvalidArgumentError(`unable to find user ${userPart}: no matching entries in passwd file`);
  }
  if (groupPart !== undefined && groupPart !== '') {
    const g = groups.find((x) => x.name === groupPart || String(x.gid) === groupPart);
    if (g) gid = g.gid;
    else if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else throw new InvalidArgumentError(`unable to find group ${groupPart}: no matching entries in group file`);
  }
  const additionalGids =
    name === undefined ? [] : groups.filter((g) => g.members.includes(name) && g.gid !== gid).map((g) => g.gid);
  return { uid, gid, additionalGids, home };
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

function parsePasswd(text: string): PasswdEntry[] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 6 && /^\d+$/.test(f[2] ?? '') && /^\d+$/.test(f[3] ?? ''))
    .map((f) => ({ name: f[0] ?? '', uid: Number(f[2]), gid: Number(f[3]), home: f[5] || '/' }));
}

function parseGroup(text: string): { name: string; gid: number; members: string[] }[] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 3 && /^\d+$/.test(f[2] ?? ''))
    .map((f) => ({ name: f[0] ?? '', gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }));
}

/**
 * `--group-add` values (names or numbers) → gids, names looked up in the container's /etc/group. An unknown
 * name is the user's mistake, in runc's words.
 */
export async function resolveGroups(groupAdd: unknown, layerDirs: readonly string[]): Promise<number[]> {
  if (!Array.isArray(groupAdd) || groupAdd.length === 0) return [];
  const names = groupAdd.filter((g): g is string => typeof g === 'string');
  if (names.every((g) => /^\d+$/.test(g))) return names.map(Number);
  const groups = parseGroup((await readFromLayers(layerDirs, 'etc/group')) ?? '');
  return names.map((g) => {
    if (/^\d+$/.test(g)) return Number(g);
    const found = groups.find((x) => x.name === g);
    if (!found) throw new InvalidArgumentError(`Unable to find group ${g}: no matching entries in group file`);
    return found.gid;
  });
}
