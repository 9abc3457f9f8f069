export { OverlaySnapshotter } from './overlay-snapshotter.js';
