// Several host processes on one database: who is alive (heartbeats) and which process runs each connection
// (leases with a fencing token that only grows). Times are milliseconds since the epoch, from the database's clock.
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not see app types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('node_processes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull())
    // A process relaying a peer's link to the holder proves with this key that it is part of the node.
    .addColumn('relay_key', 'text', (c) => c.notNull())
    // The connections whose link is up in this process (a JSON array), so every process shows link status.
    .addColumn('links_up', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('connection_leases')
    .addColumn('connection_id', 'text', (c) => c.primaryKey())
    .addColumn('process_id', 'text')
    // Taken over leases keep their row, so the token grows across holders and a stale holder's token never matches.
    .addColumn('token', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('connection_leases_process')
    .on('connection_leases')
    .column('process_id')
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('connection_leases').execute();
  await db.schema.dropTable('node_processes').execute();
}
