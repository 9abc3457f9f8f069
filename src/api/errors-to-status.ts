import { isBerthError, type ErrorKind } from '../core/errdefs.js';

/** The one place an error kind becomes an HTTP status (Docker's mapping). An unknown error is a 500. */
const STATUS: Record<ErrorKind, number> = {
  NotFound: 404,
  InvalidArgument: 400,
  AlreadyExists: 409,
  Conflict: 409,
  FailedPrecondition: 409,
  Unavailable: 503,
  NotImplemented: 501,
  Unauthorized: 401,
  Forbidden: 403,
  NotModified: 304,
  Internal: 500,
};

export function statusOf(err: unknown): number {
  return isBerthError(err) ? STATUS[err.kind] : 500;
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
