// The apply journal: exactly once in effect on a tracker that cannot join our transaction.

import { inChunks } from '../../storage/chunks.ts';
import type { DbExecutor } from '../../storage/schema.ts';
import type { RuleProgram, RuleResult } from '../sandbox/sandbox.ts';
import type { Change, Origin } from '../trackers/tracker.ts';
import { APPLY_BATCH, commitPrepared, type PreparedBatch, prepareBatch } from './apply.ts';
import type { SyncConnection } from './connections-view.ts';
import type { SyncContext } from './context.ts';
import { type InboxEntry, nextInboxBatch } from './inbox.ts';
import { applyExternal, type ExternalEvent } from './journal-writes.ts';

/**
 * Applies one batch from the inbox through the journal: (1) a `pending` row records each event's incoming rule
 * result; (2) the tracker writes, idempotent by key (connection + event sequence) and correlation id (the
 * peer's record id); (3) in one transaction the rows are marked done with the versions the writes made, the
 * twins and the events for the peer are written and the inbox rows go (journal-writes.ts: the events of a
 * batch write side by side and commit together). After a crash a pending row's event is still first in the
 * inbox for its entity: it is replayed with the same result and keys before any later event of that entity.
 * Returns how many events it settled.
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
  const external: ExternalEvent[] = [];
  for (const p of prepared.prepared) {
    const row = decided.get(p.entry.seq);
    const result: RuleResult | undefined =
      row?.status === 'pending'
        ? (JSON.parse(row.result) as RuleResult) // decided before a crash: the same writes, the same keys
        : p.call === undefined
          ? undefined
          : prepared.results[p.call];
    const single: PreparedBatch = {
      prepared: [result ? { ...p, call: 0 } : p],
      results: result ? [result] : [],
      localIds: p.entity ? [p.entity.id] : [],
    };
    if (p.entry.event.kind === 'upsert' && result?.ok === true && result.script === 'incoming')
      external.push({ entry: p.entry, result, single, row: row?.status ?? null });
    else settled += await commitPrepared(ctx, conn, single); // writes nothing to the tracker: one local transaction
  }
  if (external.length > 0) settled += await applyExternal(ctx, conn, external);
  return settled;
}

/** The journal rows of these events: pending (a crash or an outage came between write and done) or rerun. */
async function journalRows(
  db: DbExecutor,
  connectionId: string,
  batch: InboxEntry[],
): Promise<Map<number, { status: 'pending' | 'done' | 'rerun'; result: string }>> {
  const rows = await inChunks(
    batch.map((e) => e.seq),
    (chunk) =>
      db
        .selectFrom('sync_apply_journal')
        .select(['seq', 'status', 'result'])
        .where('connection_id', '=', connectionId)
        .where('seq', 'in', chunk)
        .execute(),
  );
  return new Map(rows.map((r) => [r.seq, r]));
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
