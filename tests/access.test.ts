// Roles on the server: every admin route of the OpenAPI document, called with each role, is allowed or refused
// (403 `forbidden`) as the policy says; every write declares its audit action; sessions need CSRF proof.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetAdminToken } from '../core/http/admin-auth.ts';
import { requiredRole } from '../core/http/contract.ts';
import { GENERATED, openApiDocument } from '../core/http/openapi.ts';
import type { Role } from '../core/people/roles.ts';
import { type InProcessHost, inProcessHost } from './support/in-process.ts';

/**
 * The intended policy, written out: reads are for everyone (but a secret's), `rules` edits rules and triggers
 * and runs syncs, everyone manages their own tokens and password, the rest is the admin's.
 */
const ADMIN_READS = new Set(['GET /api/connections/{id}/invitation']);
const RULES_WRITES = new Set([
  'PUT /api/connections/{id}/rules',
  'POST /api/connections/{id}/rules/test',
  'POST /api/connections/{id}/rules/versions/{version}/rollback',
  'POST /api/connections/{id}/triggers',
  'PATCH /api/triggers/{id}',
  'DELETE /api/triggers/{id}',
  'POST /api/triggers/{id}/bulk-sync',
  'POST /api/connections/{id}/sync',
  'POST /api/connections/{id}/unsync',
  'POST /api/errors/{id}/retry',
  'POST /api/errors/{id}/resolve',
  'POST /api/errors/retry',
  'POST /api/errors/resolve',
  'POST /api/runs/{id}/cancel',
]);
const EVERYONE_WRITES = new Set([
  'POST /api/tokens',
  'DELETE /api/tokens/{id}',
  'POST /api/account/password',
  'POST /api/entities/match',
]);

function intended(route: string): Role {
  if (ADMIN_READS.has(route)) return 'admin';
  if (route.startsWith('GET ')) return 'viewer';
  if (RULES_WRITES.has(route)) return 'rules';
  if (EVERYONE_WRITES.has(route)) return 'viewer';
  return 'admin';
}

/** Every admin route of the document (public ones need no credentials), as `METHOD /path/{param}`. */
const adminRoutes = Object.entries(openApiDocument.paths).flatMap(([path, ops]) =>
  Object.entries(ops as Record<string, { security?: unknown[] }>)
    .filter(([, op]) => !(Array.isArray(op.security) && op.security.length === 0) && path.startsWith('/api/'))
    .map(([method]) => `${method.toUpperCase()} ${path}`),
);

let host: InProcessHost;
const tokens: Record<Role, string> = { viewer: '', rules: '', admin: '' };
const password = 'correct horse battery staple';

beforeAll(async () => {
  host = await inProcessHost();
  for (const role of ['viewer', 'rules', 'admin'] as const) {
    const user = await host.services.users.create({
      email: `${role}@example.com`,
      name: role,
      role,
      password,
    });
    tokens[role] = (await host.services.tokens.create(user.id, 'walk')).token;
  }
});
afterAll(async () => host.close());

const request = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
  host.app.request(path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(method === 'GET' ? {} : { body: JSON.stringify(body ?? {}) }),
  });

describe('the role policy', () => {
  it('covers a real list of admin routes', () => {
    expect(adminRoutes.length).toBeGreaterThan(50);
    expect(adminRoutes).toContain('PUT /api/connections/{id}/rules');
    expect(adminRoutes).toContain('POST /api/users');
  });

  it('is what every route declares (the OpenAPI document says it too)', () => {
    const declared = GENERATED.flatMap(([prefix, ops]) =>
      ops
        .filter((o) => !o.public)
        .map((o) => {
          const route = `${o.method.toUpperCase()} ${`${prefix}${o.path === '/' ? '' : o.path}`.replace(/:(\w+)/g, '{$1}')}`;
          return [route, requiredRole(o)] as const;
        }),
    );
    expect(declared.filter(([route, role]) => intended(route) !== role)).toEqual([]);
    for (const route of adminRoutes) {
      const [method, path] = route.split(' ');
      const op = (openApiDocument.paths as Record<string, Record<string, Record<string, unknown>>>)[path!]![
        method!.toLowerCase()
      ]!;
      expect(op['x-tandem-role'], route).toBe(intended(route));
    }
  });

  it('makes every write declare what it records in the audit log', () => {
    const silent = GENERATED.flatMap(([prefix, ops]) =>
      ops
        .filter((o) => o.method !== 'get' && o.audit === undefined)
        .map((o) => `${o.method} ${prefix}${o.path}`),
    );
    expect(silent).toEqual([]);
  });

  it('is enforced on every admin route for every role: refused is 403 forbidden, allowed is anything else', async () => {
    const wrong: string[] = [];
    for (const route of adminRoutes) {
      const [method, template] = route.split(' ') as [string, string];
      const path = template.replace(/\{\w+\}/g, 'nope');
      for (const role of ['viewer', 'rules', 'admin'] as const) {
        const res = await request(method, path, { authorization: `Bearer ${tokens[role]}` });
        const body = (await res.json().catch(() => ({}))) as { code?: string; required?: string };
        const allowed =
          ['viewer', 'rules', 'admin'].indexOf(role) >= ['viewer', 'rules', 'admin'].indexOf(intended(route));
        const refused = res.status === 403 && body.code === 'forbidden';
        if (allowed === refused || res.status >= 500)
          wrong.push(`${route} as ${role}: ${res.status} ${body.code ?? ''}`);
        if (refused) expect(body.required, route).toBe(intended(route));
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('sessions and tokens', () => {
  it('signs in with a password: the cookie is HttpOnly, SameSite=Strict and expires; writes need CSRF proof', async () => {
    const res = await request('POST', '/api/session', {}, { email: 'rules@example.com', password });
    expect(res.status).toBe(201);
    const state = (await res.json()) as { csrfToken: string; role: string; actor: string };
    expect(state).toMatchObject({ authenticated: true, role: 'rules', actor: 'rules@example.com' });
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Expires=/);
    const session = cookie.split(';')[0]!;
    const again = await (await request('GET', '/api/session', { cookie: session })).json();
    expect(again).toMatchObject({
      role: 'rules',
      user: { email: 'rules@example.com' },
      csrfToken: state.csrfToken,
    });

    const trigger = { entityType: 'incident', query: '' };
    const write = (headers: Record<string, string>) =>
      request('POST', '/api/connections/nope/triggers', { cookie: session, ...headers }, trigger);
    // No Origin and no token: refused. Another origin: refused, token or not.
    expect(await (await write({})).json()).toMatchObject({ status: 403, code: 'csrf_rejected' });
    expect((await write({ origin: 'https://evil.example' })).status).toBe(403);
    expect((await write({ 'x-csrf-token': 'forged' })).status).toBe(403);
    // Our own origin, or the session's CSRF token: through the guard (the connection does not exist).
    expect((await write({ origin: 'http://localhost' })).status).toBe(404);
    expect((await write({ 'x-csrf-token': state.csrfToken })).status).toBe(404);
    // The role is the user's: an admin write is refused.
    expect(
      (await request('POST', '/api/users', { cookie: session, origin: 'http://localhost' }, {})).status,
    ).toBe(403);
  });

  it("follows the user's current role, and ends with the user", async () => {
    const user = await host.services.users.create({
      email: 'cy@example.com',
      name: 'Cy',
      role: 'viewer',
      password,
    });
    const { token } = await host.services.tokens.create(user.id, 'laptop');
    const patchNode = () => request('PATCH', '/api/node', { authorization: `Bearer ${token}` }, {});
    expect((await patchNode()).status).toBe(403);
    await host.services.users.update(user.id, { role: 'admin' });
    expect((await patchNode()).status).toBe(200);
    const listed = await (await request('GET', '/api/tokens', { authorization: `Bearer ${token}` })).json();
    expect(listed).toMatchObject({ items: [{ name: 'laptop', lastUsedAt: expect.any(String) }] });
    await host.services.users.remove(user.id);
    expect((await patchNode()).status).toBe(401);
  });

  it('records who acted: the email and the token name', async () => {
    await request('POST', '/api/tokens', { authorization: `Bearer ${tokens.viewer}` }, { name: 'script' });
    const { items } = await host.services.audit.page({ limit: 1, action: 'token.created' });
    expect(items[0]).toMatchObject({
      actor: 'viewer@example.com',
      token: 'walk',
      action: 'token.created',
      detail: { name: 'script' },
    });
    expect(JSON.stringify(items[0])).not.toContain('tdp_');
  });

  it('keeps the admin token an admin, and `reset-token` revokes the tokens made with the old one', async () => {
    const admin = { authorization: `Bearer ${host.token}` };
    const made = await request('POST', '/api/tokens', admin, { name: 'bootstrap' });
    const { token } = (await made.json()) as { token: string };
    const account = await (await request('GET', '/api/account', { authorization: `Bearer ${token}` })).json();
    expect(account).toMatchObject({ actor: 'admin-token', role: 'admin', token: { name: 'bootstrap' } });
    const fresh = await resetAdminToken(host.services.db);
    expect((await request('GET', '/api/node', { authorization: `Bearer ${token}` })).status).toBe(401);
    expect((await request('GET', '/api/node', { authorization: `Bearer ${tokens.viewer}` })).status).toBe(
      200,
    );
    expect(fresh).not.toBe(host.token);
  });
});
