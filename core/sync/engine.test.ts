// The engine end to end in one process: two hosts' databases, the real sandbox, an in-memory link between them.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scriptMode } from '../../modes/script/script-mode.ts';
import { engineSide, memoryLink, type Side } from '../../tests/support/engine-pair.ts';
import { waitFor } from '../../tests/support/host-process.ts';
import { type InProcessHost, insertConnection } from '../../tests/support/in-process.ts';
import type { LinkFrame, LinkHub } from '../link/link-hub.ts';
import { createSandbox, type ManagedSandbox } from '../sandbox/create-sandbox.ts';
import type { RuleProgram, Sandbox } from '../sandbox/sandbox.ts';
import type { Entity } from '../trackers/tracker.ts';
import { createTrigger } from './triggers.ts';

const program = (incoming = scriptMode.defaults().incoming): RuleProgram => ({
  version: `v-${incoming.length}`,
  outgoing: scriptMode.defaults().outgoing,
  incoming,
});

let sandbox: ManagedSandbox;
/** When set, the engines' sandbox: the real one, except that runs for connection `bad` throw. */
let failingOn: Sandbox | undefined;
let A: Side;
let B: Side;
let link: ReturnType<typeof memoryLink>;

async function side(
  conn: string,
  hub: LinkHub,
  mode: 'basic' | 'script',
  nodeId: string,
  before?: (host: InProcessHost) => Promise<void>,
): Promise<Side> {
  return engineSide({
    conn,
    hub,
    mode,
    nodeId,
    tracker: trackerKind,
    sandbox: () => failingOn ?? sandbox,
    program: program(),
    before,
  });
}

async function setup(mode: 'basic' | 'script' = 'script') {
  link = memoryLink('ca', 'cb');
  A = await side('ca', link.a, mode, 'node-a');
  B = await side('cb', link.b, mode, 'node-b');
  link.set(true);
}

beforeEach(() => {
  sandbox = createSandbox({ timeoutMs: 1000 });
  failingOn = undefined;
});
afterEach(async () => {
  link?.set(false);
  for (const s of [A, B]) {
    await s?.engine.stop();
    await s?.host.close();
  }
  await sandbox.close();
});

const tracker = (s: Side) => s.host.services.tracker;
const create = (s: Side, summary: string, fields: Record<string, unknown> = {}) =>
  tracker(s).create({ type: 'incident', fields: { summary, ...fields } }, { origin: 'local' });

async function twinOf(s: Side, localId: string) {
  return s.host.services.db
    .selectFrom('sync_twins')
    .selectAll()
    .where('local_id', '=', localId)
    .executeTakeFirst();
}

/** The local entity twinned with `remoteId` on side `s`, once it exists. */
async function arrived(
  s: Side,
  remoteId: string,
  pred: (summary: string) => boolean = () => true,
): Promise<Entity> {
  return waitFor(async () => {
    const t = await s.host.services.db
      .selectFrom('sync_twins')
      .select('local_id')
      .where('remote_id', '=', remoteId)
      .executeTakeFirst();
    const e = t && (await tracker(s).get(t.local_id));
    return e && pred(e.fields.summary) ? e : undefined;
  }, 15_000) as Promise<Entity>;
}

/**
 * Both engines have nothing left to do. Settling one side can hand the other a frame (an ack, a twin id), so
 * both settle again until a pass sends no frame either way.
 */
async function settled() {
  for (;;) {
    const sent = link.a.sent.length + link.b.sent.length;
    await Promise.all([A.engine.settled(), B.engine.settled()]);
    if (link.a.sent.length + link.b.sent.length === sent) return;
  }
}

async function all(s: Side) {
  return (await tracker(s).list({ limit: 200 })).items;
}

/** Basic on both sides and one entity of A twinned on B, both sides knowing the twin ids. */
async function basicTwins(): Promise<{ e: Entity; there: Entity }> {
  await setup('basic');
  await createTrigger(A.host.services.db, 'ca', {
    entityType: 'incident',
    query: 'priority != 5',
    active: true,
  });
  const e = await create(A, 'start');
  const there = await arrived(B, e.id);
  await waitFor(async () => (await twinOf(A, e.id))?.remote_id === there.id);
  return { e, there };
}

/** The tracker both sides run: the built-in one (joins the transaction) or one that cannot (the apply journal). */
let trackerKind: 'builtin' | 'memory' = 'builtin';

for (const kind of ['builtin', 'memory'] as const)
  describe(`sync engine (in-memory link, real sandbox, ${kind} tracker)`, () => {
    beforeEach(() => {
      trackerKind = kind;
    });
    it('sends a matching entity, creates its twin on the peer, learns the twin id, and syncs edits back without echo', async () => {
      await setup();
      await createTrigger(A.host.services.db, 'ca', {
        entityType: 'incident',
        query: 'priority <= 2',
        active: true,
      });
      const out = await create(A, 'Mail down', { priority: 1 });
      await create(A, 'Not in scope', { priority: 4 });
      const there = await arrived(B, out.id);
      expect(there.fields).toMatchObject({ summary: 'Mail down', priority: 1 });
      await waitFor(async () => (await twinOf(A, out.id))?.remote_id === there.id);
      expect((await twinOf(A, out.id))?.remote_key).toBe(there.key);

      await tracker(B).update(there.id, { status: 'in_progress' }, { origin: 'local' });
      await tracker(B).addComment(
        there.id,
        { body: 'on it', author: 'bo', internal: false },
        { origin: 'local' },
      );
      const back = await waitFor(async () => {
        const e = await tracker(A).get(out.id);
        return e?.fields.status === 'in_progress' && e.comments.length === 1 ? e : undefined;
      });
      expect(back!.comments[0]).toMatchObject({ body: 'on it', author: 'bo' });
      // quiet: nothing left to send, and the applied change did not come back as a new event
      await settled();
      const outboxA = await A.host.services.db.selectFrom('sync_outbox').selectAll().execute();
      const outboxB = await B.host.services.db.selectFrom('sync_outbox').selectAll().execute();
      expect(outboxA).toEqual([]);
      expect(outboxB).toEqual([]);
      const thereNow = await tracker(B).get(there.id);
      expect(thereNow?.comments).toHaveLength(1); // the comment did not echo back as a second one
      expect((await all(B)).length).toBe(1);
    });

    it('helpers.sync.unlink() in the incoming rule writes that change, then ends the twin on both sides', async () => {
      await setup();
      B.rules.program = program(
        `${scriptMode.defaults().incoming}\nif (replica.status === 'closed' || replica.summary === 'drop') helpers.sync.unlink();`,
      );
      await createTrigger(A.host.services.db, 'ca', {
        entityType: 'incident',
        query: 'priority <= 2',
        active: true,
      });
      const out = await create(A, 'Printer jam', { priority: 1 });
      const there = await arrived(B, out.id);
      await waitFor(async () => (await twinOf(A, out.id))?.remote_id === there.id);

      await tracker(A).update(out.id, { status: 'closed' }, { origin: 'local' });
      // The closing change is written at B, then both twins are gone.
      await waitFor(async () => (await tracker(B).get(there.id))?.fields.status === 'closed');
      await waitFor(async () => !(await twinOf(B, there.id)) && !(await twinOf(A, out.id)));

      // Unlinked on first sync: nothing is created at B, and A forgets its pending twin.
      const dropped = await create(A, 'drop', { priority: 1 });
      const marker = await create(A, 'Sent after it', { priority: 1 });
      await arrived(B, marker.id); // in order: B has dealt with 'drop' by now
      await waitFor(async () => !(await twinOf(A, dropped.id)));
      expect((await all(B)).map((e) => e.fields.summary).sort()).toEqual(['Printer jam', 'Sent after it']);
    });

    it('queues while the link is down and delivers every change exactly once after reconnect, in order', async () => {
      await setup();
      await createTrigger(A.host.services.db, 'ca', {
        entityType: 'incident',
        query: 'priority != 5',
        active: true,
      });
      link.set(false);
      const made = [];
      const outbox = async () =>
        (await A.host.services.db.selectFrom('sync_outbox').selectAll().execute()).length;
      for (let i = 0; i < 30; i++) made.push(await create(A, `item ${i}`));
      await waitFor(async () => (await outbox()) === 30);
      for (const e of made.slice(0, 10))
        await tracker(A).update(e.id, { summary: `${e.fields.summary} v2` }, { origin: 'local' });
      await waitFor(async () => (await outbox()) === 40);
      // once the link is back, lose every third frame, send some twice and swap some: the peer drops what it
      // has, asks again after a gap, and the sender resends what stays unacknowledged
      let seed = 42;
      const rand = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      let held: LinkFrame | undefined;
      link.a.tap = (f) => {
        if (f.ch !== 'sync.events') return [f];
        const r = rand();
        if (r < 0.25) return [];
        if (r < 0.4) return [f, f];
        if (r < 0.55 && !held) {
          held = f;
          return [];
        }
        const out = held ? [f, held] : [f];
        held = undefined;
        return out;
      };
      link.set(true);
      for (const e of made.slice(0, 10)) await arrived(B, e.id, (s) => s.endsWith('v2'));
      await waitFor(async () => (await all(B)).length === 30);
      const changesOnB = (await tracker(B).changes(null, 1000)).changes;
      expect(changesOnB.filter((c) => c.op === 'create')).toHaveLength(30);
      expect(changesOnB.filter((c) => c.op === 'update')).toHaveLength(10);
    });

    it('writes acks and idle feed cursors in the background, and a stop writes the ones still held', async () => {
      await setup();
      await createTrigger(A.host.services.db, 'ca', {
        entityType: 'incident',
        query: 'priority != 5',
        active: true,
      });
      for (let i = 0; i < 40; i++) await create(A, `burst ${i}`);
      const stream = () =>
        A.host.services.db
          .selectFrom('sync_streams')
          .selectAll()
          .where('connection_id', '=', 'ca')
          .executeTakeFirst();
      const outSeq = await waitFor(async () => {
        const s = await stream();
        return s && s.out_seq >= 40 ? s.out_seq : undefined;
      });
      // B acknowledged everything A assigned: stop A soon after, while the last ack may still be held.
      await waitFor(async () =>
        link.b.sent.some((f) => f.ch === 'sync.ack' && (f as { upTo?: number }).upTo === outSeq)
          ? true
          : undefined,
      );
      await link.a.queue; // the frame is in A's hands (in memory), its write held
      await A.engine.stop();
      expect((await stream())?.out_acked).toBe(outSeq);
      expect(await A.host.services.db.selectFrom('sync_outbox').selectAll().execute()).toEqual([]);
      const acks = link.b.sent.filter((f) => f.ch === 'sync.ack').length;
      expect(acks).toBeGreaterThanOrEqual(5); // frames of 4 events: an ack per frame (or frames received together)
      // B's feed holds only changes it applied (nothing to send back): its cursor is written at the latest on stop.
      await waitFor(async () => ((await all(B)).length === 40 ? true : undefined));
      link.set(false); // A is gone: B's twin events stay queued (unacknowledged), which settling does not wait for
      await B.engine.settled(); // B's feed is read past what it applied (the cursor held in memory)
      await B.engine.stop();
      const bDb = B.host.services.db;
      const bStream = await bDb
        .selectFrom('sync_streams')
        .selectAll()
        .where('connection_id', '=', 'cb')
        .executeTakeFirst();
      expect(bStream?.feed_cursor).toBe(await tracker(B).head());
    });

    it('drops replayed and reordered frames by sequence', async () => {
      await setup();
      await createTrigger(A.host.services.db, 'ca', {
        entityType: 'incident',
        query: 'priority != 5',
        active: true,
      });
      const e = await create(A, 'one');
      await arrived(B, e.id);
      await tracker(A).update(e.id, { summary: 'two' }, { origin: 'local' });
      await arrived(B, e.id, (s) => s === 'two');
      const frames = link.a.sent.filter((f) => f.ch === 'sync.events');
      expect(frames.length).toBeGreaterThanOrEqual(2);
      // replay both frames, newest first, straight into B's inbox handler
      const handler = link.b.handlers.get('sync.events')!;
      for (const f of [...frames].reverse()) await handler('cb', f);
      for (const f of frames) await handler('cb', f);
      await handler('cb', { ch: 'sync.events', events: [{ seq: 'x' }] }); // malformed: refused, no crash
      await settled();
      const updates = (await tracker(B).changes(null, 1000)).changes.filter((c) => c.op === 'update');
      expect(updates).toHaveLength(1);
      expect((await all(B)).map((x) => x.fields.summary)).toEqual(['two']);
    });

    it('an entity whose incoming rule throws is held with its error while the others flow; retry replays it, resolve skips it', async () => {
      await setup();
      B.rules.program = program(
        `if (replica.summary.startsWith('poison')) throw new Error('bad ' + replica.summary);\n${scriptMode.defaults().incoming}`,
      );
      await createTrigger(A.host.services.db, 'ca', {
        entityType: 'incident',
        query: 'priority != 5',
        active: true,
      });
      const bad = await create(A, 'poison 1');
      const good = await create(A, 'good 1');
      await arrived(B, good.id);
      await tracker(A).update(bad.id, { summary: 'poison 1b' }, { origin: 'local' });
      await tracker(A).update(good.id, { summary: 'good 2' }, { origin: 'local' });
      await arrived(B, good.id, (s) => s === 'good 2');
      const errs = await B.host.services.db.selectFrom('sync_errors').selectAll().execute();
      expect(errs).toHaveLength(1);
      expect(errs[0]).toMatchObject({
        level: 'entity',
        direction: 'in',
        remote_id: bad.id,
        script: 'incoming',
        script_line: 1,
        status: 'open',
      });
      expect(errs[0]!.message).toMatch(/bad poison 1/);
      const held = await B.host.services.db.selectFrom('sync_inbox').selectAll().orderBy('seq').execute();
      expect(held.map((r) => r.status)).toEqual(['failed', 'pending']); // its later event waits behind it
      // fix the rule and retry: both held events apply, in order
      B.rules.program = program();
      await B.engine.retryError(errs[0]!.id, 'admin-token');
      const fixed = await arrived(B, bad.id, (s) => s === 'poison 1b');
      expect(fixed.version).toBe(2);

      // resolve skips the failed event only
      B.rules.program = program(
        `if (replica.summary === 'skip me') throw new Error('no');\n${scriptMode.defaults().incoming}`,
      );
      await tracker(A).update(good.id, { summary: 'skip me' }, { origin: 'local' });
      const err2 = await waitFor(async () =>
        B.host.services.db
          .selectFrom('sync_errors')
          .selectAll()
          .where('status', '=', 'open')
          .executeTakeFirst(),
      );
      await tracker(A).update(good.id, { summary: 'after skip' }, { origin: 'local' });
      await settled(); // 'after skip' is in B's inbox, behind the failed event
      expect((await arrived(B, good.id)).fields.summary).toBe('good 2');
      await B.engine.resolveError(err2!.id, 'admin-token');
      await arrived(B, good.id, (s) => s === 'after skip');
    });

    it('a deactivated side keeps queueing both ways and catches up on activation', async () => {
      await setup();
      await createTrigger(A.host.services.db, 'ca', {
        entityType: 'incident',
        query: 'priority != 5',
        active: true,
      });
      await B.host.services.db.updateTable('connections').set({ state: 'deactivated' }).execute();
      const e = await create(A, 'while away');
      await waitFor(
        async () => (await B.host.services.db.selectFrom('sync_inbox').selectAll().execute()).length === 1,
      );
      await settled();
      expect(await all(B)).toEqual([]);
      await B.host.services.db.updateTable('connections').set({ state: 'active' }).execute();
      await arrived(B, e.id);
      // and the other way: A deactivated queues its outbox
      await A.host.services.db.updateTable('connections').set({ state: 'deactivated' }).execute();
      await tracker(A).update(e.id, { summary: 'queued' }, { origin: 'local' });
      await waitFor(
        async () => (await A.host.services.db.selectFrom('sync_outbox').selectAll().execute()).length === 1,
      );
      await settled();
      expect((await arrived(B, e.id)).fields.summary).toBe('while away');
      await A.host.services.db.updateTable('connections').set({ state: 'active' }).execute();
      await arrived(B, e.id, (s) => s === 'queued');
    });

    it('Basic: both sides edit at once while apart and converge, fields merged, no echo loop', async () => {
      const { e, there } = await basicTwins();
      link.set(false);
      await tracker(A).update(e.id, { summary: 'from A', status: 'in_progress' }, { origin: 'local' });
      // A's change is stamped when it is queued: B's edit comes later and wins the field both changed
      await waitFor(
        async () => (await A.host.services.db.selectFrom('sync_outbox').selectAll().execute()).length === 1,
      );
      await new Promise((r) => setTimeout(r, 20));
      await tracker(B).update(there.id, { summary: 'from B', priority: 1 }, { origin: 'local' });
      await waitFor(
        async () => (await B.host.services.db.selectFrom('sync_outbox').selectAll().execute()).length === 1,
      );
      link.set(true);
      const converged = async () => {
        const [a, b] = [await tracker(A).get(e.id), await tracker(B).get(there.id)];
        return a && b && JSON.stringify(a.fields) === JSON.stringify(b.fields) ? { a, b } : undefined;
      };
      const { a } = (await waitFor(converged).catch(async (err) => {
        const dump = async (s: Side, id: string) => ({
          e: (await tracker(s).get(id))?.fields,
          twin: await twinOf(s, id),
          inbox: await s.host.services.db.selectFrom('sync_inbox').selectAll().execute(),
          errors: await s.host.services.db.selectFrom('sync_errors').selectAll().execute(),
        });
        console.log('DUMP', JSON.stringify({ a: await dump(A, e.id), b: await dump(B, there.id) }, null, 1));
        throw err;
      }))!;
      expect(a.fields).toMatchObject({ summary: 'from B', status: 'in_progress', priority: 1 });
      const versions = [(await tracker(A).get(e.id))!.version, (await tracker(B).get(there.id))!.version];
      await settled();
      expect([(await tracker(A).get(e.id))!.version, (await tracker(B).get(there.id))!.version]).toEqual(
        versions,
      );
      expect(await converged()).toBeTruthy();
    });

    it('Basic: rounds of simultaneous edits on a live link always converge (an apply never swallows an unsent edit)', async () => {
      const { e, there } = await basicTwins();
      const converged = async () => {
        const [a, b] = [await tracker(A).get(e.id), await tracker(B).get(there.id)];
        return a && b && JSON.stringify(a.fields) === JSON.stringify(b.fields) ? a : undefined;
      };
      const jitter = () => new Promise((r) => setTimeout(r, Math.random() * 8));
      // A writes summary and description, B summary and priority, at random moments against each other:
      // a received change often lands between a local edit and its send.
      for (let round = 0; round < 10; round++) {
        for (let i = 0; i < 5; i++) {
          await Promise.all([
            jitter().then(() =>
              tracker(A).update(
                e.id,
                { summary: `A ${round}.${i}`, description: `A ${i}` },
                { origin: 'local' },
              ),
            ),
            jitter().then(() =>
              tracker(B).update(
                there.id,
                { summary: `B ${round}.${i}`, priority: 1 + (i % 3) },
                { origin: 'local' },
              ),
            ),
          ]);
        }
        const agreed = (await waitFor(converged, 10_000))!;
        expect(agreed.fields).toMatchObject({ description: 'A 4', priority: 2 }); // each side's last write of its own field
      }
    });

    it('manual sync, unsync and bulk sync are runs with counts and CSV items', async () => {
      await setup();
      const x = await create(A, 'by hand');
      const runId = await A.engine.syncEntities('ca', [x.id, 'missing-id']);
      await waitFor(async () => {
        const r = await A.host.services.db
          .selectFrom('sync_runs')
          .selectAll()
          .where('id', '=', runId)
          .executeTakeFirst();
        return r?.status === 'finished';
      });
      const run = await A.host.services.db
        .selectFrom('sync_runs')
        .selectAll()
        .where('id', '=', runId)
        .executeTakeFirstOrThrow();
      expect(run).toMatchObject({ kind: 'manual', processed: 2, created: 1, skipped: 1 });
      await arrived(B, x.id);
      // synced by hand: later edits follow without any trigger
      await tracker(A).update(x.id, { summary: 'by hand 2' }, { origin: 'local' });
      const twinX = await arrived(B, x.id, (s) => s === 'by hand 2');
      expect(await A.engine.unsync('ca', [x.id])).toBe(1);
      await waitFor(async () => !(await twinOf(B, twinX.id)));
      await tracker(A).update(x.id, { summary: 'not sent' }, { origin: 'local' });

      for (let i = 0; i < 3; i++) await create(A, `bulk ${i}`, { priority: 2 });
      const trig = await createTrigger(A.host.services.db, 'ca', {
        entityType: 'incident',
        query: 'summary ~ "bulk"',
        active: false,
      });
      const bulk = await A.engine.bulkSync(trig.id);
      await waitFor(async () => {
        const r = await A.host.services.db
          .selectFrom('sync_runs')
          .selectAll()
          .where('id', '=', bulk)
          .executeTakeFirst();
        return r?.status === 'finished' ? r : undefined;
      }).then((r) => expect(r).toMatchObject({ kind: 'bulk', processed: 3, created: 3, errors: 0 }));
      await waitFor(async () => (await all(B)).length === 4);
      expect((await all(B)).map((e) => e.fields.summary).sort()).toEqual([
        'bulk 0',
        'bulk 1',
        'bulk 2',
        'by hand 2',
      ]);
    });

    it('a connection whose step throws is held with a connection-level error; the others sync on', async () => {
      const real = sandbox;
      failingOn = {
        check: (p) => real.check(p),
        run: (id, p, calls, host) =>
          id === 'bad' ? Promise.reject(new Error('runner exploded')) : real.run(id, p, calls, host),
        dispose: (id) => real.dispose(id),
        close: () => real.close(),
      };
      link = memoryLink('ca', 'cb');
      // `bad` is older, so each step reaches it before `ca`.
      A = await side('ca', link.a, 'script', 'node-a', async (h) => {
        await insertConnection(h.services.db, 'bad', 'script');
        await h.services.db
          .updateTable('connections')
          .set({ created_at: '2000-01-01T00:00:00.000Z' })
          .where('id', '=', 'bad')
          .execute();
      });
      B = await side('cb', link.b, 'script', 'node-b');
      link.set(true);
      for (const conn of ['bad', 'ca'])
        await createTrigger(A.host.services.db, conn, {
          entityType: 'incident',
          query: 'priority != 5',
          active: true,
        });
      const first = await create(A, 'first');
      await arrived(B, first.id);
      const second = await create(A, 'second');
      await arrived(B, second.id);
      const errors = await A.host.services.db
        .selectFrom('sync_errors')
        .selectAll()
        .where('status', '=', 'open')
        .execute();
      expect(errors).toEqual([
        expect.objectContaining({
          level: 'connection',
          connection_id: 'bad',
          message: expect.stringContaining('runner exploded'),
        }),
      ]);
      // Retrying releases the hold at once: the step runs now, fails again, and one error is open again.
      await A.engine.retryError(errors[0]!.id, 'admin-token');
      await waitFor(async () => {
        const open = await A.host.services.db
          .selectFrom('sync_errors')
          .select('id')
          .where('status', '=', 'open')
          .execute();
        return open.length === 1 && open[0]!.id !== errors[0]!.id ? open : undefined;
      });
    });

    it('a twinned record deleted here is a deletion at the partner: Basic there keeps its entity, unlinked, and no change brings a second record', async () => {
      const { e, there } = await basicTwins();
      await tracker(B).delete(there.id, { origin: 'local' });
      const marked = await waitFor(async () =>
        A.host.services.db
          .selectFrom('sync_partner_deletions')
          .selectAll()
          .where('local_id', '=', e.id)
          .executeTakeFirst(),
      );
      expect(marked).toMatchObject({ connection_id: 'ca', remote_id: there.id });
      expect(await twinOf(A, e.id)).toBeUndefined();
      await tracker(A).update(e.id, { summary: 'after the delete' }, { origin: 'local' });
      await settled();
      expect((await tracker(A).get(e.id))?.fields.summary).toBe('after the delete');
      expect(await all(B)).toEqual([]);
      const errors = await A.host.services.db
        .selectFrom('sync_errors')
        .selectAll()
        .where('status', '=', 'open')
        .execute();
      expect(errors).toEqual([]);
    });
  });
