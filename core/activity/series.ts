// Turns recorded minutes into a chart's series: one bucket per step over a range, a minute without a row
// carrying the row before it (nothing changed), a minute the sampler did not run left empty (null).
import { HOUR_MS, MINUTE_MS, minuteKey, msOf, waited } from './minutes.ts';
import type { ActivityRow } from './plan.ts';

export const RANGES = {
  '1h': { spanMs: HOUR_MS, stepMs: MINUTE_MS },
  '24h': { spanMs: 24 * HOUR_MS, stepMs: 15 * MINUTE_MS },
  '7d': { spanMs: 7 * 24 * HOUR_MS, stepMs: HOUR_MS },
} as const;
export type RangeName = keyof typeof RANGES;
export const RANGE_NAMES = Object.keys(RANGES) as RangeName[];

/** The buckets of a range ending now: `count` steps of `stepMs`, the last one holding `now`. */
export function bucketsOf(
  range: RangeName,
  now: number,
): { from: number; to: number; stepMs: number; count: number } {
  const { spanMs, stepMs } = RANGES[range];
  const count = spanMs / stepMs;
  const lastStart = Math.floor(now / stepMs) * stepMs;
  return { from: lastStart - (count - 1) * stepMs, to: lastStart + stepMs, stepMs, count };
}

/**
 * One connection over a range, column by column (index i is the bucket starting at `at[i]`); null where the
 * sampler did not run. Events are counts per bucket; queues, lags and errors the highest seen in it; `linkUp`
 * the share of sampled minutes the link was up (null before pairing).
 */
export interface ActivitySeries {
  from: string;
  to: string;
  stepSeconds: number;
  at: string[];
  eventsOut: (number | null)[];
  eventsIn: (number | null)[];
  eventsQueued: (number | null)[];
  queuedOut: (number | null)[];
  queuedIn: (number | null)[];
  lagOutMs: (number | null)[];
  lagInMs: (number | null)[];
  linkUp: (number | null)[];
  openErrors: (number | null)[];
  /** The connection's state at the bucket's last sampled minute. */
  state: (string | null)[];
}

interface Bucket {
  minutes: number;
  linkMinutes: number;
  linkUpMinutes: number;
  eventsOut: number;
  eventsIn: number;
  eventsQueued: number;
  queuedOut: number;
  queuedIn: number;
  lagOutMs: number;
  lagInMs: number;
  openErrors: number;
  state: string | null;
}

const emptyBucket = (): Bucket => ({
  minutes: 0,
  linkMinutes: 0,
  linkUpMinutes: 0,
  eventsOut: 0,
  eventsIn: 0,
  eventsQueued: 0,
  queuedOut: 0,
  queuedIn: 0,
  lagOutMs: 0,
  lagInMs: 0,
  openErrors: 0,
  state: null,
});

/**
 * The series of one connection. `rows` are its rows from an hour before `from` (so the first minutes have
 * the row they carry) up to `to`, in minute order; `sweeps` the minutes the sampler ran.
 * @example const s = buildSeries(rows, sweeps, bucketsOf('1h', Date.now()));
 */
export function buildSeries(
  rows: readonly ActivityRow[],
  sweeps: ReadonlySet<string>,
  range: { from: number; to: number; stepMs: number; count: number },
): ActivitySeries {
  const buckets = Array.from({ length: range.count }, emptyBucket);
  const byMinute = new Map(rows.map((r) => [r.minute, r]));
  let carried: ActivityRow | undefined;
  let next = 0;
  // The row in force when the range starts.
  while (next < rows.length && msOf(rows[next]!.minute) < range.from) carried = rows[next++];
  for (let m = range.from; m < range.to; m += MINUTE_MS) {
    const key = minuteKey(m);
    const own = byMinute.get(key);
    if (own) carried = own;
    if (!own && !sweeps.has(key)) continue;
    if (!carried) continue;
    const b = buckets[Math.floor((m - range.from) / range.stepMs)]!;
    b.minutes++;
    if (own) {
      b.eventsOut += own.events_out;
      b.eventsIn += own.events_in;
      b.eventsQueued += own.events_queued;
    }
    // A minute carried from an earlier row had nothing waiting (else it would have its own row).
    const at = own ? own.sampled_at : key;
    b.lagOutMs = Math.max(b.lagOutMs, own ? waited(own.oldest_out_at, at) : 0);
    b.lagInMs = Math.max(b.lagInMs, own ? waited(own.oldest_in_at, at) : 0);
    b.queuedOut = Math.max(b.queuedOut, carried.queued_out);
    b.queuedIn = Math.max(b.queuedIn, carried.queued_in);
    b.openErrors = Math.max(b.openErrors, carried.open_errors);
    b.state = carried.state;
    if (carried.link_up !== null) {
      b.linkMinutes++;
      if (carried.link_up === 1) b.linkUpMinutes++;
    }
  }
  const col = <T>(f: (b: Bucket) => T): (T | null)[] => buckets.map((b) => (b.minutes ? f(b) : null));
  return {
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    stepSeconds: range.stepMs / 1000,
    at: buckets.map((_, i) => new Date(range.from + i * range.stepMs).toISOString()),
    eventsOut: col((b) => b.eventsOut),
    eventsIn: col((b) => b.eventsIn),
    eventsQueued: col((b) => b.eventsQueued),
    queuedOut: col((b) => b.queuedOut),
    queuedIn: col((b) => b.queuedIn),
    lagOutMs: col((b) => b.lagOutMs),
    lagInMs: col((b) => b.lagInMs),
    linkUp: col((b) => (b.linkMinutes ? Math.round((b.linkUpMinutes / b.linkMinutes) * 1000) / 1000 : null)),
    openErrors: col((b) => b.openErrors),
    state: col((b) => b.state),
  };
}
