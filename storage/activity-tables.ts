// Table types of the per-minute activity history (migration 0012_activity), merged into `Database` in schema.ts.

/**
 * What one connection did in one minute, as the activity sampler (core/activity/) saw it. A minute in which
 * nothing changed gets no row (the row before it still holds); an idle connection gets one row an hour.
 */
export interface ActivityMinuteTable {
  connection_id: string;
  /** The minute's start, ISO 8601 (`2030-01-01T10:05:00.000Z`). */
  minute: string;
  /** When the latest sample of this minute was taken. */
  sampled_at: string;
  state: string;
  /** 1 when the link was up at a sample of this minute, 0 when down, null before pairing. */
  link_up: number | null;
  /** The stream counters at the sample (sync_streams.out_seq, out_acked, in_high), for the next minute's deltas. */
  out_seq: number;
  out_acked: number;
  in_high: number;
  /** New events queued for the peer since the minute before. */
  events_queued: number;
  /** Events the peer acknowledged since the minute before. */
  events_out: number;
  /** Events received from the peer since the minute before. */
  events_in: number;
  queued_out: number;
  queued_in: number;
  /** When the oldest event the peer has not acknowledged was queued; null when none waits. */
  oldest_out_at: string | null;
  /** When the oldest event waiting here to be applied arrived; null when none waits. */
  oldest_in_at: string | null;
  open_errors: number;
}

/** The minutes the sampler ran on this node: a minute without it is a gap (host down), not an idle minute. */
export interface ActivitySweepTable {
  minute: string;
  sampled_at: string;
}

export interface ActivityTables {
  activity_minutes: ActivityMinuteTable;
  activity_sweeps: ActivitySweepTable;
}
