export { RuncConmonRuntime, type RuncConmonRuntimeOptions } from './runtime.js';
