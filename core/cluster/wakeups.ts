// Wake-ups across the processes of one node: PostgreSQL LISTEN/NOTIFY on one dedicated client per process,
// reconnecting after a drop. The engines' own timers stay as the fallback for a notification missed meanwhile.
import { sql } from 'kysely';
import pg from 'pg';
import type { Db } from '../../storage/schema.ts';
import type { Logger } from '../log.ts';

const CHANNEL = 'tandem_wake';
const RECONNECT_MS = 1000;

/**
 * What a process tells the others: `feed` (the tracker changed, an entity was written through this process),
 * `changed` (an admin change: rules, triggers, connections, errors, runs).
 */
export type WakeKind = 'feed' | 'changed';

export interface Wakeups {
  /** Tells the other processes; best effort (a process that misses it finds the work at its next tick). */
  notify(kind: WakeKind): void;
  /** `kind` from another process; `resync` after this process's listener reconnected (it may have missed some). */
  on(listener: (kind: WakeKind | 'resync') => void): () => void;
  close(): Promise<void>;
}

/** One process alone (SQLite): nobody to tell. */
export const noWakeups: Wakeups = {
  notify: () => undefined,
  on: () => () => undefined,
  close: async () => undefined,
};

export function createWakeups(opts: { db: Db; url: string; processId: string; log: Logger }): Wakeups {
  const { db, url, processId, log } = opts;
  const listeners = new Set<(kind: WakeKind | 'resync') => void>();
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  let connectedOnce = false;
  // Several notifications of a kind within one tick are one: an import writes many entities.
  const pending = new Set<WakeKind>();
  let flush: NodeJS.Timeout | undefined;

  const emit = (kind: WakeKind | 'resync') => {
    for (const l of listeners) {
      try {
        l(kind);
      } catch (err) {
        log.error({ err }, 'wake-up listener failed');
      }
    }
  };

  async function connect() {
    if (closed) return;
    const c = new pg.Client({ connectionString: url });
    // Without an error listener a dropped connection would end the process.
    c.on('error', (err) => {
      log.warn({ err: err.message }, 'wake-up listener connection failed');
      drop(c);
    });
    c.on('end', () => drop(c));
    c.on('notification', (n) => {
      if (n.channel !== CHANNEL || !n.payload) return;
      const [from, kind] = n.payload.split(' ');
      if (from === processId || (kind !== 'feed' && kind !== 'changed')) return;
      emit(kind);
    });
    try {
      await c.connect();
      await c.query(`listen ${CHANNEL}`);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'wake-up listener cannot connect; retrying');
      drop(c);
      return;
    }
    if (closed) {
      await c.end().catch(() => undefined);
      return;
    }
    client = c;
    if (connectedOnce) {
      log.info('wake-up listener reconnected');
      emit('resync');
    }
    connectedOnce = true;
  }

  function drop(c: pg.Client) {
    if (client === c) client = undefined;
    c.removeAllListeners('end');
    c.end().catch(() => undefined);
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void connect();
    }, RECONNECT_MS);
    retry.unref();
  }

  void connect();

  return {
    notify(kind) {
      if (closed) return;
      pending.add(kind);
      flush ??= setTimeout(() => {
        flush = undefined;
        const kinds = [...pending];
        pending.clear();
        for (const k of kinds)
          void sql`select pg_notify(${CHANNEL}, ${`${processId} ${k}`})`
            .execute(db)
            .catch((err: unknown) => log.warn({ err }, 'notifying the other processes failed'));
      }, 10);
    },
    on(l) {
      listeners.add(l);
      return () => void listeners.delete(l);
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      if (flush) clearTimeout(flush);
      const c = client;
      client = undefined;
      if (c) {
        c.removeAllListeners('end');
        await c.end().catch(() => undefined);
      }
    },
  };
}
