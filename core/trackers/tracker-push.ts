// The optional push member a tracker may have beside `Tracker`: a signed wake-up from the system (a Business Rule).
import type { Tracker } from './tracker.ts';

/**
 * `accept` verifies the request (the tracker's own signature scheme) and, when it holds, wakes the poller.
 * @example return { ...members, push: { accept: (body, signature) => verifyPush(secret, body, signature) && wake() } };
 */
export interface TrackerPush {
  accept(body: string, signature: string | undefined): boolean;
}

/** The tracker's `push` when it has one, else undefined. */
export function pushOf(tracker: Tracker): TrackerPush | undefined {
  const push = (tracker as Tracker & { push?: unknown }).push as Partial<TrackerPush> | undefined;
  return push && typeof push.accept === 'function' ? (push as TrackerPush) : undefined;
}
