/**
 * The distribution API's errors: a code, the registry's fixed message, an optional detail, and the HTTP status the
 * spec gives that code (distribution registry/api/v2/errors.go and registry/api/errcode/register.go). Handlers
 * throw a RegistryError; the server renders `{"errors":[{"code","message","detail"}]}` with its status once.
 */

export type RegistryErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'TAG_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'PAGINATION_NUMBER_INVALID'
  | 'RANGE_INVALID'
  | 'UNKNOWN';

const SPEC: Record<RegistryErrorCode, { status: number; message: string }> = {
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: { status: 400, message: 'blob unknown to registry' },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown' },
  NAME_INVALID: { status: 400, message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length' },
  TAG_INVALID: { status: 400, message: 'manifest tag did not match URI' },
  UNAUTHORIZED: { status: 401, message: 'authentication required' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 405, message: 'The operation is unsupported.' },
  PAGINATION_NUMBER_INVALID: { status: 400, message: 'invalid number of results requested' },
  RANGE_INVALID: { status: 416, message: 'invalid content range' },
  UNKNOWN: { status: 500, message: 'unknown error' },
};

export class RegistryError extends Error {
  readonly code: RegistryErrorCode;
  readonly status: number;
  readonly detail: unknown;
  /** Extra response headers (a 401's WWW-Authenticate, a 416's Content-Range). */
  readonly headers: Record<string, string>;

  constructor(code: RegistryErrorCode, options: { detail?: unknown; message?: string; status?: number; headers?: Record<string, string> } = {}) {
    super(options.message ?? SPEC[code].message);
    this.code = code;
    this.status = options.status ?? SPEC[code].status;
    this.detail = options.detail ?? null;
    this.headers = options.headers ?? {};
  }

  /** The response body: the spec's error envelope. */
  body(): string {
    return JSON.stringify({ errors: [{ code: this.code, message: this.message, detail: this.detail }] });
  }
}
