// A migrated database for tests of storage-level code on each dialect: a SQLite file in a temp dir, or a fresh
// PostgreSQL database on the local server (127.0.0.1:5432, user postgres), dropped at close.
import fs from 'node:fs';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { migrate, openDatabase } from '../../storage/database.ts';
import type { Database, Db } from '../../storage/schema.ts';
import { tempDir } from './host-process.ts';

export interface TestDatabase {
  db: Db;
  /** Deletes every row of every table (the migrations' bookkeeping excepted). */
  empty(): Promise<void>;
  close(): Promise<void>;
}

export const PG_URL = process.env.TANDEM_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function tablesOf(db: Db): Promise<string[]> {
  const tables = await db.introspection.getTables();
  return tables.map((t) => t.name).filter((n) => !n.startsWith('kysely_'));
}

async function openPostgres(): Promise<TestDatabase> {
  const name = `tandem_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url.toString(), max: 4 }) }),
  });
  await migrate(db);
  return {
    db,
    async empty() {
      for (const t of await tablesOf(db)) await sql`delete from ${sql.table(t)}`.execute(db);
    },
    async close() {
      await db.destroy();
      await admin.query(`drop database if exists ${name}`);
      await admin.end();
    },
  };
}

async function openSqlite(): Promise<TestDatabase> {
  const dir = tempDir('tandem-db-');
  const opened = await openDatabase(dir);
  const { db } = opened;
  return {
    db,
    async empty() {
      for (const t of await tablesOf(db)) await sql`delete from ${sql.table(t)}`.execute(db);
    },
    async close() {
      await opened.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * @example const { db, close } = await testDatabase('postgres'); ...; await close();
 */
export function testDatabase(dialect: 'sqlite' | 'postgres'): Promise<TestDatabase> {
  return dialect === 'postgres' ? openPostgres() : openSqlite();
}
