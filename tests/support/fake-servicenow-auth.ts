// The fake ServiceNow's users, Basic auth, OAuth tokens at /oauth_token.do (expiring on its clock) and table ACLs.
import { randomBytes } from 'node:crypto';

export interface FakeUser {
  userName: string;
  password: string;
  roles: string[];
}

export interface FakeOAuthClient {
  clientId: string;
  clientSecret: string;
  /** The user a client_credentials grant runs as (ServiceNow's "OAuth application user"). */
  userName?: string;
}

export type AclOperation = 'read' | 'create' | 'write' | 'delete';

interface Token {
  user: string;
  clientId: string;
  expiresAt: number;
}

export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
}

export interface FakeAuthOptions {
  /** Access token lifespan; ServiceNow's default is 1,800 s. */
  accessTokenSeconds?: number;
  /** Refresh token lifespan; ServiceNow's default is 100 days. */
  refreshTokenSeconds?: number;
}

const DENIED: TokenAnswer = {
  status: 401,
  body: { error_description: 'access_denied', error: 'server_error' },
};

export type FakeAuth = ReturnType<typeof createFakeAuth>;

export function createFakeAuth(now: () => number, opts: FakeAuthOptions = {}) {
  const users = new Map<string, FakeUser>();
  const clients = new Map<string, FakeOAuthClient>();
  const access = new Map<string, Token>();
  const refresh = new Map<string, Token>();
  const acl = new Map<string, string[]>();
  const accessTtl = () => (opts.accessTokenSeconds ?? 1800) * 1000;
  const refreshTtl = () => (opts.refreshTokenSeconds ?? 8_640_000) * 1000;
  const newToken = () => randomBytes(30).toString('base64url');

  /** A new access token; `refreshToken` is 'new' (password grant), the one used (refresh grant) or none. */
  function issue(user: string, clientId: string, refreshToken: string | null): TokenAnswer {
    const at = newToken();
    access.set(at, { user, clientId, expiresAt: now() + accessTtl() });
    let rt = refreshToken;
    if (rt === 'new') {
      rt = newToken();
      refresh.set(rt, { user, clientId, expiresAt: now() + refreshTtl() });
    }
    const body: Record<string, unknown> = { access_token: at, scope: 'useraccount', token_type: 'Bearer' };
    if (rt) body.refresh_token = rt;
    body.expires_in = Math.floor(accessTtl() / 1000) - 1;
    return { status: 200, body };
  }

  /** A password grant within the access token's life answers the current token, as the instance does. */
  function current(user: string, clientId: string): TokenAnswer | null {
    for (const [at, t] of access) {
      if (t.user !== user || t.clientId !== clientId || t.expiresAt <= now()) continue;
      const rt = [...refresh].find(
        ([, r]) => r.user === user && r.clientId === clientId && r.expiresAt > now(),
      );
      const body = { access_token: at, refresh_token: rt?.[0], scope: 'useraccount', token_type: 'Bearer' };
      return { status: 200, body: { ...body, expires_in: Math.floor((t.expiresAt - now()) / 1000) } };
    }
    return null;
  }

  function grant(form: URLSearchParams): TokenAnswer {
    const client = clients.get(form.get('client_id') ?? '');
    if (!client || client.clientSecret !== form.get('client_secret')) return DENIED;
    const type = form.get('grant_type');
    if (type === 'password') {
      const u = users.get(form.get('username') ?? '');
      if (!u || u.password !== form.get('password')) return DENIED;
      return current(u.userName, client.clientId) ?? issue(u.userName, client.clientId, 'new');
    }
    if (type === 'client_credentials') {
      if (!client.userName || !users.has(client.userName)) return DENIED;
      return issue(client.userName, client.clientId, null);
    }
    if (type === 'refresh_token') {
      const rt = form.get('refresh_token') ?? '';
      const t = refresh.get(rt);
      if (!t || t.clientId !== client.clientId || t.expiresAt <= now()) return DENIED;
      return issue(t.user, client.clientId, rt);
    }
    return {
      status: 400,
      body: { error: 'unsupported_grant_type', error_description: 'unsupported grant type' },
    };
  }

  /** The user a request's Authorization header names, or null (absent, wrong or expired). */
  function authenticate(header: string | undefined): FakeUser | null {
    if (!header) return null;
    const [scheme, value = ''] = header.split(' ', 2);
    if (scheme === 'Basic') {
      const text = Buffer.from(value, 'base64').toString('utf8');
      const colon = text.indexOf(':');
      const u = users.get(text.slice(0, colon));
      return u && colon > 0 && u.password === text.slice(colon + 1) ? u : null;
    }
    if (scheme === 'Bearer') {
      const t = access.get(value);
      return t && t.expiresAt > now() ? (users.get(t.user) ?? null) : null;
    }
    return null;
  }

  return {
    addUser: (u: FakeUser) => void users.set(u.userName, u),
    user: (userName: string) => users.get(userName),
    addClient: (c: FakeOAuthClient) => void clients.set(c.clientId, c),
    grant,
    authenticate,
    /** Ends every access token now (refresh tokens stay valid). */
    expireAccessTokens: () => access.clear(),
    /** Requires one of `roles` for `op` on `table`; `admin` passes every ACL. An empty list removes it. */
    setAcl: (table: string, op: AclOperation, roles: string[]) =>
      roles.length ? acl.set(`${table}:${op}`, roles) : acl.delete(`${table}:${op}`),
    allowed: (u: FakeUser, table: string, op: AclOperation): boolean => {
      const need = acl.get(`${table}:${op}`);
      return !need || u.roles.includes('admin') || need.some((r) => u.roles.includes(r));
    },
  };
}
