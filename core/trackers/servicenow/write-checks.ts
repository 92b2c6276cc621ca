// The ServiceNow write's refusals as typed outcomes: field checks, the mapper's refusals, ServiceNow's errors.
import type { FieldIssue } from '../../errors.ts';
import type { EntityFields, WriteOutcome } from '../tracker.ts';
import { ServiceNowError } from './errors.ts';

const CHECKS: Record<string, [(v: unknown) => boolean, string]> = {
  summary: [(v) => typeof v === 'string' && v.trim() !== '', 'must be a non-empty string'],
  description: [(v) => typeof v === 'string', 'must be a string'],
  status: [(v) => typeof v === 'string' && v.trim() !== '', 'must be a non-empty string'],
  priority: [
    (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 5,
    'must be an integer 1-5',
  ],
  assignee: [(v) => v === null || typeof v === 'string', 'must be an email, a user name or null'],
};

/** The standard fields' shapes (a create needs a summary); each wrong field is one issue. */
export function checkFields(fields: Partial<EntityFields>, create: boolean): FieldIssue[] {
  const given: Record<string, unknown> = { ...fields };
  if (create) given.summary ??= '';
  return Object.entries(CHECKS).flatMap(([name, [ok, message]]) =>
    name in given && given[name] !== undefined && !ok(given[name])
      ? [{ path: `fields.${name}`, message }]
      : [],
  );
}

/** A refusal of one field by the mapper (an unknown state or user, a field it does not map), as its issue. */
export function issueOf(err: unknown, field: string): FieldIssue | undefined {
  if (!(err instanceof ServiceNowError) || err.code !== 'SERVICENOW_REJECTED') return undefined;
  if (err.details.upstreamStatus !== undefined) return undefined;
  return { path: `fields.${field}`, message: err.message };
}

/** What a write that failed against ServiceNow stands for; anything else is thrown on. */
export function outcomeOfError(err: unknown, now: () => number): WriteOutcome {
  if (!(err instanceof ServiceNowError)) throw err;
  const fix = err.details.fix ? ` (${err.details.fix})` : '';
  switch (err.code) {
    case 'SERVICENOW_NOT_FOUND':
      return { outcome: 'not_found', message: err.message };
    case 'SERVICENOW_REJECTED':
      // ServiceNow's own 400 rarely names a field it can be pinned to: the issue is on the fields.
      return {
        outcome: 'rejected',
        message: err.message,
        issues: [{ path: 'fields', message: err.message }],
      };
    case 'SERVICENOW_RATE_LIMITED': {
      const until = Date.parse(err.details.rateLimitedUntil ?? '');
      const wait = Number.isFinite(until) ? until - now() : 1000;
      return { outcome: 'unavailable', message: err.message, retryAfterMs: Math.max(1000, wait) };
    }
    case 'SERVICENOW_UNAUTHORIZED':
    case 'SERVICENOW_FORBIDDEN':
      // The operator must act (credentials, roles): the connection waits rather than failing the event.
      return { outcome: 'unavailable', message: `${err.message}${fix}`, retryAfterMs: 30_000 };
    default:
      return { outcome: 'unavailable', message: `${err.message}${fix}`, retryAfterMs: 5000 };
  }
}
