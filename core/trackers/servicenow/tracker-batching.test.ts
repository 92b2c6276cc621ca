// The ServiceNow tracker's calls: writes side by side in one Batch API request, keys that outlive a restart, the tables followed, close.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FakeServiceNow } from '../../../tests/support/fake-servicenow.ts';
import { startFakeServiceNow } from '../../../tests/support/fake-servicenow.ts';
import { FAKE_T0 } from '../../../tests/support/fake-servicenow-client.ts';
import { type TestDatabase, testDatabase } from '../../../tests/support/test-database.ts';
import type { Entity, WriteContext, WriteOutcome } from '../tracker.ts';
import { createServiceNowClient } from './client.ts';
import { parseServiceNowConfig } from './config.ts';
import { createServiceNowTracker, FOLLOW_CLOCK_SKEW_MS, type ServiceNowTracker } from './tracker.ts';
import { KEYS_KEPT_MS } from './write-keys.ts';

let sn: FakeServiceNow;
let database: TestDatabase;
let clock: number;
const made: ServiceNowTracker[] = [];

function newTracker(): ServiceNowTracker {
  const env = {
    TANDEM_SERVICENOW_URL: sn.url,
    TANDEM_SERVICENOW_USER: 'tandem',
    TANDEM_SERVICENOW_PASSWORD: 'pw',
  };
  const config = parseServiceNowConfig({ entityTypes: ['incident', 'problem'], pollMs: 5000 }, env);
  const client = createServiceNowClient({
    instanceUrl: sn.url,
    credentials: config.credentials,
    sleep: async (ms) => sn.advance(ms),
    now: () => sn.now(),
  });
  const t = createServiceNowTracker({ config, client, db: database.db, now: () => clock });
  made.push(t);
  return t;
}

beforeEach(async () => {
  sn = await startFakeServiceNow();
  sn.setNow(FAKE_T0);
  sn.addUser({ userName: 'tandem', password: 'pw', roles: ['itil'] });
  database = await testDatabase();
  clock = FAKE_T0;
});
afterEach(async () => {
  for (const t of made.splice(0)) t.close();
  await sn.close();
  await database.close();
});

const entityOf = (r: WriteOutcome): Entity => {
  if (r.outcome !== 'applied' && r.outcome !== 'replayed') throw new Error(JSON.stringify(r));
  return r.entity!;
};
const keyed = (key: string, more: Partial<WriteContext> = {}): WriteContext => ({
  origin: 'connection:c1',
  idempotencyKey: key,
  ...more,
});

describe('the ServiceNow tracker, calls per write', () => {
  it('sends writes made side by side as one Batch API request, and reads their comments back in one query', async () => {
    const tracker = newTracker();
    const creates = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        tracker.write(
          { op: 'create', type: 'incident', fields: { summary: `Disk ${i}`, priority: 2 } },
          keyed(`c1:${i}`, { correlationId: `peer-${i}`, firstTry: true }),
        ),
      ),
    );
    expect(creates.map((r) => r.outcome)).toEqual(Array(10).fill('applied'));
    expect(sn.callsByRoute()).toEqual({ 'POST /api/now/v1/batch': 1 });
    expect(sn.records('incident').map((r) => r.correlation_id)).toEqual(
      Array.from({ length: 10 }, (_, i) => `peer-${i}`),
    );

    sn.clearRequests();
    const ids = creates.map((r) => entityOf(r).id);
    const comments = await Promise.all(
      ids.map((id, i) =>
        tracker.write(
          { op: 'comment', id, comment: { body: `Note ${i}`, author: 'Bo', internal: i % 2 === 1 } },
          keyed(`c1:${i}:comment:x`, { firstTry: true, current: entityOf(creates[i]!) }),
        ),
      ),
    );
    expect(comments.map((r) => entityOf(r).comments.map((c) => [c.body, c.internal]))).toEqual(
      ids.map((_, i) => [[`Note ${i}`, i % 2 === 1]]),
    );
    expect(sn.callsByRoute()).toEqual({
      'POST /api/now/v1/batch': 1,
      'GET /api/now/table/sys_journal_field': 1,
    });

    // A replay (not a first try) is answered from the keys: no second record, no second comment.
    sn.clearRequests();
    const replays = await Promise.all(
      ids.map((_, i) =>
        tracker.write(
          { op: 'create', type: 'incident', fields: { summary: `Disk ${i}` } },
          keyed(`c1:${i}`, { correlationId: `peer-${i}` }),
        ),
      ),
    );
    expect(replays.map((r) => r.outcome)).toEqual(Array(10).fill('replayed'));
    expect(sn.records('incident')).toHaveLength(10);
    // Replays read the records back as reads do: with their attachments (one Attachment API query).
    expect(sn.callsByRoute()).toEqual({
      'GET /api/now/table/incident': 1,
      'GET /api/now/table/sys_journal_field': 1,
      'GET /api/now/attachment': 1,
    });
  });

  it('waits for joined callers busy elsewhere (a database round trip) before it sends their writes and reads', async () => {
    const tracker = newTracker();
    // Each caller's "database read" ends at its own time (PostgreSQL's round trips), not in one turn.
    const busy = (i: number) => new Promise((r) => setTimeout(r, 5 + i * 7));
    const ids = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const leave = tracker.joinWrites();
        try {
          await busy(i);
          const created = await tracker.write(
            { op: 'create', type: 'incident', fields: { summary: `Disk ${i}` } },
            keyed(`c1:${i}`, { firstTry: true }),
          );
          await busy(5 - i);
          // Read back (no `current`): the reads wait for each other too.
          await tracker.write(
            {
              op: 'comment',
              id: entityOf(created).id,
              comment: { body: `Note ${i}`, author: 'Bo', internal: false },
            },
            keyed(`c1:${i}:comment`, { firstTry: true }),
          );
          return entityOf(created).id;
        } finally {
          leave();
        }
      }),
    );
    // A joined caller that leaves without writing holds nobody.
    const idle = tracker.joinWrites();
    setTimeout(idle, 20);
    await tracker.write(
      { op: 'update', id: ids[0]!, fields: { priority: 1 } },
      keyed('c1:late', { firstTry: true }),
    );
    expect(ids.every((id) => sn.journal(id).length === 1)).toBe(true);
    expect(sn.callsByRoute()).toEqual({
      'POST /api/now/v1/batch': 2,
      'GET /api/now/table/incident': 2,
      'GET /api/now/table/sys_journal_field': 3,
      'GET /api/now/attachment': 2,
      'PATCH /api/now/table/incident/{sys_id}': 1,
    });
  });

  it("gives each batched write its own outcome: a record deleted in ServiceNow is that write's not_found", async () => {
    const tracker = newTracker();
    const recs = [0, 1, 2].map((i) => sn.seed('incident', { short_description: `R${i}` }));
    const current = await tracker.getMany(recs.map((r) => r.sys_id!));
    sn.remove('incident', recs[1]!.sys_id!);
    sn.clearRequests();
    const results = await Promise.all(
      recs.map((r, i) =>
        tracker.write(
          { op: 'update', id: r.sys_id!, fields: { description: `edited ${i}` } },
          keyed(`c1:u${i}`, { firstTry: true, current: current.get(r.sys_id!)! }),
        ),
      ),
    );
    expect(results.map((r) => r.outcome)).toEqual(['applied', 'not_found', 'applied']);
    expect(sn.callsByRoute()).toEqual({ 'POST /api/now/v1/batch': 1 });
    expect(sn.record('incident', recs[2]!.sys_id!)?.description).toBe('edited 2');
  });

  it('sends again on its own a batched write the instance turned away or did not get to', async () => {
    const tracker = newTracker();
    sn.inject({
      kind: 'raw',
      path: '/api/now/v1/batch',
      body: JSON.stringify({
        batch_request_id: 'b',
        serviced_requests: [{ id: '0', status_code: 503, body: '' }],
        unserviced_requests: ['1'],
      }),
    });
    const results = await Promise.all(
      [0, 1].map((i) =>
        tracker.write(
          { op: 'create', type: 'incident', fields: { summary: `Turned away ${i}` } },
          keyed(`c1:t${i}`, { correlationId: `peer-t${i}`, firstTry: true }),
        ),
      ),
    );
    expect(results.map((r) => r.outcome)).toEqual(['applied', 'applied']);
    expect(sn.records('incident').map((r) => r.correlation_id)).toEqual(['peer-t0', 'peer-t1']);
    expect(sn.callsByRoute()).toEqual({ 'POST /api/now/v1/batch': 1, 'POST /api/now/table/incident': 2 });
  });

  it('finds the creates of a batch whose answer was lost instead of making them twice', async () => {
    const tracker = newTracker();
    sn.inject({ kind: 'dropAfter', path: '/api/now/v1/batch' });
    const results = await Promise.all(
      [0, 1, 2].map((i) =>
        tracker.write(
          { op: 'create', type: 'incident', fields: { summary: `Lost answer ${i}` } },
          keyed(`c1:l${i}`, { correlationId: `peer-l${i}`, firstTry: true }),
        ),
      ),
    );
    expect(results.map((r) => r.outcome)).toEqual(['applied', 'applied', 'applied']);
    expect(sn.records('incident').map((r) => r.correlation_id)).toEqual(['peer-l0', 'peer-l1', 'peer-l2']);
  });

  it('remembers the key of an update across a restart (the same database): a replay is not sent again', async () => {
    const rec = sn.seed('incident', { short_description: 'Keyed' });
    const first = newTracker();
    const r = await first.write(
      { op: 'update', id: rec.sys_id!, fields: { description: 'once' } },
      keyed('c1:42', { firstTry: true }),
    );
    expect(r.outcome).toBe('applied');
    first.close();
    sn.update('incident', rec.sys_id!, { description: 'changed by a person since' });
    sn.clearRequests();
    const again = newTracker();
    const replay = await again.write(
      { op: 'update', id: rec.sys_id!, fields: { description: 'once' } },
      keyed('c1:42'),
    );
    expect(replay).toMatchObject({ outcome: 'replayed', entity: { id: rec.sys_id } });
    expect(sn.record('incident', rec.sys_id!)?.description).toBe('changed by a person since');
    expect(Object.keys(sn.callsByRoute()).filter((route) => !route.startsWith('GET'))).toEqual([]);

    // Kept a week: a write after that prunes it.
    clock += KEYS_KEPT_MS + 1;
    await again.write(
      { op: 'update', id: rec.sys_id!, fields: { description: 'later' } },
      keyed('c1:43', { firstTry: true }),
    );
    const kept = await database.db.selectFrom('servicenow_write_keys').select('key').execute();
    expect(kept.map((k) => k.key)).toEqual(['c1:43']);
  });
});

describe('the ServiceNow tracker, tables followed', () => {
  it('polls only the tables of the types followed; a table followed later starts at its need', async () => {
    const tracker = newTracker();
    tracker.follow([{ type: 'incident', since: new Date(FAKE_T0).toISOString() }]);
    const head = await tracker.head();
    sn.seed('incident', { short_description: 'Inc' });
    sn.seed('problem', { short_description: 'Early problem' });
    sn.advance(FOLLOW_CLOCK_SKEW_MS + 60_000);
    const page = await tracker.changes(head, 100);
    expect(page.changes.map((c) => c.entityType)).toEqual(['incident']);
    expect(sn.calls('GET /api/now/table/problem')).toBe(0);

    // Problems are needed from now on: one made after is read, the early one (before the need) is not.
    const need = sn.now();
    const late = sn.seed('problem', { short_description: 'Late problem' });
    tracker.follow([
      { type: 'incident', since: new Date(FAKE_T0).toISOString() },
      { type: 'problem', since: new Date(need).toISOString() },
    ]);
    const next = await tracker.changes(page.cursor, 100);
    expect(next.changes.map((c) => c.entityId)).toEqual([late.sys_id]);

    // No longer needed: no more polls of it, and it leaves the cursor.
    tracker.follow([{ type: 'incident', since: new Date(FAKE_T0).toISOString() }]);
    sn.clearRequests();
    clock += 5000;
    await tracker.changes(next.cursor, 100);
    expect(sn.calls('GET /api/now/table/problem')).toBe(0);
    expect(sn.calls('GET /api/now/table/incident')).toBe(1);
  });

  it('close() stops the poller: the watcher is woken no more and no timer is left', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const tracker = newTracker();
      const woken = vi.fn();
      tracker.watch(woken);
      vi.advanceTimersByTime(10_000);
      expect(woken).toHaveBeenCalledTimes(2);
      expect(vi.getTimerCount()).toBe(1);
      tracker.close();
      vi.advanceTimersByTime(60_000);
      expect(woken).toHaveBeenCalledTimes(2);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
