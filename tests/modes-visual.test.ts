// Visual mode end to end between two real hosts: one mapping published from either side, run by both at the same version.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, stopAllHosts } from './support/host-process.ts';
import {
  addComment,
  addTrigger,
  createEntity,
  type Entity,
  getEntity,
  getRules,
  openErrors,
  pairInMode,
  patchEntity,
  twinOf,
  until,
  waitEntity,
} from './support/modes-support.ts';
import { type Conn, type Problem, publicHost } from './support/pairing-support.ts';

let a: HostProcess;
let b: HostProcess;
let connA: Conn;
let connB: Conn;

beforeAll(async () => {
  [a, b] = await Promise.all([publicHost('Acme Corp'), publicHost('Globex Services')]);
  ({ a: connA, b: connB } = await pairInMode(a, b, 'visual'));
  await addTrigger(a, connA.id, 'priority >= 1');
  await addTrigger(a, connA.id, 'priority >= 1', 'case');
});
afterAll(stopAllHosts);

/** Acme's mapping, as published on Acme. */
const ACME = {
  mappings: [
    { local: 'type', remote: 'type', direction: 'both' },
    { local: 'summary', remote: 'summary', direction: 'both' },
    {
      local: 'priority',
      remote: 'severity',
      direction: 'both',
      values: { 1: 'critical', 2: 'high', 3: 'moderate' },
      default: 3,
      remoteDefault: 'low',
    },
    {
      local: 'status',
      remote: 'state',
      direction: 'out',
      values: { new: 'open', in_progress: 'working' },
      remoteDefault: 'open',
    },
    { local: 'description', remote: 'details', direction: 'in' },
    { local: 'comments', remote: 'comments', direction: 'both' },
  ],
  scope: { local: { types: ['incident'] }, remote: { types: ['incident'] } },
};

/** The same mapping as Globex sees it: sides, directions, value pairs and defaults swapped. */
const GLOBEX = {
  mappings: [
    { local: 'type', remote: 'type', direction: 'both' },
    { local: 'summary', remote: 'summary', direction: 'both' },
    {
      local: 'severity',
      remote: 'priority',
      direction: 'both',
      values: [
        { local: 'critical', remote: 1 },
        { local: 'high', remote: 2 },
        { local: 'moderate', remote: 3 },
      ],
      default: 'low',
      remoteDefault: 3,
    },
    {
      local: 'state',
      remote: 'status',
      direction: 'in',
      values: [
        { local: 'open', remote: 'new' },
        { local: 'working', remote: 'in_progress' },
      ],
      default: 'open',
    },
    { local: 'details', remote: 'description', direction: 'out' },
    { local: 'comments', remote: 'comments', direction: 'both' },
  ],
  scope: { local: { types: ['incident'] }, remote: { types: ['incident'] } },
};

describe('visual mode between two real hosts', () => {
  let first: { a: string; b: string };
  let second: { a: string; b: string };

  it('a mapping published on A is adopted on B at the same version, mirrored', async () => {
    expect((await getRules(b, connB.id)).version).toBe(1);
    const put = await a.api<{ version: number; origin: string }>(
      'PUT',
      `/api/connections/${connA.id}/rules`,
      {
        ...ACME,
        publish: true,
      },
    );
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ version: 2, origin: 'local' });
    const atB = await until(async () => {
      const r = await getRules(b, connB.id);
      return r.version === 2 ? r : undefined;
    });
    expect(atB).toMatchObject({ mode: 'visual', editable: true, origin: 'peer' });
    expect(atB.published).toEqual(GLOBEX);
  });

  it('an incident from A lands on B with the value maps and the default applied', async () => {
    // A case is outside the scope: it must not become an entity on B (it goes first, so it is settled
    // on B before the incidents that follow it on the same connection).
    await createEntity(a, { summary: 'Out of scope', priority: 2 }, 'case');
    const one = await createEntity(a, {
      summary: 'Payroll export fails',
      description: 'Acme-internal analysis',
      status: 'in_progress',
      priority: 1,
    });
    await addComment(a, one.id, 'Export log attached', false);
    const two = await createEntity(a, { summary: 'Printer jam', status: 'new', priority: 5 });
    first = { a: one.id, b: await twinOf(a, one.id, connA.id) };
    second = { a: two.id, b: await twinOf(a, two.id, connA.id) };

    const oneAtB = await waitEntity(b, first.b, (e) => e.comments.length === 1);
    expect(oneAtB.type).toBe('incident');
    expect(oneAtB.fields).toMatchObject({
      summary: 'Payroll export fails',
      severity: 'critical', // 1 -> critical
      state: 'working', // in_progress -> working
    });
    expect(oneAtB.fields.details).toBeUndefined(); // description goes B -> A only
    expect(oneAtB.fields.description).not.toBe('Acme-internal analysis');
    expect(oneAtB.comments.map((c) => c.body)).toEqual(['Export log attached']);

    const twoAtB = await getEntity(b, second.b);
    expect(twoAtB.fields).toMatchObject({ summary: 'Printer jam', severity: 'low', state: 'open' }); // 5: no pair
    const cases = await b.api<{ items: Entity[] }>('GET', '/api/entities?type=case');
    expect(cases.body.items).toEqual([]);
    expect(await openErrors(a, connA.id)).toEqual([]);
    expect(await openErrors(b, connB.id)).toEqual([]);
  });

  it('an edit of the mapping made on B is run by A at the same version', async () => {
    const severity = GLOBEX.mappings[2]!;
    const edited = {
      ...GLOBEX,
      mappings: GLOBEX.mappings.map((m) =>
        m === severity ? { ...severity, values: [...severity.values!, { local: 'urgent', remote: 4 }] } : m,
      ),
    };
    const put = await b.api<{ version: number }>('PUT', `/api/connections/${connB.id}/rules`, {
      ...edited,
      publish: true,
    });
    expect(put.status).toBe(200);
    expect(put.body.version).toBe(3);
    const atA = await until(async () => {
      const r = await getRules(a, connA.id);
      return r.version === 3 ? r : undefined;
    });
    expect(atA.origin).toBe('peer');
    const priority = (atA.published.mappings as { local: string; values?: unknown[] }[]).find(
      (m) => m.local === 'priority',
    );
    expect(priority?.values).toContainEqual({ local: 4, remote: 'urgent' });
    expect((await getRules(b, connB.id)).version).toBe(3);

    // Under version 2 "urgent" had no pair on A (its default 3 would apply); version 3 maps it to 4.
    await patchEntity(b, first.b, { severity: 'urgent', details: 'Globex sees it too' });
    const oneAtA = await waitEntity(a, first.a, (e) => e.fields.description === 'Globex sees it too');
    expect(oneAtA.fields.priority).toBe(4);
    // And B's incoming runs version 3 too: A's 4 arrives as "urgent".
    await patchEntity(a, second.a, { priority: 4 });
    await waitEntity(b, second.b, (e) => e.fields.severity === 'urgent');
    // A value B has no pair for takes A's default.
    await patchEntity(b, first.b, { severity: 'whenever' });
    await waitEntity(a, first.a, (e) => e.fields.priority === 3);
    expect(await openErrors(a, connA.id)).toEqual([]);
  });

  it('refuses a conflicting mapping with 422 and a clear error, on either side, and keeps the version', async () => {
    const twoWriters = await a.api<Problem & { errors: { path: string; message: string }[] }>(
      'PUT',
      `/api/connections/${connA.id}/rules`,
      {
        mappings: [
          { local: 'status', remote: 'state', direction: 'in' },
          { local: 'status', remote: 'phase', direction: 'both' },
        ],
        publish: true,
      },
    );
    expect(twoWriters.status).toBe(422);
    expect(twoWriters.body.code).toBe('mapping_conflict');
    expect(twoWriters.body.detail).toMatch(/both write the local field "status"/);
    expect(twoWriters.body.errors).toEqual([{ path: 'mappings.1', message: expect.any(String) }]);

    // Two Globex values for one Acme value: fine for Globex to send, but Acme could not translate
    // its 1 back unambiguously, so Globex must refuse it rather than publish what Acme cannot run.
    const ambiguous = await b.api<Problem>('PUT', `/api/connections/${connB.id}/rules`, {
      mappings: [
        {
          local: 'severity',
          remote: 'priority',
          direction: 'both',
          values: [
            { local: 'critical', remote: 1 },
            { local: 'blocker', remote: 1 },
          ],
        },
      ],
      publish: true,
    });
    expect(ambiguous.status).toBe(422);
    expect(ambiguous.body.code).toBe('mapping_conflict');
    expect(ambiguous.body.detail).toMatch(/priority|1/);

    expect((await getRules(a, connA.id)).version).toBe(3);
    expect((await getRules(b, connB.id)).version).toBe(3);
  });
});
