// Following the change feed: each connection's cursor moves over local changes, queueing replicas of those in scope.
import { inChunks } from '../../../storage/chunks.ts';
import type { RuleProgram } from '../../sandbox/sandbox.ts';
import type { Clock } from '../clock.ts';
import { connectionInfo, type SyncConnection } from '../connections-view.ts';
import type { SyncContext } from '../context.ts';
import { processOutgoing } from '../outgoing.ts';
import { ensureStream, feedHead, type Stream, streamsById } from '../streams.ts';
import type { Holds } from './holds.ts';

const FEED_BATCH = 500;
const IDLE_CURSOR_SAVE_MS = 1000;

/**
 * The outgoing half of a step. Cursors moved past changes a connection had nothing to send for are
 * written at most once a second: on a receiving host every applied change is such a change, and writing
 * the cursor each step cost a commit each. A cursor lost in a crash only replays changes that send nothing.
 * @example const more = await feed.follow(conns, programs.forStep()); await feed.saveIdleCursors(true);
 */
export interface Feed {
  /** Moves every connection's feed cursor forward, queueing replicas; true when more changes wait. */
  follow(
    conns: SyncConnection[],
    programOf: (conn: SyncConnection) => Promise<RuleProgram | undefined>,
  ): Promise<boolean>;
  /** Where the connection has read the feed up to: its stored cursor, or the later one not yet written. */
  cursor(connectionId: string, stream: Stream): number;
  /** Writes the idle cursors if none were written in the last second (`force`: now). */
  saveIdleCursors(force?: boolean): Promise<void>;
  /** Drops what is held for a deleted connection. */
  forget(connectionId: string): void;
}

export function createFeed(deps: { ctx: SyncContext; clock: Clock; holds: Holds }): Feed {
  const { ctx, clock, holds } = deps;
  const { db, tracker } = ctx;
  const idleCursors = new Map<string, number>();
  let idleCursorsSavedAt = clock.now();

  async function saveIdleCursors(force = false) {
    if (idleCursors.size === 0 || (!force && clock.now() - idleCursorsSavedAt < IDLE_CURSOR_SAVE_MS)) return;
    const byCursor = new Map<number, string[]>();
    for (const [id, cursor] of idleCursors) byCursor.set(cursor, [...(byCursor.get(cursor) ?? []), id]);
    idleCursors.clear();
    idleCursorsSavedAt = clock.now();
    await db.transaction().execute(async (tx) => {
      for (const [cursor, ids] of byCursor)
        await inChunks(ids, (chunk) =>
          tx
            .updateTable('sync_streams')
            .set({ feed_cursor: cursor })
            .where('connection_id', 'in', chunk)
            .where('feed_cursor', '<', cursor)
            .execute(),
        );
    });
  }

  const cursor = (id: string, stream: Stream) => Math.max(stream.feed_cursor, idleCursors.get(id) ?? 0);

  async function follow(
    conns: SyncConnection[],
    programOf: (conn: SyncConnection) => Promise<RuleProgram | undefined>,
  ) {
    if (conns.length === 0) return false;
    const head = await feedHead(db);
    const known = await streamsById(db);
    const cursors: number[] = [];
    for (const c of conns)
      cursors.push(cursor(c.id, known.get(c.id) ?? (await ensureStream(db, c.id, head))));
    const from = Math.min(...cursors);
    const changes = await tracker.changes(from, FEED_BATCH);
    if (changes.length === 0) return false;
    const last = changes.at(-1)!.seq;
    for (const [i, conn] of conns.entries()) {
      const at = cursors[i]!;
      if (at >= last) continue;
      const ids = [
        ...new Set(
          changes
            .filter((c) => c.seq > at && c.op !== 'delete' && c.origin !== `connection:${conn.id}`)
            .map((c) => c.entityId),
        ),
      ];
      if (ids.length === 0) {
        idleCursors.set(conn.id, last);
        continue;
      }
      await holds.contained(conn, async () => {
        const program = await programOf(conn);
        if (!program) return; // held until the rules work again (an open error says why)
        idleCursors.delete(conn.id); // the outgoing transaction writes the cursor with its events
        await processOutgoing(ctx, ids, {
          program,
          connection: connectionInfo(conn),
          mode: conn.mode,
          cursorTo: last,
        });
      });
    }
    await saveIdleCursors();
    return changes.length === FEED_BATCH;
  }

  return {
    follow,
    cursor,
    saveIdleCursors,
    forget(id) {
      idleCursors.delete(id);
    },
  };
}
