// A migrated database for tests of storage-level code, on the run's engine (TANDEM_TEST_DATABASE): a SQLite
// file in a temp dir, or a fresh PostgreSQL database on the test server, dropped at close.
import fs from 'node:fs';
import { sql } from 'kysely';
import { type OpenedDatabase, openDatabase } from '../../storage/database.ts';
import type { Db } from '../../storage/schema.ts';
import { tempDir } from './host-process.ts';
import { freshPostgres, TEST_DIALECT, type TestDialect } from './test-postgres.ts';

export { PG_URL, TEST_DIALECT } from './test-postgres.ts';

export interface TestDatabase {
  db: Db;
  dialect: TestDialect;
  /** Deletes every row of every table (the migrations' bookkeeping excepted). */
  empty(): Promise<void>;
  close(): Promise<void>;
}

async function tablesOf(db: Db): Promise<string[]> {
  const tables = await db.introspection.getTables();
  return tables.map((t) => t.name).filter((n) => !n.startsWith('kysely_'));
}

/**
 * @example const { db, close } = await testDatabase(); ...; await close();
 */
export async function testDatabase(dialect: TestDialect = TEST_DIALECT): Promise<TestDatabase> {
  const dir = tempDir('tandem-db-');
  const fresh = dialect === 'postgres' ? await freshPostgres() : undefined;
  let opened: OpenedDatabase;
  try {
    opened = await openDatabase(dir, { url: fresh?.url });
  } catch (err) {
    await fresh?.drop();
    throw err;
  }
  const { db } = opened;
  return {
    db,
    dialect,
    async empty() {
      for (const t of await tablesOf(db)) await sql`delete from ${sql.table(t)}`.execute(db);
    },
    async close() {
      await opened.close();
      await fresh?.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
