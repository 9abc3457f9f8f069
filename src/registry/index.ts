/** The registry server's public face: what `berth registry serve` and `garbage-collect` use. */
export { HtpasswdCheck, parseHtpasswd, TokenIssuer, type AuthConfig } from './auth.js';
export { garbageCollect, type GcResult } from './gc.js';
export { RegistryServer, type RegistryServerOptions } from './server.js';
export { RegistryStorage } from './storage.js';
