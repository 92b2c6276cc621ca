// Delivery over the link: ordered sends within a window, cumulative acks, resend after reconnect.
import type { Db } from '../../storage/schema.ts';
import type { LinkHub } from '../link/link-hub.ts';
import { LINK_REFUSED_CHANNEL, type LinkRefusedFrame, linkRefusedFrame } from '../link/refusals.ts';
import type { Logger } from '../log.ts';
import {
  ACK_CHANNEL,
  ackFrame,
  checkEvent,
  EVENTS_CHANNEL,
  type EventRefusal,
  eventsEnvelope,
  REFUSED_CHANNEL,
  type RefusedFrame,
  refusedFrame,
  type SyncEvent,
} from './events.ts';
import { type CommitResult, commitInbox, commitRefused } from './inbox.ts';
import { ackOutbox, readOutbox } from './outbox.ts';
import { recordRefused, tooDeepForLink } from './refusals.ts';
import { getStream } from './streams.ts';
import { closeError, type NewSyncError, recordError, reopenError } from './sync-errors.ts';

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
  /** The first event of the frame that last failed to go out (its error is recorded). */
  unsendable: number;
}

/** A received event in its place in the stream: usable, or refused (`checkEvent`) with why. */
type ReceivedItem =
  | { seq: number; event: SyncEvent; refusal?: never }
  | { seq: number; refusal: EventRefusal };

/** Received events of a connection waiting for their commit. */
interface Received {
  items: ReceivedItem[];
  committing: boolean;
}

/** Where a frame's items stand once committed: the ack to send and the refusals to send before it. */
interface Settled {
  high: number;
  accepted: number;
  gap: boolean;
  refused: RefusedFrame['refused'];
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
  /** Per connection, the error recorded for received events that cannot be stored, while they cannot. */
  const storeFailures = new Map<string, string>();
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
        unsendable: 0,
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
        // Sent again at every pump and failing the same way: the stream waits, so say so where it shows.
        log.error({ err, connectionId: id }, 'sync frame could not be sent');
        const first = batch[0]!;
        if (f.unsendable === first.seq) return; // recorded already
        f.unsendable = first.seq;
        await record({
          level: 'entity',
          connectionId: id,
          direction: 'out',
          entityId: first.event.entityId,
          eventSeq: first.seq,
          message: `Event ${first.seq} could not be sent: ${errorText(err)}. The connection's later events wait behind it`,
        });
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
    const parsed = eventsEnvelope.safeParse(raw);
    if (!parsed.success) {
      // No sequence to place it by: nothing to acknowledge, so the sender is told and asked to resend.
      log.warn({ connectionId: id }, 'malformed sync.events frame refused');
      const refusal: LinkRefusedFrame = {
        ch: LINK_REFUSED_CHANNEL,
        refused: EVENTS_CHANNEL,
        code: 'frame_invalid',
        message: 'The sync.events frame does not carry a list of sequenced events',
      };
      link.send(id, refusal);
      const stream = await getStream(db, id);
      link.send(id, { ch: ACK_CHANNEL, upTo: stream?.in_high ?? 0, resend: true });
      return;
    }
    const items = parsed.data.events.map(({ seq, event }): ReceivedItem => {
      const checked = checkEvent(event);
      return checked.ok ? { seq, event: checked.event } : { seq, refusal: checked.refusal };
    });
    // Frames that arrive while one commits join the next transaction: one fsync for all of them.
    const q = receiving.get(id) ?? { items: [], committing: false };
    receiving.set(id, q);
    q.items.push(...items);
    if (!q.committing) {
      q.committing = true;
      setImmediate(() => void commitReceived(id, q));
    }
  }

  async function commitReceived(id: string, q: Received) {
    try {
      while (q.items.length && !closed) {
        const r = await settle(id, q.items.splice(0));
        // Refusals first: the sender finds the refused events still in its outbox (the ack drops them).
        if (r.refused.length) link.send(id, { ch: REFUSED_CHANNEL, refused: r.refused });
        link.send(id, { ch: ACK_CHANNEL, upTo: r.high, ...(r.gap ? { resend: true } : {}) });
        if (r.accepted) opts.onInbox(id);
        await storeRecovered(id);
      }
    } catch (err) {
      // Not acknowledged, so the sender sends these events again: a passing failure (a busy database)
      // loses nothing. One that lasts would repeat unseen, so it is recorded until a commit works again.
      log.error({ err, connectionId: id }, 'sync events could not be stored');
      q.items = [];
      await storeFailed(id, err);
    } finally {
      q.committing = false;
    }
  }

  /** Commits items in stream order: runs of usable events in one `receive`, each refused one on its own. */
  async function settle(id: string, items: ReceivedItem[]): Promise<Settled> {
    const out: Settled = { high: 0, accepted: 0, gap: false, refused: [] };
    for (let i = 0; i < items.length && !out.gap; ) {
      const item = items[i]!;
      if (item.refusal) {
        const r = await commitRefused(db, id, item.seq, item.refusal);
        Object.assign(out, { high: r.high, gap: r.gap });
        // A duplicate is told again: the refusal sent with its first ack may have been lost with it.
        if (!r.gap) out.refused.push({ seq: item.seq, code: item.refusal.code, reason: item.refusal.reason });
        i++;
        continue;
      }
      let end = i + 1;
      while (end < items.length && !items[end]!.refusal) end++;
      const events = items.slice(i, end) as Array<{ seq: number; event: SyncEvent }>;
      const r = await receive(id, events);
      Object.assign(out, { high: r.high, gap: r.gap, accepted: out.accepted + r.accepted });
      i = end;
    }
    return out;
  }

  async function storeFailed(id: string, err: unknown) {
    const message = `Received events could not be stored: ${errorText(err)}. They stay unacknowledged, so the partner sends them again`;
    const known = storeFailures.get(id);
    if (known && (await reopenError(db, known, message).catch(() => false))) return;
    const errorId = await record({ level: 'connection', connectionId: id, direction: 'in', message });
    if (errorId) storeFailures.set(id, errorId);
  }

  async function storeRecovered(id: string) {
    const known = storeFailures.get(id);
    if (!known) return;
    storeFailures.delete(id);
    await closeError(db, known).catch((err: unknown) =>
      log.error({ err, connectionId: id }, 'closing a sync error failed'),
    );
  }

  /** Records an error; a failure to record it is logged (the database may be what failed). */
  async function record(e: NewSyncError): Promise<string | undefined> {
    try {
      return await recordError(db, e);
    } catch (err) {
      log.error({ err, connectionId: e.connectionId }, 'a sync error could not be recorded');
      return undefined;
    }
  }

  /** `sync.refused`: the partner recorded these events as refused; this side records them too. */
  async function onRefused(id: string, raw: unknown) {
    if (closed) return;
    const parsed = refusedFrame.safeParse(raw);
    if (!parsed.success) {
      log.warn({ connectionId: id }, 'malformed sync.refused frame dropped');
      return;
    }
    for (const { seq, reason } of parsed.data.refused)
      await recordRefused(db, id, seq, `The partner refused event ${seq}: ${reason}`);
  }

  /**
   * `link.refused`: the partner's link dropped one of this side's frames unread. A `sync.events` frame
   * refused whole is sent again and refused again, so the stream waits: the events in flight nested past
   * the link's bound are named (entity-level); any other refusal is connection-level.
   */
  async function onLinkRefused(id: string, raw: unknown) {
    if (closed) return;
    const parsed = linkRefusedFrame.safeParse(raw);
    if (!parsed.success) return;
    const { refused, code, message, path } = parsed.data;
    const what = `The partner refused a ${refused} frame (${code}): ${message}${path ? ` at ${path}` : ''}`;
    if (refused === EVENTS_CHANNEL && code === 'frame_too_deep') {
      const culprits = tooDeepForLink(await readOutbox(db, id, flight(id).acked, windowEvents));
      for (const c of culprits)
        await recordRefused(
          db,
          id,
          c.seq,
          `${what}. Event ${c.seq} is nested past the link's bound at ${c.path}: the connection's later events wait behind it`,
        );
      if (culprits.length) return;
    }
    await record({ level: 'connection', connectionId: id, direction: 'out', message: what });
  }

  return {
    pump,
    /** Registers the channel handlers and status listener; returns the unsubscribe. */
    start(): () => void {
      link.handle(EVENTS_CHANNEL, onEvents);
      link.handle(ACK_CHANNEL, onAck);
      link.handle(REFUSED_CHANNEL, onRefused);
      link.handle(LINK_REFUSED_CHANNEL, onLinkRefused);
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
    onRefused,
    onLinkRefused,
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

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err)).slice(0, 500);
