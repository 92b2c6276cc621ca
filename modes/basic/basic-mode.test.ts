import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type ManagedSandbox } from '../../core/sandbox/create-sandbox.ts';
import type { FlatEntity } from '../../core/sandbox/sandbox.ts';
import { basicMode } from './basic-mode.ts';

const ctx = { localName: 'Acme', remoteName: 'Globex' };
const connection = { id: 'b1', name: 'Basic', ...ctx };
let sandbox: ManagedSandbox;
beforeAll(async () => {
  sandbox = createSandbox();
  await sandbox.start();
});
afterAll(async () => sandbox.close());

describe('basic mode', () => {
  const program = { version: 'basic-1', ...basicMode.compile(basicMode.defaults(), ctx) };
  const entity: FlatEntity = {
    id: 'e1',
    key: 'INC-1',
    type: 'incident',
    summary: 'Down',
    description: 'All of it',
    status: 'new',
    priority: 1,
    assignee: 'ann',
    secret: 'not sent',
    comments: [
      { id: 'c1', author: 'ann', body: 'public', internal: false, createdAt: 't' },
      { id: 'c2', author: 'ann', body: 'internal', internal: true, createdAt: 't' },
    ],
  };

  it('sends the fixed fields and public comments only', async () => {
    expect(await sandbox.check(program)).toEqual([]);
    const [r] = await sandbox.run('b1', program, [{ script: 'outgoing', entity, connection }]);
    expect(r).toMatchObject({
      ok: true,
      replica: {
        type: 'incident',
        key: 'INC-1',
        summary: 'Down',
        description: 'All of it',
        status: 'new',
        priority: 1,
        comments: [{ id: 'c1', body: 'public' }],
      },
    });
    if (!r!.ok || r!.script !== 'outgoing') throw new Error('no replica');
    expect(Object.keys(r!.replica).sort()).toEqual([
      'comments',
      'description',
      'key',
      'priority',
      'status',
      'summary',
      'type',
    ]);
  });

  it('creates a new entity of the replica type and leaves fields the replica lacks alone', async () => {
    const replica = {
      type: 'case',
      summary: 'Hello',
      status: 'open',
      comments: [{ id: 'r1', author: 'z', body: 'hi', internal: false }],
    };
    const [first, update] = await sandbox.run('b1', program, [
      { script: 'incoming', replica, previous: null, firstSync: true, entity: null, connection },
      { script: 'incoming', replica, previous: null, firstSync: false, entity, connection },
    ]);
    expect(first).toMatchObject({
      ok: true,
      entity: { type: 'case', summary: 'Hello', status: 'open', comments: [{ id: 'r1', body: 'hi' }] },
    });
    expect(update).toMatchObject({
      ok: true,
      entity: { type: 'incident', summary: 'Hello', description: 'All of it', priority: 1 },
    });
  });

  it('is not editable', () => {
    expect(basicMode.editable).toBe(false);
    expect(() => basicMode.parse({ fields: ['summary'] })).toThrow(
      expect.objectContaining({ code: 'MODE_NOT_EDITABLE', status: 409 }),
    );
    expect(basicMode.parse(basicMode.defaults())).toEqual(basicMode.defaults());
  });
});
