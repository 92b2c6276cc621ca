// Outcomes seen from both sides: every event's outcome (logged each way), the peer's errors, runs that wait for outcomes.
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not see app types
export async function up(db: Kysely<any>): Promise<void> {
  // One row per event each way: what it was, and what became of it at the receiving side.
  await db.schema
    .createTable('sync_event_log')
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text')
    .addColumn('entity_key', 'text')
    .addColumn('remote_id', 'text')
    .addColumn('remote_key', 'text')
    .addColumn('run_id', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('action', 'text')
    .addColumn('error_id', 'text')
    .addColumn('message', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('outcome_at', 'text')
    .addColumn('outcome_seq', 'integer')
    .addPrimaryKeyConstraint('sync_event_log_pk', ['connection_id', 'direction', 'seq'])
    .execute();
  await db.schema
    .createIndex('sync_event_log_entity')
    .on('sync_event_log')
    .columns(['entity_id', 'created_at'])
    .execute();
  await db.schema.createIndex('sync_event_log_run').on('sync_event_log').column('run_id').execute();
  await db.schema
    .createIndex('sync_event_log_report')
    .on('sync_event_log')
    .columns(['connection_id', 'direction', 'outcome_seq'])
    .execute();

  await db.schema
    .alterTable('sync_errors')
    .addColumn('side', 'text', (c) => c.notNull().defaultTo('here'))
    .execute();
  await db.schema
    .alterTable('sync_errors')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  for (const column of ['resolved_by', 'resolution', 'entity_key', 'remote_key', 'peer_error_id', 'retry_by'])
    await db.schema.alterTable('sync_errors').addColumn(column, 'text').execute();
  await db.schema
    .createIndex('sync_errors_event')
    .on('sync_errors')
    .columns(['connection_id', 'event_seq'])
    .execute();
  await db.schema.createIndex('sync_errors_entity').on('sync_errors').column('entity_id').execute();

  await db.schema
    .alterTable('sync_runs')
    .addColumn('total', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('sync_runs')
    .addColumn('pending', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('sync_runs').addColumn('queued_at', 'text').execute();
  await db.schema.createIndex('sync_runs_started').on('sync_runs').column('started_at').execute();
  // The entities a run has still to queue: it goes on from here after a restart.
  await db.schema
    .createTable('sync_run_queue')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('n', 'integer', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_run_queue_pk', ['run_id', 'n'])
    .execute();

  for (const column of ['outcome_seq', 'outcome_acked', 'outcome_high'])
    await db.schema
      .alterTable('sync_streams')
      .addColumn(column, 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const column of ['outcome_seq', 'outcome_acked', 'outcome_high'])
    await db.schema.alterTable('sync_streams').dropColumn(column).execute();
  await db.schema.dropTable('sync_run_queue').execute();
  await db.schema.dropIndex('sync_runs_started').execute();
  for (const column of ['total', 'pending', 'queued_at'])
    await db.schema.alterTable('sync_runs').dropColumn(column).execute();
  await db.schema.dropIndex('sync_errors_entity').execute();
  await db.schema.dropIndex('sync_errors_event').execute();
  for (const column of [
    'side',
    'attempts',
    'resolved_by',
    'resolution',
    'entity_key',
    'remote_key',
    'peer_error_id',
    'retry_by',
  ])
    await db.schema.alterTable('sync_errors').dropColumn(column).execute();
  await db.schema.dropTable('sync_event_log').execute();
}
