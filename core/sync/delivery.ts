// Delivery over the link: ordered sends within a window, cumulative acks, resend after reconnect; outcomes back the same way.
import type { Db } from '../../storage/schema.ts';
import type { LinkHub } from '../link/link-hub.ts';
import { LINK_REFUSED_CHANNEL } from '../link/refusals.ts';
import type { Logger } from '../log.ts';
import { type Clock, realClock } from './clock.ts';
import { createReporter } from './delivery/outcome-reporter.ts';
import { createTaker, type TakeOutcomes } from './delivery/outcome-taker.ts';
import { createReceiver } from './delivery/receiver.ts';
import { errorRecorder } from './delivery/record.ts';
import { createSender } from './delivery/sender.ts';
import { ACK_CHANNEL, EVENTS_CHANNEL, REFUSED_CHANNEL, type SyncEvent } from './events.ts';
import { type CommitResult, commitInbox } from './inbox.ts';
import { OUTCOMES_ACK_CHANNEL, OUTCOMES_CHANNEL } from './outcome-frames.ts';
import { takePeerOutcomes } from './peer-outcomes.ts';

export interface DeliveryOptions {
  db: Db;
  link: LinkHub;
  log: Logger;
  /** Whether this side may send on the connection now (active, not deactivated). */
  canSend(connectionId: string): Promise<boolean>;
  /** Called after a frame's events were committed (applied or stored in the inbox). */
  onInbox(connectionId: string): void;
  /** Commits received events (apply them, or store them in the inbox); the inbox alone by default. */
  receive?(connectionId: string, events: Array<{ seq: number; event: SyncEvent }>): Promise<CommitResult>;
  /** Records the peer's outcomes of our events (`takePeerOutcomes` by default). */
  takeOutcomes?: TakeOutcomes;
  /** Outcomes sent to the peer and not acknowledged, at most, per connection. */
  windowOutcomes?: number;
  /** Unacknowledged events allowed in flight per connection. */
  windowEvents?: number;
  /** Unacknowledged bytes allowed in flight per connection. */
  windowBytes?: number;
  /** Socket buffer above which sending pauses. */
  maxBuffered?: number;
  frameEvents?: number;
  frameBytes?: number;
  /** Events sent but unacknowledged this long are sent again (a frame lost without the link dropping). */
  ackTimeoutMs?: number;
  /** Time for ack time-outs, ack writes and resend delays; the real clock by default. */
  clock?: Clock;
}

/**
 * The sending and receiving ends of every connection's event stream (`delivery/sender.ts`,
 * `delivery/receiver.ts`) on one link.
 * @example const d = createDelivery({ db, link, log, canSend, onInbox }); d.start(); d.pump(connectionId);
 */
export function createDelivery(opts: DeliveryOptions) {
  const { db, link, log } = opts;
  const clock = opts.clock ?? realClock;
  const record = errorRecorder(db, log);
  const sender = createSender({
    db,
    link,
    log,
    clock,
    record,
    canSend: opts.canSend,
    windowEvents: opts.windowEvents ?? 1000,
    windowBytes: opts.windowBytes ?? 4 * 1024 * 1024,
    maxBuffered: opts.maxBuffered ?? 1024 * 1024,
    frameEvents: opts.frameEvents ?? 200,
    frameBytes: opts.frameBytes ?? 1024 * 1024,
    ackTimeoutMs: opts.ackTimeoutMs ?? 10_000,
  });
  const reporter = createReporter({
    db,
    link,
    log,
    clock,
    windowOutcomes: opts.windowOutcomes ?? 2000,
    ackTimeoutMs: opts.ackTimeoutMs ?? 10_000,
  });
  const receiver = createReceiver({
    db,
    link,
    log,
    record,
    receive: opts.receive ?? ((id, events) => commitInbox(db, id, events)),
    onInbox: opts.onInbox,
    onCommitted: (id) => void reporter.pump(id), // what the commit decided goes back at once
  });
  const taker = createTaker({
    db,
    link,
    log,
    record,
    take: opts.takeOutcomes ?? ((id, outcomes) => takePeerOutcomes(db, id, outcomes)),
  });

  return {
    pump: sender.pump,
    /** Sends the outcomes decided here that the peer has not acknowledged (after a commit that decided some). */
    pumpOutcomes: reporter.pump,
    /** The highest outcome sequence the peer acknowledged on this link (its write to the database lags). */
    outcomesAcknowledged: reporter.acknowledged,
    /** Registers the channel handlers and status listener; returns the unsubscribe. */
    start(): () => void {
      link.handle(EVENTS_CHANNEL, receiver.onEvents);
      link.handle(ACK_CHANNEL, sender.onAck);
      link.handle(REFUSED_CHANNEL, sender.onRefused);
      link.handle(LINK_REFUSED_CHANNEL, sender.onLinkRefused);
      link.handle(OUTCOMES_CHANNEL, taker.onOutcomes);
      link.handle(OUTCOMES_ACK_CHANNEL, reporter.onAck);
      return link.onStatus((id, up) => {
        sender.linkChanged(id, up);
        reporter.linkChanged(id, up);
      });
    },
    /** The receiving end, exposed for tests that replay raw frames. */
    onEvents: receiver.onEvents,
    onAck: sender.onAck,
    onRefused: sender.onRefused,
    onLinkRefused: sender.onLinkRefused,
    onOutcomes: taker.onOutcomes,
    onOutcomesAck: reporter.onAck,
    /** Whether a send, or a commit of received events or outcomes, is under way. */
    get busy(): boolean {
      return sender.busy || receiver.busy || reporter.busy || taker.busy;
    },
    /** Stops sending; acks not yet written are written before it resolves. */
    async close() {
      receiver.close();
      taker.close();
      await Promise.all([sender.close(), reporter.close()]);
    },
  };
}

export type Delivery = ReturnType<typeof createDelivery>;
