// The event log: each event sent or received on a connection, and its outcome at the receiving side.
import type { Selectable } from 'kysely';
import { INSERT_CHUNK } from '../../storage/chunks.ts';
import { perShape, prepared } from '../../storage/prepared.ts';
import type { DbExecutor } from '../../storage/schema.ts';
import type { SyncEventLogTable } from '../../storage/sync-tables.ts';
import type { SyncEvent } from './events.ts';
import { getStream, updateStream } from './streams.ts';

export type EventLogRow = Selectable<SyncEventLogTable>;
export type Outcome = EventLogRow['outcome'];

/**
 * What the receiving side did with an event: `created`, `updated` or `unchanged` (the rule changed nothing)
 * an entity, `unlinked` its twin, or `refused` the event unread (it could not be used).
 */
export type OutcomeAction = 'created' | 'updated' | 'unchanged' | 'unlinked' | 'refused';

/**
 * `twin` events only tell the other side an id it asked for: they are not logged, and have no outcome
 * to report (they would double the rows written per created entity for nothing an admin looks at).
 */
export const logged = (kind: string) => kind !== 'twin';

const COLUMNS = [
  'connection_id',
  'direction',
  'seq',
  'kind',
  'entity_id',
  'entity_key',
  'remote_id',
  'remote_key',
  'run_id',
  'outcome',
  'action',
  'error_id',
  'message',
  'created_at',
  'outcome_at',
  'outcome_seq',
] as const satisfies ReadonlyArray<keyof EventLogRow>;

/** What an incoming row's later outcome overwrites (its entity only when now known). */
const ON_OUTCOME = ['outcome', 'action', 'error_id', 'message', 'outcome_at', 'outcome_seq'] as const;

/** Multi-row inserts by row count, compiled once each; `upsert` rows replace the outcome of a row already there. */
const insertOf = perShape(
  ({ rows, upsert }: { rows: number; upsert: boolean }) =>
    prepared((db, ...args: unknown[]) => {
      const values = Array.from({ length: rows }, (_, r) =>
        Object.fromEntries(COLUMNS.map((c, i) => [c, args[r * COLUMNS.length + i]])),
      ) as EventLogRow[];
      const q = db.insertInto('sync_event_log').values(values);
      if (!upsert) return q;
      return q.onConflict((oc) =>
        oc.columns(['connection_id', 'direction', 'seq']).doUpdateSet((eb) => ({
          ...Object.fromEntries(ON_OUTCOME.map((c) => [c, eb.ref(`excluded.${c}`)])),
          entity_id: eb.fn.coalesce(eb.ref('excluded.entity_id'), eb.ref('sync_event_log.entity_id')),
          entity_key: eb.fn.coalesce(eb.ref('excluded.entity_key'), eb.ref('sync_event_log.entity_key')),
          remote_id: eb.fn.coalesce(eb.ref('excluded.remote_id'), eb.ref('sync_event_log.remote_id')),
          remote_key: eb.fn.coalesce(eb.ref('excluded.remote_key'), eb.ref('sync_event_log.remote_key')),
        })),
      );
    }),
  ({ rows, upsert }) => `${rows}|${upsert}`,
);

/**
 * Writes whole log rows, a hundred per statement; `upsert` replaces the outcome (and fills in the entities)
 * of rows already there, keeping when they were queued.
 */
export async function writeLogRows(db: DbExecutor, rows: EventLogRow[], upsert: boolean): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const chunk = rows.slice(i, i + INSERT_CHUNK);
    await insertOf({ rows: chunk.length, upsert })(db, ...chunk.flatMap((r) => COLUMNS.map((c) => r[c])));
  }
}

/** Logs events this side queued (with their sequences), pending their outcome; run it in the transaction that queued them. */
export async function logOutgoing(
  tx: DbExecutor,
  connectionId: string,
  queued: Array<{ seq: number; event: SyncEvent }>,
  runId: string | null,
  now: string,
): Promise<void> {
  const rows = queued.filter((q) => logged(q.event.kind));
  await writeLogRows(
    tx,
    rows.map(({ seq, event }) => ({
      connection_id: connectionId,
      direction: 'out',
      seq,
      kind: event.kind,
      entity_id: event.entityId,
      entity_key: event.kind === 'unlink' ? null : event.key,
      remote_id: event.twinId,
      remote_key: null,
      run_id: runId,
      outcome: 'pending',
      action: null,
      error_id: null,
      message: null,
      created_at: now,
      outcome_at: null,
      outcome_seq: null,
    })),
    false,
  );
}

/** An incoming event's outcome as the apply step decided it (`pending`: it waits in the inbox). */
export interface IncomingOutcome {
  seq: number;
  /** The event as received (a refused one: its kind `refused`, the entity id it named or ''). */
  event: { kind: string; entityId: string; key?: string | null };
  outcome: Outcome;
  action?: OutcomeAction | null;
  /** This side's entity, once known. */
  entityId?: string | null;
  entityKey?: string | null;
  errorId?: string | null;
  message?: string | null;
}

/**
 * Logs incoming events with their outcome, replacing an earlier one (pending, or a failure a retry replayed).
 * Each decided outcome takes the connection's next outcome sequence, which orders what is reported to the
 * peer (`outcomesToReport`); run it in the transaction that decided them. Returns the last sequence given.
 */
export async function logIncoming(
  tx: DbExecutor,
  connectionId: string,
  outcomes: IncomingOutcome[],
): Promise<number> {
  const rows = outcomes.filter((o) => logged(o.event.kind));
  if (rows.length === 0) return 0;
  const stream = await getStream(tx, connectionId);
  let oseq = stream?.outcome_seq ?? 0;
  const now = new Date().toISOString();
  await writeLogRows(
    tx,
    rows.map((o) => {
      const decided = o.outcome !== 'pending';
      return {
        connection_id: connectionId,
        direction: 'in',
        seq: o.seq,
        kind: o.event.kind,
        entity_id: o.entityId ?? null,
        entity_key: o.entityKey ?? null,
        remote_id: o.event.entityId || null,
        remote_key: o.event.key ?? null,
        run_id: null,
        outcome: o.outcome,
        action: o.action ?? null,
        error_id: o.errorId ?? null,
        message: o.message?.slice(0, 1000) ?? null,
        created_at: now,
        outcome_at: decided ? now : null,
        outcome_seq: decided ? ++oseq : null,
      };
    }),
    true,
  );
  if (stream && oseq !== stream.outcome_seq) await updateStream(tx, connectionId, { outcome_seq: oseq });
  return oseq;
}

/** An outcome to report to the peer, with the error it failed with (or the one it resolved). */
export interface ReportRow {
  outcome_seq: number;
  seq: number;
  outcome: Outcome;
  action: string | null;
  entity_id: string | null;
  entity_key: string | null;
  message: string | null;
  outcome_at: string | null;
  error_id: string | null;
  error_message: string | null;
  error_script: string | null;
  error_line: number | null;
  error_attempts: number | null;
  error_occurred_at: string | null;
  error_resolved_by: string | null;
  error_resolution: string | null;
  error_resolved_at: string | null;
}

const selectReports = prepared((db, connectionId: string, after: number, limit: number) =>
  db
    .selectFrom('sync_event_log as l')
    .leftJoin('sync_errors as e', 'e.id', 'l.error_id')
    .select([
      'l.outcome_seq',
      'l.seq',
      'l.outcome',
      'l.action',
      'l.entity_id',
      'l.entity_key',
      'l.message',
      'l.outcome_at',
      'l.error_id',
      'e.message as error_message',
      'e.script as error_script',
      'e.script_line as error_line',
      'e.attempts as error_attempts',
      'e.occurred_at as error_occurred_at',
      'e.resolved_by as error_resolved_by',
      'e.resolution as error_resolution',
      'e.resolved_at as error_resolved_at',
    ])
    .where('l.connection_id', '=', connectionId)
    .where('l.direction', '=', 'in')
    .where('l.outcome_seq', '>', after)
    .orderBy('l.outcome_seq')
    .limit(limit),
);

/** Outcomes of the peer's events decided after outcome sequence `after`, in order: what the peer is told next. */
export async function outcomesToReport(
  db: DbExecutor,
  connectionId: string,
  after: number,
  limit: number,
): Promise<ReportRow[]> {
  return (await selectReports(db, connectionId, after, limit)) as ReportRow[];
}

/** The events that touched an entity, each way, newest first. */
export async function entityHistory(
  db: DbExecutor,
  entityId: string,
  q: { connectionId?: string | undefined; limit: number; offset: number },
) {
  let query = db.selectFrom('sync_event_log').selectAll().where('entity_id', '=', entityId);
  if (q.connectionId) query = query.where('connection_id', '=', q.connectionId);
  const rows = await query
    .orderBy('created_at', 'desc')
    .orderBy('seq', 'desc')
    .limit(q.limit + 1)
    .offset(q.offset)
    .execute();
  return { rows: rows.slice(0, q.limit), more: rows.length > q.limit };
}

/**
 * Gives incoming events already logged a new outcome without an event at hand (their inbox row is gone or
 * going): a resolve that skips a failed event. Each takes the next outcome sequence, so the peer is told.
 */
export async function settleIncoming(
  tx: DbExecutor,
  connectionId: string,
  seqs: number[],
  outcome: Exclude<Outcome, 'pending'>,
  message: string | null,
): Promise<void> {
  if (seqs.length === 0) return;
  const stream = await getStream(tx, connectionId);
  let oseq = stream?.outcome_seq ?? 0;
  const now = new Date().toISOString();
  for (const seq of seqs)
    await tx
      .updateTable('sync_event_log')
      .set({ outcome, action: null, message, outcome_at: now, outcome_seq: ++oseq })
      .where('connection_id', '=', connectionId)
      .where('direction', '=', 'in')
      .where('seq', '=', seq)
      .execute();
  if (stream) await updateStream(tx, connectionId, { outcome_seq: oseq });
}
