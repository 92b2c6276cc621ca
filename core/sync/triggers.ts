// Triggers: per connection, which entities are in scope (an entity type and a filter query), active or not.
import type { Selectable } from 'kysely';
import { nanoid } from 'nanoid';
import type { DbExecutor } from '../../storage/schema.ts';
import type { SyncTriggerTable } from '../../storage/sync-tables.ts';
import { matches, parseQuery, type QueryNode } from './trigger-query.ts';

export type TriggerRow = Selectable<SyncTriggerTable>;

export interface TriggerInput {
  entityType: string;
  query: string;
  active: boolean;
}

export async function createTrigger(
  db: DbExecutor,
  connectionId: string,
  input: TriggerInput,
): Promise<TriggerRow> {
  parseQuery(input.query);
  const now = new Date().toISOString();
  const row: TriggerRow = {
    id: nanoid(),
    connection_id: connectionId,
    entity_type: input.entityType,
    query: input.query,
    active: input.active ? 1 : 0,
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('sync_triggers').values(row).execute();
  return row;
}

export async function getTrigger(db: DbExecutor, id: string): Promise<TriggerRow | undefined> {
  return db.selectFrom('sync_triggers').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function updateTrigger(db: DbExecutor, id: string, patch: Partial<TriggerInput>): Promise<void> {
  if (patch.query !== undefined) parseQuery(patch.query);
  await db
    .updateTable('sync_triggers')
    .set({
      ...(patch.entityType !== undefined ? { entity_type: patch.entityType } : {}),
      ...(patch.query !== undefined ? { query: patch.query } : {}),
      ...(patch.active !== undefined ? { active: patch.active ? 1 : 0 } : {}),
      updated_at: new Date().toISOString(),
    })
    .where('id', '=', id)
    .execute();
}

export async function deleteTrigger(db: DbExecutor, id: string): Promise<void> {
  await db.deleteFrom('sync_triggers').where('id', '=', id).execute();
}

export async function listTriggers(
  db: DbExecutor,
  connectionId: string,
  activeOnly = false,
): Promise<TriggerRow[]> {
  let q = db.selectFrom('sync_triggers').selectAll().where('connection_id', '=', connectionId);
  if (activeOnly) q = q.where('active', '=', 1);
  return q.orderBy('created_at').execute();
}

/** Every active trigger of every connection (one read for a step of the change feed). */
export async function activeTriggers(db: DbExecutor): Promise<TriggerRow[]> {
  return db.selectFrom('sync_triggers').selectAll().where('active', '=', 1).orderBy('created_at').execute();
}

export function triggerJson(t: TriggerRow) {
  return {
    id: t.id,
    connectionId: t.connection_id,
    entityType: t.entity_type,
    query: t.query,
    active: t.active === 1,
    createdAt: t.created_at,
    updatedAt: t.updated_at,
  };
}

const parsed = new Map<string, QueryNode>();

/** True when the trigger's type and query match the flattened entity (queries parsed once and cached). */
export function triggerMatches(t: TriggerRow, flat: Record<string, unknown>): boolean {
  if (t.entity_type !== flat.type) return false;
  let node = parsed.get(t.query);
  if (!node) {
    node = parseQuery(t.query);
    if (parsed.size > 1000) parsed.clear();
    parsed.set(t.query, node);
  }
  return matches(node, flat);
}
