// The listeners of connection changes, and the announced writes: a state change or onboarding message.
import { EventEmitter } from 'node:events';
import type { ConnectionRow } from '../../storage/schema.ts';
import type { Logger } from '../log.ts';
import type { ConnectionStore } from './connection-store.ts';
import type { ConnectionState } from './connection-view.ts';

/** What listeners hear: a connection appeared, changed state or link status, or was deleted. */
export interface ConnectionEvent {
  type: 'created' | 'state' | 'status' | 'deleted';
  id: string;
  state: ConnectionState | null;
  linkUp: boolean;
}

/**
 * Tells listeners about connections; writes the changes listeners must hear of.
 * @example const next = await events.setState(row, 'active'); // stored, logged, and heard by listeners
 */
export interface ConnectionEvents {
  onChange(listener: (event: ConnectionEvent) => void): () => void;
  /** Tells every listener (a listener that throws is logged, the others still hear it). */
  emit(type: ConnectionEvent['type'], id: string, state: ConnectionState | null): void;
  /** Stores the state (with `extra` columns) and, if it changed, logs and announces it; returns the new row. */
  setState(
    row: ConnectionRow,
    state: ConnectionState,
    extra?: Partial<ConnectionRow>,
  ): Promise<ConnectionRow>;
  /** Stores the onboarding message on the row (and in `row`) unless it is already the one shown. */
  onboarding(row: ConnectionRow, message: string): Promise<void>;
}

export interface ConnectionEventsDeps {
  store: Pick<ConnectionStore, 'update'>;
  now: () => string;
  log: Logger;
  /** Whether the connection's link is up now (sent along with each event). */
  isUp: (id: string) => boolean;
}

export function createConnectionEvents({ store, now, log, isUp }: ConnectionEventsDeps): ConnectionEvents {
  const listeners = new EventEmitter();
  listeners.setMaxListeners(0);

  const events: ConnectionEvents = {
    onChange(listener) {
      listeners.on('change', listener);
      return () => listeners.off('change', listener);
    },

    emit(type, id, state) {
      const event: ConnectionEvent = { type, id, state, linkUp: isUp(id) };
      for (const l of listeners.listeners('change') as Array<(e: ConnectionEvent) => void>) {
        try {
          l(event);
        } catch (err) {
          log.error({ err, connectionId: id }, 'connection listener failed');
        }
      }
    },

    async setState(row, state, extra = {}) {
      const at = extra.state_changed_at ?? now();
      await store.update(row.id, { ...extra, state, state_changed_at: at });
      const next = { ...row, ...extra, state, state_changed_at: at };
      if (row.state !== state) {
        log.info({ connectionId: row.id, from: row.state, to: state }, 'connection state changed');
        events.emit('state', row.id, state);
      }
      return next;
    },

    async onboarding(row, message) {
      if (row.onboarding_message === message) return;
      row.onboarding_message = message;
      row.onboarding_at = now();
      await store.update(row.id, { onboarding_message: message, onboarding_at: row.onboarding_at });
    },
  };
  return events;
}
