// Containment: a connection whose part of a step throws is held (skipped, backing off) with a connection-level error.
import type { Db } from '../../../storage/schema.ts';
import { LeaseLost } from '../../cluster/fence.ts';
import type { Logger } from '../../log.ts';
import type { Clock } from '../clock.ts';
import type { SyncConnection } from '../connections-view.ts';
import { closeConnectionErrors, recordError } from '../sync-errors.ts';

/** How a held connection's error begins: closed by the hold's own release, not by another recovery. */
export const HELD_CAUSE = 'Syncing failed on this connection and is held:';
const HOLD_BASE_MS = 1000;
const HOLD_MAX_MS = 5 * 60 * 1000;

/**
 * Connections whose part of a step threw: skipped until their backoff is over (doubling up to five
 * minutes), so one connection's failure is that connection's connection-level error and cannot stop the
 * others, nor hold back the shared change feed. A retry of the error, or a later step that succeeds on it,
 * releases it.
 * @example await holds.contained(conn, () => applyInbox(ctx, conn, program)); if (holds.isHeld(id)) skip();
 */
export interface Holds {
  /** Whether the connection is skipped now (its backoff is not over). */
  isHeld(connectionId: string): boolean;
  /** Runs one connection's part of a step; a throw holds that connection instead of ending the step. */
  contained(conn: SyncConnection, work: () => Promise<void>): Promise<void>;
  /** Ends the backoff now (a retry of its error): the next step tries the connection again. */
  retryNow(connectionId: string): void;
}

export function createHolds(deps: { db: Db; log: Logger; clock: Clock }): Holds {
  const { db, log, clock } = deps;
  const held = new Map<string, { until: number; failures: number }>();

  async function hold(conn: SyncConnection, err: unknown) {
    const failures = (held.get(conn.id)?.failures ?? 0) + 1;
    const waitMs = Math.min(HOLD_MAX_MS, HOLD_BASE_MS * 2 ** Math.min(failures - 1, 20));
    held.set(conn.id, { until: clock.now() + waitMs, failures });
    const reason = err instanceof Error ? err.message : String(err);
    log.error({ err, connectionId: conn.id, failures }, 'sync step failed on a connection; holding it');
    await recordError(db, {
      level: 'connection',
      connectionId: conn.id,
      message: `${HELD_CAUSE} ${reason}. It is tried again in ${Math.round(waitMs / 1000)} s, or now on retry.`,
    }).catch((e: unknown) => log.error({ err: e, connectionId: conn.id }, 'recording a sync error failed'));
  }

  async function released(id: string) {
    if (!held.delete(id)) return;
    await closeConnectionErrors(db, id, 'connection', HELD_CAUSE);
  }

  return {
    isHeld(id) {
      const h = held.get(id);
      return !!h && h.until > clock.now();
    },
    async contained(conn, work) {
      try {
        await work();
      } catch (err) {
        // Taken over by another process (a write found the lease gone): it runs the connection now.
        if (err instanceof LeaseLost) return;
        await hold(conn, err);
        return;
      }
      await released(conn.id).catch((err: unknown) => {
        if (!(err instanceof LeaseLost)) throw err;
      });
    },
    retryNow(id) {
      held.delete(id);
    },
  };
}
