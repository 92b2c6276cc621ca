// PostgreSQL for tests: which engine this run uses (TANDEM_TEST_DATABASE), and fresh databases on the
// local server (TANDEM_TEST_POSTGRES_URL), each dropped by whoever created it; leftovers go at the end of the run.
import pg from 'pg';

export type TestDialect = 'sqlite' | 'postgres';

/** The engine every test of this run stores on: `TANDEM_TEST_DATABASE=postgres` (npm run test:postgres), else SQLite. */
export const TEST_DIALECT: TestDialect =
  process.env.TANDEM_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

export const PG_URL = process.env.TANDEM_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Every database a test creates is named so, and the run's teardown drops those still there. */
export const TEST_DB_PREFIX = 'tandem_t_';

/**
 * This run's part of the names: set by the run's globalSetup (tests/support/postgres-teardown.ts) before the
 * workers start, so its teardown drops this run's leftovers and never those of another run on the server.
 */
export const RUN_ENV = 'TANDEM_TEST_PG_RUN';
const runId = (): string => process.env[RUN_ENV] ?? `p${process.pid}`;

export interface FreshPostgres {
  /** The new database's URL. */
  url: string;
  name: string;
  /** Ends every connection still open to it (a host killed with -9 leaves some), then drops it. */
  drop(): Promise<void>;
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates an empty database on the test server.
 * @example const fresh = await freshPostgres(); ...openDatabase(dir, { url: fresh.url }); await fresh.drop();
 */
export async function freshPostgres(): Promise<FreshPostgres> {
  const name = `${TEST_DB_PREFIX}${runId()}_${Math.random().toString(36).slice(2, 10)}`;
  await admin(async (c) => {
    await c.query(`create database ${name}`);
    // Tests need no durability across a crash of the server, and a commit that waits for no flush
    // keeps the shared server's disk out of every test's timing (this database only).
    await c.query(`alter database ${name} set synchronous_commit = off`);
  });
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await dropDatabase(name);
    },
  };
}

async function dropDatabase(name: string): Promise<void> {
  await admin(async (c) => {
    await c.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [name],
    );
    await c.query(`drop database if exists ${name}`);
  });
}

/** Drops the test databases of the given run (see RUN_ENV) that are still there; says which. */
export async function dropRunDatabases(run: string): Promise<string[]> {
  const rows = await admin(
    async (c) =>
      (
        await c.query<{ datname: string }>('select datname from pg_database where datname like $1', [
          `${TEST_DB_PREFIX}%`,
        ])
      ).rows,
  );
  const names = rows.map((r) => r.datname).filter((n) => n.startsWith(`${TEST_DB_PREFIX}${run}_`));
  for (const n of names) await dropDatabase(n);
  return names;
}
