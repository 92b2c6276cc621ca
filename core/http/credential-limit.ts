// Failed admin credentials are counted per source address: guessing is slow, and a stranger cannot lock out the admin.
import type { Context } from 'hono';
import { TandemError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { addressKey, createIpMatcher } from '../net/ip-address.ts';
import { createRateLimiter } from '../net/rate-limit.ts';
import { clientAddress } from './client-address.ts';

/** Failures one address may make at once, and how fast it earns more (one every five seconds). */
export const CREDENTIAL_BURST = 10;
export const CREDENTIAL_REFILL_PER_SECOND = 0.2;

/**
 * Call it only after a presented credential was checked and found wrong: a correct credential
 * never touches the limiter, so no one else's failures can refuse it.
 * @example if (!auth.checkToken(token)) throw c.var.credentialLimit.failed(c, 'The admin token is not valid')
 */
export interface CredentialLimit {
  /** Counts a failure from the caller's address; returns the error to throw (401, or 429 when over the limit). */
  failed(c: Context, message: string): TandemError;
  /**
   * The 429 to throw when the caller's address has no failures left, without counting one. A password is
   * guessable where a token is not: password sign-in asks this before it checks the password at all.
   */
  blocked(c: Context): TandemError | undefined;
}

/** The 429 of a bucket that is empty for `seconds` more, with its Retry-After header set. */
export function rateLimited(c: Context, waitMs: number, message: string): TandemError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  c.header('Retry-After', String(seconds));
  return new TandemError('RATE_LIMITED', 429, `${message}; try again in ${seconds} s`, {
    retryAfter: seconds,
  });
}

export function createCredentialLimit(opts: {
  /** Ranges from `parseTrustedProxies`: peers whose X-Forwarded-For is believed. */
  trustedProxies?: readonly string[];
  log?: Logger;
  capacity?: number;
  refillPerSecond?: number;
  maxAddresses?: number;
}): CredentialLimit {
  const trusted = createIpMatcher(opts.trustedProxies ?? []);
  const limiter = createRateLimiter({
    capacity: opts.capacity ?? CREDENTIAL_BURST,
    refillPerSecond: opts.refillPerSecond ?? CREDENTIAL_REFILL_PER_SECOND,
    ...(opts.maxAddresses ? { maxKeys: opts.maxAddresses } : {}),
  });
  // No socket (`app.request()` in tests, an embedding without one): one shared bucket.
  const keyOf = (c: Context) => {
    const ip = clientAddress(c, trusted);
    return ip ? addressKey(ip) : 'local';
  };
  return {
    blocked(c) {
      const wait = limiter.waitMs(keyOf(c));
      return wait > 0 ? rateLimited(c, wait, 'Too many failed sign-ins from this address') : undefined;
    },
    failed(c, message) {
      const key = keyOf(c);
      if (limiter.take(key)) {
        if (limiter.waitMs(key) > 0)
          opts.log?.warn({ address: key }, 'too many failed admin credentials: address throttled');
        return new TandemError('UNAUTHORIZED', 401, message);
      }
      return rateLimited(c, limiter.waitMs(key), 'Too many failed admin credentials from this address');
    },
  };
}
