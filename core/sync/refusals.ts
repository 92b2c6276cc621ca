// The partner refused events of this side's stream: each is recorded here too, on the entity when its outbox row names one.
import type { Db } from '../../storage/schema.ts';
import { jsonDepthProblem } from '../json-bounds.ts';
import { MAX_FRAME_DEPTH, shortPath } from '../link/refusals.ts';
import type { OutboxEntry } from './outbox.ts';
import { recordError } from './sync-errors.ts';
import { saveTwin, twinByLocal } from './twins.ts';

/**
 * Records the partner's refusal of event `seq`: an entity-level `out` error for the entity its outbox
 * row names, with its twin held in error; connection-level when the row is gone (acknowledged since).
 * @example await recordRefused(db, 'c1', 7, 'The partner refused event 7: the replica is nested ...');
 */
export async function recordRefused(
  db: Db,
  connectionId: string,
  seq: number,
  message: string,
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const row = await tx
      .selectFrom('sync_outbox')
      .select('entity_id')
      .where('connection_id', '=', connectionId)
      .where('seq', '=', seq)
      .executeTakeFirst();
    if (!row) {
      await recordError(tx, { level: 'connection', connectionId, direction: 'out', eventSeq: seq, message });
      return;
    }
    const entityId = row.entity_id;
    await recordError(tx, {
      level: 'entity',
      connectionId,
      direction: 'out',
      entityId,
      eventSeq: seq,
      message,
    });
    if (await twinByLocal(tx, connectionId, entityId))
      await saveTwin(tx, connectionId, entityId, { status: 'error' });
  });
}

/** The queued events a `sync.events` frame cannot carry past the link's depth bound (an event sits 3 levels down). */
export function tooDeepForLink(entries: OutboxEntry[]): Array<{ seq: number; path: string }> {
  return entries.flatMap((e) => {
    const deep = jsonDepthProblem(e.event, MAX_FRAME_DEPTH - 3, 'event');
    return deep ? [{ seq: e.seq, path: shortPath(deep.path) }] : [];
  });
}
