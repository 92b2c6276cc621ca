// Opens the host database: better-sqlite3 in the data directory, WAL, durable commits, migrated.
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { TandemError } from '../core/errors.ts';
import { migrationProvider } from './migrations/index.ts';
import type { Database, Db } from './schema.ts';
import { withStatementCache } from './statement-cache.ts';

export interface OpenedDatabase {
  db: Db;
  /** Dialect name, for the few places that must know (diagnostics only). */
  dialect: 'sqlite';
  close(): Promise<void>;
}

export async function openDatabase(dataDir: string): Promise<OpenedDatabase> {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, 'tandem.db');
  const sqlite = new SQLite(file);
  // WAL lets readers run beside the writer; synchronous=FULL makes each commit durable, and
  // the sync engine batches many events per transaction so the fsync cost is shared (group commit).
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // The sync engine's indexes are keyed by random ids, so each batch touches pages all over them: a
  // 64 MB page cache (default 2 MB) keeps them in memory instead of re-reading them for each event.
  sqlite.pragma('cache_size = -65536');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  await migrate(db);
  return {
    db,
    dialect: 'sqlite',
    close: async () => {
      await db.destroy();
    },
  };
}

export async function migrate(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new TandemError('MIGRATION_FAILED', 500, `Database migration ${failed} failed: ${String(error)}`);
  }
}

/** Runs `fn` in one transaction; every multi-row change goes through here. */
export function transaction<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute(fn);
}
