// One unusable received event does not stop the stream: recorded, acknowledged, refused to the sender, who records it too.
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scriptMode } from '../../modes/script/script-mode.ts';
import { waitFor } from '../../tests/support/host-process.ts';
import { type InProcessHost, inProcessHost, insertConnection } from '../../tests/support/in-process.ts';
import { MAX_JSON_DEPTH } from '../json-bounds.ts';
import type { FrameHandler, LinkFrame, LinkHub } from '../link/link-hub.ts';
import { createSandbox, type ManagedSandbox } from '../sandbox/create-sandbox.ts';
import { createDelivery, type DeliveryOptions } from './delivery.ts';
import { createSyncEngine, type SyncEngine } from './engine.ts';
import type { SyncEvent } from './events.ts';
import { commitInbox } from './inbox.ts';
import { appendOutbox } from './outbox.ts';
import { ensureStream } from './streams.ts';
import { saveTwin, twinByLocal } from './twins.ts';

/** A LinkHub whose peer is the test: it records what is sent, and the test calls the handlers. */
function testLink() {
  const handlers = new Map<string, FrameHandler>();
  const sent: LinkFrame[] = [];
  const hub: LinkHub = {
    isUp: () => true,
    send(_id, frame) {
      sent.push(JSON.parse(JSON.stringify(frame)) as LinkFrame);
      return true;
    },
    bufferedAmount: () => 0,
    handle: (ch, h) => void handlers.set(ch, h),
    onStatus: () => () => {},
  };
  const deliver = async (ch: string, frame: Record<string, unknown>) => {
    const handler = handlers.get(ch);
    if (!handler) throw new Error(`no handler for ${ch}`);
    await handler('c1', { ch, ...frame });
  };
  return { hub, sent, deliver };
}

/** `levels` objects nested in one another: `{ a: { a: ... 1 } }`. */
function nested(levels: number): Record<string, unknown> {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v as Record<string, unknown>;
}

const upsert = (entityId: string, summary: string, extra: Record<string, unknown> = {}): SyncEvent => ({
  kind: 'upsert',
  entityId,
  key: null,
  twinId: null,
  replica: { type: 'incident', summary, ...extra },
  clocks: {},
  clock: `${String(Date.now()).padStart(15, '0')}-000001-node-a`,
});

let host: InProcessHost;
const closers: Array<() => Promise<void> | void> = [];
beforeEach(async () => {
  host = await inProcessHost({ config: { log: { level: 'silent' } } });
  await insertConnection(host.services.db, 'c1', 'script');
});
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await host.close();
});

function delivery(link: ReturnType<typeof testLink>, extra: Partial<DeliveryOptions> = {}) {
  const d = createDelivery({
    db: host.services.db,
    link: link.hub,
    log: host.services.log,
    canSend: async () => true,
    onInbox: () => {},
    ...extra,
  });
  const stop = d.start();
  closers.push(async () => {
    stop();
    await d.close();
  });
  return d;
}

const errors = () =>
  host.services.db
    .selectFrom('sync_errors')
    .selectAll()
    .where('status', '=', 'open')
    // NULLs (errors no event names) first on both engines: PostgreSQL puts them last by default.
    .orderBy(sql`coalesce(event_seq, -1)`)
    .execute();
const inbox = () =>
  host.services.db.selectFrom('sync_inbox').select(['seq', 'remote_id', 'status']).orderBy('seq').execute();
const acks = (link: ReturnType<typeof testLink>) => link.sent.filter((f) => f.ch === 'sync.ack');
/** What was sent of the event stream (the outcomes that follow each commit aside). */
const stream = (link: ReturnType<typeof testLink>) => link.sent.filter((f) => f.ch !== 'sync.outcomes');

describe('the receiving side', () => {
  it('records a replica nested past the bound and an invalid event, acknowledges them and refuses them to the sender', async () => {
    const link = testLink();
    delivery(link);
    // The replica is level 0, `deep` level 1: MAX_JSON_DEPTH levels of containers pass, one more does not.
    const frame = {
      events: [
        { seq: 1, event: upsert('r1', 'too deep', { deep: nested(MAX_JSON_DEPTH + 1) }) },
        { seq: 2, event: upsert('r2', 'fine') },
        { seq: 3, event: { kind: 'upsert', entityId: 'r3' } },
        { seq: 4, event: upsert('r4', 'at the bound', { deep: nested(MAX_JSON_DEPTH) }) },
      ],
    };
    await link.deliver('sync.events', frame);
    await waitFor(() => acks(link).length === 1);
    // The refusals go before the ack, so the sender still holds the refused events when it reads them.
    expect(stream(link).map((f) => f.ch)).toEqual(['sync.refused', 'sync.ack']);
    expect(stream(link)[1]).toEqual({ ch: 'sync.ack', upTo: 4 });
    const refused = (
      stream(link)[0] as unknown as { refused: Array<{ seq: number; code: string; reason: string }> }
    ).refused;
    expect(refused.map((r) => [r.seq, r.code])).toEqual([
      [1, 'replica_too_deep'],
      [3, 'event_invalid'],
    ]);
    expect(refused[0]?.reason).toMatch(
      /^the replica is nested more than 64 levels deep at replica\.deep(\.a)+$/,
    );
    expect(await inbox()).toEqual([
      { seq: 2, remote_id: 'r2', status: 'pending' },
      { seq: 4, remote_id: 'r4', status: 'pending' },
    ]);
    const open = await errors();
    expect(open.map((e) => [e.level, e.direction, e.remote_id, e.event_seq])).toEqual([
      ['entity', 'in', 'r1', 1],
      ['entity', 'in', 'r3', 3],
    ]);
    expect(open[0]?.message).toMatch(
      /^The partner sent a replica nested more than 64 levels deep at replica\.deep(\.a)+: event 1 was refused/,
    );
    expect(open[1]?.message).toMatch(/^The partner sent an event that is not valid/);
    // Their outcomes go back too, after the commit: failed, refused (the others wait in the inbox).
    await waitFor(() => link.sent.some((f) => f.ch === 'sync.outcomes'));
    const told = link.sent.find((f) => f.ch === 'sync.outcomes') as unknown as {
      outcomes: Array<{ seq: number; outcome: string; action: string; error: { id: string } }>;
    };
    expect(told.outcomes.map((o) => [o.seq, o.outcome, o.action])).toEqual([
      [1, 'failed', 'refused'],
      [3, 'failed', 'refused'],
    ]);
    expect(told.outcomes.map((o) => o.error.id)).toEqual(open.map((e) => e.id));

    // The frame again (its ack was lost): duplicates, refused again, recorded once.
    await link.deliver('sync.events', frame);
    await waitFor(() => acks(link).length === 2);
    expect(
      stream(link)
        .slice(2)
        .map((f) => f.ch),
    ).toEqual(['sync.refused', 'sync.ack']);
    expect(acks(link)[1]).toEqual({ ch: 'sync.ack', upTo: 4 });
    expect(await errors()).toHaveLength(2);
    expect(await inbox()).toHaveLength(2);
  });

  it('applies the events after a refused one, the same entity included', async () => {
    const link = testLink();
    const sandbox: ManagedSandbox = createSandbox({ timeoutMs: 1000 });
    const program = { version: 'v1', ...scriptMode.defaults() };
    const engine: SyncEngine = createSyncEngine({
      db: host.services.db,
      tracker: host.services.tracker,
      log: host.services.log,
      nodeId: 'node-b',
      link: () => link.hub,
      rules: () => ({ program: async () => program }),
      sandbox: () => sandbox,
      tickMs: 100,
    });
    await engine.start();
    closers.push(() => sandbox.close());
    closers.push(() => engine.stop());
    await link.deliver('sync.events', {
      events: [
        { seq: 1, event: upsert('r1', 'deep first', { deep: nested(100) }) },
        { seq: 2, event: upsert('r2', 'other') },
        { seq: 3, event: upsert('r1', 'fixed') },
      ],
    });
    await waitFor(() => acks(link).some((a) => a.upTo === 3));
    const summaries = await waitFor(async () => {
      const items = (await host.services.tracker.list({ limit: 10 })).items;
      return items.length === 2 ? items.map((e) => e.fields.summary).sort() : undefined;
    });
    expect(summaries).toEqual(['fixed', 'other']);
    const open = await errors();
    expect(open.map((e) => [e.level, e.remote_id, e.event_seq])).toEqual([['entity', 'r1', 1]]);
  });

  it('records a commit that keeps failing, leaves the events unacknowledged, and closes the error once one works', async () => {
    const link = testLink();
    let failures = 2;
    delivery(link, {
      receive: async (id, events) => {
        if (failures-- > 0) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
        return commitInbox(host.services.db, id, events);
      },
    });
    const frame = { events: [{ seq: 1, event: upsert('r1', 'one') }] };
    await link.deliver('sync.events', frame);
    const recorded = await waitFor(async () => (await errors())[0]);
    expect(recorded).toMatchObject({ level: 'connection', connection_id: 'c1', direction: 'in' });
    expect(recorded?.message).toContain('Received events could not be stored: database is locked');
    await link.deliver('sync.events', frame); // the sender's resend, failing again: the same error
    await waitFor(async () => (await errors())[0]?.occurred_at !== recorded?.occurred_at);
    expect(await errors()).toHaveLength(1);
    expect(acks(link)).toEqual([]); // nothing acknowledged: the sender keeps the events
    await link.deliver('sync.events', frame);
    await waitFor(() => acks(link).length === 1);
    expect(acks(link)[0]).toEqual({ ch: 'sync.ack', upTo: 1 });
    expect(await inbox()).toEqual([{ seq: 1, remote_id: 'r1', status: 'pending' }]);
    await waitFor(async () => (await errors()).length === 0);
  });
});

describe('the sending side', () => {
  async function queued(events: SyncEvent[]) {
    const { db } = host.services;
    await ensureStream(db, 'c1', '0');
    await db.transaction().execute((tx) => appendOutbox(tx, 'c1', events));
    await saveTwin(db, 'c1', 'e1', { remote_id: 'r-e1', status: 'synced' });
  }

  it('records a refused event on the entity its outbox row names, with its twin held in error', async () => {
    const link = testLink();
    delivery(link);
    await queued([upsert('e1', 'one'), upsert('e2', 'two')]);
    await link.deliver('sync.refused', {
      refused: [
        {
          seq: 1,
          code: 'replica_too_deep',
          reason: 'the replica is nested more than 64 levels deep at replica.x',
        },
        { seq: 7, code: 'event_invalid', reason: 'the event is not valid (kind: Invalid input)' },
      ],
    });
    const open = await errors();
    expect(open.map((e) => [e.level, e.direction, e.entity_id, e.event_seq])).toEqual([
      ['entity', 'out', 'e1', 1],
      ['connection', 'out', null, 7], // no outbox row to name the entity
    ]);
    expect(open[0]?.message).toBe(
      'The partner refused event 1: the replica is nested more than 64 levels deep at replica.x',
    );
    expect((await twinByLocal(host.services.db, 'c1', 'e1'))?.status).toBe('error');
  });

  it('names the queued event a whole sync.events frame was refused for, and records other refusals on the connection', async () => {
    const link = testLink();
    delivery(link);
    await queued([upsert('e1', 'one', { deep: nested(200) }), upsert('e2', 'two')]);
    await link.deliver('link.refused', {
      refused: 'sync.events',
      code: 'frame_too_deep',
      message: 'The frame is nested more than 128 levels deep',
      path: 'events[0].event.replica.deep.a.a',
    });
    await link.deliver('link.refused', {
      refused: 'pair.state',
      code: 'frame_too_deep',
      message: 'The frame is nested more than 128 levels deep',
    });
    const open = await errors();
    expect(open.map((e) => [e.level, e.entity_id, e.event_seq])).toEqual([
      ['connection', null, null],
      ['entity', 'e1', 1],
    ]);
    expect(open[0]?.message).toBe(
      'The partner refused a pair.state frame (frame_too_deep): The frame is nested more than 128 levels deep',
    );
    expect(open[1]?.message).toContain('Event 1 is nested past the link');
  });
});
