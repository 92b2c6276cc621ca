// The conformance suite every tracker passes: reads, paging, the idempotent write's outcomes, the change feed,
// and the optional capabilities it has (attachments).
import { afterEach, beforeEach, describe, expect, it as vitestIt } from 'vitest';
import type { Change, Entity, Tracker, WriteContext, WriteRequest } from './tracker.ts';

/** A tracker to test, fresh and empty, and how to end it. */
export interface TrackerUnderTest {
  tracker: Tracker;
  close(): Promise<void>;
}

/**
 * What a tracker declares it cannot do, by test title, with the reason: that test runs as `it.fails` (it must
 * still fail, so a tracker that learns it goes red until its line is removed) and its title carries the reason.
 */
export interface ContractLimits {
  cannot?: Readonly<Record<string, string>>;
}

/**
 * Registers the contract's tests for one tracker.
 * @example describeTrackerContract('memory', async () => ({ tracker: createMemoryTracker(), close: async () => {} }));
 */
export function describeTrackerContract(
  name: string,
  make: () => Promise<TrackerUnderTest>,
  limits: ContractLimits = {},
): void {
  const cannot = new Map(Object.entries(limits.cannot ?? {}));
  const it = (title: string, fn: () => Promise<void>) => {
    const reason = cannot.get(title);
    cannot.delete(title);
    if (reason === undefined) vitestIt(title, fn);
    else vitestIt.fails(`${title} [cannot: ${reason}]`, fn);
  };
  describe(`tracker contract: ${name}`, () => {
    let t: TrackerUnderTest;
    let tracker: Tracker;
    beforeEach(async () => {
      t = await make();
      tracker = t.tracker;
    });
    afterEach(async () => t.close());

    const local: WriteContext = { origin: 'local' };
    async function mustWrite(request: WriteRequest, context: WriteContext = local): Promise<Entity> {
      const r = await tracker.write(request, context);
      if (r.outcome !== 'applied' || !r.entity) throw new Error(`expected applied, got ${JSON.stringify(r)}`);
      return r.entity;
    }
    const create = (summary: string, type: 'incident' | 'change' = 'incident') =>
      mustWrite({ op: 'create', type, fields: { summary } });
    async function allChanges(limit: number): Promise<Change[]> {
      const out: Change[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 1000; i++) {
        const page = await tracker.changes(cursor, limit);
        expect(page.changes.length).toBeLessThanOrEqual(limit);
        out.push(...page.changes);
        cursor = page.cursor;
        if (!page.more) break;
      }
      return out;
    }

    it('offers its entity types and creates, reads and reads in batches', async () => {
      expect(tracker.entityTypes).toContain('incident');
      const a = await mustWrite({
        op: 'create',
        type: 'incident',
        fields: { summary: 'Disk full', priority: 2, team: 'ops' },
      });
      expect(a).toMatchObject({
        type: 'incident',
        fields: { summary: 'Disk full', priority: 2, team: 'ops' },
      });
      expect(typeof a.key).toBe('string');
      expect(await tracker.get(a.id)).toEqual(a);
      expect(await tracker.get('missing')).toBeUndefined();
      const b = await create('b');
      const many = await tracker.getMany([a.id, 'missing', b.id]);
      expect([...many.keys()].sort()).toEqual([a.id, b.id].sort());
      expect(many.get(b.id)).toEqual(b);
    });

    it('lists by type and pages through every entity once', async () => {
      const made: string[] = [];
      for (let i = 0; i < 7; i++) made.push((await create(`item ${i}`)).id);
      await create('other', 'change');
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 10; i++) {
        const page = await tracker.list({ type: 'incident', limit: 3, ...(cursor ? { cursor } : {}) });
        expect(page.items.length).toBeLessThanOrEqual(3);
        seen.push(...page.items.map((e) => e.id));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      expect(seen.sort()).toEqual([...made].sort());
      expect((await tracker.list({ type: 'change', limit: 10 })).items.map((e) => e.fields.summary)).toEqual([
        'other',
      ]);
    });

    it('updates, answers replayed for a repeated idempotency key and writes nothing again', async () => {
      const e = await create('one');
      const ctx: WriteContext = { origin: 'connection:c1', idempotencyKey: 'c1:7', correlationId: 'peer-1' };
      const first = await tracker.write({ op: 'update', id: e.id, fields: { summary: 'two' } }, ctx);
      expect(first).toMatchObject({ outcome: 'applied', entity: { fields: { summary: 'two' } } });
      const before = await allChanges(100);
      const again = await tracker.write({ op: 'update', id: e.id, fields: { summary: 'two' } }, ctx);
      expect(again).toMatchObject({ outcome: 'replayed', entity: { id: e.id, fields: { summary: 'two' } } });
      expect(await allChanges(100)).toHaveLength(before.length);
    });

    it('a create that finds its correlation id answers replayed with that record', async () => {
      const req: WriteRequest = { op: 'create', type: 'incident', fields: { summary: 'from the peer' } };
      const first = await tracker.write(req, {
        origin: 'connection:c1',
        idempotencyKey: 'c1:1',
        correlationId: 'r9',
      });
      expect(first.outcome).toBe('applied');
      // A retry after a crash between the external write and the journal: a new key, the same record.
      const retry = await tracker.write(req, {
        origin: 'connection:c1',
        idempotencyKey: 'c1:1b',
        correlationId: 'r9',
      });
      expect(retry.outcome).toBe('replayed');
      expect(retry.outcome === 'replayed' && retry.entity?.id).toBe(
        first.outcome === 'applied' && first.entity?.id,
      );
      expect((await tracker.list({ limit: 10 })).items).toHaveLength(1);
    });

    it('answers conflict on a stale expected version, not_found and rejected with field issues', async () => {
      const e = await create('x');
      const stale = await tracker.write(
        { op: 'update', id: e.id, fields: { summary: 'y' }, expectedVersion: e.version + 100 },
        local,
      );
      expect(stale).toMatchObject({ outcome: 'conflict', version: e.version });
      expect((await tracker.get(e.id))?.fields.summary).toBe('x');
      expect(
        await tracker.write({ op: 'update', id: 'missing', fields: { summary: 'y' } }, local),
      ).toMatchObject({
        outcome: 'not_found',
      });
      expect(
        await tracker.write(
          { op: 'comment', id: 'missing', comment: { body: 'b', author: 'a', internal: false } },
          local,
        ),
      ).toMatchObject({ outcome: 'not_found' });
      const bad = await tracker.write(
        { op: 'create', type: 'incident', fields: { summary: '', priority: 9 } },
        local,
      );
      expect(bad.outcome).toBe('rejected');
      if (bad.outcome === 'rejected')
        expect(bad.issues.map((i) => i.path).sort()).toEqual(['fields.priority', 'fields.summary']);
      const deleted = await tracker.write({ op: 'delete', id: e.id }, local);
      expect(deleted).toEqual({ outcome: 'applied', entity: null });
      expect(await tracker.get(e.id)).toBeUndefined();
    });

    it('offers choices of its fields (where it knows them) that a write takes as they are', async () => {
      if (!tracker.fields) return;
      const fields = await tracker.fields('incident');
      for (const f of fields)
        for (const c of f.choices ?? []) {
          expect(['string', 'number']).toContain(typeof c.value);
          expect(typeof c.label).toBe('string');
        }
      const e = await create('with choices');
      for (const name of ['status', 'priority']) {
        const last = fields.find((f) => f.name === name)?.choices?.at(-1);
        if (!last) continue;
        const written = await mustWrite({ op: 'update', id: e.id, fields: { [name]: last.value } });
        expect(written.fields[name]).toBe(last.value);
      }
    });

    it('keeps public and internal comments, and each write moves the version on', async () => {
      const e = await create('with comments');
      const c1 = await mustWrite({
        op: 'comment',
        id: e.id,
        comment: { body: 'hello', author: 'ann', internal: false },
      });
      const c2 = await mustWrite({
        op: 'comment',
        id: e.id,
        comment: { body: 'note', author: 'bob', internal: true },
      });
      expect(c2.comments.map((c) => [c.body, c.author, c.internal])).toEqual([
        ['hello', 'ann', false],
        ['note', 'bob', true],
      ]);
      expect(new Set([e.version, c1.version, c2.version]).size).toBe(3);
      expect((await tracker.get(e.id))?.comments).toEqual(c2.comments);
    });

    it('gives changes in write order, resumes from a cursor and loses none across limit boundaries', async () => {
      const a = await create('a');
      const b = await create('b');
      await mustWrite({ op: 'update', id: a.id, fields: { status: 'in_progress' } });
      await mustWrite({ op: 'comment', id: b.id, comment: { body: 'c', author: 'x', internal: false } });
      await mustWrite({ op: 'update', id: b.id, fields: { priority: 1 } });
      expect((await tracker.write({ op: 'delete', id: a.id }, local)).outcome).toBe('applied');
      await create('c');
      const all = await allChanges(100);
      expect(all.map((c) => [c.entityId, c.op])).toEqual([
        [a.id, 'create'],
        [b.id, 'create'],
        [a.id, 'update'],
        [b.id, 'comment'],
        [b.id, 'update'],
        [a.id, 'delete'],
        [expect.any(String), 'create'],
      ]);
      for (const limit of [1, 2, 3]) expect(await allChanges(limit)).toEqual(all);
      const first = await tracker.changes(null, 3);
      expect(first.more).toBe(true);
      expect((await tracker.changes(first.cursor, 100)).changes).toEqual(all.slice(3));
      const head = await tracker.head();
      expect((await tracker.changes(head, 10)).changes).toEqual([]);
      await create('after head');
      const next = await tracker.changes(head, 10);
      expect(next.changes.map((c) => c.op)).toEqual(['create']);
      expect(next.more).toBe(false);
    });

    it('wakes a watcher after a write, and stops when unsubscribed', async () => {
      if (!tracker.watch) return;
      let woken = 0;
      const off = tracker.watch(() => woken++);
      await create('w');
      await new Promise((r) => setTimeout(r, 10));
      expect(woken).toBeGreaterThan(0);
      off();
      const was = woken;
      await create('w2');
      await new Promise((r) => setTimeout(r, 10));
      expect(woken).toBe(was);
    });
    it('keeps attachments (when it has them): added from a stream, listed on the entity, read back, removed', async () => {
      if (!tracker.attachments) return;
      const e = await create('with a file');
      async function* content() {
        yield new TextEncoder().encode('hello ');
        yield new TextEncoder().encode('attachment');
      }
      const a = await tracker.attachments.add(
        e.id,
        { filename: 'hello.txt', contentType: 'text/plain', internal: false, content: content() },
        local,
      );
      expect(a).toMatchObject({ filename: 'hello.txt', contentType: 'text/plain', size: 16 });
      expect((await tracker.get(e.id))?.attachments?.map((x) => x.id)).toEqual([a.id]);
      expect(await tracker.attachments.list(e.id)).toEqual([a]);
      expect((await tracker.attachments.get(a.id))?.entityId).toBe(e.id);
      const parts: Uint8Array[] = [];
      for await (const p of await tracker.attachments.open(a.id)) parts.push(p);
      expect(Buffer.concat(parts).toString()).toBe('hello attachment');
      await tracker.attachments.remove(a.id, local);
      expect(await tracker.attachments.list(e.id)).toEqual([]);
      expect(await tracker.attachments.get(a.id)).toBeUndefined();
    });

    // A limit naming no test of the suite is a typo, not a pass.
    if (cannot.size > 0)
      vitestIt(`names only tests of the suite in its limits: ${[...cannot.keys()]}`, () => {
        expect([...cannot.keys()]).toEqual([]);
      });
  });
}
