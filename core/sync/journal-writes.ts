// The apply journal's external writes for one inbox batch: intents in one go, writes side by side, one commit.
import { INSERT_CHUNK, inChunks } from '../../storage/chunks.ts';
import type { DbExecutor } from '../../storage/schema.ts';
import { fenceWrite } from '../cluster/fence.ts';
import type { RuleResult } from '../sandbox/sandbox.ts';
import type { Tracker } from '../trackers/tracker.ts';
import { createSerialQueue } from '../util/serial-queue.ts';
import {
  ApplyFailure,
  type BatchWrites,
  flushWrites,
  type PreparedBatch,
  parkFailure,
  runBatch,
  TrackerUnavailable,
} from './apply.ts';
import type { SyncConnection } from './connections-view.ts';
import type { SyncContext } from './context.ts';
import { failInbox, type InboxEntry, removeInboxMany } from './inbox.ts';
import { appendOutbox } from './outbox.ts';

/** One event whose incoming rule decided writes to a tracker that cannot join our transaction. */
export interface ExternalEvent {
  entry: InboxEntry;
  result: RuleResult;
  single: PreparedBatch;
  /**
   * Its journal row: none (the first try of its writes), pending (a replay after a crash or an outage, with the
   * result decided then) or rerun (tried before and not done: its rule ran again).
   */
  row: 'pending' | 'done' | 'rerun' | null;
}

/** Events written to the tracker at once: enough for its batch requests to fill, few enough not to flood it. */
export const EXTERNAL_WRITES_AT_ONCE = 50;

type Ran = Awaited<ReturnType<typeof runBatch>>;
type Attempt = { event: ExternalEvent; ran: Ran } | { event: ExternalEvent; error: unknown };

/** The tracker as a fresh event's writes see it: each write says it is its key's first try. */
function firstTries(tracker: Tracker): Tracker {
  return new Proxy(tracker, {
    get(t, prop) {
      if (prop === 'write')
        return (...[request, context]: Parameters<Tracker['write']>) =>
          t.write(request, { ...context, firstTry: true });
      const v: unknown = Reflect.get(t, prop, t);
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
}

/**
 * (1) records the intent of every fresh event (its decided result) in one statement; (2) runs the events'
 * tracker writes side by side, idempotent by key and correlation id (events of different entities; two that
 * would write the same local record wait for each other), so a tracker can send them in few requests; (3) in
 * one transaction marks the rows done with the versions the writes made, writes twins and the peer's events
 * and settles the inbox rows. A refused event is parked (its row says `rerun`, so its retry's writes are not
 * first tries); an unavailable tracker leaves its events pending
 * (replayed later) and is thrown once the others are committed. Returns how many events it settled.
 * @example settled += await applyExternal(ctx, conn, events);
 */
export async function applyExternal(
  ctx: SyncContext,
  conn: SyncConnection,
  events: ExternalEvent[],
): Promise<number> {
  const { db } = ctx;
  const now = new Date().toISOString();
  // A row tried before takes the new result; a first try gets its row. All of them in one transaction behind
  // the fence: a process whose lease was taken records no intent (and so writes nothing to the tracker).
  await db.transaction().execute(async (tx) => {
    await fenceWrite(tx, conn.id);
    for (const e of events.filter((x) => x.row === 'rerun' || x.row === 'done'))
      await tx
        .updateTable('sync_apply_journal')
        .set({ result: JSON.stringify(e.result), status: 'pending', done_at: null })
        .where('connection_id', '=', conn.id)
        .where('seq', '=', e.entry.seq)
        .execute();
    await inChunks(
      events.filter((e) => e.row === null),
      (chunk) =>
        tx
          .insertInto('sync_apply_journal')
          .values(
            chunk.map((e) => ({
              connection_id: conn.id,
              seq: e.entry.seq,
              remote_id: e.entry.remoteId,
              result: JSON.stringify(e.result),
              status: 'pending' as const,
              created_at: now,
              done_at: null,
            })),
          )
          .execute(),
      INSERT_CHUNK,
    );
  });

  const sameRecord = createSerialQueue();
  const attempts: Attempt[] = [];
  const fresh = firstTries(ctx.tracker);
  let next = 0;
  const worker = async () => {
    while (next < events.length) {
      const event = events[next++]!;
      // Only a first try may skip the look for an earlier one: an event tried before may have written then.
      const target = event.row === null ? fresh : ctx.tracker;
      const localId = event.single.localIds[0] ?? `new:${event.entry.seq}`;
      try {
        // Twins and links are read, not written, here: this step alone writes them. The event joins the
        // tracker's writes only once its record is its own (one waiting for another's would hold them all).
        const ran = await sameRecord.run(localId, async () => {
          const leave = ctx.tracker.joinWrites?.();
          try {
            return await runBatch(ctx, db, target, conn, event.single);
          } finally {
            leave?.();
          }
        });
        attempts.push({ event, ran });
      } catch (error) {
        attempts.push({ event, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(EXTERNAL_WRITES_AT_ONCE, events.length) }, worker));
  attempts.sort((a, b) => a.event.entry.seq - b.event.entry.seq);

  const done = attempts.flatMap((a) => ('ran' in a && a.ran.outcome.again.length === 0 ? [a] : []));
  const again = attempts.flatMap((a) => ('ran' in a && a.ran.outcome.again.length > 0 ? [a.event] : []));
  const refused = attempts.flatMap((a) =>
    'error' in a && a.error instanceof ApplyFailure && !(a.error.cause instanceof TrackerUnavailable)
      ? [{ event: a.event, failure: a.error }]
      : [],
  );
  await db.transaction().execute(async (tx) => {
    await fenceWrite(tx, conn.id);
    // The entity moved on before this try wrote anything: the rule runs again on it (a first try if it was one).
    await forget(
      tx,
      conn.id,
      again.filter((e) => e.row === null).map((e) => e.entry.seq),
    );
    // Refused (the event is parked; a retry runs the rule again), or moved on after an earlier try that may have
    // written: the next try looks for what landed (by key, correlation id, comment marker).
    await inChunks(
      [...refused.map((r) => r.event), ...again.filter((e) => e.row !== null)].map((e) => e.entry.seq),
      (chunk) =>
        tx
          .updateTable('sync_apply_journal')
          .set({ status: 'rerun', done_at: now })
          .where('connection_id', '=', conn.id)
          .where('seq', 'in', chunk)
          .execute(),
    );
    if (done.length === 0) return;
    const outbox = [];
    for (const { ran } of done) {
      await flushWrites(tx, conn.id, { ...ran.writes, outbox: [] } satisfies BatchWrites);
      outbox.push(...ran.writes.outbox);
    }
    await appendOutbox(tx, conn.id, outbox);
    const versions = done.flatMap(({ event, ran }) =>
      ran.writes.versions.map((v) => ({
        entity_id: v.entityId,
        version: v.version,
        connection_id: conn.id,
        seq: event.entry.seq,
      })),
    );
    await inChunks(
      versions,
      (chunk) =>
        tx
          .insertInto('sync_apply_versions')
          .values(chunk)
          .onConflict((oc) => oc.columns(['entity_id', 'version']).doNothing())
          .execute(),
      INSERT_CHUNK,
    );
    await inChunks(
      done.map((d) => d.event.entry.seq),
      (chunk) =>
        tx
          .updateTable('sync_apply_journal')
          .set({ status: 'done', done_at: new Date().toISOString() })
          .where('connection_id', '=', conn.id)
          .where('seq', 'in', chunk)
          .execute(),
    );
    await removeInboxMany(
      tx,
      conn.id,
      done.flatMap((d) => d.ran.outcome.applied),
    );
    for (const { ran } of done)
      for (const f of ran.outcome.failed) await failInbox(tx, conn.id, f.seq, f.errorId);
  });
  for (const { failure } of refused) await parkFailure(ctx, conn, failure);
  await pruneNowAndThen(db);

  // Unavailable: those rows stay pending and the connection is held (the error says why); replayed later.
  const stopped = attempts.find((a) => 'error' in a && !refused.some((r) => r.event === a.event));
  if (stopped && 'error' in stopped) {
    const err = stopped.error;
    throw err instanceof ApplyFailure && err.cause instanceof TrackerUnavailable ? err.cause : err;
  }
  return done.length + refused.length;
}

/** When each database's journal was last pruned (a host has one; tests run several in one process). */
const prunedAt = new WeakMap<DbExecutor, number>();
const PRUNE_EVERY_MS = 3600_000;

/** Prunes done journal rows older than JOURNAL_KEPT_MS, at most once an hour per database. */
async function pruneNowAndThen(db: DbExecutor): Promise<void> {
  const now = Date.now();
  if (now - (prunedAt.get(db) ?? Number.NEGATIVE_INFINITY) < PRUNE_EVERY_MS) return;
  prunedAt.set(db, now);
  await pruneJournal(db, new Date(now - JOURNAL_KEPT_MS).toISOString());
}

async function forget(tx: DbExecutor, connectionId: string, seqs: number[]): Promise<void> {
  await inChunks(seqs, (chunk) =>
    tx
      .deleteFrom('sync_apply_journal')
      .where('connection_id', '=', connectionId)
      .where('seq', 'in', chunk)
      .execute(),
  );
}

/** How long done journal rows, and the versions their writes made, are kept: the feed reads our writes back long before. */
export const JOURNAL_KEPT_MS = 7 * 24 * 3600_000;

/**
 * Drops journal rows done before `before` (ISO 8601) and the versions they recorded; pending rows stay.
 * @example await pruneJournal(db, new Date(Date.now() - JOURNAL_KEPT_MS).toISOString());
 */
export async function pruneJournal(db: DbExecutor, before: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx
      .deleteFrom('sync_apply_versions')
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('sync_apply_journal as j')
            .select('j.seq')
            .whereRef('j.connection_id', '=', 'sync_apply_versions.connection_id')
            .whereRef('j.seq', '=', 'sync_apply_versions.seq')
            .where('j.status', 'in', ['done', 'rerun'])
            .where('j.done_at', '<', before),
        ),
      )
      .execute();
    await tx
      .deleteFrom('sync_apply_journal')
      .where('status', 'in', ['done', 'rerun'])
      .where('done_at', '<', before)
      .execute();
  });
}
