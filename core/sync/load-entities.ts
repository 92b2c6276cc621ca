// Reads a batch of entities, inside the caller's transaction when the tracker can join it.
import type { DbExecutor } from '../../storage/schema.ts';
import type { Entity, Tracker } from '../trackers/tracker.ts';

/** The tracker as seen from `tx`: its joined view when it has one, else the tracker itself. */
export function trackerIn(tracker: Tracker, tx: DbExecutor | undefined): Tracker {
  return tx && tracker.transactional ? tracker.transactional.withTx(tx) : tracker;
}

/** The entities of `ids` that exist, by id (one batch read). */
export function loadEntities(
  tracker: Tracker,
  ids: readonly string[],
  tx?: DbExecutor,
): Promise<Map<string, Entity>> {
  return trackerIn(tracker, tx).getMany(ids);
}
