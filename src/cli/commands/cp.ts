/**
 * Container filesystem commands: `cp`, `diff`, `export`, `commit` (docker/cli cli/command/container/{cp,diff,
 * export,commit}.go). `cp` decides on the client side, as docker's does, what the server is asked: the
 * destination's stat picks the directory to extract into and whether the archive's entries must be renamed
 * (moby's archive.PrepareArchiveCopy and friends, reproduced in cp-paths.ts).
 */
import { createWriteStream, promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EngineApiError } from '../../client/errors.js';
import type { ContainerPathStat } from '../../pkg/container-path-stat.js';
import { goModeHas, goModeIsDir, goModeIsRegular, GO_MODE_SYMLINK } from '../../pkg/go-file-mode.js';
import { RootedFs } from '../../pkg/rooted-fs.js';
import { untarInRoot } from '../../pkg/rooted-untar.js';
import { rebaseTar } from '../../pkg/tar-rebase.js';
import { packTree } from '../../pkg/tree-tar.js';
import { humanSize } from '../../pkg/units.js';
import { handle } from '../action.js';
import type { CliContext } from '../cli-context.js';
import { addCommand, exactArgs, rangeArgs, type DockerCommand } from '../command.js';
import { StatusError } from '../errors.js';
import { hasTrailingSeparator, prepareArchiveCopy, splitPathDirEntry, type CopyInfo } from './cp-paths.js';

interface CpOptions {
  archive?: boolean;
  followLink?: boolean;
  quiet?: boolean;
}

/** docker's splitCpArg: `container:path`, or a local path (absolute, or starting with `.`, or without a colon). */
function splitCpArg(arg: string): { container: string; path: string } {
  if (arg.startsWith('/')) return { container: '', path: arg };
  const i = arg.indexOf(':');
  if (i < 0 || arg.startsWith('.')) return { container: '', path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

function isAbs(p: string): boolean {
  return p.startsWith('/');
}

async function runCp(ctx: CliContext, args: string[], opts: CpOptions): Promise<void> {
  const src = splitCpArg(args[0]!);
  const dst = splitCpArg(args[1]!);
  if (src.container !== '' && dst.container !== '') throw new StatusError('copying between containers is not supported', 1);
  if (src.container === '' && dst.container === '') throw new StatusError('must specify at least one container source', 1);
  const progress = !opts.quiet && ctx.stderr.isTTY === true;
  if (src.container !== '') {
    const size = await copyFromContainer(ctx, src.container, src.path, dst.path, opts);
    if (progress && dst.path !== '-') ctx.err(`Successfully copied ${humanSize(size)} to ${dst.path}\n`);
  } else {
    const size = await copyToContainer(ctx, src.path, dst.container, dst.path, opts);
    if (progress) ctx.err(`Successfully copied ${humanSize(size)} to ${dst.container}:${dst.path}\n`);
  }
}

/** Counts the bytes that pass, for the closing "Successfully copied" line. */
function counted(stream: Readable, counter: { bytes: number }): Readable {
  return Readable.from(
    (async function* () {
      for await (const chunk of stream) {
        counter.bytes += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    })(),
    { objectMode: false },
  );
}

async function copyFromContainer(ctx: CliContext, container: string, srcPathIn: string, dstPath: string, opts: CpOptions): Promise<number> {
  let srcPath = srcPathIn;
  if (dstPath !== '-') await validateOutputPath(dstPath);
  let rebaseName = '';
  if (opts.followLink) {
    const st = await ctx.client.containerStatPath(container, srcPath).catch(() => undefined);
    if (st && goModeHas(st.mode, GO_MODE_SYMLINK)) {
      let linkTarget = st.linkTarget;
      if (!isAbs(linkTarget)) linkTarget = join(splitPathDirEntry(srcPath)[0], linkTarget);
      [srcPath, rebaseName] = getRebaseName(srcPath, linkTarget);
    }
  }
  const { stat, content } = await ctx.client.copyFromContainer(container, srcPath);
  const counter = { bytes: 0 };
  if (dstPath === '-') {
    await pipeline(counted(content, counter), ctx.stdout, { end: false });
    return counter.bytes;
  }
  const srcInfo: CopyInfo = { path: srcPath, exists: true, isDir: goModeIsDir(stat.mode), rebaseName };
  let archive: Readable = counted(content, counter);
  if (rebaseName !== '') archive = rebaseTar(archive, splitPathDirEntry(srcPath)[1], rebaseName);
  const dstInfo = await copyInfoDestinationPath(dstPath);
  const prepared = prepareArchiveCopy(archive, srcInfo, dstInfo, rebaseTar);
  await extractLocally(prepared.archive, prepared.dstDir);
  return counter.bytes;
}

async function copyToContainer(ctx: CliContext, srcPath: string, container: string, dstPathIn: string, opts: CpOptions): Promise<number> {
  const dstInfo: CopyInfo = { path: dstPathIn, exists: false, isDir: false, rebaseName: '' };
  let dstStat: ContainerPathStat | undefined;
  let statErr: unknown;
  try {
    dstStat = await ctx.client.containerStatPath(container, dstPathIn);
    if (goModeHas(dstStat.mode, GO_MODE_SYMLINK)) {
      let linkTarget = dstStat.linkTarget;
      if (!isAbs(linkTarget)) linkTarget = join(splitPathDirEntry(dstPathIn)[0], linkTarget);
      dstInfo.path = linkTarget;
      dstStat = await ctx.client.containerStatPath(container, linkTarget);
    }
  } catch (e) {
    statErr = e;
    dstStat = undefined;
  }
  // A missing container is the only stat failure worth stopping for (docker then says so on the PUT).
  if (statErr instanceof EngineApiError && statErr.statusCode !== 404) throw statErr;
  if (dstStat && !goModeIsDir(dstStat.mode) && !goModeIsRegular(dstStat.mode)) {
    throw new StatusError(`destination "${container}:${dstPathIn}" must be a directory or a regular file`, 1);
  }
  if (dstStat) {
    dstInfo.exists = true;
    dstInfo.isDir = goModeIsDir(dstStat.mode);
  }
  const counter = { bytes: 0 };
  let content: Readable;
  let resolvedDstPath: string;
  if (srcPath === '-') {
    if (!dstInfo.isDir) {
      // docker asks the server first, so a missing container is reported as such.
      if (!dstStat) await ctx.client.containerStatPath(container, '/');
      throw new StatusError(`destination "${container}:${dstPathIn}" must be a directory`, 1);
    }
    content = counted(ctx.stdin, counter);
    resolvedDstPath = dstInfo.path;
  } else {
    const srcInfo = await copyInfoSourcePath(srcPath, opts.followLink === true);
    const srcArchive = await tarResource(srcInfo);
    const prepared = prepareArchiveCopy(counted(srcArchive, counter), srcInfo, dstInfo, rebaseTar);
    resolvedDstPath = prepared.dstDir;
    content = prepared.archive;
  }
  await ctx.client.copyToContainer(container, resolvedDstPath, content, { copyUIDGID: opts.archive === true });
  return counter.bytes;
}

/** docker's archive.GetRebaseName: a trailing separator or `/.` on the link path carries over to the target. */
function getRebaseName(path: string, resolvedPath: string): [string, string] {
  let resolved = resolvedPath;
  let rebaseName = '';
  if (path.endsWith('/.') && !resolved.endsWith('/.')) resolved += '/.';
  if (hasTrailingSeparator(path) && !hasTrailingSeparator(resolved)) resolved += '/';
  if (basename(path) !== basename(resolved)) rebaseName = basename(path);
  return [resolved, rebaseName];
}

/** docker's ValidateOutputPath: the parent of a local destination must exist. */
async function validateOutputPath(path: string): Promise<void> {
  const dir = dirname(path.replace(/\/+$/, '') || '/');
  if (dir !== '' && dir !== '.') {
    try {
      await fsp.stat(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new StatusError(`invalid output path: directory "${dir}" does not exist`, 1);
    }
  }
}

/** moby's archive.CopyInfoSourcePath / ResolveHostSourcePath. */
async function copyInfoSourcePath(path: string, followLink: boolean): Promise<CopyInfo> {
  let resolved: string;
  let rebaseName = '';
  try {
    if (followLink) {
      resolved = await fsp.realpath(path);
      [resolved, rebaseName] = getRebaseName(path, resolved);
    } else {
      const [dir, base] = [dirname(path.endsWith('/') ? `${path}.` : path), path.endsWith('/') ? '' : basename(path)];
      const realDir = await fsp.realpath(dir);
      resolved = base === '' ? `${realDir}/` : join(realDir, base) + (path.endsWith('/.') ? '/.' : '');
      if (hasTrailingSeparator(path) && basename(path) !== basename(resolved)) rebaseName = basename(path);
    }
    const st = await fsp.lstat(resolved);
    return { path: resolved, exists: true, isDir: st.isDirectory(), rebaseName };
  } catch (e) {
    throw new StatusError(localError(e, path), 1);
  }
}

/** moby's archive.CopyInfoDestinationPath: follows a local symlink destination; the parent must exist. */
async function copyInfoDestinationPath(pathIn: string): Promise<CopyInfo> {
  let path = pathIn;
  for (let n = 0; n <= 10; n++) {
    let st;
    try {
      st = await fsp.lstat(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new StatusError(localError(e, path), 1);
      const [parent] = splitPathDirEntry(path);
      let pst;
      try {
        pst = await fsp.stat(parent);
      } catch (pe) {
        throw new StatusError(localError(pe, parent), 1);
      }
      if (!pst.isDirectory()) throw new StatusError('not a directory', 1);
      return { path, exists: false, isDir: false, rebaseName: '' };
    }
    if (!st.isSymbolicLink()) return { path, exists: true, isDir: st.isDirectory(), rebaseName: '' };
    const target = await fsp.readlink(path);
    path = isAbs(target) ? target : join(splitPathDirEntry(path)[0], target);
  }
  throw new StatusError(`too many symlinks in ${pathIn}`, 1);
}

function localError(e: unknown, path: string): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `lstat ${path}: no such file or directory`;
  return e instanceof Error ? e.message : String(e);
}

/** moby's TarResource: the source's parent directory, archiving only the source (renamed when asked). */
async function tarResource(info: CopyInfo): Promise<Readable> {
  const [dir, base] = splitPathDirEntry(info.path);
  const root = await RootedFs.open(dir);
  const topName = info.rebaseName !== '' ? info.rebaseName : base;
  const gen = packTree(root.rootFd, base, { topName, topPath: `/${base}` });
  return Readable.from(
    (async function* () {
      try {
        yield* gen;
      } finally {
        root.close();
      }
    })(),
    { objectMode: false },
  );
}

/** moby's archive.Untar with NoLchown and NoOverwriteDirNonDir, into a local directory, never outside it. */
async function extractLocally(archive: Readable, dstDir: string): Promise<void> {
  const root = await RootedFs.open(dstDir);
  try {
    await untarInRoot(archive, root, '/', { noOverwriteDirNonDir: true, noLchown: true });
  } finally {
    root.close();
  }
}

export function registerCpCommands(root: DockerCommand, container: DockerCommand): void {
  for (const parent of [root, container]) {
    addCommand(
      parent,
      {
        name: 'cp',
        use: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
        short: 'Copy files/folders between a container and the local filesystem',
        args: exactArgs(2),
        aliasesLine: 'berth container cp, berth cp',
      },
      (cmd) => {
        cmd
          .bool('-a, --archive', 'Archive mode (copy all uid/gid information)')
          .bool('-L, --follow-link', 'Always follow symbol link in SRC_PATH')
          .bool('-q, --quiet', 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached');
        handle<CpOptions>(cmd, (ctx, args, opts) => runCp(ctx, args, opts));
      },
    );
    addCommand(
      parent,
      { name: 'diff', use: 'CONTAINER', short: 'Inspect changes to files or directories on a container\'s filesystem', args: exactArgs(1), aliasesLine: 'berth container diff, berth diff' },
      (cmd) => {
        handle(cmd, async (ctx, args) => {
          const changes = (await ctx.client.containerChanges(args[0]!)) ?? [];
          ctx.out(changes.map((c) => `${['C', 'A', 'D'][c.Kind] ?? '?'} ${c.Path}\n`).join(''));
        });
      },
    );
    addCommand(
      parent,
      { name: 'export', use: '[OPTIONS] CONTAINER', short: 'Export a container\'s filesystem as a tar archive', args: exactArgs(1), aliasesLine: 'berth container export, berth export' },
      (cmd) => {
        cmd.str('-o, --output <string>', 'Write to a file, instead of STDOUT');
        handle<{ output?: string }>(cmd, async (ctx, args, opts) => {
          if (!opts.output && ctx.stdout.isTTY) throw new StatusError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
          const res = await ctx.client.containerExport(args[0]!);
          if (!opts.output) {
            await pipeline(res, ctx.stdout, { end: false });
            return;
          }
          await pipeline(res, createWriteStream(opts.output, { mode: 0o600 }));
        });
      },
    );
    addCommand(
      parent,
      {
        name: 'commit',
        use: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
        short: 'Create a new image from a container\'s changes',
        args: rangeArgs(1, 2),
        aliasesLine: 'berth container commit, berth commit',
      },
      (cmd) => {
        cmd
          .str('-a, --author <string>', 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
          .list('-c, --change <list>', 'Apply Dockerfile instruction to the created image')
          .str('-m, --message <string>', 'Commit message')
          .bool('-p, --pause', 'Pause container during commit (default true)');
        handle<{ author?: string; change: string[]; message?: string }>(cmd, async (ctx, args, opts, self) => {
          const res = await ctx.client.containerCommit(args[0]!, {
            reference: args[1],
            comment: opts.message,
            author: opts.author,
            changes: opts.change,
            pause: !self.explicitFalse.has('pause'),
          });
          ctx.out(`${res.Id}\n`);
        });
      },
    );
  }
}
