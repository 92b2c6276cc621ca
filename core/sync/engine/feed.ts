// Following the change feed: each connection's cursor moves over local changes, queueing replicas of those in scope.
import { inChunks } from '../../../storage/chunks.ts';
import { fenced, fenceMany, LeaseLost } from '../../cluster/fence.ts';
import type { RuleProgram } from '../../sandbox/sandbox.ts';
import type { Clock } from '../clock.ts';
import { connectionInfo, type SyncConnection } from '../connections-view.ts';
import { queueDeletions } from '../content/deletions.ts';
import type { SyncContext } from '../context.ts';
import { connectionsMidApply, originsOf } from '../journal.ts';
import { processOutgoing } from '../outgoing.ts';
import { ensureStream, type Stream, streamsOf, updateStream } from '../streams.ts';
import type { Holds } from './holds.ts';
import { routeChanges } from './route.ts';

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
  /** Where the connection has read the feed up to: the later one not yet written, or its stored cursor. */
  cursor(connectionId: string, stream: Stream): string | null;
  /** Writes the idle cursors if none were written in the last second (`force`: now). */
  saveIdleCursors(force?: boolean): Promise<void>;
  /** Drops what is held for a deleted connection. */
  forget(connectionId: string): void;
}

export function createFeed(deps: { ctx: SyncContext; clock: Clock; holds: Holds }): Feed {
  const { ctx, clock, holds } = deps;
  const { db, tracker } = ctx;
  // Set only after reading from a connection's cursor and deleted when its outgoing transaction writes
  // one, so an idle cursor is never behind the stored one (cursors are opaque: they cannot be compared).
  const idleCursors = new Map<string, string>();
  let idleCursorsSavedAt = clock.now();

  async function saveIdleCursors(force = false) {
    if (idleCursors.size === 0 || (!force && clock.now() - idleCursorsSavedAt < IDLE_CURSOR_SAVE_MS)) return;
    const byCursor = new Map<string, string[]>();
    for (const [id, cursor] of idleCursors) byCursor.set(cursor, [...(byCursor.get(cursor) ?? []), id]);
    idleCursors.clear();
    idleCursorsSavedAt = clock.now();
    await db.transaction().execute(async (tx) => {
      for (const [cursor, all] of byCursor) {
        // Only the connections still held here: one taken over meanwhile has its cursor moved by its new holder.
        const ids = await fenceMany(tx, all);
        await inChunks(ids, (chunk) =>
          tx
            .updateTable('sync_streams')
            .set({ feed_cursor: cursor })
            .where('connection_id', 'in', chunk)
            .execute(),
        );
      }
    });
  }

  const cursor = (id: string, stream: Stream) => idleCursors.get(id) ?? stream.feed_cursor;

  /** The connections grouped by where they read the feed (usually one group): one read per group. */
  async function groups(conns: SyncConnection[]): Promise<Map<string, SyncConnection[]>> {
    // A connection with an idle cursor reads from it (never behind its stored one): only the others' streams are read.
    const known = await streamsOf(
      db,
      conns.filter((c) => !idleCursors.has(c.id)).map((c) => c.id),
    );
    let head: string | undefined;
    const headNow = async () => {
      head ??= await tracker.head();
      return head;
    };
    const out = new Map<string, SyncConnection[]>();
    for (const c of conns) {
      let at =
        idleCursors.get(c.id) ??
        (known.get(c.id) ?? (await ensureStream(db, c.id, await headNow()))).feed_cursor;
      if (at === null) {
        // Created before the feed ran (a frame came first): it starts here, at the tracker's head.
        at = await headNow();
        const head = at;
        const set = await fenced(db, c.id, (tx) => updateStream(tx, c.id, { feed_cursor: head })).then(
          () => true,
          (err: unknown) => {
            if (err instanceof LeaseLost) return false; // taken over: its new holder follows it
            throw err;
          },
        );
        if (!set) continue;
      }
      const group = out.get(at);
      if (group) group.push(c);
      else out.set(at, [c]);
    }
    return out;
  }

  async function follow(
    conns: SyncConnection[],
    programOf: (conn: SyncConnection) => Promise<RuleProgram | undefined>,
  ) {
    // On a tracker that cannot join our transaction, a connection with an event between its external
    // write and its journal's done row waits: the feed could not yet tell that write's change as ours.
    const midApply = tracker.transactional ? undefined : await connectionsMidApply(db);
    const following = midApply?.size ? conns.filter((c) => !midApply.has(c.id)) : conns;
    if (following.length === 0) return false;
    let more = false;
    for (const [at, members] of await groups(following)) {
      const page = await tracker.changes(at, FEED_BATCH);
      more ||= page.more;
      // Changes without an origin are ours when the apply journal made that version.
      const origins = tracker.transactional
        ? page.changes.map((c) => c.origin)
        : await originsOf(db, page.changes);
      if (page.changes.length === 0) {
        if (page.cursor !== at) for (const conn of members) idleCursors.set(conn.id, page.cursor);
        continue;
      }
      // Which connections each change concerns, decided once for the page: the others only move their cursor.
      const { routes, entities } = await routeChanges(
        ctx,
        page.changes,
        origins,
        members.map((c) => c.id),
      );
      for (const conn of members) {
        const route = routes.get(conn.id);
        if (!route) {
          idleCursors.set(conn.id, page.cursor);
          continue;
        }
        const { ids, deleted } = route;
        if (ids.length === 0) {
          // The cursor moves once the deletions are queued: a held connection reads them again (a replay sends nothing twice).
          await holds.contained(conn, async () => {
            await queueDeletions(ctx, conn.id, deleted);
            idleCursors.set(conn.id, page.cursor);
          });
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
            cursorTo: page.cursor,
            entities,
          });
          await queueDeletions(ctx, conn.id, deleted);
        });
      }
    }
    await saveIdleCursors();
    return more;
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
