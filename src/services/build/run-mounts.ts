import { createHash, randomBytes } from 'node:crypto';
import { chown, chmod, lstat, mkdir, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { InvalidArgumentError, NotImplementedError } from '../../core/errdefs.js';
import type { OciSpec } from '../../core/runtime.js';
import type { Lookup } from '../../pkg/dockerfile/shell-words.js';
import { expandWord } from '../../pkg/dockerfile/shell-words.js';
import { mountAll, unmount } from '../../pkg/mounter.js';
import { ramInBytes } from '../../pkg/units.js';
import type { BuildContext } from './build-context.js';
import type { BuildDeps, BuildState } from './build-types.js';
import { materializeContext, resolveInRoot } from './copy-files.js';
import { snapshotIdsOf } from './copy-step.js';

export interface MountEnv {
  deps: BuildDeps;
  ctx: BuildContext;
  scratch: string;
  secrets: ReadonlyMap<string, Buffer>;
  lookup: Lookup;
  escape: string;
  stageState: (ref: string) => Promise<BuildState>;
  line: number;
}

export interface PreparedMounts {
  specs: OciSpec['mounts'];
  /** Mount targets inside the container, to take their empty mountpoints out of the layer afterwards. */
  targets: string[];
  release(): Promise<void>;
}

/**
 * BuildKit's `RUN --mount` for berth's builder, through any API: `type=cache` (a directory under the build
 * work dir that persists between builds and is never part of the image), `type=bind` (read-only, from the
 * context or another stage/image), `type=tmpfs` and `type=secret` (a file from `berth build --secret`).
 */
export async function runMounts(specs: readonly string[], env: MountEnv): Promise<PreparedMounts> {
  const out: OciSpec['mounts'] = [];
  const targets: string[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  const release = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    for (const raw of specs) {
      const kv = parseCsv(raw, env);
      const type = kv.get('type') ?? 'bind';
      const target = kv.get('target') ?? kv.get('dst') ?? kv.get('destination');
      const ro = kv.has('ro') || kv.has('readonly') ? kv.get('ro') !== 'false' && kv.get('readonly') !== 'false' : undefined;
      switch (type) {
        case 'cache': {
          if (!target) throw bad(env, 'mount type=cache requires a target');
          const id = kv.get('id') ?? target;
          const dir = join(env.deps.workDir, 'cache-mounts', createHash('sha256').update(id).digest('hex').slice(0, 32));
          const created = !(await lstat(dir).catch(() => undefined));
          await mkdir(dir, { recursive: true, mode: 0o755 });
          if (created) {
            await chown(dir, num(kv.get('uid'), 0), num(kv.get('gid'), 0));
            await chmod(dir, kv.has('mode') ? parseInt(kv.get('mode') as string, 8) : 0o755);
          }
          out.push({ destination: target, type: 'bind', source: dir, options: ['rbind', ro === true ? 'ro' : 'rw'] });
          targets.push(target);
          break;
        }
        case 'bind': {
          if (!target) throw bad(env, 'mount type=bind requires a target');
          const source = kv.get('source') ?? kv.get('src') ?? '/';
          const from = kv.get('from');
          let host: string;
          if (from !== undefined) {
            const state = await env.stageState(from);
            const view = join(env.scratch, `bind-${randomBytes(6).toString('hex')}`);
            await mkdir(view, { recursive: true });
            const ids = snapshotIdsOf(env.deps, state);
            if (ids.length > 0) {
              await mountAll(env.deps.snapshotter.viewMounts(ids), view);
              cleanups.push(() => unmount(view, { lazy: true }));
            }
            cleanups.push(() => rm(view, { recursive: true, force: true }));
            host = await resolveInRoot(view, source, true);
          } else {
            const rel = posix.normalize(`/${source}`).slice(1);
            if (rel !== '' && env.ctx.ignored(rel)) throw bad(env, `mount source ${source} is excluded by .dockerignore`);
            const resolved = env.ctx.resolve(rel);
            if (resolved === undefined) throw bad(env, `mount source ${source}: no such file or directory`);
            // Binds need real files: the part of the context asked for is written out once for this step.
            host = env.ctx.scratchPath(`bind-${randomBytes(6).toString('hex')}`);
            await materializeContext(env.ctx, resolved, host);
            const written = host;
            cleanups.push(() => rm(written, { recursive: true, force: true }));
          }
          if (!(await lstat(host).catch(() => undefined))) throw bad(env, `mount source ${source}: no such file or directory`);
          // rw binds are writable in BuildKit but their writes are discarded; berth mounts them read-only.
          out.push({ destination: target, type: 'bind', source: host, options: ['rbind', 'ro'] });
          targets.push(target);
          break;
        }
        case 'tmpfs': {
          if (!target) throw bad(env, 'mount type=tmpfs requires a target');
          const size = kv.get('size');
          const options = ['nosuid', 'nodev'];
          if (size !== undefined) options.push(`size=${ramInBytes(size)}`);
          out.push({ destination: target, type: 'tmpfs', source: 'tmpfs', options });
          targets.push(target);
          break;
        }
        case 'secret': {
          const id = kv.get('id') ?? (target ? posix.basename(target) : undefined);
          if (!id) throw bad(env, 'mount type=secret requires an id or a target');
          const dest = target ?? `/run/secrets/${id}`;
          const value = env.secrets.get(id);
          if (value === undefined) {
            if (kv.get('required') === 'true') throw bad(env, `secret ${id} not found`);
            continue;
          }
          const file = join(env.scratch, `secret-${randomBytes(8).toString('hex')}`);
          await writeFile(file, value, { mode: 0o400 });
          await chown(file, num(kv.get('uid'), 0), num(kv.get('gid'), 0));
          if (kv.has('mode')) await chmod(file, parseInt(kv.get('mode') as string, 8));
          cleanups.push(() => rm(file, { force: true }));
          out.push({ destination: dest, type: 'bind', source: file, options: ['rbind', 'ro'] });
          targets.push(dest);
          break;
        }
        case 'ssh':
          throw new NotImplementedError('RUN --mount=type=ssh is not supported by berth');
        default:
          throw bad(env, `unsupported mount type "${type}"`);
      }
    }
  } catch (err) {
    await release();
    throw err;
  }
  return { specs: out, targets, release };
}

/**
 * Takes the mountpoints runc had to create for `RUN --mount` out of a step's changes: an empty directory
 * or file at a target that the lower layers do not have (and its parents made the same way) would otherwise
 * end up in the image, which BuildKit never does.
 */
export async function pruneMountpoints(upper: string, lowerDirs: readonly string[], targets: readonly string[]): Promise<void> {
  for (const target of targets) {
    let p = posix.normalize(`/${target}`);
    while (p !== '/') {
      const host = join(upper, p);
      const st = await lstat(host).catch(() => undefined);
      if (!st) break;
      const inLower = await Promise.all(lowerDirs.map((d) => lstat(join(d, p)).then(() => true, () => false)));
      if (inLower.some(Boolean)) break;
      if (st.isDirectory()) {
        if ((await readdir(host)).length > 0) break;
        await rmdir(host);
      } else if (st.isFile() && st.size === 0) {
        await rm(host);
      } else break;
      p = posix.dirname(p);
    }
  }
}

function parseCsv(raw: string, env: MountEnv): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of raw.split(',')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? 'true' : expandWord(part.slice(eq + 1), env.lookup, env.escape);
    out.set(key, value);
  }
  return out;
}

function num(v: string | undefined, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`invalid number ${v}`);
  return n;
}

function bad(env: MountEnv, msg: string): InvalidArgumentError {
  return new InvalidArgumentError(`dockerfile parse error on line ${env.line}: ${msg}`);
}
