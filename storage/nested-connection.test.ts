// The nested-connection guard: a query on the root handle from inside a transaction fails with nested_connection
// (instead of waiting forever for the one connection the transaction holds) once the transaction has not ended
// within NESTED_WAIT_MS; work the transaction started and did not await waits for it; outside one it runs as ever.
import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../tests/support/test-database.ts';
import { transaction } from './database.ts';
import { NestedConnectionError } from './nested-connection.ts';
import type { Db } from './schema.ts';

let t: TestDatabase;

beforeEach(async () => {
  t = await testDatabase();
});

afterEach(async () => {
  await t.close();
});

const one = (db: Db) => sql<{ one: number }>`select 1 as one`.execute(db).then((r) => r.rows[0]?.one);

it('refuses a root query from inside a transaction with nested_connection, naming the query', async () => {
  const { db } = t;
  const err = await transaction(db, async (tx) => {
    await one(tx);
    return one(db).then(
      () => undefined,
      (e: unknown) => e,
    );
  });
  expect(err).toBeInstanceOf(NestedConnectionError);
  expect((err as NestedConnectionError).publicCode).toBe('nested_connection');
  expect((err as NestedConnectionError).message).toContain('select 1 as one');
  // A transaction started on the root handle inside another one is refused too (its `begin` is named).
  await expect(db.transaction().execute(() => db.transaction().execute(() => one(db)))).rejects.toMatchObject(
    {
      code: 'NESTED_CONNECTION',
    },
  );
});

it('lets the same query run once the transaction has ended, also from work the transaction started', async () => {
  const { db } = t;
  let committed!: () => void;
  const afterCommit = new Promise<void>((resolve) => {
    committed = resolve;
  });
  let later!: Promise<number | undefined>;
  await transaction(db, async (tx) => {
    // Inherits the transaction's async context, but runs once it has ended: not refused.
    later = afterCommit.then(() => one(db));
    return one(tx);
  });
  committed();
  expect(await later).toBe(1);
  expect(await one(db)).toBe(1);
});

it('lets work a transaction started and did not await wait for the commit, then run', async () => {
  const { db } = t;
  let background!: Promise<number | undefined>;
  const order: string[] = [];
  await transaction(db, async (tx) => {
    // A listener woken inside the callback: same async context, asks while the transaction still runs.
    background = new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
      one(db).then((v) => {
        order.push('background');
        return v;
      }),
    );
    await new Promise<void>((resolve) => setTimeout(resolve, 50));
    await one(tx);
    order.push('transaction');
  });
  expect(await background).toBe(1);
  expect(order).toEqual(['transaction', 'background']);
});

it('makes a root query from another async context wait for the transaction and then run', async () => {
  const { db } = t;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let started!: () => void;
  const inside = new Promise<void>((resolve) => {
    started = resolve;
  });
  const order: string[] = [];
  const tx = transaction(db, async (txDb) => {
    started();
    await gate;
    await one(txDb);
    order.push('transaction');
  });
  await inside;
  const outside = one(db).then((v) => {
    order.push('outside');
    return v;
  });
  // The outside query waits for the connection: nothing has finished while the transaction is held open.
  await new Promise<void>((resolve) => setImmediate(resolve));
  expect(order).toEqual([]);
  open();
  await tx;
  expect(await outside).toBe(1);
  expect(order).toEqual(['transaction', 'outside']);
});
