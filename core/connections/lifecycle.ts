// The connection lifecycle as one table: which event moves a connection from which state to which.
import type { ConnectionState } from './connection-view.ts';

/** Every state, in the order users meet them; the one list the API schema and the metrics use. */
export const CONNECTION_STATES = [
  'pending',
  'awaiting_validation',
  'validated',
  'validation_failed',
  'active',
  'deactivated',
  'error',
] as const satisfies readonly ConnectionState[];

/** What can happen to a connection. */
export type LifecycleEvent =
  /** The peer authenticated on the link (it accepted the invitation, or it reconnected). */
  | 'linked'
  /** Health checks ran and at least one failed. */
  | 'checks_failed'
  /** Health checks ran and all passed. */
  | 'checks_passed'
  /** Both sides exchanged onboarding settings. */
  | 'onboarded'
  /** An admin activates (or the peer did, later than our last change). */
  | 'activate'
  /** An admin deactivates (or the peer did, later than our last change). */
  | 'deactivate'
  /** The peer activated after our last change (only a deactivated connection follows). */
  | 'peer_activated'
  /** The peer deactivated after our last change (only an active connection follows). */
  | 'peer_deactivated'
  /** The peer has the connection in another mode. */
  | 'mode_mismatch'
  /** The peer removed the connection. */
  | 'revoked';

const PAIRING = ['awaiting_validation', 'validated', 'validation_failed'] as const;
const every = (to: ConnectionState) =>
  Object.fromEntries(CONNECTION_STATES.map((s) => [s, to])) as Record<ConnectionState, ConnectionState>;

/**
 * from state -> next state, per event; a state missing from an event's row means the event is not
 * allowed there (the state stays and, for an admin action, the request is refused).
 */
export const TRANSITIONS: Record<LifecycleEvent, Partial<Record<ConnectionState, ConnectionState>>> = {
  linked: { pending: 'awaiting_validation' },
  checks_failed: Object.fromEntries(PAIRING.map((s) => [s, 'validation_failed'])),
  checks_passed: Object.fromEntries(PAIRING.map((s) => [s, 'validated'])),
  onboarded: { validated: 'active' },
  activate: { validated: 'active', deactivated: 'active' },
  deactivate: { active: 'deactivated' },
  peer_activated: { deactivated: 'active' },
  peer_deactivated: { active: 'deactivated' },
  mode_mismatch: every('validation_failed'),
  revoked: every('error'),
};

/**
 * The state `event` moves `from` to, or undefined where the table does not allow it.
 * @example nextState('deactivated', 'activate') // 'active'; nextState('pending', 'activate') // undefined
 */
export function nextState(from: ConnectionState, event: LifecycleEvent): ConnectionState | undefined {
  return TRANSITIONS[event][from];
}

/** Health checks and onboarding run in these states (between the first link and activation). */
export function isPairing(state: ConnectionState): boolean {
  return (PAIRING as readonly ConnectionState[]).includes(state);
}
