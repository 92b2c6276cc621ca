// The durable per-connection outbox: events numbered in order, removed once the peer acknowledges them.
import { INSERT_CHUNK, inChunks } from '../../storage/chunks.ts';
import type { DbExecutor } from '../../storage/schema.ts';
import { fenceWrite } from '../cluster/fence.ts';
import { logOutgoing } from './event-log.ts';
import type { SyncEvent } from './events.ts';
import { getStream, updateStream } from './streams.ts';

export interface OutboxEntry {
  seq: number;
  event: SyncEvent;
  bytes: number;
}

/**
 * Appends events with the next sequence numbers, logged pending their outcome (as part of run `runId` when
 * given); run it inside the transaction that decided them.
 */
export async function appendOutbox(
  tx: DbExecutor,
  connectionId: string,
  events: SyncEvent[],
  runId: string | null = null,
): Promise<number[]> {
  if (events.length === 0) return [];
  await fenceWrite(tx, connectionId);
  const stream = await getStream(tx, connectionId);
  if (!stream) throw new Error(`no sync stream for connection ${connectionId}`);
  const now = new Date().toISOString();
  let seq = stream.out_seq;
  const rows = events.map((event) => {
    const payload = JSON.stringify(event);
    seq++;
    return {
      connection_id: connectionId,
      seq,
      kind: event.kind,
      entity_id: event.entityId,
      payload,
      bytes: Buffer.byteLength(payload),
      created_at: now,
    };
  });
  await inChunks(rows, (chunk) => tx.insertInto('sync_outbox').values(chunk).execute(), INSERT_CHUNK);
  await updateStream(tx, connectionId, { out_seq: seq });
  await logOutgoing(
    tx,
    connectionId,
    rows.map((r, i) => ({ seq: r.seq, event: events[i]! })),
    runId,
    now,
  );
  return rows.map((r) => r.seq);
}

export async function readOutbox(
  db: DbExecutor,
  connectionId: string,
  afterSeq: number,
  limit: number,
): Promise<OutboxEntry[]> {
  const rows = await db
    .selectFrom('sync_outbox')
    .select(['seq', 'payload', 'bytes'])
    .where('connection_id', '=', connectionId)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ seq: r.seq, event: JSON.parse(r.payload) as SyncEvent, bytes: r.bytes }));
}

/** Records a cumulative ack: drops every event up to `upTo` (never beyond what was assigned). */
export async function ackOutbox(db: DbExecutor, connectionId: string, upTo: number): Promise<number> {
  return db.transaction().execute(async (tx) => {
    await fenceWrite(tx, connectionId);
    const stream = await getStream(tx, connectionId);
    if (!stream) return 0;
    const acked = Math.min(upTo, stream.out_seq);
    if (acked <= stream.out_acked) return stream.out_acked;
    await tx
      .deleteFrom('sync_outbox')
      .where('connection_id', '=', connectionId)
      .where('seq', '<=', acked)
      .execute();
    await updateStream(tx, connectionId, { out_acked: acked });
    return acked;
  });
}
