// Failed password sign-ins counted per account, beside the per-address count: a spread-out guesser is slow too.
import type { Context } from 'hono';
import type { TandemError } from '../errors.ts';
import { createRateLimiter } from '../net/rate-limit.ts';
import { rateLimited } from './credential-limit.ts';

/** Failures one account may take at once, and how fast it earns more (one every 30 seconds). */
export const ACCOUNT_BURST = 10;
export const ACCOUNT_REFILL_PER_SECOND = 1 / 30;

/**
 * Asked before a password is checked, told after a wrong one. A throttled account can still be reached with
 * its personal API tokens, and an admin can set a new password.
 * @example const refused = accounts.blocked(c, email); if (refused) throw refused;
 */
export interface AccountLimit {
  blocked(c: Context, email: string): TandemError | undefined;
  failed(email: string): void;
}

export function createAccountLimit(opts: { now?: () => number } = {}): AccountLimit {
  const limiter = createRateLimiter({
    capacity: ACCOUNT_BURST,
    refillPerSecond: ACCOUNT_REFILL_PER_SECOND,
    ...(opts.now ? { now: opts.now } : {}),
  });
  const key = (email: string) => email.trim().toLowerCase();
  return {
    blocked(c, email) {
      const wait = limiter.waitMs(key(email));
      return wait > 0 ? rateLimited(c, wait, 'Too many failed sign-ins for this account') : undefined;
    },
    failed(email) {
      limiter.take(key(email));
    },
  };
}
