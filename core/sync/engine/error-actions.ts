// What an admin does with open sync errors, one or all that a filter matches: retry (replay or send again) or resolve (skip).
import { inChunks } from '../../../storage/chunks.ts';
import { conflict, notFound } from '../../errors.ts';
import { applyInbox } from '../apply.ts';
import { connectionInfo, syncConnection } from '../connections-view.ts';
import type { SyncContext } from '../context.ts';
import { type ErrorFilter, openErrorsMatching } from '../error-list.ts';
import { settleIncoming } from '../event-log.ts';
import { retryInbox } from '../inbox.ts';
import { applyJournaled } from '../journal.ts';
import { processOutgoing } from '../outgoing.ts';
import { closeError, getError, type SyncErrorRow } from '../sync-errors.ts';
import { saveTwin, twinByLocal } from '../twins.ts';
import type { Holds } from './holds.ts';
import type { Programs } from './programs.ts';
import type { Scheduler } from './scheduler.ts';

/** What retry all / resolve all did with the open errors the filter matched. */
export interface BulkErrorResult {
  /** Open errors that matched (at most `BULK_LIMIT`). */
  matched: number;
  /** Of those, resolved now (a retry that worked, or a resolve). */
  resolved: number;
  /** Of those, still open: the retry failed again (its attempts counted) or could not run now. */
  open: number;
  /** Of those, the partner's: read-only here, left as they are. */
  atPeer: number;
  /** More open errors match than one call acts on. */
  more: boolean;
}

/** Open errors one retry all / resolve all acts on, at most. */
export const BULK_LIMIT = 1000;

/**
 * Retry replays from the failed event (incoming) or runs the outgoing rule again (outgoing) and answers
 * once that is done: a retry that works resolves the error (`resolvedBy` the one who asked), one that fails
 * again counts an attempt on the same error. Resolve skips the failed event: later events of that entity
 * flow again. Both refuse an error that is not open (409 `error_not_open`) and one of the partner's
 * (409 `error_at_peer`: it is retried or resolved on the partner's host, and its outcome comes back).
 * @example const err = await actions.retryError(errorId, 'admin-token'); // the error row as it stands after
 */
export interface ErrorActions {
  retryError(id: string, by: string): Promise<SyncErrorRow | undefined>;
  resolveError(id: string, by: string): Promise<SyncErrorRow | undefined>;
  retryErrors(filter: ErrorFilter, by: string): Promise<BulkErrorResult>;
  resolveErrors(filter: ErrorFilter, by: string): Promise<BulkErrorResult>;
}

export function createErrorActions(deps: {
  ctx: SyncContext;
  programs: Programs;
  holds: Holds;
  scheduler: Scheduler;
}): ErrorActions {
  const { ctx, programs, holds, scheduler } = deps;
  const { db } = ctx;
  const apply = ctx.tracker.transactional ? applyInbox : applyJournaled;

  async function mustBeOpen(id: string) {
    const err = await getError(db, id);
    if (!err) throw notFound('Error', id);
    if (err.side === 'peer')
      throw conflict(
        'ERROR_AT_PEER',
        `Error ${id} happened at the partner: it is retried or resolved on the partner's host, and this list follows its outcome`,
      );
    if (err.status !== 'open') throw conflict('ERROR_NOT_OPEN', `Error ${id} is already resolved`);
    return err;
  }

  /** Replays the failed events of `rows` and sends their entities again; returns nothing, the rows tell. */
  async function retry(rows: SyncErrorRow[], by: string) {
    const replay = rows.filter((e) => e.direction === 'in' && e.connection_id && e.event_seq !== null);
    const resend = rows.filter(
      (e) => e.direction === 'out' && e.level === 'entity' && e.connection_id && e.entity_id,
    );
    const other = rows.filter((e) => !replay.includes(e) && !resend.includes(e));
    for (const e of other) if (e.connection_id) holds.retryNow(e.connection_id);
    await scheduler.exclusive(async () => {
      const gone: SyncErrorRow[] = [];
      await db.transaction().execute(async (tx) => {
        for (const e of replay) {
          await tx.updateTable('sync_errors').set({ retry_by: by }).where('id', '=', e.id).execute();
          if (!(await retryInbox(tx, e.connection_id!, e.event_seq!))) gone.push(e);
        }
        // A connection- or node-level cause is tried again at once; its own recovery, or failure, follows.
        for (const e of other) await closeError(tx, e.id, { by, how: 'retried' });
      });
      // A refused event was never stored: there is nothing to replay, so retrying it skips it.
      if (gone.length) await skip(gone, by);
      for (const [connectionId, ids] of groupBy(resend, (e) => e.entity_id!)) {
        const conn = await syncConnection(db, connectionId);
        const program = conn && (await programs.of(conn));
        if (conn && program)
          await processOutgoing(ctx, ids, {
            program,
            connection: connectionInfo(conn),
            mode: conn.mode,
            force: true,
            resolves: { by, how: 'retried' },
          });
      }
      for (const [connectionId, seqs] of groupBy(
        replay.filter((e) => !gone.includes(e)),
        (e) => e.event_seq!,
      ))
        await replayNow(connectionId, seqs);
    });
    scheduler.wake();
  }

  /** Applies a connection's inbox until the replayed events are settled (when it can apply now). */
  async function replayNow(connectionId: string, seqs: number[]) {
    const conn = await syncConnection(db, connectionId);
    if (conn?.state !== 'active' || holds.isHeld(conn.id)) return; // they apply when it can
    const program = await programs.of(conn);
    if (!program) return;
    try {
      while ((await stillPending(connectionId, seqs)) && (await apply(ctx, conn, program)) > 0);
    } catch (err) {
      // The step takes them up again (and holds the connection if this goes on).
      ctx.log.warn({ err, connectionId }, 'replaying retried events failed; the engine goes on with them');
    }
  }

  async function stillPending(connectionId: string, seqs: number[]): Promise<boolean> {
    const rows = await inChunks(seqs, (chunk) =>
      db
        .selectFrom('sync_inbox')
        .select('seq')
        .where('connection_id', '=', connectionId)
        .where('status', '=', 'pending')
        .where('seq', 'in', chunk)
        .execute(),
    );
    return rows.length > 0;
  }

  /** Skips the failed events of `rows` (the peer is told) and resolves them; call it inside `exclusive`. */
  async function skip(rows: SyncErrorRow[], by: string) {
    await db.transaction().execute(async (tx) => {
      for (const e of rows) {
        if (e.direction === 'in' && e.connection_id && e.event_seq !== null) {
          await tx
            .deleteFrom('sync_inbox')
            .where('connection_id', '=', e.connection_id)
            .where('seq', '=', e.event_seq)
            .execute();
        }
        if (e.connection_id && e.entity_id) {
          const twin = await twinByLocal(tx, e.connection_id, e.entity_id);
          if (twin?.status === 'error')
            await saveTwin(tx, e.connection_id, e.entity_id, {
              status: twin.remote_id ? 'synced' : 'pending',
            });
        }
        await closeError(tx, e.id, { by, how: 'skipped' });
      }
      for (const [connectionId, seqs] of groupBy(
        rows.filter((e) => e.direction === 'in' && e.event_seq !== null),
        (e) => e.event_seq!,
      ))
        await settleIncoming(tx, connectionId, seqs, 'skipped', `Skipped: resolved by ${by}`);
    });
  }

  async function bulk(filter: ErrorFilter, act: (rows: SyncErrorRow[]) => Promise<void>) {
    const matched = await openErrorsMatching(db, filter, BULK_LIMIT + 1);
    const more = matched.length > BULK_LIMIT;
    const rows = matched.slice(0, BULK_LIMIT);
    const ours = rows.filter((e) => e.side === 'here');
    if (ours.length) await act(ours);
    const after = await inChunks(
      ours.map((e) => e.id),
      (chunk) => db.selectFrom('sync_errors').select('status').where('id', 'in', chunk).execute(),
    );
    const resolved = after.filter((e) => e.status === 'resolved').length;
    return {
      matched: rows.length,
      resolved,
      open: ours.length - resolved,
      atPeer: rows.length - ours.length,
      more,
    };
  }

  return {
    async retryError(id, by) {
      await retry([await mustBeOpen(id)], by);
      return getError(db, id);
    },
    async resolveError(id, by) {
      const err = await mustBeOpen(id);
      await scheduler.exclusive(() => skip([err], by));
      scheduler.wake();
      return getError(db, id);
    },
    retryErrors: (filter, by) => bulk(filter, (rows) => retry(rows, by)),
    resolveErrors: (filter, by) =>
      bulk(filter, async (rows) => {
        await scheduler.exclusive(() => skip(rows, by));
        scheduler.wake();
      }),
  };
}

/** Values of `rows` grouped by their connection. */
function groupBy<T>(rows: SyncErrorRow[], value: (e: SyncErrorRow) => T): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const e of rows) {
    if (!e.connection_id) continue;
    out.set(e.connection_id, [...(out.get(e.connection_id) ?? []), value(e)]);
  }
  return out;
}
