// The ServiceNow client against the fake instance: auth both ways, paging, 429s, 5xx, typed errors, no leaked secrets.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeServiceNow, startFakeServiceNow } from '../../../tests/support/fake-servicenow.ts';
import type { ServiceNowCredentials } from './auth.ts';
import { createServiceNowClient, type ServiceNowClientOptions } from './client.ts';
import { encodedQuery } from './encoded-query.ts';
import { ServiceNowError } from './errors.ts';
import { storedValue } from './schemas.ts';
import { formatServiceNowTime, parseServiceNowTime } from './time.ts';

const PASSWORD = 'pw-Sekr1t-9f3a';
const CLIENT_SECRET = 'cs-Sekr1t-77b2';
const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
let sn: FakeServiceNow;
let slept: number[];

beforeEach(async () => {
  sn = await startFakeServiceNow();
  sn.setNow(T0);
  sn.addUser({ userName: 'tandem', password: PASSWORD, roles: ['itil'], name: 'Tandem Integration' });
  sn.addOAuthClient({ clientId: 'tandem-app', clientSecret: CLIENT_SECRET, userName: 'tandem' });
  slept = [];
});
afterEach(async () => sn.close());

const BASIC: ServiceNowCredentials = { kind: 'basic', user: 'tandem', password: PASSWORD };
const OAUTH: ServiceNowCredentials = {
  kind: 'oauth-password',
  clientId: 'tandem-app',
  clientSecret: CLIENT_SECRET,
  user: 'tandem',
  password: PASSWORD,
};

function client(credentials: ServiceNowCredentials = BASIC, extra: Partial<ServiceNowClientOptions> = {}) {
  return createServiceNowClient({
    instanceUrl: sn.url,
    credentials,
    now: () => sn.now(),
    sleep: async (ms) => {
      slept.push(ms);
      sn.advance(ms);
    },
    random: () => 0.5,
    ...extra,
  });
}

async function failure(p: Promise<unknown>): Promise<ServiceNowError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ServiceNowError);
  return err as ServiceNowError;
}

describe('ServiceNow client: records and auth', () => {
  it('creates, reads, updates, lists and deletes with Basic auth', async () => {
    const c = client();
    const made = await c.create('incident', {
      short_description: 'Disk full',
      priority: '2',
      work_notes: 'hi',
    });
    const id = storedValue(made.sys_id);
    expect(made).toMatchObject({ number: 'INC0010001', priority: '2', sys_mod_count: '0' });
    const changed = await c.update('incident', id, { state: '2' }, { fields: ['state', 'sys_mod_count'] });
    expect(changed).toEqual({ state: '2', sys_mod_count: '1' });
    const shown = await c.get('incident', id, { displayValue: true, fields: ['state', 'priority'] });
    expect(shown).toEqual({ state: 'In Progress', priority: '2 - High' });
    expect(sn.journal(id).map((j) => [j.element, j.value])).toEqual([['work_notes', 'hi']]);
    expect((await c.list('incident')).records).toHaveLength(1);
    await c.remove('incident', id);
    expect(await c.get('incident', id)).toBeNull();
    expect(c.stats().calls).toEqual({ total: 6, lastMinute: 6 });
    sn.advance(61_000);
    expect(c.stats().calls).toEqual({ total: 6, lastMinute: 0 });
  });

  it('signs in with OAuth once, refreshes before expiry and retries a 401 once with a fresh token', async () => {
    const c = client(OAUTH);
    await c.list('incident');
    await c.list('incident');
    expect(sn.calls('POST /oauth_token.do')).toBe(1);
    sn.advance(1799_000 - 30_000);
    await c.list('incident');
    expect(sn.calls('POST /oauth_token.do')).toBe(2);
    sn.expireAccessTokens();
    await c.list('incident');
    expect(sn.calls('POST /oauth_token.do')).toBe(3);
    expect(sn.requests().filter((r) => r.status === 401)).toHaveLength(1);
    expect(sn.calls('GET /api/now/table/incident')).toBe(5);
  });

  it('uses the client_credentials grant', async () => {
    const c = client({
      kind: 'oauth-client-credentials',
      clientId: 'tandem-app',
      clientSecret: CLIENT_SECRET,
    });
    expect((await c.list('problem')).records).toEqual([]);
  });

  it('types a wrong password, a wrong client secret and a missing role, with the fix', async () => {
    const wrong = await failure(client({ ...BASIC, password: 'nope' }).list('incident'));
    expect(wrong.code).toBe('SERVICENOW_UNAUTHORIZED');
    expect(wrong.details.fix).toContain('TANDEM_SERVICENOW_PASSWORD');
    const secret = await failure(client({ ...OAUTH, clientSecret: 'nope' }).list('incident'));
    expect(secret.code).toBe('SERVICENOW_UNAUTHORIZED');
    expect(secret.details.fix).toContain('TANDEM_SERVICENOW_CLIENT_SECRET');
    sn.setAcl('change_request', 'write', ['change_manager']);
    const row = sn.seed('change_request', {});
    const denied = await failure(client().update('change_request', row.sys_id!, { state: '-4' }));
    expect(denied).toMatchObject({ code: 'SERVICENOW_FORBIDDEN', status: 502 });
    expect(denied.details.fix).toBe(
      'The integration user lacks the itil role / write access to table change_request: grant the role or an ACL for it',
    );
    const missing = await failure(client().list('u_nothing'));
    expect(missing).toMatchObject({
      code: 'SERVICENOW_NOT_FOUND',
      message: 'ServiceNow has no table u_nothing',
    });
    const gone = await failure(client().update('incident', 'a'.repeat(32), { state: '2' }));
    expect(gone.message).toBe(`ServiceNow has no incident record ${'a'.repeat(32)}`);
  });

  it('never puts a password, client secret or token in an error', async () => {
    const errors: ServiceNowError[] = [];
    errors.push(await failure(client({ ...BASIC, password: `${PASSWORD}x` }).list('incident')));
    errors.push(await failure(client({ ...OAUTH, clientSecret: `${CLIENT_SECRET}x` }).list('incident')));
    sn.setAcl('incident', 'read', ['nobody']);
    errors.push(await failure(client(OAUTH).list('incident')));
    sn.inject({ kind: 'error', status: 500, count: 10 });
    errors.push(await failure(client(OAUTH).create('problem', { short_description: PASSWORD })));
    const tokens = sn.requests().length;
    const basicHeader = Buffer.from(`tandem:${PASSWORD}`).toString('base64');
    for (const e of errors) {
      const text = `${String(e)} ${e.stack} ${JSON.stringify({ ...e, message: e.message, extra: e.extra })}`;
      for (const secret of [PASSWORD, CLIENT_SECRET, basicHeader]) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/Bearer [A-Za-z0-9_-]{20,}/);
    }
    expect(tokens).toBeGreaterThan(0);
  });
});

describe('ServiceNow client: paging, queries, batch', () => {
  it('pages through every match, 1,000 rows at most a page, following Link', async () => {
    for (let i = 0; i < 25; i++) sn.seed('incident', { short_description: `n${i}` });
    sn.clearRequests();
    const c = client(BASIC, { pageSize: 10 });
    const rows = await c.listAll('incident', { query: encodedQuery().orderBy('number'), fields: ['number'] });
    expect(rows.map((r) => r.number)).toEqual(sn.records('incident').map((r) => r.number));
    expect(sn.calls('GET /api/now/table/incident')).toBe(3);
    const limited = await c.listAll('incident', { limit: 12, fields: ['number'] });
    expect(limited).toHaveLength(12);
    for (let i = 0; i < 1000; i++) sn.seed('problem', {});
    sn.clearRequests();
    expect(await client(BASIC, { pageSize: 5000 }).listAll('problem', { fields: ['sys_id'] })).toHaveLength(
      1000,
    );
    sn.seed('problem', {});
    expect(await client().listAll('problem', { fields: ['sys_id'] })).toHaveLength(1001);
    expect(sn.calls('GET /api/now/table/problem')).toBe(1 + 2);
  });

  it('escapes carets in values (^^), so a value cannot add a condition', async () => {
    const c = client();
    await c.create('incident', { short_description: 'a^ORpriority=1' });
    await c.create('incident', { short_description: 'other', priority: '1' });
    const q = encodedQuery().where('short_description', '=', 'a^ORpriority=1');
    expect(q.toString()).toBe('short_description=a^^ORpriority=1');
    expect(await c.listAll('incident', { query: q })).toHaveLength(1);
    const since = encodedQuery()
      .where('sys_updated_on', '>=', new Date(T0))
      .orderBy('sys_updated_on')
      .orderBy('sys_id');
    expect(since.toString()).toBe('sys_updated_on>=2026-03-01 12:00:00^ORDERBYsys_updated_on^ORDERBYsys_id');
    expect(await c.listAll('incident', { query: since })).toHaveLength(2);
    expect(() => encodedQuery().where('bad^field', '=', 'x')).toThrow(/field name/);
    expect(() => encodedQuery().in('state', ['1,2'])).toThrow(/comma/);
    expect(encodedQuery().in('state', ['1', '2']).isEmpty('assigned_to').toString()).toBe(
      'stateIN1,2^assigned_toISEMPTY',
    );
  });

  it('reads and writes ServiceNow timestamps in UTC to the second', () => {
    expect(parseServiceNowTime('2026-03-01 12:00:00')).toBe(T0);
    expect(parseServiceNowTime('2026-02-30 12:00:00')).toBeNull();
    expect(parseServiceNowTime('2026-03-01T12:00:00Z')).toBeNull();
    expect(formatServiceNowTime(T0 + 999)).toBe('2026-03-01 12:00:00');
  });

  it('sends several calls as one Batch API request', async () => {
    const row = sn.seed('incident', { short_description: 'a' });
    sn.clearRequests();
    const r = await client().batch([
      { id: 'read', method: 'GET', url: `/api/now/table/incident/${row.sys_id}?sysparm_fields=number` },
      {
        id: 'write',
        method: 'PATCH',
        url: `/api/now/table/incident/${row.sys_id}`,
        body: { comments: 'via batch' },
      },
    ]);
    expect(r.results.map((x) => [x.id, x.status])).toEqual([
      ['read', 200],
      ['write', 200],
    ]);
    expect(r.results[0]!.body).toEqual({ result: { number: 'INC0010001' } });
    expect(sn.journal(row.sys_id!).map((j) => j.value)).toEqual(['via batch']);
    expect(sn.calls()).toBe(1);
  });
});

describe('ServiceNow client: failures it rides out', () => {
  it('waits out a 429 storm as told (Retry-After) and loses nothing', async () => {
    const c = client(OAUTH);
    sn.inject({ kind: 'rateLimit', untilMs: T0 + 30_000 });
    const made = await c.create('incident', { short_description: 'during the storm' });
    expect(sn.records('incident')).toHaveLength(1);
    expect(storedValue(made.sys_id)).toBe(sn.records('incident')[0]!.sys_id);
    expect(slept.reduce((a, b) => a + b, 0)).toBe(30_000);
    expect(sn.now()).toBeGreaterThanOrEqual(T0 + 30_000);
    expect(c.stats().rateLimitedUntil).toBeNull();
    sn.inject({ kind: 'rateLimit', retryAfterSeconds: 7, count: 2 });
    slept = [];
    await c.list('incident');
    expect(slept).toEqual([7000, 7000]);
  });

  it('falls back to X-RateLimit-Reset, and gives up past its budget with rateLimitedUntil', async () => {
    const c = client(BASIC, { maxRateLimitWaitMs: 60_000 });
    sn.inject({ kind: 'rateLimit', untilMs: T0 + 3_600_000 });
    const err = await failure(c.list('incident'));
    expect(err.code).toBe('SERVICENOW_RATE_LIMITED');
    expect(err.details.rateLimitedUntil).toBe(new Date(T0 + 3_600_000).toISOString());
    expect(c.stats().rateLimitedUntil).toBe(new Date(T0 + 3_600_000).toISOString());
    const headers = new Headers({ 'x-ratelimit-reset': String(T0 / 1000 + 12) });
    const { rateLimitWait } = await import('./retry.ts');
    expect(rateLimitWait(headers, T0, 1)).toBe(12_000);
  });

  it('retries 5xx and dropped connections with capped jittered backoff', async () => {
    const c = client(BASIC, { backoff: { baseMs: 100, capMs: 300 } });
    sn.inject({ kind: 'error', status: 502, count: 3 });
    expect((await c.list('incident')).records).toEqual([]);
    expect(slept).toEqual([50, 100, 150]);
    sn.inject({ kind: 'drop' });
    expect((await c.list('incident')).records).toEqual([]);
    sn.inject({ kind: 'error', status: 503, count: 10 });
    const err = await failure(c.list('incident'));
    expect(err).toMatchObject({ code: 'SERVICENOW_UNAVAILABLE', status: 503 });
    expect(c.stats().calls.total).toBe(4 + 2 + 5);
  });

  it('does not repeat a create after a 500 or a dropped answer, and says it may have been applied', async () => {
    const c = client();
    sn.inject({ kind: 'error', status: 500 });
    const err = await failure(c.create('incident', { short_description: 'x' }));
    expect(err.details.maybeApplied).toBe(true);
    sn.inject({ kind: 'drop', path: '/api/now/table/incident' });
    const dropped = await failure(c.create('incident', { short_description: 'y' }));
    expect(dropped).toMatchObject({ code: 'SERVICENOW_UNAVAILABLE', details: { maybeApplied: true } });
    expect(sn.calls('POST /api/now/table/incident')).toBe(2);
  });

  it('does not repeat a journal update (appends) after a dropped answer; a plain update is retried', async () => {
    const c = client();
    const inc = sn.seed('incident', { short_description: 'x' });
    sn.inject({ kind: 'dropAfter', method: 'PATCH' });
    const err = await failure(c.update('incident', inc.sys_id!, { comments: 'once' }, { appends: true }));
    expect(err).toMatchObject({ code: 'SERVICENOW_UNAVAILABLE', details: { maybeApplied: true } });
    expect(sn.journal(inc.sys_id!).map((j) => j.value)).toEqual(['once']);
    sn.inject({ kind: 'dropAfter', method: 'PATCH' });
    expect(storedValue((await c.update('incident', inc.sys_id!, { state: '2' })).state)).toBe('2');
    expect(sn.calls('PATCH /api/now/table/incident')).toBe(3);
  });

  it('types malformed answers with a stable code instead of crashing', async () => {
    const c = client();
    for (const body of ['{"result": [', '{"result": 5}', '<html>oops</html>', '{"result": [{"a": [1]}]}']) {
      sn.inject({ kind: 'raw', body });
      const err = await failure(c.list('incident'));
      expect(err.code).toBe('SERVICENOW_BAD_RESPONSE');
      expect(err.message).not.toContain('oops');
    }
    sn.inject({ kind: 'raw', body: '{"access_token": ""}', path: '/oauth_token.do' });
    expect((await failure(client(OAUTH).list('incident'))).code).toBe('SERVICENOW_BAD_RESPONSE');
    expect(() => client(BASIC, { instanceUrl: 'https://u:p@x.service-now.com' })).toThrow(/must not carry/);
  });
});
