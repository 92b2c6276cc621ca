// The node's key pair in the database, for processes that share one (PostgreSQL); a SQLite host keeps its key file.
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not see app types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('node_identity')
    // Always 1: one node per database. The first process to start inserts, the others read its row.
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('node_id', 'text', (c) => c.notNull())
    // The private JWK, sealed with the secret key (every process of the node shares it).
    .addColumn('private_jwk', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('node_identity').execute();
}
