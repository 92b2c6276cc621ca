// Per-minute activity history of each connection (events, queues, lag, link), read by the dashboard.
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not see app types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('activity_minutes')
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('minute', 'text', (c) => c.notNull())
    .addColumn('sampled_at', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('link_up', 'integer')
    .addColumn('out_seq', 'integer', (c) => c.notNull())
    .addColumn('out_acked', 'integer', (c) => c.notNull())
    .addColumn('in_high', 'integer', (c) => c.notNull())
    .addColumn('events_queued', 'integer', (c) => c.notNull())
    .addColumn('events_out', 'integer', (c) => c.notNull())
    .addColumn('events_in', 'integer', (c) => c.notNull())
    .addColumn('queued_out', 'integer', (c) => c.notNull())
    .addColumn('queued_in', 'integer', (c) => c.notNull())
    .addColumn('oldest_out_at', 'text')
    .addColumn('oldest_in_at', 'text')
    .addColumn('open_errors', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('activity_minutes_pk', ['connection_id', 'minute'])
    .execute();
  // Pruning and the dashboard read by time across connections.
  await db.schema.createIndex('activity_minutes_minute').on('activity_minutes').column('minute').execute();
  await db.schema
    .createTable('activity_sweeps')
    .addColumn('minute', 'text', (c) => c.primaryKey())
    .addColumn('sampled_at', 'text', (c) => c.notNull())
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('activity_sweeps').execute();
  await db.schema.dropTable('activity_minutes').execute();
}
