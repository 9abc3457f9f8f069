import { humanSize4 } from '../../pkg/units.js';

/** One line of Docker's JSON progress stream (jsonmessage.JSONMessage), as pull and push produce it. */
export interface ProgressMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  aux?: unknown;
  errorDetail?: { message: string };
  error?: string;
}

export type Emit = (msg: ProgressMessage) => void;

/** Docker's JSONProgress.String(): a 50-wide bar and `1.2MB/3.4MB` (the CLI prints it as sent). */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return humanSize4(current).padStart(8);
  const width = 50;
  const pct = Math.min(1, current / total);
  const bars = Math.floor(width * pct);
  const bar = `[${'='.repeat(bars)}${bars < width ? '>' : ''}${' '.repeat(Math.max(0, width - bars - 1))}] `;
  const numbers = `${humanSize4(current)}/${humanSize4(total)}`.padStart(18);
  return bar + numbers;
}

/**
 * Rate-limits progress updates per id (Docker sends one per 512 KiB or so): a 200 MB layer must not become
 * a hundred thousand JSON lines.
 */
export function progressEmitter(emit: Emit, status: string, id: string, intervalMs = 100): (current: number, total: number) => void {
  let last = 0;
  return (current, total) => {
    const now = Date.now();
    if (now - last < intervalMs && current < total) return;
    last = now;
    emit({ status, progressDetail: { current, total }, progress: progressBar(current, total), id });
  };
}

/** The 12-hex short form Docker uses as a layer's progress id. */
export function shortId(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}
