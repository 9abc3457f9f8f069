import { spawn } from 'node:child_process';
import { InternalError } from '../../core/errdefs.js';

export interface ToolResult {
  code: number | null;
  stderr: string;
}

/**
 * Runs a helper binary for what Node cannot do itself (mknod, setxattr), feeding `input` on stdin.
 * Messages are forced to the C locale so callers can read them. Abort kills the child.
 */
export function runTool(cmd: string, args: readonly string[], opts: { input?: string; signal?: AbortSignal } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
    if (opts.input !== undefined && child.stdin) {
      // EPIPE when the child dies early is reported through its exit status instead.
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input);
    }
  });
}

/** Runs a helper and fails with its stderr unless it exits 0. */
export async function runToolOrThrow(cmd: string, args: readonly string[], opts: { input?: string; signal?: AbortSignal } = {}): Promise<void> {
  const { code, stderr } = await runTool(cmd, args, opts);
  if (code !== 0) throw new InternalError(`${cmd} failed (exit ${code}): ${stderr.trim()}`);
}
