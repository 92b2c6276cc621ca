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
  /** Connections that already have a row for this minute (an earlier sample of it): always rewritten. */
  written: ReadonlySet<string>;
  /** When the sampler last ran before this minute; null if never (the history starts now). */
  lastSweepAt: string | null;
}

/**
 * Events since `before`. A counter that went down was reset (its stream deleted and made again): what it
 * counts now all happened since. Never negative.
 */
export function counterDelta(now: number, before: number): number {
  return now >= before ? now - before : Math.max(0, now);
}

/** A connection with no row before: new since the last sweep, its counters are all news; else they are a baseline. */
function baseline(
  c: ConnectionNow,
  lastSweepAt: string | null,
): { outSeq: number; outAcked: number; inHigh: number } {
  const isNew = lastSweepAt !== null && msOf(c.createdAt) >= msOf(lastSweepAt);
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
 * @example const rows = planRows({ minute, sampledAt, now, previous, written: new Set(), lastSweepAt: null });
 */
export function planRows(input: PlanInput): ActivityRow[] {
  const rows: ActivityRow[] = [];
  for (const c of input.now) {
    const prev = input.previous.get(c.id);
    const before = prev
      ? { outSeq: prev.out_seq, outAcked: prev.out_acked, inHigh: prev.in_high }
      : baseline(c, input.lastSweepAt);
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
