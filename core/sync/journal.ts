// The apply journal: exactly once in effect on a tracker that cannot join our transaction.

import { inChunks } from '../../storage/chunks.ts';
import type { DbExecutor } from '../../storage/schema.ts';
import type { RuleProgram, RuleResult } from '../sandbox/sandbox.ts';
import type { Change, Origin } from '../trackers/tracker.ts';
import {
  APPLY_BATCH,
  ApplyFailure,
  commitPrepared,
  flushWrites,
  type PreparedBatch,
  parkFailure,
  prepareBatch,
  runBatch,
  TrackerUnavailable,
} from './apply.ts';
import type { SyncConnection } from './connections-view.ts';
import type { SyncContext } from './context.ts';
import { failInbox, type InboxEntry, nextInboxBatch, removeInboxMany } from './inbox.ts';

/**
 * Applies one batch from the inbox through the journal, event by event: (1) a `pending` row records the
 * incoming rule's result; (2) the tracker writes, idempotent by key (connection + event sequence) and
 * correlation id (the peer's record id); (3) in one transaction the row is marked done with the versions
 * the writes made, the twin and the events for the peer are written and the inbox row goes. After a crash
 * a pending row's event is still first in the inbox for its entity: it is replayed with the same result
 * and keys before any later event of that entity. Returns how many events it settled.
 * @example if (!ctx.tracker.transactional) await applyJournaled(ctx, conn, program);
 */
export async function applyJournaled(
  ctx: SyncContext,
  conn: SyncConnection,
  program: RuleProgram,
): Promise<number> {
  const { db } = ctx;
  const batch = await nextInboxBatch(db, conn.id, APPLY_BATCH);
  if (batch.length === 0) return 0;
  const decided = await journalRows(db, conn.id, batch);
  const prepared = await prepareBatch(ctx, conn, program, batch);
  let settled = 0;
  for (const p of prepared.prepared) {
    const row = decided.get(p.entry.seq);
    const result: RuleResult | undefined = row
      ? (JSON.parse(row) as RuleResult) // decided before a crash: the same writes, the same keys
      : p.call === undefined
        ? undefined
        : prepared.results[p.call];
    const single: PreparedBatch = {
      prepared: [result ? { ...p, call: 0 } : p],
      results: result ? [result] : [],
      localIds: p.entity ? [p.entity.id] : [],
    };
    const external = p.entry.event.kind === 'upsert' && result?.ok === true && result.script === 'incoming';
    settled += external
      ? await applyExternal(ctx, conn, p.entry, result, single, !row)
      : await commitPrepared(ctx, conn, single); // writes nothing to the tracker: one local transaction
  }
  return settled;
}

async function applyExternal(
  ctx: SyncContext,
  conn: SyncConnection,
  entry: InboxEntry,
  result: RuleResult,
  single: PreparedBatch,
  fresh: boolean,
): Promise<number> {
  const { db } = ctx;
  const forget = (tx: DbExecutor) =>
    tx
      .deleteFrom('sync_apply_journal')
      .where('connection_id', '=', conn.id)
      .where('seq', '=', entry.seq)
      .execute();
  // 1. The intent, with the result decided.
  if (fresh)
    await db
      .insertInto('sync_apply_journal')
      .values({
        connection_id: conn.id,
        seq: entry.seq,
        remote_id: entry.remoteId,
        result: JSON.stringify(result),
        status: 'pending',
        created_at: new Date().toISOString(),
        done_at: null,
      })
      .execute();
  // 2. The external writes (reads of twins and links need no transaction: this step alone writes them).
  let ran: Awaited<ReturnType<typeof runBatch>>;
  try {
    ran = await runBatch(ctx, db, ctx.tracker, conn, single);
  } catch (err) {
    if (!(err instanceof ApplyFailure)) throw err;
    // Unavailable: the row stays pending and the connection is held (the error says why); replayed later.
    if (err.cause instanceof TrackerUnavailable) throw err.cause;
    // Refused: nothing was written; a retry runs the rule again.
    await forget(db);
    await parkFailure(ctx, conn, err);
    return 1;
  }
  // 3. Done: the journal row, the versions our writes made, the twin, the peer's events, the inbox row.
  const { outcome, writes } = ran;
  await db.transaction().execute(async (tx) => {
    if (outcome.again.length > 0) {
      await forget(tx); // the entity moved on before we wrote: the rule runs again on it
      return;
    }
    await flushWrites(tx, conn.id, writes);
    await inChunks(writes.versions, (chunk) =>
      tx
        .insertInto('sync_apply_versions')
        .values(
          chunk.map((v) => ({
            entity_id: v.entityId,
            version: v.version,
            connection_id: conn.id,
            seq: entry.seq,
          })),
        )
        .onConflict((oc) => oc.columns(['entity_id', 'version']).doNothing())
        .execute(),
    );
    await tx
      .updateTable('sync_apply_journal')
      .set({ status: 'done', done_at: new Date().toISOString() })
      .where('connection_id', '=', conn.id)
      .where('seq', '=', entry.seq)
      .execute();
    await removeInboxMany(tx, conn.id, outcome.applied);
    for (const f of outcome.failed) await failInbox(tx, conn.id, f.seq, f.errorId);
  });
  return outcome.again.length > 0 ? 0 : 1;
}

/** The results decided for pending journal rows of these events (a crash came between write and done). */
async function journalRows(
  db: DbExecutor,
  connectionId: string,
  batch: InboxEntry[],
): Promise<Map<number, string>> {
  const rows = await inChunks(
    batch.map((e) => e.seq),
    (chunk) =>
      db
        .selectFrom('sync_apply_journal')
        .select(['seq', 'result'])
        .where('connection_id', '=', connectionId)
        .where('status', '=', 'pending')
        .where('seq', 'in', chunk)
        .execute(),
  );
  return new Map(rows.map((r) => [r.seq, r.result]));
}

/** Connections with an event between its external write and its done row: their feed waits for it. */
export async function connectionsMidApply(db: DbExecutor): Promise<Set<string>> {
  const rows = await db
    .selectFrom('sync_apply_journal')
    .select('connection_id')
    .distinct()
    .where('status', '=', 'pending')
    .execute();
  return new Set(rows.map((r) => r.connection_id));
}

/** Each change's origin: its own where the tracker gave one, else the connection whose journaled write made that version. */
export async function originsOf(db: DbExecutor, changes: Change[]): Promise<Array<Origin | undefined>> {
  const unknown = [...new Set(changes.filter((c) => !c.origin).map((c) => c.entityId))];
  if (unknown.length === 0) return changes.map((c) => c.origin);
  const rows = await inChunks(unknown, (chunk) =>
    db
      .selectFrom('sync_apply_versions')
      .select(['entity_id', 'version', 'connection_id'])
      .where('entity_id', 'in', chunk)
      .execute(),
  );
  const ours = new Map(rows.map((r) => [`${r.entity_id}@${r.version}`, r.connection_id]));
  return changes.map((c) => {
    if (c.origin) return c.origin;
    const by = ours.get(`${c.entityId}@${c.version}`);
    return by ? (`connection:${by}` as const) : undefined;
  });
}
