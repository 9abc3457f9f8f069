export { TarDiffer } from './tar-differ.js';
