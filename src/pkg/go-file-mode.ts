/**
 * Go's os.FileMode, the `mode` of Docker's container path stat (X-Docker-Container-Path-Stat): permission
 * bits in the low 9 bits and the file type and special bits as single high bits, not POSIX's st_mode layout.
 */
export const GO_MODE_DIR = 2 ** 31;
export const GO_MODE_SYMLINK = 2 ** 27;
export const GO_MODE_DEVICE = 2 ** 26;
export const GO_MODE_NAMED_PIPE = 2 ** 25;
export const GO_MODE_SOCKET = 2 ** 24;
export const GO_MODE_SETUID = 2 ** 23;
export const GO_MODE_SETGID = 2 ** 22;
export const GO_MODE_CHAR_DEVICE = 2 ** 21;
export const GO_MODE_STICKY = 2 ** 20;

const S_IFMT = 0o170000;

/** POSIX st_mode → Go FileMode (as Go's os.fillFileStatFromSys does). */
export function goFileMode(stMode: number): number {
  let mode = stMode & 0o777;
  switch (stMode & S_IFMT) {
    case 0o040000:
      mode += GO_MODE_DIR;
      break;
    case 0o120000:
      mode += GO_MODE_SYMLINK;
      break;
    case 0o060000:
      mode += GO_MODE_DEVICE;
      break;
    case 0o020000:
      mode += GO_MODE_DEVICE + GO_MODE_CHAR_DEVICE;
      break;
    case 0o010000:
      mode += GO_MODE_NAMED_PIPE;
      break;
    case 0o140000:
      mode += GO_MODE_SOCKET;
      break;
  }
  if (stMode & 0o4000) mode += GO_MODE_SETUID;
  if (stMode & 0o2000) mode += GO_MODE_SETGID;
  if (stMode & 0o1000) mode += GO_MODE_STICKY;
  return mode;
}

/** Bit tests on a Go FileMode (a number up to 2^32: no 32-bit bitwise operators). */
export function goModeHas(mode: number, bit: number): boolean {
  return Math.floor(mode / bit) % 2 === 1;
}

export function goModeIsDir(mode: number): boolean {
  return goModeHas(mode, GO_MODE_DIR);
}

/** Go's FileMode.IsRegular: no type bits at all. */
export function goModeIsRegular(mode: number): boolean {
  return [GO_MODE_DIR, GO_MODE_SYMLINK, GO_MODE_DEVICE, GO_MODE_NAMED_PIPE, GO_MODE_SOCKET, GO_MODE_CHAR_DEVICE].every((b) => !goModeHas(mode, b));
}
