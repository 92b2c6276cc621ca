// UI sign-in: trades the admin token for an HttpOnly, SameSite=Strict session cookie.
import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import { createIpMatcher } from '../../net/ip-address.ts';
import type { AdminAuth } from '../admin-auth.ts';
import type { AppEnv } from '../app-env.ts';
import { SESSION_COOKIE } from '../auth-middleware.ts';
import { requestIsHttps } from '../client-address.ts';
import { jsonBody, operation } from '../contract.ts';

const signIn = z.object({ token: z.string().min(1).max(512) });
const sessionState = z.strictObject({ authenticated: z.boolean() });

export const sessionOperations = [
  operation({
    method: 'get',
    path: '/',
    operationId: 'getSession',
    tag: 'Session',
    summary: 'Whether the session cookie is signed in',
    public: true,
    responses: { 200: sessionState },
  }),
  operation({
    method: 'post',
    path: '/',
    operationId: 'signIn',
    tag: 'Session',
    summary: 'Trade the admin token for a session cookie',
    public: true,
    body: signIn,
    responses: { 201: sessionState },
    problems: [401, 422, 429],
  }),
  operation({
    method: 'delete',
    path: '/',
    operationId: 'signOut',
    tag: 'Session',
    summary: 'End the session',
    public: true,
    responses: { 204: null },
  }),
];

export const sessionRoutes = ({
  auth,
  trustedProxies,
}: {
  auth: AdminAuth;
  trustedProxies: readonly string[];
}) => {
  const trusted = createIpMatcher(trustedProxies);
  return new Hono<AppEnv>()
    .get('/', async (c) => {
      const id = getCookie(c, SESSION_COOKIE);
      return c.json({ authenticated: !!id && (await auth.checkSession(id)) });
    })
    .post('/', jsonBody(signIn), async (c) => {
      const { token } = c.req.valid('json');
      // The token is checked first: only a wrong one counts against the caller's address (per
      // TCP peer, or the client a trusted proxy names), so a right one always signs in.
      if (!auth.checkToken(token)) throw c.var.credentialLimit.failed(c, 'The admin token is not valid');
      const session = await auth.createSession();
      setCookie(c, SESSION_COOKIE, session.id, {
        httpOnly: true,
        sameSite: 'Strict',
        path: '/',
        // Behind a TLS-ending proxy the request itself is plain HTTP: believe the proxy's word only.
        secure: requestIsHttps(c, trusted),
        expires: session.expiresAt,
      });
      return c.json({ authenticated: true }, 201);
    })
    .delete('/', async (c) => {
      const id = getCookie(c, SESSION_COOKIE);
      if (id) await auth.endSession(id);
      deleteCookie(c, SESSION_COOKIE, { path: '/' });
      return c.body(null, 204);
    });
};
