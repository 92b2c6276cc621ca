// Sync engine: per-connection stream state, outbox, inbox, twins, comment links, triggers, errors, runs.
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not see app types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sync_streams')
    .addColumn('connection_id', 'text', (c) => c.primaryKey())
    .addColumn('feed_cursor', 'integer', (c) => c.notNull())
    .addColumn('out_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('out_acked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('in_high', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('sync_outbox')
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('bytes', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_outbox_pk', ['connection_id', 'seq'])
    .execute();

  await db.schema
    .createTable('sync_inbox')
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('remote_id', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error_id', 'text')
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_inbox_pk', ['connection_id', 'seq'])
    .execute();
  await db.schema
    .createIndex('sync_inbox_remote')
    .on('sync_inbox')
    .columns(['connection_id', 'remote_id', 'seq'])
    .execute();

  await db.schema
    .createTable('sync_twins')
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('local_id', 'text', (c) => c.notNull())
    .addColumn('remote_id', 'text')
    .addColumn('remote_key', 'text')
    .addColumn('manual', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('local_replica', 'text')
    .addColumn('sent_clocks', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('remote_replica', 'text')
    .addColumn('field_clocks', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('snapshot', 'text')
    .addColumn('last_synced_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_twins_pk', ['connection_id', 'local_id'])
    .execute();
  await db.schema
    .createIndex('sync_twins_remote')
    .on('sync_twins')
    .columns(['connection_id', 'remote_id'])
    .execute();
  await db.schema.createIndex('sync_twins_local').on('sync_twins').column('local_id').execute();

  await db.schema
    .createTable('sync_comment_links')
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('remote_comment_id', 'text', (c) => c.notNull())
    .addColumn('local_comment_id', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_comment_links_pk', ['connection_id', 'remote_comment_id'])
    .execute();
  await db.schema
    .createIndex('sync_comment_links_local')
    .on('sync_comment_links')
    .columns(['connection_id', 'local_comment_id'])
    .execute();

  await db.schema
    .createTable('sync_triggers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('entity_type', 'text', (c) => c.notNull())
    .addColumn('query', 'text', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sync_triggers_conn').on('sync_triggers').column('connection_id').execute();

  await db.schema
    .createTable('sync_errors')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('connection_id', 'text')
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('direction', 'text')
    .addColumn('entity_id', 'text')
    .addColumn('remote_id', 'text')
    .addColumn('event_seq', 'integer')
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('script', 'text')
    .addColumn('script_line', 'integer')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('resolved_at', 'text')
    .execute();
  await db.schema
    .createIndex('sync_errors_conn')
    .on('sync_errors')
    .columns(['connection_id', 'status', 'occurred_at'])
    .execute();

  await db.schema
    .createTable('sync_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('trigger_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('processed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('skipped', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('errors', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('warnings', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema
    .createIndex('sync_runs_conn')
    .on('sync_runs')
    .columns(['connection_id', 'started_at'])
    .execute();

  await db.schema
    .createTable('sync_run_items')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('n', 'integer', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('entity_key', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('message', 'text')
    .addPrimaryKeyConstraint('sync_run_items_pk', ['run_id', 'n'])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    'sync_run_items',
    'sync_runs',
    'sync_errors',
    'sync_triggers',
    'sync_comment_links',
    'sync_twins',
    'sync_inbox',
    'sync_outbox',
    'sync_streams',
  ]) {
    await db.schema.dropTable(t).execute();
  }
}
