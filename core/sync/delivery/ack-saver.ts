// Acknowledged positions written to the database at most once per interval per connection: an ack only lets
// this side forget what the peer has, so one lost in a crash costs a resend the peer drops, while writing each
// one would cost a commit (an fsync) per frame received.
import type { Logger } from '../../log.ts';
import type { Cancel, Clock } from '../clock.ts';

export interface AckSaverOptions {
  clock: Clock;
  log: Logger;
  intervalMs: number;
  /** Writes `upTo` for the connection; resolves with the position now written (it never goes back). */
  write: (connectionId: string, upTo: number) => Promise<number>;
  /** For the log line of a failed write ("sync ack", "sync outcome ack"). */
  what: string;
}

/**
 * @example const acks = createAckSaver({ clock, log, intervalMs: 200, write: (id, n) => ackOutbox(db, id, n), what: 'sync ack' });
 * acks.acked('c1', 42); ...; await acks.flush();
 */
export interface AckSaver {
  /** The peer acknowledged up to `upTo`: written now if nothing was lately, else when the interval is over. */
  acked(connectionId: string, upTo: number): void;
  /** `upTo` is known to be written already (read back from the database). */
  saved(connectionId: string, upTo: number): void;
  /** Writes every ack not yet written, now; no timer is left. */
  flush(): Promise<void>;
}

interface AckState {
  acked: number;
  saved: number;
  savedAt: number;
  timer: Cancel | undefined;
}

export function createAckSaver(opts: AckSaverOptions): AckSaver {
  const { clock, log } = opts;
  const states = new Map<string, AckState>();
  const state = (id: string): AckState => {
    let s = states.get(id);
    if (!s) {
      s = { acked: 0, saved: 0, savedAt: 0, timer: undefined };
      states.set(id, s);
    }
    return s;
  };

  async function save(id: string, s: AckState): Promise<void> {
    const upTo = s.acked;
    s.savedAt = clock.now();
    try {
      s.saved = Math.max(s.saved, await opts.write(id, upTo));
    } catch (err) {
      log.error({ err, connectionId: id }, `saving a ${opts.what} failed`);
    }
  }

  return {
    acked(id, upTo) {
      const s = state(id);
      s.acked = Math.max(s.acked, upTo);
      if (s.acked <= s.saved || s.timer) return;
      const wait = s.savedAt + opts.intervalMs - clock.now();
      if (wait <= 0) {
        void save(id, s);
        return;
      }
      s.timer = clock.after(wait, () => {
        s.timer = undefined;
        void save(id, s);
      });
    },
    saved(id, upTo) {
      const s = state(id);
      s.saved = Math.max(s.saved, upTo);
      s.acked = Math.max(s.acked, upTo);
    },
    async flush() {
      const unsaved = [...states].filter(([, s]) => s.acked > s.saved);
      for (const [, s] of states) {
        s.timer?.();
        s.timer = undefined;
      }
      await Promise.all(unsaved.map(([id, s]) => save(id, s)));
    },
  };
}
