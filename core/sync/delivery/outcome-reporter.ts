// Telling the peer what became of its events: outcomes sent in their order after commit, acknowledged, resent after a reconnect.
import type { Db } from '../../../storage/schema.ts';
import { fenced } from '../../cluster/fence.ts';
import type { LinkHub } from '../../link/link-hub.ts';
import type { Logger } from '../../log.ts';
import type { Cancel, Clock } from '../clock.ts';
import { outcomesToReport, type ReportRow } from '../event-log.ts';
import {
  MAX_OUTCOMES_PER_FRAME,
  OUTCOMES_CHANNEL,
  outcomesAckFrame,
  type PeerOutcome,
} from '../outcome-frames.ts';
import { getStream, saveOutcomeAck } from '../streams.ts';
import { createAckSaver } from './ack-saver.ts';

export interface ReporterOptions {
  db: Db;
  link: LinkHub;
  log: Logger;
  clock: Clock;
  /** Outcomes sent and not acknowledged, at most, per connection. */
  windowOutcomes: number;
  /** Outcomes unacknowledged this long are sent again. */
  ackTimeoutMs: number;
}

/**
 * Sends the outcomes of a connection's received events that the peer has not acknowledged: each decided
 * outcome was logged with the next outcome sequence in the transaction that decided it, so what is sent is
 * read back in that order, and whatever a crash or a reconnect lost is still there to send again.
 * @example const r = createReporter(opts); await r.pump(id); link.handle('sync.outcomes.ack', r.onAck);
 */
export interface Reporter {
  /**
   * Sends what the window allows; safe to call often (concurrent calls coalesce). `decided`, the stream's
   * last outcome sequence when the caller knows it, spares the read when everything up to it is sent.
   */
  pump(connectionId: string, decided?: number): Promise<void>;
  /** The highest outcome sequence the peer acknowledged (written to the database later, see ACK_SAVE_MS). */
  acknowledged(connectionId: string): number | undefined;
  /** `sync.outcomes.ack`: the peer recorded every outcome up to `upTo`. */
  onAck(connectionId: string, raw: unknown): Promise<void>;
  /** The link went up or down: everything unacknowledged is sent again once up. */
  linkChanged(connectionId: string, up: boolean): void;
  readonly busy: boolean;
  /** Stops sending; acks not yet written are written before it resolves. */
  close(): Promise<void>;
}

interface Flight {
  /** Highest outcome sequence sent on this link session; undefined until read from the stream. */
  sentUpTo: number | undefined;
  acked: number;
  progressAt: number;
  pumping: boolean;
  again: boolean;
}

/**
 * Acks are written at most this often per connection (and at close): one lost in a crash only resends outcomes
 * the peer drops as duplicates, while each write is a commit of its own (an fsync: ~7 ms on a slow disk).
 */
const ACK_SAVE_MS = 2000;
/** Bytes of outcomes per frame, at most (a failure's message is up to 4 KB). */
const FRAME_BYTES = 512 * 1024;

const ACTIONS = new Set(['created', 'updated', 'unchanged', 'unlinked', 'refused']);

/** One logged outcome as the frame carries it, with the error it failed with or resolved. */
export function reportItem(r: ReportRow): PeerOutcome {
  const action = r.action && ACTIONS.has(r.action) ? (r.action as PeerOutcome['action']) : null;
  const resolved = r.outcome !== 'failed' && r.error_resolved_by && r.error_resolution && r.error_resolved_at;
  return {
    oseq: r.outcome_seq,
    seq: r.seq,
    outcome: r.outcome === 'pending' ? 'failed' : r.outcome,
    action,
    entityId: r.entity_id,
    key: r.entity_key,
    at: r.outcome_at ?? new Date().toISOString(),
    ...(r.message ? { message: r.message.slice(0, 1000) } : {}),
    ...(r.error_id && r.error_message !== null
      ? {
          error: {
            id: r.error_id,
            message: r.error_message.slice(0, 4000),
            script: r.error_script,
            line: r.error_line,
            attempts: r.error_attempts ?? 1,
            occurredAt: r.error_occurred_at ?? '',
          },
        }
      : {}),
    ...(resolved
      ? { resolution: { by: r.error_resolved_by!, how: r.error_resolution!, at: r.error_resolved_at! } }
      : {}),
  };
}

export function createReporter(opts: ReporterOptions): Reporter {
  const { db, link, log, clock } = opts;
  const flights = new Map<string, Flight>();
  const timers = new Set<Cancel>();
  const acks = createAckSaver({
    clock,
    log,
    intervalMs: ACK_SAVE_MS,
    what: 'sync outcome ack',
    write: async (id, upTo) => {
      await fenced(db, id, (tx) => saveOutcomeAck(tx, id, upTo));
      return upTo;
    },
  });
  let pumping = 0;
  let closed = false;

  const flight = (id: string): Flight => {
    let f = flights.get(id);
    if (!f) {
      f = {
        sentUpTo: undefined,
        acked: 0,
        progressAt: clock.now(),
        pumping: false,
        again: false,
      };
      flights.set(id, f);
    }
    return f;
  };

  async function pump(id: string, decided?: number): Promise<void> {
    if (closed) return;
    const f = flight(id);
    if (decided !== undefined && f.sentUpTo !== undefined && decided <= f.sentUpTo) return;
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
      log.error({ err, connectionId: id }, 'sending sync outcomes failed');
      const cancel = clock.after(1000, () => {
        timers.delete(cancel);
        void pump(id);
      });
      timers.add(cancel);
    } finally {
      f.pumping = false;
      pumping--;
    }
  }

  async function pumpOnce(id: string, f: Flight) {
    for (;;) {
      if (!link.isUp(id)) return;
      if (f.sentUpTo === undefined) {
        const stream = await getStream(db, id);
        if (!stream) return;
        f.acked = Math.max(f.acked, stream.outcome_acked);
        acks.saved(id, stream.outcome_acked);
        f.sentUpTo = f.acked;
      }
      if (f.sentUpTo > f.acked && clock.now() - f.progressAt > opts.ackTimeoutMs) {
        log.warn({ connectionId: id, from: f.acked }, 'no sync outcome ack in time: sending again');
        f.sentUpTo = f.acked;
      }
      // Sequences have gaps (a later outcome of an event replaces its row), so this counts high: safe.
      const room = opts.windowOutcomes - (f.sentUpTo - f.acked);
      if (room <= 0) return; // the ack reopens the window
      const limit = Math.min(room, MAX_OUTCOMES_PER_FRAME);
      const rows = await outcomesToReport(db, id, f.sentUpTo, limit);
      if (rows.length === 0) return;
      const outcomes: PeerOutcome[] = [];
      let bytes = 0;
      for (const r of rows) {
        const item = reportItem(r);
        bytes += JSON.stringify(item).length;
        if (outcomes.length > 0 && bytes > FRAME_BYTES) break;
        outcomes.push(item);
      }
      if (!link.send(id, { ch: OUTCOMES_CHANNEL, outcomes })) return;
      f.sentUpTo = outcomes.at(-1)!.oseq;
      f.progressAt = clock.now();
      if (rows.length < limit && outcomes.length === rows.length) return; // read to the end: no second look
    }
  }

  async function onAck(id: string, raw: unknown) {
    if (closed) return;
    const parsed = outcomesAckFrame.safeParse(raw);
    if (!parsed.success) {
      log.warn({ connectionId: id }, 'malformed sync.outcomes.ack frame dropped');
      return;
    }
    const f = flight(id);
    const stream = await getStream(db, id);
    if (!stream) return;
    f.acked = Math.max(f.acked, Math.min(parsed.data.upTo, stream.outcome_seq));
    f.progressAt = clock.now();
    if (f.sentUpTo !== undefined && f.sentUpTo < f.acked) f.sentUpTo = f.acked;
    acks.acked(id, f.acked);
    await pump(id);
  }

  return {
    pump,
    onAck,
    acknowledged: (id) => flights.get(id)?.acked,
    linkChanged(id, up) {
      const f = flight(id);
      f.sentUpTo = undefined; // after a (re)connection, resend everything not acknowledged
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
