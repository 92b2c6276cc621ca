// The apply journal on a tracker that cannot join our transaction: a crash between the external write and
// its done row replays the event once, and our own writes are not sent back.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scriptMode } from '../../modes/script/script-mode.ts';
import {
  type InProcessHost,
  inProcessHost,
  insertConnection,
  syncContext,
} from '../../tests/support/in-process.ts';
import { createSandbox, type ManagedSandbox } from '../sandbox/create-sandbox.ts';
import type { RuleProgram, RuleResult } from '../sandbox/sandbox.ts';
import type { WriteContext, WriteRequest } from '../trackers/tracker.ts';
import { syncConnection } from './connections-view.ts';
import type { SyncContext } from './context.ts';
import type { SyncEvent } from './events.ts';
import { commitInbox, retryInbox } from './inbox.ts';
import { applyJournaled, originsOf } from './journal.ts';
import { pruneJournal } from './journal-writes.ts';
import { receiveEvents } from './receive.ts';

let host: InProcessHost;
let sandbox: ManagedSandbox;
let ctx: SyncContext;

const program: RuleProgram = {
  version: 'v1',
  outgoing: scriptMode.defaults().outgoing,
  incoming: scriptMode.defaults().incoming,
};

let tick = 0;
const upsert = (remoteId: string, summary: string): SyncEvent => ({
  kind: 'upsert',
  entityId: remoteId,
  key: null,
  twinId: null,
  replica: { type: 'incident', summary },
  clocks: {},
  clock: `${String(Date.now()).padStart(15, '0')}-${String(++tick).padStart(6, '0')}-node-a`,
});

beforeEach(async () => {
  host = await inProcessHost({ tracker: 'memory' });
  sandbox = createSandbox({ timeoutMs: 1000 });
  await insertConnection(host.services.db, 'c1', 'script');
  ctx = syncContext(host, sandbox);
});
afterEach(async () => {
  await sandbox.close();
  await host.close();
});

const db = () => host.services.db;
const tracker = () => host.services.tracker;
const conn = async () => (await syncConnection(db(), 'c1'))!;
const journal = () =>
  db().selectFrom('sync_apply_journal').select(['seq', 'status']).orderBy('seq').execute();

describe('apply journal', () => {
  it('received events wait in the inbox and apply through the journal: row done, twin and version recorded', async () => {
    const c = await conn();
    await receiveEvents(ctx, 'c1', [{ seq: 1, event: upsert('r1', 'one') }], { conn: c, program });
    expect(await db().selectFrom('sync_inbox').select('seq').execute()).toEqual([{ seq: 1 }]);
    expect(await applyJournaled(ctx, c, program)).toBe(1);
    const [e] = (await tracker().list({ limit: 10 })).items;
    expect(e?.fields.summary).toBe('one');
    expect(await journal()).toEqual([{ seq: 1, status: 'done' }]);
    expect(await db().selectFrom('sync_inbox').selectAll().execute()).toEqual([]);
    expect(await db().selectFrom('sync_twins').select(['local_id', 'remote_id']).execute()).toEqual([
      { local_id: e!.id, remote_id: 'r1' },
    ]);
    // The feed reports our write without an origin; the journal says whose it was.
    const { changes } = await tracker().changes(null, 10);
    expect(changes.map((ch) => ch.origin)).toEqual([undefined]);
    expect(await originsOf(db(), changes)).toEqual(['connection:c1']);
    // A change of someone else's is not ours.
    await tracker().update(e!.id, { status: 'in_progress' }, { origin: 'local' });
    const after = (await tracker().changes(null, 10)).changes;
    expect(await originsOf(db(), after)).toEqual(['connection:c1', undefined]);
  });

  it('after a crash between the external create and its done row, the replay finds the record: exactly one', async () => {
    const c = await conn();
    await commitInbox(db(), 'c1', [
      { seq: 1, event: upsert('r1', 'one') },
      { seq: 2, event: upsert('r1', 'one, edited') },
    ]);
    // The state a kill -9 leaves: the intent recorded, the external create made (keyed), nothing else.
    const decided: RuleResult = {
      ok: true,
      script: 'incoming',
      entity: { type: 'incident', summary: 'one' },
    } as RuleResult;
    await db()
      .insertInto('sync_apply_journal')
      .values({
        connection_id: 'c1',
        seq: 1,
        remote_id: 'r1',
        result: JSON.stringify(decided),
        status: 'pending',
        created_at: new Date().toISOString(),
        done_at: null,
      })
      .execute();
    await tracker().write(
      { op: 'create', type: 'incident', fields: { summary: 'one' } },
      { origin: 'connection:c1', idempotencyKey: 'c1:1', correlationId: 'r1' },
    );
    // The pending event comes first for its entity; the later one waits for it.
    expect(await applyJournaled(ctx, c, program)).toBe(1);
    expect(await journal()).toEqual([{ seq: 1, status: 'done' }]);
    expect((await tracker().list({ limit: 10 })).items).toHaveLength(1);
    expect(await applyJournaled(ctx, c, program)).toBe(1);
    const items = (await tracker().list({ limit: 10 })).items;
    expect(items.map((e) => e.fields.summary)).toEqual(['one, edited']);
    expect(await journal()).toEqual([
      { seq: 1, status: 'done' },
      { seq: 2, status: 'done' },
    ]);
    expect(await db().selectFrom('sync_twins').select('remote_id').execute()).toEqual([{ remote_id: 'r1' }]);
  });

  it('an unavailable tracker leaves the row pending and the event in the inbox; the replay applies it once', async () => {
    const c = await conn();
    await commitInbox(db(), 'c1', [{ seq: 1, event: upsert('r1', 'one') }]);
    const real = tracker();
    const down: SyncContext = {
      ...ctx,
      tracker: {
        ...real,
        write: async () => ({ outcome: 'unavailable', message: 'rate limited', retryAfterMs: 2000 }),
      },
    };
    await expect(applyJournaled(down, c, program)).rejects.toThrow('retry in 2000 ms');
    expect(await journal()).toEqual([{ seq: 1, status: 'pending' }]);
    expect(await db().selectFrom('sync_inbox').select('seq').execute()).toEqual([{ seq: 1 }]);
    expect(await applyJournaled(ctx, c, program)).toBe(1);
    expect(await journal()).toEqual([{ seq: 1, status: 'done' }]);
    expect((await real.list({ limit: 10 })).items.map((e) => e.fields.summary)).toEqual(['one']);
  });

  it('prunes journal rows done before a time with the versions they recorded; pending rows stay', async () => {
    const row = (seq: number, status: 'pending' | 'done', doneAt: string | null) => ({
      connection_id: 'c1',
      seq,
      remote_id: `r${seq}`,
      result: '{}',
      status,
      created_at: '2026-01-01T00:00:00.000Z',
      done_at: doneAt,
    });
    await db()
      .insertInto('sync_apply_journal')
      .values([
        row(1, 'done', '2026-01-01T00:00:00.000Z'),
        row(2, 'done', '2026-03-01T00:00:00.000Z'),
        row(3, 'pending', null),
      ])
      .execute();
    await db()
      .insertInto('sync_apply_versions')
      .values([
        { entity_id: 'e1', version: 1, connection_id: 'c1', seq: 1 },
        { entity_id: 'e2', version: 4, connection_id: 'c1', seq: 2 },
      ])
      .execute();
    await pruneJournal(db(), '2026-02-01T00:00:00.000Z');
    expect(await journal()).toEqual([
      { seq: 2, status: 'done' },
      { seq: 3, status: 'pending' },
    ]);
    expect(await db().selectFrom('sync_apply_versions').select('seq').execute()).toEqual([{ seq: 2 }]);
  });

  it('a first try says so to the tracker; the retry of a refused event does not (its create may have landed)', async () => {
    const c = await conn();
    const event = upsert('r1', 'one');
    if (event.kind === 'upsert')
      event.replica.comments = [{ id: 'rc1', author: 'Partner', body: 'Hello', internal: false }];
    await commitInbox(db(), 'c1', [{ seq: 1, event }]);
    const real = tracker();
    const seen: Array<[WriteRequest['op'], boolean | undefined]> = [];
    let refuse = true;
    const spying: SyncContext = {
      ...ctx,
      tracker: {
        ...real,
        write: async (request: WriteRequest, context: WriteContext) => {
          seen.push([request.op, context.firstTry]);
          if (request.op === 'comment' && refuse)
            return { outcome: 'rejected', message: 'comments are closed', issues: [] };
          return real.write(request, context);
        },
      },
    };
    // The create lands, then its comment is refused: the event is parked.
    expect(await applyJournaled(spying, c, program)).toBe(1);
    expect(await journal()).toEqual([{ seq: 1, status: 'rerun' }]);
    expect(await db().selectFrom('sync_inbox').select('status').execute()).toEqual([{ status: 'failed' }]);
    // Retried: not a first try, so the create finds its record by correlation id instead of making another.
    refuse = false;
    await retryInbox(db(), 'c1', 1);
    expect(await applyJournaled(spying, c, program)).toBe(1);
    expect(seen).toEqual([
      ['create', true],
      ['comment', true],
      ['create', undefined],
      ['comment', undefined],
    ]);
    const items = (await real.list({ limit: 10 })).items;
    expect(items).toHaveLength(1);
    expect(items[0]!.comments.map((x) => x.body)).toEqual(['Hello']);
    expect(await journal()).toEqual([{ seq: 1, status: 'done' }]);
  });
});
