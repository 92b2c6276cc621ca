// Webhook notifications against a real local receiver, on an injected clock: events from what the host records,
// one digest per connection and window, HMAC signatures, Slack and Teams bodies, retries with capped backoff.
import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationStore } from '../core/notifications/notification-store.ts';
import { createNotifier, type Notifier } from '../core/notifications/notifier.ts';
import { createWebhookSender } from '../core/notifications/sender.ts';
import { createEventWatcher } from '../core/notifications/watcher.ts';
import { markQueued, startRun } from '../core/sync/runs.ts';
import { recordError } from '../core/sync/sync-errors.ts';
import { type InProcessHost, inProcessHost, insertConnection } from './support/in-process.ts';
import { type ManualClock, manualClock } from './support/manual-clock.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';

const DIGEST_MS = 60_000;
const NODE = { id: 'node-a', name: 'Acme', url: 'https://tandem.acme.example' };

let host: InProcessHost;
let receiver: WebhookReceiver;
let clock: ManualClock;
let notifier: Notifier;
let store: NotificationStore;
const up = new Set<string>();

beforeAll(async () => {
  host = await inProcessHost();
  store = host.services.notificationStore;
});
afterAll(async () => host.close());

/** A fresh receiver, clock and notifier per test; the watcher's first look starts from what is there now. */
async function fresh(retry?: { firstMs: number; maxMs: number; attempts: number }) {
  receiver = await startWebhookReceiver();
  clock = manualClock(Date.now());
  const db = host.services.db;
  await db.deleteFrom('settings').where('key', '=', 'notifications.marks').execute();
  await db.deleteFrom('connections').execute();
  for (const t of await store.list()) await store.remove(t.id);
  notifier = createNotifier({
    store,
    watcher: createEventWatcher({ db, clock, digestMs: DIGEST_MS, isUp: (id) => up.has(id) }),
    sender: createWebhookSender({ userAgent: 'Tandem/test', timeoutMs: 5000 }),
    clock,
    log: host.services.log,
    node: () => NODE,
    pollMs: 1000,
    ...(retry ? { retry } : {}),
  });
  await notifier.runOnce();
}
afterEach(async () => {
  await notifier?.stop();
  await receiver?.close();
});

let connections = 0;
async function connection(state: 'active' | 'deactivated' = 'active', paired = true): Promise<string> {
  const id = `c${++connections}`;
  await insertConnection(host.services.db, id, 'script', state);
  if (paired)
    await host.services.db
      .updateTable('connections')
      .set({ peer_public_jwk: '{}', peer_name: 'Globex' })
      .where('id', '=', id)
      .execute();
  return id;
}

const signature = (secret: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('notifications', () => {
  it('sends a signed test message in each format, and keeps the URL and secret sealed at rest', async () => {
    await fresh();
    const json = await store.create({
      url: `${receiver.url}/hook/t0ken`,
      events: ['run.finished'],
      format: 'json',
      secret: 'shh-1234',
      downAfterSeconds: 300,
    });
    expect(json).toMatchObject({ url: `${receiver.url}/hook/…`, hasSecret: true });
    const row = await host.services.db
      .selectFrom('notification_targets')
      .selectAll()
      .where('id', '=', json.id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain('shh-1234');
    expect(JSON.stringify(row)).not.toContain('t0ken');

    const delivery = await notifier.test(json.id);
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 200, event: 'test' });
    const [hook] = receiver.received;
    expect(hook!.path).toBe('/hook/t0ken');
    expect(hook!.headers['x-tandem-signature']).toBe(signature('shh-1234', hook!.body));
    expect(hook!.headers['x-tandem-event']).toBe('test');
    expect(hook!.json).toMatchObject({
      event: 'test',
      node: { name: 'Acme' },
      title: 'Test notification from Acme',
    });

    for (const format of ['slack', 'teams', 'teams-adaptive'] as const) {
      const t = await store.create({
        url: `${receiver.url}/${format}`,
        events: ['entity.error'],
        format,
        downAfterSeconds: 300,
      });
      await notifier.test(t.id);
    }
    const [, slack, teams, adaptive] = receiver.received;
    expect(slack!.headers['x-tandem-signature']).toBeUndefined();
    expect(slack!.json).toEqual({ text: expect.stringMatching(/^\*Test notification from Acme\*\n/) });
    expect(teams!.json).toMatchObject({
      '@type': 'MessageCard',
      summary: 'Test notification from Acme',
      text: expect.any(String),
    });
    expect(adaptive!.json).toMatchObject({
      type: 'message',
      attachments: [
        { contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard' } },
      ],
    });
  });

  it('turns a storm of entity errors into one message per connection and window', async () => {
    await fresh();
    await store.create({
      url: `${receiver.url}/errors`,
      events: ['entity.error', 'connection.error'],
      format: 'json',
      downAfterSeconds: 300,
    });
    const [a, b] = [await connection(), await connection()];
    const db = host.services.db;
    for (let i = 0; i < 50; i++)
      await recordError(db, {
        level: 'entity',
        connectionId: a,
        direction: 'in',
        entityId: `e${i}`,
        eventSeq: i,
        message: `field ${i} refused`,
        script: 'incoming',
        scriptLine: 3,
      });
    await recordError(db, {
      level: 'entity',
      connectionId: b,
      direction: 'out',
      entityId: 'x',
      message: 'no',
    });
    await recordError(db, { level: 'connection', connectionId: b, message: 'The peer refused the event' });
    await notifier.runOnce();
    expect(receiver.received).toHaveLength(0);
    clock.advance(DIGEST_MS);
    await notifier.runOnce();
    const bodies = receiver.received.map(
      (r) => r.json as { event: string; connection: { id: string }; data: { count: number } },
    );
    expect(bodies.map((x) => `${x.event} ${x.connection.id} ${x.data.count}`).sort()).toEqual([
      `connection.error ${b} 1`,
      `entity.error ${a} 50`,
      `entity.error ${b} 1`,
    ]);
    expect((bodies.find((x) => x.connection.id === a) as unknown as { text: string }).text).toMatch(
      /e0 \(incoming, line 3\): field 0 refused/,
    );
    // Nothing new: nothing sent, however long.
    clock.advance(DIGEST_MS * 3);
    await notifier.runOnce();
    expect(receiver.received).toHaveLength(3);
  });

  it('tells of finished runs and accepted invitations, each once', async () => {
    await fresh();
    const t = await store.create({
      url: receiver.url,
      events: ['run.finished', 'invitation.accepted'],
      format: 'json',
      downAfterSeconds: 300,
    });
    const id = await connection();
    const db = host.services.db;
    const run = await startRun(db, id, 'bulk', null, []);
    await notifier.runOnce();
    expect(receiver.received).toHaveLength(0);
    // A run with nothing to queue finishes once it is marked queued.
    await markQueued(db, run);
    await db
      .updateTable('connections')
      .set({ invitation_used_at: new Date().toISOString() })
      .where('id', '=', id)
      .execute();
    await notifier.runOnce();
    await notifier.runOnce();
    expect(receiver.received.map((r) => (r.json as { event: string }).event).sort()).toEqual([
      'invitation.accepted',
      'run.finished',
    ]);
    expect(
      receiver.received.find((r) => (r.json as { event: string }).event === 'run.finished')!.json,
    ).toMatchObject({
      data: { runId: run, status: 'finished', kind: 'bulk' },
      url: `https://tandem.acme.example/#/connections/${id}`,
    });
    const log = await store.deliveries(t.id, 10);
    expect(log.items.map((d) => d.status)).toEqual(['delivered', 'delivered']);
  });

  it("tells when a link has been down for the target's time, once per outage", async () => {
    await fresh();
    await store.create({
      url: receiver.url,
      events: ['connection.down'],
      format: 'slack',
      downAfterSeconds: 120,
    });
    const id = await connection();
    await connection('deactivated');
    await connection('active', false);
    await notifier.runOnce();
    clock.advance(119_000);
    await notifier.runOnce();
    expect(receiver.received).toHaveLength(0);
    clock.advance(1000);
    await notifier.runOnce();
    clock.advance(600_000);
    await notifier.runOnce();
    expect(receiver.received).toHaveLength(1);
    expect((receiver.received[0]!.json as { text: string }).text).toMatch(
      /^\*Connection conn c\d+ is down\*/,
    );
    // Back up, then down again: a new outage, a new message after the wait.
    up.add(id);
    await notifier.runOnce();
    up.delete(id);
    await notifier.runOnce();
    clock.advance(120_000);
    await notifier.runOnce();
    expect(receiver.received).toHaveLength(2);
  });

  it('retries a failed delivery with capped backoff, then gives up; follows no redirect', async () => {
    await fresh({ firstMs: 1000, maxMs: 3000, attempts: 5 });
    const t = await store.create({
      url: receiver.url,
      events: ['run.finished'],
      format: 'json',
      downAfterSeconds: 300,
    });
    receiver.answer(500, 503, 302, 500, 500);
    const db = host.services.db;
    await markQueued(db, await startRun(db, await connection(), 'manual', null, []));
    const attempts = async () => (await store.deliveries(t.id, 1)).items[0]!;
    await notifier.runOnce();
    expect(await attempts()).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 500 });
    const waits: number[] = [];
    for (const wait of [1000, 2000, 3000, 3000]) {
      const before = await attempts();
      waits.push(Date.parse(before.nextAttemptAt!) - clock.now());
      clock.advance(wait - 1);
      await notifier.runOnce();
      expect((await attempts()).attempts).toBe(before.attempts);
      clock.advance(1);
      await notifier.runOnce();
    }
    expect(waits).toEqual([1000, 2000, 3000, 3000]);
    const last = await attempts();
    expect(last).toMatchObject({ status: 'failed', attempts: 5, lastStatus: 500, nextAttemptAt: null });
    expect(receiver.received.map((r) => r.path)).toEqual(['/', '/', '/', '/', '/']);
    expect((await store.deliveries(t.id, 10)).items).toHaveLength(1);
  });
});
