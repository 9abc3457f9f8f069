export { LocalContentStore } from './content-local.js';
