// Fault injection for the fake ServiceNow: 429 storms, 5xx bursts, raw (malformed) answers, latency, dropped sockets (before or after the work).

interface FaultBase {
  /** How many matching requests it hits (default 1; `Infinity` until cleared). */
  count?: number;
  /** Only requests whose path starts with this (`/api/now/table/incident`, `/oauth_token.do`). */
  path?: string;
  /** Only requests with this method (`POST`); any method when absent. */
  method?: string;
}

export type Fault = FaultBase &
  (
    | {
        kind: 'rateLimit';
        /** Seconds announced in `Retry-After` (default 1). */
        retryAfterSeconds?: number;
        /** Rather than a count: every request until the fake's clock reaches this (ms since epoch). */
        untilMs?: number;
        /** Requests per hour announced in `X-RateLimit-Limit` (default 1000). */
        limit?: number;
      }
    | { kind: 'error'; status: number; body?: string }
    | { kind: 'raw'; status?: number; body: string; contentType?: string }
    | { kind: 'latency'; ms: number }
    | { kind: 'drop' }
    /** The instance does the work (a create is stored), then the socket drops before the answer. */
    | { kind: 'dropAfter' }
  );

export type FaultHit = Exclude<Fault, { kind: 'latency' }>;

/** The faults in force; `take` returns the latency to add and the fault (if any) that answers the request. */
export function createFaults(now: () => number) {
  let faults: Fault[] = [];

  const applies = (f: Fault, path: string, method: string) =>
    (f.path === undefined || path.startsWith(f.path)) &&
    (f.method === undefined || f.method.toUpperCase() === method) &&
    (f.kind === 'rateLimit' && f.untilMs !== undefined ? now() < f.untilMs : (f.count ?? 1) > 0);

  function use(f: Fault): void {
    if (!(f.kind === 'rateLimit' && f.untilMs !== undefined)) f.count = (f.count ?? 1) - 1;
  }

  return {
    add: (f: Fault) => void faults.push({ ...f }),
    clear: () => {
      faults = [];
    },
    take(path: string, method = 'GET'): { latencyMs: number; hit: FaultHit | null } {
      let latencyMs = 0;
      for (const f of faults) {
        if (f.kind !== 'latency' || !applies(f, path, method)) continue;
        latencyMs += f.ms;
        use(f);
      }
      const hit = faults.find((f): f is FaultHit => f.kind !== 'latency' && applies(f, path, method)) ?? null;
      if (hit) use(hit);
      faults = faults.filter((f) =>
        f.kind === 'rateLimit' && f.untilMs !== undefined ? now() < f.untilMs : (f.count ?? 1) > 0,
      );
      return { latencyMs, hit };
    },
  };
}
