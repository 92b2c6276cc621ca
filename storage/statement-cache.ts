// Reuses prepared SQLite statements: kysely's driver prepares every query afresh, and preparing
// costs more than running most of the small, repeated queries the sync engine makes.
import type { Database as SqliteConnection } from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import { profiled } from './sql-profile.ts';

/**
 * Wraps a better-sqlite3 connection for kysely's `SqliteDialect` with an LRU cache of statements
 * keyed by SQL text. Safe because kysely runs one query at a time on the connection and we never
 * stream (a statement still iterating could not be reused).
 * @example new SqliteDialect({ database: withStatementCache(new SQLite(file)) })
 */
export function withStatementCache(connection: SqliteConnection, max = 512): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => connection.close(),
    prepare(sql) {
      const hit = cache.get(sql);
      if (hit) {
        // Map order is insertion order: re-inserting marks it as the most recently used.
        cache.delete(sql);
        cache.set(sql, hit);
        return hit;
      }
      const statement = profiled(sql, connection.prepare(sql));
      cache.set(sql, statement);
      if (cache.size > max) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      return statement;
    },
  };
}
