export { LocalVolumeDriver } from './local-volume-driver.js';
