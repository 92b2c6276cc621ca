// The durable per-connection inbox: frames committed in one transaction, duplicates dropped by sequence.
import { INSERT_CHUNK, inChunks } from '../../storage/chunks.ts';
import { prepared } from '../../storage/prepared.ts';
import type { Db, DbExecutor } from '../../storage/schema.ts';
import { fenceWrite } from '../cluster/fence.ts';
import { logIncoming } from './event-log.ts';
import type { EventRefusal, SyncEvent } from './events.ts';
import { ensureStream, updateStream } from './streams.ts';
import { recordError } from './sync-errors.ts';
import { twinByRemote, twinsByRemote } from './twins.ts';

export interface CommitResult {
  /** Highest sequence now held (what the ack carries). */
  high: number;
  accepted: number;
  duplicates: number;
  /** True when a frame skipped ahead of the high-water mark: the sender must resend from `high`. */
  gap: boolean;
}

export interface InboxEntry {
  seq: number;
  remoteId: string;
  event: SyncEvent;
  /** The error of an earlier failure that a retry put back in line (resolved if it applies now). */
  errorId?: string | null;
}

/** A frame's events split against the high-water mark: duplicates dropped, a gap stops it. */
export interface FrameSplit {
  accepted: Array<{ seq: number; event: SyncEvent }>;
  high: number;
  duplicates: number;
  gap: boolean;
}

/**
 * Those at or below the high-water mark are duplicates; one beyond the next expected sequence stops
 * the frame (reordered or lost frames are resent).
 */
export function splitFrame(inHigh: number, events: Array<{ seq: number; event: SyncEvent }>): FrameSplit {
  let high = inHigh;
  let duplicates = 0;
  let gap = false;
  const accepted = [];
  for (const e of events) {
    if (e.seq <= high) {
      duplicates++;
      continue;
    }
    if (e.seq !== high + 1) {
      gap = true;
      break;
    }
    high = e.seq;
    accepted.push(e);
  }
  return { accepted, high, duplicates, gap };
}

export interface InboxRowInput {
  seq: number;
  event: SyncEvent;
  /** A failed row carries its error and blocks its entity's later events. */
  errorId?: string | undefined;
}

/** Stores events in the inbox, pending or failed. */
export async function storeInbox(
  tx: DbExecutor,
  connectionId: string,
  entries: InboxRowInput[],
): Promise<void> {
  await fenceWrite(tx, connectionId);
  const now = new Date().toISOString();
  const rows = entries.map(({ seq, event, errorId }) => ({
    connection_id: connectionId,
    seq,
    kind: event.kind,
    remote_id: event.entityId,
    payload: JSON.stringify(event),
    status: errorId ? ('failed' as const) : ('pending' as const),
    error_id: errorId ?? null,
    received_at: now,
  }));
  await inChunks(rows, (chunk) => tx.insertInto('sync_inbox').values(chunk).execute(), INSERT_CHUNK);
}

/** The remote entities among `remoteIds` that have events waiting (or failed) in the inbox. */
export async function heldInInbox(
  db: DbExecutor,
  connectionId: string,
  remoteIds: string[],
): Promise<Set<string>> {
  const rows = await inChunks([...new Set(remoteIds)], (chunk) =>
    db
      .selectFrom('sync_inbox')
      .select('remote_id')
      .distinct()
      .where('connection_id', '=', connectionId)
      .where('remote_id', 'in', chunk)
      .execute(),
  );
  return new Set(rows.map((r) => r.remote_id));
}

/** Logs received events that wait in the inbox as pending, under the entity their twin links to when known. */
export async function logWaiting(
  tx: DbExecutor,
  connectionId: string,
  events: Array<{ seq: number; event: SyncEvent }>,
): Promise<void> {
  if (events.length === 0) return;
  const twins = await twinsByRemote(
    tx,
    connectionId,
    events.map((e) => e.event.entityId),
  );
  await logIncoming(
    tx,
    connectionId,
    events.map(({ seq, event }) => ({
      seq,
      event,
      outcome: 'pending' as const,
      entityId: twins.get(event.entityId)?.local_id ?? null,
    })),
  );
}

/** Commits a frame's events to the inbox in one transaction (see `splitFrame`), logged as pending. */
export async function commitInbox(
  db: Db,
  connectionId: string,
  events: Array<{ seq: number; event: SyncEvent }>,
): Promise<CommitResult> {
  return db.transaction().execute(async (tx) => {
    const stream = await ensureStream(tx, connectionId, null);
    const split = splitFrame(stream.in_high, events);
    await storeInbox(tx, connectionId, split.accepted);
    await logWaiting(tx, connectionId, split.accepted);
    if (split.high !== stream.in_high) await updateStream(tx, connectionId, { in_high: split.high });
    return {
      high: split.high,
      accepted: split.accepted.length,
      duplicates: split.duplicates,
      gap: split.gap,
    };
  });
}

/**
 * Settles a received event that will not be stored (`checkEvent` refused it) in its place in the stream:
 * an error records it (entity-level for the entity it names, else connection-level) and the high-water
 * mark moves past it, in one transaction, so the events after it apply. Nothing waits in the inbox: the
 * event is not usable here, and the sender is told (`sync.refused`) so its side shows the error too.
 * A sequence already held is a duplicate (its refusal was recorded when it first came).
 */
export async function commitRefused(
  db: Db,
  connectionId: string,
  seq: number,
  refusal: EventRefusal,
): Promise<CommitResult> {
  return db.transaction().execute(async (tx) => {
    await fenceWrite(tx, connectionId);
    const stream = await ensureStream(tx, connectionId, null);
    const held = { high: stream.in_high, accepted: 0, duplicates: 0, gap: false };
    if (seq <= stream.in_high) return { ...held, duplicates: 1 };
    if (seq !== stream.in_high + 1) return { ...held, gap: true };
    const message = `${refusal.message}: event ${seq} was refused, and the partner was told`;
    const twin = refusal.remoteId ? await twinByRemote(tx, connectionId, refusal.remoteId) : undefined;
    const errorId = await recordError(
      tx,
      refusal.remoteId
        ? {
            level: 'entity',
            connectionId,
            direction: 'in',
            entityId: twin?.local_id ?? null,
            remoteId: refusal.remoteId,
            eventSeq: seq,
            message,
          }
        : { level: 'connection', connectionId, direction: 'in', eventSeq: seq, message },
    );
    // Logged (and reported) as refused; the sender also has `sync.refused`, which names the error there.
    await logIncoming(tx, connectionId, [
      {
        seq,
        event: { kind: 'refused', entityId: refusal.remoteId ?? '' },
        outcome: 'failed',
        action: 'refused',
        entityId: twin?.local_id ?? null,
        errorId,
        message: refusal.reason,
      },
    ]);
    await updateStream(tx, connectionId, { in_high: seq });
    return { ...held, high: seq };
  });
}

/**
 * The next events to apply: the oldest pending event of each remote entity, in sequence order. An entity
 * whose oldest event failed is blocked (its later events wait) while the others flow on.
 */
export async function nextInboxBatch(
  db: DbExecutor,
  connectionId: string,
  limit: number,
): Promise<InboxEntry[]> {
  const seen = new Set<string>();
  const out: InboxEntry[] = [];
  // Pages of a few batches' worth: reading the whole window (payloads too) for every batch cost more
  // than applying it; further pages are read only while blocked or repeated entities fill the first.
  const page = limit + 50;
  let after = -1;
  for (let read = 0; read < INBOX_SCAN && out.length < limit; read += page) {
    const rows = await inboxPage(db, connectionId, after, page);
    for (const r of rows) {
      if (seen.has(r.remote_id)) continue;
      seen.add(r.remote_id);
      if (r.status !== 'pending') continue;
      out.push({
        seq: r.seq,
        remoteId: r.remote_id,
        event: JSON.parse(r.payload) as SyncEvent,
        errorId: r.error_id,
      });
      if (out.length >= limit) break;
    }
    if (rows.length < page) break;
    after = rows.at(-1)!.seq;
  }
  return out;
}

/** How far past the oldest event one batch looks for entities that are not blocked. */
const INBOX_SCAN = 5000;

const inboxPage = prepared((db, connectionId: string, afterSeq: number, limit: number) =>
  db
    .selectFrom('sync_inbox')
    .select(['seq', 'remote_id', 'payload', 'status', 'error_id'])
    .where('connection_id', '=', connectionId)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit),
);

const deleteInboxRow = prepared((db, connectionId: string, seq: number) =>
  db.deleteFrom('sync_inbox').where('connection_id', '=', connectionId).where('seq', '=', seq),
);

export async function removeInbox(tx: DbExecutor, connectionId: string, seq: number): Promise<void> {
  await deleteInboxRow(tx, connectionId, seq);
}

/** Removes applied events: one statement per couple of hundred. */
export async function removeInboxMany(tx: DbExecutor, connectionId: string, seqs: number[]): Promise<void> {
  if (seqs.length === 1) return removeInbox(tx, connectionId, seqs[0]!);
  await inChunks(seqs, (chunk) =>
    tx.deleteFrom('sync_inbox').where('connection_id', '=', connectionId).where('seq', 'in', chunk).execute(),
  );
}

export async function failInbox(
  tx: DbExecutor,
  connectionId: string,
  seq: number,
  errorId: string,
): Promise<void> {
  await tx
    .updateTable('sync_inbox')
    .set({ status: 'failed', error_id: errorId })
    .where('connection_id', '=', connectionId)
    .where('seq', '=', seq)
    .execute();
}

/** Puts a failed event back in line; it keeps its error, which resolves if the event applies and counts an attempt if not. */
export async function retryInbox(tx: DbExecutor, connectionId: string, seq: number): Promise<boolean> {
  const r = await tx
    .updateTable('sync_inbox')
    .set({ status: 'pending' })
    .where('connection_id', '=', connectionId)
    .where('seq', '=', seq)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
