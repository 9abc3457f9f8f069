import { InternalError } from '../../core/errdefs.js';

/**
 * Keeps the rows of `ps` output whose PID is one of `pids` (moby's parsePSOutput). The last column (the
 * command) may contain spaces, so a row is split into as many fields as there are titles, the rest joined.
 */
export function parsePsOutput(output: string, pids: readonly number[]): { Titles: string[]; Processes: string[][] } {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  const titles = (lines[0] ?? '').trim().split(/\s+/);
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw new InternalError("Couldn't find PID field in ps output");
  const wanted = new Set(pids);
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    const pid = Number(fields[pidIndex]);
    if (!Number.isInteger(pid) || !wanted.has(pid)) continue;
    if (fields.length > titles.length) fields.splice(titles.length - 1, fields.length, fields.slice(titles.length - 1).join(' '));
    processes.push(fields);
  }
  return { Titles: titles, Processes: processes };
}
