import type { ExecService } from '../../services/containers/exec-service.js';
import { boolParam, readJson, sendJson, type RequestContext } from '../http-context.js';
import type { Route } from '../router.js';
import { hijackSink, terminalSize } from './containers.js';

const MULTIPLEXED = 'application/vnd.docker.multiplexed-stream';
const RAW = 'application/vnd.docker.raw-stream';

/** `docker exec`: create on a container, then start, inspect and resize by exec id. */
export function execRoutes(execs: ExecService): Route[] {
  return [
    {
      method: 'POST',
      path: '/containers/{id}/exec',
      handler: async (ctx) => sendJson(ctx, 201, execs.create(ctx.params['id']!, await readJson(ctx.req))),
    },
    { method: 'POST', path: '/exec/{id}/start', handler: (ctx) => start(execs, ctx) },
    { method: 'GET', path: '/exec/{id}/json', handler: (ctx) => sendJson(ctx, 200, execs.inspect(ctx.params['id']!)) },
    {
      method: 'POST',
      path: '/exec/{id}/resize',
      handler: async (ctx) => {
        await execs.resize(ctx.params['id']!, terminalSize(ctx.query));
        sendJson(ctx, 200, null);
      },
    },
  ];
}

async function start(execs: ExecService, ctx: RequestContext): Promise<void> {
  const id = ctx.params['id']!;
  const body = ((await readJson(ctx.upgradeBody ?? ctx.req)) ?? {}) as { Detach?: unknown; Tty?: unknown; ConsoleSize?: unknown };
  const config = execs.get(id);
  execs.assertStartable(id);
  const detach = body.Detach === true || boolParam(ctx.query, 'detach');
  const consoleSize = Array.isArray(body.ConsoleSize) && body.ConsoleSize.length === 2 ? (body.ConsoleSize as [number, number]) : null;
  if (detach) {
    await execs.start(id, { detach: true, consoleSize, signal: ctx.signal });
    sendJson(ctx, 200, null);
    return;
  }
  const socket = ctx.hijack(config.Tty ? RAW : MULTIPLEXED);
  socket.on('error', () => undefined);
  if (!config.AttachStdin) socket.resume();
  await execs.start(id, { detach: false, consoleSize, stdin: config.AttachStdin ? socket : undefined, sink: hijackSink(socket, config.Tty), signal: ctx.signal });
}
