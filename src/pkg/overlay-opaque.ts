import { exec } from './exec.js';

/**
 * Canonical paths (from the upper dir's root) of directories overlay marked opaque (`trusted.overlay.opaque=y`).
 * Node cannot read xattrs: one `getfattr` run over the tree (`-P`: never through a symlink) lists them.
 */
export async function opaqueDirs(upperDir: string, opts: { signal?: AbortSignal } = {}): Promise<Set<string>> {
  const res = await exec('getfattr', ['-R', '-P', '-h', '--absolute-names', '-d', '-m', '^trusted\\.overlay\\.opaque$', '-e', 'text', '--', upperDir], {
    maxOutput: Infinity,
    timeoutMs: 120_000,
    signal: opts.signal,
  });
  const out = new Set<string>();
  let file: string | undefined;
  for (const line of res.stdout.split('\n')) {
    if (line.startsWith('# file: ')) {
      file = unescapeGetfattr(line.slice('# file: '.length));
      continue;
    }
    if (file !== undefined && line === 'trusted.overlay.opaque="y"') {
      const rel = file.slice(upperDir.replace(/\/+$/, '').length);
      if (rel.startsWith('/')) out.add(rel);
    }
  }
  return out;
}

/** getfattr escapes bytes outside printable ASCII (and backslash) as `\ooo`. */
function unescapeGetfattr(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const m = /^\\([0-7]{3})/.exec(s.slice(i, i + 4));
    if (m) {
      bytes.push(Number.parseInt(m[1]!, 8));
      i += 3;
      continue;
    }
    bytes.push(...Buffer.from(s[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}
