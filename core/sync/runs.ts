// Runs: each bulk or manual sync, its entities still to queue, and counts of what the peer actually did with them.
import { type Selectable, sql } from 'kysely';
import { nanoid } from 'nanoid';
import { INSERT_CHUNK, inChunks } from '../../storage/chunks.ts';
import type { Db, DbExecutor } from '../../storage/schema.ts';
import type { SyncRunItemTable, SyncRunTable } from '../../storage/sync-tables.ts';
import type { Outcome } from './event-log.ts';

export type RunRow = Selectable<SyncRunTable>;
export type RunAction = SyncRunItemTable['action'];

/** What this side decided for an entity without sending anything (skipped, an outgoing rule error, a warning). */
export interface RunItem {
  entityId: string;
  entityKey: string | null;
  action: RunAction;
  message?: string | null;
}

/** The counts a run keeps; `pending` are events sent and still without the peer's outcome. */
export type RunBucket = 'pending' | 'created' | 'updated' | 'skipped' | 'errors';
type Counter = RunBucket | 'warnings' | 'processed';

const ITEM_BUCKET: Record<RunAction, Exclude<Counter, 'pending' | 'processed'>> = {
  created: 'created',
  updated: 'updated',
  skipped: 'skipped',
  error: 'errors',
  warning: 'warnings',
};

/** Where an event's outcome at the peer counts: what it created or updated, else skipped or an error. */
export function bucketOf(outcome: Outcome, action: string | null): RunBucket {
  if (outcome === 'pending') return 'pending';
  if (outcome === 'failed') return 'errors';
  if (outcome === 'applied' && (action === 'created' || action === 'updated')) return action;
  return 'skipped';
}

/** Starts a run over `entityIds` (in this order): the run and the entities it has to queue, in one transaction. */
export async function startRun(
  db: Db,
  connectionId: string,
  kind: RunRow['kind'],
  triggerId: string | null,
  entityIds: string[],
): Promise<string> {
  const id = nanoid();
  await db.transaction().execute(async (tx) => {
    await tx
      .insertInto('sync_runs')
      .values({
        id,
        connection_id: connectionId,
        kind,
        trigger_id: triggerId,
        status: 'running',
        processed: 0,
        created: 0,
        updated: 0,
        skipped: 0,
        errors: 0,
        warnings: 0,
        started_at: new Date().toISOString(),
        finished_at: null,
        total: entityIds.length,
        pending: 0,
        queued_at: null,
      })
      .execute();
    const rows = entityIds.map((entity_id, n) => ({ run_id: id, n, entity_id }));
    await inChunks(rows, (chunk) => tx.insertInto('sync_run_queue').values(chunk).execute(), INSERT_CHUNK);
  });
  return id;
}

/** The next entities the run has to queue, in order. */
export async function nextRunChunk(db: DbExecutor, runId: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('sync_run_queue')
    .select('entity_id')
    .where('run_id', '=', runId)
    .orderBy('n')
    .limit(limit)
    .execute();
  return rows.map((r) => r.entity_id);
}

/**
 * Records a chunk the run queued: those entities leave its queue, what was decided here is counted with
 * its items, and `sent` events now wait for their outcome. Run it in the transaction that queued them.
 */
export async function recordRunChunk(
  tx: DbExecutor,
  runId: string,
  entityIds: string[],
  items: RunItem[],
  sent: number,
): Promise<void> {
  await inChunks(entityIds, (chunk) =>
    tx.deleteFrom('sync_run_queue').where('run_id', '=', runId).where('entity_id', 'in', chunk).execute(),
  );
  const last = await tx
    .selectFrom('sync_run_items')
    .select((eb) => eb.fn.max('n').as('n'))
    .where('run_id', '=', runId)
    .executeTakeFirst();
  let n = Number(last?.n ?? 0);
  const rows = items.map((it) => ({
    run_id: runId,
    n: ++n,
    entity_id: it.entityId,
    entity_key: it.entityKey,
    action: it.action,
    message: it.message ?? null,
  }));
  await inChunks(rows, (chunk) => tx.insertInto('sync_run_items').values(chunk).execute(), INSERT_CHUNK);
  const delta: Partial<Record<Counter, number>> = { pending: sent };
  for (const it of items) {
    const bucket = ITEM_BUCKET[it.action];
    delta[bucket] = (delta[bucket] ?? 0) + 1;
    if (it.action !== 'warning') delta.processed = (delta.processed ?? 0) + 1;
  }
  await addCounts(tx, runId, delta);
}

/** Adds to a run's counts in place (no read first: counts change only under the engine's lock, but stay sums). */
export async function addCounts(
  tx: DbExecutor,
  runId: string,
  delta: Partial<Record<Counter, number>>,
): Promise<void> {
  const entries = Object.entries(delta).filter(([, d]) => d !== 0) as Array<[Counter, number]>;
  if (entries.length === 0) return;
  await tx
    .updateTable('sync_runs')
    .set((eb) => Object.fromEntries(entries.map(([k, d]) => [k, eb(k, '+', d)])))
    .where('id', '=', runId)
    .execute();
}

/** The counts an event's outcome moves, from its bucket before to its bucket now. */
export function outcomeDelta(
  before: RunBucket,
  after: RunBucket,
  into: Partial<Record<Counter, number>> = {},
): Partial<Record<Counter, number>> {
  if (before === after) return into;
  into[before] = (into[before] ?? 0) - 1;
  into[after] = (into[after] ?? 0) + 1;
  if (before === 'pending') into.processed = (into.processed ?? 0) + 1;
  if (after === 'pending') into.processed = (into.processed ?? 0) - 1;
  return into;
}

/** Every entity of the run is queued (or it was cancelled): it finishes once its events have their outcomes. */
export async function markQueued(db: DbExecutor, runId: string): Promise<void> {
  await db
    .updateTable('sync_runs')
    .set({ queued_at: new Date().toISOString() })
    .where('id', '=', runId)
    .where('queued_at', 'is', null)
    .execute();
  await finishIfDone(db, runId);
}

/** A run all of whose events have their outcome ends: `finished` (a cancelled one stays `cancelled`). */
export async function finishIfDone(db: DbExecutor, runId: string): Promise<void> {
  await db
    .updateTable('sync_runs')
    .set({
      status: sql<RunRow['status']>`case when status = 'running' then 'finished' else status end`,
      finished_at: new Date().toISOString(),
    })
    .where('id', '=', runId)
    .where('finished_at', 'is', null)
    .where('queued_at', 'is not', null)
    .where('pending', '<=', 0)
    .execute();
}

/** Ends a run that cannot go on (its rules cannot run, its connection is gone), whatever it waits for. */
export async function failRun(db: DbExecutor, runId: string): Promise<void> {
  const now = new Date().toISOString();
  await db.deleteFrom('sync_run_queue').where('run_id', '=', runId).execute();
  await db
    .updateTable('sync_runs')
    .set((eb) => ({
      status: 'failed',
      queued_at: eb.fn.coalesce('queued_at', eb.val(now)),
      finished_at: now,
    }))
    .where('id', '=', runId)
    .where('finished_at', 'is', null)
    .execute();
}

/**
 * Stops queueing what the run has not sent yet; what it sent still gets its outcome, and the run ends
 * (`cancelled`, with `finishedAt`) once every one has it. False when the run is not running.
 */
export async function cancelRun(db: Db, runId: string): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const r = await tx
      .updateTable('sync_runs')
      .set({ status: 'cancelled' })
      .where('id', '=', runId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return false;
    await tx.deleteFrom('sync_run_queue').where('run_id', '=', runId).execute();
    await markQueued(tx, runId);
    return true;
  });
}

/** Runs not over yet: what an engine takes up again when it starts. */
export async function unfinishedRuns(db: DbExecutor): Promise<RunRow[]> {
  return db
    .selectFrom('sync_runs')
    .selectAll()
    .where('finished_at', 'is', null)
    .orderBy('started_at')
    .execute();
}

/** Ends the runs of a deleted connection: their events will get no outcome now. */
export async function failConnectionRuns(db: DbExecutor, connectionId: string): Promise<void> {
  const rows = await db
    .selectFrom('sync_runs')
    .select('id')
    .where('connection_id', '=', connectionId)
    .where('finished_at', 'is', null)
    .execute();
  for (const r of rows) await failRun(db, r.id);
}

export async function getRun(db: DbExecutor, id: string): Promise<RunRow | undefined> {
  return db.selectFrom('sync_runs').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface RunFilter {
  connectionId?: string | undefined;
  triggerId?: string | undefined;
  status?: RunRow['status'] | undefined;
}

export async function listRuns(db: DbExecutor, f: RunFilter, limit: number, offset: number) {
  let q = db.selectFrom('sync_runs').selectAll();
  if (f.connectionId) q = q.where('connection_id', '=', f.connectionId);
  if (f.triggerId) q = q.where('trigger_id', '=', f.triggerId);
  if (f.status) q = q.where('status', '=', f.status);
  const rows = await q
    .orderBy('started_at', 'desc')
    .orderBy('id')
    .limit(limit + 1)
    .offset(offset)
    .execute();
  return { rows: rows.slice(0, limit), more: rows.length > limit };
}

export function runJson(r: RunRow) {
  return {
    id: r.id,
    connectionId: r.connection_id,
    kind: r.kind,
    ...(r.trigger_id ? { triggerId: r.trigger_id } : {}),
    status: r.status,
    total: r.total,
    processed: r.processed,
    pending: r.pending,
    created: r.created,
    updated: r.updated,
    skipped: r.skipped,
    errors: r.errors,
    warnings: r.warnings,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}
