// The rules routes added for the editor: test-running unsaved rules, versions and roll back, known fields, a
// connection's linked entities, and the entity routes for pick-lists and trigger previews.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveTwin } from '../core/sync/twins.ts';
import { type InProcessHost, inProcessHost, insertConnection } from './support/in-process.ts';

let host: InProcessHost;
let auth: { authorization: string };
let entityId: string;
const api = () => request(host.server);

beforeAll(async () => {
  host = await inProcessHost();
  auth = { authorization: `Bearer ${host.token}` };
  await insertConnection(host.services.db, 's1', 'script');
  await insertConnection(host.services.db, 'b1', 'basic');
  const made = await api()
    .post('/api/entities')
    .set(auth)
    .send({ type: 'incident', fields: { summary: 'Disk full', status: 'new', priority: 2, team: 'ops' } })
    .expect(201);
  entityId = made.body.id;
  await api()
    .post('/api/entities')
    .set(auth)
    .send({ type: 'incident', fields: { summary: 'Mail down', status: 'in progress', priority: 4 } })
    .expect(201);
});
afterAll(async () => {
  await host.close();
});

describe('test run of the rules in the editor', () => {
  it('runs the rule set of the request, unsaved, and says so', async () => {
    const ruleSet = { outgoing: 'replica.summary = "[ed] " + entity.summary;', incoming: '' };
    const res = await api()
      .post('/api/connections/s1/rules/test')
      .set(auth)
      .send({ entityId, ruleSet })
      .expect(200);
    expect(res.body).toMatchObject({ ok: true, source: 'editor', replica: { summary: '[ed] Disk full' } });
    const rules = await api().get('/api/connections/s1/rules').set(auth).expect(200);
    expect(rules.body.draft).toBeUndefined();
    expect(rules.body.version).toBe(1);

    const published = await api()
      .post('/api/connections/s1/rules/test')
      .set(auth)
      .send({ entityId, rules: 'published' })
      .expect(200);
    expect(published.body).toMatchObject({ source: 'published', rules: 'published' });
    expect(published.body.replica.summary).toBe('Disk full');
  });

  it('refuses an editor rule set that does not compile with its line', async () => {
    const res = await api()
      .post('/api/connections/s1/rules/test')
      .set(auth)
      .send({ entityId, ruleSet: { outgoing: 'replica.a = (;', incoming: '' } })
      .expect(422);
    expect(res.body).toMatchObject({
      code: 'script_compile_error',
      errors: [{ script: 'outgoing', line: 1 }],
    });
  });
});

describe('rule versions', () => {
  it('lists published versions newest first, pages, and rolls back by publishing an old one anew', async () => {
    for (const n of [2, 3]) {
      await api()
        .put('/api/connections/s1/rules')
        .set(auth)
        .send({ outgoing: `replica.v = ${n};`, incoming: '', publish: true })
        .expect(200);
    }
    const all = await api().get('/api/connections/s1/rules/versions').set(auth).expect(200);
    expect(all.body.items.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);
    expect(all.body.items[0]).toMatchObject({ origin: 'local', rules: { outgoing: 'replica.v = 3;' } });
    const first = await api().get('/api/connections/s1/rules/versions?limit=2').set(auth).expect(200);
    expect(first.body.items).toHaveLength(2);
    const rest = await api()
      .get(`/api/connections/s1/rules/versions?limit=2&cursor=${first.body.nextCursor}`)
      .set(auth)
      .expect(200);
    expect(rest.body).toEqual({ items: [expect.objectContaining({ version: 1, origin: 'default' })] });

    const back = await api().post('/api/connections/s1/rules/versions/2/rollback').set(auth).expect(200);
    expect(back.body).toMatchObject({ version: 4, published: { outgoing: 'replica.v = 2;' } });
    await api().post('/api/connections/s1/rules/versions/99/rollback').set(auth).expect(404);
    await api().post('/api/connections/s1/rules/versions/x/rollback').set(auth).expect(404);
    await api().post('/api/connections/b1/rules/versions/1/rollback').set(auth).expect(409);
    await api().get('/api/connections/nope/rules/versions').set(auth).expect(404);
  });
});

describe('known fields and linked entities', () => {
  it("lists the standard fields and custom ones seen, with the tracker's values then those seen", async () => {
    const res = await api().get('/api/connections/s1/rules/fields?type=incident').set(auth).expect(200);
    const byName = new Map(res.body.items.map((f: { name: string }) => [f.name, f]));
    expect(byName.get('summary')).toMatchObject({ standard: true, type: 'string' });
    expect(byName.get('team')).toMatchObject({ standard: false, values: ['ops'] });
    // The built-in store's incident statuses first, then one only seen on an entity.
    expect(byName.get('status')).toMatchObject({
      values: ['new', 'in_progress', 'on_hold', 'resolved', 'closed', 'canceled', 'in progress'],
      choicesOnly: false,
    });
    expect(byName.get('priority')).toMatchObject({ values: [1, 2, 3, 4, 5] });
    const own = await api().get(`/api/entities/${entityId}/fields`).set(auth).expect(200);
    expect(own.body.items.map((f: { name: string }) => f.name)).toContain('team');
    await api().get('/api/entities/missing/fields').set(auth).expect(404);
    // A new entity's form has no entity yet: the same lists, by type.
    const byType = await api().get('/api/entities/fields?type=incident').set(auth).expect(200);
    expect(byType.body.items).toEqual(own.body.items);
    const wrong = await api().get('/api/entities/fields?type=ticket').set(auth).expect(422);
    expect(wrong.body.code).toBe('validation_failed');
  });

  it("lists a connection's twins page by page", async () => {
    await saveTwin(host.services.db, 's1', entityId, {
      remote_id: 'r1',
      remote_key: 'GLX-1',
      status: 'synced',
    });
    await saveTwin(host.services.db, 's1', 'zz-other', { remote_id: 'r2', status: 'pending' });
    const res = await api().get('/api/connections/s1/twins?limit=1').set(auth).expect(200);
    expect(res.body.items).toEqual([
      expect.objectContaining({ entityId, remoteKey: 'GLX-1', status: 'synced' }),
    ]);
    const next = await api()
      .get(`/api/connections/s1/twins?limit=1&cursor=${res.body.nextCursor}`)
      .set(auth)
      .expect(200);
    expect(next.body).toEqual({
      items: [expect.objectContaining({ entityId: 'zz-other', remoteKey: null })],
    });
    await api().get('/api/connections/nope/twins').set(auth).expect(404);
  });
});

describe('trigger preview', () => {
  it('counts the entities a query matches now', async () => {
    const res = await api()
      .post('/api/entities/match')
      .set(auth)
      .send({ type: 'incident', query: 'priority <= 2' })
      .expect(200);
    expect(res.body).toMatchObject({
      count: 1,
      scanned: 2,
      complete: true,
      sample: [{ summary: 'Disk full' }],
    });
    const bad = await api()
      .post('/api/entities/match')
      .set(auth)
      .send({ type: 'incident', query: 'priority <=' })
      .expect(422);
    expect(bad.body.code).toBe('invalid_query');
  });
});
