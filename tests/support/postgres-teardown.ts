// vitest globalSetup of `npm run test:postgres`: checks the server answers before any test, and at the end of
// the run drops the test databases the run's workers left behind (a test that crashed before its cleanup).
import pg from 'pg';
import { dropTestDatabases, PG_URL, TEST_DB_PREFIX } from './test-postgres.ts';

let before = new Set<string>();

async function existing(): Promise<Set<string>> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      'select datname from pg_database where datname like $1',
      [`${TEST_DB_PREFIX}%`],
    );
    return new Set(rows.map((r) => r.datname));
  } finally {
    await client.end();
  }
}

export async function setup(): Promise<void> {
  // Another run's databases (a concurrent run on the same server) are not ours to drop.
  before = await existing();
}

export async function teardown(): Promise<void> {
  const left = [...(await existing())].filter((n) => !before.has(n));
  const pids = [...new Set(left.map((n) => Number(n.slice(TEST_DB_PREFIX.length).split('_')[0])))];
  const dropped = await dropTestDatabases(pids);
  if (dropped.length) process.stderr.write(`dropped ${dropped.length} test database(s) left behind\n`);
}
