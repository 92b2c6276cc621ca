// Reads a batch of entities in as few queries as the tracker allows.
import type { DbExecutor } from '../../storage/schema.ts';
import type { Entity, Tracker } from '../trackers/tracker.ts';

/** The entities of `ids` that exist, by id: one batch read when the tracker has one, else one by one. */
export async function loadEntities(
  tracker: Tracker,
  ids: readonly string[],
  tx?: DbExecutor,
): Promise<Map<string, Entity>> {
  if (tracker.getMany) return tracker.getMany(ids, tx);
  const out = new Map<string, Entity>();
  for (const id of ids) {
    const e = await tracker.get(id, tx);
    if (e) out.set(e.id, e);
  }
  return out;
}
