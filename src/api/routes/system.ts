import type { MetadataStore } from '../../core/metadata.js';
import type { ContainerService } from '../../services/containers/container-service.js';
import type { ImageService } from '../../services/images/image-service.js';
import { diskUsage } from '../../services/system/disk-usage.js';
import type { SystemService } from '../../services/system/system-service.js';
import type { VolumeService } from '../../services/volumes/volume-service.js';
import { requireResponse, sendJson } from '../http-context.js';
import { API_VERSION, type Route } from '../router.js';

export function pingHeaders(version: string): Record<string, string> {
  return {
    'API-Version': API_VERSION,
    'Builder-Version': '1',
    'Docker-Experimental': 'false',
    Ostype: 'linux',
    Server: `Berth/${version} (linux)`,
    Swarm: 'inactive',
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    Pragma: 'no-cache',
  };
}

/** `/_ping`, `/version`, `/info`. */
export function systemRoutes(system: SystemService, version: string): Route[] {
  return [
    {
      method: 'GET',
      path: '/_ping',
      handler: (ctx) => {
        const res = requireResponse(ctx);
        const head = ctx.req.method === 'HEAD';
        res.writeHead(200, { ...pingHeaders(version), 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': head ? 0 : 2 });
        res.end(head ? undefined : 'OK');
      },
    },
    { method: 'GET', path: '/version', handler: (ctx) => sendJson(ctx, 200, system.version()) },
    { method: 'GET', path: '/info', handler: (ctx) => sendJson(ctx, 200, system.info()) },
  ];
}

/** `GET /system/df`. */
export function diskUsageRoutes(deps: { metadata: MetadataStore; containers: ContainerService; images: ImageService; volumes: VolumeService }): Route[] {
  return [{ method: 'GET', path: '/system/df', handler: async (ctx) => sendJson(ctx, 200, await diskUsage({ ...deps, apiVersion: ctx.apiVersion })) }];
}
