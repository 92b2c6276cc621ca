// Guards /api: who is calling (admin token, personal token or session cookie), CSRF on cookie writes, the role
// the route needs (core/http/contract.ts `requiredRole`), and the audit entry every successful change leaves.
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { AuditLog } from '../audit/audit-log.ts';
import { TandemError } from '../errors.ts';
import { createIpMatcher } from '../net/ip-address.ts';
import type { ApiTokens } from '../people/api-tokens.ts';
import { adminTokenPrincipal, type Principal } from '../people/principal.ts';
import { allows } from '../people/roles.ts';
import type { UserStore } from '../people/user-store.ts';
import { type AdminAuth, CSRF_HEADER, checkCsrfToken, SESSION_COOKIE } from './admin-auth.ts';
import type { AppEnv } from './app-env.ts';
import { auditEntries } from './audit-entries.ts';
import { createAuditNotes } from './audit-notes.ts';
import { clientAddress } from './client-address.ts';
import { requiredRole } from './contract.ts';
import { FORWARDED_HEADER } from './forward-to-holder.ts';
import type { RouteIndex } from './route-index.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const UNAUTHORIZED = 'A valid admin token, API token or session is required';

export interface GuardDeps {
  auth: AdminAuth;
  users: Pick<UserStore, 'get'>;
  tokens: Pick<ApiTokens, 'resolve'>;
  audit: Pick<AuditLog, 'append'>;
  routes: RouteIndex;
  trustedProxies: readonly string[];
}

/** The caller of a request with credentials, or undefined; a wrong bearer token counts against its address. */
export async function authenticate(
  c: Context<AppEnv>,
  deps: Omit<GuardDeps, 'audit' | 'routes' | 'trustedProxies'>,
) {
  const header = c.req.header('authorization');
  if (header) {
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const token = match?.[1]?.trim();
    if (token && deps.auth.checkToken(token)) return adminTokenPrincipal('token');
    const personal = token ? await deps.tokens.resolve(token) : undefined;
    const principal = personal && (await ownerOf(personal.userId, deps.users, 'token'));
    // Only a wrong token counts against the caller's address; a right one is never refused.
    if (!principal) throw c.var.credentialLimit.failed(c, UNAUTHORIZED);
    return { ...principal, token: { id: personal.id, name: personal.name } };
  }
  const id = getCookie(c, SESSION_COOKIE);
  const session = id ? await deps.auth.session(id) : undefined;
  if (!id || !session) return undefined;
  const principal = await ownerOf(session.userId, deps.users, 'session');
  if (!principal) return undefined;
  // A cookie rides along on cross-site requests too: a write must prove it comes from our own pages.
  if (
    !SAFE.has(c.req.method) &&
    !sameOrigin(c.req.header('origin'), c.req.url) &&
    !checkCsrfToken(id, c.req.header(CSRF_HEADER))
  )
    throw new TandemError(
      'CSRF_REJECTED',
      403,
      'Cross-origin request refused: send it from the console, or with X-CSRF-Token',
    );
  return principal;
}

async function ownerOf(userId: string | null, users: Pick<UserStore, 'get'>, via: Principal['via']) {
  if (userId === null) return adminTokenPrincipal(via);
  const user = await users.get(userId);
  return user
    ? ({ actor: user.email, role: user.role, userId: user.id, via } satisfies Principal)
    : undefined;
}

/** The guard of /api (every route mounted after it). */
export const guardApi = (deps: GuardDeps) => {
  const trusted = createIpMatcher(deps.trustedProxies);
  return createMiddleware<AppEnv>(async (c, next) => {
    const principal = await authenticate(c, deps);
    if (!principal) throw new TandemError('UNAUTHORIZED', 401, UNAUTHORIZED);
    c.set('principal', principal);
    c.set('authVia', principal.via);
    const match = deps.routes.find(c.req.method, c.req.path);
    const need = match
      ? requiredRole(match.op)
      : requiredRole({ method: SAFE.has(c.req.method) ? 'get' : 'post' });
    if (!allows(principal.role, need))
      throw new TandemError(
        'FORBIDDEN',
        403,
        `This needs the ${need} role; you are signed in as ${principal.role}`,
        {
          role: principal.role,
          required: need,
        },
      );
    const notes = createAuditNotes();
    c.set('audit', notes);
    await next();
    if (SAFE.has(c.req.method) || !match || c.res.status >= 400) return;
    // Forwarded to the process running the connection, which wrote the entry (forward-to-holder.ts).
    if (c.res.headers.has(FORWARDED_HEADER)) return;
    try {
      const address = clientAddress(c, trusted)?.address ?? null;
      await deps.audit.append(
        { actor: principal.actor, tokenName: principal.token?.name ?? null, address },
        await auditEntries(c, match, notes),
      );
    } catch (err) {
      // The change is made; refusing the answer now would invite a retry that makes it twice.
      c.var.log.error({ err, path: c.req.path }, 'audit entry not written');
    }
  });
};

function sameOrigin(origin: string | undefined, url: string): boolean {
  if (!origin) return false;
  try {
    return new URL(origin).host === new URL(url).host;
  } catch {
    return false;
  }
}
