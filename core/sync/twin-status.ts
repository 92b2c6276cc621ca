// A twin's status as both sides' outcomes tell it: an open error here or at the peer, events still without an outcome, or synced.
import { inChunks } from '../../storage/chunks.ts';
import type { DbExecutor } from '../../storage/schema.ts';

/**
 * `error_here`: an open error of ours on the entity (its events wait); `error_at_peer`: the partner failed
 * one of our events on it and has not retried or resolved it; `pending`: an event either way has no outcome
 * yet (or the partner has not told its id); `synced`: everything each side sent is applied; `unlinked`: it
 * was synced on the connection and is no longer (no twin).
 */
export type TwinStatus = 'synced' | 'pending' | 'error_here' | 'error_at_peer' | 'unlinked';

/** What the status of one twin is built from. */
export interface TwinRef {
  localId: string;
  remoteId: string | null;
}

/**
 * The status of each twin of a connection, by local id, in three reads however many twins: open entity
 * errors of either side, our events without an outcome, and the peer's events waiting in our inbox.
 * @example const status = await twinStatuses(db, connectionId, [{ localId: e.id, remoteId: twin.remote_id }]);
 */
export async function twinStatuses(
  db: DbExecutor,
  connectionId: string,
  twins: TwinRef[],
): Promise<Map<string, TwinStatus>> {
  const localIds = twins.map((t) => t.localId);
  const remoteIds = twins.flatMap((t) => (t.remoteId ? [t.remoteId] : []));
  const errors = await inChunks(localIds, (chunk) =>
    db
      .selectFrom('sync_errors')
      .select(['entity_id', 'side'])
      .distinct()
      .where('connection_id', '=', connectionId)
      .where('status', '=', 'open')
      .where('level', '=', 'entity')
      .where('entity_id', 'in', chunk)
      .execute(),
  );
  const sent = await inChunks(localIds, (chunk) =>
    db
      .selectFrom('sync_event_log')
      .select('entity_id')
      .distinct()
      .where('entity_id', 'in', chunk)
      .where('connection_id', '=', connectionId)
      .where('direction', '=', 'out')
      .where('outcome', '=', 'pending')
      .execute(),
  );
  const received = await inChunks(remoteIds, (chunk) =>
    db
      .selectFrom('sync_inbox')
      .select('remote_id')
      .distinct()
      .where('connection_id', '=', connectionId)
      // `waiting`: for an item it links to (core/sync/content/references.ts); pending all the same.
      .where('status', 'in', ['pending', 'waiting'])
      .where('remote_id', 'in', chunk)
      .execute(),
  );
  const here = new Set(errors.filter((e) => e.side === 'here').map((e) => e.entity_id));
  const atPeer = new Set(errors.filter((e) => e.side === 'peer').map((e) => e.entity_id));
  const waitingOut = new Set(sent.map((r) => r.entity_id));
  const waitingIn = new Set(received.map((r) => r.remote_id));
  return new Map(
    twins.map((t): [string, TwinStatus] => {
      if (here.has(t.localId)) return [t.localId, 'error_here'];
      if (atPeer.has(t.localId)) return [t.localId, 'error_at_peer'];
      const waiting =
        !t.remoteId || waitingOut.has(t.localId) || (t.remoteId !== null && waitingIn.has(t.remoteId));
      return [t.localId, waiting ? 'pending' : 'synced'];
    }),
  );
}
