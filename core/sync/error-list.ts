// Reading errors: the filters of the Errors list (and of retry all / resolve all), and each error as the API shows it.
import { type SelectQueryBuilder, type SqlBool, sql } from 'kysely';
import type { Database, DbExecutor } from '../../storage/schema.ts';
import type { Tracker } from '../trackers/tracker.ts';
import { loadEntities } from './load-entities.ts';
import type { SyncErrorRow } from './sync-errors.ts';
import { twinsByLocal } from './twins.ts';

/** What the Errors list, and the actions on all it lists, select by. */
export interface ErrorFilter {
  connectionId?: string | undefined;
  status?: 'open' | 'resolved' | undefined;
  level?: SyncErrorRow['level'] | undefined;
  /** `here`: this host's errors; `peer`: the partner's errors on our events (read-only here). */
  side?: SyncErrorRow['side'] | undefined;
  /** Words in the message, or an entity's key or id on either side (case-insensitive). */
  q?: string | undefined;
  /**
   * Not the errors of these connections (errors of no connection still match): several processes on one database
   * split retry all / resolve all by the process holding each connection (core/http/errors-by-holder.ts).
   */
  exceptConnections?: readonly string[] | undefined;
}

type ErrorQuery = SelectQueryBuilder<Database, 'sync_errors', object>;

/** `%` and `_` are wildcards of LIKE: escaped, so the text matches as written on both databases. */
const likePattern = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function filtered<Q extends ErrorQuery>(query: Q, f: ErrorFilter): Q {
  let q = query as ErrorQuery;
  if (f.connectionId) q = q.where('connection_id', '=', f.connectionId);
  const except = f.exceptConnections;
  if (except?.length)
    q = q.where((eb) => eb.or([eb('connection_id', 'is', null), eb('connection_id', 'not in', [...except])]));
  if (f.status) q = q.where('status', '=', f.status);
  if (f.level) q = q.where('level', '=', f.level);
  if (f.side) q = q.where('side', '=', f.side);
  const text = f.q?.trim();
  if (text) {
    const pattern = likePattern(text);
    const like = (column: string) => sql<SqlBool>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
    q = q.where((eb) =>
      eb.or([
        like('message'),
        like('entity_key'),
        like('remote_key'),
        eb('entity_id', '=', text),
        eb('remote_id', '=', text),
      ]),
    );
  }
  return q as Q;
}

export async function listErrors(db: DbExecutor, f: ErrorFilter & { limit: number; offset: number }) {
  const rows = await filtered(db.selectFrom('sync_errors').selectAll(), f)
    .orderBy('occurred_at', 'desc')
    .orderBy('id', 'desc')
    .limit(f.limit + 1)
    .offset(f.offset)
    .execute();
  return { rows: rows.slice(0, f.limit), more: rows.length > f.limit };
}

/** Open errors of this side that match `f`, oldest first (what retry all / resolve all act on), at most `limit`. */
export async function openErrorsMatching(db: DbExecutor, f: ErrorFilter, limit: number) {
  return filtered(db.selectFrom('sync_errors').selectAll(), { ...f, status: 'open' })
    .orderBy('occurred_at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** What the API adds to a row: which record failed, on both sides. */
export interface ErrorRecord {
  entityKey: string | null;
  entitySummary: string | null;
  remoteKey: string | null;
}

/** The records the errors name: this side's entity (key, summary) from the tracker, the peer's key from the twin. */
export async function errorRecords(
  db: DbExecutor,
  tracker: Tracker,
  rows: SyncErrorRow[],
): Promise<Map<string, ErrorRecord>> {
  const ids = [...new Set(rows.flatMap((r) => (r.entity_id ? [r.entity_id] : [])))];
  const entities = ids.length ? await loadEntities(tracker, ids) : new Map();
  const byConnection = new Map<string, string[]>();
  for (const r of rows)
    if (r.entity_id && r.connection_id && !r.remote_key)
      byConnection.set(r.connection_id, [...(byConnection.get(r.connection_id) ?? []), r.entity_id]);
  const remoteKeys = new Map<string, string | null>();
  for (const [connectionId, localIds] of byConnection)
    for (const t of (await twinsByLocal(db, connectionId, localIds)).values())
      remoteKeys.set(`${connectionId}/${t.local_id}`, t.remote_key);
  return new Map(
    rows.map((r) => {
      const entity = r.entity_id ? entities.get(r.entity_id) : undefined;
      const summary = entity?.fields.summary;
      return [
        r.id,
        {
          entityKey: entity?.key ?? r.entity_key,
          entitySummary: typeof summary === 'string' ? summary : null,
          remoteKey: r.remote_key ?? remoteKeys.get(`${r.connection_id}/${r.entity_id}`) ?? null,
        },
      ];
    }),
  );
}

/** The contract's error JSON. */
export function errorJson(r: SyncErrorRow, record: ErrorRecord | undefined) {
  return {
    id: r.id,
    level: r.level,
    side: r.side,
    connectionId: r.connection_id,
    ...(r.entity_id ? { entityId: r.entity_id } : {}),
    ...(r.remote_id ? { remoteId: r.remote_id } : {}),
    entityKey: record?.entityKey ?? r.entity_key,
    entitySummary: record?.entitySummary ?? null,
    remoteKey: record?.remoteKey ?? r.remote_key,
    direction: r.direction,
    message: r.message,
    ...(r.script ? { script: r.script } : {}),
    ...(r.script_line !== null ? { scriptLine: r.script_line } : {}),
    ...(r.event_seq !== null ? { eventSeq: r.event_seq } : {}),
    attempts: r.attempts,
    occurredAt: r.occurred_at,
    status: r.status,
    ...(r.resolved_at ? { resolvedAt: r.resolved_at } : {}),
    ...(r.status === 'resolved' && r.resolved_by ? { resolvedBy: r.resolved_by } : {}),
    ...(r.status === 'resolved' && r.resolution ? { resolution: r.resolution } : {}),
  };
}

/** Rows as the API shows them, with the records they name (one tracker read for the page). */
export async function errorsJson(db: DbExecutor, tracker: Tracker, rows: SyncErrorRow[]) {
  const records = await errorRecords(db, tracker, rows);
  return rows.map((r) => errorJson(r, records.get(r.id)));
}
