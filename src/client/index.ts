export * from './container-output.js';
export * from './docker-host.js';
export * from './engine-client.js';
export * from './errors.js';
export type * from './types.js';
