// One engine step: the change feed for every connection, then each active connection's inbox and outbox.
import { applyInbox } from '../apply.ts';
import { syncConnections } from '../connections-view.ts';
import type { SyncContext } from '../context.ts';
import { applyJournaled } from '../journal.ts';
import { streamsToSend } from '../streams.ts';
import type { Feed } from './feed.ts';
import type { Holds } from './holds.ts';
import type { Programs } from './programs.ts';

/**
 * Builds the step the scheduler runs; it resolves true when more work waits (a full feed batch, an inbox
 * that applied something). Held connections are skipped; deactivated ones follow the feed only (their
 * inbound waits in the inbox, outbound in the outbox).
 * @example const step = createStep({ ctx, feed, holds, programs, pump: (id) => delivery?.pump(id) });
 */
export function createStep(deps: {
  ctx: SyncContext;
  feed: Feed;
  holds: Holds;
  /** Whether this process runs the connection (its lease); the others are another process's to step. */
  runs(connectionId: string): boolean;
  programs: Programs;
  /** Sends what the connection's outbox holds (delivery, when there is a link). */
  pump(connectionId: string): void;
  /** Sends the outcomes of received events the peer has not acknowledged, up to `decided` (the last one). */
  pumpOutcomes(connectionId: string, decided: number): void;
}): () => Promise<boolean> {
  const { ctx, feed, holds, programs } = deps;
  const { db } = ctx;
  // A tracker that joins our transaction applies a batch in one; any other goes through the apply journal.
  const apply = ctx.tracker.transactional ? applyInbox : applyJournaled;
  return async function step() {
    const conns = (await syncConnections(db)).filter((c) => deps.runs(c.id) && !holds.isHeld(c.id));
    const programOf = programs.forStep();
    let more = await feed.follow(conns, programOf);
    // Two queries find the connections with work, so idle connections cost nothing per step.
    const withInbox = new Set(
      (
        await db
          .selectFrom('sync_inbox')
          .select('connection_id')
          .distinct()
          .where('status', '=', 'pending')
          .execute()
      ).map((r) => r.connection_id),
    );
    const streams = await streamsToSend(db);
    for (const conn of conns) {
      const stream = streams.get(conn.id);
      // Outcomes of events already received go back whatever the state (a retry or resolve decided them).
      if (stream && stream.outcome_seq > stream.outcome_acked) deps.pumpOutcomes(conn.id, stream.outcome_seq);
      if (conn.state !== 'active') continue;
      if (withInbox.has(conn.id) && !holds.isHeld(conn.id)) {
        await holds.contained(conn, async () => {
          const program = await programOf(conn);
          if (program && (await apply(ctx, conn, program)) > 0) more = true;
        });
      }
      if (stream && stream.out_seq > stream.out_acked) deps.pump(conn.id);
    }
    return more;
  };
}
