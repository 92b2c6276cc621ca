// A connection's queue as the admin sees it: each event with its entity, kind and age, a failed one with its reason and error.
import { z } from 'zod';
import { inChunks } from '../../../storage/chunks.ts';
import type { Db } from '../../../storage/schema.ts';
import { loadEntities } from '../../sync/load-entities.ts';
import { twinsByRemote } from '../../sync/twins.ts';
import type { Entity, Tracker } from '../../trackers/tracker.ts';

const entityFields = {
  entityKey: z.string().nullable().describe("Our entity's key (null while it does not exist here yet)"),
  entitySummary: z.string().nullable(),
};

export const queueItemSchema = z.discriminatedUnion('direction', [
  z.strictObject({
    direction: z.literal('out'),
    seq: z.number().int(),
    kind: z.string(),
    entityId: z.string(),
    ...entityFields,
    runId: z.string().optional().describe('The run that queued it'),
    bytes: z.number().int(),
    queuedAt: z.string(),
  }),
  z.strictObject({
    direction: z.literal('in'),
    seq: z.number().int(),
    kind: z.string(),
    remoteId: z.string(),
    remoteKey: z.string().nullable().describe("The partner's key of its entity"),
    entityId: z.string().optional().describe('Our entity, when the event is about one we have'),
    ...entityFields,
    status: z.enum(['pending', 'failed']),
    errorId: z.string().optional(),
    reason: z
      .string()
      .optional()
      .describe("Why it waits: a failed event's error, or the failed event of its entity it waits behind"),
    waitsFor: z.number().int().optional().describe('The failed event of the same entity it waits behind'),
    queuedAt: z.string(),
  }),
]);
type QueueItem = z.output<typeof queueItemSchema>;

const summaryOf = (e: Entity | undefined) =>
  typeof e?.fields.summary === 'string' ? e.fields.summary : null;

/** One page of a connection's outgoing or incoming queue, oldest first, with what each event is about. */
export async function queueItems(
  db: Db,
  tracker: Tracker,
  connectionId: string,
  direction: 'out' | 'in',
  limit: number,
  offset: number,
): Promise<{ items: QueueItem[]; more: boolean }> {
  return direction === 'out'
    ? outgoing(db, tracker, connectionId, limit, offset)
    : incoming(db, tracker, connectionId, limit, offset);
}

async function outgoing(db: Db, tracker: Tracker, connectionId: string, limit: number, offset: number) {
  const rows = await db
    .selectFrom('sync_outbox as o')
    .leftJoin('sync_event_log as l', (join) =>
      join
        .onRef('l.connection_id', '=', 'o.connection_id')
        .on('l.direction', '=', 'out')
        .onRef('l.seq', '=', 'o.seq'),
    )
    .select(['o.seq', 'o.kind', 'o.entity_id', 'o.bytes', 'o.created_at', 'l.run_id'])
    .where('o.connection_id', '=', connectionId)
    .orderBy('o.seq')
    .limit(limit + 1)
    .offset(offset)
    .execute();
  const page = rows.slice(0, limit);
  const entities = await loadEntities(tracker, [...new Set(page.map((r) => r.entity_id))]);
  const items = page.map(
    (r): QueueItem => ({
      direction: 'out',
      seq: r.seq,
      kind: r.kind,
      entityId: r.entity_id,
      entityKey: entities.get(r.entity_id)?.key ?? null,
      entitySummary: summaryOf(entities.get(r.entity_id)),
      ...(r.run_id ? { runId: r.run_id } : {}),
      bytes: r.bytes,
      queuedAt: r.created_at,
    }),
  );
  return { items, more: rows.length > limit };
}

async function incoming(db: Db, tracker: Tracker, connectionId: string, limit: number, offset: number) {
  const rows = await db
    .selectFrom('sync_inbox as i')
    .leftJoin('sync_errors as e', 'e.id', 'i.error_id')
    .select([
      'i.seq',
      'i.kind',
      'i.remote_id',
      'i.status',
      'i.error_id',
      'i.received_at',
      'i.payload',
      'e.message',
    ])
    .where('i.connection_id', '=', connectionId)
    .orderBy('i.seq')
    .limit(limit + 1)
    .offset(offset)
    .execute();
  const page = rows.slice(0, limit);
  const remoteIds = [...new Set(page.map((r) => r.remote_id))];
  const twins = await twinsByRemote(db, connectionId, remoteIds);
  const entities = await loadEntities(tracker, [...new Set([...twins.values()].map((t) => t.local_id))]);
  // The oldest failed event of each entity: the events after it wait behind it.
  const failed = await inChunks(remoteIds, (chunk) =>
    db
      .selectFrom('sync_inbox')
      .select(['remote_id', (eb) => eb.fn.min('seq').as('seq')])
      .where('connection_id', '=', connectionId)
      .where('status', '=', 'failed')
      .where('remote_id', 'in', chunk)
      .groupBy('remote_id')
      .execute(),
  );
  const blocker = new Map(failed.map((f) => [f.remote_id, Number(f.seq)]));
  const items = page.map((r): QueueItem => {
    const twin = twins.get(r.remote_id);
    const entity = twin ? entities.get(twin.local_id) : undefined;
    const behind = blocker.get(r.remote_id);
    const waits = r.status === 'pending' && behind !== undefined && behind < r.seq ? behind : undefined;
    const reason =
      r.status === 'failed'
        ? (r.message ?? 'It failed to apply')
        : r.status === 'waiting'
          ? 'Waits for an item it links to, which has not arrived here yet'
          : waits !== undefined
            ? `Waits behind event ${waits} of the same entity, which failed`
            : undefined;
    return {
      direction: 'in',
      seq: r.seq,
      kind: r.kind,
      remoteId: r.remote_id,
      remoteKey: keyOf(r.payload),
      ...(twin ? { entityId: twin.local_id } : {}),
      entityKey: entity?.key ?? null,
      entitySummary: summaryOf(entity),
      status: r.status === 'failed' ? 'failed' : 'pending',
      ...(r.error_id ? { errorId: r.error_id } : {}),
      ...(reason ? { reason } : {}),
      ...(waits !== undefined ? { waitsFor: waits } : {}),
      queuedAt: r.received_at,
    };
  });
  return { items, more: rows.length > limit };
}

/** The partner's key from a stored event (the event was checked when it came in). */
function keyOf(payload: string): string | null {
  try {
    const key = (JSON.parse(payload) as { key?: unknown }).key;
    return typeof key === 'string' ? key : null;
  } catch {
    return null;
  }
}
