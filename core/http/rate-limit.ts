// A small token bucket per key, for endpoints where guessing must be slow (sign-in, invitation accept).

export interface RateLimiter {
  take(key: string): boolean;
}

export function createRateLimiter(opts: { capacity: number; refillPerSecond: number }): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      const now = Date.now();
      const b = buckets.get(key) ?? { tokens: opts.capacity, at: now };
      b.tokens = Math.min(opts.capacity, b.tokens + ((now - b.at) / 1000) * opts.refillPerSecond);
      b.at = now;
      if (buckets.size > 10_000) buckets.clear();
      buckets.set(key, b);
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    },
  };
}
