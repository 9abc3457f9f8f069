/**
 * docker's jsonmessage.DisplayJSONMessagesStream: prints a load/import/pull progress stream. Off a terminal,
 * progress updates are skipped and every other message is one line; on a terminal, lines with an `id` are
 * rewritten in place with cursor movements. An `error` message ends the display with that error.
 */
import { readJsonMessages } from '../../client/engine-client.js';
import type { JsonMessage } from '../../client/types.js';

export class JsonMessageError extends Error {
  readonly code: number | undefined;
  constructor(message: string, code?: number) {
    super(message);
    this.name = 'JsonMessageError';
    this.code = code;
  }
}

function hasProgress(jm: JsonMessage): boolean {
  const d = jm.progressDetail;
  return d !== undefined && ((d.current ?? 0) > 0 || (d.total ?? 0) > 0);
}

/** Formats one message as docker's JSONMessage.Display would (without the terminal line clearing). */
export function displayLine(jm: JsonMessage, isTerminal: boolean): string | undefined {
  if (jm.errorDetail?.message || jm.error) {
    throw new JsonMessageError(jm.errorDetail?.message ?? jm.error ?? '', jm.errorDetail?.code);
  }
  const progress = jm.progressDetail !== undefined;
  if (!isTerminal && progress && hasProgress(jm)) return undefined;
  let out = '';
  if (jm.time) out += `${new Date(jm.time * 1000).toISOString().replace(/\.\d+Z$/, '.000000000Z')} `;
  if (jm.id) out += `${jm.id}: `;
  if (jm.from) out += `(from ${jm.from}) `;
  if (progress && isTerminal) out += `${jm.status ?? ''} ${jm.progress ?? ''}`;
  else if (jm.progress && !progress) out += `${jm.status ?? ''} ${jm.progress}`;
  else if (jm.stream) out += jm.stream;
  else out += `${jm.status ?? ''}\n`;
  return out;
}

/** Prints a progress stream to `out`; `onAux` receives `aux` payloads (e.g. the image ID of a build). */
export async function displayJsonMessages(
  stream: AsyncIterable<Buffer | string>,
  out: { write(s: string): unknown },
  isTerminal: boolean,
  onAux?: (aux: unknown) => void,
): Promise<void> {
  let ids = new Map<string, number>();
  for await (const jm of readJsonMessages(stream)) {
    if (jm.aux !== undefined) {
      onAux?.(jm.aux);
      continue;
    }
    let diff = 0;
    const progressish = jm.progressDetail !== undefined || (jm.progress !== undefined && jm.progress !== '');
    if (jm.id && progressish) {
      let line = ids.get(jm.id);
      if (line === undefined) {
        line = ids.size;
        ids.set(jm.id, line);
        if (isTerminal) out.write('\n');
      }
      diff = ids.size - line;
      if (isTerminal && diff > 0) out.write(`\x1b[${diff}A`);
    } else {
      ids = new Map();
    }
    if (isTerminal && !jm.stream && jm.progressDetail !== undefined) out.write('\r\x1b[2K');
    const text = displayLine(jm, isTerminal);
    if (text !== undefined) out.write(isTerminal && jm.progressDetail !== undefined && !jm.stream ? text.replace(/\n$/, '') + '\r' : text);
    if (jm.id && isTerminal && diff > 0) out.write(`\x1b[${diff}B`);
  }
}
