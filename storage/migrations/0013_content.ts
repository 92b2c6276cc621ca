// Content: attachments of the built-in tracker, blobs kept in the database, and what sync needs for
// attachments, deletions and references (links between remote and local attachments, wanted blobs,
// twins deleted at the partner, events waiting for a referenced item).
import type { Kysely } from 'kysely';
import { binaryType } from './portable.ts';

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not see app types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('attachments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('internal', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('attachments_entity').on('attachments').column('entity_id').execute();
  await db.schema.createIndex('attachments_sha').on('attachments').column('sha256').execute();

  // The database blob store: a blob's bytes in numbered chunks; `key` is the SHA-256 once complete,
  // else a staging key while it is written.
  await db.schema
    .createTable('blobs')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('complete', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('blob_chunks')
    .addColumn('key', 'text', (c) => c.notNull())
    // The chunk's first byte's offset in the blob (chunks differ in size: a resumed transfer appends pieces).
    .addColumn('n', 'bigint', (c) => c.notNull())
    .addColumn('data', binaryType(db), (c) => c.notNull())
    .addPrimaryKeyConstraint('blob_chunks_pk', ['key', 'n'])
    .execute();

  await db.schema
    .createTable('sync_attachment_links')
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('remote_attachment_id', 'text', (c) => c.notNull())
    .addColumn('local_attachment_id', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_attachment_links_pk', ['connection_id', 'remote_attachment_id'])
    .execute();
  await db.schema
    .createIndex('sync_attachment_links_local')
    .on('sync_attachment_links')
    .columns(['connection_id', 'local_attachment_id'])
    .execute();

  await db.schema
    .createTable('sync_attachment_wants')
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('remote_attachment_id', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('internal', 'integer', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_at', 'text', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_attachment_wants_pk', ['connection_id', 'remote_attachment_id'])
    .execute();

  // Blobs this side sent the metadata of, per connection: the only ones the partner may fetch.
  await db.schema
    .createTable('sync_blob_offers')
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('attachment_id', 'text', (c) => c.notNull())
    .addColumn('offered_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_blob_offers_pk', ['connection_id', 'sha256'])
    .execute();

  await db.schema
    .createTable('sync_partner_deletions')
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('local_id', 'text', (c) => c.notNull())
    .addColumn('remote_id', 'text', (c) => c.notNull())
    .addColumn('remote_key', 'text')
    .addColumn('deleted_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_partner_deletions_pk', ['connection_id', 'local_id'])
    .execute();

  await db.schema
    .createTable('sync_reference_waits')
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('missing_id', 'text', (c) => c.notNull())
    .addColumn('since', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_reference_waits_pk', ['connection_id', 'seq', 'missing_id'])
    .execute();
  await db.schema
    .createIndex('sync_reference_waits_missing')
    .on('sync_reference_waits')
    .columns(['connection_id', 'missing_id'])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above
export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    'sync_reference_waits',
    'sync_partner_deletions',
    'sync_blob_offers',
    'sync_attachment_wants',
    'sync_attachment_links',
    'blob_chunks',
    'blobs',
    'attachments',
  ])
    await db.schema.dropTable(t).execute();
}
