import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type InProcessHost, inProcessHost } from '../../../tests/support/in-process.ts';
import { TandemError } from '../../errors.ts';
import { type Change, ENTITY_TYPES, type EntityType, type Tracker } from '../tracker.ts';

let host: InProcessHost;
let tracker: Tracker;

beforeEach(async () => {
  host = await inProcessHost();
  tracker = host.services.tracker;
});
afterEach(async () => host.close());

describe('built-in tracker', () => {
  it('gives each type its own human key sequence', async () => {
    const a = await tracker.create({ type: 'incident', fields: { summary: 'a' } }, { origin: 'local' });
    const b = await tracker.create({ type: 'incident', fields: { summary: 'b' } }, { origin: 'local' });
    const c = await tracker.create({ type: 'change', fields: { summary: 'c' } }, { origin: 'local' });
    const r = await tracker.create({ type: 'request', fields: { summary: 'r' } }, { origin: 'local' });
    expect([a.key, b.key, c.key, r.key]).toEqual(['INC0001001', 'INC0001002', 'CHG0001001', 'REQ0001001']);
    expect(a.fields).toMatchObject({ status: 'new', priority: 3, description: '', assignee: null });
    expect(r.fields.status).toBe('submitted');
  });

  it('searches ignoring case, taking % and _ in the text literally, on either engine', async () => {
    await tracker.create({ type: 'incident', fields: { summary: 'Disk 50% FULL' } }, { origin: 'local' });
    await tracker.create({ type: 'incident', fields: { summary: 'disk 500 full' } }, { origin: 'local' });
    await tracker.create({ type: 'incident', fields: { summary: 'path a_b' } }, { origin: 'local' });
    const found = async (q: string) =>
      (await tracker.list({ q, limit: 50 })).items.map((e) => e.fields.summary);
    expect(await found('50% full')).toEqual(['Disk 50% FULL']);
    expect(await found('DISK')).toHaveLength(2);
    expect(await found('a_b')).toEqual(['path a_b']);
    expect(await found('a%b')).toEqual([]);
  });

  it('bumps the version and logs a change with its origin on every write, in order', async () => {
    const e = await tracker.create(
      { type: 'incident', fields: { summary: 'Disk full', team: 'ops' } },
      { origin: 'local' },
    );
    const u = await tracker.update(
      e.id,
      { status: 'in_progress', team: 'storage' },
      { origin: 'connection:c1' },
    );
    const withComment = await tracker.addComment(
      e.id,
      { body: 'looking', author: 'ann', internal: true },
      { origin: 'local' },
    );
    await tracker.delete(e.id, { origin: 'local' });

    expect([e.version, u.version, withComment.version]).toEqual([1, 2, 3]);
    expect(u.fields).toMatchObject({ status: 'in_progress', team: 'storage', summary: 'Disk full' });
    expect(withComment.comments).toMatchObject([{ body: 'looking', author: 'ann', internal: true }]);
    expect(await tracker.get(e.id)).toBeUndefined();

    const { changes } = await tracker.changes(null, 100);
    expect(changes.map((c) => [c.op, c.version, c.origin])).toEqual([
      ['create', 1, 'local'],
      ['update', 2, 'connection:c1'],
      ['comment', 3, 'local'],
      ['delete', 4, 'local'],
    ]);
    const two = await tracker.changes(null, 2);
    expect(two).toMatchObject({ more: true });
    const after = await tracker.changes(two.cursor, 100);
    expect(after.changes.map((c) => c.op)).toEqual(['comment', 'delete']);
    expect(after.more).toBe(false);
    expect((await tracker.changes(two.cursor, 1)).changes).toHaveLength(1);
    expect((await tracker.changes(await tracker.head(), 10)).changes).toEqual([]);
  });

  it('notifies listeners after each write and stops when unsubscribed', async () => {
    const seen: Change[] = [];
    const off = tracker.watch!((c) => {
      if (c) seen.push(c);
    });
    const e = await tracker.create({ type: 'problem', fields: { summary: 'p' } }, { origin: 'local' });
    off();
    await tracker.update(e.id, { priority: 1 }, { origin: 'local' });
    expect(seen.map((c) => c.op)).toEqual(['create']);
  });

  it('refuses a stale version and writes nothing', async () => {
    const e = await tracker.create({ type: 'incident', fields: { summary: 'x' } }, { origin: 'local' });
    await expect(
      tracker.update(e.id, { summary: 'y' }, { origin: 'local', expectedVersion: 7 }),
    ).rejects.toMatchObject({
      code: 'VERSION_CONFLICT',
      status: 409,
    });
    expect((await tracker.get(e.id))?.fields.summary).toBe('x');
    expect((await tracker.changes(null, 10)).changes).toHaveLength(1);
  });

  it('rolls back the entity and its change-log row together when the transaction fails', async () => {
    const { db } = host.services;
    await expect(
      db.transaction().execute(async (tx) => {
        await tracker
          .transactional!.withTx(tx)
          .create({ type: 'incident', fields: { summary: 'doomed' } }, { origin: 'local' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect((await tracker.list({ limit: 10 })).items).toHaveLength(0);
    expect((await tracker.changes(null, 10)).changes).toHaveLength(0);
  });

  it('validates fields and names each offending one', async () => {
    const err = await tracker
      .create(
        { type: 'incident', fields: { summary: '', priority: 9, 'bad name': 1, version: 2 } },
        { origin: 'local' },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TandemError);
    const paths = ((err as TandemError).extra!.errors as { path: string }[]).map((i) => i.path).sort();
    expect(paths).toEqual(['fields.priority', 'fields.summary']);
    const err2 = (await tracker
      .create({ type: 'incident', fields: { summary: 'ok', 'bad name': 1, version: 2 } }, { origin: 'local' })
      .catch((e: unknown) => e)) as TandemError;
    expect((err2.extra!.errors as { path: string }[]).map((i) => i.path).sort()).toEqual([
      'fields.bad name',
      'fields.version',
    ]);
    await expect(tracker.create({ type: 'incident', fields: {} }, { origin: 'local' })).rejects.toMatchObject(
      {
        code: 'VALIDATION_FAILED',
      },
    );
    await expect(tracker.update('nope', { summary: 'x' }, { origin: 'local' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('an update of standard fields keeps custom fields and comments, and honours the expected version', async () => {
    const e = await tracker.create(
      { type: 'incident', fields: { summary: 's', team: 'ops' } },
      { origin: 'local' },
    );
    await tracker.addComment(e.id, { body: 'first', author: 'ann', internal: false }, { origin: 'local' });
    const u = await tracker.update(e.id, { status: 'resolved' }, { origin: 'local', expectedVersion: 2 });
    expect(u).toMatchObject({ version: 3, fields: { status: 'resolved', team: 'ops', summary: 's' } });
    expect(u.comments).toMatchObject([{ body: 'first', author: 'ann' }]);
    expect(await tracker.get(e.id)).toEqual(u);
  });

  it('removes a custom field set to null and keeps the others', async () => {
    const e = await tracker.create(
      { type: 'ci', fields: { summary: 'db01', env: 'prod', rack: 'A1' } },
      { origin: 'local' },
    );
    const u = await tracker.update(e.id, { rack: null }, { origin: 'local' });
    expect(u.fields.env).toBe('prod');
    expect('rack' in u.fields).toBe(false);
  });

  it("offers each type's usual statuses (another may be typed) and priorities 1-5 as its fields' choices", async () => {
    const byName = async (type: EntityType) =>
      new Map((await tracker.fields!(type)).map((f) => [f.name, f] as const));
    const change = await byName('change');
    expect(change.get('status')).toMatchObject({ choicesOnly: false });
    expect(change.get('status')?.choices?.slice(0, 2)).toEqual([
      { value: 'new', label: 'New' },
      { value: 'draft', label: 'Draft' },
    ]);
    expect((await byName('incident')).get('status')?.choices).toContainEqual({
      value: 'in_progress',
      label: 'In progress',
    });
    expect(change.get('priority')).toMatchObject({ choicesOnly: true });
    expect(change.get('priority')?.choices?.map((c) => c.value)).toEqual([1, 2, 3, 4, 5]);
    expect(change.get('summary')?.choices).toBeUndefined();
    // The first status offered is the one a new entity gets.
    for (const type of ENTITY_TYPES) {
      const created = await tracker.create({ type, fields: { summary: type } }, { origin: 'local' });
      expect((await byName(type)).get('status')?.choices?.[0]?.value).toBe(created.fields.status);
    }
  });
});
