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
  return {
    failed(c, message) {
      const ip = clientAddress(c, trusted);
      // No socket (`app.request()` in tests, an embedding without one): one shared bucket.
      const key = ip ? addressKey(ip) : 'local';
      if (limiter.take(key)) {
        if (limiter.waitMs(key) > 0)
          opts.log?.warn({ address: key }, 'too many failed admin credentials: address throttled');
        return new TandemError('UNAUTHORIZED', 401, message);
      }
      const seconds = Math.max(1, Math.ceil(limiter.waitMs(key) / 1000));
      c.header('Retry-After', String(seconds));
      return new TandemError(
        'RATE_LIMITED',
        429,
        `Too many failed admin credentials from this address; try again in ${seconds} s`,
        { retryAfter: seconds },
      );
    },
  };
}
