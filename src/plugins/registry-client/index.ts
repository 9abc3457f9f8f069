export { RegistryClient, type RegistryClientOptions } from './registry-client.js';
