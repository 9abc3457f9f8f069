import { join } from 'node:path';

import { InvalidArgumentError } from '../../core/errdefs.js';

/** sun_path is 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH = 107;
/** runc's own rule for container ids; they also become file names here. */
const VALID_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** Docker's short id length: unique enough among one container's execs. */
const EXEC_DIR_NAME_LENGTH = 12;

/**
 * Where the runtime keeps its state under `stateDir` (e.g. <exec-root>/runtime):
 *
 *   runc/                 runc --root: runc's own state per container
 *   exits/<id>            written by conmon when the container exits (the exit code as text)
 *   containers/<id>/      the OCI bundle and conmon's files:
 *     config.json rootfs/ pidfile conmon.pid attach ctl winsz exit oom
 *     execs/<short>/      one per exec session, named by the exec id's first 12 characters: the exec's own
 *                         conmon files (process.json exec_pid conmon.pid attach ctl winsz exit exits/<id>)
 *
 * A bundle directory exists from create to delete, so it is what `list` and `load` go by.
 */
export class Layout {
  readonly stateDir: string;
  readonly runcRoot: string;
  readonly exitDir: string;
  readonly containersDir: string;

  constructor(stateDir: string) {
    this.stateDir = stateDir;
    this.runcRoot = join(stateDir, 'runc');
    this.exitDir = join(stateDir, 'exits');
    this.containersDir = join(stateDir, 'containers');
  }

  bundle(id: string): string {
    checkId(id);
    return join(this.containersDir, id);
  }

  rootfs(id: string): string {
    return join(this.bundle(id), 'rootfs');
  }

  config(id: string): string {
    return join(this.bundle(id), 'config.json');
  }

  /** The container's init pid, written by runc. */
  pidFile(id: string): string {
    return join(this.bundle(id), 'pidfile');
  }

  conmonPidFile(id: string): string {
    return join(this.bundle(id), 'conmon.pid');
  }

  attachSocket(id: string): string {
    return join(this.bundle(id), 'attach');
  }

  ctlFifo(id: string): string {
    return join(this.bundle(id), 'ctl');
  }

  /** Where the exec sessions of container `id` keep their state; removed with the bundle. */
  execsDir(id: string): string {
    return join(this.bundle(id), 'execs');
  }

  /**
   * One exec session's directory. Short, because the path only grows from here; the attach socket inside it is
   * connected to through a directory descriptor (see exec.ts), so its length is not bounded by sun_path.
   */
  execDir(id: string, execId: string): string {
    checkId(execId, 'exec id');
    return join(this.execsDir(id), execId.slice(0, EXEC_DIR_NAME_LENGTH));
  }

  exitFile(id: string): string {
    checkId(id);
    return join(this.exitDir, id);
  }

  /** conmon creates it (empty) in the persist dir when the kernel's OOM killer hit the container's cgroup. */
  oomFile(id: string): string {
    return join(this.bundle(id), 'oom');
  }

  /** The attach socket is connected to by path, and a unix socket path must fit in sun_path. */
  checkSocketPath(id: string): void {
    const path = this.attachSocket(id);
    const bytes = Buffer.byteLength(path);
    if (bytes > MAX_SOCKET_PATH) {
      throw new InvalidArgumentError(
        `Attach socket path "${path}" is ${bytes} bytes, over the ${MAX_SOCKET_PATH}-byte limit of a unix socket path: use a shorter runtime state directory than "${this.stateDir}"`,
      );
    }
  }
}

function checkId(id: string, what = 'container id'): void {
  if (!VALID_ID.test(id)) throw new InvalidArgumentError(`Invalid ${what} "${id}"`);
}
