import { InternalError } from '../../core/errdefs.js';
import { exec, type ExecOptions } from '../../pkg/exec.js';

/**
 * Sets extended attributes on many paths with one `setfattr --restore` (Node has no setxattr): a layer
 * can carry thousands (capabilities, opaque directories), and one process per file would dominate.
 * `-h` keeps setfattr from following a symlink at the end of a path; the callers guarantee that no
 * parent is one.
 *
 * As Docker does, a filesystem that refuses one attribute (ENOTSUP, or EPERM for `user.*` on a
 * symlink or device) is not a failure of the layer; anything else is.
 */
export async function setXattrs(byPath: ReadonlyMap<string, ReadonlyMap<string, Buffer>>, opts: ExecOptions = {}): Promise<void> {
  if (byPath.size === 0) return;
  let dump = '';
  for (const [path, attrs] of byPath) {
    if (attrs.size === 0) continue;
    dump += `# file: ${escapePath(path)}\n`;
    for (const [name, value] of attrs) dump += `${name}=0s${value.toString('base64')}\n`;
    dump += '\n';
  }
  if (dump === '') return;
  // All of stderr: one refused attribute per line, and a line cut short would read as a fatal one.
  const { code, stderr } = await exec('setfattr', ['-h', '--restore=-'], { ...opts, input: dump, maxOutput: Infinity });
  if (code === 0) return;
  const fatal = stderr
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => !/: (Operation not supported|Operation not permitted)$/.test(line));
  if (fatal.length > 0 || stderr.trim() === '') {
    throw new InternalError(`setting xattrs failed (setfattr exit ${code}): ${(fatal.length > 0 ? fatal : [stderr]).join('; ').trim()}`);
  }
}

/** The dump format's path escaping: every byte outside printable ASCII, and the backslash, as `\ooo`. */
function escapePath(path: string): string {
  let out = '';
  for (const byte of Buffer.from(path, 'utf8')) {
    out += byte > 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return out;
}
