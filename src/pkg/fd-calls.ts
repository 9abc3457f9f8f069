import * as fs from 'node:fs';
import { constants } from 'node:fs';
import { promisify } from 'node:util';

// node:fs's descriptor-based callback API, promisified: measured ≈ 40% cheaper per call than FileHandle, which
// matters for the thousands of small files a layer or an archive holds.
export const fdOpen = promisify(fs.open);
export const fdRead = promisify(fs.read);
export const fdWrite = promisify(fs.write);
export const fdChown = promisify(fs.fchown);
export const fdChmod = promisify(fs.fchmod);
export const fdUtimes = promisify(fs.futimes);
export const fdClose = promisify(fs.close);

/** Flags that create a file at a free name only: never over something there, never through a symlink. */
export const CREATE_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
