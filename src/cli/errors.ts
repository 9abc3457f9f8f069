/**
 * How a command ends unsuccessfully: `status` goes to stderr (when non-empty) and the process exits with
 * `statusCode`, as docker/cli's `cli.StatusError`.
 */
export class StatusError extends Error {
  readonly statusCode: number;
  constructor(status: string, statusCode: number) {
    super(status);
    this.name = 'StatusError';
    this.statusCode = statusCode;
  }
}

/** Leaves with a status code and no message (e.g. `run` relaying the container's exit code). */
export function exitWith(code: number): StatusError {
  return new StatusError('', code);
}
