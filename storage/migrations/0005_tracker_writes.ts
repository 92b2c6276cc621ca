// Trackers we do not own: the feed cursor becomes opaque text; the built-in tracker's idempotency keys.
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not see app types
export async function up(db: Kysely<any>): Promise<void> {
  // A column cannot change type on SQLite: a new one takes the old values as text, then the name.
  // Null means the connection has not followed the feed yet (it starts at the tracker's head).
  await db.schema.alterTable('sync_streams').addColumn('feed_cursor_text', 'text').execute();
  await db
    .updateTable('sync_streams')
    .set((eb) => ({ feed_cursor_text: eb.cast('feed_cursor', 'text') }))
    .execute();
  await db.schema.alterTable('sync_streams').dropColumn('feed_cursor').execute();
  await db.schema.alterTable('sync_streams').renameColumn('feed_cursor_text', 'feed_cursor').execute();

  await db.schema
    .createTable('builtin_write_keys')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('entity_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('builtin_correlations')
    .addColumn('correlation_id', 'text', (c) => c.primaryKey())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('builtin_correlations').execute();
  await db.schema.dropTable('builtin_write_keys').execute();
  await db.schema.alterTable('sync_streams').addColumn('feed_cursor_int', 'integer').execute();
  await db
    .updateTable('sync_streams')
    .set((eb) => ({ feed_cursor_int: eb.fn.coalesce(eb.cast('feed_cursor', 'integer'), eb.lit(0)) }))
    .execute();
  await db.schema.alterTable('sync_streams').dropColumn('feed_cursor').execute();
  await db.schema.alterTable('sync_streams').renameColumn('feed_cursor_int', 'feed_cursor').execute();
}
