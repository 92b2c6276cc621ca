// Runs jobs one at a time per key, in the order they were queued; a failing job does not stop the next.

/**
 * Per-key serial execution: a job starts once every earlier job of its key has settled. Keys with
 * nothing queued take no memory.
 * @example const q = createSerialQueue(); await q.run(connectionId, () => applyFrame(frame));
 */
export interface SerialQueue {
  /** Queues `job` behind the key's earlier jobs; resolves or rejects with the job's own outcome. */
  run<T>(key: string, job: () => Promise<T> | T): Promise<T>;
  /** Resolves once every job queued so far, of every key, has settled. */
  idle(): Promise<void>;
  /** Keys with a job queued or running. */
  readonly size: number;
}

export function createSerialQueue(): SerialQueue {
  const tails = new Map<string, Promise<void>>();
  return {
    run<T>(key: string, job: () => Promise<T> | T): Promise<T> {
      const prev = tails.get(key) ?? Promise.resolve();
      const next = prev.then(job);
      const tail = next.then(
        () => undefined,
        () => undefined,
      );
      tails.set(key, tail);
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return next;
    },
    async idle() {
      while (tails.size > 0) await Promise.all(tails.values());
    },
    get size() {
      return tails.size;
    },
  };
}
