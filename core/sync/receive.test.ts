// Receiving a frame: events applied in the transaction that records them; held ones wait in the inbox.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scriptMode } from '../../modes/script/script-mode.ts';
import {
  type InProcessHost,
  inProcessHost,
  insertConnection,
  syncContext,
} from '../../tests/support/in-process.ts';
import { createSandbox, type ManagedSandbox } from '../sandbox/create-sandbox.ts';
import type { RuleProgram } from '../sandbox/sandbox.ts';
import { syncConnection } from './connections-view.ts';
import type { SyncContext } from './context.ts';
import type { SyncEvent } from './events.ts';
import { receiveEvents } from './receive.ts';

let host: InProcessHost;
let sandbox: ManagedSandbox;
let ctx: SyncContext;

const program = (incoming = scriptMode.defaults().incoming): RuleProgram => ({
  version: `v-${incoming.length}`,
  outgoing: scriptMode.defaults().outgoing,
  incoming,
});

beforeEach(async () => {
  host = await inProcessHost();
  sandbox = createSandbox({ timeoutMs: 1000 });
  await insertConnection(host.services.db, 'c1', 'script');
  ctx = syncContext(host, sandbox);
});
afterEach(async () => {
  await sandbox.close();
  await host.close();
});

let clock = 0;
const upsert = (remoteId: string, summary: string): SyncEvent => ({
  kind: 'upsert',
  entityId: remoteId,
  key: null,
  twinId: null,
  replica: { type: 'incident', summary },
  clocks: {},
  clock: `${String(Date.now()).padStart(15, '0')}-${String(++clock).padStart(6, '0')}-node-a`,
});
const frame = (from: number, events: SyncEvent[]) => events.map((event, i) => ({ seq: from + i, event }));

async function receive(events: Array<{ seq: number; event: SyncEvent }>, rules = program()) {
  const conn = (await syncConnection(host.services.db, 'c1'))!;
  return receiveEvents(ctx, 'c1', events, { conn, program: rules });
}
const inbox = () =>
  host.services.db
    .selectFrom('sync_inbox')
    .select(['seq', 'remote_id', 'status', 'error_id'])
    .orderBy('seq')
    .execute();
const summaries = async () =>
  (await host.services.tracker.list({ limit: 50 })).items.map((e) => e.fields.summary).sort();
const inHigh = async () =>
  (await host.services.db.selectFrom('sync_streams').select('in_high').executeTakeFirst())?.in_high;

describe('receiving a frame', () => {
  it('applies its events in the commit that records them: no inbox row, the twin and the high-water mark written', async () => {
    const r = await receive(frame(1, [upsert('r1', 'one'), upsert('r2', 'two')]));
    expect(r).toEqual({ high: 2, accepted: 2, duplicates: 0, gap: false });
    expect(await summaries()).toEqual(['one', 'two']);
    expect(await inbox()).toEqual([]);
    expect(await inHigh()).toBe(2);
    const twins = await host.services.db.selectFrom('sync_twins').select('remote_id').execute();
    expect(twins.map((t) => t.remote_id).sort()).toEqual(['r1', 'r2']);
    // The peer learns the twin ids: one twin event per created entity.
    const out = await host.services.db.selectFrom('sync_outbox').select('kind').execute();
    expect(out.map((o) => o.kind)).toEqual(['twin', 'twin']);
  });

  it('drops duplicates and stops at a gap, as the inbox does', async () => {
    await receive(frame(1, [upsert('r1', 'one')]));
    const r = await receive([...frame(1, [upsert('r1', 'one again')]), ...frame(3, [upsert('r3', 'three')])]);
    expect(r).toEqual({ high: 1, accepted: 0, duplicates: 1, gap: true });
    expect(await summaries()).toEqual(['one']);
    expect(await inbox()).toEqual([]);
  });

  it('keeps a later event of the same entity, and every event of an entity held in the inbox, waiting in order', async () => {
    await receive(frame(1, [upsert('held', 'held v1')]), program('throw new Error("no")'));
    expect(await inbox()).toMatchObject([{ seq: 1, remote_id: 'held', status: 'failed' }]);
    const r = await receive(
      frame(2, [
        upsert('r1', 'one v1'),
        upsert('held', 'held v2'),
        upsert('r1', 'one v2'),
        upsert('r2', 'two'),
      ]),
    );
    expect(r.accepted).toBe(4);
    expect(await summaries()).toEqual(['one v1', 'two']);
    expect(await inbox()).toMatchObject([
      { seq: 1, remote_id: 'held', status: 'failed' },
      { seq: 3, remote_id: 'held', status: 'pending' },
      { seq: 4, remote_id: 'r1', status: 'pending' },
    ]);
    expect(await inHigh()).toBe(5);
  });

  it("holds an event whose rule fails as an entity error while the frame's other events apply", async () => {
    const rules = program(
      `if (replica.summary === 'bad') throw new Error('bad one');\n${scriptMode.defaults().incoming}`,
    );
    await receive(frame(1, [upsert('r1', 'good'), upsert('r2', 'bad'), upsert('r3', 'fine')]), rules);
    expect(await summaries()).toEqual(['fine', 'good']);
    const [row] = await inbox();
    expect(row).toMatchObject({ seq: 2, remote_id: 'r2', status: 'failed' });
    const error = await host.services.db
      .selectFrom('sync_errors')
      .selectAll()
      .where('id', '=', row!.error_id!)
      .executeTakeFirstOrThrow();
    expect(error).toMatchObject({ level: 'entity', status: 'open', event_seq: 2, remote_id: 'r2' });
    expect(error.message).toContain('bad one');
  });

  it('stores the whole frame in the inbox when the connection cannot apply now', async () => {
    const r = await receiveEvents(ctx, 'c1', frame(1, [upsert('r1', 'one')]), undefined);
    expect(r.accepted).toBe(1);
    expect(await summaries()).toEqual([]);
    expect(await inbox()).toMatchObject([{ seq: 1, remote_id: 'r1', status: 'pending' }]);
  });

  it('stores the frame in the inbox when an event breaks the write, so the apply step parks it', async () => {
    const rules = program(`entity.type = 'no-such-type';\nentity.summary = replica.summary;`);
    const r = await receive(frame(1, [upsert('r1', 'one'), upsert('r2', 'two')]), rules);
    expect(r.accepted).toBe(2);
    expect(await summaries()).toEqual([]);
    expect(await inbox()).toMatchObject([
      { seq: 1, status: 'pending' },
      { seq: 2, status: 'pending' },
    ]);
    expect(await inHigh()).toBe(2);
  });
});
