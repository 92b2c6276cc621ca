// Which entity types the engine needs from the change feed: those of active triggers and of twinned entities.
import type { Db } from '../../../storage/schema.ts';
import type { Logger } from '../../log.ts';
import { ENTITY_TYPES, type EntityType, type FollowedType, type Tracker } from '../../trackers/tracker.ts';
import type { Clock } from '../clock.ts';
import { FOLLOWING_STATES } from '../connections-view.ts';

/** How often the types are looked at again without a reason (a twin of a new type is found this late at most). */
export const FOLLOW_REFRESH_MS = 5000;

const isType = (t: string | null): t is EntityType =>
  (ENTITY_TYPES as readonly (string | null)[]).includes(t);
const later = (a: string, b: string) => (a > b ? a : b);

/**
 * The types in use on connections that follow the feed, each since the earliest time its need began: an active
 * trigger since it was last changed or its connection changed state (whichever is later), a twin since it was
 * made. A twin of unknown type (made before its type was recorded) needs every type the tracker offers.
 * A few queries on small tables or indexes (`sync_twins_type`).
 * @example tracker.follow?.(await followedTypes(db, tracker.entityTypes));
 */
export async function followedTypes(db: Db, offered: readonly EntityType[]): Promise<FollowedType[]> {
  const since = new Map<EntityType, string>();
  const need = (type: EntityType, at: string) => {
    const before = since.get(type);
    if (before === undefined || at < before) since.set(type, at);
  };
  const triggers = await db
    .selectFrom('sync_triggers as t')
    .innerJoin('connections as c', 'c.id', 't.connection_id')
    .select(['t.entity_type', 't.updated_at', 'c.state_changed_at'])
    .where('t.active', '=', 1)
    .where('c.state', 'in', FOLLOWING_STATES as never[])
    .execute();
  for (const t of triggers)
    if (isType(t.entity_type)) need(t.entity_type, later(t.updated_at, t.state_changed_at));
  // Twins exist only on connections that follow the feed (a connection that was active stays in one of
  // those states until deleted, and its twins go with it). One index look-up per type.
  for (const type of [...offered, null]) {
    const first = await db
      .selectFrom('sync_twins')
      .select((eb) => eb.fn.min('created_at').as('since'))
      .where('entity_type', type === null ? 'is' : '=', type)
      .executeTakeFirst();
    if (!first?.since) continue;
    if (type === null)
      for (const t of offered) need(t, first.since); // made before types were recorded
    else need(type, first.since);
  }
  return [...since]
    .filter(([type]) => offered.includes(type))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, at]) => ({ type, since: at }));
}

/**
 * Keeps a tracker that can follow only some types (`Tracker.follow`) told which: `refresh()` runs before each
 * engine step and looks again when `changed()` was called (a trigger or connection changed) or every
 * FOLLOW_REFRESH_MS. A twin of a new type is not lost while unseen: its type is followed from the twin's making.
 * Trackers without `follow` cost nothing here.
 * @example const followed = createFollowedTypes({ db, tracker, clock, log }); await followed.refresh();
 */
export function createFollowedTypes(deps: { db: Db; tracker: Tracker; clock: Clock; log: Logger }) {
  const { db, tracker, clock, log } = deps;
  let dirty = true;
  let lookedAt = Number.NEGATIVE_INFINITY;
  let told: string | undefined;
  return {
    changed() {
      dirty = true;
    },
    async refresh(): Promise<void> {
      if (!tracker.follow || (!dirty && clock.now() - lookedAt < FOLLOW_REFRESH_MS)) return;
      dirty = false;
      lookedAt = clock.now();
      const types = await followedTypes(db, tracker.entityTypes);
      const said = JSON.stringify(types);
      if (said === told) return;
      told = said;
      log.info({ followed: types.map((t) => t.type) }, 'following the entity types in use');
      tracker.follow(types);
    },
  };
}

export type FollowedTypes = ReturnType<typeof createFollowedTypes>;
