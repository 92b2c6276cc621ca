// Who made a request, as the host records it (an error's `resolvedBy`, a run's canceller).
import type { Context } from 'hono';
import type { AppEnv } from './app-env.ts';

/**
 * The caller's name for records. Every caller holds the admin token today (the console's session is signed
 * in with it), so it is `admin-token`; named users will give their email here.
 */
export function actorOf(_c: Context<AppEnv>): string {
  return 'admin-token';
}
