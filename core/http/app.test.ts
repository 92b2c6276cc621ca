import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessHost, inProcessHost } from '../../tests/support/in-process.ts';

let host: InProcessHost;
let auth: { authorization: string };

beforeAll(async () => {
  host = await inProcessHost();
  auth = { authorization: `Bearer ${host.token}` };
});
afterAll(async () => host.close());

const api = () => request(host.server);

describe('public routes', () => {
  it('publishes the node document and health without auth', async () => {
    const wk = await api().get('/.well-known/tandem').expect(200);
    expect(wk.body).toMatchObject({
      nodeId: host.services.identity.nodeId,
      name: 'Test Host',
      protocol: 1,
      modes: ['basic', 'visual', 'script'],
      linkPath: '/link',
      publicKey: { kty: 'OKP', crv: 'Ed25519' },
    });
    expect(wk.body.publicKey.d).toBeUndefined();
    await api().get('/healthz').expect(200, { ok: true });
  });
});

describe('admin auth', () => {
  it('refuses a missing, wrong or malformed credential with problem+json 401', async () => {
    for (const header of [undefined, 'Bearer wrong', 'Basic abc', `Bearer ${host.token}x`]) {
      const req = api().get('/api/node');
      const res = await (header ? req.set('authorization', header) : req).expect(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({ code: 'unauthorized', status: 401, title: 'Unauthorized' });
    }
  });

  it('trades the token for an HttpOnly SameSite=Strict session and refuses cross-origin writes on it', async () => {
    await api().post('/api/session').send({ token: 'nope' }).expect(401);
    const res = await api().post('/api/session').send({ token: host.token }).expect(201);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/tandem_session=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const session = cookie.split(';')[0]!;
    await api().get('/api/node').set('cookie', session).expect(200);
    await api()
      .post('/api/entities')
      .set('cookie', session)
      .set('origin', 'https://evil.example')
      .send({ type: 'incident', fields: { summary: 'x' } })
      .expect(403);
    await api().delete('/api/session').set('cookie', session).expect(204);
    await api().get('/api/node').set('cookie', session).expect(401);
  });
});

describe('node', () => {
  it('reads and updates name and public URL', async () => {
    const res = await api().get('/api/node').set(auth).expect(200);
    expect(res.body).toMatchObject({
      name: 'Test Host',
      publicUrl: null,
      nodeId: host.services.identity.nodeId,
    });
    expect(res.body.fingerprint).toMatch(/^([0-9A-F]{4}:){7}[0-9A-F]{4}$/);
    const patched = await api()
      .patch('/api/node')
      .set(auth)
      .send({ name: 'Acme', publicUrl: 'https://tandem.acme.example/' })
      .expect(200);
    expect(patched.body).toMatchObject({ name: 'Acme', publicUrl: 'https://tandem.acme.example' });
    await api().patch('/api/node').set(auth).send({ publicUrl: 'ftp://x' }).expect(422);
    const bad = await api().patch('/api/node').set(auth).send({ nodeId: 'mine' }).expect(422);
    expect(bad.body.code).toBe('validation_failed');
  });
});

describe('entities', () => {
  it('creates, reads, updates, comments and deletes', async () => {
    const created = await api()
      .post('/api/entities')
      .set(auth)
      .send({ type: 'incident', fields: { summary: 'Mail down', priority: 1, customer_ref: 'A-17' } })
      .expect(201);
    const e = created.body;
    expect(e).toMatchObject({ key: 'INC0001001', type: 'incident', version: 1, comments: [] });
    expect(e.fields).toMatchObject({
      summary: 'Mail down',
      priority: 1,
      customer_ref: 'A-17',
      status: 'new',
    });

    await api().get(`/api/entities/${e.id}`).set(auth).expect(200);
    const patched = await api()
      .patch(`/api/entities/${e.id}`)
      .set(auth)
      .send({ fields: { status: 'resolved' }, version: 1 })
      .expect(200);
    expect(patched.body).toMatchObject({ version: 2, fields: { status: 'resolved', summary: 'Mail down' } });
    const stale = await api()
      .patch(`/api/entities/${e.id}`)
      .set(auth)
      .send({ fields: { status: 'closed' }, version: 1 })
      .expect(409);
    expect(stale.body.code).toBe('version_conflict');

    const commented = await api()
      .post(`/api/entities/${e.id}/comments`)
      .set(auth)
      .send({ body: 'Restarted the relay', internal: true })
      .expect(201);
    // No author given: the caller's name (the admin token's here).
    expect(commented.body.comments).toMatchObject([
      { body: 'Restarted the relay', author: 'admin-token', internal: true },
    ]);

    // A signed-in user's comment is theirs unless it names another author.
    const user = await host.services.users.create({
      email: 'ana@example.com',
      name: 'Ana',
      role: 'admin',
      password: 'correct horse battery staple',
    });
    const { token } = await host.services.tokens.create(user.id, 'comments');
    const asAna = { authorization: `Bearer ${token}` };
    await api().post(`/api/entities/${e.id}/comments`).set(asAna).send({ body: 'Mine' }).expect(201);
    const named = await api()
      .post(`/api/entities/${e.id}/comments`)
      .set(asAna)
      .send({ body: 'For Bo', author: 'bo@example.com' })
      .expect(201);
    expect(named.body.comments.map((c: { author: string; body: string }) => [c.body, c.author])).toEqual([
      ['Restarted the relay', 'admin-token'],
      ['Mine', 'ana@example.com'],
      ['For Bo', 'bo@example.com'],
    ]);

    await api().delete(`/api/entities/${e.id}`).set(auth).expect(204);
    const gone = await api().get(`/api/entities/${e.id}`).set(auth).expect(404);
    expect(gone.body.code).toBe('not_found');
  });

  it("lists a type's fields with the tracker's values first, then values seen (pick-lists)", async () => {
    const make = (fields: Record<string, unknown>) =>
      api()
        .post('/api/entities')
        .set(auth)
        .send({ type: 'request', fields: { summary: 'Fields', ...fields } })
        .expect(201);
    await make({ status: 'waiting for parts', priority: 2 });
    const e = (await make({ status: 'approved' })).body;
    const res = await api().get(`/api/entities/${e.id}/fields`).set(auth).expect(200);
    const byName = new Map(
      (
        res.body.items as Array<{
          name: string;
          values: unknown[];
          choices?: unknown[];
          choicesOnly?: boolean;
        }>
      ).map((f) => [f.name, f]),
    );
    const status = byName.get('status')!;
    expect(status.choicesOnly).toBe(false);
    expect(status.choices).toContainEqual({ value: 'in_progress', label: 'In progress' });
    // The request statuses the store offers, in their order, then one typed on an entity.
    expect(status.values.slice(0, 3)).toEqual(['submitted', 'approved', 'in_progress']);
    expect(status.values.at(-1)).toBe('waiting for parts');
    expect(status.values.filter((v) => v === 'approved')).toHaveLength(1);
    expect(byName.get('priority')).toMatchObject({ values: [1, 2, 3, 4, 5], choicesOnly: true });
    expect(byName.get('summary')!.choices).toBeUndefined();
  });

  it('pages with a cursor and filters by type and text', async () => {
    for (let i = 0; i < 5; i++) {
      await api()
        .post('/api/entities')
        .set(auth)
        .send({ type: i % 2 ? 'change' : 'problem', fields: { summary: `Paging item ${i}` } })
        .expect(201);
    }
    const first = await api().get('/api/entities?limit=2&q=paging').set(auth).expect(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const seen = new Set(first.body.items.map((e: { id: string }) => e.id));
    let cursor: string | undefined = first.body.nextCursor;
    while (cursor) {
      const page = await api().get(`/api/entities?limit=2&q=paging&cursor=${cursor}`).set(auth).expect(200);
      for (const e of page.body.items) seen.add(e.id);
      cursor = page.body.nextCursor;
    }
    expect(seen.size).toBe(5);
    const changes = await api().get('/api/entities?type=change').set(auth).expect(200);
    expect(changes.body.items.map((e: { type: string }) => e.type)).toEqual(['change', 'change']);
    expect(changes.body.nextCursor).toBeUndefined();
  });

  it('answers each kind of bad input with a stable code', async () => {
    const cases: Array<[string, string, unknown, number, string]> = [
      ['post', '/api/entities', { type: 'ticket', fields: { summary: 'x' } }, 422, 'validation_failed'],
      [
        'post',
        '/api/entities',
        { type: 'incident', fields: { summary: 'x', priority: 'high' } },
        422,
        'validation_failed',
      ],
      ['post', '/api/entities', { type: 'incident' }, 422, 'validation_failed'],
      [
        'post',
        '/api/entities',
        { type: 'incident', fields: { summary: 'x', 'no spaces': 1 } },
        422,
        'validation_failed',
      ],
      ['post', '/api/entities', '{"type": "incident", ', 400, 'invalid_json'],
      ['patch', '/api/entities/missing', { fields: { summary: 'x' } }, 404, 'not_found'],
      ['post', '/api/entities/missing/comments', { body: 'x' }, 404, 'not_found'],
      ['post', '/api/entities/missing/comments', { body: '' }, 422, 'validation_failed'],
      ['get', '/api/entities?limit=0', undefined, 422, 'validation_failed'],
      ['get', '/api/entities?type=nope', undefined, 422, 'validation_failed'],
      ['get', '/api/entities?cursor=!!!', undefined, 400, 'invalid_cursor'],
      ['get', '/api/nothing-here', undefined, 404, 'not_found'],
    ];
    for (const [method, path, body, status, code] of cases) {
      let req = api()[method as 'get'](path).set(auth);
      if (typeof body === 'string') req = req.set('content-type', 'application/json').send(body);
      else if (body !== undefined) req = req.send(body as object);
      const res = await req;
      expect({ path, status: res.status, code: res.body.code }).toEqual({ path, status, code });
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const invalid = await api()
      .post('/api/entities')
      .set(auth)
      .send({ type: 'incident', fields: { summary: '', priority: 0 } });
    expect(invalid.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'fields.priority',
      'fields.summary',
    ]);
  });

  it('refuses bodies over the size limit with 413', async () => {
    const res = await api()
      .post('/api/entities')
      .set(auth)
      .send({ type: 'incident', fields: { summary: 'big', description: 'x'.repeat(1_100_000) } })
      .expect(413);
    expect(res.body.code).toBe('payload_too_large');
  });
});
