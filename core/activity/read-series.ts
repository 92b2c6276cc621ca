// Reads the recorded activity of some connections over a range, as chart series.
import type { Db } from '../../storage/schema.ts';
import { rowsBetween, sweepsBetween } from './activity-store.ts';
import { HOUR_MS, minuteKey } from './minutes.ts';
import type { ActivityRow } from './plan.ts';
import { type ActivitySeries, bucketsOf, buildSeries, type RangeName } from './series.ts';

/**
 * The series of each connection of `ids` over `range` ending at `now` (two queries whatever the count).
 * @example const [series] = (await readSeries(db, [id], '24h', clock.now())).values();
 */
export async function readSeries(
  db: Db,
  ids: readonly string[],
  range: RangeName,
  now: number,
): Promise<Map<string, ActivitySeries>> {
  const buckets = bucketsOf(range, now);
  const to = minuteKey(buckets.to);
  const [rows, sweeps] = await Promise.all([
    // An hour before the range: idle connections have a row at least hourly, so the first minutes have theirs.
    ids.length ? rowsBetween(db, ids, minuteKey(buckets.from - HOUR_MS), to) : [],
    sweepsBetween(db, minuteKey(buckets.from), to),
  ]);
  const byConnection = new Map<string, ActivityRow[]>(ids.map((id) => [id, []]));
  for (const r of rows) byConnection.get(r.connection_id)?.push(r);
  return new Map([...byConnection].map(([id, own]) => [id, buildSeries(own, sweeps, buckets)]));
}
