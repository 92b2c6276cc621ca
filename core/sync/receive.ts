// Receiving a frame: its events applied in the transaction that records them, unless something holds them back.
import type { RuleProgram } from '../sandbox/sandbox.ts';
import { ApplyFailure, type PreparedBatch, prepareBatch, writeBatch } from './apply.ts';
import type { SyncConnection } from './connections-view.ts';
import type { SyncContext } from './context.ts';
import type { SyncEvent } from './events.ts';
import {
  type CommitResult,
  commitInbox,
  type FrameSplit,
  heldInInbox,
  type InboxEntry,
  type InboxRowInput,
  logWaiting,
  splitFrame,
  storeInbox,
} from './inbox.ts';
import { ensureStream, getStream, updateStream } from './streams.ts';

/** The connection a frame arrived on, when it can apply now (active, rules usable). */
export interface ReceiveTarget {
  conn: SyncConnection;
  program: RuleProgram;
}

/** The stream moved between reading it and writing: another writer took the frame's place. */
class StreamMoved extends Error {}

/**
 * Stores and applies a frame's events in one transaction: one commit where the inbox and the apply step
 * took one each, and no inbox row written only to be deleted. An event waits in the inbox as before when
 * an earlier event of its entity is there (or earlier in this frame), when its entity moved on while its
 * rule ran, or when its rule failed (held as an error). The whole frame goes to the inbox when the
 * connection cannot apply now (no `target`: deactivated, rules broken) or an event breaks the write (the
 * apply step then parks that event).
 * Callers run one receive at a time per host, beside no other apply step.
 */
export async function receiveEvents(
  ctx: SyncContext,
  connectionId: string,
  events: Array<{ seq: number; event: SyncEvent }>,
  target: ReceiveTarget | undefined,
): Promise<CommitResult> {
  const { db } = ctx;
  // A tracker that cannot join the transaction applies through the journal, from the inbox.
  if (!target || !ctx.tracker.transactional) return commitInbox(db, connectionId, events);
  const stream = await ensureStream(db, connectionId, null);
  const split = splitFrame(stream.in_high, events);
  if (split.accepted.length === 0) return commitResult(split);
  const held = await heldInInbox(
    db,
    connectionId,
    split.accepted.map((e) => e.event.entityId),
  );
  const now: InboxEntry[] = [];
  const wait: InboxRowInput[] = [];
  for (const e of split.accepted) {
    const remoteId = e.event.entityId;
    if (held.has(remoteId)) {
      wait.push(e);
      continue;
    }
    held.add(remoteId); // a later event of this entity in the frame sees this one's result: it waits
    now.push({ seq: e.seq, remoteId, event: e.event });
  }
  let batch: PreparedBatch;
  try {
    batch = await prepareBatch(ctx, target.conn, target.program, now);
  } catch (err) {
    // The rules could not run now (the runner is restarting): the apply step takes them later.
    ctx.log.warn({ err, connectionId }, 'received events stored to apply later');
    return commitInbox(db, connectionId, events);
  }
  try {
    await db.transaction().execute(async (tx) => {
      if ((await getStream(tx, connectionId))?.in_high !== stream.in_high) throw new StreamMoved();
      const outcome = await writeBatch(ctx, tx, target.conn, batch);
      const bySeq = new Map(now.map((e) => [e.seq, e.event]));
      const waiting = [...wait, ...outcome.again.map(({ seq, event }) => ({ seq, event }))];
      await storeInbox(tx, connectionId, [
        ...waiting,
        ...outcome.failed.map((f) => ({ seq: f.seq, event: bySeq.get(f.seq)!, errorId: f.errorId })),
      ]);
      await logWaiting(tx, connectionId, waiting);
      await updateStream(tx, connectionId, { in_high: split.high });
    });
  } catch (err) {
    if (!(err instanceof ApplyFailure || err instanceof StreamMoved)) throw err;
    // Rolled back: the inbox takes the frame as before, and the apply step runs (and parks) its events.
    return commitInbox(db, connectionId, events);
  }
  return commitResult(split);
}

function commitResult(split: FrameSplit): CommitResult {
  return {
    high: split.high,
    accepted: split.accepted.length,
    duplicates: split.duplicates,
    gap: split.gap,
  };
}
