// Two processes on one PostgreSQL database creating the first entity of a type at the same moment: both get a key.
import fs from 'node:fs';
import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openDatabase } from '../../../storage/database.ts';
import type { Db } from '../../../storage/schema.ts';
import { tempDir, waitFor } from '../../../tests/support/host-process.ts';
import { type FreshPostgres, freshPostgres } from '../../../tests/support/test-postgres.ts';
import { createBuiltinTracker } from './builtin-tracker.ts';

let fresh: FreshPostgres;
let dir: string;
const opened: Array<{ db: Db; close(): Promise<void> }> = [];

beforeEach(async () => {
  fresh = await freshPostgres();
  dir = tempDir('tandem-keys-');
});

afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
  await fresh.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function processDb(): Promise<Db> {
  const o = await openDatabase(dir, { url: fresh.url, poolSize: 2 });
  opened.push(o);
  return o.db;
}

it('gives distinct keys when two processes add the first counter of a type at once', async () => {
  const db1 = await processDb();
  const db2 = await processDb();
  const t1 = createBuiltinTracker(db1);
  const t2 = createBuiltinTracker(db2);
  let release!: () => void;
  const held = new Promise<void>((r) => {
    release = r;
  });
  let added!: () => void;
  const inTransaction = new Promise<void>((r) => {
    added = r;
  });
  // Process 1 adds the counter and keeps its transaction open; process 2's first create meets it meanwhile
  // (started only once process 1 has added it: started together, process 2 may add it first and never wait).
  const first = db1.transaction().execute(async (tx) => {
    const e = await t1
      .transactional!.withTx(tx)
      .create({ type: 'incident', fields: { summary: 'one' } }, { origin: 'local' });
    added();
    await held;
    return e;
  });
  await inTransaction;
  const second = t2.create({ type: 'incident', fields: { summary: 'two' } }, { origin: 'local' });
  // Process 2 waits on process 1's row lock before process 1 commits.
  await waitFor(async () => {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock'`.execute(db1);
    return rows[0]!.n > 0;
  });
  release();
  const [a, b] = await Promise.all([first, second]);
  expect(a.key).not.toBe(b.key);
  const third = await t2.create({ type: 'incident', fields: { summary: 'three' } }, { origin: 'local' });
  expect(new Set([a.key, b.key, third.key]).size).toBe(3);
});
