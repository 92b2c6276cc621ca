// Waiting for the engine to have nothing left to do: what tests await instead of sleeping.
import type { Db } from '../../../storage/schema.ts';
import type { LinkHub } from '../../link/link-hub.ts';
import type { Tracker } from '../../trackers/tracker.ts';
import type { Clock } from '../clock.ts';
import { syncConnections } from '../connections-view.ts';
import { nextInboxBatch } from '../inbox.ts';
import { streamsById } from '../streams.ts';
import type { Feed } from './feed.ts';
import type { Holds } from './holds.ts';
import type { Programs } from './programs.ts';
import type { Scheduler } from './scheduler.ts';

/** How often `settled` looks again while work goes on (it waits for the running step first). */
const LOOK_AGAIN_MS = 5;

/**
 * Builds `settled()`: it resolves once no step runs or is due, no frame is being sent or committed, and for
 * every active connection that is not held and whose rules work: the change feed is read to its head, no
 * inbox event waits to be applied (events held behind an error do not count) and, when its link is up,
 * every outbox event is acknowledged with the ack written, and every outcome told to the peer acknowledged. It resolves at once after a stop. It does not
 * wait for the peer: two engines settle together with `Promise.all([a.settled(), b.settled()])`.
 * @example await tracker.update(id, patch); await engine.settled(); expect(await outbox()).toEqual([]);
 */
export function createSettled(deps: {
  db: Db;
  tracker: Tracker;
  clock: Clock;
  scheduler: Scheduler;
  feed: Feed;
  holds: Holds;
  programs: Programs;
  link(): LinkHub | undefined;
  /** Whether delivery sends or commits something now. */
  deliveryBusy(): boolean;
  /** The highest outcome sequence the peer acknowledged on the link, when known. */
  outcomesAcknowledged(connectionId: string): number | undefined;
}): () => Promise<void> {
  const { db, scheduler, feed, holds, programs } = deps;

  const idle = () => scheduler.quiet && !deps.deliveryBusy();

  async function caughtUp(): Promise<boolean> {
    const streams = await streamsById(db);
    const link = deps.link();
    // Cursors are opaque: read to the head means the feed has nothing after them.
    const drained = new Map<string, boolean>();
    const readToHead = async (at: string) => {
      const known = drained.get(at);
      if (known !== undefined) return known;
      const done = (await deps.tracker.changes(at, 1)).changes.length === 0;
      drained.set(at, done);
      return done;
    };
    for (const conn of await syncConnections(db)) {
      if (conn.state !== 'active' || holds.isHeld(conn.id) || programs.unusable(conn.id)) continue;
      const stream = streams.get(conn.id);
      const at = stream ? feed.cursor(conn.id, stream) : null;
      if (!stream || at === null || !(await readToHead(at))) return false;
      if ((await nextInboxBatch(db, conn.id, 1)).length > 0) return false;
      if (link?.isUp(conn.id) && stream.out_acked < stream.out_seq) return false;
      // Outcome acks are written seldom (they only spare resends): the one the link holds counts.
      const told = Math.max(stream.outcome_acked, deps.outcomesAcknowledged(conn.id) ?? 0);
      if (link?.isUp(conn.id) && told < stream.outcome_seq) return false;
    }
    return true;
  }

  return async function settled() {
    for (;;) {
      if (scheduler.halted) return;
      await scheduler.drain();
      if (idle() && (await caughtUp()) && idle()) return;
      await new Promise<void>((resolve) => deps.clock.after(LOOK_AGAIN_MS, resolve));
    }
  };
}
