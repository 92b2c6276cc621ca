// What a tracker may report about itself for `GET /api/tracker` beside its `health()` checks: an optional `status()`.
import type { Tracker, TrackerCheck } from './tracker.ts';

export type { TrackerCheck };

export type TrackerHealthStatus = 'ok' | 'degraded' | 'down';

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
 * The optional reporting member a tracker may have beside `Tracker` (kept apart from the interface while
 * it is redesigned; `health()` is the interface's own). Without it a tracker reports no URL, no calls and
 * no poll; `kind` is always its `id`.
 * @example
 * return { ...members, status: () => ({ url, lastPollAt, calls: counter.counts() }) } satisfies Tracker & TrackerReport;
 */
export interface TrackerReport {
  status?(): TrackerStatus;
}

/** The tracker's `status()` when it has one (a function), else undefined. */
export function statusOf(tracker: Tracker): (() => TrackerStatus) | undefined {
  const status = (tracker as Tracker & Record<string, unknown>).status;
  return typeof status === 'function' ? () => (status as () => TrackerStatus).call(tracker) : undefined;
}
