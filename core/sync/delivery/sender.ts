// The sending end of every connection's event stream: ordered sends within a window, cumulative acks, resends.
import type { Db } from '../../../storage/schema.ts';
import type { LinkHub } from '../../link/link-hub.ts';
import { linkRefusedFrame } from '../../link/refusals.ts';
import type { Logger } from '../../log.ts';
import type { Cancel, Clock } from '../clock.ts';
import { ackFrame, EVENTS_CHANNEL, refusedFrame } from '../events.ts';
import { ackOutbox, readOutbox } from '../outbox.ts';
import { recordRefused, tooDeepForLink } from '../refusals.ts';
import { getStream } from '../streams.ts';
import { createAckSaver } from './ack-saver.ts';
import { errorText, type RecordError } from './record.ts';

export interface SenderOptions {
  db: Db;
  link: LinkHub;
  log: Logger;
  clock: Clock;
  record: RecordError;
  /** Whether this side may send on the connection now (active, not deactivated). */
  canSend(connectionId: string): Promise<boolean>;
  windowEvents: number;
  windowBytes: number;
  maxBuffered: number;
  frameEvents: number;
  frameBytes: number;
  ackTimeoutMs: number;
}

/**
 * Sends each connection's outbox in order and keeps track of what the peer acknowledged.
 * @example const s = createSender(opts); await s.pump(id); await s.onAck(id, { ch: 'sync.ack', upTo: 4 });
 */
export interface Sender {
  /** Sends what the window allows; safe to call often (concurrent calls coalesce). */
  pump(connectionId: string): Promise<void>;
  /** `sync.ack`: the peer committed every event up to `upTo` (and may ask for a resend). */
  onAck(connectionId: string, raw: unknown): Promise<void>;
  /** `sync.refused`: the partner recorded these events as refused; this side records them too. */
  onRefused(connectionId: string, raw: unknown): Promise<void>;
  /** `link.refused`: the partner's link dropped one of this side's frames unread. */
  onLinkRefused(connectionId: string, raw: unknown): Promise<void>;
  /** The link of the connection went up or down: everything unacknowledged is sent again once up. */
  linkChanged(connectionId: string, up: boolean): void;
  /** Whether a pump is sending on some connection now. */
  readonly busy: boolean;
  /** Stops sending; acks not yet written are written before it resolves. */
  close(): Promise<void>;
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
  /** The first event of the frame that last failed to go out (its error is recorded). */
  unsendable: number;
}

/**
 * Acks are written at most this often per connection. An ack only lets the outbox forget what the peer
 * has; one lost in a crash makes this side resend events the peer drops as duplicates. Writing each
 * ack cost a commit (an fsync) per received frame.
 */
const ACK_SAVE_MS = 200;

export function createSender(opts: SenderOptions): Sender {
  const { db, link, log, clock, record } = opts;
  const flights = new Map<string, Flight>();
  const timers = new Set<Cancel>();
  const acks = createAckSaver({
    clock,
    log,
    intervalMs: ACK_SAVE_MS,
    what: 'sync ack',
    write: (id, upTo) => ackOutbox(db, id, upTo),
  });
  let pumping = 0;
  let closed = false;

  const flight = (id: string): Flight => {
    let f = flights.get(id);
    if (!f) {
      f = {
        sentUpTo: undefined,
        acked: 0,
        inflight: [],
        progressAt: clock.now(),
        resentFrom: -1,
        resentAt: 0,
        pumping: false,
        again: false,
        unsendable: 0,
      };
      flights.set(id, f);
    }
    return f;
  };

  function later(id: string, ms: number) {
    const cancel = clock.after(ms, () => {
      timers.delete(cancel);
      void pump(id);
    });
    timers.add(cancel);
  }

  async function pump(id: string): Promise<void> {
    if (closed) return;
    const f = flight(id);
    if (f.pumping) {
      f.again = true;
      return;
    }
    f.pumping = true;
    pumping++;
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
      pumping--;
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
      if (f.inflight.length && clock.now() - f.progressAt > opts.ackTimeoutMs) {
        log.warn({ connectionId: id, from: f.acked }, 'no sync ack in time: sending again');
        f.sentUpTo = f.acked;
        f.inflight = [];
      }
      const inflightBytes = f.inflight.reduce((n, x) => n + x.bytes, 0);
      const room = opts.windowEvents - f.inflight.length;
      if (room <= 0 || inflightBytes >= opts.windowBytes) return; // the ack reopens the window
      if (link.bufferedAmount(id) > opts.maxBuffered) {
        later(id, 20); // the socket drains on its own; look again shortly
        return;
      }
      const rows = await readOutbox(db, id, f.sentUpTo, Math.min(room, opts.frameEvents));
      if (rows.length === 0) return;
      let bytes = 0;
      const batch = rows.filter((r, i) => {
        bytes += r.bytes;
        return i === 0 || bytes <= opts.frameBytes;
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
      f.progressAt = clock.now();
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
    acks.acked(id, acked);
    f.progressAt = clock.now();
    f.inflight = f.inflight.filter((x) => x.seq > acked);
    const repeated = f.resentFrom === acked && clock.now() - f.resentAt < 1000;
    if ((parsed.data.resend && !repeated) || (f.sentUpTo !== undefined && f.sentUpTo < acked)) {
      f.sentUpTo = acked;
      f.inflight = [];
      f.resentFrom = acked;
      f.resentAt = clock.now();
    }
    await pump(id);
  }

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
   * A `sync.events` frame refused whole is sent again and refused again, so the stream waits: the events in
   * flight nested past the link's bound are named (entity-level); any other refusal is connection-level.
   */
  async function onLinkRefused(id: string, raw: unknown) {
    if (closed) return;
    const parsed = linkRefusedFrame.safeParse(raw);
    if (!parsed.success) return;
    const { refused, code, message, path } = parsed.data;
    const what = `The partner refused a ${refused} frame (${code}): ${message}${path ? ` at ${path}` : ''}`;
    if (refused === EVENTS_CHANNEL && code === 'frame_too_deep') {
      const culprits = tooDeepForLink(await readOutbox(db, id, flight(id).acked, opts.windowEvents));
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
    onAck,
    onRefused,
    onLinkRefused,
    linkChanged(id, up) {
      const f = flight(id);
      f.sentUpTo = undefined; // after a (re)connection, resend everything not acknowledged
      f.inflight = [];
      if (up) void pump(id);
    },
    get busy() {
      return pumping > 0;
    },
    async close() {
      closed = true;
      for (const cancel of timers) cancel();
      timers.clear();
      await acks.flush();
    },
  };
}
