import { NotFoundError, NotImplementedError, UnavailableError } from '../../core/errdefs.js';
import { sendJson } from '../http-context.js';
import type { Method, Route } from '../router.js';

const NOT_A_MANAGER =
  'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

/**
 * Swarm, services, nodes, tasks, secrets, configs and plugins: berth has none of them, and answers as a Docker
 * Engine that is not in a swarm and has no plugins answers (503 "not a swarm manager", an empty plugin list,
 * 404 for a named plugin), so clients that probe these endpoints take their normal "no swarm" path.
 */
export function notInSwarmRoutes(): Route[] {
  const notManager = (): never => {
    throw new UnavailableError(NOT_A_MANAGER);
  };
  const swarmPaths: [Method, string][] = [
    ['GET', '/swarm'],
    ['GET', '/swarm/unlockkey'],
    ['POST', '/swarm/unlock'],
    ['POST', '/swarm/update'],
    ['GET', '/services'],
    ['POST', '/services/create'],
    ['GET', '/services/{id}'],
    ['POST', '/services/{id}/update'],
    ['DELETE', '/services/{id}'],
    ['GET', '/services/{id}/logs'],
    ['GET', '/tasks'],
    ['GET', '/tasks/{id}'],
    ['GET', '/tasks/{id}/logs'],
    ['GET', '/nodes'],
    ['GET', '/nodes/{id}'],
    ['POST', '/nodes/{id}/update'],
    ['DELETE', '/nodes/{id}'],
    ['GET', '/secrets'],
    ['POST', '/secrets/create'],
    ['GET', '/secrets/{id}'],
    ['POST', '/secrets/{id}/update'],
    ['DELETE', '/secrets/{id}'],
    ['GET', '/configs'],
    ['POST', '/configs/create'],
    ['GET', '/configs/{id}'],
    ['POST', '/configs/{id}/update'],
    ['DELETE', '/configs/{id}'],
  ];
  const pluginNotFound = (name: string): never => {
    throw new NotFoundError(`plugin "${name}" not found`);
  };
  return [
    ...swarmPaths.map(([method, path]): Route => ({ method, path, handler: notManager })),
    {
      method: 'POST',
      path: '/swarm/init',
      handler: () => {
        throw new NotImplementedError('berth does not support swarm mode');
      },
    },
    {
      method: 'POST',
      path: '/swarm/join',
      handler: () => {
        throw new NotImplementedError('berth does not support swarm mode');
      },
    },
    {
      method: 'POST',
      path: '/swarm/leave',
      handler: () => {
        throw new UnavailableError('This node is not part of a swarm');
      },
    },
    { method: 'GET', path: '/plugins', handler: (ctx) => sendJson(ctx, 200, []) },
    {
      method: 'GET',
      path: '/plugins/privileges',
      handler: () => {
        throw new NotImplementedError('berth does not support plugins');
      },
    },
    {
      method: 'POST',
      path: '/plugins/pull',
      handler: () => {
        throw new NotImplementedError('berth does not support plugins');
      },
    },
    {
      method: 'POST',
      path: '/plugins/create',
      handler: () => {
        throw new NotImplementedError('berth does not support plugins');
      },
    },
    { method: 'GET', path: '/plugins/{name:.*}/json', handler: (ctx) => pluginNotFound(ctx.params['name']!) },
    { method: 'POST', path: '/plugins/{name:.*}/enable', handler: (ctx) => pluginNotFound(ctx.params['name']!) },
    { method: 'POST', path: '/plugins/{name:.*}/disable', handler: (ctx) => pluginNotFound(ctx.params['name']!) },
    { method: 'POST', path: '/plugins/{name:.*}/upgrade', handler: (ctx) => pluginNotFound(ctx.params['name']!) },
    { method: 'POST', path: '/plugins/{name:.*}/push', handler: (ctx) => pluginNotFound(ctx.params['name']!) },
    { method: 'POST', path: '/plugins/{name:.*}/set', handler: (ctx) => pluginNotFound(ctx.params['name']!) },
    { method: 'DELETE', path: '/plugins/{name:.*}', handler: (ctx) => pluginNotFound(ctx.params['name']!) },
  ];
}
