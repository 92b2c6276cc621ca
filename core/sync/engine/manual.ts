// What an admin starts by hand: manual and bulk sync runs, and unsync.
import { fenced } from '../../cluster/fence.ts';
import { conflict, notFound } from '../../errors.ts';
import type { RuleProgram } from '../../sandbox/sandbox.ts';
import type { Clock } from '../clock.ts';
import { connectionInfo, type SyncConnection, syncConnection } from '../connections-view.ts';
import type { SyncContext } from '../context.ts';
import { flatten } from '../flat.ts';
import { appendOutbox } from '../outbox.ts';
import { processOutgoing } from '../outgoing.ts';
import {
  cancelRun,
  failRun,
  finishIfDone,
  getRun,
  markQueued,
  nextRunChunk,
  type RunRow,
  startRun,
  unfinishedRuns,
} from '../runs.ts';
import { ensureStream } from '../streams.ts';
import { getTrigger, triggerMatches } from '../triggers.ts';
import { deleteTwin, twinByLocal } from '../twins.ts';
import type { Programs } from './programs.ts';
import type { Scheduler } from './scheduler.ts';

/** Entities a run queues per step (each chunk one transaction, beside no other engine work). */
export const RUN_CHUNK = 500;
/** The longest a run waits before trying a chunk that failed again. */
const RUN_RETRY_MAX_MS = 60_000;

/**
 * Runs go on in the background in chunks, each beside no other engine work; they return their id at once.
 * A run's state is in the database: a stop leaves it where it is, and `resume` takes it up on the next start.
 * @example const runId = await manual.syncEntities(connectionId, [entityId]);
 */
export interface ManualSync {
  /** Manual sync: the entities are synced by hand from now on, and sent now. */
  syncEntities(connectionId: string, ids: string[]): Promise<string>;
  /** Bulk sync: every entity the trigger matches now, whether the trigger is active or not. */
  bulkSync(triggerId: string): Promise<string>;
  /** Stops syncing the entities on the connection; the peer forgets its twins too. */
  unsync(connectionId: string, ids: string[]): Promise<number>;
  /** Stops queueing the rest of a running run; what it sent still gets its outcome (409 `run_not_running` else). */
  cancelRun(runId: string): Promise<RunRow>;
  /** Takes up the runs a stop left unfinished: queueing goes on, the others wait for their outcomes. */
  resume(): Promise<void>;
  /** Ends the waits of runs that will try a chunk again (call it once the scheduler is halted). */
  stop(): void;
}

export function createManualSync(deps: {
  ctx: SyncContext;
  programs: Programs;
  scheduler: Scheduler;
  /** Entities per chunk (RUN_CHUNK by default). */
  chunk?: number;
  clock: Clock;
  /** Whether this process runs the connection (its lease): a run of another process's connection is left to it. */
  runs?(connectionId: string): boolean;
}): ManualSync {
  const { ctx, programs, scheduler, clock } = deps;
  const { db, tracker, log } = ctx;
  const { exclusive, wake } = scheduler;
  const chunk = deps.chunk ?? RUN_CHUNK;
  const runs = deps.runs ?? (() => true);
  const working = new Set<string>();
  /** Runs waiting to try a failed chunk again: a stop ends their wait at once. */
  const waits = new Set<() => void>();

  function pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        waits.delete(end);
        resolve();
      };
      const cancel = clock.after(ms, done);
      const end = () => {
        cancel();
        done();
      };
      waits.add(end);
    });
  }

  async function mustConnection(id: string): Promise<SyncConnection> {
    const conn = await syncConnection(db, id);
    if (!conn) throw notFound('Connection', id);
    return conn;
  }

  /** One chunk of a run, or its end; true when nothing is left for the worker to queue. */
  async function queueChunk(runId: string, program: RuleProgram): Promise<boolean> {
    const run = await getRun(db, runId);
    if (run?.status !== 'running') return true; // cancelled (the cancel ended its queue)
    const conn = await syncConnection(db, run.connection_id);
    if (!conn) {
      await failRun(db, runId);
      return true;
    }
    const ids = await nextRunChunk(db, runId, chunk);
    if (ids.length === 0) {
      // Behind the fence: a process whose lease was taken leaves the run to the new holder.
      await fenced(db, conn.id, (tx) => markQueued(tx, runId));
      return true;
    }
    await ensureStream(db, conn.id, await tracker.head());
    await processOutgoing(ctx, ids, {
      program,
      connection: connectionInfo(conn),
      mode: conn.mode,
      force: true,
      manual: run.kind === 'manual',
      runId,
    });
    return false;
  }

  /** Queues a run's entities chunk by chunk in the background (once per run at a time). */
  function work(runId: string, conn: SyncConnection) {
    if (working.has(runId)) return;
    working.add(runId);
    const go = async () => {
      // A stop leaves the rest in the run's queue: the next start goes on from there.
      // A connection taken over by another process leaves its run there: that process's `adopt` goes on with it.
      for (let failures = 0; !scheduler.halted && runs(conn.id); ) {
        try {
          const program = await exclusive(() => programs.of(conn));
          if (!program) throw new Error("the connection's rules cannot be used now (an open error says why)");
          const done = await exclusive(() => queueChunk(runId, program));
          wake();
          if (done) return;
          failures = 0;
        } catch (err) {
          // A passing failure (rules being fixed, the rule runner restarting, a busy database) must not end
          // the run: it waits and tries the same chunk again; an admin who does not want that cancels it.
          const waitMs = Math.min(RUN_RETRY_MAX_MS, 500 * 2 ** Math.min(failures++, 10));
          log.warn({ err, runId, waitMs }, 'a sync run could not queue a chunk; trying again');
          await pause(waitMs);
        }
      }
    };
    void go()
      .catch(async (err: unknown) => {
        log.error({ err, runId }, 'sync run failed');
        await failRun(db, runId).catch(() => undefined);
      })
      .finally(() => working.delete(runId));
  }

  async function startSyncRun(
    conn: SyncConnection,
    ids: string[],
    kind: 'manual' | 'bulk',
    triggerId: string | null,
  ): Promise<string> {
    const runId = await startRun(db, conn.id, kind, triggerId, ids);
    work(runId, conn);
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

    cancelRun(runId) {
      // Queued at once beside the run's chunks: the chunk under way is sent, the next one is not.
      return exclusive(async () => {
        const run = await getRun(db, runId);
        if (!run) throw notFound('Run', runId);
        if (!(await cancelRun(db, runId)))
          throw conflict(
            'RUN_NOT_RUNNING',
            `Run ${runId} is ${run.status}: only a running run can be cancelled`,
          );
        return (await getRun(db, runId))!;
      });
    },

    stop() {
      for (const end of [...waits]) end();
    },

    async resume() {
      for (const run of await unfinishedRuns(db)) {
        if (run.status !== 'running' || run.queued_at !== null) {
          await finishIfDone(db, run.id);
          continue;
        }
        if (!runs(run.connection_id)) continue;
        const conn = await syncConnection(db, run.connection_id);
        if (conn) work(run.id, conn);
        else await failRun(db, run.id);
      }
    },
  };
}
