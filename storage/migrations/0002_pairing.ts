// Pairing: connections (both roles, pinned peer key, lifecycle state) and revoked links.
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not see app types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('connections')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('link_id', 'text', (c) => c.notNull().unique())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('outbound', 'text')
    .addColumn('inbound', 'text')
    .addColumn('local_name', 'text', (c) => c.notNull())
    .addColumn('remote_name', 'text', (c) => c.notNull())
    .addColumn('peer_node_id', 'text')
    .addColumn('peer_url', 'text')
    .addColumn('peer_name', 'text')
    .addColumn('peer_public_jwk', 'text')
    .addColumn('dials', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('invitation_id', 'text', (c) => c.notNull().unique())
    .addColumn('invitation_expires_at', 'text', (c) => c.notNull())
    .addColumn('invitation_used_at', 'text')
    .addColumn('onboarding_message', 'text')
    .addColumn('onboarding_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('clock_skew_ms', 'integer')
    .addColumn('peer_protocol', 'integer')
    .addColumn('state_changed_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('connections_created')
    .on('connections')
    .columns(['created_at', 'id'])
    .execute();

  await db.schema
    .createTable('link_revocations')
    .addColumn('link_id', 'text', (c) => c.primaryKey())
    .addColumn('invitation_id', 'text')
    .addColumn('peer_node_id', 'text')
    .addColumn('revoked_at', 'text', (c) => c.notNull())
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('link_revocations').execute();
  await db.schema.dropTable('connections').execute();
}
