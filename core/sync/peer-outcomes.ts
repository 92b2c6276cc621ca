// The peer's outcomes of our events, recorded: the event log, the peer's errors as ours to see, and the runs' counts.
import { nanoid } from 'nanoid';
import { inChunks } from '../../storage/chunks.ts';
import type { Db, DbExecutor } from '../../storage/schema.ts';
import { fenceWrite } from '../cluster/fence.ts';
import { type EventLogRow, writeLogRows } from './event-log.ts';
import type { PeerOutcome } from './outcome-frames.ts';
import { addCounts, bucketOf, finishIfDone, outcomeDelta, type RunBucket } from './runs.ts';
import { getStream, updateStream } from './streams.ts';

/** Who resolved a peer's error, as this side shows it: the partner, and its admin when it said. */
export const partnerActor = (by: string | undefined) => (by ? `partner: ${by}` : 'partner');

/**
 * Records outcomes of our events (in `oseq` order) in one transaction and returns the highest outcome
 * sequence now taken. One already taken (a resend, a duplicate) changes nothing; of several outcomes of one
 * event the last counts. Each event's log row takes its outcome; a failure opens (or refreshes, with the
 * peer's attempt count) the peer's error on it, which a later outcome resolves; the runs the events belong
 * to count the change from what they had, and end once nothing of theirs waits. An outcome of an event
 * this side has no log row for (sent before outcomes were logged, or a `twin` event) is only acknowledged.
 */
export async function takePeerOutcomes(
  db: Db,
  connectionId: string,
  outcomes: PeerOutcome[],
): Promise<number> {
  return db.transaction().execute(async (tx) => {
    await fenceWrite(tx, connectionId);
    const stream = await getStream(tx, connectionId);
    const top = Math.max(0, ...outcomes.map((o) => o.oseq));
    if (!stream) return top; // the connection is gone here: nothing to record, nothing to resend
    const fresh = outcomes.filter((o) => o.oseq > stream.outcome_high);
    if (fresh.length === 0) return stream.outcome_high;
    const latest = new Map<number, PeerOutcome>();
    for (const o of fresh) latest.set(o.seq, o);
    const rows = await outgoingRows(tx, connectionId, [...latest.keys()]);
    const errorIds = await recordPeerErrors(tx, connectionId, [...latest.values()], rows);
    const now = new Date().toISOString();
    const updates: EventLogRow[] = [];
    const runs = new Map<string, Partial<Record<RunBucket | 'processed', number>>>();
    for (const [seq, o] of latest) {
      const row = rows.get(seq);
      if (!row) continue;
      const action = o.action ?? null;
      updates.push({
        ...row,
        outcome: o.outcome,
        action,
        remote_id: o.entityId ?? row.remote_id,
        remote_key: o.key ?? row.remote_key,
        error_id: errorIds.get(seq) ?? row.error_id,
        message: messageOf(o),
        outcome_at: now,
        outcome_seq: o.oseq,
      });
      if (row.run_id)
        runs.set(
          row.run_id,
          outcomeDelta(bucketOf(row.outcome, row.action), bucketOf(o.outcome, action), runs.get(row.run_id)),
        );
    }
    await writeLogRows(tx, updates, true);
    for (const [runId, delta] of runs) {
      await addCounts(tx, runId, delta);
      await finishIfDone(tx, runId);
    }
    const high = Math.max(stream.outcome_high, top);
    await updateStream(tx, connectionId, { outcome_high: high });
    return high;
  });
}

/** What the log says of an outcome: the partner's error, or why it skipped the event. */
function messageOf(o: PeerOutcome): string | null {
  if (o.outcome === 'failed')
    return (o.error?.message ?? o.message ?? 'failed at the partner').slice(0, 1000);
  if (o.outcome === 'skipped')
    return `Skipped at the partner${o.resolution ? ` (${partnerActor(o.resolution.by)})` : ''}`;
  return o.message ?? null;
}

async function outgoingRows(
  tx: DbExecutor,
  connectionId: string,
  seqs: number[],
): Promise<Map<number, EventLogRow>> {
  const rows = await inChunks(seqs, (chunk) =>
    tx
      .selectFrom('sync_event_log')
      .selectAll()
      .where('connection_id', '=', connectionId)
      .where('direction', '=', 'out')
      .where('seq', 'in', chunk)
      .execute(),
  );
  return new Map(rows.map((r) => [r.seq, r]));
}

/**
 * The peer's errors on our events: a failure opens one (listed with `side: 'peer'`, under our connection,
 * our entity and the peer's key) or refreshes it with the peer's attempts; an event failed before and now
 * applied or skipped resolves it as the peer did. A refusal is not one: `sync.refused` recorded it as ours.
 * Returns the error id of each failed event.
 */
async function recordPeerErrors(
  tx: DbExecutor,
  connectionId: string,
  outcomes: PeerOutcome[],
  rows: Map<number, EventLogRow>,
): Promise<Map<number, string>> {
  const failed = outcomes.filter((o) => o.outcome === 'failed' && o.action !== 'refused' && rows.has(o.seq));
  const settled = outcomes.filter((o) => o.outcome !== 'failed' && rows.get(o.seq)?.outcome === 'failed');
  const ids = new Map<number, string>();
  if (failed.length === 0 && settled.length === 0) return ids;
  const existing = await inChunks([...failed, ...settled], (chunk) =>
    tx
      .selectFrom('sync_errors')
      .select(['id', 'event_seq'])
      .where('connection_id', '=', connectionId)
      .where('side', '=', 'peer')
      .where(
        'event_seq',
        'in',
        chunk.map((o) => o.seq),
      )
      .execute(),
  );
  const known = new Map(existing.map((e) => [e.event_seq, e.id]));
  const now = new Date().toISOString();
  for (const o of failed) {
    const row = rows.get(o.seq)!;
    const set = {
      message: (o.error?.message ?? o.message ?? 'failed at the partner').slice(0, 4000),
      script: o.error?.script ?? null,
      script_line: o.error?.line ?? null,
      attempts: Math.max(1, o.error?.attempts ?? 1),
      occurred_at: o.error?.occurredAt || now,
      status: 'open' as const,
      resolved_at: null,
      resolved_by: null,
      resolution: null,
      remote_id: o.entityId ?? row.remote_id,
      remote_key: o.key ?? row.remote_key,
      peer_error_id: o.error?.id ?? null,
    };
    const id = known.get(o.seq);
    if (id) {
      await tx.updateTable('sync_errors').set(set).where('id', '=', id).execute();
      ids.set(o.seq, id);
      continue;
    }
    const created = nanoid();
    await tx
      .insertInto('sync_errors')
      .values({
        id: created,
        connection_id: connectionId,
        level: 'entity',
        direction: 'out',
        entity_id: row.entity_id,
        entity_key: row.entity_key,
        event_seq: o.seq,
        side: 'peer',
        retry_by: null,
        ...set,
      })
      .execute();
    ids.set(o.seq, created);
  }
  for (const o of settled) {
    const id = known.get(o.seq);
    if (!id) continue;
    await tx
      .updateTable('sync_errors')
      .set({
        status: 'resolved',
        resolved_at: o.resolution?.at || now,
        resolved_by: partnerActor(o.resolution?.by),
        resolution: o.resolution?.how ?? (o.outcome === 'applied' ? 'retried' : 'skipped'),
      })
      .where('id', '=', id)
      .where('status', '=', 'open')
      .execute();
  }
  return ids;
}
