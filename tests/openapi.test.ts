// Keeps the OpenAPI document true: every route of a real host app is documented, every documented route exists,
// and what every route actually answers (problems included) is what its published schema says.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { resolveConfig } from '../core/config.ts';
import { createHost, type Host } from '../core/host.ts';
import { problemSchema, problemStatuses, templateOf } from '../core/http/contract.ts';
import { GENERATED, openApiDocument } from '../core/http/openapi.ts';
import { createBuiltinTracker } from '../core/trackers/builtin/builtin-tracker.ts';
import { tempDir, waitFor } from './support/host-process.ts';

/** An answer already checked against its schema, navigated freely by the steps after it. */
// biome-ignore lint/suspicious/noExplicitAny: the schema check is the type check here
type Checked = Record<string, any>;

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const TOKEN = 'openapi-test-token-5b1f0c9e7d2a4863';
/** Routes outside /api that the document describes (the console's own pages are not API). */
const PUBLIC = new Set(['/.well-known/tandem', '/healthz', '/metrics']);

let app: Host['app'];
const hosts: Host[] = [];
const dirs = [tempDir('tandem-openapi-a-'), tempDir('tandem-openapi-b-')];
const urls: string[] = [];

beforeAll(async () => {
  // The composition root of `tandem start`, started on port 0: every route, and a real link between two hosts.
  for (const dir of dirs) {
    const config = resolveConfig(['--data', dir, '--port', '0'], {
      TANDEM_ADMIN_TOKEN: TOKEN,
      TANDEM_LINK_BACKOFF_MAX_MS: '800',
      TANDEM_LINK_HEARTBEAT_MS: '1000',
    });
    const host = await createHost(config, {
      tracker: ({ db }) => createBuiltinTracker(db),
      // Credentials an admin may enter (the built-in store takes none: these stand in for a tracker's).
      trackerCredentials: {
        declared: [
          { name: 'TANDEM_SCHEMA_USER', label: 'User', secret: false },
          { name: 'TANDEM_SCHEMA_PASSWORD', label: 'Password', secret: true, hint: 'Stored sealed' },
        ],
        env: { TANDEM_SCHEMA_USER: 'from-env' },
      },
    });
    hosts.push(host);
    urls.push((await host.start()).url);
  }
  app = hosts[0]!.app;
});

afterAll(async () => {
  for (const h of hosts) await h.close();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** `/api/connections/:id` -> `/api/connections/{id}`, without a trailing slash. */
const toTemplate = (p: string) =>
  (p.length > 1 ? p.replace(/\/+$/, '') : p).replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}');

function servedRoutes(): Set<string> {
  const out = new Set<string>();
  for (const r of app.routes) {
    if (!METHODS.has(r.method)) continue;
    const p = toTemplate(r.path);
    if (p.startsWith('/api/') || p === '/api' || PUBLIC.has(p)) out.add(`${r.method} ${p}`);
  }
  return out;
}

function documentedRoutes(): Set<string> {
  const out = new Set<string>();
  for (const [p, ops] of Object.entries(openApiDocument.paths))
    for (const m of Object.keys(ops)) out.add(`${m.toUpperCase()} ${p}`);
  return out;
}

describe('the OpenAPI document', () => {
  it('documents every /api route the host serves', () => {
    const documented = documentedRoutes();
    const undocumented = [...servedRoutes()].filter((r) => !documented.has(r)).sort();
    expect(undocumented).toEqual([]);
  });

  it('documents only routes the host serves', () => {
    const served = servedRoutes();
    const phantom = [...documentedRoutes()].filter((r) => !served.has(r)).sort();
    expect(phantom).toEqual([]);
  });

  it('is OpenAPI 3.1 with every $ref resolvable and every path parameter declared', () => {
    expect(openApiDocument.openapi).toBe('3.1.0');
    const text = JSON.stringify(openApiDocument);
    const doc = JSON.parse(text) as Record<string, Record<string, Record<string, unknown>>>;
    for (const [, target] of text.matchAll(/"\$ref":"#\/components\/(\w+\/\w+)"/g)) {
      const [kind, name] = target!.split('/');
      expect(doc.components?.[kind!]?.[name!], `$ref ${target}`).toBeDefined();
    }
    for (const [p, ops] of Object.entries(openApiDocument.paths)) {
      const names = [...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(ops)) {
        const params = ((op as { parameters?: { name: string; in: string }[] }).parameters ?? [])
          .filter((x) => x.in === 'path')
          .map((x) => x.name);
        expect(params.sort(), `${method.toUpperCase()} ${p}`).toEqual([...names].sort());
      }
    }
    const ids = Object.values(openApiDocument.paths).flatMap((ops) =>
      Object.values(ops).map((o) => (o as { operationId: string }).operationId),
    );
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is served at /api/openapi.json behind the admin token', async () => {
    const anonymous = await app.request('/api/openapi.json');
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { code: string }).code).toBe('unauthorized');
    const res = await app.request('/api/openapi.json', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(openApiDocument)));
  });
});

type Call = (m: string, p: string, t: string, b?: unknown) => Promise<{ status: number; body: Checked }>;

/** Users, password sign-in, personal tokens, the account, notifications: each route's answers, problems included. */
async function people(call: Call, ok: (m: string, p: string, t: string, b?: unknown) => Promise<Checked>) {
  await ok('GET', '/api/account', '/api/account');
  const password = 'correct horse battery staple';
  const ana = await ok('POST', '/api/users', '/api/users', {
    email: 'Ana@Example.com',
    name: 'Ana',
    role: 'admin',
    password,
  });
  expect(ana).toMatchObject({ email: 'ana@example.com', role: 'admin' });
  expect(
    (
      await call('POST', '/api/users', '/api/users', {
        email: 'ana@example.com',
        name: 'A',
        role: 'viewer',
        password,
      })
    ).status,
  ).toBe(409);
  await call('POST', '/api/users', '/api/users', {
    email: 'not-an-email',
    name: 'B',
    role: 'viewer',
    password: 'short',
  });
  const bo = await ok('POST', '/api/users', '/api/users', {
    email: 'bo@example.com',
    name: 'Bo',
    role: 'viewer',
    password,
  });
  await ok('GET', '/api/users', '/api/users');
  await ok('PATCH', `/api/users/${bo.id}`, '/api/users/{id}', { name: 'Bo B.', role: 'rules' });
  const last = await call('PATCH', `/api/users/${ana.id}`, '/api/users/{id}', { role: 'viewer' });
  expect(last.body).toMatchObject({ status: 409, code: 'last_admin' });
  await call('PATCH', '/api/users/missing', '/api/users/{id}', { name: 'X' });
  await ok('POST', '/api/session', '/api/session', { email: 'ana@example.com', password });
  await call('POST', '/api/session', '/api/session', {
    email: 'ana@example.com',
    password: 'wrong password',
  });
  await call('POST', '/api/account/password', '/api/account/password', {
    currentPassword: 'x',
    newPassword: 'another long password',
  });

  const token = await ok('POST', '/api/tokens', '/api/tokens', { name: 'ci' });
  expect(token.token).toMatch(/^tdp_/);
  await call('POST', '/api/tokens', '/api/tokens', { name: 'ci' });
  expect((await ok('GET', '/api/tokens', '/api/tokens')).items).toEqual([
    expect.objectContaining({ name: 'ci' }),
  ]);
  await ok('DELETE', `/api/tokens/${token.id}`, '/api/tokens/{id}');
  await call('DELETE', `/api/tokens/${token.id}`, '/api/tokens/{id}');

  await call('POST', '/api/notifications', '/api/notifications', {
    url: 'ftp://example.com/x',
    events: ['run.finished'],
  });
  const target = await ok('POST', '/api/notifications', '/api/notifications', {
    url: 'http://127.0.0.1:9/hooks/secret-part',
    events: ['run.finished', 'entity.error'],
    secret: 'shh',
    format: 'slack',
  });
  expect(target).toMatchObject({ url: 'http://127.0.0.1:9/hooks/…', hasSecret: true });
  await ok('GET', '/api/notifications', '/api/notifications');
  const sent = await ok('POST', `/api/notifications/${target.id}/test`, '/api/notifications/{id}/test');
  expect(sent).toMatchObject({ status: 'failed', event: 'test', attempts: 1 });
  await call('POST', '/api/notifications/missing/test', '/api/notifications/{id}/test');
  await ok('GET', `/api/notifications/${target.id}/deliveries`, '/api/notifications/{id}/deliveries');
  await call('GET', '/api/notifications/missing/deliveries', '/api/notifications/{id}/deliveries');
  await ok('DELETE', `/api/notifications/${target.id}`, '/api/notifications/{id}');
  await call('DELETE', `/api/notifications/${target.id}`, '/api/notifications/{id}');

  await ok('DELETE', `/api/users/${bo.id}`, '/api/users/{id}');
  expect((await call('DELETE', `/api/users/${ana.id}`, '/api/users/{id}')).body).toMatchObject({
    code: 'last_admin',
  });
  await call('DELETE', `/api/users/${bo.id}`, '/api/users/{id}');
}

describe('the published response schemas', () => {
  const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const seen = new Set<string>();
  const operations = GENERATED.flatMap(([prefix, ops]) =>
    ops.map((o) => ({ ...o, at: templateOf(prefix, o.path) })),
  );

  /**
   * Calls a host (the first unless told) and checks the answer against what its operation publishes for that
   * status: its schema, or the problem schema for a problem status it declares.
   */
  async function call(method: string, path: string, template: string, body?: unknown, on = 0) {
    // Bytes are an upload: sent raw, with their own media type.
    const raw = body instanceof Uint8Array;
    const audit = hosts[on]!.parts.audit;
    const lastAudit = async () => (await audit.page({ limit: 1 })).items[0]?.id ?? '0';
    const before = await lastAudit();
    const res = await hosts[on]!.app.request(path, {
      method,
      headers: raw ? { ...auth, 'content-type': 'text/plain' } : auth,
      ...(body === undefined ? {} : { body: raw ? (body as unknown as BodyInit) : JSON.stringify(body) }),
    });
    const op = operations.find((o) => o.method === method.toLowerCase() && o.at === template);
    expect(op, `${method} ${template} is a generated operation`).toBeDefined();
    seen.add(`${method} ${template}`);
    const where = `${method} ${template} -> ${res.status}`;
    // Every successful change leaves an audit entry; a route that declares it changes nothing leaves none.
    if (method !== 'GET' && res.status < 300) {
      const after = await lastAudit();
      if (typeof op!.audit === 'string')
        expect(Number(after), `${where} records ${op!.audit}`).toBeGreaterThan(Number(before));
      else expect(after, `${where} records nothing`).toBe(before);
    }
    const alternate = (op!.alternates as Record<number, string> | undefined)?.[res.status];
    if (alternate && res.headers.get('content-type')?.startsWith(alternate)) {
      await res.text();
      return { status: res.status, body: {} };
    }
    if (res.headers.get('content-type')?.startsWith('application/problem+json')) {
      expect(problemStatuses(op!), `${where} is a declared problem`).toContain(res.status);
      const parsed = problemSchema.safeParse(await res.json());
      expect(parsed.success ? [] : parsed.error.issues, where).toEqual([]);
      return { status: res.status, body: parsed.data as Record<string, unknown> };
    }
    const schema = (op!.responses as Record<number, z.ZodType | null | string>)[res.status];
    expect(schema, `${method} ${template} publishes status ${res.status}`).not.toBeUndefined();
    if (schema === null) {
      expect(await res.text()).toBe('');
      return { status: res.status, body: {} };
    }
    if (typeof schema === 'string') {
      if (schema !== '*/*')
        expect(res.headers.get('content-type'), where).toMatch(new RegExp(`^${schema}\\b`));
      await res.text();
      return { status: res.status, body: {} };
    }
    const json: unknown = await res.json();
    const parsed = schema!.safeParse(json);
    expect(parsed.success ? [] : parsed.error.issues, where).toEqual([]);
    return { status: res.status, body: json as Checked };
  }
  /** A call that must succeed (2xx), for the steps the next ones build on. */
  async function ok(method: string, path: string, template: string, body?: unknown, on = 0) {
    const r = await call(method, path, template, body, on);
    expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).toBeLessThan(300);
    return r.body as Checked;
  }

  it('answer every route with its published shape', async () => {
    await ok('GET', '/.well-known/tandem', '/.well-known/tandem');
    await ok('GET', '/healthz', '/healthz');
    await ok('GET', '/metrics', '/metrics');
    await ok('GET', '/api/openapi.json', '/api/openapi.json');
    await ok('GET', '/api/session', '/api/session');
    await ok('POST', '/api/session', '/api/session', { token: TOKEN });
    await ok('DELETE', '/api/session', '/api/session');
    await call('POST', '/api/session', '/api/session', { token: 'not-the-token' });
    await ok('GET', '/api/node', '/api/node');
    for (const [i, url] of urls.entries())
      await ok('PATCH', '/api/node', '/api/node', { name: `Schema Host ${i}`, publicUrl: url }, i);
    await people(call, ok);
    await ok('GET', `/api/probe?url=${encodeURIComponent(urls[1]!)}`, '/api/probe');
    await call('GET', '/api/probe', '/api/probe');
    const tracker = await ok('GET', '/api/tracker', '/api/tracker');
    expect(tracker).toMatchObject({
      kind: 'builtin',
      url: null,
      status: 'ok',
      calls: { total: 0, lastMinute: 0 },
    });
    expect(tracker.checks).toEqual([{ name: 'Local store readable', ok: true, detail: expect.any(String) }]);
    const credentials = '/api/tracker/credentials';
    expect(await ok('GET', credentials, credentials)).toMatchObject({
      kind: 'builtin',
      credentials: [
        { name: 'TANDEM_SCHEMA_USER', set: true, source: 'environment', stored: false },
        { name: 'TANDEM_SCHEMA_PASSWORD', set: false, source: null, stored: false },
      ],
    });
    await call('PUT', credentials, credentials, { values: { TANDEM_NOT_DECLARED: 'x' } });
    await call('PUT', credentials, credentials, { values: {} });
    const entered = await ok('PUT', credentials, credentials, {
      values: { TANDEM_SCHEMA_PASSWORD: 'schema-secret-77' },
    });
    expect(entered).toMatchObject({ live: false, restartRequired: true });
    expect(JSON.stringify(entered)).not.toContain('schema-secret-77');
    expect(await ok('DELETE', credentials, credentials)).toMatchObject({ restartRequired: false });

    // Entities.
    const created = await ok('POST', '/api/entities', '/api/entities', {
      type: 'incident',
      fields: { summary: 'Printer on fire', priority: 2, custom_field: { deep: [1, 2] } },
    });
    const id = String(created.id);
    const refused = await call('POST', '/api/entities', '/api/entities', { type: 'ticket', fields: {} });
    expect(refused.body).toMatchObject({
      status: 422,
      code: 'validation_failed',
      errors: [{ path: 'type' }],
    });
    await ok('GET', '/api/entities?type=incident', '/api/entities');
    await call('GET', '/api/entities?type=nonsense', '/api/entities');
    await ok('GET', `/api/entities/${id}`, '/api/entities/{id}');
    await call('GET', '/api/entities/missing', '/api/entities/{id}');
    await ok('PATCH', `/api/entities/${id}`, '/api/entities/{id}', { fields: { status: 'In Progress' } });
    await ok('POST', `/api/entities/${id}/comments`, '/api/entities/{id}/comments', { body: 'Looking' });
    await ok('GET', `/api/entities/${id}/sync`, '/api/entities/{id}/sync');
    const commented = await ok('POST', `/api/entities/${id}/comments`, '/api/entities/{id}/comments', {
      body: 'Typo',
    });
    const commentId = String(commented.comments.at(-1).id);
    const editAt = '/api/entities/{id}/comments/{commentId}';
    await ok('PATCH', `/api/entities/${id}/comments/${commentId}`, editAt, { body: 'Fixed' });
    await call('PATCH', `/api/entities/${id}/comments/missing`, editAt, { body: 'Fixed' });
    await call('PATCH', `/api/entities/${id}/comments/${commentId}`, editAt, { body: '' });
    await ok('DELETE', `/api/entities/${id}/comments/${commentId}`, editAt);
    await call('DELETE', `/api/entities/${id}/comments/${commentId}`, editAt);

    // Attachments: upload, list, download, delete.
    const files = '/api/entities/{id}/attachments';
    const file = await ok(
      'POST',
      `/api/entities/${id}/attachments?filename=notes.txt`,
      files,
      new TextEncoder().encode('hello'),
    );
    expect(file).toMatchObject({
      filename: 'notes.txt',
      contentType: 'text/plain',
      size: 5,
      internal: false,
    });
    await call('POST', '/api/entities/missing/attachments', files, new TextEncoder().encode('x'));
    await ok('GET', `/api/entities/${id}/attachments`, files);
    await call('GET', '/api/entities/missing/attachments', files);
    await ok('GET', `/api/attachments/${file.id}/content`, '/api/attachments/{id}/content');
    await call('GET', '/api/attachments/missing/content', '/api/attachments/{id}/content');
    await ok('DELETE', `/api/attachments/${file.id}`, '/api/attachments/{id}');
    await call('DELETE', `/api/attachments/${file.id}`, '/api/attachments/{id}');

    // Pairing: A invites B, B inspects and accepts, the link comes up.
    await call('POST', '/api/connections', '/api/connections', { mode: 'script' });
    const { connection, invitationCode } = await ok('POST', '/api/connections', '/api/connections', {
      destinationUrl: urls[1],
      mode: 'script',
      localName: 'alpha',
      remoteName: 'beta',
      name: 'Alpha to Beta',
    });
    const cid = String(connection.id);
    const named = { name: 'Alpha and Beta', description: 'Schema checks' };
    await ok('PATCH', `/api/connections/${cid}`, '/api/connections/{id}', named);
    await call('PATCH', `/api/connections/${cid}`, '/api/connections/{id}', { name: '' });
    await call('PATCH', '/api/connections/missing', '/api/connections/{id}', named);
    await ok('GET', `/api/connections/${cid}/invitation`, '/api/connections/{id}/invitation');
    const { code } = await ok(
      'POST',
      `/api/connections/${cid}/invitation`,
      '/api/connections/{id}/invitation',
    );
    await call('POST', '/api/invitations/inspect', '/api/invitations/inspect', { code: invitationCode });
    await ok('POST', '/api/invitations/inspect', '/api/invitations/inspect', { code }, 1);
    await call('POST', '/api/invitations/inspect', '/api/invitations/inspect', { code: 'nonsense' }, 1);
    await call('POST', '/api/invitations/accept', '/api/invitations/accept', { code: invitationCode }, 1);
    const accepted = await ok('POST', '/api/invitations/accept', '/api/invitations/accept', { code }, 1);
    await waitFor(
      async () => (await ok('GET', `/api/connections/${cid}`, '/api/connections/{id}')).state === 'active',
      15_000,
      100,
    );
    await ok('GET', '/api/connections', '/api/connections');
    await call('GET', `/api/connections/${cid}/invitation`, '/api/connections/{id}/invitation');
    await call('POST', `/api/connections/${cid}/invitation`, '/api/connections/{id}/invitation');
    await call('GET', '/api/connections/missing', '/api/connections/{id}');
    await ok('GET', `/api/connections/${cid}/health`, '/api/connections/{id}/health');
    await ok('POST', `/api/connections/${cid}/validate`, '/api/connections/{id}/validate');

    // Rules: a draft that fails on one field, a test run, then publish.
    const rules = `/api/connections/${cid}/rules`;
    await ok('GET', rules, '/api/connections/{id}/rules');
    await call('PUT', rules, '/api/connections/{id}/rules', { outgoing: 'replica.a = (;', incoming: '' });
    const failing = {
      outgoing: 'if (entity.summary === "fail") throw new Error("nope");\nreplica.summary = entity.summary;',
      incoming: '',
    };
    await ok('PUT', rules, '/api/connections/{id}/rules', failing);
    await ok('POST', `${rules}/test`, '/api/connections/{id}/rules/test', { entityId: id });
    await ok('PUT', rules, '/api/connections/{id}/rules', { ...failing, publish: true });
    await ok('POST', `${rules}/test`, '/api/connections/{id}/rules/test', {
      entityId: id,
      ruleSet: { outgoing: 'replica.summary = entity.summary;', incoming: '' },
    });
    await ok('GET', `${rules}/versions`, '/api/connections/{id}/rules/versions');
    await ok(
      'POST',
      `${rules}/versions/1/rollback`,
      '/api/connections/{id}/rules/versions/{version}/rollback',
    );
    await call(
      'POST',
      `${rules}/versions/99/rollback`,
      '/api/connections/{id}/rules/versions/{version}/rollback',
    );
    await ok('PUT', rules, '/api/connections/{id}/rules', { ...failing, publish: true });
    await ok('GET', `${rules}/fields?type=incident`, '/api/connections/{id}/rules/fields');
    await ok('GET', `/api/connections/${cid}/twins`, '/api/connections/{id}/twins');
    await ok('POST', '/api/entities/match', '/api/entities/match', {
      type: 'incident',
      query: 'priority <= 2',
    });
    await call('POST', '/api/entities/match', '/api/entities/match', { type: 'incident', query: '(' });
    await ok('GET', `/api/entities/${id}/fields`, '/api/entities/{id}/fields');
    await ok('GET', '/api/entities/fields?type=change', '/api/entities/fields');

    // Triggers and runs.
    const triggers = `/api/connections/${cid}/triggers`;
    await call('POST', triggers, '/api/connections/{id}/triggers', { entityType: 'ticket', query: '' });
    const trigger = await ok('POST', triggers, '/api/connections/{id}/triggers', {
      entityType: 'incident',
      query: 'priority <= 2',
      active: false,
    });
    await ok('GET', triggers, '/api/connections/{id}/triggers');
    await ok('PATCH', `/api/triggers/${trigger.id}`, '/api/triggers/{id}', { query: 'priority <= 3' });
    const bulk = await ok('POST', `/api/triggers/${trigger.id}/bulk-sync`, '/api/triggers/{id}/bulk-sync');
    await ok('DELETE', `/api/triggers/${trigger.id}`, '/api/triggers/{id}');
    await call('DELETE', `/api/triggers/${trigger.id}`, '/api/triggers/{id}');

    const failed = await ok('POST', '/api/entities', '/api/entities', {
      type: 'case',
      fields: { summary: 'fail' },
    });
    const manual = await ok('POST', `/api/connections/${cid}/sync`, '/api/connections/{id}/sync', {
      entityIds: [id, failed.id],
    });
    await call('POST', `/api/connections/${cid}/sync`, '/api/connections/{id}/sync', { entityIds: [] });
    for (const run of [bulk.runId, manual.runId])
      await waitFor(
        async () => (await ok('GET', `/api/runs/${run}`, '/api/runs/{id}')).finishedAt,
        15_000,
        100,
      );
    await call('GET', '/api/runs/missing', '/api/runs/{id}');
    await ok('GET', `/api/runs?connectionId=${cid}&limit=1`, '/api/runs');
    await call('GET', '/api/runs?cursor=%%%', '/api/runs');
    await ok('GET', `/api/runs/${manual.runId}/report.csv?part=all`, '/api/runs/{id}/report.csv');
    // Paused, a change of a synced entity waits in the outbox.
    await ok('POST', `/api/connections/${cid}/deactivate`, '/api/connections/{id}/deactivate');
    await ok('PATCH', `/api/entities/${id}`, '/api/entities/{id}', { fields: { summary: 'Queued' } });
    await waitFor(
      async () =>
        (await ok('GET', `/api/connections/${cid}/queue?direction=out`, '/api/connections/{id}/queue')).items
          .length,
      15_000,
      100,
    );
    // Dashboard and activity, with a change waiting while paused (lag) and the runs above as events.
    await hosts[0]!.parts.activity.sample();
    const dashboard = await ok('GET', '/api/dashboard?limit=1', '/api/dashboard');
    expect(dashboard.items.map((i: Checked) => i.id)).toEqual([cid]);
    expect(dashboard.items[0].queuedOut).toBeGreaterThan(0);
    await call('GET', '/api/dashboard?cursor=%%%', '/api/dashboard');
    const activity = `/api/connections/${cid}/activity`;
    for (const range of ['1h', '24h', '7d'])
      await ok('GET', `${activity}?range=${range}`, '/api/connections/{id}/activity');
    await call('GET', `${activity}?range=1y`, '/api/connections/{id}/activity');
    await call('GET', '/api/connections/missing/activity', '/api/connections/{id}/activity');
    // A run whose event waits on the paused link is running until its outcome comes: it can be cancelled.
    const paused = await ok('POST', '/api/entities', '/api/entities', {
      type: 'incident',
      fields: { summary: 'Sent while paused' },
    });
    const waiting = await ok('POST', `/api/connections/${cid}/sync`, '/api/connections/{id}/sync', {
      entityIds: [paused.id],
    });
    await waitFor(
      async () => (await ok('GET', `/api/runs/${waiting.runId}`, '/api/runs/{id}')).pending === 1,
      15_000,
      100,
    );
    const cancelled = await ok('POST', `/api/runs/${waiting.runId}/cancel`, '/api/runs/{id}/cancel');
    expect(cancelled).toMatchObject({ status: 'cancelled', finishedAt: null, pending: 1 });
    await call('POST', `/api/runs/${waiting.runId}/cancel`, '/api/runs/{id}/cancel');
    await call('POST', '/api/runs/missing/cancel', '/api/runs/{id}/cancel');
    await ok('POST', `/api/connections/${cid}/activate`, '/api/connections/{id}/activate');
    await waitFor(
      async () => (await ok('GET', `/api/runs/${waiting.runId}`, '/api/runs/{id}')).finishedAt,
      15_000,
      100,
    );
    await ok('GET', '/api/runs?status=cancelled', '/api/runs');
    const history = await ok(
      'GET',
      `/api/entities/${paused.id}/history?limit=5`,
      '/api/entities/{id}/history',
    );
    // Its replica carries no type, so the partner cannot create it: its outcome says so.
    expect(history.items[0]).toMatchObject({ direction: 'out', outcome: 'failed' });
    await call('GET', '/api/entities/missing/history', '/api/entities/{id}/history');
    const bid = String(accepted.connection.id);
    await ok(
      'GET',
      `/api/connections/${bid}/queue?direction=in`,
      '/api/connections/{id}/queue',
      undefined,
      1,
    );

    // Errors: the failing entity's, retried (it fails again) and resolved.
    const errors = await waitFor(
      async () => {
        const page = await ok('GET', `/api/errors?connectionId=${cid}&status=open`, '/api/errors');
        return page.items.length > 0 ? page.items : null;
      },
      15_000,
      100,
    );
    await call('POST', `/api/errors/${errors[0].id}/retry`, '/api/errors/{id}/retry');
    await call('POST', `/api/errors/${errors[0].id}/resolve`, '/api/errors/{id}/resolve');
    await call('POST', '/api/errors/missing/resolve', '/api/errors/{id}/resolve');
    await ok('GET', '/api/errors?status=resolved', '/api/errors');
    const atPeer = await ok('GET', '/api/errors?side=peer&level=entity', '/api/errors');
    expect(atPeer.items[0]).toMatchObject({ side: 'peer', entityId: paused.id, attempts: 1 });
    const refusedHere = await call(
      'POST',
      `/api/errors/${atPeer.items[0].id}/retry`,
      '/api/errors/{id}/retry',
    );
    expect(refusedHere.body).toMatchObject({ status: 409, code: 'error_at_peer' });
    await call('GET', '/api/errors?side=nowhere', '/api/errors');
    const none = { connectionId: cid, level: 'entity', q: 'no error says this' };
    expect(await ok('POST', '/api/errors/retry', '/api/errors/retry', none)).toMatchObject({ matched: 0 });
    // The outgoing rule still throws on "fail": retried, it fails again on the same error.
    const retried = await ok('POST', '/api/errors/retry', '/api/errors/retry', {
      connectionId: cid,
      q: 'NOPE',
    });
    expect(retried).toMatchObject({ matched: 1, resolved: 0, open: 1, atPeer: 0, more: false });
    const still = await ok('GET', `/api/errors?connectionId=${cid}&q=nope`, '/api/errors');
    expect(still.items).toMatchObject([{ status: 'open', attempts: 2, side: 'here', entityKey: failed.key }]);
    await ok('POST', '/api/errors/resolve', '/api/errors/resolve', { connectionId: cid });
    await call('POST', '/api/errors/resolve', '/api/errors/resolve', { level: 'planet' });

    await ok('POST', `/api/connections/${cid}/unsync`, '/api/connections/{id}/unsync', { entityIds: [id] });
    await ok('DELETE', `/api/connections/${cid}`, '/api/connections/{id}');
    await ok('DELETE', `/api/entities/${id}`, '/api/entities/{id}');

    // The audit log saw the walk, the CSV export included.
    const log = await ok('GET', '/api/audit?action=connection.*&limit=5', '/api/audit');
    expect(log.items.map((e: Checked) => e.action)).toContain('connection.deleted');
    await call('GET', '/api/audit?format=csv&actor=admin-token', '/api/audit');
    await call('GET', '/api/audit?cursor=nope', '/api/audit');
    await call('GET', '/api/audit?action=DROP TABLE', '/api/audit');

    expect(operations.map((o) => `${o.method.toUpperCase()} ${o.at}`).filter((r) => !seen.has(r))).toEqual(
      [],
    );
  }, 60_000);
});
