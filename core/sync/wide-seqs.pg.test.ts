// Sequence numbers past 2^31 on PostgreSQL (where `integer` is 32-bit): change-feed seqs, stream positions and
// entity versions above it still sync both ways between two engines, and come back as numbers.
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scriptMode } from '../../modes/script/script-mode.ts';
import { engineSide, memoryLink, type Side } from '../../tests/support/engine-pair.ts';
import { waitFor } from '../../tests/support/host-process.ts';
import type { InProcessHost } from '../../tests/support/in-process.ts';
import { createSandbox, type ManagedSandbox } from '../sandbox/create-sandbox.ts';
import type { Entity } from '../trackers/tracker.ts';
import { ensureStream } from './streams.ts';
import { createTrigger } from './triggers.ts';

/** Past the largest 32-bit integer. */
const HIGH = 2 ** 31 + 1000;

let sandbox: ManagedSandbox;
let link: ReturnType<typeof memoryLink>;
let A: Side;
let B: Side;

/** The change feed's sequence starts past 2^31. */
async function highFeed(host: InProcessHost): Promise<void> {
  await sql`select setval(pg_get_serial_sequence('change_log', 'seq'), ${HIGH})`.execute(host.services.db);
}

async function side(conn: string, hub: typeof link.a, nodeId: string): Promise<Side> {
  const s = await engineSide({
    conn,
    hub,
    mode: 'script',
    nodeId,
    tracker: 'builtin',
    sandbox: () => sandbox,
    program: { version: 'v1', ...scriptMode.defaults() },
    before: highFeed,
  });
  // Every position of the stream as if 2^31 events had crossed each way already (the link is down yet).
  const db = s.host.services.db;
  await ensureStream(db, conn, null);
  await db
    .updateTable('sync_streams')
    .set({
      out_seq: HIGH,
      out_acked: HIGH,
      in_high: HIGH,
      outcome_seq: HIGH,
      outcome_acked: HIGH,
      outcome_high: HIGH,
    })
    .where('connection_id', '=', conn)
    .execute();
  return s;
}

beforeEach(async () => {
  sandbox = createSandbox({ timeoutMs: 1000 });
  link = memoryLink('ca', 'cb');
  A = await side('ca', link.a, 'node-a');
  B = await side('cb', link.b, 'node-b');
  await createTrigger(A.host.services.db, 'ca', {
    entityType: 'incident',
    query: 'priority != 5',
    active: true,
  });
  link.set(true);
});
afterEach(async () => {
  link.set(false);
  for (const s of [A, B]) {
    await s?.engine.stop();
    await s?.host.close();
  }
  await sandbox.close();
});

const tracker = (s: Side) => s.host.services.tracker;
const db = (s: Side) => s.host.services.db;

async function twinOf(s: Side, localId: string) {
  return db(s).selectFrom('sync_twins').selectAll().where('local_id', '=', localId).executeTakeFirst();
}

async function twinOnB(aId: string, pred: (e: Entity) => boolean = () => true): Promise<Entity> {
  return waitFor(async () => {
    const t = await db(B)
      .selectFrom('sync_twins')
      .select('local_id')
      .where('remote_id', '=', aId)
      .executeTakeFirst();
    const e = t && (await tracker(B).get(t.local_id));
    return e && pred(e) ? e : undefined;
  }, 20_000) as Promise<Entity>;
}

describe('sequence numbers past 2^31 on PostgreSQL', () => {
  it('sync both ways with feed seqs, stream positions and versions above it, read back as numbers', async () => {
    const e = await tracker(A).create(
      { type: 'incident', fields: { summary: 'far out' } },
      { origin: 'local' },
    );
    const there = await twinOnB(e.id);
    await waitFor(async () => (await twinOf(A, e.id))?.remote_id === there.id, 20_000);

    // A version past 2^31 too, then an edit on A (A to B) and one on B (B to A).
    await db(A).updateTable('entities').set({ version: HIGH }).where('id', '=', e.id).execute();
    await tracker(A).update(e.id, { summary: 'far out, edited' }, { origin: 'local' });
    await twinOnB(e.id, (x) => x.fields.summary === 'far out, edited');
    await tracker(B).update(there.id, { summary: 'far out, answered' }, { origin: 'local' });
    await waitFor(async () => (await tracker(A).get(e.id))?.fields.summary === 'far out, answered', 20_000);

    const edited = await tracker(A).get(e.id);
    expect(edited?.version).toBeGreaterThan(HIGH);
    for (const s of [A, B]) {
      const stream = await db(s).selectFrom('sync_streams').selectAll().executeTakeFirstOrThrow();
      expect(stream.out_seq).toBeGreaterThan(HIGH);
      expect(stream.in_high).toBeGreaterThan(HIGH);
      expect(typeof stream.out_seq).toBe('number');
      const log = await db(s).selectFrom('sync_event_log').select(['seq', 'direction']).execute();
      expect(log.length).toBeGreaterThan(0);
      for (const row of log) {
        expect(typeof row.seq).toBe('number');
        expect(row.seq).toBeGreaterThan(HIGH);
      }
      const feed = await db(s)
        .selectFrom('change_log')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .executeTakeFirstOrThrow();
      expect(Number(feed.seq)).toBeGreaterThan(HIGH);
    }
    // Each side's outbox is acknowledged up to what it sent.
    await waitFor(async () => {
      const [a, b] = await Promise.all(
        [A, B].map((s) => db(s).selectFrom('sync_streams').selectAll().executeTakeFirstOrThrow()),
      );
      return a?.out_acked === a?.out_seq && b?.out_acked === b?.out_seq && b?.in_high === a?.out_seq;
    }, 20_000);
  });

  it('leaves no sequence, position, counter or entity version column 32-bit', async () => {
    const narrow = await sql<{ table_name: string; column_name: string }>`
      select table_name, column_name from information_schema.columns
      where table_schema = current_schema() and data_type = 'integer'
      order by table_name, column_name`.execute(db(A));
    const names = narrow.rows.map((r) => `${r.table_name}.${r.column_name}`);
    expect(
      names.filter((n) => /seq|acked|high|cursor|version|next|processed|total|pending|\.n$/.test(n)),
    ).toEqual([]);
  });
});
