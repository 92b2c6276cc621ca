// Creates a record at most once per correlation id (the peer's record id): look for it first, and again after a lost answer.
import { TandemError } from '../../errors.ts';
import type { ReadOptions, ServiceNowClient, ServiceNowRecord } from './client.ts';
import { encodedQuery } from './encoded-query.ts';
import { ServiceNowError } from './errors.ts';
import { storedValue } from './schemas.ts';

export interface CreateOutcome {
  /** `replayed`: a record with this correlation id was already there (an earlier try landed); nothing was created. */
  outcome: 'applied' | 'replayed';
  record: ServiceNowRecord;
}

export interface IdempotentCreateOptions {
  /** Fields and display form of the record returned (the correlation fields are added). */
  read?: ReadOptions;
  /** Tries of a create whose answer was lost (default 3). */
  attempts?: number;
  /** Skip the first look (a first try, known never to have been sent): saves one call. */
  checkFirst?: boolean;
}

export const CORRELATION_DISPLAY = 'Tandem';
/** ServiceNow's `correlation_id` is a 100-character string field. */
const MAX_CORRELATION = 100;

/**
 * The record carrying `correlationId`, or null. ServiceNow ignores a condition on a field the table lacks and
 * would answer every row, so a table without `correlation_id` is an error, not a match.
 */
export async function findByCorrelation(
  client: ServiceNowClient,
  table: string,
  correlationId: string,
  read: ReadOptions = {},
): Promise<ServiceNowRecord | null> {
  const fields = read.fields?.length ? [...new Set(['sys_id', 'correlation_id', ...read.fields])] : undefined;
  const page = await client.list(table, {
    ...read,
    fields,
    query: encodedQuery().where('correlation_id', '=', correlationId).orderBy('sys_created_on'),
    limit: 5,
  });
  if (page.records.some((r) => !('correlation_id' in r))) {
    throw new ServiceNowError(
      'SERVICENOW_REJECTED',
      `ServiceNow table ${table} has no correlation_id field`,
      {
        table,
        operation: 'create',
        fix: `Creates in ${table} cannot be made idempotent: add a correlation_id field or sync another table`,
      },
    );
  }
  return page.records.find((r) => storedValue(r.correlation_id) === correlationId) ?? null;
}

/**
 * @example const { outcome, record } = await createIdempotently(client, 'incident', fields, peerRecordId)
 */
export async function createIdempotently(
  client: ServiceNowClient,
  table: string,
  fields: Record<string, unknown>,
  correlationId: string,
  o: IdempotentCreateOptions = {},
): Promise<CreateOutcome> {
  if (correlationId === '' || correlationId.length > MAX_CORRELATION || /[\r\n]/.test(correlationId))
    throw new TandemError(
      'SERVICENOW_KEY_INVALID',
      500,
      'A correlation id must be 1-100 characters on one line',
    );
  const read = o.read ?? {};
  if (o.checkFirst !== false) {
    const found = await findByCorrelation(client, table, correlationId, read);
    if (found) return { outcome: 'replayed', record: found };
  }
  const body = { ...fields, correlation_id: correlationId, correlation_display: CORRELATION_DISPLAY };
  for (let attempt = 1; ; attempt++) {
    try {
      return { outcome: 'applied', record: await client.create(table, body, read) };
    } catch (err) {
      const lost = err instanceof ServiceNowError && err.details.maybeApplied === true;
      if (!lost || attempt >= (o.attempts ?? 3)) throw err;
      const found = await findByCorrelation(client, table, correlationId, read);
      if (found) return { outcome: 'applied', record: found };
    }
  }
}
