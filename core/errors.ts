// The one error family of the host: a stable machine code, an HTTP status, and safe details.
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * An error with a stable `code` that the HTTP layer maps to problem+json.
 * @example throw new TandemError('INVITATION_EXPIRED', 410, 'The invitation code has expired')
 */
export class TandemError extends Error {
  readonly code: string;
  readonly status: ContentfulStatusCode;
  readonly extra: Record<string, unknown> | undefined;

  constructor(code: string, status: ContentfulStatusCode, message: string, extra?: Record<string, unknown>) {
    super(message);
    this.name = 'TandemError';
    this.code = code;
    this.status = status;
    this.extra = extra;
  }

  /** The lower-case code clients see in problem+json (`invitation_expired`). */
  get publicCode(): string {
    return this.code.toLowerCase();
  }
}

export interface FieldIssue {
  path: string;
  message: string;
}

export const validationFailed = (issues: FieldIssue[], message = 'The request is not valid'): TandemError =>
  new TandemError('VALIDATION_FAILED', 422, message, { errors: issues });

export const notFound = (what: string, id: string): TandemError =>
  new TandemError('NOT_FOUND', 404, `${what} ${id} was not found`);

export const conflict = (code: string, message: string): TandemError => new TandemError(code, 409, message);

/**
 * The database cannot be reached right now (a restart, a connection ended under a request): 503 with Retry-After,
 * the request may simply be sent again.
 */
export class DatabaseUnavailable extends TandemError {
  /** How long a client should wait before sending the request again. */
  readonly retryAfterSeconds = 1;
  constructor() {
    super(
      'DATABASE_UNAVAILABLE',
      503,
      'The database cannot be reached right now; send the request again shortly',
    );
    this.name = 'DatabaseUnavailable';
  }
}
