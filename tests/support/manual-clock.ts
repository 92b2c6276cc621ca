// A clock for tests that moves only when told: timers run when `advance` passes their time.
import type { Cancel, Clock } from '../../core/sync/clock.ts';

/**
 * A `Clock` whose time stands still until `advance(ms)`, which runs the timers that fall due, in time order.
 * @example const clock = manualClock(); const engine = createSyncEngine({ ...deps, clock }); clock.advance(1000);
 */
export interface ManualClock extends Clock {
  advance(ms: number): void;
  /** Timers set and not yet run or cancelled. */
  readonly pending: number;
}

export function manualClock(start = Date.UTC(2030, 0, 1)): ManualClock {
  let now = start;
  let nextId = 0;
  const timers = new Map<number, { at: number; every?: number; fn: () => void }>();
  const add = (at: number, fn: () => void, every?: number): Cancel => {
    const id = nextId++;
    timers.set(id, { at, fn, ...(every ? { every } : {}) });
    return () => void timers.delete(id);
  };
  return {
    now: () => now,
    after: (ms, fn) => add(now + ms, fn),
    every: (ms, fn) => add(now + ms, fn, ms),
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const due = [...timers].filter(([, t]) => t.at <= until).sort(([, a], [, b]) => a.at - b.at)[0];
        if (!due) break;
        const [id, t] = due;
        now = Math.max(now, t.at);
        if (t.every) t.at += t.every;
        else timers.delete(id);
        t.fn();
      }
      now = until;
    },
    get pending() {
      return timers.size;
    },
  };
}
