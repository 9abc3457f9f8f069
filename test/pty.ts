// Drives a command under a pseudo-terminal with util-linux `script`, so the docker CLI sees a real TTY: raw
// mode, the window size (set with stty before the command), Ctrl-C and the detach keys all behave as for a user.
import { spawn, type ChildProcess } from 'node:child_process';

export interface PtySession {
  /** Everything the terminal showed so far. */
  output(): string;
  write(data: string | Buffer): void;
  /** Resolves once the output matches `pattern` (rejects after `timeoutMs`). */
  expect(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  /** The command's exit code (script -e passes it through). */
  exited: Promise<number>;
  kill(): void;
}

export function runInPty(command: string[], opts: { env: NodeJS.ProcessEnv; rows?: number; cols?: number }): PtySession {
  const quoted = command.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const size = `stty rows ${opts.rows ?? 24} cols ${opts.cols ?? 80}`;
  const child: ChildProcess = spawn('script', ['-qfec', `${size}; exec ${quoted}`, '/dev/null'], {
    env: { ...opts.env, TERM: 'xterm' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (b: Buffer): void => {
    out += b.toString('utf8');
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  return {
    output: () => out,
    write: (data) => {
      child.stdin!.write(data);
    },
    expect(pattern, timeoutMs = 15_000): Promise<void> {
      const matches = (): boolean => (typeof pattern === 'string' ? out.includes(pattern) : pattern.test(out));
      if (matches()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!matches()) return;
          cleanup();
          resolve();
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${String(pattern)}; terminal showed: ${JSON.stringify(out)}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
      });
    },
    exited,
    kill: () => {
      if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
    },
  };
}
