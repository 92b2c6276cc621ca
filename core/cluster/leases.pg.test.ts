// Leases on a shared PostgreSQL database: spread and rebalance across processes, takeover after a process dies,
// and the fence that stops a process whose lease was taken from writing.
import fs from 'node:fs';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../storage/database.ts';
import type { Db } from '../../storage/schema.ts';
import { tempDir, waitFor } from '../../tests/support/host-process.ts';
import { insertConnection } from '../../tests/support/in-process.ts';
import { type FreshPostgres, freshPostgres } from '../../tests/support/test-postgres.ts';
import { createLogger } from '../log.ts';
import { appendOutbox } from '../sync/outbox.ts';
import { ensureStream } from '../sync/streams.ts';
import { LeaseLost } from './fence.ts';
import { fenceMarginMs, type Leases, type LeaseTimings, sharedLeases } from './leases.ts';

const log = createLogger('leases-test', 'silent');
// Heartbeats are driven by hand (`tick`); the timer period is long so it never runs on its own.
const timings = { heartbeatMs: 60_000, leaseMs: 20_000, minHoldMs: 0 };

describe('connection leases (PostgreSQL)', () => {
  let fresh: FreshPostgres;
  const opened: Array<{ db: Db; close(): Promise<void> }> = [];
  const started: Leases[] = [];
  let dir: string;

  async function processDb(): Promise<Db> {
    const o = await openDatabase(dir, { url: fresh.url, poolSize: 3 });
    opened.push(o);
    return o.db;
  }

  async function process(url: string, t: LeaseTimings = timings): Promise<{ db: Db; leases: Leases }> {
    const db = await processDb();
    const leases = sharedLeases(db, log, t);
    started.push(leases);
    await leases.start(url);
    return { db, leases };
  }

  async function addConnections(db: Db, n: number) {
    for (let i = 0; i < n; i++) await insertConnection(db, `c${i}`, 'basic');
  }

  const held = (l: Leases, n: number) =>
    Array.from({ length: n }, (_, i) => `c${i}`).filter((id) => l.holds(id));

  beforeEach(async () => {
    fresh = await freshPostgres();
    dir = tempDir('tandem-leases-');
  });

  afterEach(async () => {
    for (const l of started.splice(0)) await l.stop();
    for (const o of opened.splice(0)) await o.close();
    await fresh.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('spreads connections across processes and rebalances when one joins and when one leaves', async () => {
    const a = await process('http://a');
    await addConnections(a.db, 6);
    await a.leases.tick();
    expect(held(a.leases, 6)).toHaveLength(6);

    const b = await process('http://b');
    // A sees two live processes and releases above its share; B takes what was released.
    await a.leases.tick();
    await b.leases.tick();
    expect(held(a.leases, 6)).toHaveLength(3);
    expect(held(b.leases, 6)).toHaveLength(3);
    expect(held(a.leases, 6).filter((id) => b.leases.holds(id))).toEqual([]);
    const listed = await a.leases.processes();
    expect(listed.map((p) => [p.url, p.connections.length])).toEqual([
      ['http://a', 3],
      ['http://b', 3],
    ]);

    // A clean stop hands everything over at the next heartbeat of the other.
    await a.leases.stop();
    started.splice(started.indexOf(a.leases), 1);
    await b.leases.tick();
    expect(held(b.leases, 6)).toHaveLength(6);
  });

  it('leaves a lease it gave up to rebalance to the process that should take it, when the peer redials it at once', async () => {
    const t = { heartbeatMs: 1000, leaseMs: 20_000, minHoldMs: 0 };
    const a = await process('http://a', t);
    await addConnections(a.db, 2);
    await a.leases.tick();
    const b = await process('http://b', t);
    await a.leases.tick();
    const moved = ['c0', 'c1'].filter((id) => !a.leases.holds(id));
    expect(moved).toHaveLength(1);
    // The peer's link, ended by the move, reaches A again: A waits for B to take the lease and relays there,
    // rather than taking it back (which would restart the hold and undo the move each time).
    const placed = a.leases.place(moved[0]!);
    await b.leases.tick();
    expect(await placed).toMatchObject({ here: false, url: 'http://b' });
    expect(b.leases.holds(moved[0]!)).toBe(true);
    expect(a.leases.holds(moved[0]!)).toBe(false);
  });

  it('takes over the connections of a process that stopped heartbeating once its leases expire', async () => {
    const a = await process('http://a');
    await addConnections(a.db, 2);
    await a.leases.tick();
    const b = await process('http://b');
    await b.leases.tick();
    expect(held(b.leases, 2)).toEqual([]); // A holds its fair share and more until it heartbeats again
    // A is paused (no heartbeat): once its leases are past their expiry, B takes them with new tokens.
    await b.db.updateTable('connection_leases').set({ expires_at: 0 }).execute();
    await b.db.updateTable('node_processes').set({ last_seen_at: 0 }).where('url', '=', 'http://a').execute();
    await b.leases.tick();
    expect(held(b.leases, 2)).toEqual(['c0', 'c1']);
    const tokens = await b.db.selectFrom('connection_leases').select(['token']).execute();
    expect(tokens.map((t) => Number(t.token))).toEqual([2, 2]);
  });

  it('refuses writes from a process whose lease was taken, and a takeover waits for a write under way', async () => {
    const a = await process('http://a');
    await addConnections(a.db, 1);
    await a.leases.tick();
    expect(a.leases.holds('c0')).toBe(true);
    await a.db.transaction().execute((tx) => ensureStream(tx, 'c0', null));
    const event = { kind: 'unlink', entityId: 'e1', twinId: null } as never;

    // A write under way holds the lease row: B's takeover waits for its commit.
    const b = await process('http://b');
    let releaseWrite!: () => void;
    const writeHeld = new Promise<void>((r) => (releaseWrite = r));
    let fenced!: () => void;
    const fenceTaken = new Promise<void>((r) => (fenced = r));
    const writing = a.db.transaction().execute(async (tx) => {
      await appendOutbox(tx, 'c0', [event]);
      fenced();
      await writeHeld;
    });
    await fenceTaken;
    await b.db.updateTable('node_processes').set({ last_seen_at: 0 }).where('url', '=', 'http://a').execute();
    let takenOver = false;
    const takeover = b.db
      .updateTable('connection_leases')
      .set({ expires_at: 0 })
      .execute()
      .then(() => b.leases.tick())
      .then(() => (takenOver = true));
    // The takeover's update is blocked behind the write's lock, so it cannot finish before the write does.
    await a.db.selectFrom('connections').select('id').execute();
    expect(takenOver).toBe(false);
    releaseWrite();
    await writing;
    await takeover;
    expect(b.leases.holds('c0')).toBe(true);

    // A still believes it holds c0 (no heartbeat since): its next write is refused and it lets c0 go.
    expect(a.leases.holds('c0')).toBe(true);
    await expect(a.db.transaction().execute((tx) => appendOutbox(tx, 'c0', [event]))).rejects.toBeInstanceOf(
      LeaseLost,
    );
    expect(a.leases.holds('c0')).toBe(false);
    const rows = await a.db.selectFrom('sync_outbox').select('seq').execute();
    expect(rows).toHaveLength(1);
    // The new holder writes.
    await b.db.transaction().execute((tx) => appendOutbox(tx, 'c0', [event]));
    expect(await b.db.selectFrom('sync_outbox').select('seq').execute()).toHaveLength(2);
  });
  it('lets go of its connections before their leases expire when its heartbeat hangs, and takes its share again after', async () => {
    // Heartbeats on their own timer: the renewal is what hangs here.
    const fast = { heartbeatMs: 100, leaseMs: 1500, minHoldMs: 0 };
    const a = await process('http://a', fast);
    await addConnections(a.db, 2);
    const b = await process('http://b', fast);
    await waitFor(() => held(a.leases, 2).length === 1 && held(b.leases, 2).length === 1, 10_000);
    const [mine] = held(a.leases, 2);
    let lostAt: number | undefined;
    a.leases.onChange((id, isHeld) => {
      if (id === mine && !isHeld) lostAt = Date.now();
    });

    // Another session holds A's registry row: A's next heartbeat waits on it, renewing nothing meanwhile.
    const blocker = new pg.Client({ connectionString: fresh.url });
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query('select 1 from node_processes where id = $1 for update', [a.leases.processId]);
      const { expires_at } = await b.db
        .selectFrom('connection_leases')
        .select('expires_at')
        .where('connection_id', '=', mine!)
        .executeTakeFirstOrThrow();
      await waitFor(() => lostAt !== undefined, 5_000);
      // Let go of here with the margin still ahead of the lease's expiry, before anyone could take it.
      expect(lostAt!).toBeLessThan(Number(expires_at));
      expect(Number(expires_at) - lostAt!).toBeGreaterThan(fenceMarginMs(fast) / 2);
      expect(a.leases.holds(mine!)).toBe(false);
      await expect(
        a.db
          .transaction()
          .execute((tx) =>
            appendOutbox(tx, mine!, [{ kind: 'unlink', entityId: 'e1', twinId: null } as never]),
          ),
      ).rejects.toBeInstanceOf(LeaseLost);
      // B takes it once it has expired, with a new token.
      await waitFor(() => held(b.leases, 2).length === 2, 5_000);
      expect(Date.now()).toBeGreaterThanOrEqual(Number(expires_at));
    } finally {
      await blocker.query('rollback');
      await blocker.end();
    }
    // The heartbeat goes on: A is live again and takes its share back through the normal path.
    await waitFor(() => held(a.leases, 2).length === 1 && held(b.leases, 2).length === 1, 10_000);
    expect(held(a.leases, 2).filter((id) => b.leases.holds(id))).toEqual([]);
    expect(await a.db.selectFrom('sync_outbox').select('seq').execute()).toEqual([]);
  });

  it('a renewal that comes after the process let go releases the lease, which is taken again at once', async () => {
    const slow = { heartbeatMs: 200, leaseMs: 4000, minHoldMs: 0 };
    const a = await process('http://a', slow);
    await addConnections(a.db, 1);
    await waitFor(() => a.leases.holds('c0'), 5_000);
    let lostAt: number | undefined;
    let regainedAt: number | undefined;
    a.leases.onChange((_, isHeld) => {
      if (!isHeld) lostAt ??= Date.now();
      else if (lostAt !== undefined) regainedAt ??= Date.now();
    });
    const blocker = new pg.Client({ connectionString: fresh.url });
    await blocker.connect();
    let expiresAt: number;
    try {
      await blocker.query('begin');
      await blocker.query('select 1 from node_processes where id = $1 for update', [a.leases.processId]);
      const row = await a.db
        .selectFrom('connection_leases')
        .select('expires_at')
        .where('connection_id', '=', 'c0')
        .executeTakeFirstOrThrow();
      expiresAt = Number(row.expires_at);
      await waitFor(() => lostAt !== undefined, 5_000, 10);
    } finally {
      // Unblocked before the lease expires: the beat that waited renews it, too late to count.
      await blocker.query('rollback');
      await blocker.end();
    }
    await waitFor(() => regainedAt !== undefined, 5_000, 10);
    expect(regainedAt!).toBeLessThan(expiresAt);
    const token = await a.db.selectFrom('connection_leases').select('token').executeTakeFirstOrThrow();
    expect(Number(token.token)).toBe(2);
  });
});
