// The ServiceNow client's error catalogue: stable codes, the host's HTTP status, and a fix a person can act on.
import { TandemError } from '../../errors.ts';

export const SERVICENOW_ERROR_CODES = [
  'SERVICENOW_UNAUTHORIZED',
  'SERVICENOW_FORBIDDEN',
  'SERVICENOW_NOT_FOUND',
  'SERVICENOW_REJECTED',
  'SERVICENOW_RATE_LIMITED',
  'SERVICENOW_UNAVAILABLE',
  'SERVICENOW_BAD_RESPONSE',
] as const;
export type ServiceNowErrorCode = (typeof SERVICENOW_ERROR_CODES)[number];

export type ServiceNowOperation = 'read' | 'create' | 'write' | 'delete' | 'token' | 'batch';

export interface ServiceNowErrorDetails {
  /** What to change so it works (shown beside a failed health check). */
  fix?: string;
  table?: string;
  operation?: ServiceNowOperation;
  /** The status ServiceNow answered, when it answered. */
  upstreamStatus?: number;
  /** For SERVICENOW_RATE_LIMITED: when the instance said to come back (ISO 8601). */
  rateLimitedUntil?: string;
  /** For a failed create: the instance may have applied it (the caller looks for it before trying again). */
  maybeApplied?: boolean;
}

const HTTP_STATUS: Record<ServiceNowErrorCode, 404 | 422 | 502 | 503> = {
  SERVICENOW_UNAUTHORIZED: 502,
  SERVICENOW_FORBIDDEN: 502,
  SERVICENOW_NOT_FOUND: 404,
  SERVICENOW_REJECTED: 422,
  SERVICENOW_RATE_LIMITED: 503,
  SERVICENOW_UNAVAILABLE: 503,
  SERVICENOW_BAD_RESPONSE: 502,
};

/**
 * A failure talking to ServiceNow. Messages name tables, operations and statuses, never credentials or tokens.
 * @example if (err instanceof ServiceNowError && err.code === 'SERVICENOW_FORBIDDEN') check.fix = err.details.fix
 */
export class ServiceNowError extends TandemError {
  readonly details: ServiceNowErrorDetails;

  constructor(code: ServiceNowErrorCode, message: string, details: ServiceNowErrorDetails = {}) {
    super(code, HTTP_STATUS[code], message, { ...details });
    this.name = 'ServiceNowError';
    this.details = details;
  }
}

const OP_WORD: Record<ServiceNowOperation, string> = {
  read: 'read',
  create: 'create',
  write: 'write',
  delete: 'delete',
  token: 'sign in',
  batch: 'run a batch',
};

/** What to do when no credentials are set. */
export const CREDENTIALS_MISSING_FIX =
  'Enter them in General settings → Tracker, or set TANDEM_SERVICENOW_USER and TANDEM_SERVICENOW_PASSWORD (or TANDEM_SERVICENOW_CLIENT_ID and TANDEM_SERVICENOW_CLIENT_SECRET) and restart the host';

/** No credentials are set yet: a call stops before any request is made. */
export function credentialsMissing(): ServiceNowError {
  return new ServiceNowError('SERVICENOW_UNAUTHORIZED', 'No ServiceNow credentials are configured', {
    fix: CREDENTIALS_MISSING_FIX,
    operation: 'token',
  });
}

export function unauthorized(oauth: boolean, upstreamStatus?: number): ServiceNowError {
  const fix = oauth
    ? 'Check TANDEM_SERVICENOW_CLIENT_ID and TANDEM_SERVICENOW_CLIENT_SECRET (the variables, or General settings → Tracker) against the OAuth application registry entry, and that the integration user (TANDEM_SERVICENOW_USER / TANDEM_SERVICENOW_PASSWORD) is active and not locked out'
    : 'Check TANDEM_SERVICENOW_USER and TANDEM_SERVICENOW_PASSWORD (the variables, or General settings → Tracker); the integration user must be active, not locked out, and allowed to use web services';
  return new ServiceNowError('SERVICENOW_UNAUTHORIZED', 'ServiceNow did not accept the credentials', {
    fix,
    operation: 'token',
    upstreamStatus,
  });
}

export function forbidden(table: string | undefined, operation: ServiceNowOperation): ServiceNowError {
  const where = table ? `table ${table}` : 'this API';
  return new ServiceNowError('SERVICENOW_FORBIDDEN', `ServiceNow refused to ${OP_WORD[operation]} ${where}`, {
    fix: `The integration user lacks the itil role / ${operation} access to ${where}: grant the role or an ACL for it`,
    table,
    operation,
    upstreamStatus: 403,
  });
}

export function notFound(table: string | undefined, sysId: string | undefined, tableMissing: boolean) {
  const message =
    tableMissing || !sysId
      ? `ServiceNow has no table ${table}`
      : `ServiceNow has no ${table} record ${sysId}`;
  return new ServiceNowError('SERVICENOW_NOT_FOUND', message, {
    fix: tableMissing
      ? `Check the table name ${table} in the tracker config (and that its plugin is active)`
      : undefined,
    table,
    upstreamStatus: 404,
  });
}
