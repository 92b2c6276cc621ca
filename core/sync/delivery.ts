// Delivery over the link: ordered sends within a window, cumulative acks, resend after reconnect.
import type { Db } from '../../storage/schema.ts';
import type { LinkHub } from '../link/link-hub.ts';
import type { Logger } from '../log.ts';
import { ACK_CHANNEL, ackFrame, EVENTS_CHANNEL, eventsFrame, type SyncEvent } from './events.ts';
import { type CommitResult, commitInbox } from './inbox.ts';
import { ackOutbox, readOutbox } from './outbox.ts';
import { getStream } from './streams.ts';

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
}

interface Flight {
  /** Highest sequence sent on this link session; undefined until read from the stream. */
  sentUpTo: number | undefined;
  acked: number;
  inflight: Array<{ seq: number; bytes: number }>;
  /** When the last frame went out or the last ack came in. */
  progressAt: number;
  /** The last resend a gap asked for: repeated asks for the same position within a second are ignored. */
  resentFrom: number;
  resentAt: number;
  pumping: boolean;
  again: boolean;
  /** The ack last written to the database, and when; later ones wait for `saveAckSoon`. */
  savedAck: number;
  ackSavedAt: number;
  ackTimer: NodeJS.Timeout | undefined;
}

/** Received events of a connection waiting for their commit. */
interface Received {
  events: Array<{ seq: number; event: SyncEvent }>;
  committing: boolean;
}

/**
 * Acks are written at most this often per connection. An ack only lets the outbox forget what the peer
 * has; one lost in a crash makes this side resend events the peer drops as duplicates. Writing each
 * ack cost a commit (an fsync) per received frame.
 */
const ACK_SAVE_MS = 200;

/**
 * The sending and receiving ends of every connection's event stream.
 * @example const d = createDelivery({ db, link, log, canSend, onInbox }); d.pump(connectionId);
 */
export function createDelivery(opts: DeliveryOptions) {
  const { db, link, log } = opts;
  const windowEvents = opts.windowEvents ?? 1000;
  const windowBytes = opts.windowBytes ?? 4 * 1024 * 1024;
  const maxBuffered = opts.maxBuffered ?? 1024 * 1024;
  const frameEvents = opts.frameEvents ?? 200;
  const frameBytes = opts.frameBytes ?? 1024 * 1024;
  const ackTimeoutMs = opts.ackTimeoutMs ?? 10_000;
  const receive = opts.receive ?? ((id, events) => commitInbox(db, id, events));
  const flights = new Map<string, Flight>();
  const receiving = new Map<string, Received>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const flight = (id: string): Flight => {
    let f = flights.get(id);
    if (!f) {
      f = {
        sentUpTo: undefined,
        acked: 0,
        inflight: [],
        progressAt: Date.now(),
        resentFrom: -1,
        resentAt: 0,
        pumping: false,
        again: false,
        savedAck: 0,
        ackSavedAt: 0,
        ackTimer: undefined,
      };
      flights.set(id, f);
    }
    return f;
  };

  function later(id: string, ms: number) {
    const t = setTimeout(() => {
      timers.delete(t);
      void pump(id);
    }, ms);
    timers.add(t);
  }

  /** Sends what the window allows; safe to call often (concurrent calls coalesce). */
  async function pump(id: string): Promise<void> {
    if (closed) return;
    const f = flight(id);
    if (f.pumping) {
      f.again = true;
      return;
    }
    f.pumping = true;
    try {
      do {
        f.again = false;
        await pumpOnce(id, f);
      } while (f.again && !closed);
    } catch (err) {
      log.error({ err, connectionId: id }, 'sync delivery failed');
      later(id, 1000);
    } finally {
      f.pumping = false;
    }
  }

  async function pumpOnce(id: string, f: Flight) {
    for (;;) {
      if (!link.isUp(id) || !(await opts.canSend(id))) return;
      if (f.sentUpTo === undefined) {
        const stream = await getStream(db, id);
        if (!stream) return;
        f.acked = Math.max(f.acked, stream.out_acked); // an ack may be known but not yet written
        f.sentUpTo = f.acked;
        f.inflight = [];
      }
      if (f.inflight.length && Date.now() - f.progressAt > ackTimeoutMs) {
        log.warn({ connectionId: id, from: f.acked }, 'no sync ack in time: sending again');
        f.sentUpTo = f.acked;
        f.inflight = [];
      }
      const inflightBytes = f.inflight.reduce((n, x) => n + x.bytes, 0);
      const room = windowEvents - f.inflight.length;
      if (room <= 0 || inflightBytes >= windowBytes) return; // the ack reopens the window
      if (link.bufferedAmount(id) > maxBuffered) {
        later(id, 20); // the socket drains on its own; look again shortly
        return;
      }
      const rows = await readOutbox(db, id, f.sentUpTo, Math.min(room, frameEvents));
      if (rows.length === 0) return;
      let bytes = 0;
      const batch = rows.filter((r, i) => {
        bytes += r.bytes;
        return i === 0 || bytes <= frameBytes;
      });
      let ok: boolean;
      try {
        ok = link.send(id, {
          ch: EVENTS_CHANNEL,
          events: batch.map((r) => ({ seq: r.seq, event: r.event })),
        });
      } catch (err) {
        log.error({ err, connectionId: id }, 'sync frame could not be sent');
        return;
      }
      if (!ok) return;
      f.sentUpTo = batch.at(-1)!.seq;
      f.progressAt = Date.now();
      for (const r of batch) f.inflight.push({ seq: r.seq, bytes: r.bytes });
    }
  }

  async function onAck(id: string, raw: unknown) {
    if (closed) return;
    const parsed = ackFrame.safeParse(raw);
    if (!parsed.success) {
      log.warn({ connectionId: id }, 'malformed sync.ack frame dropped');
      return;
    }
    const f = flight(id);
    const stream = await getStream(db, id);
    if (!stream) return;
    // Never beyond what was assigned; never back.
    const acked = Math.max(f.acked, stream.out_acked, Math.min(parsed.data.upTo, stream.out_seq));
    f.acked = acked;
    saveAckSoon(id, f);
    f.progressAt = Date.now();
    f.inflight = f.inflight.filter((x) => x.seq > acked);
    const repeated = f.resentFrom === acked && Date.now() - f.resentAt < 1000;
    if ((parsed.data.resend && !repeated) || (f.sentUpTo !== undefined && f.sentUpTo < acked)) {
      f.sentUpTo = acked;
      f.inflight = [];
      f.resentFrom = acked;
      f.resentAt = Date.now();
    }
    await pump(id);
  }

  /** Writes the connection's ack now if none was written lately, else once the interval is over. */
  function saveAckSoon(id: string, f: Flight) {
    if (f.acked <= f.savedAck || f.ackTimer) return;
    const wait = f.ackSavedAt + ACK_SAVE_MS - Date.now();
    if (wait <= 0) {
      void saveAck(id, f);
      return;
    }
    f.ackTimer = setTimeout(() => {
      f.ackTimer = undefined;
      void saveAck(id, f);
    }, wait);
  }

  async function saveAck(id: string, f: Flight) {
    const upTo = f.acked;
    f.ackSavedAt = Date.now();
    try {
      f.savedAck = Math.max(f.savedAck, await ackOutbox(db, id, upTo));
    } catch (err) {
      log.error({ err, connectionId: id }, 'saving a sync ack failed');
    }
  }

  async function onEvents(id: string, raw: unknown) {
    if (closed) return;
    const parsed = eventsFrame.safeParse(raw);
    if (!parsed.success) {
      log.warn({ connectionId: id }, 'malformed sync.events frame dropped');
      const stream = await getStream(db, id);
      link.send(id, { ch: ACK_CHANNEL, upTo: stream?.in_high ?? 0, resend: true });
      return;
    }
    // Frames that arrive while one commits join the next transaction: one fsync for all of them.
    const q = receiving.get(id) ?? { events: [], committing: false };
    receiving.set(id, q);
    q.events.push(...parsed.data.events);
    if (!q.committing) {
      q.committing = true;
      setImmediate(() => void commitReceived(id, q));
    }
  }

  async function commitReceived(id: string, q: Received) {
    try {
      while (q.events.length && !closed) {
        const events = q.events.splice(0);
        const r = await receive(id, events);
        link.send(id, { ch: ACK_CHANNEL, upTo: r.high, ...(r.gap ? { resend: true } : {}) });
        if (r.accepted) opts.onInbox(id);
      }
    } catch (err) {
      // Not acknowledged, so the sender sends these events again.
      log.error({ err, connectionId: id }, 'sync events could not be stored');
      q.events = [];
    } finally {
      q.committing = false;
    }
  }

  return {
    pump,
    /** Registers the channel handlers and status listener; returns the unsubscribe. */
    start(): () => void {
      link.handle(EVENTS_CHANNEL, onEvents);
      link.handle(ACK_CHANNEL, onAck);
      return link.onStatus((id, up) => {
        const f = flight(id);
        f.sentUpTo = undefined; // after a (re)connection, resend everything not acknowledged
        f.inflight = [];
        if (up) void pump(id);
      });
    },
    /** The receiving end, exposed for tests that replay raw frames. */
    onEvents,
    onAck,
    /** Stops sending; acks not yet written are written before it resolves. */
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const unsaved = [...flights].filter(([, f]) => f.acked > f.savedAck);
      for (const [, f] of unsaved) clearTimeout(f.ackTimer);
      await Promise.all(unsaved.map(([id, f]) => saveAck(id, f)));
    },
  };
}

export type Delivery = ReturnType<typeof createDelivery>;
