// The Authorization header for ServiceNow: Basic, or OAuth 2.0 tokens from /oauth_token.do refreshed before expiry.

import { credentialsMissing, unauthorized } from './errors.ts';
import { badResponse, checkShape, parseJson } from './responses.ts';
import { type TokenAnswer, tokenAnswerSchema } from './schemas.ts';
import type { SendContext } from './transport.ts';

export type ServiceNowCredentials =
  | { kind: 'basic'; user: string; password: string }
  | { kind: 'oauth-password'; clientId: string; clientSecret: string; user: string; password: string }
  | { kind: 'oauth-client-credentials'; clientId: string; clientSecret: string };

export interface AuthDeps {
  tokenUrl: string;
  now: () => number;
  send: (url: string, init: RequestInit, ctx: SendContext) => Promise<Response>;
  /** Renew this long before the token expires (default 60 s). */
  refreshSkewMs: number;
}

export interface ServiceNowAuth {
  readonly oauth: boolean;
  /** The header value for the next request, fetching or refreshing a token first when due. */
  header(): Promise<string>;
  /** Drops the current access token (after a 401), so the next `header()` gets a fresh one. */
  invalidate(): void;
}

interface Held {
  access: string;
  refresh?: string;
  renewAt: number;
  expiresAt: number;
}

/**
 * Null credentials (none set yet): every `header()` throws SERVICENOW_UNAUTHORIZED saying so, before a request.
 * @example const auth = createAuth({ kind: 'basic', user, password }, deps); headers.authorization = await auth.header()
 */
export function createAuth(creds: ServiceNowCredentials | null, deps: AuthDeps): ServiceNowAuth {
  if (creds === null)
    return {
      oauth: false,
      header: () => Promise.reject(credentialsMissing()),
      invalidate: () => {},
    };
  if (creds.kind === 'basic') {
    const value = `Basic ${Buffer.from(`${creds.user}:${creds.password}`, 'utf8').toString('base64')}`;
    return { oauth: false, header: async () => value, invalidate: () => {} };
  }
  const oauth = creds;
  let held: Held | null = null;
  let pending: Promise<Held> | null = null;

  async function request(
    form: Record<string, string>,
  ): Promise<{ ok: true; token: TokenAnswer } | { ok: false; status: number }> {
    const body = new URLSearchParams({
      ...form,
      client_id: oauth.clientId,
      client_secret: oauth.clientSecret,
    });
    const ctx = { operation: 'token' as const, idempotent: true };
    const res = await deps.send(
      deps.tokenUrl,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
      },
      ctx,
    );
    const text = await res.text();
    if (res.status === 400 || res.status === 401) return { ok: false, status: res.status };
    const call = { ...ctx, oauth: true };
    if (!res.ok) throw badResponse(call, `status ${res.status} from the token endpoint`);
    return { ok: true, token: checkShape(tokenAnswerSchema, parseJson(text, call), call) };
  }

  function primaryGrant(): Record<string, string> {
    return oauth.kind === 'oauth-password'
      ? { grant_type: 'password', username: oauth.user, password: oauth.password }
      : { grant_type: 'client_credentials' };
  }

  async function obtain(previous: Held | null): Promise<Held> {
    let answer = previous?.refresh
      ? await request({ grant_type: 'refresh_token', refresh_token: previous.refresh })
      : null;
    if (!answer?.ok) answer = await request(primaryGrant());
    if (!answer.ok) throw unauthorized(true, answer.status);
    const life = answer.token.expires_in * 1000;
    const at = deps.now();
    // A token that lives less than twice the skew is renewed half-way, so renewals cannot run back to back.
    const early = Math.min(deps.refreshSkewMs, life / 2);
    return {
      access: answer.token.access_token,
      refresh: answer.token.refresh_token ?? previous?.refresh,
      renewAt: at + life - early,
      expiresAt: at + life,
    };
  }

  return {
    oauth: true,
    async header() {
      if (!held || deps.now() >= held.renewAt) {
        pending ??= obtain(held).finally(() => {
          pending = null;
        });
        held = await pending;
      }
      return `Bearer ${held.access}`;
    },
    invalidate() {
      if (held) held = { ...held, renewAt: 0 };
    },
  };
}
