// The fake ServiceNow against the documented behaviour of the instance, so tests built on it can trust it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeServiceNow, startFakeServiceNow } from './fake-servicenow.ts';

let sn: FakeServiceNow;
const T0 = Date.UTC(2026, 0, 5, 9, 30, 0);
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
const ADMIN = basic('admin', 'admin-pw');
// biome-ignore lint/suspicious/noExplicitAny: the tests read ServiceNow's JSON loosely, by path.
type Loose = any;

async function call(path: string, init: RequestInit & { auth?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.auth !== '') headers.set('authorization', init.auth ?? ADMIN);
  if (init.body && !headers.has('content-type')) headers.set('content-type', 'application/json');
  headers.set('accept', 'application/json');
  const res = await fetch(`${sn.url}${path}`, { ...init, headers });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, Loose>) : null,
  };
}

beforeEach(async () => {
  sn = await startFakeServiceNow();
  sn.setNow(T0);
  sn.addUser({ userName: 'admin', password: 'admin-pw', roles: ['admin'], name: 'System Administrator' });
});
afterEach(async () => sn.close());

describe('fake ServiceNow: records', () => {
  it('stamps sys_id, number, times to the second and sys_mod_count; updates bump both', async () => {
    sn.setNow(T0 + 999);
    const created = await call('/api/now/table/incident', {
      method: 'POST',
      body: JSON.stringify({ short_description: 'Disk full', u_team: 'ops', bogus: 'ignored' }),
    });
    expect(created.status).toBe(201);
    const r = created.body!.result;
    expect(r.sys_id).toMatch(/^[0-9a-f]{32}$/);
    expect(r).toMatchObject({
      number: 'INC0010001',
      sys_created_on: '2026-01-05 09:30:00',
      sys_mod_count: '0',
    });
    expect(r).toMatchObject({ state: '1', u_team: 'ops', correlation_id: '' });
    expect(r.bogus).toBeUndefined();
    expect(created.headers.get('location')).toBe(`${sn.url}/api/now/table/incident/${r.sys_id}`);
    sn.advance(2000);
    const patched = await call(`/api/now/table/incident/${r.sys_id}`, {
      method: 'PATCH',
      body: JSON.stringify({ state: '2' }),
    });
    expect(patched.body!.result).toMatchObject({
      state: '2',
      sys_mod_count: '1',
      sys_updated_on: '2026-01-05 09:30:02',
    });
    const same = await call(`/api/now/table/incident/${r.sys_id}`, { method: 'PUT', body: '{"state":"2"}' });
    expect(same.body!.result.sys_mod_count).toBe('1');
    expect((await call('/api/now/table/incident', { method: 'POST', body: '{}' })).body!.result.number).toBe(
      'INC0010002',
    );
    expect(
      (await call('/api/now/table/change_request', { method: 'POST', body: '{}' })).body!.result,
    ).toMatchObject({
      number: 'CHG0010001',
      state: '-5',
    });
    expect((await call(`/api/now/table/incident/${r.sys_id}`, { method: 'DELETE' })).status).toBe(204);
    expect(sn.record('incident', r.sys_id)).toBeUndefined();
  });

  it('writes comments and work_notes to sys_journal_field and reads the fields back empty', async () => {
    sn.addUser({ userName: 'int', password: 'pw', name: 'Integration' });
    const inc = sn.seed('incident', { short_description: 'x' });
    const res = await call(`/api/now/table/incident/${inc.sys_id}`, {
      method: 'PATCH',
      auth: basic('int', 'pw'),
      body: JSON.stringify({ comments: 'public words', work_notes: 'internal words' }),
    });
    expect(res.body!.result).toMatchObject({ comments: '', work_notes: '', sys_mod_count: '1' });
    const journal = await call(
      `/api/now/table/sys_journal_field?sysparm_query=element_id=${inc.sys_id}^ORDERBYelement`,
    );
    expect(
      journal.body!.result.map((j: Record<string, string>) => [j.element, j.value, j.name, j.sys_created_by]),
    ).toEqual([
      ['comments', 'public words', 'incident', 'int'],
      ['work_notes', 'internal words', 'incident', 'int'],
    ]);
    expect(journal.body!.result[0].sys_created_on).toBe('2026-01-05 09:30:00');
    const shown = await call(
      `/api/now/table/incident/${inc.sys_id}?sysparm_display_value=true&sysparm_fields=comments`,
    );
    expect(shown.body!.result.comments).toBe(
      '2026-01-05 09:30:00 - Integration (Additional comments)\npublic words\n\n',
    );
  });

  it('gives display values, reference links and their exclusion as the Table API does', async () => {
    const user = sn.addUser({ userName: 'ann', password: 'pw', name: 'Ann Lee', email: 'ann@example.com' });
    const inc = sn.seed('incident', { priority: '1', state: '2', assigned_to: user.sys_id });
    const path = `/api/now/table/incident/${inc.sys_id}?sysparm_fields=priority,state,assigned_to,assigned_to.email`;
    const raw = (await call(path)).body!.result;
    expect(raw).toEqual({
      priority: '1',
      state: '2',
      assigned_to: { link: `${sn.url}/api/now/table/sys_user/${user.sys_id}`, value: user.sys_id },
      'assigned_to.email': 'ann@example.com',
    });
    const shown = (await call(`${path}&sysparm_display_value=true&sysparm_exclude_reference_link=true`)).body!
      .result;
    expect(shown).toMatchObject({ priority: '1 - Critical', state: 'In Progress', assigned_to: 'Ann Lee' });
    const both = (await call(`${path}&sysparm_display_value=all`)).body!.result;
    expect(both.state).toEqual({ display_value: 'In Progress', value: '2' });
    expect(both.assigned_to).toMatchObject({ display_value: 'Ann Lee', value: user.sys_id });
    const byLabel = await call(`/api/now/table/incident/${inc.sys_id}?sysparm_input_display_value=true`, {
      method: 'PATCH',
      body: JSON.stringify({ state: 'Resolved', assigned_to: 'Ann Lee' }),
    });
    expect(byLabel.body!.result).toMatchObject({ state: '6' });
    expect(sn.record('incident', inc.sys_id!)!.assigned_to).toBe(user.sys_id);
  });
});

describe('fake ServiceNow: queries and pages', () => {
  beforeEach(() => {
    for (const [p, s, d] of [
      ['2', '1', 'Mail down'],
      ['1', '2', 'VPN ^ flaky'],
      ['2', '2', 'mail slow'],
      ['4', '6', 'Printer'],
    ]) {
      sn.seed('incident', { priority: p, state: s, short_description: d });
      sn.advance(1000);
    }
  });
  const q = async (query: string, extra = '') =>
    (
      await call(
        `/api/now/table/incident?sysparm_fields=short_description&sysparm_query=${encodeURIComponent(query)}${extra}`,
      )
    ).body!.result.map((r: Record<string, string>) => r.short_description);

  it('reads the operators, ^, ^OR, ^NQ and ORDERBY/ORDERBYDESC on several fields', async () => {
    expect(await q('priority=2^ORDERBYshort_description')).toEqual(['Mail down', 'mail slow']);
    expect(await q('priority!=2^ORDERBYpriority')).toEqual(['VPN ^ flaky', 'Printer']);
    expect(await q('priority<=2^state>=2^ORDERBYDESCpriority')).toEqual(['mail slow', 'VPN ^ flaky']);
    expect(await q('priority>1^priority<4^ORDERBYsys_created_on')).toEqual(['Mail down', 'mail slow']);
    expect(await q('stateIN1,6^ORDERBYstate')).toEqual(['Mail down', 'Printer']);
    expect(await q('short_descriptionSTARTSWITHmail^ORDERBYsys_created_on')).toEqual([
      'Mail down',
      'mail slow',
    ]);
    expect(await q('short_descriptionLIKE^^ fl')).toEqual(['VPN ^ flaky']);
    expect(await q('state=6^ORpriority=1^ORDERBYpriority')).toEqual(['VPN ^ flaky', 'Printer']);
    expect(await q('priority=4^NQstate=1')).toEqual(['Mail down', 'Printer']);
    expect(await q('priority=2^ORDERBYDESCstate^ORDERBYshort_description')).toEqual([
      'mail slow',
      'Mail down',
    ]);
    expect(await q('descriptionISEMPTY^correlation_idISNOTEMPTY')).toEqual([]);
    expect(await q('sys_updated_on>2026-01-05 09:30:01^ORDERBYsys_updated_on')).toEqual([
      'mail slow',
      'Printer',
    ]);
  });

  it('ignores invalid parts, as the instance does by default, and reports them to the test', async () => {
    expect(await q('no_such_field=1^priority=4')).toEqual(['Printer']);
    expect(sn.invalidQueryParts()).toContain('no_such_field');
  });

  it('pages with sysparm_limit/offset, X-Total-Count and Link first/prev/next/last', async () => {
    const res = await call(
      '/api/now/table/incident?sysparm_limit=1&sysparm_offset=1&sysparm_query=ORDERBYnumber',
    );
    expect(res.body!.result.map((r: Record<string, string>) => r.number)).toEqual(['INC0010002']);
    expect(res.headers.get('x-total-count')).toBe('4');
    const links = Object.fromEntries(
      res.headers
        .get('link')!
        .split(',')
        .map((l) => {
          const m = /^<([^>]+)>;rel="(\w+)"$/.exec(l)!;
          return [m[2], new URL(m[1]!).searchParams.get('sysparm_offset')];
        }),
    );
    expect(links).toEqual({ first: '0', prev: '0', next: '2', last: '3' });
    expect((await call('/api/now/table/incident?sysparm_offset=-1')).body).toEqual({
      error: { message: 'offset is -1', detail: 'Negative offset is not supported' },
      status: 'failure',
    });
  });

  it('caps a page at 10,000 rows by default, whatever sysparm_limit asks', async () => {
    await sn.close();
    sn = await startFakeServiceNow({ pageCap: 3 });
    sn.addUser({ userName: 'admin', password: 'admin-pw', roles: ['admin'] });
    for (let i = 0; i < 5; i++) sn.seed('problem', {});
    const res = await call('/api/now/table/problem?sysparm_limit=100');
    expect(res.body!.result).toHaveLength(3);
    expect(res.headers.get('x-total-count')).toBe('5');
  });
});

describe('fake ServiceNow: auth and errors', () => {
  it('answers 401, 403 and 404 with ServiceNow error bodies', async () => {
    expect(await call('/api/now/table/incident', { auth: basic('admin', 'wrong') })).toMatchObject({
      status: 401,
      body: {
        error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' },
        status: 'failure',
      },
    });
    expect((await call('/api/now/table/incident', { auth: '' })).status).toBe(401);
    sn.addUser({ userName: 'plain', password: 'pw', roles: [] });
    sn.setAcl('incident', 'read', ['itil']);
    sn.setAcl('incident', 'create', ['itil']);
    const denied = await call('/api/now/table/incident', { auth: basic('plain', 'pw') });
    expect(denied).toMatchObject({
      status: 403,
      body: { error: { message: 'User Not Authorized' }, status: 'failure' },
    });
    const insert = await call('/api/now/table/incident', {
      auth: basic('plain', 'pw'),
      method: 'POST',
      body: '{}',
    });
    expect(insert.body!.error.detail).toBe('ACL Exception Insert Failed due to security constraints');
    expect((await call('/api/now/table/incident')).status).toBe(200);
    expect(await call(`/api/now/table/incident/${'0'.repeat(32)}`)).toMatchObject({
      status: 404,
      body: { error: { message: 'No Record found' }, status: 'failure' },
    });
    expect(await call('/api/now/table/u_nothing')).toMatchObject({
      status: 404,
      body: { error: { message: 'Invalid table u_nothing' } },
    });
  });

  it('grants OAuth tokens (password, refresh_token, client_credentials) that expire on its clock', async () => {
    sn.addUser({ userName: 'int', password: 'pw', roles: ['itil'] });
    sn.addOAuthClient({ clientId: 'cid', clientSecret: 'csecret', userName: 'int' });
    const token = (form: Record<string, string>) =>
      fetch(`${sn.url}/oauth_token.do`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: 'cid', client_secret: 'csecret', ...form }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, Loose> }));
    const pw = await token({ grant_type: 'password', username: 'int', password: 'pw' });
    expect(pw.body).toMatchObject({ token_type: 'Bearer', scope: 'useraccount', expires_in: 1799 });
    expect(pw.body.refresh_token).toEqual(expect.any(String));
    const again = await token({ grant_type: 'password', username: 'int', password: 'pw' });
    expect(again.body.access_token).toBe(pw.body.access_token);
    const bearer = `Bearer ${pw.body.access_token}`;
    expect((await call('/api/now/table/incident', { auth: bearer })).status).toBe(200);
    sn.advance(1800_000);
    expect((await call('/api/now/table/incident', { auth: bearer })).status).toBe(401);
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: pw.body.refresh_token });
    expect(refreshed.body.access_token).not.toBe(pw.body.access_token);
    expect(
      (await call('/api/now/table/incident', { auth: `Bearer ${refreshed.body.access_token}` })).status,
    ).toBe(200);
    const cc = await token({ grant_type: 'client_credentials' });
    expect(cc.body.refresh_token).toBeUndefined();
    expect((await call('/api/now/table/incident', { auth: `Bearer ${cc.body.access_token}` })).status).toBe(
      200,
    );
    expect(await token({ grant_type: 'password', username: 'int', password: 'nope' })).toEqual({
      status: 401,
      body: { error_description: 'access_denied', error: 'server_error' },
    });
  });
});

describe('fake ServiceNow: faults, batch and the request log', () => {
  it('answers a 429 storm with Retry-After and X-RateLimit-* until its clock passes the end', async () => {
    sn.inject({ kind: 'rateLimit', untilMs: T0 + 5000, limit: 100 });
    const res = await call('/api/now/table/incident');
    expect(res.status).toBe(429);
    expect(res.body).toEqual({
      error: {
        message: 'Rate limit exceeded',
        detail: 'Rate limit of 100 requests per hour for Table API exceeded',
      },
      status: 'failure',
    });
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.headers.get('x-ratelimit-limit')).toBe('100');
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(res.headers.get('x-ratelimit-reset')).toBe(String(T0 / 1000 + 5));
    sn.advance(5000);
    expect((await call('/api/now/table/incident')).status).toBe(200);
  });

  it('injects 5xx bursts, raw bodies, latency and dropped connections, then recovers', async () => {
    sn.inject({ kind: 'error', status: 503, count: 2 });
    const get = (path: string) => fetch(`${sn.url}${path}`, { headers: { authorization: ADMIN } });
    expect((await get('/api/now/table/incident')).status).toBe(503);
    expect((await get('/api/now/table/incident')).headers.get('content-type')).toBe('text/html');
    expect((await call('/api/now/table/incident')).status).toBe(200);
    sn.inject({ kind: 'drop', path: '/api/now/table/problem' });
    await expect(get('/api/now/table/problem')).rejects.toThrow();
    expect((await get('/api/now/table/problem')).status).toBe(200);
    sn.inject({ kind: 'raw', body: '{"result": [' });
    expect(await (await get('/api/now/table/incident')).text()).toBe('{"result": [');
    sn.inject({ kind: 'latency', ms: 150 });
    const started = performance.now();
    await call('/api/now/table/incident');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('drops the socket after the work (dropAfter), and filters faults by method', async () => {
    sn.inject({ kind: 'dropAfter', path: '/api/now/table/incident', method: 'POST' });
    expect((await call('/api/now/table/incident')).status).toBe(200);
    const post = () =>
      fetch(`${sn.url}/api/now/table/incident`, {
        method: 'POST',
        headers: { authorization: ADMIN, 'content-type': 'application/json' },
        body: JSON.stringify({ short_description: 'half-done' }),
      });
    await expect(post()).rejects.toThrow();
    expect(sn.records('incident', 'short_description=half-done')).toHaveLength(1);
    expect((await post()).status).toBe(201);
    expect(sn.records('incident', 'short_description=half-done')).toHaveLength(2);
  });

  it('keeps choice lists in sys_choice (name, element, value, label, inactive); labels follow them', async () => {
    const res = await call(
      '/api/now/table/sys_choice?sysparm_query=name=incident^element=state^ORDERBYsequence&sysparm_fields=value,label,inactive',
    );
    expect(res.body!.result.slice(0, 2)).toEqual([
      { value: '1', label: 'New', inactive: 'false' },
      { value: '2', label: 'In Progress', inactive: 'false' },
    ]);
    sn.seed('sys_choice', {
      name: 'incident',
      element: 'state',
      value: '9',
      label: 'Awaiting Vendor',
      inactive: 'false',
    });
    const inc = sn.seed('incident', { state: '9' });
    const read = await call(
      `/api/now/table/incident/${inc.sys_id}?sysparm_display_value=true&sysparm_fields=state`,
    );
    expect(read.body!.result.state).toBe('Awaiting Vendor');
  });

  it('runs Batch API items with base64 bodies, one HTTP call in the log', async () => {
    const inc = sn.seed('incident', { short_description: 'a' });
    sn.clearRequests();
    const res = await call('/api/now/v1/batch', {
      method: 'POST',
      body: JSON.stringify({
        batch_request_id: 'b1',
        rest_requests: [
          {
            id: '1',
            method: 'GET',
            url: `/api/now/table/incident/${inc.sys_id}?sysparm_fields=number`,
            headers: [],
          },
          {
            id: '2',
            method: 'POST',
            url: '/api/now/table/incident',
            exclude_response_headers: true,
            headers: [{ name: 'Content-Type', value: 'application/json' }],
            body: Buffer.from(JSON.stringify({ short_description: 'b' })).toString('base64'),
          },
          { id: '3', method: 'GET', url: `/api/now/table/incident/${'f'.repeat(32)}`, headers: [] },
        ],
      }),
    });
    expect(res.body!.batch_request_id).toBe('b1');
    expect(res.body!.unserviced_requests).toEqual([]);
    const items = res.body!.serviced_requests as {
      id: string;
      status_code: number;
      body: string;
      headers: unknown[];
    }[];
    expect(items.map((i) => [i.id, i.status_code])).toEqual([
      ['1', 200],
      ['2', 201],
      ['3', 404],
    ]);
    expect(JSON.parse(Buffer.from(items[0]!.body, 'base64').toString())).toEqual({
      result: { number: 'INC0010001' },
    });
    expect(items[1]!.headers).toEqual([]);
    expect(sn.records('incident', 'short_description=b')).toHaveLength(1);
    expect(sn.calls()).toBe(1);
    expect(sn.callsByRoute()).toEqual({ 'POST /api/now/v1/batch': 1 });
    expect(
      sn
        .requests()
        .filter((r) => r.via === 'batch')
        .map((r) => r.route),
    ).toEqual([
      'GET /api/now/table/incident/{sys_id}',
      'POST /api/now/table/incident',
      'GET /api/now/table/incident/{sys_id}',
    ]);
  });
});
