// Every (state, event) pair of the lifecycle table answers as the connection service did before the table.
import { describe, expect, it } from 'vitest';
import { CONNECTION_STATES, isPairing, type LifecycleEvent, nextState, TRANSITIONS } from './lifecycle.ts';

/** The allowed transitions, written out by hand; every other pair is forbidden. */
const ALLOWED: Record<LifecycleEvent, Record<string, string>> = {
  linked: { pending: 'awaiting_validation' },
  checks_failed: {
    awaiting_validation: 'validation_failed',
    validated: 'validation_failed',
    validation_failed: 'validation_failed',
  },
  checks_passed: {
    awaiting_validation: 'validated',
    validated: 'validated',
    validation_failed: 'validated',
  },
  onboarded: { validated: 'active' },
  activate: { validated: 'active', deactivated: 'active' },
  deactivate: { active: 'deactivated' },
  peer_activated: { deactivated: 'active' },
  peer_deactivated: { active: 'deactivated' },
  mode_mismatch: Object.fromEntries(CONNECTION_STATES.map((s) => [s, 'validation_failed'])),
  revoked: Object.fromEntries(CONNECTION_STATES.map((s) => [s, 'error'])),
};

describe('connection lifecycle table', () => {
  const events = Object.keys(TRANSITIONS) as LifecycleEvent[];
  for (const event of events) {
    for (const from of CONNECTION_STATES) {
      const expected = ALLOWED[event][from];
      it(`${event} from ${from}: ${expected ?? 'forbidden'}`, () => {
        expect(nextState(from, event)).toBe(expected);
      });
    }
  }

  it('pairing states are those between the first link and activation', () => {
    expect(CONNECTION_STATES.filter(isPairing)).toEqual([
      'awaiting_validation',
      'validated',
      'validation_failed',
    ]);
  });
});
