import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type ManagedSandbox } from '../../core/sandbox/create-sandbox.ts';
import type { FlatEntity, RuleResult } from '../../core/sandbox/sandbox.ts';
import { mirrorVisualRules } from './mapping.ts';
import { visualMode } from './visual-mode.ts';

const ctx = { localName: 'Acme', remoteName: 'Globex' };
const connection = { id: 'v1', name: 'Visual', ...ctx };
let sandbox: ManagedSandbox;
beforeAll(async () => {
  sandbox = createSandbox();
  await sandbox.start();
});
afterAll(async () => sandbox.close());

const priorityMapping = {
  local: 'priority',
  remote: 'urgency',
  direction: 'both',
  values: { 1: 'critical', 2: 'high', 3: 'moderate', 4: 'low' },
  default: 3,
  remoteDefault: 'moderate',
};
const acme = visualMode.parse({
  mappings: [
    { local: 'type', remote: 'type', direction: 'both', values: [{ local: 'incident', remote: 'case' }] },
    { local: 'summary', remote: 'title', direction: 'both' },
    { local: 'status', remote: 'state', direction: 'in', default: 'new' },
    { local: 'description', remote: 'details', direction: 'out' },
    priorityMapping,
    { local: 'comments', remote: 'comments', direction: 'both' },
  ],
  scope: { local: { types: ['incident'] }, remote: { types: ['case'] } },
});
const globex = mirrorVisualRules(acme);

function entityOf(r: RuleResult | undefined): FlatEntity {
  if (!r?.ok || r.script !== 'incoming') throw new Error(JSON.stringify(r));
  return r.entity;
}

describe('visual mode', () => {
  it('normalises value tables and mirrors losslessly for the other side', () => {
    expect(acme.mappings[4]!.values).toEqual([
      { local: 1, remote: 'critical' },
      { local: 2, remote: 'high' },
      { local: 3, remote: 'moderate' },
      { local: 4, remote: 'low' },
    ]);
    expect(globex.mappings[4]).toEqual({
      local: 'urgency',
      remote: 'priority',
      direction: 'both',
      values: acme.mappings[4]!.values!.map((v) => ({ local: v.remote, remote: v.local })),
      default: 'moderate',
      remoteDefault: 3,
    });
    expect(globex.mappings[2]!.direction).toBe('out');
    expect(mirrorVisualRules(globex)).toEqual(acme);
  });

  it('runs the compiled mapping on both sides with value maps and defaults', async () => {
    const acmeProgram = { version: 'acme-1', ...visualMode.compile(acme, ctx) };
    const globexProgram = { version: 'globex-1', ...visualMode.compile(globex, ctx) };
    expect(await sandbox.check(acmeProgram)).toEqual([]);
    const incident: FlatEntity = {
      id: 'a1',
      key: 'INC-1',
      type: 'incident',
      summary: 'Down',
      description: 'd',
      status: 'open',
      priority: 2,
      comments: [
        { id: 'k1', author: 'ann', body: 'x', internal: false, createdAt: 't' },
        { id: 'k2', author: 'ann', body: 'y', internal: true, createdAt: 't' },
      ],
    };
    const [sent] = await sandbox.run('acme', acmeProgram, [
      { script: 'outgoing', entity: incident, connection },
    ]);
    // Acme sends its own field names and values: status is "in" only, so it stays home.
    expect(sent).toMatchObject({
      ok: true,
      replica: { type: 'incident', key: 'INC-1', summary: 'Down', description: 'd', priority: 2 },
    });
    if (!sent?.ok || sent.script !== 'outgoing') throw new Error('no replica');
    expect(sent.replica.status).toBeUndefined();
    expect(sent.replica.comments).toEqual([
      { id: 'k1', author: 'ann', body: 'x', internal: false, createdAt: 't' },
    ]);

    const [created, unmapped] = await sandbox.run('globex', globexProgram, [
      {
        script: 'incoming',
        replica: sent.replica,
        previous: null,
        firstSync: true,
        entity: null,
        connection,
      },
      {
        script: 'incoming',
        replica: { ...sent.replica, priority: 9 },
        previous: null,
        firstSync: false,
        entity: { id: 'g1', type: 'case', urgency: 'low' },
        connection,
      },
    ]);
    expect(entityOf(created)).toEqual({
      type: 'case',
      title: 'Down',
      details: 'd',
      urgency: 'high',
      comments: [{ id: 'k1', remoteId: 'k1', author: 'ann', body: 'x', internal: false, createdAt: 't' }],
    });
    expect(entityOf(unmapped).urgency).toBe('moderate'); // no pair for 9: Globex's default
    expect(unmapped).toMatchObject({ warnings: ['priority = 9 has no mapped value'] });

    const [back] = await sandbox.run('acme', acmeProgram, [
      {
        script: 'incoming',
        replica: { type: 'case', title: 'T', urgency: 'critical', details: 'ignored' },
        previous: null,
        firstSync: true,
        entity: null,
        connection,
      },
    ]);
    // type case -> incident, urgency critical -> 1, missing state -> default "new", details is "out" only
    expect(entityOf(back)).toEqual({
      type: 'incident',
      summary: 'T',
      priority: 1,
      status: 'new',
      comments: [],
    });
  });

  it('unlinks what is outside the scope', async () => {
    const program = { version: 'acme-1', ...visualMode.compile(acme, ctx) };
    const [r] = await sandbox.run('acme', program, [
      {
        script: 'incoming',
        replica: { type: 'problem', title: 'x' },
        previous: null,
        firstSync: true,
        entity: null,
        connection,
      },
    ]);
    expect(r).toMatchObject({ ok: true, unlink: true, entity: { type: 'problem' } });
  });

  it("sends public attachments, takes the partner's, and translates a mapped link through the twins", async () => {
    const rules = visualMode.parse({
      mappings: [
        { local: 'summary', remote: 'summary', direction: 'both' },
        { local: 'problem', remote: 'problem', direction: 'both' },
      ],
      scope: { local: { types: ['incident'] }, remote: { types: ['incident'] } },
    });
    const program = { version: 'refs-1', ...visualMode.compile(rules, ctx) };
    const file = (id: string, internal: boolean) => ({
      id,
      filename: `${id}.txt`,
      contentType: 'text/plain',
      size: 1,
      sha256: 'a'.repeat(64),
      internal,
      createdAt: 't',
    });
    const [out, linked, waiting] = await sandbox.run('refs', program, [
      {
        script: 'outgoing',
        entity: {
          id: 'e1',
          key: 'INC-1',
          type: 'incident',
          summary: 'S',
          problem: 'p-here',
          attachments: [file('f1', false), file('f2', true)],
        },
        connection,
      },
      {
        script: 'incoming',
        replica: { type: 'incident', summary: 'S', problem: 'p-there', attachments: [file('r1', false)] },
        previous: null,
        firstSync: true,
        entity: null,
        connection,
        twins: { local: { 'p-there': 'p-here' } },
      },
      {
        script: 'incoming',
        replica: { type: 'incident', summary: 'S', problem: 'p-unknown' },
        previous: null,
        firstSync: true,
        entity: null,
        connection,
      },
    ]);
    expect(out).toMatchObject({ ok: true, replica: { problem: 'p-here', attachments: [{ id: 'f1' }] } });
    expect((out as unknown as { replica: { attachments: unknown[] } }).replica.attachments).toHaveLength(1);
    expect(linked).toMatchObject({ ok: true, entity: { problem: 'p-here', attachments: [{ id: 'r1' }] } });
    expect(linked).not.toHaveProperty('missing');
    expect(waiting).toMatchObject({ ok: true, missing: ['p-unknown'] });
  });

  it('refuses conflicts and bad shapes with clear errors', () => {
    const refuse = (mappings: unknown[], code: string, message: RegExp) => {
      let caught: unknown;
      try {
        visualMode.parse({ mappings });
      } catch (err) {
        caught = err;
      }
      expect(caught).toMatchObject({ code, status: 422 });
      expect(
        String((caught as Error).message) + JSON.stringify((caught as { extra?: unknown }).extra),
      ).toMatch(message);
    };
    refuse(
      [
        { local: 'status', remote: 'state', direction: 'both' },
        { local: 'status', remote: 'phase', direction: 'in' },
      ],
      'MAPPING_CONFLICT',
      /mappings\.1 conflicts with mappings\.0: both write the local field "status"/,
    );
    refuse(
      [
        { local: 'summary', remote: 'title', direction: 'out' },
        { local: 'description', remote: 'title', direction: 'both' },
      ],
      'MAPPING_CONFLICT',
      /both write the remote field "title"/,
    );
    refuse([{ local: 'key', remote: 'number', direction: 'in' }], 'MAPPING_CONFLICT', /key is read-only/);
    refuse(
      [{ local: 'comments', remote: 'notes', direction: 'both' }],
      'MAPPING_CONFLICT',
      /comments map only to comments/,
    );
    refuse(
      [
        {
          local: 'priority',
          remote: 'urgency',
          direction: 'out',
          values: [
            { local: 1, remote: 'a' },
            { local: 1, remote: 'b' },
          ],
        },
      ],
      'MAPPING_CONFLICT',
      /maps to two different remote values/,
    );
    // The mirror of the one above: refused here too, or the other side could not adopt it.
    refuse(
      [
        {
          local: 'urgency',
          remote: 'priority',
          direction: 'in',
          values: [
            { local: 'a', remote: 1 },
            { local: 'b', remote: 1 },
          ],
        },
      ],
      'MAPPING_CONFLICT',
      /the remote value 1 maps to two different local values/,
    );
    refuse([{ local: 'summary', remote: 'title', direction: 'sideways' }], 'VALIDATION_FAILED', /direction/);
    refuse([{ local: 'bad field', remote: 'title', direction: 'in' }], 'VALIDATION_FAILED', /field name/);
  });
});
