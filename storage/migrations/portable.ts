// Column types that differ between SQLite and PostgreSQL, for migrations that must run on both.
import { type ColumnDataType, type Kysely, PostgresAdapter } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations work on an untyped database
export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** An auto-incrementing integer key: `integer primary key autoincrement` on SQLite, `bigserial` on PostgreSQL. */
// biome-ignore lint/suspicious/noExplicitAny: see above
export function serialType(db: Kysely<any>): ColumnDataType {
  return isPostgres(db) ? 'bigserial' : 'integer';
}

/** Raw bytes: `blob` on SQLite, `bytea` on PostgreSQL. */
// biome-ignore lint/suspicious/noExplicitAny: see above
export function binaryType(db: Kysely<any>): ColumnDataType {
  return isPostgres(db) ? 'bytea' : 'blob';
}
