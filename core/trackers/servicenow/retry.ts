// When to try a ServiceNow call again: capped, jittered backoff for 5xx and network errors; 429 waits as told.

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

/** "Full jitter": a random delay up to min(cap, base * 2^attempt); attempt counts from 0. */
export function backoffDelay(attempt: number, o: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(o.capMs, o.baseMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/**
 * How long a 429 asks to wait, in ms: `Retry-After` (seconds or an HTTP date), else `X-RateLimit-Reset`
 * (epoch seconds), else `fallbackMs`. Never negative.
 */
export function rateLimitWait(headers: Headers, nowMs: number, fallbackMs: number): number {
  const after = headers.get('retry-after')?.trim();
  if (after) {
    if (/^\d+(\.\d+)?$/.test(after)) return Math.max(0, Number(after) * 1000);
    const at = Date.parse(after);
    if (Number.isFinite(at)) return Math.max(0, at - nowMs);
  }
  const reset = Number(headers.get('x-ratelimit-reset'));
  if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - nowMs);
  return fallbackMs;
}

/** Statuses worth another try: the instance or a proxy in front of it was briefly unable to answer. */
export const RETRYABLE_STATUS = new Set([500, 502, 503, 504]);

/** Network failures where the request surely never reached the instance (safe to repeat a create). */
export function neverSent(err: unknown): boolean {
  const code = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
}
