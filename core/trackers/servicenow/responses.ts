// Reads a ServiceNow answer: JSON checked against its schema, or the typed error its status stands for.
import type { z } from 'zod';
import { forbidden, notFound, ServiceNowError, type ServiceNowOperation, unauthorized } from './errors.ts';
import { errorAnswerSchema } from './schemas.ts';

export interface CallContext {
  table?: string;
  sysId?: string;
  operation: ServiceNowOperation;
  oauth: boolean;
}

/** Parses JSON text, or throws SERVICENOW_BAD_RESPONSE (naming where, never echoing the body). */
export function parseJson(text: string, ctx: CallContext): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw badResponse(ctx, 'an answer that is not JSON');
  }
}

export function badResponse(ctx: CallContext, what: string): ServiceNowError {
  const where = ctx.table ? ` for table ${ctx.table}` : '';
  return new ServiceNowError('SERVICENOW_BAD_RESPONSE', `ServiceNow sent ${what}${where}`, {
    table: ctx.table,
    operation: ctx.operation,
  });
}

/** Checks a parsed answer; the error lists the paths that did not fit, not the values. */
export function checkShape<S extends z.ZodType>(schema: S, value: unknown, ctx: CallContext): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const paths = r.error.issues
    .slice(0, 3)
    .map((i) => i.path.join('.') || '(root)')
    .join(', ');
  throw badResponse(ctx, `an answer of an unexpected shape (at ${paths})`);
}

function upstreamMessage(text: string): string {
  try {
    const r = errorAnswerSchema.safeParse(JSON.parse(text));
    if (!r.success) return '';
    return [r.data.error.message, r.data.error.detail].filter(Boolean).join(': ').slice(0, 300);
  } catch {
    return '';
  }
}

/** The typed error for a ServiceNow answer that is not a success (401, 403, 404, other 4xx). */
export function errorForStatus(status: number, text: string, ctx: CallContext): ServiceNowError {
  if (status === 401) return unauthorized(ctx.oauth, 401);
  if (status === 403) return forbidden(ctx.table, ctx.operation);
  const message = upstreamMessage(text);
  const tableMissing = message.startsWith('Invalid table');
  if (status === 404 || tableMissing) return notFound(ctx.table, ctx.sysId, tableMissing || !ctx.sysId);
  return new ServiceNowError(
    'SERVICENOW_REJECTED',
    `ServiceNow refused the request (${status})${message ? `: ${message}` : ''}`,
    { table: ctx.table, operation: ctx.operation, upstreamStatus: status },
  );
}
