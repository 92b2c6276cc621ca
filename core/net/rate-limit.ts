// A small token bucket per key, for things where guessing or flooding must be slow (credentials, handshakes).

/**
 * Token buckets by key (an address, say), bounded in memory.
 * @example if (!limiter.take(address)) refuse(`retry in ${limiter.waitMs(address)} ms`)
 */
export interface RateLimiter {
  /** Takes one token from the bucket of `key`; false when it is empty. */
  take(key: string): boolean;
  /** Milliseconds until the bucket of `key` holds a token again (0 when it holds one now). */
  waitMs(key: string): number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export function createRateLimiter(opts: {
  capacity: number;
  refillPerSecond: number;
  /** Most keys remembered (default 10,000); past it the least recently used key is forgotten. */
  maxKeys?: number;
  now?: () => number;
}): RateLimiter {
  const maxKeys = opts.maxKeys ?? 10_000;
  const now = opts.now ?? Date.now;
  // Map order is recency order: a bucket is moved to the end whenever it is used, so the first
  // key is the least recently used. Evicting it one at a time (never clearing the whole map)
  // means a caller cannot reset its own bucket by spraying other keys: it would have to send
  // `maxKeys` other keys after its last attempt, and the keys are addresses it must own.
  const buckets = new Map<string, Bucket>();
  const refilled = (key: string, at: number): Bucket => {
    const b = buckets.get(key);
    if (!b) return { tokens: opts.capacity, at };
    return {
      tokens: Math.min(opts.capacity, b.tokens + ((at - b.at) / 1000) * opts.refillPerSecond),
      at,
    };
  };
  return {
    take(key) {
      const b = refilled(key, now());
      buckets.delete(key);
      if (buckets.size >= maxKeys) {
        const oldest = buckets.keys().next();
        if (!oldest.done) buckets.delete(oldest.value);
      }
      buckets.set(key, b);
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    },
    waitMs(key) {
      const b = refilled(key, now());
      return b.tokens >= 1 ? 0 : Math.ceil(((1 - b.tokens) / opts.refillPerSecond) * 1000);
    },
  };
}
