import { InvalidArgumentError } from '../../core/errdefs.js';
import { parseFilters } from '../../pkg/filters.js';
import { parseTimestamps, timestampToDate } from '../../pkg/go-duration.js';
import { encodeFrame, FRAME_HEADER_SIZE, STDERR, STDOUT, writeFrameHeader } from '../../pkg/stdcopy.js';
import type { LogEntry } from '../../pkg/container-log.js';
import type { Duplex } from 'node:stream';
import { parseDetachKeys } from '../../pkg/detach-keys.js';
import type { ContainerService, WaitCondition } from '../../services/containers/container-service.js';
import type { AttachSink } from '../../services/containers/stdio-session.js';
import { boolParam, drained, intParam, readJson, requireResponse, sendJson, sendNoContent, type RequestContext } from '../http-context.js';
import type { Route } from '../router.js';

const MULTIPLEXED = 'application/vnd.docker.multiplexed-stream';
const RAW = 'application/vnd.docker.raw-stream';

/** `/containers/...`: parse, validate, call the container service, encode. */
export function containerRoutes(containers: ContainerService): Route[] {
  return [
    {
      method: 'GET',
      path: '/containers/json',
      handler: async (ctx) => {
        const q = ctx.query;
        const limit = boolParam(q, 'latest') ? 1 : intParam(q, 'limit', -1);
        const list = await containers.list({
          all: boolParam(q, 'all'),
          limit,
          size: boolParam(q, 'size'),
          filters: parseFilters(q.get('filters')),
        });
        sendJson(ctx, 200, list);
      },
    },
    {
      method: 'POST',
      path: '/containers/create',
      handler: async (ctx) => {
        const body = await readJson(ctx.req);
        const name = ctx.query.get('name') ?? undefined;
        sendJson(ctx, 201, await containers.create(body, { name: name === '' ? undefined : name }));
      },
    },
    { method: 'GET', path: '/containers/{id}/json', handler: (ctx) => sendJson(ctx, 200, containers.inspect(ctx.params['id']!)) },
    {
      method: 'POST',
      path: '/containers/{id}/start',
      handler: async (ctx) => {
        await containers.start(ctx.params['id']!);
        sendNoContent(ctx);
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/stop',
      handler: async (ctx) => {
        await containers.stop(ctx.params['id']!, stopOptions(ctx.query));
        sendNoContent(ctx);
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/restart',
      handler: async (ctx) => {
        await containers.restart(ctx.params['id']!, stopOptions(ctx.query));
        sendNoContent(ctx);
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/rename',
      handler: (ctx) => {
        containers.rename(ctx.params['id']!, ctx.query.get('name') ?? '');
        sendNoContent(ctx);
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/kill',
      handler: async (ctx) => {
        await containers.kill(ctx.params['id']!, ctx.query.get('signal') ?? undefined);
        sendNoContent(ctx);
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/wait',
      handler: async (ctx) => {
        const condition = (ctx.query.get('condition') || 'not-running') as WaitCondition;
        if (!['not-running', 'next-exit', 'removed'].includes(condition)) {
          throw new InvalidArgumentError(`invalid condition: "${condition}"`);
        }
        const { result } = containers.wait(ctx.params['id']!, condition);
        // Headers go out now: the client starts the container only after it knows the wait is registered.
        const res = requireResponse(ctx);
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.flushHeaders();
        const r = await Promise.race([result, new Promise<undefined>((resolve) => ctx.signal.addEventListener('abort', () => resolve(undefined)))]);
        if (r !== undefined) res.end(`${JSON.stringify(r)}\n`);
      },
    },
    {
      method: 'DELETE',
      path: '/containers/{id}',
      handler: async (ctx) => {
        if (boolParam(ctx.query, 'link')) throw new InvalidArgumentError('berth does not support legacy links');
        await containers.remove(ctx.params['id']!, { force: boolParam(ctx.query, 'force'), volumes: boolParam(ctx.query, 'v') });
        sendNoContent(ctx);
      },
    },
    { method: 'GET', path: '/containers/{id}/logs', handler: (ctx) => logs(containers, ctx) },
    { method: 'POST', path: '/containers/{id}/attach', handler: (ctx) => attach(containers, ctx) },
    {
      method: 'POST',
      path: '/containers/{id}/pause',
      handler: async (ctx) => {
        await containers.pause(ctx.params['id']!);
        sendNoContent(ctx);
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/unpause',
      handler: async (ctx) => {
        await containers.unpause(ctx.params['id']!);
        sendNoContent(ctx);
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/resize',
      handler: async (ctx) => {
        await containers.resize(ctx.params['id']!, terminalSize(ctx.query));
        sendJson(ctx, 200, null);
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/update',
      handler: async (ctx) => sendJson(ctx, 200, await containers.update(ctx.params['id']!, await readJson(ctx.req))),
    },
    {
      method: 'GET',
      path: '/containers/{id}/top',
      handler: async (ctx) => sendJson(ctx, 200, await containers.top(ctx.params['id']!, ctx.query.get('ps_args') ?? '-ef')),
    },
    {
      method: 'POST',
      path: '/containers/prune',
      handler: async (ctx) => sendJson(ctx, 200, await containers.prune(parseFilters(ctx.query.get('filters')))),
    },
  ];
}

/** `h` and `w` of a resize: Docker requires both as unsigned integers. */
export function terminalSize(q: URLSearchParams): { height: number; width: number } {
  const h = q.get('h');
  const w = q.get('w');
  if (h === null || w === null || !/^\d+$/.test(h) || !/^\d+$/.test(w)) throw new InvalidArgumentError('Bad parameters: h and w must be integers');
  return { height: Number(h), width: Number(w) };
}

/** `t` and `signal` of stop and restart: an absent or empty `t` leaves the container's own stop timeout. */
function stopOptions(q: URLSearchParams): { timeout?: number; signal?: string } {
  const t = q.get('t');
  return { timeout: t === null || t === '' ? undefined : intParam(q, 't', 10), signal: q.get('signal') ?? undefined };
}

async function logs(containers: ContainerService, ctx: RequestContext): Promise<void> {
  const q = ctx.query;
  const stdout = boolParam(q, 'stdout');
  const stderr = boolParam(q, 'stderr');
  if (!stdout && !stderr) throw new InvalidArgumentError('Bad parameters: you must choose at least one stream');
  const tailText = q.get('tail') ?? 'all';
  let tail: number | undefined;
  if (tailText !== 'all' && tailText !== '') {
    if (!/^-?\d+$/.test(tailText)) throw new InvalidArgumentError(`invalid value for "tail": "${tailText}"`);
    tail = Number(tailText);
    if (tail < 0) tail = undefined;
  }
  const since = parseTime(q.get('since'));
  const until = parseTime(q.get('until'));
  const timestamps = boolParam(q, 'timestamps');
  const { tty, batches } = containers.logs(ctx.params['id']!, {
    follow: boolParam(q, 'follow'),
    tail,
    since,
    until,
    signal: ctx.signal,
  });
  const res = requireResponse(ctx);
  res.writeHead(200, { 'Content-Type': tty ? RAW : MULTIPLEXED });
  res.flushHeaders();
  // The reader hands over a block's worth of entries at a time (and at once whenever it waits for the disk or
  // for new output, so a follower sees each line as it comes): one write per batch.
  for await (const batch of batches) {
    const data = encodeLogBatch(batch, { stdout, stderr, tty, timestamps });
    if (data.length > 0 && !res.destroyed && !res.write(data)) await drained(res, ctx.signal);
  }
  res.end();
}

/**
 * A batch of log entries as one buffer: raw with a TTY, else multiplexed frames; with a timestamp when asked.
 * Adjacent entries of one stream share a frame: the bytes each stream carries are the same, and a client then
 * demultiplexes a few frames per batch instead of one per line (the docker CLI spends most of a big `logs` there).
 */
function encodeLogBatch(batch: LogEntry[], opts: { stdout: boolean; stderr: boolean; tty: boolean; timestamps: boolean }): Buffer {
  const picked: { e: LogEntry; prefix: string }[] = [];
  let size = 0;
  let frames = 0;
  let last: LogEntry['stream'] | undefined;
  for (const e of batch) {
    if (!(e.stream === 'stdout' ? opts.stdout : opts.stderr)) continue;
    const prefix = opts.timestamps ? `${dockerTimestamp(e.timeNano)} ` : '';
    picked.push({ e, prefix });
    size += prefix.length + e.line.length;
    if (e.stream !== last) frames++;
    last = e.stream;
  }
  const out = Buffer.allocUnsafe(size + (opts.tty ? 0 : frames * FRAME_HEADER_SIZE));
  let at = 0;
  // The frame being filled: its header is written once its length is known.
  let frame: { at: number; stream: LogEntry['stream'] } | undefined;
  const closeFrame = (): void => {
    if (frame) writeFrameHeader(out, frame.at, frame.stream === 'stdout' ? STDOUT : STDERR, at - frame.at - FRAME_HEADER_SIZE);
  };
  for (const { e, prefix } of picked) {
    if (!opts.tty && e.stream !== frame?.stream) {
      closeFrame();
      frame = { at, stream: e.stream };
      at += FRAME_HEADER_SIZE;
    }
    if (prefix) at += out.write(prefix, at, 'latin1');
    at += e.line.copy(out, at);
  }
  closeFrame();
  return out;
}

/** Docker prints log timestamps as RFC 3339 with nine fractional digits in UTC ("...Z"). */
export function dockerTimestamp(conmonTime: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]00:00)$/.exec(conmonTime);
  if (m) return `${m[1]}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}Z`;
  const d = new Date(conmonTime);
  return Number.isNaN(d.getTime()) ? conmonTime : d.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

function parseTime(v: string | null): Date | undefined {
  if (v === null || v === '' || v === '0') return undefined;
  return timestampToDate(parseTimestamps(v, 0));
}

async function attach(containers: ContainerService, ctx: RequestContext): Promise<void> {
  const q = ctx.query;
  const id = ctx.params['id']!;
  const c = containers.get(id);
  const detachKeys = q.get('detachKeys') ?? '';
  // Refused before the hijack, so that the client gets a proper 400.
  if (detachKeys) parseDetachKeys(detachKeys);
  const tty = c.config.Tty === true;
  const wantStdin = boolParam(q, 'stdin');
  const socket = ctx.hijack(tty ? RAW : MULTIPLEXED);
  socket.on('error', () => undefined);
  // Without stdin, whatever the client sends is drained so that it never blocks.
  if (!wantStdin) socket.resume();
  await containers.attach(
    id,
    {
      stream: boolParam(q, 'stream'),
      logs: boolParam(q, 'logs'),
      stdout: boolParam(q, 'stdout'),
      stderr: boolParam(q, 'stderr'),
      stdin: wantStdin ? socket : undefined,
      detachKeys,
      signal: ctx.signal,
    },
    hijackSink(socket, tty),
  );
}

/** Output to a hijacked connection: raw for a TTY, else Docker's multiplexed frames. */
export function hijackSink(socket: Duplex, tty: boolean): AttachSink {
  return {
    write: (stream, data) => {
      if (!socket.destroyed) socket.write(tty ? data : encodeFrame(stream === 'stdout' ? STDOUT : STDERR, data));
    },
    end: () => {
      if (!socket.destroyed) socket.end();
    },
  };
}
