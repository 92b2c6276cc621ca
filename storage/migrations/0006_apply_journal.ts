// The apply journal: exactly once in effect on a tracker that cannot join our transaction.
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not see app types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sync_apply_journal')
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('remote_id', 'text', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('done_at', 'text')
    .addPrimaryKeyConstraint('sync_apply_journal_pk', ['connection_id', 'seq'])
    .execute();
  await db.schema
    .createTable('sync_apply_versions')
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_apply_versions_pk', ['entity_id', 'version'])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sync_apply_versions').execute();
  await db.schema.dropTable('sync_apply_journal').execute();
}
