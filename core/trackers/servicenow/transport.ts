// Sends one request to ServiceNow and tries again as it should: 5xx and network errors with backoff, 429 as told.
import { ServiceNowError, type ServiceNowOperation } from './errors.ts';
import { type BackoffOptions, backoffDelay, neverSent, RETRYABLE_STATUS, rateLimitWait } from './retry.ts';

export interface TransportOptions {
  fetch: typeof fetch;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  /** Called once per request sent, retries included. */
  onCall: () => void;
  /** Tries per call for 5xx and network errors (default 5). */
  maxAttempts: number;
  backoff: BackoffOptions;
  /** Longest total wait for 429s in one call before giving up with SERVICENOW_RATE_LIMITED. */
  maxRateLimitWaitMs: number;
  timeoutMs: number;
}

export interface SendContext {
  /** Safe to repeat after a 5xx or a failure in flight (false for creates: they may have been applied). */
  idempotent: boolean;
  table?: string;
  operation: ServiceNowOperation;
}

/**
 * @example const t = createTransport(opts); const res = await t.send(url, { method: 'GET' }, { idempotent: true, operation: 'read' })
 */
export function createTransport(o: TransportOptions) {
  let limitedUntil = 0;

  async function send(url: string, init: RequestInit, ctx: SendContext): Promise<Response> {
    let failures = 0;
    let waited = 0;
    for (;;) {
      let res: Response;
      try {
        o.onCall();
        res = await o.fetch(url, { ...init, signal: AbortSignal.timeout(o.timeoutMs) });
      } catch (err) {
        if (!(ctx.idempotent || neverSent(err)) || ++failures >= o.maxAttempts)
          throw unreachable(ctx, failures, err);
        await o.sleep(backoffDelay(failures - 1, o.backoff, o.random));
        continue;
      }
      if (res.status === 429) {
        await res.body?.cancel();
        const wait = rateLimitWait(res.headers, o.now(), o.backoff.capMs);
        limitedUntil = Math.max(limitedUntil, o.now() + wait);
        if (waited + wait > o.maxRateLimitWaitMs) throw rateLimited(ctx, limitedUntil);
        waited += wait;
        await o.sleep(wait);
        continue;
      }
      if (!RETRYABLE_STATUS.has(res.status)) return res;
      await res.body?.cancel();
      // A 503 is the instance (or its proxy) refusing before work; other 5xx may follow a half-done create.
      const again = ctx.idempotent || res.status === 503;
      if (!again || ++failures >= o.maxAttempts) throw unavailable(ctx, res.status);
      await o.sleep(backoffDelay(failures - 1, o.backoff, o.random));
    }
  }

  return {
    send,
    /** When the last 429 asked to come back, while that is still ahead; else null. */
    rateLimitedUntil: (): string | null =>
      limitedUntil > o.now() ? new Date(limitedUntil).toISOString() : null,
  };
}

function unreachable(ctx: SendContext, attempts: number, err: unknown): ServiceNowError {
  const timedOut = (err as { name?: string } | null)?.name === 'TimeoutError';
  const what = timedOut ? 'did not answer in time' : 'could not be reached';
  return new ServiceNowError(
    'SERVICENOW_UNAVAILABLE',
    `ServiceNow ${what} (${Math.max(attempts, 1)} tries)`,
    {
      table: ctx.table,
      operation: ctx.operation,
      maybeApplied: !ctx.idempotent && !neverSent(err),
      fix: 'Check TANDEM_SERVICENOW_URL and that the instance is up and reachable from this host',
    },
  );
}

function unavailable(ctx: SendContext, status: number): ServiceNowError {
  return new ServiceNowError('SERVICENOW_UNAVAILABLE', `ServiceNow kept answering ${status}`, {
    table: ctx.table,
    operation: ctx.operation,
    upstreamStatus: status,
    maybeApplied: !ctx.idempotent && status !== 503,
  });
}

function rateLimited(ctx: SendContext, until: number): ServiceNowError {
  const at = new Date(until).toISOString();
  return new ServiceNowError('SERVICENOW_RATE_LIMITED', `ServiceNow's rate limit holds until ${at}`, {
    table: ctx.table,
    operation: ctx.operation,
    upstreamStatus: 429,
    rateLimitedUntil: at,
    fix: 'Raise the rate limit rule for the integration user, or poll less often (TANDEM_SERVICENOW_POLL_MS)',
  });
}
