// What an admin starts by hand: manual and bulk sync runs, and unsync.
import { notFound } from '../../errors.ts';
import { connectionInfo, type SyncConnection, syncConnection } from '../connections-view.ts';
import type { SyncContext } from '../context.ts';
import { flatten } from '../flat.ts';
import { appendOutbox } from '../outbox.ts';
import { processOutgoing } from '../outgoing.ts';
import { addRunItems, finishRun, startRun } from '../runs.ts';
import { ensureStream } from '../streams.ts';
import { getTrigger, triggerMatches } from '../triggers.ts';
import { deleteTwin, twinByLocal } from '../twins.ts';
import type { Programs } from './programs.ts';
import type { Scheduler } from './scheduler.ts';

const RUN_CHUNK = 500;

/**
 * Runs go on in the background in chunks, each beside no other engine work; they return their id at once.
 * @example const runId = await manual.syncEntities(connectionId, [entityId]);
 */
export interface ManualSync {
  /** Manual sync: the entities are synced by hand from now on, and sent now. */
  syncEntities(connectionId: string, ids: string[]): Promise<string>;
  /** Bulk sync: every entity the trigger matches now. */
  bulkSync(triggerId: string): Promise<string>;
  /** Stops syncing the entities on the connection; the peer forgets its twins too. */
  unsync(connectionId: string, ids: string[]): Promise<number>;
}

export function createManualSync(deps: {
  ctx: SyncContext;
  programs: Programs;
  scheduler: Scheduler;
}): ManualSync {
  const { ctx, programs, scheduler } = deps;
  const { db, tracker, log } = ctx;
  const { exclusive, wake } = scheduler;

  async function mustConnection(id: string): Promise<SyncConnection> {
    const conn = await syncConnection(db, id);
    if (!conn) throw notFound('Connection', id);
    return conn;
  }

  /** Starts a run over `ids` in the background and returns its id at once. */
  async function startSyncRun(
    conn: SyncConnection,
    ids: string[],
    kind: 'manual' | 'bulk',
    triggerId: string | null,
  ): Promise<string> {
    const runId = await startRun(db, conn.id, kind, triggerId);
    const work = async () => {
      const program = await exclusive(() => programs.of(conn));
      if (!program) {
        const items = ids.map((id) => ({
          entityId: id,
          entityKey: null,
          action: 'error' as const,
          message: 'the rules cannot run',
        }));
        await db.transaction().execute((tx) => addRunItems(tx, runId, items));
        return finishRun(db, runId, 'failed');
      }
      for (let i = 0; i < ids.length && !scheduler.halted; i += RUN_CHUNK) {
        await exclusive(async () => {
          await ensureStream(db, conn.id, await tracker.head());
          await processOutgoing(ctx, ids.slice(i, i + RUN_CHUNK), {
            program,
            connection: connectionInfo(conn),
            mode: conn.mode,
            force: true,
            manual: kind === 'manual',
            runId,
          });
        });
        wake();
      }
      await finishRun(db, runId, scheduler.halted ? 'failed' : 'finished');
    };
    void work().catch(async (err: unknown) => {
      log.error({ err, runId }, 'sync run failed');
      await finishRun(db, runId, 'failed').catch(() => undefined);
    });
    return runId;
  }

  return {
    async syncEntities(connectionId, ids) {
      return startSyncRun(await mustConnection(connectionId), [...new Set(ids)], 'manual', null);
    },

    async bulkSync(triggerId) {
      const trigger = await getTrigger(db, triggerId);
      if (!trigger) throw notFound('Trigger', triggerId);
      const conn = await mustConnection(trigger.connection_id);
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await tracker.list({
          type: trigger.entity_type as never,
          limit: 200,
          ...(cursor ? { cursor } : {}),
        });
        for (const e of page.items) if (triggerMatches(trigger, flatten(e))) ids.push(e.id);
        cursor = page.nextCursor;
      } while (cursor);
      return startSyncRun(conn, ids.reverse(), 'bulk', trigger.id);
    },

    async unsync(connectionId, ids) {
      const conn = await mustConnection(connectionId);
      return exclusive(() =>
        db.transaction().execute(async (tx) => {
          await ensureStream(tx, conn.id, null);
          let n = 0;
          for (const id of new Set(ids)) {
            const twin = await twinByLocal(tx, conn.id, id);
            if (!twin) continue;
            await deleteTwin(tx, conn.id, id);
            if (twin.local_replica !== null || twin.remote_id !== null)
              await appendOutbox(tx, conn.id, [{ kind: 'unlink', entityId: id, twinId: twin.remote_id }]);
            n++;
          }
          wake();
          return n;
        }),
      );
    },
  };
}
