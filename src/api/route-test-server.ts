import { mkdtempSync, rmSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Route } from './router.js';
import { listen } from './server.js';

/** For route tests: the routes served on a private unix socket, with a GET that resolves at the headers. */
export interface RouteTestServer {
  get(path: string): Promise<IncomingMessage>;
  close(): Promise<void>;
}

export async function serveRoutes(routes: Route[]): Promise<RouteTestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-routes-'));
  const socketPath = join(dir, 'api.sock');
  const server = await listen(`unix://${socketPath}`, routes, { error: () => undefined, debug: () => undefined });
  return {
    get: (path) =>
      new Promise((resolve, reject) => {
        const req = request({ socketPath, path, method: 'GET' }, resolve);
        req.on('error', reject);
        req.end();
      }),
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The whole body of a response, as text. */
export async function bodyText(res: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of res) text += String(chunk);
  return text;
}
