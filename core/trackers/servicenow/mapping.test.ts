// Entity mapping against the fake: reads with display values and few fields, writes by label and by user email/name.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeServiceNow } from '../../../tests/support/fake-servicenow.ts';
import { FAKE_T0, fakeInstanceWithClient } from '../../../tests/support/fake-servicenow-client.ts';
import type { ServiceNowClient } from './client.ts';
import { parseServiceNowConfig } from './config.ts';
import { ServiceNowError } from './errors.ts';
import { createEntityMapper } from './mapping.ts';

const _T0 = FAKE_T0;
let sn: FakeServiceNow;
let client: ServiceNowClient;

beforeEach(async () => {
  ({ sn, client } = await fakeInstanceWithClient());
});
afterEach(async () => sn.close());

function mapper(json: unknown = { customFields: ['u_team'] }) {
  const config = parseServiceNowConfig(json, {
    TANDEM_SERVICENOW_URL: sn.url,
    TANDEM_SERVICENOW_USER: 'tandem',
    TANDEM_SERVICENOW_PASSWORD: 'pw',
  });
  return createEntityMapper({ client, config, now: () => sn.now() });
}

async function rejection(p: Promise<unknown>): Promise<ServiceNowError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ServiceNowError);
  expect((err as ServiceNowError).code).toBe('SERVICENOW_REJECTED');
  return err as ServiceNowError;
}

describe('ServiceNow entity mapping', () => {
  it('reads a record as the shared entity: label status, 1-5 priority, assignee email, ISO times, u_* fields', async () => {
    const ann = sn.addUser({ userName: 'ann', password: 'x', email: 'ann@example.com' });
    const bob = sn.addUser({ userName: 'bob', password: 'x' });
    const inc = sn.seed('incident', {
      short_description: 'Disk full',
      description: 'on db-1',
      state: '2',
      priority: '2',
      assigned_to: ann.sys_id,
      u_team: 'ops',
      u_other: 'not asked',
    });
    sn.advance(3000);
    sn.update('incident', inc.sys_id!, { impact: '1' });
    const m = mapper();
    const rec = await client.get('incident', inc.sys_id!, m.readOptions('incident'));
    expect(Object.keys(rec!).sort()).toEqual([...m.readFields('incident')].sort());
    expect(rec!.u_other).toBeUndefined();
    expect(rec!.state).toEqual({ display_value: 'In Progress', value: '2' });
    expect(m.toEntity('incident', rec!)).toEqual({
      id: inc.sys_id,
      key: 'INC0010001',
      type: 'incident',
      fields: {
        summary: 'Disk full',
        description: 'on db-1',
        status: 'In Progress',
        priority: 2,
        assignee: 'ann@example.com',
        u_team: 'ops',
      },
      comments: [],
      version: 1,
      createdAt: '2026-03-01T12:00:00.000Z',
      updatedAt: '2026-03-01T12:00:03.000Z',
    });
    // A user without an email is named by user name; nobody assigned is null.
    sn.update('incident', inc.sys_id!, { assigned_to: bob.sys_id });
    const again = await client.get('incident', inc.sys_id!, m.readOptions('incident'));
    expect(m.toEntity('incident', again!).fields.assignee).toBe('bob');
    const none = sn.seed('incident', {});
    const blank = await client.get('incident', none.sys_id!, m.readOptions('incident'));
    expect(m.toEntity('incident', blank!).fields).toMatchObject({
      assignee: null,
      status: 'New',
      priority: 4,
    });
    expect(() => m.toEntity('incident', { sys_id: 'nope' })).toThrow(/without sys_id/);
  });

  it('writes a status by label (any case) or stored value, refusing one the table lacks with its labels', async () => {
    const m = mapper();
    expect(await m.toRecord('incident', { status: 'In Progress', priority: 1, summary: 's' })).toEqual({
      state: '2',
      priority: '1',
      short_description: 's',
    });
    expect(await m.toRecord('incident', { status: 'on hold' })).toEqual({ state: '3' });
    expect(await m.toRecord('incident', { status: '6' })).toEqual({ state: '6' });
    expect(await m.toRecord('change', { status: 'Implement' })).toEqual({ state: '-1' });
    const err = await rejection(m.toRecord('incident', { status: 'Parked' }));
    expect(err.message).toMatch(/incident has no state "Parked" \(it has New, In Progress, On Hold/);
    expect(sn.calls('GET /api/now/table/sys_choice')).toBe(2);
    await rejection(m.toRecord('incident', { priority: 7 }));
    await rejection(m.toRecord('incident', { colour: 'red' }));
    expect(await m.toRecord('incident', { u_team: 'ops', u_count: 3 })).toEqual({
      u_team: 'ops',
      u_count: '3',
    });
  });

  it('reads choice lists from sys_choice (a custom state works), or the built-in list without access', async () => {
    sn.seed('sys_choice', {
      name: 'incident',
      element: 'state',
      value: '9',
      label: 'Awaiting Vendor',
      inactive: 'false',
    });
    sn.seed('sys_choice', {
      name: 'incident',
      element: 'state',
      value: '10',
      label: 'Retired',
      inactive: 'true',
    });
    const m = mapper();
    expect(await m.toRecord('incident', { status: 'Awaiting Vendor' })).toEqual({ state: '9' });
    await rejection(m.toRecord('incident', { status: 'Retired' }));
    sn.setAcl('sys_choice', 'read', ['admin']);
    const fallback = mapper();
    expect(await fallback.toRecord('problem', { status: 'Fix in Progress' })).toEqual({ state: '104' });
    await rejection(fallback.toRecord('incident', { status: 'Awaiting Vendor' }));
  });

  it('resolves assignees by email or user name, one sys_user query per batch, cached briefly', async () => {
    const ann = sn.addUser({ userName: 'ann', password: 'x', email: 'ann@example.com' });
    const bob = sn.addUser({ userName: 'bob', password: 'x', email: 'bob@example.com' });
    const m = mapper();
    sn.clearRequests();
    const out = await m.toRecords('incident', [
      { assignee: 'ann@example.com' },
      { assignee: 'bob' },
      { assignee: null },
    ]);
    expect(out).toEqual([{ assigned_to: ann.sys_id }, { assigned_to: bob.sys_id }, { assigned_to: '' }]);
    expect(sn.calls('GET /api/now/table/sys_user')).toBe(1);
    expect(await m.toRecord('incident', { assignee: 'bob' })).toEqual({ assigned_to: bob.sys_id });
    expect(sn.calls('GET /api/now/table/sys_user')).toBe(1);
    const err = await rejection(m.toRecord('incident', { assignee: 'carol@example.com' }));
    expect(err.message).toMatch(/carol@example.com/);
    sn.advance(301_000);
    await m.toRecord('incident', { assignee: 'bob' });
    expect(sn.calls('GET /api/now/table/sys_user')).toBe(3);
  });

  it('round-trips through the instance: what toRecord writes reads back as the same entity fields', async () => {
    sn.addUser({ userName: 'ann', password: 'x', email: 'ann@example.com' });
    const m = mapper();
    const created = await client.create(
      'incident',
      await m.toRecord('incident', { summary: 'Printer', status: 'On Hold', priority: 5, assignee: 'ann' }),
      m.readOptions('incident'),
    );
    expect(m.toEntity('incident', created).fields).toEqual({
      summary: 'Printer',
      description: '',
      status: 'On Hold',
      priority: 5,
      assignee: 'ann@example.com',
      u_team: '',
    });
  });
});
