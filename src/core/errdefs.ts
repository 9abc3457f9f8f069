/**
 * Errors by kind. Every error that crosses a layer boundary is one of these classes; api/ maps the kind to an
 * HTTP status in exactly one place (api/errors-to-status.ts). The message is already in Docker's words where
 * Docker has words for it ("No such container: x"), because clients (and users' scripts) match on them.
 */
export type ErrorKind =
  | 'NotFound'
  | 'InvalidArgument'
  | 'AlreadyExists'
  | 'Conflict'
  | 'FailedPrecondition'
  | 'Unavailable'
  | 'NotImplemented'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotModified'
  | 'Internal';

export abstract class BerthError extends Error {
  abstract readonly kind: ErrorKind;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NotFoundError extends BerthError {
  readonly kind = 'NotFound' as const;
}
export class InvalidArgumentError extends BerthError {
  readonly kind = 'InvalidArgument' as const;
}
export class AlreadyExistsError extends BerthError {
  readonly kind = 'AlreadyExists' as const;
}
export class ConflictError extends BerthError {
  readonly kind = 'Conflict' as const;
}
export class FailedPreconditionError extends BerthError {
  readonly kind = 'FailedPrecondition' as const;
}
export class UnavailableError extends BerthError {
  readonly kind = 'Unavailable' as const;
}
export class NotImplementedError extends BerthError {
  readonly kind = 'NotImplemented' as const;
}
export class UnauthorizedError extends BerthError {
  readonly kind = 'Unauthorized' as const;
}
export class ForbiddenError extends BerthError {
  readonly kind = 'Forbidden' as const;
}
/** Docker answers 304 for "container already started/stopped"; it is not a failure for the client. */
export class NotModifiedError extends BerthError {
  readonly kind = 'NotModified' as const;
}
export class InternalError extends BerthError {
  readonly kind = 'Internal' as const;
}

export function isBerthError(err: unknown): err is BerthError {
  return err instanceof BerthError;
}

// Docker's wording for the errors every client meets. Kept together so the words stay consistent.
export const noSuchContainer = (ref: string): NotFoundError => new NotFoundError(`No such container: ${ref}`);
export const noSuchImage = (ref: string): NotFoundError => new NotFoundError(`No such image: ${ref}`);
