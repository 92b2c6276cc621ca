// Who made a request, as the host records it (an error's `resolvedBy`, a run's canceller).
import type { Context } from 'hono';
import { ADMIN_TOKEN_ACTOR } from '../people/principal.ts';
import type { AppEnv } from './app-env.ts';

/** The caller's name for records: the signed-in user's email, or `admin-token` (the name the audit log uses too). */
export function actorOf(c: Context<AppEnv>): string {
  return c.var.principal?.actor ?? ADMIN_TOKEN_ACTOR;
}
