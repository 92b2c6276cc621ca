// Users changed from two processes at once: demoting and removing two different admins leaves one; two users
// given one email, one of them is refused.
import fs from 'node:fs';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../storage/database.ts';
import type { Db } from '../../storage/schema.ts';
import { tempDir, waitFor } from '../../tests/support/host-process.ts';
import { type FreshPostgres, freshPostgres } from '../../tests/support/test-postgres.ts';
import { createUserStore } from './user-store.ts';

describe('users changed from two processes at once (PostgreSQL)', () => {
  let fresh: FreshPostgres;
  let dir: string;
  const opened: Array<{ db: Db; close(): Promise<void> }> = [];

  beforeEach(async () => {
    fresh = await freshPostgres();
    dir = tempDir('tandem-admins-');
  });

  afterEach(async () => {
    for (const o of opened.splice(0)) await o.close();
    await fresh.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function processDb(): Promise<Db> {
    // One connection each, as a host process has.
    const o = await openDatabase(dir, { url: fresh.url });
    opened.push(o);
    return o.db;
  }

  it('a demotion and a removal of the two admins at once: one of them is refused (409 last_admin)', async () => {
    const one = createUserStore(await processDb());
    const two = createUserStore(await processDb());
    const password = 'a long enough password';
    const ana = await one.create({ email: 'ana@example.com', name: 'Ana', role: 'admin', password });
    const bob = await one.create({ email: 'bob@example.com', name: 'Bob', role: 'admin', password });

    // A third session holds Ana's row: the first process's change waits on it, in the middle of its transaction,
    // so the second process's change runs while the first has read the admins and not yet written.
    const holder = new pg.Client({ connectionString: fresh.url });
    await holder.connect();
    const waiting = async () =>
      Number(
        (
          await holder.query(
            `select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
          )
        ).rows[0].n,
      );
    let demoted: Promise<unknown>;
    let removed: Promise<unknown>;
    try {
      await holder.query('begin');
      await holder.query('select 1 from users where id = $1 for update', [ana.id]);
      demoted = one.update(ana.id, { role: 'viewer' }).then(
        (v) => v,
        (e: unknown) => e,
      );
      await waitFor(async () => (await waiting()) === 1, 5_000, 20);
      removed = two.remove(bob.id).then(
        (v) => v,
        (e: unknown) => e,
      );
      // The removal either commits (it does not need Ana's row) or waits for the first change too.
      await Promise.race([removed, waitFor(async () => (await waiting()) === 2, 5_000, 20)]);
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
    const outcomes = await Promise.all([demoted!, removed!]);
    const refused = outcomes.filter((o) => (o as { code?: string }).code === 'LAST_ADMIN');
    expect(refused).toHaveLength(1);
    const admins = (await one.list()).filter((u) => u.role === 'admin');
    expect(admins).toHaveLength(1);
  });
  it('two users given one email at once: one of them is refused (409 email_taken)', async () => {
    const one = createUserStore(await processDb());
    const two = createUserStore(await processDb());
    const password = 'a long enough password';
    const cy = await one.create({ email: 'cy@example.com', name: 'Cy', role: 'viewer', password });
    const di = await one.create({ email: 'di@example.com', name: 'Di', role: 'viewer', password });
    const holder = new pg.Client({ connectionString: fresh.url });
    await holder.connect();
    let first: Promise<unknown>;
    try {
      await holder.query('begin');
      await holder.query('select 1 from users where id = $1 for update', [cy.id]);
      // Cy's change has found the email free and waits to write; Di's finds it free too, and commits.
      first = one.update(cy.id, { email: 'same@example.com' }).then(
        (v) => v,
        (e: unknown) => e,
      );
      await waitFor(
        async () =>
          Number(
            (
              await holder.query(
                `select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
              )
            ).rows[0].n,
          ) === 1,
        5_000,
        20,
      );
      expect(await two.update(di.id, { email: 'same@example.com' })).toMatchObject({
        email: 'same@example.com',
      });
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
    expect(await first!).toMatchObject({ code: 'EMAIL_TAKEN', status: 409 });
    expect((await one.get(cy.id))?.email).toBe('cy@example.com');
  });
});
