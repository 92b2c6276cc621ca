// Creates and updates made in the same turn go to ServiceNow as one Batch API request; a lone one as a plain call.
import type { BatchItemResult, BatchMethod } from './batch.ts';
import { readParams, type ServiceNowClient, tablePath, type UpdateOptions } from './client.ts';
import { type Gate, gathered, type Settled } from './coalesce.ts';
import { ServiceNowError } from './errors.ts';
import { checkShape, errorForStatus } from './responses.ts';
import { recordAnswerSchema, type ServiceNowRecord } from './schemas.ts';

/** Items per Batch API request: each runs as one API call would, and the request must end within 30 s. */
export const DEFAULT_BATCH_ITEMS = 50;

interface WriteItem {
  op: 'create' | 'update';
  table: string;
  sysId?: string;
  fields: Record<string, unknown>;
  read: UpdateOptions;
}

/** Safe to send again after a failure in flight: an update that sets fields, not a create or a journal entry. */
const repeatable = (w: WriteItem) => w.op === 'update' && !w.read.appends;

/**
 * The client with `create` and `update` gathered: what the engine writes side by side (the journaled events of
 * one step) costs one request per `maxItems`. Each item keeps the plain call's outcomes: its record, or the
 * typed error its status stands for (`maybeApplied` where a create or journal entry may have landed). With a
 * shared `gate`, callers that joined it are waited for (see `Gate`).
 * @example const writer = batchedWrites(client); await Promise.all([writer.create('incident', a), writer.create('incident', b)]);
 */
export function batchedWrites(
  client: ServiceNowClient,
  maxItems = DEFAULT_BATCH_ITEMS,
  gate?: Gate,
): ServiceNowClient {
  const one = (w: WriteItem) =>
    w.op === 'create'
      ? client.create(w.table, w.fields, w.read)
      : client.update(w.table, w.sysId!, w.fields, w.read);

  function answer(w: WriteItem, r: BatchItemResult): Promise<ServiceNowRecord> | ServiceNowRecord {
    const operation = w.op === 'create' ? 'create' : 'write';
    const ctx = { table: w.table, sysId: w.sysId, operation, oauth: false } as const;
    if (r.status >= 200 && r.status < 300) return checkShape(recordAnswerSchema, r.body, ctx).result;
    // Turned away before any work (rate limit, instance busy), or safe to repeat: sent again on its own,
    // where the plain call's waits and retries apply.
    if (r.status === 429 || r.status === 503 || (r.status >= 500 && repeatable(w))) return one(w);
    if (r.status >= 500)
      throw new ServiceNowError(
        'SERVICENOW_UNAVAILABLE',
        `ServiceNow answered ${r.status} to a batched ${operation}`,
        {
          table: w.table,
          operation,
          upstreamStatus: r.status,
          maybeApplied: true,
        },
      );
    throw errorForStatus(r.status, r.text, ctx);
  }

  async function many(items: WriteItem[]): Promise<Settled<ServiceNowRecord>[]> {
    const batch = items.map((w, i) => ({
      id: String(i),
      method: (w.op === 'create' ? 'POST' : 'PATCH') as BatchMethod,
      url: `${tablePath(w.table, w.sysId)}?${new URLSearchParams(readParams(w.read))}`,
      body: w.fields,
    }));
    const r = await client.batch(batch, { idempotent: items.every(repeatable) });
    const results = new Map(r.results.map((x) => [x.id, x]));
    const unserviced = new Set(r.unserviced);
    return Promise.all(
      items.map(async (w, i): Promise<Settled<ServiceNowRecord>> => {
        try {
          const res = results.get(String(i));
          if (res) return { ok: true, value: await answer(w, res) };
          // Not run (a size or time limit): sent again on its own. Not accounted for at all: only if repeatable.
          if (unserviced.has(String(i)) || repeatable(w)) return { ok: true, value: await one(w) };
          throw new ServiceNowError('SERVICENOW_UNAVAILABLE', 'ServiceNow did not answer a batched write', {
            table: w.table,
            operation: w.op === 'create' ? 'create' : 'write',
            maybeApplied: true,
          });
        } catch (error) {
          return { ok: false, error };
        }
      }),
    );
  }

  const write = gathered(one, many, maxItems, gate);
  return {
    ...client,
    create: (table, fields, read = {}) => write({ op: 'create', table, fields, read }),
    update: (table, sysId, fields, read = {}) => write({ op: 'update', table, sysId, fields, read }),
  };
}
