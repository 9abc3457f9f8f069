/** The daemon answered with an error status; `message` is the daemon's `message` field, verbatim. */
export class EngineApiError extends Error {
  readonly statusCode: number;
  constructor(statusCode: number, message: string) {
    super(message);
    this.name = 'EngineApiError';
    this.statusCode = statusCode;
  }

  get isNotFound(): boolean {
    return this.statusCode === 404;
  }
}

/** The daemon could not be reached at all (no socket, refused, reset before a response). */
export class DaemonConnectionError extends Error {
  readonly hostUrl: string;
  readonly code: string | undefined;
  constructor(hostUrl: string, code: string | undefined, options?: { cause?: unknown }) {
    super(connectionMessage(hostUrl, code, options?.cause), options);
    this.name = 'DaemonConnectionError';
    this.hostUrl = hostUrl;
    this.code = code;
  }
}

function connectionMessage(hostUrl: string, code: string | undefined, cause: unknown): string {
  if (code === 'EACCES') {
    const detail = cause instanceof Error ? `: ${cause.message}` : '';
    return `permission denied while trying to connect to the berth daemon socket at ${hostUrl}${detail}`;
  }
  return `Cannot connect to the berth daemon at ${hostUrl}. Is the berth daemon running?`;
}
