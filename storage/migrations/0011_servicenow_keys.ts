// The type of each twin's local entity (the engine follows only the types in use) and the ServiceNow connector's update keys.
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not see app types
export async function up(db: Kysely<any>): Promise<void> {
  // Null for twins made before: they count as needing every type the tracker offers until written again.
  await db.schema.alterTable('sync_twins').addColumn('entity_type', 'text').execute();
  // The engine asks, per type, since when twins of it exist: a few index look-ups, not a scan of every twin.
  await db.schema
    .createIndex('sync_twins_type')
    .on('sync_twins')
    .columns(['entity_type', 'created_at'])
    .execute();
  await db.schema
    .createTable('servicenow_write_keys')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('sys_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('servicenow_write_keys_created')
    .on('servicenow_write_keys')
    .column('created_at')
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('servicenow_write_keys').execute();
  await db.schema.dropIndex('sync_twins_type').execute();
  await db.schema.alterTable('sync_twins').dropColumn('entity_type').execute();
}
