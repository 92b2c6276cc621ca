// The rules routes through the real app on a real SQLite file, with the real sandbox.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuleService } from '../core/rules/rule-service.ts';
import { type InProcessHost, inProcessHost, insertConnection } from './support/in-process.ts';

let host: InProcessHost;
let rules: RuleService;
let auth: { authorization: string };
const api = () => request(host.server);

beforeAll(async () => {
  host = await inProcessHost();
  rules = host.services.rules;
  auth = { authorization: `Bearer ${host.token}` };
  await insertConnection(host.services.db, 's1', 'script');
  await insertConnection(host.services.db, 'b1', 'basic');
  await insertConnection(host.services.db, 'v1', 'visual');
});
afterAll(async () => {
  await host.close();
});

describe('script rules', () => {
  it('start with the working defaults as published version 1', async () => {
    const res = await api().get('/api/connections/s1/rules').set(auth).expect(200);
    expect(res.body).toMatchObject({ mode: 'script', editable: true, version: 1, origin: 'default' });
    expect(res.body.published.outgoing).toContain(
      'helpers.comments.merge(replica.comments, entity.comments)',
    );
    expect(res.body.draft).toBeUndefined();
    expect((await rules.program('s1')).version).toBe('v1');
  });

  it('refuse a script that does not compile with 422, script, line and column', async () => {
    const res = await api()
      .put('/api/connections/s1/rules')
      .set(auth)
      .send({ outgoing: 'replica.a = 1;', incoming: 'entity.a = 1;\nentity.b = (;' })
      .expect(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({
      code: 'script_compile_error',
      errors: [{ script: 'incoming', line: 2, column: 13 }],
    });
    expect(res.body.detail).toMatch(/incoming script at line 2, column 13/);
    await api().put('/api/connections/s1/rules').set(auth).send({ outgoing: 1 }).expect(422);
    await api()
      .put('/api/connections/s1/rules')
      .set(auth)
      .send('{oops')
      .set('content-type', 'application/json')
      .expect(400);
  });

  it('keep a draft apart from the published version until it is published', async () => {
    const draft = {
      outgoing: 'replica.summary = entity.summary.toUpperCase();',
      incoming: 'entity.summary = replica.summary;',
    };
    const saved = await api().put('/api/connections/s1/rules').set(auth).send(draft).expect(200);
    expect(saved.body).toMatchObject({ version: 1, draft });
    expect((await rules.program('s1')).outgoing).not.toBe(draft.outgoing);

    const published = await api()
      .put('/api/connections/s1/rules')
      .set(auth)
      .send({ ...draft, publish: true })
      .expect(200);
    expect(published.body).toMatchObject({ version: 2, published: draft, origin: 'local' });
    expect(published.body.draft).toBeUndefined();
    expect(await rules.program('s1')).toEqual({ version: 'v2', ...draft });
  });

  it('test-run the draft against a real entity and write nothing', async () => {
    const created = await api()
      .post('/api/entities')
      .set(auth)
      .send({ type: 'incident', fields: { summary: 'Disk full', status: 'new', priority: 2 } })
      .expect(201);
    const id = created.body.id as string;
    await api()
      .post(`/api/entities/${id}/comments`)
      .set(auth)
      .send({ body: 'internal', internal: true })
      .expect(201);
    const draft = {
      outgoing:
        'replica.summary = "[" + entity.summary + "]";\nreplica.comments = helpers.comments.merge(null, entity.comments);',
      incoming:
        'entity.summary = replica.summary;\nentity.comments = helpers.comments.merge(entity.comments, replica.comments);',
    };
    await api().put('/api/connections/s1/rules').set(auth).send(draft).expect(200);
    const before = (await api().get(`/api/entities/${id}`).set(auth).expect(200)).body;

    const out = await api()
      .post('/api/connections/s1/rules/test')
      .set(auth)
      .send({ entityId: id })
      .expect(200);
    expect(out.body).toMatchObject({
      direction: 'outgoing',
      rules: 'draft',
      ok: true,
      replica: { summary: '[Disk full]', comments: [] },
      change: { firstSend: true, fields: { summary: '[Disk full]', comments: [] } },
    });

    const inc = await api()
      .post('/api/connections/s1/rules/test')
      .set(auth)
      .send({
        entityId: id,
        direction: 'incoming',
        replica: {
          type: 'incident',
          summary: 'Renamed',
          comments: [{ id: 'r9', author: 'zed', body: 'hello', internal: false }],
        },
      })
      .expect(200);
    expect(inc.body).toMatchObject({
      direction: 'incoming',
      ok: true,
      replicaSource: 'request',
      change: { fields: { summary: 'Renamed' }, comments: [{ id: 'r9', body: 'hello' }], unlink: false },
    });

    const published = await api()
      .post('/api/connections/s1/rules/test')
      .set(auth)
      .send({ entityId: id, rules: 'published' })
      .expect(200);
    expect(published.body).toMatchObject({
      rules: 'published',
      version: 2,
      replica: { summary: 'DISK FULL' },
    });

    const after = (await api().get(`/api/entities/${id}`).set(auth).expect(200)).body;
    expect(after).toEqual(before);

    await api()
      .put('/api/connections/s1/rules')
      .set(auth)
      .send({ outgoing: 'replica.a = 1;\nthrow new Error("nope");', incoming: '' })
      .expect(200);
    const failed = await api()
      .post('/api/connections/s1/rules/test')
      .set(auth)
      .send({ entityId: id })
      .expect(200);
    expect(failed.body).toMatchObject({
      ok: false,
      error: { script: 'outgoing', kind: 'throw', line: 2, message: 'Error: nope' },
    });

    await api().post('/api/connections/s1/rules/test').set(auth).send({}).expect(422);
    await api().post('/api/connections/s1/rules/test').set(auth).send({ entityId: 'nope' }).expect(404);
  });
});

describe('basic and visual rules', () => {
  it('basic rules are fixed: readable, never editable', async () => {
    const res = await api().get('/api/connections/b1/rules').set(auth).expect(200);
    expect(res.body).toMatchObject({ mode: 'basic', editable: false, version: 1 });
    expect(res.body.published.fields).toEqual([
      'type',
      'summary',
      'description',
      'status',
      'priority',
      'comments',
    ]);
    const put = await api()
      .put('/api/connections/b1/rules')
      .set(auth)
      .send({ fields: ['summary'], publish: true })
      .expect(409);
    expect(put.body.code).toBe('mode_not_editable');
    expect((await rules.program('b1')).incoming).toContain(
      'helpers.comments.merge(entity.comments, replica.comments)',
    );
  });

  it('visual mappings are validated, conflicts refused, and published as a new version', async () => {
    const start = await api().get('/api/connections/v1/rules').set(auth).expect(200);
    expect(start.body.published.mappings).toHaveLength(6);
    const conflict = await api()
      .put('/api/connections/v1/rules')
      .set(auth)
      .send({
        mappings: [
          { local: 'status', remote: 'state', direction: 'in' },
          { local: 'status', remote: 'phase', direction: 'both' },
        ],
      })
      .expect(422);
    expect(conflict.body).toMatchObject({ code: 'mapping_conflict', errors: [{ path: 'mappings.1' }] });
    const bad = await api()
      .put('/api/connections/v1/rules')
      .set(auth)
      .send({ mappings: [{ local: 'status', remote: 'state', direction: 'up' }] })
      .expect(422);
    expect(bad.body.code).toBe('validation_failed');
    const ok = await api()
      .put('/api/connections/v1/rules')
      .set(auth)
      .send({
        mappings: [
          {
            local: 'priority',
            remote: 'urgency',
            direction: 'both',
            values: { 1: 'high', 2: 'low' },
            default: 2,
          },
        ],
        publish: true,
      })
      .expect(200);
    expect(ok.body).toMatchObject({
      version: 2,
      published: {
        mappings: [
          {
            values: [
              { local: 1, remote: 'high' },
              { local: 2, remote: 'low' },
            ],
            default: 2,
          },
        ],
      },
    });
    expect((await rules.program('v1')).version).toBe('v2');
  });

  it('unknown connections are 404', async () => {
    const res = await api().get('/api/connections/nope/rules').set(auth).expect(404);
    expect(res.body.code).toBe('not_found');
    await api().get('/api/connections/s1/rules').expect(401);
  });
});
