// Routing a page of the change feed: which connections each change concerns, decided once for all of them.
import type { Change, Entity } from '../../trackers/tracker.ts';
import type { SyncContext } from '../context.ts';
import { flatten } from '../flat.ts';
import { loadEntities } from '../load-entities.ts';
import { activeTriggers, type TriggerRow, triggerMatches } from '../triggers.ts';
import { twinConnections } from '../twins.ts';

/** What one connection has to do for a page: nothing when it has no route. */
export interface Route {
  /** Entities changed here (not by the connection's own apply), twinned on it or matching one of its triggers, in feed order. */
  ids: string[];
  /** Entities deleted here (not by its own apply) that are twinned on it. */
  deleted: string[];
}

export interface Routed {
  /** Only the connections some change concerns. */
  routes: Map<string, Route>;
  /** The entities read for the routing, by id (absent: not found): the outgoing step takes them as they are. */
  entities: Map<string, Entity>;
}

/**
 * Routes a page of changes to the connections following it. The cost is a few reads and one trigger test per
 * entity and trigger, not a transaction per connection: with many connections most changes concern one or none,
 * and a connection without a route only moves its cursor (in memory, written with the idle ones).
 * The outgoing step tests scope again for the connections routed to, in its own reads; a trigger that throws
 * here routes the entity to its connection, whose outgoing step then throws and holds only that connection.
 * @example const { routes, entities } = await routeChanges(ctx, page.changes, origins, ['c1', 'c2']);
 */
export async function routeChanges(
  ctx: SyncContext,
  changes: readonly Change[],
  origins: ReadonlyArray<string | undefined>,
  connectionIds: readonly string[],
): Promise<Routed> {
  const { db, tracker } = ctx;
  const members = new Set(connectionIds);
  const twinned = await twinConnections(db, [...new Set(changes.map((c) => c.entityId))]);
  const byType = new Map<string, TriggerRow[]>();
  for (const t of await activeTriggers(db)) {
    if (!members.has(t.connection_id)) continue;
    byType.set(t.entity_type, [...(byType.get(t.entity_type) ?? []), t]);
  }
  const twinnedHere = (id: string) => [...(twinned.get(id) ?? [])].some((c) => members.has(c));
  // Without a trigger, only twinned entities can concern anyone: the others are not read at all.
  const toRead = [
    ...new Set(
      changes
        .filter((c) => c.op !== 'delete' && (byType.size > 0 || twinnedHere(c.entityId)))
        .map((c) => c.entityId),
    ),
  ];
  const entities = toRead.length ? await loadEntities(tracker, toRead) : new Map<string, Entity>();
  const matched = new Map<string, Set<string>>();
  for (const e of entities.values()) {
    const triggers = byType.get(e.type);
    if (!triggers) continue;
    const flat = flatten(e);
    const conns = new Set<string>();
    for (const t of triggers) {
      if (conns.has(t.connection_id)) continue;
      let hit: boolean;
      try {
        hit = triggerMatches(t, flat);
      } catch {
        hit = true; // the connection's own outgoing step meets the same failure, contained there
      }
      if (hit) conns.add(t.connection_id);
    }
    if (conns.size) matched.set(e.id, conns);
  }

  // Sets keep the order of first appearance: an entity's place is that of its first change in the page.
  const sets = new Map<string, { ids: Set<string>; deleted: Set<string> }>();
  for (const [i, c] of changes.entries()) {
    const del = c.op === 'delete';
    const concerned = [...(twinned.get(c.entityId) ?? []), ...(del ? [] : (matched.get(c.entityId) ?? []))];
    for (const id of concerned) {
      if (!members.has(id) || origins[i] === `connection:${id}`) continue;
      const route = sets.get(id) ?? { ids: new Set<string>(), deleted: new Set<string>() };
      sets.set(id, route);
      (del ? route.deleted : route.ids).add(c.entityId);
    }
  }
  const routes = new Map<string, Route>(
    [...sets].map(([id, r]) => [id, { ids: [...r.ids], deleted: [...r.deleted] }]),
  );
  return { routes, entities };
}
