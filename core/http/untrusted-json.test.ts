// Bodies that are valid JSON but hostile in shape: deep nesting, keys that name Object.prototype's members.
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

function nestedText(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

describe('untrusted JSON bodies', () => {
  it('answers a custom field nested 6,000 deep with 422 naming the field, not 500', async () => {
    const body = `{"type":"incident","fields":{"summary":"deep","custom":${nestedText(6000)}}}`;
    const res = await api()
      .post('/api/entities')
      .set(auth)
      .set('content-type', 'application/json')
      .send(body);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors[0].path).toMatch(/^fields\.custom(\.a)+$/);
    expect(res.body.errors[0].message).toBe('is nested more than 64 levels deep');
    // The same bound on every JSON route.
    const node = await api()
      .patch('/api/node')
      .set(auth)
      .set('content-type', 'application/json')
      .send(`{"name":${nestedText(5000)}}`);
    expect([node.status, node.body.code]).toEqual([422, 'validation_failed']);
  });

  it('keeps a custom field nested within the bound', async () => {
    const res = await api()
      .post('/api/entities')
      .set(auth)
      .set('content-type', 'application/json')
      .send(`{"type":"incident","fields":{"summary":"ok","custom":${nestedText(60)}}}`);
    expect(res.status).toBe(201);
    expect(JSON.stringify(res.body.fields.custom)).toBe(nestedText(60));
  });

  it('keeps custom fields named like Object.prototype members, and refuses __proto__', async () => {
    const fields = { summary: 'names', constructor: 'c', toString: 't', hasOwnProperty: 2, valueOf: [1] };
    const res = await api().post('/api/entities').set(auth).send({ type: 'incident', fields });
    expect(res.status).toBe(201);
    expect(res.body.fields).toMatchObject(fields);
    const read = await api().get(`/api/entities/${res.body.id}`).set(auth);
    expect(read.body.fields).toMatchObject(fields);
    const patched = await api()
      .patch(`/api/entities/${res.body.id}`)
      .set(auth)
      .send({ fields: { constructor: 'c2' } });
    expect(patched.status).toBe(200);
    expect(patched.body.fields).toMatchObject({ ...fields, constructor: 'c2' });

    const proto = await api()
      .post('/api/entities')
      .set(auth)
      .set('content-type', 'application/json')
      .send('{"type":"incident","fields":{"summary":"p","__proto__":{"x":1}}}');
    expect([proto.status, proto.body.code, proto.body.errors[0].path]).toEqual([
      422,
      'validation_failed',
      'fields.__proto__',
    ]);
  });

  it('takes JSON bodies only when declared as JSON (a text/plain one is a cross-site simple request)', async () => {
    const body = JSON.stringify({ type: 'incident', fields: { summary: 'typed' } });
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const res = await api().post('/api/entities').set(auth).set('content-type', type).send(body);
      expect([type, res.status, res.body.code]).toEqual([type, 415, 'unsupported_media_type']);
    }
    for (const type of [
      'application/json',
      'application/json; charset=utf-8',
      'application/merge-patch+json',
    ]) {
      const res = await api().post('/api/entities').set(auth).set('content-type', type).send(body);
      expect([type, res.status]).toEqual([type, 201]);
    }
  });
});
