// The receiving end of every connection's event stream: frames checked, committed in order, acknowledged after commit.
import type { Db } from '../../../storage/schema.ts';
import { fenced, LeaseLost } from '../../cluster/fence.ts';
import type { LinkHub } from '../../link/link-hub.ts';
import { LINK_REFUSED_CHANNEL, type LinkRefusedFrame } from '../../link/refusals.ts';
import type { Logger } from '../../log.ts';
import {
  ACK_CHANNEL,
  checkEvent,
  EVENTS_CHANNEL,
  type EventRefusal,
  eventsEnvelope,
  REFUSED_CHANNEL,
  type RefusedFrame,
  type SyncEvent,
} from '../events.ts';
import { type CommitResult, commitRefused } from '../inbox.ts';
import { getStream } from '../streams.ts';
import { closeError, reopenError } from '../sync-errors.ts';
import { errorText, type RecordError } from './record.ts';

/** Commits received events of a connection (applies them, or stores them in the inbox). */
export type CommitReceived = (
  connectionId: string,
  events: Array<{ seq: number; event: SyncEvent }>,
) => Promise<CommitResult>;

export interface ReceiverOptions {
  db: Db;
  link: LinkHub;
  log: Logger;
  record: RecordError;
  receive: CommitReceived;
  /** Called after a frame's events were committed (applied or stored in the inbox). */
  onInbox(connectionId: string): void;
  /** Called after every commit, refusals included (their outcomes were decided in it). */
  onCommitted?(connectionId: string): void;
}

/**
 * Takes `sync.events` frames: frames that arrive while one commits join the next transaction; the ack (and
 * the refusals before it) goes out after the commit.
 * @example const r = createReceiver(opts); link.handle('sync.events', r.onEvents);
 */
export interface Receiver {
  onEvents(connectionId: string, raw: unknown): Promise<void>;
  /** Whether received events wait for, or are in, a commit. */
  readonly busy: boolean;
  /** Stops taking frames (a commit under way finishes). */
  close(): void;
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

export function createReceiver(opts: ReceiverOptions): Receiver {
  const { db, link, log, record, receive } = opts;
  const receiving = new Map<string, Received>();
  /** Per connection, the error recorded for received events that cannot be stored, while they cannot. */
  const storeFailures = new Map<string, string>();
  let closed = false;

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
        opts.onCommitted?.(id);
        await storeRecovered(id);
      }
    } catch (err) {
      q.items = [];
      // Taken over by another process: the link here is closing and the peer sends them to the new holder.
      if (err instanceof LeaseLost) return;
      // Not acknowledged, so the sender sends these events again: a passing failure (a busy database)
      // loses nothing. One that lasts would repeat unseen, so it is recorded until a commit works again.
      log.error({ err, connectionId: id }, 'sync events could not be stored');
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
    if (known && (await fenced(db, id, (tx) => reopenError(tx, known, message)).catch(() => false))) return;
    const errorId = await record({ level: 'connection', connectionId: id, direction: 'in', message });
    if (errorId) storeFailures.set(id, errorId);
  }

  async function storeRecovered(id: string) {
    const known = storeFailures.get(id);
    if (!known) return;
    storeFailures.delete(id);
    await fenced(db, id, (tx) => closeError(tx, known)).catch((err: unknown) =>
      log.error({ err, connectionId: id }, 'closing a sync error failed'),
    );
  }

  return {
    onEvents,
    get busy() {
      for (const q of receiving.values()) if (q.committing || q.items.length) return true;
      return false;
    },
    close() {
      closed = true;
    },
  };
}
