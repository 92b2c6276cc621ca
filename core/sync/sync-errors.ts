// Sync errors at entity, connection and node level: what failed, where in the script, which event it stopped.
import type { Selectable } from 'kysely';
import { nanoid } from 'nanoid';
import type { DbExecutor } from '../../storage/schema.ts';
import type { SyncErrorTable } from '../../storage/sync-tables.ts';

export type SyncErrorRow = Selectable<SyncErrorTable>;

export interface NewSyncError {
  level: SyncErrorRow['level'];
  connectionId: string | null;
  direction?: 'out' | 'in';
  entityId?: string | null;
  remoteId?: string | null;
  eventSeq?: number | null;
  message: string;
  script?: string | null;
  scriptLine?: number | null;
}

/** Opens an error, or refreshes the open one for the same place (one open error per entity and direction). */
export async function recordError(db: DbExecutor, e: NewSyncError): Promise<string> {
  let q = db
    .selectFrom('sync_errors')
    .select('id')
    .where('status', '=', 'open')
    .where('level', '=', e.level)
    .where('connection_id', e.connectionId === null ? 'is' : '=', e.connectionId);
  if (e.level === 'entity') {
    q = q
      .where('direction', '=', e.direction ?? null)
      .where('event_seq', e.eventSeq == null ? 'is' : '=', e.eventSeq ?? null)
      .where(e.entityId ? 'entity_id' : 'remote_id', '=', e.entityId ?? e.remoteId ?? '');
  }
  const open = await q.executeTakeFirst();
  const now = new Date().toISOString();
  const fields = {
    message: e.message.slice(0, 4000),
    script: e.script ?? null,
    script_line: e.scriptLine ?? null,
    occurred_at: now,
  };
  if (open) {
    await db.updateTable('sync_errors').set(fields).where('id', '=', open.id).execute();
    return open.id;
  }
  const id = nanoid();
  await db
    .insertInto('sync_errors')
    .values({
      id,
      connection_id: e.connectionId,
      level: e.level,
      direction: e.direction ?? null,
      entity_id: e.entityId ?? null,
      remote_id: e.remoteId ?? null,
      event_seq: e.eventSeq ?? null,
      status: 'open',
      resolved_at: null,
      ...fields,
    })
    .execute();
  return id;
}

/**
 * Refreshes error `id` with a new message, opening it again if it was resolved meanwhile (the same
 * failure goes on); false when there is no such error.
 */
export async function reopenError(db: DbExecutor, id: string, message: string): Promise<boolean> {
  const r = await db
    .updateTable('sync_errors')
    .set({
      status: 'open',
      resolved_at: null,
      message: message.slice(0, 4000),
      occurred_at: new Date().toISOString(),
    })
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function getError(db: DbExecutor, id: string): Promise<SyncErrorRow | undefined> {
  return db.selectFrom('sync_errors').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function closeError(db: DbExecutor, id: string): Promise<void> {
  await db
    .updateTable('sync_errors')
    .set({ status: 'resolved', resolved_at: new Date().toISOString() })
    .where('id', '=', id)
    .execute();
}

/**
 * Closes the open connection- or node-level errors of a connection once it works again; with
 * `cause`, only those whose message starts with it (each cause closes its own errors only).
 */
export async function closeConnectionErrors(
  db: DbExecutor,
  connectionId: string | null,
  level: 'connection' | 'node',
  cause?: string,
) {
  let q = db
    .updateTable('sync_errors')
    .set({ status: 'resolved', resolved_at: new Date().toISOString() })
    .where('status', '=', 'open')
    .where('level', '=', level)
    .where('connection_id', connectionId === null ? 'is' : '=', connectionId);
  if (cause !== undefined) {
    // LIKE escapes differ between engines: causes are fixed texts without wildcards.
    if (/[%_]/.test(cause)) throw new Error(`an error cause may not contain % or _: ${cause}`);
    q = q.where('message', 'like', `${cause}%`);
  }
  await q.execute();
}

export interface ErrorQuery {
  connectionId?: string | undefined;
  status?: 'open' | 'resolved' | undefined;
  limit: number;
  offset: number;
}

export async function listErrors(db: DbExecutor, q: ErrorQuery) {
  let query = db.selectFrom('sync_errors').selectAll();
  if (q.connectionId) query = query.where('connection_id', '=', q.connectionId);
  if (q.status) query = query.where('status', '=', q.status);
  const rows = await query
    .orderBy('occurred_at', 'desc')
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .offset(q.offset)
    .execute();
  const page = rows.slice(0, q.limit);
  return { rows: page, more: rows.length > q.limit };
}

/** The contract's error JSON. */
export function errorJson(r: SyncErrorRow) {
  return {
    id: r.id,
    level: r.level,
    connectionId: r.connection_id,
    ...(r.entity_id ? { entityId: r.entity_id } : {}),
    ...(r.remote_id ? { remoteId: r.remote_id } : {}),
    direction: r.direction,
    message: r.message,
    ...(r.script ? { script: r.script } : {}),
    ...(r.script_line !== null ? { scriptLine: r.script_line } : {}),
    ...(r.event_seq !== null ? { eventSeq: r.event_seq } : {}),
    occurredAt: r.occurred_at,
    status: r.status,
    ...(r.resolved_at ? { resolvedAt: r.resolved_at } : {}),
  };
}
