// Time arithmetic of the activity history: minutes as ISO-8601 text, and how long ago a waiting event arrived.

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;

/** The start of the minute `ms` falls in, as a row key: `2030-01-01T10:05:00.000Z`. */
export function minuteKey(ms: number): string {
  return new Date(Math.floor(ms / MINUTE_MS) * MINUTE_MS).toISOString();
}

/** Milliseconds since the epoch of an ISO time; NaN for text that is not one. */
export const msOf = (iso: string): number => Date.parse(iso);

/** How long an event waiting since `since` had waited at `at`; 0 when nothing waits (or clocks disagree). */
export function waited(since: string | null, at: string): number {
  if (!since) return 0;
  const ms = msOf(at) - msOf(since);
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}
