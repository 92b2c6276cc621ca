// Basic mode end to end between two real hosts: the fixed fields and public comments both ways, rules not editable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, stopAllHosts } from './support/host-process.ts';
import {
  addComment,
  addTrigger,
  createEntity,
  getEntity,
  getRules,
  openErrors,
  pairInMode,
  patchEntity,
  twinOf,
  waitEntity,
} from './support/modes-support.ts';
import { type Conn, publicHost } from './support/pairing-support.ts';

let a: HostProcess;
let b: HostProcess;
let connA: Conn;
let connB: Conn;

beforeAll(async () => {
  [a, b] = await Promise.all([publicHost('Acme Corp'), publicHost('Globex Services')]);
  ({ a: connA, b: connB } = await pairInMode(a, b, 'basic'));
});
afterAll(stopAllHosts);

describe('basic mode between two real hosts', () => {
  let incidentA: string;
  let incidentB: string;

  it('sends the fixed fields and only the public comment', async () => {
    expect(connA.mode).toBe('basic');
    expect(connB.mode).toBe('basic');
    await addTrigger(a, connA.id, 'status != "closed"');
    const created = await createEntity(a, {
      summary: 'Mail server down',
      description: 'No mail since 9:00',
      status: 'new',
      priority: 2,
      customerRef: 'ACME-77', // not one of Basic's fields: stays at Acme
    });
    incidentA = created.id;
    // The internal note goes first: when the public comment has arrived, the note had its turn.
    await addComment(a, incidentA, 'Work note: restart the MTA', true);
    await addComment(a, incidentA, 'We are on it', false);

    incidentB = await twinOf(a, incidentA, connA.id);
    const atB = await waitEntity(b, incidentB, (e) => e.comments.length > 0);
    expect(atB.type).toBe('incident');
    expect(atB.fields).toMatchObject({
      summary: 'Mail server down',
      description: 'No mail since 9:00',
      status: 'new',
      priority: 2,
    });
    expect(atB.fields.customerRef).toBeUndefined();
    expect(atB.comments.map((c) => [c.body, c.internal])).toEqual([['We are on it', false]]);
    expect(await openErrors(a, connA.id)).toEqual([]);
    expect(await openErrors(b, connB.id)).toEqual([]);
  });

  it('brings an edit and a comment made on B back to A, without echo', async () => {
    await patchEntity(b, incidentB, { status: 'in_progress', priority: 1 });
    await addComment(b, incidentB, 'Customer confirms the outage', false);
    const atA = await waitEntity(
      a,
      incidentA,
      (e) => e.fields.status === 'in_progress' && e.comments.some((c) => c.body.startsWith('Customer')),
    );
    expect(atA.fields).toMatchObject({ summary: 'Mail server down', priority: 1, customerRef: 'ACME-77' });
    // A's own comments are not sent back as new ones, B's arrives once.
    expect(atA.comments.map((c) => c.body)).toEqual([
      'Work note: restart the MTA',
      'We are on it',
      'Customer confirms the outage',
    ]);
    // One more change from A, so an echo of B's comment would have had time to come back.
    await patchEntity(a, incidentA, { summary: 'Mail server down (EU)' });
    const again = await waitEntity(b, incidentB, (e) => e.fields.summary === 'Mail server down (EU)');
    expect(again.comments.map((c) => c.body)).toEqual(['We are on it', 'Customer confirms the outage']);
    expect(again.fields).toMatchObject({ status: 'in_progress', priority: 1 });
    expect((await getEntity(a, incidentA)).comments).toHaveLength(3);
  });

  it('refuses any rule edit on either side with 409 mode_not_editable', async () => {
    for (const [h, conn] of [
      [a, connA],
      [b, connB],
    ] as const) {
      const rules = await getRules(h, conn.id);
      expect(rules).toMatchObject({ mode: 'basic', editable: false, version: 1 });
      const put = await h.api<{ code: string; status: number }>('PUT', `/api/connections/${conn.id}/rules`, {
        fields: ['summary'],
        publish: true,
      });
      expect(put.status).toBe(409);
      expect(put.body.code).toBe('mode_not_editable');
      expect((await getRules(h, conn.id)).version).toBe(1);
    }
  });
});
