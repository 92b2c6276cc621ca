import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type InProcessHost, inProcessHost } from '../../tests/support/in-process.ts';
import type { SyncEvent } from './events.ts';
import { createHlc } from './hlc.ts';
import { commitInbox, failInbox, nextInboxBatch, removeInbox } from './inbox.ts';
import { ackOutbox, appendOutbox, readOutbox } from './outbox.ts';
import { csvCell, runReport, runReportCsv } from './run-report.ts';
import {
  addCounts,
  bucketOf,
  finishIfDone,
  getRun,
  markQueued,
  outcomeDelta,
  recordRunChunk,
  startRun,
} from './runs.ts';
import { ensureStream, getStream } from './streams.ts';
import { saveTwin, saveTwins, type TwinSave, twinsByLocal, twinWriter } from './twins.ts';

let host: InProcessHost;
beforeEach(async () => {
  host = await inProcessHost();
});
afterEach(async () => host.close());

const upsert = (entityId: string, summary: string): SyncEvent => ({
  kind: 'upsert',
  entityId,
  key: null,
  twinId: null,
  replica: { summary },
  clocks: {},
  clock: 'c',
});

describe('outbox', () => {
  it('numbers events per connection, resends from the ack, and forgets what was acknowledged', async () => {
    const { db } = host.services;
    await ensureStream(db, 'c1', '0');
    await ensureStream(db, 'c2', '0');
    await db.transaction().execute(async (tx) => {
      expect(await appendOutbox(tx, 'c1', [upsert('a', '1'), upsert('b', '1')])).toEqual([1, 2]);
      expect(await appendOutbox(tx, 'c2', [upsert('a', '1')])).toEqual([1]);
      expect(await appendOutbox(tx, 'c1', [upsert('a', '2')])).toEqual([3]);
    });
    expect((await readOutbox(db, 'c1', 0, 10)).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(await ackOutbox(db, 'c1', 2)).toBe(2);
    expect((await readOutbox(db, 'c1', 0, 10)).map((e) => e.seq)).toEqual([3]);
    // an ack beyond what was assigned is capped; a stale ack changes nothing
    expect(await ackOutbox(db, 'c1', 99)).toBe(3);
    expect(await ackOutbox(db, 'c1', 1)).toBe(3);
    expect(await readOutbox(db, 'c1', 0, 10)).toEqual([]);
    expect((await readOutbox(db, 'c2', 0, 10)).length).toBe(1);
  });

  it('rolls back appended events with the transaction that decided them', async () => {
    const { db } = host.services;
    await ensureStream(db, 'c1', '0');
    await expect(
      db.transaction().execute(async (tx) => {
        await appendOutbox(tx, 'c1', [upsert('a', '1')]);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await readOutbox(db, 'c1', 0, 10)).toEqual([]);
    expect((await getStream(db, 'c1'))?.out_seq).toBe(0);
  });
});

describe('inbox', () => {
  it('drops duplicates by the high-water mark and stops at a gap', async () => {
    const { db } = host.services;
    const ev = (seq: number) => ({ seq, event: upsert(`e${seq}`, 's') });
    expect(await commitInbox(db, 'c1', [ev(1), ev(2)])).toEqual({
      high: 2,
      accepted: 2,
      duplicates: 0,
      gap: false,
    });
    expect(await commitInbox(db, 'c1', [ev(1), ev(2), ev(3)])).toEqual({
      high: 3,
      accepted: 1,
      duplicates: 2,
      gap: false,
    });
    expect(await commitInbox(db, 'c1', [ev(5), ev(6)])).toEqual({
      high: 3,
      accepted: 0,
      duplicates: 0,
      gap: true,
    });
    expect(await commitInbox(db, 'c1', [ev(4), ev(6)])).toEqual({
      high: 4,
      accepted: 1,
      duplicates: 0,
      gap: true,
    });
    const rows = await db.selectFrom('sync_inbox').select('seq').orderBy('seq').execute();
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
  });

  it('hands out the oldest event per entity, and a failed event blocks only its own entity', async () => {
    const { db } = host.services;
    await commitInbox(db, 'c1', [
      { seq: 1, event: upsert('a', '1') },
      { seq: 2, event: upsert('b', '1') },
      { seq: 3, event: upsert('a', '2') },
      { seq: 4, event: upsert('c', '1') },
    ]);
    expect((await nextInboxBatch(db, 'c1', 10)).map((e) => e.seq)).toEqual([1, 2, 4]);
    await failInbox(db, 'c1', 1, 'err1');
    await removeInbox(db, 'c1', 2);
    expect((await nextInboxBatch(db, 'c1', 10)).map((e) => e.seq)).toEqual([4]);
    await removeInbox(db, 'c1', 1);
    expect((await nextInboxBatch(db, 'c1', 10)).map((e) => e.seq)).toEqual([3, 4]);
  });
});

describe('runs', () => {
  it('counts what is decided here at once and what was sent only by its outcome, and exports data, errors or both as CSV', async () => {
    const { db } = host.services;
    await ensureStream(db, 'c1', '0');
    const id = await startRun(db, 'c1', 'manual', null, ['a', 'b', 'c', 'd']);
    await db.transaction().execute(async (tx) => {
      await appendOutbox(tx, 'c1', [upsert('a', '1'), upsert('d', '1')], id);
      await recordRunChunk(
        tx,
        id,
        ['a', 'b', 'c', 'd'],
        [
          { entityId: 'b', entityKey: 'INC2', action: 'skipped', message: 'unchanged since the last sync' },
          { entityId: 'c', entityKey: 'INC3', action: 'error', message: '=HYPERLINK("x"), line 3' },
          { entityId: 'a', entityKey: 'INC1', action: 'warning', message: 'no assignee' },
        ],
        2,
      );
    });
    await markQueued(db, id);
    // Two events sent: the run waits for their outcomes.
    expect(await getRun(db, id)).toMatchObject({
      status: 'running',
      total: 4,
      processed: 2,
      pending: 2,
      created: 0,
      skipped: 1,
      errors: 1,
      warnings: 1,
      finished_at: null,
    });
    // The partner created one and failed the other: the counts follow, and the run ends.
    await addCounts(db, id, outcomeDelta('pending', bucketOf('applied', 'created')));
    await addCounts(db, id, outcomeDelta('pending', bucketOf('failed', null)));
    await db
      .updateTable('sync_event_log')
      .set({ outcome: 'applied', action: 'created', remote_key: 'B-1' })
      .where('seq', '=', 1)
      .execute();
    await db
      .updateTable('sync_event_log')
      .set({ outcome: 'failed', message: 'incoming rule failed' })
      .where('seq', '=', 2)
      .execute();
    await finishIfDone(db, id);
    expect(await getRun(db, id)).toMatchObject({
      status: 'finished',
      processed: 4,
      pending: 0,
      created: 1,
      errors: 2,
    });
    const lines = await runReport(db, id);
    const run = csvCell(id); // a run id may begin with '-': guarded like any cell
    expect(runReportCsv(id, lines, 'data').trim().split('\r\n')).toEqual([
      'run_id,entity_id,entity_key,action,message,side,remote_key',
      `${run},b,INC2,skipped,unchanged since the last sync,here,`,
      `${run},a,,created,,partner,B-1`,
    ]);
    const errors = runReportCsv(id, lines, 'errors').trim().split('\r\n');
    expect(errors[1]).toBe(`${run},c,INC3,error,"'=HYPERLINK(""x""), line 3",here,`);
    expect(errors).toContain(`${run},d,,error,incoming rule failed,partner,`);
    expect(errors).toHaveLength(4);
    expect(runReportCsv(id, lines, 'all').trim().split('\r\n')).toHaveLength(6);
  });
});

describe('hybrid logical clock', () => {
  it('orders stamps as strings, moves past observed stamps, and breaks ties by node id', () => {
    let t = 1000;
    const a = createHlc('a', () => t);
    const b = createHlc('b', () => t);
    const a1 = a.now();
    const a2 = a.now();
    expect(a2 > a1).toBe(true);
    b.observe(a2);
    const b1 = b.now();
    expect(b1 > a2).toBe(true);
    t = 500; // the wall clock goes back: stamps still increase
    expect(a.now() > a2).toBe(true);
    expect(createHlc('b', () => 7).now() > createHlc('a', () => 7).now()).toBe(true);
  });
});

describe('twins', () => {
  it('saves many twins in one go: new ones get defaults, existing ones only the columns given', async () => {
    const { db } = host.services;
    await saveTwin(db, 'c1', 'old', { remote_id: 'r-old', status: 'synced', local_replica: '{"a":1}' });
    const saves: TwinSave[] = [
      { localId: 'old', set: { status: 'error' } },
      ...Array.from({ length: 250 }, (_, i) => ({
        localId: `n${i}`,
        set: { local_replica: `{"n":${i}}`, status: 'pending' },
      })),
      { localId: 'n7', set: { remote_id: 'r7', status: 'synced' } }, // a later save of the same twin wins
    ];
    await db.transaction().execute((tx) => saveTwins(tx, 'c1', saves));
    const twins = await twinsByLocal(db, 'c1', ['old', 'n0', 'n7', 'n249']);
    expect(twins.get('old')).toMatchObject({ remote_id: 'r-old', status: 'error', local_replica: '{"a":1}' });
    expect(twins.get('n0')).toMatchObject({
      remote_id: null,
      status: 'pending',
      local_replica: '{"n":0}',
      field_clocks: '{}',
      manual: 0,
    });
    expect(twins.get('n7')).toMatchObject({ remote_id: 'r7', status: 'synced', local_replica: '{"n":7}' });
    expect(twins.get('n249')).toMatchObject({ local_replica: '{"n":249}' });
    expect((await twinsByLocal(db, 'c2', ['n0'])).size).toBe(0);
  });

  it('writes a transaction’s twin saves and deletes in the order they were made', async () => {
    const { db } = host.services;
    await saveTwin(db, 'c1', 'gone', { remote_id: 'r-gone', status: 'synced' });
    const twins = twinWriter('c1');
    twins.save('a', { remote_id: 'r-a', status: 'synced' });
    twins.delete('a');
    twins.save('a', { status: 'pending' });
    twins.save('b', { remote_id: 'r-b' });
    twins.delete('gone');
    await db.transaction().execute((tx) => twins.flush(tx));
    const rows = await twinsByLocal(db, 'c1', ['a', 'b', 'gone']);
    expect(rows.get('a')).toMatchObject({ remote_id: null, status: 'pending' }); // re-created after the delete
    expect(rows.get('b')).toMatchObject({ remote_id: 'r-b' });
    expect(rows.has('gone')).toBe(false);
  });
});
