// Guards /api: a bearer token or a session cookie; cookie-authenticated writes must come from our own origin.
import { getCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import { TandemError } from '../errors.ts';
import type { AdminAuth } from './admin-auth.ts';
import type { AppEnv } from './app-env.ts';

export const SESSION_COOKIE = 'tandem_session';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The guard of /api, checking credentials against `auth`. */
export const requireAdmin = (auth: AdminAuth) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('authorization');
    if (header) {
      const match = /^Bearer\s+(.+)$/i.exec(header);
      // Only a wrong token counts against the caller's address; a right one is never refused.
      if (!match || !auth.checkToken(match[1]!.trim())) throw c.var.credentialLimit.failed(c, UNAUTHORIZED);
      c.set('authVia', 'token');
      return next();
    }
    const session = getCookie(c, SESSION_COOKIE);
    if (session && (await auth.checkSession(session))) {
      if (!SAFE.has(c.req.method) && !sameOrigin(c.req.header('origin'), c.req.url)) {
        throw new TandemError('CSRF_REJECTED', 403, 'Cross-origin request refused');
      }
      c.set('authVia', 'session');
      return next();
    }
    throw unauthorized();
  });

const UNAUTHORIZED = 'A valid admin token or session is required';

function unauthorized() {
  return new TandemError('UNAUTHORIZED', 401, UNAUTHORIZED);
}

function sameOrigin(origin: string | undefined, url: string): boolean {
  // Browsers send Origin on every cross-site write; a missing one means a same-origin or non-browser client.
  if (!origin) return true;
  try {
    return new URL(origin).host === new URL(url).host;
  } catch {
    return false;
  }
}
