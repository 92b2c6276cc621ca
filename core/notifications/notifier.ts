// Notifications: on a timer, turns what the watcher found into deliveries for each subscribed target, and
// sends what is due, retrying with capped backoff; a "send test" goes out at once.
import type { Logger } from '../log.ts';
import type { Clock } from '../sync/clock.ts';
import type { NotificationEvent, NotifyingNode } from './events.ts';
import type { Delivery, NotificationStore, NotificationTarget } from './notification-store.ts';
import { renderBody } from './payloads.ts';
import type { WebhookSender } from './sender.ts';
import type { EventWatcher } from './watcher.ts';

/** Retries: after 5 s, 10 s, 20 s... at most 10 minutes apart, 8 attempts in all. */
export const RETRY = { firstMs: 5_000, maxMs: 10 * 60_000, attempts: 8 } as const;
/** How long a claimed delivery is ours before another process may try it. */
const LEASE_MS = 60_000;
const BATCH = 20;

/**
 * Runs notifications for the host.
 * @example const notifier = createNotifier(deps); notifier.start(); await notifier.test(targetId);
 */
export interface Notifier {
  start(): void;
  stop(): Promise<void>;
  /** One round now: look for events, queue them, send what is due (the timer runs this every `pollMs`). */
  runOnce(): Promise<void>;
  /** Sends a test message to the target now, once, and answers its delivery (kept in the log). */
  test(targetId: string): Promise<Delivery | undefined>;
}

export interface NotifierDeps {
  store: NotificationStore;
  watcher: EventWatcher;
  sender: WebhookSender;
  clock: Clock;
  log: Logger;
  node: () => NotifyingNode;
  pollMs: number;
  retry?: { firstMs: number; maxMs: number; attempts: number };
}

export function createNotifier(deps: NotifierDeps): Notifier {
  const { store, watcher, sender, clock, log } = deps;
  const retry = deps.retry ?? RETRY;
  const now = () => new Date(clock.now());
  /** `<target>:<connection>:<down since>`: each target hears once per time a link goes down. */
  const toldDown = new Set<string>();
  let running: Promise<void> | undefined;
  let cancel: (() => void) | undefined;

  const queue = (t: NotificationTarget, e: NotificationEvent) =>
    store.enqueue(t.id, e.event, renderBody(e, t.format, deps.node()), now());

  async function fanOut(): Promise<void> {
    const events = await watcher.poll();
    const targets = await store.list();
    for (const e of events)
      for (const t of targets)
        if (t.events.includes(e.event as NotificationTarget['events'][number])) await queue(t, e);
    const down = watcher.down();
    const at = clock.now();
    for (const t of targets) {
      if (!t.events.includes('connection.down')) continue;
      for (const [id, d] of down) {
        const key = `${t.id}:${id}:${d.since}`;
        if (toldDown.has(key) || at - d.since < t.downAfterSeconds * 1000) continue;
        toldDown.add(key);
        const minutes = Math.round((at - d.since) / 60_000);
        await queue(t, {
          event: 'connection.down',
          at: new Date(at).toISOString(),
          title: `Connection ${d.name} is down`,
          text: `The link to the other host has been down for ${minutes < 1 ? 'under a minute' : `${minutes} min`}; changes wait in the queue.`,
          connection: { id, name: d.name },
          facts: [['Down since', new Date(d.since).toISOString()]],
          data: { downSince: new Date(d.since).toISOString() },
        });
      }
    }
    for (const key of toldDown) {
      const [, id, since] = key.split(':');
      if (down.get(id!)?.since !== Number(since)) toldDown.delete(key);
    }
  }

  async function attempt(
    d: {
      id: string;
      target_id: string;
      event: string;
      body: string;
      attempts: number;
    },
    once = false,
  ) {
    const opened = await store.open(d.target_id).catch((err: unknown) => {
      log.error({ err, targetId: d.target_id }, 'notification target cannot be opened');
      return null;
    });
    const attempts = d.attempts + 1;
    const at = now();
    if (!opened) {
      await store.record(d.id, {
        status: 'failed',
        attempts,
        last_status: null,
        last_error:
          opened === null
            ? "The target's URL or secret cannot be read with this host's secret key"
            : 'The target was removed',
        next_attempt_at: at.toISOString(),
        finished_at: at.toISOString(),
      });
      return;
    }
    const result = await sender.send({
      url: opened.url,
      body: d.body,
      secret: opened.secret,
      event: d.event,
      deliveryId: d.id,
    });
    const done = now();
    if (result.ok) {
      await store.record(d.id, {
        status: 'delivered',
        attempts,
        last_status: result.status,
        last_error: null,
        next_attempt_at: done.toISOString(),
        finished_at: done.toISOString(),
      });
      return;
    }
    const last = once || attempts >= retry.attempts;
    const wait = Math.min(retry.maxMs, retry.firstMs * 2 ** (attempts - 1));
    log.warn(
      { targetId: d.target_id, deliveryId: d.id, attempts, status: result.status, error: result.error },
      'notification not delivered',
    );
    await store.record(d.id, {
      status: last ? 'failed' : 'pending',
      attempts,
      last_status: result.status,
      last_error: result.error,
      next_attempt_at: new Date(done.getTime() + (last ? 0 : wait)).toISOString(),
      finished_at: last ? done.toISOString() : null,
    });
  }

  async function sendDue(): Promise<void> {
    const at = now();
    for (const d of await store.due(at, BATCH)) {
      if (!(await store.claim(d.id, d.next_attempt_at, new Date(at.getTime() + LEASE_MS)))) continue;
      await attempt(d);
    }
  }

  const runOnce = () => {
    running ??= (async () => {
      try {
        await fanOut();
        await sendDue();
      } catch (err) {
        log.error({ err }, 'notification round failed');
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  return {
    start() {
      cancel ??= clock.every(deps.pollMs, () => void runOnce());
    },
    async stop() {
      cancel?.();
      cancel = undefined;
      await running;
    },
    runOnce,
    async test(targetId) {
      const target = await store.get(targetId);
      if (!target) return undefined;
      const node = deps.node();
      const at = now();
      const body = renderBody(
        {
          event: 'test',
          at: at.toISOString(),
          title: `Test notification from ${node.name}`,
          text: 'Tandem can reach this webhook. Real notifications will look like this one.',
          facts: [['Events', target.events.join(', ')]],
          data: {},
        },
        target.format,
        node,
      );
      const id = await store.enqueue(target.id, 'test', body, at);
      // Sent now and once (no retries): the answer is what the button shows, and it stays in the log.
      if (await store.claim(id, at.toISOString(), new Date(at.getTime() + LEASE_MS)))
        await attempt({ id, target_id: target.id, event: 'test', body, attempts: 0 }, true);
      return store.delivery(id);
    },
  };
}
