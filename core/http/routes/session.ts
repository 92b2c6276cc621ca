// Console sign-in: the admin token, or a user's email and password, traded for an HttpOnly, SameSite=Strict
// session cookie; the answer carries the session's CSRF token for clients that send no Origin.
import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import type { AuditLog } from '../../audit/audit-log.ts';
import { createIpMatcher } from '../../net/ip-address.ts';
import { ADMIN_TOKEN_ACTOR } from '../../people/principal.ts';
import { ROLES } from '../../people/roles.ts';
import type { User, UserStore } from '../../people/user-store.ts';
import { type AdminAuth, csrfTokenOf, SESSION_COOKIE } from '../admin-auth.ts';
import type { AppEnv } from '../app-env.ts';
import { clientAddress, requestIsHttps } from '../client-address.ts';
import { jsonBody, operation } from '../contract.ts';
import { userSchema } from './users.ts';

const signIn = z.union([
  z.strictObject({ token: z.string().min(1).max(512) }),
  z.strictObject({ email: z.string().trim().min(1).max(320), password: z.string().min(1).max(1024) }),
]);
export const sessionStateSchema = z.strictObject({
  authenticated: z.boolean(),
  actor: z.string().optional().describe("The user's email, or `admin-token`"),
  role: z.enum(ROLES).optional(),
  user: userSchema.nullable().optional().describe('Null when signed in with the admin token'),
  csrfToken: z
    .string()
    .optional()
    .describe('Send as `X-CSRF-Token` on writes from a client that sends no same-origin `Origin`'),
});

type SessionState = z.output<typeof sessionStateSchema>;

export const sessionOperations = [
  operation({
    method: 'get',
    path: '/',
    operationId: 'getSession',
    tag: 'Session',
    summary: 'Whether the session cookie is signed in, as whom, and its CSRF token',
    public: true,
    responses: { 200: sessionStateSchema },
  }),
  operation({
    method: 'post',
    path: '/',
    operationId: 'signIn',
    tag: 'Session',
    summary: 'Trade the admin token, or an email and password, for a session cookie',
    description:
      'Failed sign-ins are limited per address and, for passwords, per account: 429 `rate_limited` with `Retry-After`.',
    public: true,
    body: signIn,
    responses: { 201: sessionStateSchema },
    problems: [401, 422, 429],
    audit: 'session.signed_in',
  }),
  operation({
    method: 'delete',
    path: '/',
    operationId: 'signOut',
    tag: 'Session',
    summary: 'End the session',
    public: true,
    responses: { 204: null },
    audit: { none: "ends only the caller's own session" },
  }),
];

interface SessionDeps {
  auth: AdminAuth;
  users: UserStore;
  audit: AuditLog;
  trustedProxies: readonly string[];
}

export const sessionRoutes = ({ auth, users, audit, trustedProxies }: SessionDeps) => {
  const trusted = createIpMatcher(trustedProxies);
  const signedOut: SessionState = { authenticated: false };
  const state = (sessionId: string, user: User | null): SessionState => ({
    authenticated: true,
    actor: user ? user.email : ADMIN_TOKEN_ACTOR,
    role: user ? user.role : ('admin' as const),
    user,
    csrfToken: csrfTokenOf(sessionId),
  });
  return new Hono<AppEnv>()
    .get('/', async (c) => {
      const id = getCookie(c, SESSION_COOKIE);
      const session = id ? await auth.session(id) : undefined;
      if (!id || !session) return c.json(signedOut);
      const user = session.userId === null ? null : await users.get(session.userId);
      if (user === undefined) return c.json(signedOut);
      return c.json(state(id, user));
    })
    .post('/', jsonBody(signIn), async (c) => {
      const body = c.req.valid('json');
      let user: User | null = null;
      if ('token' in body) {
        // The token is checked first: only a wrong one counts against the caller's address (per
        // TCP peer, or the client a trusted proxy names), so a right one always signs in.
        if (!auth.checkToken(body.token))
          throw c.var.credentialLimit.failed(c, 'The admin token is not valid');
      } else {
        // A password can be guessed: a throttled address or account is refused before it is even checked.
        const refused = c.var.credentialLimit.blocked(c) ?? c.var.accountLimit.blocked(c, body.email);
        if (refused) throw refused;
        const found = await users.authenticate(body.email, body.password);
        if (!found) {
          c.var.accountLimit.failed(body.email);
          throw c.var.credentialLimit.failed(c, 'The email or password is not right');
        }
        user = found;
      }
      const session = await auth.createSession(user?.id ?? null);
      setCookie(c, SESSION_COOKIE, session.id, {
        httpOnly: true,
        sameSite: 'Strict',
        path: '/',
        // Behind a TLS-ending proxy the request itself is plain HTTP: believe the proxy's word only.
        secure: requestIsHttps(c, trusted),
        expires: session.expiresAt,
      });
      const answer = state(session.id, user);
      await audit
        .append(
          { actor: user?.email ?? ADMIN_TOKEN_ACTOR, address: clientAddress(c, trusted)?.address ?? null },
          [
            {
              action: 'session.signed_in',
              target: user ? `user:${user.id}` : null,
              detail: { with: user ? 'password' : 'admin token' },
            },
          ],
        )
        .catch((err: unknown) => c.var.log.error({ err }, 'audit entry not written'));
      return c.json(answer, 201);
    })
    .delete('/', async (c) => {
      const id = getCookie(c, SESSION_COOKIE);
      if (id) await auth.endSession(id);
      deleteCookie(c, SESSION_COOKIE, { path: '/' });
      return c.body(null, 204);
    });
};
