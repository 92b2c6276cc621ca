// Sync errors at entity, connection and node level: what failed, where in the script, which event it stopped.
import type { ExpressionBuilder, Selectable } from 'kysely';
import { nanoid } from 'nanoid';
import type { Database, DbExecutor } from '../../storage/schema.ts';
import type { SyncErrorTable } from '../../storage/sync-tables.ts';
import { fenced } from '../cluster/fence.ts';

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
  /** This side's entity key and the other side's, when the caller knows them (shown and searched). */
  entityKey?: string | null;
  remoteKey?: string | null;
}

/** Who resolves an error that resolves itself (a recovery, a later success). */
export const SYSTEM_ACTOR = 'tandem';

/**
 * How an error was resolved: `retried` (a retry worked), `skipped` (resolved: its event skipped), `recovered`
 * (its cause went away by itself), `superseded` (a later change of the entity went through), `connection_deleted`.
 */
export type Resolution = 'retried' | 'skipped' | 'recovered' | 'superseded' | 'connection_deleted';

/** Who resolved an error and how. */
export interface Resolved {
  by: string;
  how: Resolution;
}

const RECOVERED: Resolved = { by: SYSTEM_ACTOR, how: 'recovered' };

/**
 * Opens an error, or refreshes the open one for the same place (one open error per entity and direction),
 * counting one more attempt: a failed retry updates the error it retried.
 */
export async function recordError(db: DbExecutor, e: NewSyncError): Promise<string> {
  // A connection's error is written by the process running it: one whose lease was taken records none.
  if (e.connectionId !== null) return fenced(db, e.connectionId, (tx) => writeError(tx, e));
  return writeError(db, e);
}

async function writeError(db: DbExecutor, e: NewSyncError): Promise<string> {
  let q = db
    .selectFrom('sync_errors')
    .select('id')
    .where('status', '=', 'open')
    .where('side', '=', 'here')
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
  const keys = {
    ...(e.entityKey ? { entity_key: e.entityKey } : {}),
    ...(e.remoteKey ? { remote_key: e.remoteKey } : {}),
  };
  if (open) {
    await db
      .updateTable('sync_errors')
      .set((eb) => ({ ...fields, ...keys, attempts: eb('attempts', '+', 1) }))
      .where('id', '=', open.id)
      .execute();
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
      side: 'here',
      attempts: 1,
      resolved_by: null,
      resolution: null,
      entity_key: e.entityKey ?? null,
      remote_key: e.remoteKey ?? null,
      peer_error_id: null,
      retry_by: null,
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
    .set((eb) => ({
      status: 'open',
      resolved_at: null,
      resolved_by: null,
      resolution: null,
      message: message.slice(0, 4000),
      occurred_at: new Date().toISOString(),
      attempts: eb('attempts', '+', 1),
    }))
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function getError(db: DbExecutor, id: string): Promise<SyncErrorRow | undefined> {
  return db.selectFrom('sync_errors').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The columns that resolve an error. */
export const resolvedSet = (r: Resolved) => ({
  status: 'resolved' as const,
  resolved_at: new Date().toISOString(),
  resolved_by: r.by,
  resolution: r.how,
});

/** Resolves error `id` if it is open (a resolved one keeps who and how it was resolved). */
export async function closeError(db: DbExecutor, id: string, resolved: Resolved = RECOVERED): Promise<void> {
  await db
    .updateTable('sync_errors')
    .set(resolvedSet(resolved))
    .where('id', '=', id)
    .where('status', '=', 'open')
    .execute();
}

/** Resolves the open errors among `ids` whose failed event a retry replayed successfully (by whoever asked). */
export async function closeRetried(db: DbExecutor, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('sync_errors')
    .set((eb) => ({
      status: 'resolved',
      resolved_at: new Date().toISOString(),
      resolved_by: eb.fn.coalesce('retry_by', eb.val(SYSTEM_ACTOR)),
      resolution: 'retried',
    }))
    .where('id', 'in', ids)
    .where('status', '=', 'open')
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
  const open = openMatching(connectionId, level, cause);
  if (connectionId === null) {
    await db.updateTable('sync_errors').set(resolvedSet(RECOVERED)).where(open).execute();
    return;
  }
  // A working connection calls this on every step and received batch, and almost never has one open: a read
  // spares those calls the fenced write (a transaction with the lease check on PostgreSQL).
  const any = await db.selectFrom('sync_errors').select('id').where(open).limit(1).executeTakeFirst();
  if (!any) return;
  await fenced(db, connectionId, (tx) =>
    tx.updateTable('sync_errors').set(resolvedSet(RECOVERED)).where(open).execute(),
  );
}

/** The open errors of a connection (or the node) at a level, and with `cause`, those whose message starts with it. */
function openMatching(connectionId: string | null, level: 'connection' | 'node', cause: string | undefined) {
  // LIKE escapes differ between engines: causes are fixed texts without wildcards.
  if (cause !== undefined && /[%_]/.test(cause))
    throw new Error(`an error cause may not contain % or _: ${cause}`);
  return (eb: ExpressionBuilder<Database, 'sync_errors'>) =>
    eb.and([
      eb('status', '=', 'open'),
      eb('level', '=', level),
      connectionId === null ? eb('connection_id', 'is', null) : eb('connection_id', '=', connectionId),
      ...(cause === undefined ? [] : [eb('message', 'like', `${cause}%`)]),
    ]);
}
