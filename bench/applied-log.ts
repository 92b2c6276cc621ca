// What a bench host process saw the sync engine apply since the last reset, and waiting for it: shared by the
// one-host child (bench/tandem-host.ts) and the receivers' process (bench/tandem-receivers.ts).

/** Entities written by the sync engine since the last reset: key -> first time, in ms. */
export class AppliedLog {
  applied = new Map<string, number>();
  #waiting: { n: number; resolve: () => void } | undefined;

  /** An entity applied now (the first time counts). */
  record(key: string): void {
    if (this.applied.has(key)) return;
    this.applied.set(key, Date.now());
    if (this.#waiting && this.applied.size >= this.#waiting.n) this.#waiting.resolve();
  }

  reset(): { ok: true } {
    this.applied = new Map();
    return { ok: true };
  }

  /** Waits until n entities were applied, the time runs out, or nothing new arrived for `stallMs`. */
  async waitApplied(m: { [k: string]: unknown }) {
    const n = Number(m.n);
    const deadline = Date.now() + Number(m.timeoutMs ?? 60_000);
    const stallMs = Number(m.stallMs ?? 20_000);
    let seen = this.applied.size;
    let lastProgress = Date.now();
    while (this.applied.size < n && Date.now() < deadline && Date.now() - lastProgress < stallMs) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 250);
        this.#waiting = {
          n,
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
        };
      });
      if (this.applied.size !== seen) {
        seen = this.applied.size;
        lastProgress = Date.now();
      }
    }
    this.#waiting = undefined;
    const times = [...this.applied.values()];
    return { count: this.applied.size, last: times.length ? Math.max(...times) : null };
  }

  /** For each entity applied since the reset: apply time minus the `t0=` stamp its summary carries (one clock). */
  async latencies(summaryOf: (key: string) => Promise<unknown>) {
    const latencies: number[] = [];
    for (const [key, at] of this.applied) {
      const t0 = /t0=(\d+)/.exec(String((await summaryOf(key)) ?? ''))?.[1];
      if (t0) latencies.push(at - Number(t0));
    }
    return { latencies };
  }
}
