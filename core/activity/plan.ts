// Decides the rows one sample writes: deltas of the stream counters since the minute before, and which
// connections changed at all (an idle connection is written once an hour, not every minute).
import type { ActivityMinuteTable } from '../../storage/activity-tables.ts';
import { HOUR_MS, msOf } from './minutes.ts';
import type { ConnectionNow } from './read-now.ts';

export type ActivityRow = ActivityMinuteTable;

export interface PlanInput {
  /** The minute being written (ISO) and the sample time. */
  minute: string;
  sampledAt: string;
  now: readonly ConnectionNow[];
  /** Each connection's latest row before this minute. */
  previous: ReadonlyMap<string, ActivityRow>;
  /** The rows this minute already has (an earlier sample of it): rewritten, from the same base. */
  written: ReadonlyMap<string, ActivityRow>;
  /** When the sampler last ran; null if never (the history starts now). */
  lastSweepAt: string | null;
}

/**
 * Events since `before`. A counter that went down was reset (its stream deleted and made again): what it
 * counts now all happened since. Never negative.
 */
export function counterDelta(now: number, before: number): number {
  return now >= before ? now - before : Math.max(0, now);
}

type Counters = { outSeq: number; outAcked: number; inHigh: number };

/**
 * What this minute's deltas count from: the base an earlier sample of the minute used (so rewriting a minute
 * never counts twice), else the counters of the row before, else zero for a connection made since the last
 * sweep (all it did is news) or its counters now for one older than the history (a baseline).
 */
function baseOf(c: ConnectionNow, input: PlanInput): Counters {
  const same = input.written.get(c.id);
  if (same)
    return {
      outSeq: same.out_seq - same.events_queued,
      outAcked: same.out_acked - same.events_out,
      inHigh: same.in_high - same.events_in,
    };
  const prev = input.previous.get(c.id);
  if (prev) return { outSeq: prev.out_seq, outAcked: prev.out_acked, inHigh: prev.in_high };
  const isNew = input.lastSweepAt !== null && msOf(c.createdAt) >= msOf(input.lastSweepAt);
  return isNew
    ? { outSeq: 0, outAcked: 0, inHigh: 0 }
    : { outSeq: c.outSeq, outAcked: c.outAcked, inHigh: c.inHigh };
}

const linkValue = (up: boolean | null): number | null => (up === null ? null : up ? 1 : 0);

/** True when `row` says nothing its predecessor `prev` did not: no events, nothing waiting, same gauges. */
function idle(row: ActivityRow, prev: ActivityRow): boolean {
  return (
    row.events_queued === 0 &&
    row.events_out === 0 &&
    row.events_in === 0 &&
    row.oldest_out_at === null &&
    row.oldest_in_at === null &&
    row.state === prev.state &&
    row.link_up === prev.link_up &&
    row.queued_out === prev.queued_out &&
    row.queued_in === prev.queued_in &&
    row.open_errors === prev.open_errors
  );
}

/**
 * The rows to upsert for one sample.
 * @example const rows = planRows({ minute, sampledAt, now, previous, written: new Map(), lastSweepAt: null });
 */
export function planRows(input: PlanInput): ActivityRow[] {
  const rows: ActivityRow[] = [];
  for (const c of input.now) {
    const prev = input.previous.get(c.id);
    const before = baseOf(c, input);
    const row: ActivityRow = {
      connection_id: c.id,
      minute: input.minute,
      sampled_at: input.sampledAt,
      state: c.state,
      link_up: linkValue(c.linkUp),
      out_seq: c.outSeq,
      out_acked: c.outAcked,
      in_high: c.inHigh,
      events_queued: counterDelta(c.outSeq, before.outSeq),
      events_out: counterDelta(c.outAcked, before.outAcked),
      events_in: counterDelta(c.inHigh, before.inHigh),
      queued_out: c.queuedOut,
      queued_in: c.queuedIn,
      oldest_out_at: c.oldestOutAt,
      oldest_in_at: c.oldestInAt,
      open_errors: c.openErrors,
    };
    const keyframeDue = !prev || msOf(input.minute) - msOf(prev.minute) >= HOUR_MS;
    if (!input.written.has(c.id) && !keyframeDue && prev && idle(row, prev)) continue;
    rows.push(row);
  }
  return rows;
}
