// Counts requests made to ServiceNow: in all, and in the last minute (sliding window on an injected clock).

export interface CallCounts {
  total: number;
  lastMinute: number;
}

/**
 * @example const calls = createCallCounter(Date.now); calls.record(); calls.counts() // {total: 1, lastMinute: 1}
 */
export function createCallCounter(now: () => number) {
  let total = 0;
  let recent: number[] = [];
  const prune = () => {
    const since = now() - 60_000;
    if (recent.length > 0 && recent[0]! <= since) recent = recent.filter((t) => t > since);
  };
  return {
    record(): void {
      total++;
      recent.push(now());
      if (recent.length > 10_000) prune();
    },
    counts(): CallCounts {
      prune();
      return { total, lastMinute: recent.length };
    },
  };
}
