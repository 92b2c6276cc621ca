// The time source of the sync engine and delivery: the real clock by default, a controlled one in tests.

/** Cancels a timer set by a `Clock`; calling it again, or after the timer ran, does nothing. */
export type Cancel = () => void;

/**
 * Time as the engine and delivery see it: the current time and timers (backoff, ack time-outs, coalescing,
 * the idle tick). The `every` timer does not keep the process alive on its own.
 * @example const clock: Clock = realClock; const cancel = clock.after(200, () => void saveAck()); cancel();
 */
export interface Clock {
  /** Milliseconds since the epoch, as `Date.now()`. */
  now(): number;
  /** Runs `fn` once after `ms`. */
  after(ms: number, fn: () => void): Cancel;
  /** Runs `fn` every `ms` until cancelled. */
  every(ms: number, fn: () => void): Cancel;
}

export const realClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
  every(ms, fn) {
    const t = setInterval(fn, ms);
    t.unref();
    return () => clearInterval(t);
  },
};
