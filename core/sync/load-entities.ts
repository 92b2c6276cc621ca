// Reads a batch of entities in as few queries as the tracker allows.
import type { Entity, Tracker } from '../trackers/tracker.ts';

/** The entities of `ids` that exist, by id: one batch read when the tracker has one, else one by one. */
export async function loadEntities(tracker: Tracker, ids: readonly string[]): Promise<Map<string, Entity>> {
  if (tracker.getMany) return tracker.getMany(ids);
  const out = new Map<string, Entity>();
  for (const id of ids) {
    const e = await tracker.get(id);
    if (e) out.set(e.id, e);
  }
  return out;
}
