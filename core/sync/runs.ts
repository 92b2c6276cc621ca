// Runs: each bulk or manual sync, with its counts and one line per entity for the CSV report.
import type { Selectable } from 'kysely';
import { nanoid } from 'nanoid';
import { INSERT_CHUNK, inChunks } from '../../storage/chunks.ts';
import type { DbExecutor } from '../../storage/schema.ts';
import type { SyncRunItemTable, SyncRunTable } from '../../storage/sync-tables.ts';

export type RunRow = Selectable<SyncRunTable>;
export type RunAction = SyncRunItemTable['action'];

export interface RunItem {
  entityId: string;
  entityKey: string | null;
  action: RunAction;
  message?: string | null;
}

const COUNTER: Record<RunAction, 'created' | 'updated' | 'skipped' | 'errors' | 'warnings'> = {
  created: 'created',
  updated: 'updated',
  skipped: 'skipped',
  error: 'errors',
  warning: 'warnings',
};

export async function startRun(
  db: DbExecutor,
  connectionId: string,
  kind: RunRow['kind'],
  triggerId: string | null = null,
): Promise<string> {
  const id = nanoid();
  await db
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
    })
    .execute();
  return id;
}

/** Adds items and bumps the counts; `processed` counts entities (warnings ride along with their entity). */
/** Adds items and counts to a run; call it inside the transaction that did the work (or wrap it in one). */
export async function addRunItems(db: DbExecutor, runId: string, items: RunItem[]): Promise<void> {
  if (items.length === 0) return;
  const run = await getRun(db, runId);
  if (!run) return;
  const last = await db
    .selectFrom('sync_run_items')
    .select((eb) => eb.fn.max('n').as('n'))
    .where('run_id', '=', runId)
    .executeTakeFirst();
  let n = Number(last?.n ?? 0);
  const counts = {
    processed: run.processed,
    created: run.created,
    updated: run.updated,
    skipped: run.skipped,
    errors: run.errors,
    warnings: run.warnings,
  };
  const rows = items.map((it) => {
    counts[COUNTER[it.action]]++;
    if (it.action !== 'warning') counts.processed++;
    return {
      run_id: runId,
      n: ++n,
      entity_id: it.entityId,
      entity_key: it.entityKey,
      action: it.action,
      message: it.message ?? null,
    };
  });
  await inChunks(rows, (chunk) => db.insertInto('sync_run_items').values(chunk).execute(), INSERT_CHUNK);
  await db.updateTable('sync_runs').set(counts).where('id', '=', runId).execute();
}

export async function finishRun(db: DbExecutor, runId: string, status: 'finished' | 'failed'): Promise<void> {
  await db
    .updateTable('sync_runs')
    .set({ status, finished_at: new Date().toISOString() })
    .where('id', '=', runId)
    .execute();
}

export async function getRun(db: DbExecutor, id: string): Promise<RunRow | undefined> {
  return db.selectFrom('sync_runs').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listRuns(
  db: DbExecutor,
  connectionId: string | undefined,
  limit: number,
  offset: number,
) {
  let q = db.selectFrom('sync_runs').selectAll();
  if (connectionId) q = q.where('connection_id', '=', connectionId);
  const rows = await q
    .orderBy('started_at', 'desc')
    .orderBy('id')
    .limit(limit + 1)
    .offset(offset)
    .execute();
  return { rows: rows.slice(0, limit), more: rows.length > limit };
}

export async function runItems(db: DbExecutor, runId: string) {
  return db.selectFrom('sync_run_items').selectAll().where('run_id', '=', runId).orderBy('n').execute();
}

export function runJson(r: RunRow) {
  return {
    id: r.id,
    connectionId: r.connection_id,
    kind: r.kind,
    ...(r.trigger_id ? { triggerId: r.trigger_id } : {}),
    status: r.status,
    processed: r.processed,
    created: r.created,
    updated: r.updated,
    skipped: r.skipped,
    errors: r.errors,
    warnings: r.warnings,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}
