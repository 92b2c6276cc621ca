// The activity sampler on a manual clock over a real database (the run's engine: a SQLite file or a fresh PostgreSQL database): rates
// from counter deltas, lag, idle minutes, idempotent rewrites of a minute, counter resets, gaps, pruning, its timer.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../storage/schema.ts';
import { insertConnection } from '../../tests/support/in-process.ts';
import { type ManualClock, manualClock } from '../../tests/support/manual-clock.ts';
import { TEST_DIALECT, type TestDatabase, testDatabase } from '../../tests/support/test-database.ts';
import type { LinkHub } from '../link/link-hub.ts';
import { createLogger } from '../log.ts';
import { writeSample } from './activity-store.ts';
import { MINUTE_MS } from './minutes.ts';
import { readSeries } from './read-series.ts';
import { type ActivitySampler, createActivitySampler } from './sampler.ts';

const START = Date.UTC(2030, 0, 1, 10, 0, 5);
const log = createLogger('activity-test', 'silent');

let db: Db;
let clock: ManualClock;
let up: Set<string>;
let sampler: ActivitySampler;

/** The link hub as the sampler sees it: only `isUp` is read. */
const linkOf = (): LinkHub => ({
  isUp: (id) => up.has(id),
  send: () => false,
  bufferedAmount: () => 0,
  handle: () => {},
  onStatus: () => () => {},
});

describe.each([TEST_DIALECT])('the activity sampler on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await testDatabase(dialect);
    db = database.db;
  });
  afterAll(async () => database?.close());

  beforeEach(async () => {
    await database.empty();
    clock = manualClock(START);
    up = new Set();
    sampler = createActivitySampler({ db, link: linkOf(), clock, log, retentionMs: 7 * 24 * 3_600_000 });
  });

  afterEach(async () => {
    await sampler.stop();
  });

  async function stream(id: string, outSeq: number, outAcked: number, inHigh: number) {
    await db
      .insertInto('sync_streams')
      .values({
        connection_id: id,
        feed_cursor: null,
        out_seq: outSeq,
        out_acked: outAcked,
        in_high: inHigh,
        outcome_seq: 0,
        outcome_acked: 0,
        outcome_high: 0,
      })
      .onConflict((oc) =>
        oc.column('connection_id').doUpdateSet({ out_seq: outSeq, out_acked: outAcked, in_high: inHigh }),
      )
      .execute();
  }

  const iso = (ms: number) => new Date(ms).toISOString();

  async function outboxAt(id: string, seq: number, at: number) {
    await db
      .insertInto('sync_outbox')
      .values({
        connection_id: id,
        seq,
        kind: 'upsert',
        entity_id: `e${seq}`,
        payload: '{}',
        bytes: 2,
        created_at: iso(at),
      })
      .execute();
  }

  async function inboxAt(
    id: string,
    seq: number,
    remote: string,
    at: number,
    status: 'pending' | 'failed' = 'pending',
  ) {
    await db
      .insertInto('sync_inbox')
      .values({
        connection_id: id,
        seq,
        kind: 'upsert',
        remote_id: remote,
        payload: '{}',
        status,
        error_id: status === 'failed' ? `err-${seq}` : null,
        received_at: iso(at),
      })
      .execute();
  }

  const rows = (id: string) =>
    db.selectFrom('activity_minutes').selectAll().where('connection_id', '=', id).orderBy('minute').execute();

  /** Moves the clock to the next minute (5 s into it, as the timer would) and samples. */
  async function nextMinute(times = 1) {
    for (let i = 0; i < times; i++) {
      clock.advance(MINUTE_MS);
      await sampler.sample();
    }
  }

  const series = async (id: string, range: '1h' | '24h' | '7d' = '1h') =>
    (await readSeries(db, [id], range, clock.now())).get(id)!;

  /** The non-null tail of a column: what the sampled minutes said. */
  const sampled = <T>(column: (T | null)[]) => column.filter((v) => v !== null);

  it('turns counter deltas into events per minute; a connection older than the history starts as a baseline', async () => {
    await insertConnection(db, 'c1', 'script');
    up.add('c1');
    await stream('c1', 40, 40, 25);
    await sampler.sample();
    await stream('c1', 47, 45, 28);
    await nextMinute();
    await stream('c1', 47, 47, 38);
    await nextMinute();

    expect((await rows('c1')).map((r) => [r.events_queued, r.events_out, r.events_in])).toEqual([
      [0, 0, 0],
      [7, 5, 3],
      [0, 2, 10],
    ]);
    const s = await series('c1');
    expect(s.at).toHaveLength(60);
    expect(s.stepSeconds).toBe(60);
    expect(s.eventsOut.slice(-3)).toEqual([0, 5, 2]);
    expect(s.eventsIn.slice(-3)).toEqual([0, 3, 10]);
    expect(s.eventsQueued.slice(-3)).toEqual([0, 7, 0]);
    expect(s.linkUp.slice(-3)).toEqual([1, 1, 1]);
    // Minutes before the history began are not zeros: nobody looked.
    expect(s.eventsOut.slice(0, -3).every((v) => v === null)).toBe(true);
  });

  it('counts everything a connection made since the last sweep when it is new', async () => {
    await sampler.sample();
    clock.advance(20_000);
    await insertConnection(db, 'c2', 'script');
    // insertConnection stamps the real time: a connection made after the sweep, as the sampler sees it.
    await db
      .updateTable('connections')
      .set({ created_at: iso(clock.now()) })
      .where('id', '=', 'c2')
      .execute();
    await stream('c2', 3, 2, 4);
    await nextMinute();
    const [row] = await rows('c2');
    expect(row).toMatchObject({ events_queued: 3, events_out: 2, events_in: 4 });
  });

  it("keeps counting from the same base when a minute is sampled again, also in a new connection's first minute", async () => {
    await sampler.sample();
    clock.advance(1_000);
    await insertConnection(db, 'c3', 'script');
    await db
      .updateTable('connections')
      .set({ created_at: iso(clock.now()) })
      .where('id', '=', 'c3')
      .execute();
    for (let i = 1; i <= 5; i++) {
      await stream('c3', 2 * i, 2 * i, i);
      clock.advance(1_000);
      await sampler.sample();
    }
    const [row] = await rows('c3');
    expect(row).toMatchObject({ events_queued: 10, events_out: 10, events_in: 5 });
    await stream('c3', 12, 11, 5);
    await nextMinute();
    expect((await rows('c3')).map((r) => r.events_out)).toEqual([10, 1]);
  });

  it('measures lag as the age of the oldest unacknowledged event out and the oldest waiting event in', async () => {
    await insertConnection(db, 'c1', 'script');
    up.add('c1');
    const now = clock.now();
    await stream('c1', 12, 10, 5);
    await outboxAt('c1', 11, now - 90_000);
    await outboxAt('c1', 12, now - 10_000);
    // r1 failed and holds its later event: an error, not lag. r2 waits 30 s.
    await inboxAt('c1', 1, 'r1', now - 600_000, 'failed');
    await inboxAt('c1', 2, 'r1', now - 500_000);
    await inboxAt('c1', 3, 'r2', now - 30_000);
    await sampler.sample();
    const [row] = await rows('c1');
    expect(row).toMatchObject({
      queued_out: 2,
      queued_in: 3,
      oldest_out_at: iso(now - 90_000),
      oldest_in_at: iso(now - 30_000),
    });
    let s = await series('c1');
    expect(s.lagOutMs.at(-1)).toBe(90_000);
    expect(s.lagInMs.at(-1)).toBe(30_000);
    expect(s.queuedOut.at(-1)).toBe(2);

    // A minute later the same events have waited a minute longer; then the peer acknowledges and all is applied.
    await nextMinute();
    s = await series('c1');
    expect(s.lagOutMs.slice(-2)).toEqual([90_000, 150_000]);
    await db.deleteFrom('sync_outbox').execute();
    await db.deleteFrom('sync_inbox').execute();
    await stream('c1', 12, 12, 5);
    await nextMinute();
    s = await series('c1');
    expect(s.lagOutMs.slice(-3)).toEqual([90_000, 150_000, 0]);
    expect(s.lagInMs.slice(-3)).toEqual([30_000, 90_000, 0]);
    expect(s.eventsOut.slice(-3)).toEqual([0, 0, 2]);
  });

  it('writes no row for an idle minute (the series carries the last one) but one an hour', async () => {
    await insertConnection(db, 'c1', 'script');
    up.add('c1');
    await stream('c1', 5, 5, 5);
    await inboxAt('c1', 1, 'r1', clock.now(), 'failed');
    await sampler.sample();
    await nextMinute(10);
    expect(await rows('c1')).toHaveLength(1);
    const s = await series('c1');
    expect(sampled(s.eventsOut)).toEqual(Array(11).fill(0));
    expect(sampled(s.queuedIn)).toEqual(Array(11).fill(1));
    expect(sampled(s.linkUp)).toEqual(Array(11).fill(1));

    // The link going down is a change: written at once.
    up.delete('c1');
    await nextMinute();
    expect((await rows('c1')).map((r) => r.link_up)).toEqual([1, 0]);
    await nextMinute(60);
    expect((await rows('c1')).map((r) => r.link_up)).toEqual([1, 0, 0]);
    expect((await series('c1')).linkUp.slice(-3)).toEqual([0, 0, 0]);
  });

  it('rewrites a minute sampled twice instead of adding to it, keeping the link up if any sample saw it up', async () => {
    await insertConnection(db, 'c1', 'script');
    up.add('c1');
    await stream('c1', 10, 10, 0);
    await sampler.sample();
    await stream('c1', 14, 14, 0);
    clock.advance(MINUTE_MS);
    await sampler.sample();
    // Later in the same minute (a restart, or a second process on the same database): more acknowledged, link down here.
    up.delete('c1');
    await stream('c1', 16, 16, 0);
    clock.advance(30_000);
    await sampler.sample();
    const all = await rows('c1');
    expect(all).toHaveLength(2);
    expect(all[1]).toMatchObject({ events_out: 6, out_acked: 16, link_up: 1 });
    // Writing the very same sample again changes nothing.
    await writeSample(db, all[1]!.minute, all[1]!.sampled_at, [all[1]!]);
    expect(await rows('c1')).toEqual(all);
    expect(sampled((await series('c1')).eventsOut)).toEqual([0, 6]);
  });

  it('never counts backwards when a stream is deleted and made again', async () => {
    await insertConnection(db, 'c1', 'script');
    await stream('c1', 100, 100, 80);
    await sampler.sample();
    await db.deleteFrom('sync_streams').execute();
    await stream('c1', 3, 2, 1);
    await nextMinute();
    await stream('c1', 5, 5, 1);
    await nextMinute();
    expect((await rows('c1')).map((r) => [r.events_queued, r.events_out, r.events_in])).toEqual([
      [0, 0, 0],
      [3, 2, 1],
      [2, 3, 0],
    ]);
  });

  it('leaves minutes the sampler did not run empty, and sums coarser buckets for longer ranges', async () => {
    await insertConnection(db, 'c1', 'script');
    up.add('c1');
    await stream('c1', 0, 0, 0);
    await sampler.sample();
    for (let i = 1; i <= 20; i++) {
      await stream('c1', i, i, 2 * i);
      await nextMinute();
    }
    // The host is down for 30 minutes, then runs again.
    clock.advance(30 * MINUTE_MS);
    await stream('c1', 25, 25, 40);
    await nextMinute();
    const hour = await series('c1');
    expect(hour.eventsOut.slice(-52)).toEqual([0, ...Array(20).fill(1), ...Array(30).fill(null), 5]);
    const day = await series('c1', '24h');
    expect(day.stepSeconds).toBe(900);
    expect(day.at).toHaveLength(96);
    expect(sampled(day.eventsOut).reduce((a, b) => a + b, 0)).toBe(25);
    expect(sampled(day.eventsIn).reduce((a, b) => a + b, 0)).toBe(40);
    const week = await series('c1', '7d');
    expect(week.at).toHaveLength(168);
    expect(week.stepSeconds).toBe(3600);
    expect(sampled(week.eventsOut).reduce((a, b) => a + b, 0)).toBe(25);
  });

  it('prunes what is older than the retention and the history of deleted connections', async () => {
    await insertConnection(db, 'c1', 'script');
    await insertConnection(db, 'c2', 'script');
    await sampler.sample();
    expect(await rows('c2')).toHaveLength(1);
    await db.deleteFrom('connections').where('id', '=', 'c2').execute();
    // Eight days on: the first hourly prune drops c1's first row and everything of c2.
    clock.advance(8 * 24 * 3_600_000);
    await sampler.sample();
    expect(await rows('c2')).toEqual([]);
    expect((await rows('c1')).map((r) => r.minute)).toEqual([
      iso(Math.floor(clock.now() / MINUTE_MS) * MINUTE_MS),
    ]);
    const sweeps = await db.selectFrom('activity_sweeps').select('minute').execute();
    expect(sweeps).toHaveLength(1);
  });

  it('samples at start, then at each minute boundary until stopped', async () => {
    await insertConnection(db, 'c1', 'script');
    await stream('c1', 0, 0, 0);
    sampler.start();
    await sampler.sample();
    expect(clock.pending).toBe(1);
    for (let i = 1; i <= 3; i++) {
      await stream('c1', i, i, 0);
      clock.advance(MINUTE_MS);
      // The sample the timer started (a sample asked for while one runs is that one).
      await sampler.sample();
    }
    const samples = (await rows('c1')).map((r) => r.sampled_at);
    expect(samples).toEqual([
      iso(START),
      iso(START - 5_000 + MINUTE_MS),
      iso(START - 5_000 + 2 * MINUTE_MS),
      iso(START - 5_000 + 3 * MINUTE_MS),
    ]);
    await sampler.stop();
    expect(clock.pending).toBe(0);
  });
});
