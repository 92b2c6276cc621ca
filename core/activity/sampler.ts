// The activity sampler: once a minute it reads where every connection stands and records it, so the dashboard
// can draw the last hour, day and week. It reads what the sync engine already keeps and never writes its tables.
import type { Db } from '../../storage/schema.ts';
import type { LinkHub } from '../link/link-hub.ts';
import type { Logger } from '../log.ts';
import type { Cancel, Clock } from '../sync/clock.ts';
import { lastSweep, latestBefore, prune, writeSample, writtenAt } from './activity-store.ts';
import { HOUR_MS, MINUTE_MS, minuteKey } from './minutes.ts';
import { planRows } from './plan.ts';
import { readNow } from './read-now.ts';

export interface ActivitySamplerOptions {
  db: Db;
  link: LinkHub | undefined;
  clock: Clock;
  log: Logger;
  /** Time between samples (default a minute; tests sample more often, each sample rewrites its minute's row). */
  sampleMs?: number | undefined;
  /** How long the history is kept (default 7 days). */
  retentionMs?: number | undefined;
}

/**
 * Records one row per connection per minute in which something changed (and one an hour when nothing did).
 * @example const sampler = createActivitySampler({ db, link, clock: realClock, log }); sampler.start(); await sampler.stop();
 */
export interface ActivitySampler {
  /** Samples now, then at each boundary of the sample interval. */
  start(): void;
  /** Takes one sample now (what the timer runs); resolves when it is written. */
  sample(): Promise<void>;
  /** Stops the timer and waits for a sample in progress. */
  stop(): Promise<void>;
}

export const DEFAULT_RETENTION_MS = 7 * 24 * HOUR_MS;

export function createActivitySampler(opts: ActivitySamplerOptions): ActivitySampler {
  const { db, link, clock, log } = opts;
  const sampleMs = opts.sampleMs ?? MINUTE_MS;
  const retentionMs = opts.retentionMs ?? DEFAULT_RETENTION_MS;
  let timer: Cancel | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let lastPruneAt = Number.NEGATIVE_INFINITY;

  async function once(): Promise<void> {
    const now = clock.now();
    const minute = minuteKey(now);
    const sampledAt = new Date(now).toISOString();
    const [current, previous, written, lastSweepAt] = await Promise.all([
      readNow(db, link),
      latestBefore(db, minute),
      writtenAt(db, minute),
      lastSweep(db),
    ]);
    const rows = planRows({ minute, sampledAt, now: current, previous, written, lastSweepAt });
    await writeSample(db, minute, sampledAt, rows);
    if (now - lastPruneAt >= HOUR_MS) {
      lastPruneAt = now;
      // An hour more than the retention: the first hour of the oldest range still has the row before it.
      const removed = await prune(db, minuteKey(now - retentionMs - HOUR_MS));
      if (removed.rows || removed.sweeps) log.debug({ ...removed }, 'activity history pruned');
    }
  }

  function sample(): Promise<void> {
    // One at a time: a slow sample makes the next one wait, it does not run beside it.
    running ??= once()
      .catch((err: unknown) => log.warn({ err }, 'activity sample failed'))
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  function schedule(): void {
    if (stopped) return;
    // At the next boundary of the interval, so each sample lands early in its minute.
    const now = clock.now();
    timer = clock.after(sampleMs - (now % sampleMs), () => {
      void sample().finally(schedule);
    });
  }

  return {
    start() {
      stopped = false;
      void sample().finally(schedule);
    },
    sample,
    async stop() {
      stopped = true;
      timer?.();
      timer = undefined;
      await running;
    },
  };
}
