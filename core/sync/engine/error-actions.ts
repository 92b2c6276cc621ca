// What an admin does with an open sync error: retry it (replay or send again) or resolve it (skip it).
import { conflict, notFound } from '../../errors.ts';
import { connectionInfo, syncConnection } from '../connections-view.ts';
import type { SyncContext } from '../context.ts';
import { retryInbox } from '../inbox.ts';
import { processOutgoing } from '../outgoing.ts';
import { closeError, getError, type SyncErrorRow } from '../sync-errors.ts';
import { saveTwin, twinByLocal } from '../twins.ts';
import type { Holds } from './holds.ts';
import type { Programs } from './programs.ts';
import type { Scheduler } from './scheduler.ts';

/**
 * Both close the error and wake the engine; both refuse an error that is not open (`ERROR_NOT_OPEN`).
 * @example const err = await actions.retryError(errorId); // the error row as it stands after
 */
export interface ErrorActions {
  /** Replays from the failed event (incoming) or runs the outgoing rule again (outgoing); a held connection is tried now. */
  retryError(id: string): Promise<SyncErrorRow | undefined>;
  /** Skips the failed event: later events of that entity flow again. */
  resolveError(id: string): Promise<SyncErrorRow | undefined>;
}

export function createErrorActions(deps: {
  ctx: SyncContext;
  programs: Programs;
  holds: Holds;
  scheduler: Scheduler;
}): ErrorActions {
  const { ctx, programs, holds, scheduler } = deps;
  const { db } = ctx;

  async function mustBeOpen(id: string) {
    const err = await getError(db, id);
    if (!err) throw notFound('Error', id);
    if (err.status !== 'open') throw conflict('ERROR_NOT_OPEN', `Error ${id} is already resolved`);
    return err;
  }

  return {
    async retryError(id) {
      const err = await mustBeOpen(id);
      if (err.level === 'connection' && err.connection_id) holds.retryNow(err.connection_id);
      await scheduler.exclusive(async () => {
        await db.transaction().execute(async (tx) => {
          if (err.direction === 'in' && err.connection_id && err.event_seq !== null)
            await retryInbox(tx, err.connection_id, err.event_seq);
          await closeError(tx, id);
        });
        if (err.direction === 'out' && err.connection_id && err.entity_id) {
          const conn = await syncConnection(db, err.connection_id);
          const program = conn && (await programs.of(conn));
          if (conn && program)
            await processOutgoing(ctx, [err.entity_id], {
              program,
              connection: connectionInfo(conn),
              mode: conn.mode,
              force: true,
            });
        }
      });
      scheduler.wake();
      return getError(db, id);
    },

    async resolveError(id) {
      const err = await mustBeOpen(id);
      await scheduler.exclusive(() =>
        db.transaction().execute(async (tx) => {
          if (err.direction === 'in' && err.connection_id && err.event_seq !== null) {
            await tx
              .deleteFrom('sync_inbox')
              .where('connection_id', '=', err.connection_id)
              .where('seq', '=', err.event_seq)
              .execute();
          }
          if (err.connection_id && err.entity_id) {
            const twin = await twinByLocal(tx, err.connection_id, err.entity_id);
            if (twin?.status === 'error')
              await saveTwin(tx, err.connection_id, err.entity_id, {
                status: twin.remote_id ? 'synced' : 'pending',
              });
          }
          await closeError(tx, id);
        }),
      );
      scheduler.wake();
      return getError(db, id);
    },
  };
}
