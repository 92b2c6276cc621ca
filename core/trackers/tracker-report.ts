// What a tracker may report about itself for `GET /api/tracker`: optional members, read through a type guard.
import type { Tracker } from './tracker.ts';

export type TrackerHealthStatus = 'ok' | 'degraded' | 'down';

/** One check as `GET /api/tracker` lists it; a failed one says what to change when that is known. */
export interface TrackerCheck {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

/** How the tracker is doing with the system it talks to; every member is optional. */
export interface TrackerStatus {
  /** The system's address (a ServiceNow instance URL); never credentials. */
  url?: string | null;
  /** Left out: derived from the checks (all pass: ok, none: down, else degraded). */
  status?: TrackerHealthStatus;
  /** ISO 8601 time of the last look for changes. */
  lastPollAt?: string | null;
  /** Requests made to the system, polls included. */
  calls?: { total: number; lastMinute: number };
  /** ISO 8601 time until which the system asked us to wait (HTTP 429). */
  rateLimitedUntil?: string | null;
}

/**
 * The optional reporting members a tracker may have beside `Tracker` (kept apart while the interface
 * is redesigned). A tracker without them reports `kind` = its id, no URL, no calls, and one read check.
 * @example
 * const tracker = { ...store, status: () => ({ lastPollAt, calls }), health: async () => [{ name: 'File readable', ok: true, detail: path }] }
 *   satisfies Tracker & TrackerReport;
 */
export interface TrackerReport {
  status?(): TrackerStatus;
  health?(): Promise<readonly TrackerCheck[]>;
}

/** The tracker with its reporting members typed, those that are not functions left out. */
export function trackerReport(tracker: Tracker): TrackerReport {
  const t = tracker as Tracker & Record<string, unknown>;
  const out: TrackerReport = {};
  if (typeof t.status === 'function') out.status = () => (t.status as () => TrackerStatus).call(tracker);
  if (typeof t.health === 'function')
    out.health = () => (t.health as () => Promise<readonly TrackerCheck[]>).call(tracker);
  return out;
}
