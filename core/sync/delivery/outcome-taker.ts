// Taking the peer's outcomes of our events: frames checked at the edge, committed in order, acknowledged after commit.
import type { Db } from '../../../storage/schema.ts';
import { fenced, LeaseLost } from '../../cluster/fence.ts';
import type { LinkHub } from '../../link/link-hub.ts';
import { LINK_REFUSED_CHANNEL, type LinkRefusedFrame } from '../../link/refusals.ts';
import type { Logger } from '../../log.ts';
import {
  checkOutcomes,
  OUTCOMES_ACK_CHANNEL,
  OUTCOMES_CHANNEL,
  outcomesEnvelope,
  type PeerOutcome,
} from '../outcome-frames.ts';
import { closeError } from '../sync-errors.ts';
import { errorText, type RecordError } from './record.ts';

/** Records a connection's outcomes (in `oseq` order); resolves with the highest outcome sequence now held. */
export type TakeOutcomes = (connectionId: string, outcomes: PeerOutcome[]) => Promise<number>;

export interface TakerOptions {
  db: Db;
  link: LinkHub;
  log: Logger;
  record: RecordError;
  take: TakeOutcomes;
}

/**
 * Takes `sync.outcomes` frames: frames that arrive while one commits join the next commit; the ack goes out
 * after it. A frame that is not a list of outcomes is refused whole (`link.refused`, `frame_invalid`); an
 * item that is not a valid outcome is dropped alone and named in a refusal, so it is not sent again forever.
 * @example const t = createTaker(opts); link.handle('sync.outcomes', t.onOutcomes);
 */
export interface Taker {
  onOutcomes(connectionId: string, raw: unknown): Promise<void>;
  readonly busy: boolean;
  close(): void;
}

export function createTaker(opts: TakerOptions): Taker {
  const { link, log, record, take } = opts;
  const waiting = new Map<string, { items: PeerOutcome[]; high: number; committing: boolean }>();
  /** Per connection, the error recorded while outcomes cannot be recorded (resolved once they can). */
  const failing = new Map<string, string | undefined>();
  let closed = false;

  function refuse(id: string, code: string, message: string) {
    log.warn({ connectionId: id, code }, 'sync.outcomes frame refused');
    const refusal: LinkRefusedFrame = { ch: LINK_REFUSED_CHANNEL, refused: OUTCOMES_CHANNEL, code, message };
    link.send(id, refusal);
  }

  async function onOutcomes(id: string, raw: unknown) {
    if (closed) return;
    const parsed = outcomesEnvelope.safeParse(raw);
    if (!parsed.success) {
      refuse(id, 'frame_invalid', 'The sync.outcomes frame does not carry a list of outcomes');
      return;
    }
    const { outcomes, problems } = checkOutcomes(parsed.data.outcomes);
    if (problems.length) {
      const first = problems[0]!;
      refuse(
        id,
        'outcome_invalid',
        `${problems.length} outcome(s) are not valid and were dropped; the first (item ${first.index}${first.oseq ? `, outcome ${first.oseq}` : ''}): ${first.what}`.slice(
          0,
          500,
        ),
      );
    }
    // Dropped items are acknowledged with the others, or the sender would send them again and again.
    const high = Math.max(0, ...outcomes.map((o) => o.oseq), ...problems.map((p) => p.oseq ?? 0));
    const q = waiting.get(id) ?? { items: [], high: 0, committing: false };
    waiting.set(id, q);
    q.items.push(...outcomes);
    q.high = Math.max(q.high, high);
    if (!q.committing) {
      q.committing = true;
      setImmediate(() => void commit(id, q));
    }
  }

  async function commit(id: string, q: { items: PeerOutcome[]; high: number; committing: boolean }) {
    try {
      while ((q.items.length || q.high) && !closed) {
        const items = q.items.splice(0).sort((a, b) => a.oseq - b.oseq);
        const dropped = q.high;
        q.high = 0;
        const held = items.length ? await take(id, items) : 0;
        link.send(id, { ch: OUTCOMES_ACK_CHANNEL, upTo: Math.max(held, dropped) });
        await recovered(id);
      }
    } catch (err) {
      q.items = [];
      q.high = 0;
      // Taken over by another process: the link here is closing and the peer sends them to the new holder.
      if (err instanceof LeaseLost) return;
      // Not acknowledged: the peer sends them again after its ack time-out; said once where it shows.
      log.error({ err, connectionId: id }, 'sync outcomes could not be recorded');
      if (!failing.has(id)) {
        failing.set(id, undefined);
        const errorId = await record({
          level: 'connection',
          connectionId: id,
          direction: 'out',
          message: `The partner's outcomes of our events could not be recorded: ${errorText(err)}. They stay unacknowledged, so the partner sends them again`,
        });
        failing.set(id, errorId);
      }
    } finally {
      q.committing = false;
    }
  }

  async function recovered(id: string) {
    if (!failing.has(id)) return;
    const errorId = failing.get(id);
    failing.delete(id);
    if (errorId)
      await fenced(opts.db, id, (tx) => closeError(tx, errorId)).catch((err: unknown) =>
        log.error({ err, connectionId: id }, 'closing a sync error failed'),
      );
  }

  return {
    onOutcomes,
    get busy() {
      for (const q of waiting.values()) if (q.committing || q.items.length) return true;
      return false;
    },
    close() {
      closed = true;
    },
  };
}
