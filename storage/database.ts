// Opens the host database, migrated: better-sqlite3 in the data directory (WAL, durable commits) by
// default, or the PostgreSQL database a `postgres://` URL names.
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { SqliteDialect, sql } from 'kysely';
import {
  type Checkpointer,
  type CheckpointerOptions,
  type StorageLog,
  startCheckpointer,
} from './checkpointer.ts';
import { migrate } from './migrate.ts';
import { guardedKysely } from './nested-connection.ts';
import { openPostgres } from './postgres-database.ts';
import type { Db } from './schema.ts';
import { startSqlProfile } from './sql-profile.ts';
import { withStatementCache } from './statement-cache.ts';

export interface OpenedDatabase {
  db: Db;
  /** Dialect name, for the few places that must know (where blobs live, diagnostics). */
  dialect: 'sqlite' | 'postgres';
  /** Who checkpoints the WAL (diagnostics and tests); absent when the database has no WAL. */
  checkpointer?: Checkpointer;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** Where recovered trouble is reported (a checkpoint worker that died); the host passes its logger. */
  log?: StorageLog;
  /** Tuning of the checkpoint worker; tests make it quick. */
  checkpoints?: Omit<CheckpointerOptions, 'log'>;
  /** Writes the time spent per SQL statement to this directory at exit (storage.sqlProfileDir). */
  sqlProfileDir?: string | undefined;
  /** A `postgres://` or `postgresql://` URL (storage.databaseUrl); absent: the SQLite file in the data directory. */
  url?: string | undefined;
  /** Connections in the PostgreSQL pool (default 1: queries of one process run one after another, as on SQLite). */
  poolSize?: number | undefined;
}

export async function openDatabase(
  dataDir: string,
  options: OpenDatabaseOptions = {},
): Promise<OpenedDatabase> {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (options.url !== undefined) {
    const { db } = await openPostgres(options.url, { log: options.log, poolSize: options.poolSize });
    return { db, dialect: 'postgres', close: () => db.destroy() };
  }
  if (options.sqlProfileDir) startSqlProfile(options.sqlProfileDir);
  const file = path.join(dataDir, 'tandem.db');
  const sqlite = new SQLite(file);
  // WAL lets readers run beside the writer; synchronous=FULL makes each commit durable, and
  // the sync engine batches many events per transaction so the fsync cost is shared (group commit).
  const journal = sqlite.pragma('journal_mode = WAL', { simple: true });
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // The sync engine's indexes are keyed by random ids, so each batch touches pages all over them: a
  // 64 MB page cache (default 2 MB) keeps them in memory instead of re-reading them for each event.
  sqlite.pragma('cache_size = -65536');
  // A commit that crosses wal_autocheckpoint copies the WAL into the db file and fsyncs it inline,
  // stalling the whole host for tens of ms: a worker thread does it instead. A file system without
  // WAL support leaves the journal as it was, and then there is no WAL to checkpoint.
  const checkpointer =
    journal === 'wal'
      ? startCheckpointer(sqlite, file, {
          ...options.checkpoints,
          log: options.log,
          // Through kysely, so it waits for the transaction in progress on the connection.
          rewind: async () => {
            await sql`PRAGMA wal_checkpoint(PASSIVE)`.execute(db);
          },
        })
      : undefined;
  // One connection: a query on the root handle from inside a transaction fails at once (nested_connection).
  const db = guardedKysely(new SqliteDialect({ database: withStatementCache(sqlite) }));
  try {
    await migrate(db);
  } catch (err) {
    await checkpointer?.stop();
    await db.destroy();
    throw err;
  }
  return {
    db,
    dialect: 'sqlite',
    checkpointer,
    close: async () => {
      // The worker first, so the host connection is the last one: its close folds what is left of
      // the WAL into the db file and deletes it, with no checkpoint running beside it.
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}

export { migrate };

/** Runs `fn` in one transaction; every multi-row change goes through here. */
export function transaction<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute(fn);
}
