// Content sync through two engines over an in-memory link: deletions under Script rules, attachments whose bytes
// arrive corrupted or not at all, links to items that never come, and ids through the twins in both directions.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scriptMode } from '../../../modes/script/script-mode.ts';
import { memoryLink } from '../../../tests/support/engine-pair.ts';
import { waitFor } from '../../../tests/support/host-process.ts';
import { type InProcessHost, inProcessHost, insertConnection } from '../../../tests/support/in-process.ts';
import type { BlobStore } from '../../blobs/blob-store.ts';
import type { LinkFrame, LinkHub } from '../../link/link-hub.ts';
import { createSandbox, type ManagedSandbox } from '../../sandbox/create-sandbox.ts';
import type { Entity } from '../../trackers/tracker.ts';
import { createSyncEngine, type SyncEngine } from '../engine.ts';
import { createTrigger } from '../triggers.ts';

interface Side {
  host: InProcessHost;
  engine: SyncEngine;
  rules: { outgoing: string; incoming: string };
}

let sandbox: ManagedSandbox;
let link: ReturnType<typeof memoryLink>;
let A: Side;
let B: Side;

async function side(conn: string, hub: LinkHub, nodeId: string): Promise<Side> {
  const host = await inProcessHost();
  await insertConnection(host.services.db, conn, 'script');
  const rules = { ...scriptMode.defaults() };
  const engine = await startEngine(host, hub, nodeId, rules, host.services.blobs);
  return { host, engine, rules };
}

async function startEngine(
  host: InProcessHost,
  hub: LinkHub,
  nodeId: string,
  rules: Side['rules'],
  blobs: BlobStore,
): Promise<SyncEngine> {
  const engine = createSyncEngine({
    db: host.services.db,
    tracker: host.services.tracker,
    log: host.services.log,
    nodeId,
    link: () => hub,
    rules: () => ({
      program: async () => ({ version: `v-${rules.outgoing.length}-${rules.incoming.length}`, ...rules }),
    }),
    sandbox: () => sandbox,
    tickMs: 50,
    content: {
      blobs,
      maxAttachmentBytes: 10 * 1024 * 1024,
      referenceWaitMs: 400,
      backoffMs: () => 20,
    },
  });
  await engine.start();
  return engine;
}

beforeEach(async () => {
  sandbox = createSandbox({ timeoutMs: 1000 });
  link = memoryLink('ca', 'cb');
  A = await side('ca', link.a, 'node-a');
  B = await side('cb', link.b, 'node-b');
  await createTrigger(A.host.services.db, 'ca', {
    entityType: 'incident',
    query: 'priority != 5',
    active: true,
  });
  link.set(true);
});
afterEach(async () => {
  link.set(false);
  for (const s of [A, B]) {
    await s.engine.stop();
    await s.host.close();
  }
  await sandbox.close();
});

const tracker = (s: Side) => s.host.services.tracker;
const db = (s: Side) => s.host.services.db;

async function twinOnB(aId: string, pred: (e: Entity) => boolean = () => true): Promise<Entity> {
  return waitFor(async () => {
    const t = await db(B)
      .selectFrom('sync_twins')
      .select('local_id')
      .where('remote_id', '=', aId)
      .executeTakeFirst();
    const e = t && (await tracker(B).get(t.local_id));
    return e && pred(e) ? e : undefined;
  }, 10_000) as Promise<Entity>;
}

async function* bytesOf(text: string) {
  yield Buffer.from(text);
}

describe('deletions under Script rules', () => {
  it('helpers.entity.delete() deletes the local entity when the partner deleted its own', async () => {
    B.rules.incoming = `${B.rules.incoming}\nif (replica.deleted) helpers.entity.delete();`;
    const e = await tracker(A).create(
      { type: 'incident', fields: { summary: 'doomed' } },
      { origin: 'local' },
    );
    const there = await twinOnB(e.id);
    await tracker(A).delete(e.id, { origin: 'local' });
    await waitFor(async () => !(await tracker(B).get(there.id)));
    expect(await db(B).selectFrom('sync_partner_deletions').selectAll().execute()).toEqual([]);
    expect(await db(B).selectFrom('sync_twins').selectAll().execute()).toEqual([]);
  });

  it('a rule may close the entity instead: it is kept, unlinked and marked deleted at partner', async () => {
    B.rules.incoming = `if (replica.deleted) { entity.status = 'closed'; return; }\n${B.rules.incoming}`;
    const e = await tracker(A).create(
      { type: 'incident', fields: { summary: 'to close' } },
      { origin: 'local' },
    );
    const there = await twinOnB(e.id);
    await tracker(A).delete(e.id, { origin: 'local' });
    await waitFor(async () => (await tracker(B).get(there.id))?.fields.status === 'closed');
    const marked = await db(B).selectFrom('sync_partner_deletions').selectAll().execute();
    expect(marked).toEqual([expect.objectContaining({ local_id: there.id, remote_id: e.id })]);
  });
});

describe('attachments whose transfer goes wrong', () => {
  it('bytes that do not hash to the SHA-256 are discarded and asked for again', async () => {
    let corrupted = 0;
    link.a.tap = (f: LinkFrame) => {
      if (f.ch === 'sync.blobs' && f.t === 'chunk' && corrupted === 0) {
        corrupted++;
        const data = Buffer.from(String(f.data), 'base64');
        data[0] = (data[0] ?? 0) ^ 0xff;
        return [{ ...f, data: data.toString('base64') }];
      }
      return [f];
    };
    const e = await tracker(A).create(
      { type: 'incident', fields: { summary: 'with a file' } },
      { origin: 'local' },
    );
    await twinOnB(e.id);
    await tracker(A).attachments!.add(
      e.id,
      { filename: 'a.txt', contentType: 'text/plain', internal: false, content: bytesOf('the right bytes') },
      { origin: 'local' },
    );
    const there = await twinOnB(e.id, (x) => (x.attachments ?? []).length === 1);
    expect(corrupted).toBe(1);
    const chunks: Buffer[] = [];
    for await (const c of await tracker(B).attachments!.open(there.attachments![0]!.id))
      chunks.push(Buffer.from(c));
    expect(Buffer.concat(chunks).toString()).toBe('the right bytes');
    const asks = link.b.sent.filter((f) => f.ch === 'sync.blobs' && f.t === 'want');
    expect(asks).toHaveLength(2);
  });

  it('received bytes are checked once, however long the check takes while rounds go on', async () => {
    // B's check of the received bytes is held until a second check starts, or for 20 rounds (50 ms each): a
    // round during the first check must not start another one of the same bytes, which would read them while
    // the first renames them and fail the transfer.
    await B.engine.stop();
    const store = B.host.services.blobs;
    let checks = 0;
    let second!: () => void;
    const secondCheck = new Promise<void>((resolve) => {
      second = resolve;
    });
    const slow: BlobStore = {
      ...store,
      async completePartial(sha256) {
        checks++;
        if (checks === 1) await Promise.race([secondCheck, waitFor(() => false, 1000).catch(() => {})]);
        else second();
        return store.completePartial(sha256);
      },
    };
    B.engine = await startEngine(B.host, link.b, 'node-b', B.rules, slow);
    const e = await tracker(A).create(
      { type: 'incident', fields: { summary: 'with a file' } },
      { origin: 'local' },
    );
    await twinOnB(e.id);
    await tracker(A).attachments!.add(
      e.id,
      { filename: 'a.txt', contentType: 'text/plain', internal: false, content: bytesOf('checked once') },
      { origin: 'local' },
    );
    const there = await twinOnB(e.id, (x) => (x.attachments ?? []).length === 1);
    expect(checks).toBe(1);
    expect(link.b.sent.filter((f) => f.ch === 'sync.blobs' && f.t === 'want')).toHaveLength(1);
    expect(await db(B).selectFrom('sync_errors').selectAll().execute()).toEqual([]);
    expect(there.attachments![0]!.filename).toBe('a.txt');
  });

  it('an ask that could not be sent (the link dropped while it was made) is made again at once', async () => {
    // B's first ask finds the link gone at the moment it is sent, after its link-down was handled: the
    // transfer must not be left running with nothing behind it until the 30 s stall timeout.
    await B.engine.stop();
    let dropped = 0;
    const flaky: LinkHub = {
      isUp: () => link.b.isUp(),
      bufferedAmount: () => link.b.bufferedAmount(),
      handle: (ch, h) => link.b.handle(ch, h),
      onStatus: (l) => link.b.onStatus(l),
      send(id, frame) {
        if (frame.ch === 'sync.blobs' && frame.t === 'want' && dropped === 0) {
          dropped++;
          return false;
        }
        return link.b.send(id, frame);
      },
    };
    B.engine = await startEngine(B.host, flaky, 'node-b', B.rules, B.host.services.blobs);
    const e = await tracker(A).create(
      { type: 'incident', fields: { summary: 'with a file' } },
      { origin: 'local' },
    );
    await twinOnB(e.id);
    await tracker(A).attachments!.add(
      e.id,
      { filename: 'a.txt', contentType: 'text/plain', internal: false, content: bytesOf('asked twice') },
      { origin: 'local' },
    );
    const there = await twinOnB(e.id, (x) => (x.attachments ?? []).length === 1);
    expect(dropped).toBe(1);
    expect(there.attachments![0]!.filename).toBe('a.txt');
    expect(await db(B).selectFrom('sync_errors').selectAll().execute()).toEqual([]);
  });

  it('a transfer that keeps failing becomes an entity error naming the file, after the retries', async () => {
    link.a.tap = (f: LinkFrame) =>
      f.ch === 'sync.blobs' && f.t === 'chunk'
        ? [{ ...f, data: Buffer.from('garbage').toString('base64') }]
        : [f];
    const e = await tracker(A).create(
      { type: 'incident', fields: { summary: 'cursed file' } },
      { origin: 'local' },
    );
    const there = await twinOnB(e.id);
    await tracker(A).attachments!.add(
      e.id,
      {
        filename: 'report.pdf',
        contentType: 'application/pdf',
        internal: false,
        content: bytesOf('x'.repeat(50)),
      },
      { origin: 'local' },
    );
    const error = await waitFor(() =>
      db(B).selectFrom('sync_errors').selectAll().where('entity_id', '=', there.id).executeTakeFirst(),
    );
    expect(error?.message).toMatch(
      /attachment "report\.pdf" \(50 bytes\) could not be received from the partner after 5 attempts/,
    );
    expect(link.b.sent.filter((f) => f.ch === 'sync.blobs' && f.t === 'want')).toHaveLength(5);
    expect(await db(B).selectFrom('sync_attachment_wants').selectAll().execute()).toEqual([]);
  });

  it('the side that has a blob sends only what it offered the partner', async () => {
    const e = await tracker(A).create(
      { type: 'incident', fields: { summary: 'secret file' } },
      { origin: 'local' },
    );
    const secret = await tracker(A).attachments!.add(
      e.id,
      { filename: 's.txt', contentType: 'text/plain', internal: true, content: bytesOf('top secret') },
      { origin: 'local' },
    );
    await twinOnB(e.id);
    const replies: LinkFrame[] = [];
    const handler = link.b.handlers.get('sync.blobs');
    link.b.handlers.set('sync.blobs', async (id, f) => {
      replies.push(f);
      await handler?.(id, f);
    });
    link.b.send('cb', { ch: 'sync.blobs', t: 'want', sha256: secret.sha256, offset: 0 });
    await waitFor(() => replies.length > 0);
    expect(replies).toEqual([expect.objectContaining({ t: 'missing', sha256: secret.sha256 })]);
  });
});

describe('links between items', () => {
  it('an event waiting for an item that never comes becomes an entity error naming it', async () => {
    B.rules.incoming = `${B.rules.incoming}\nif (replica.problem !== undefined) entity.problem = helpers.twins.localId(replica.problem);`;
    A.rules.outgoing = `${A.rules.outgoing}\nreplica.problem = entity.problem;`;
    const problem = await tracker(A).create(
      { type: 'problem', fields: { summary: 'never sent' } },
      { origin: 'local' },
    );
    await tracker(A).create(
      { type: 'incident', fields: { summary: 'waits', problem: problem.id } },
      { origin: 'local' },
    );
    const error = await waitFor(
      () => db(B).selectFrom('sync_errors').selectAll().where('status', '=', 'open').executeTakeFirst(),
      10_000,
    );
    expect(error?.message).toContain(`the partner's item ${problem.id}`);
    expect(error?.message).toContain('has not arrived here');
    expect((await tracker(B).list({ limit: 10 })).items).toEqual([]);
    // The sending side hears of it as the partner's error, like any failure there.
    const atPeer = await waitFor(() =>
      db(A).selectFrom('sync_errors').selectAll().where('side', '=', 'peer').executeTakeFirst(),
    );
    expect(atPeer?.message).toContain('has not arrived here');
  });

  it("helpers.twins.remoteId gives the partner's id of a twinned entity, null otherwise", async () => {
    A.rules.outgoing = `${A.rules.outgoing}\nreplica.parentThere = helpers.twins.remoteId(entity.parent);\nreplica.many = helpers.twins.remoteId(entity.many);`;
    B.rules.incoming = `${B.rules.incoming}\nentity.parentThere = replica.parentThere;\nentity.many = replica.many;`;
    const parent = await tracker(A).create(
      { type: 'incident', fields: { summary: 'parent' } },
      { origin: 'local' },
    );
    const parentThere = await twinOnB(parent.id);
    await waitFor(async () => {
      const t = await db(A)
        .selectFrom('sync_twins')
        .select('remote_id')
        .where('local_id', '=', parent.id)
        .executeTakeFirst();
      return t?.remote_id;
    });
    const child = await tracker(A).create(
      { type: 'incident', fields: { summary: 'child', parent: parent.id, many: [parent.id, 'nowhere'] } },
      { origin: 'local' },
    );
    const there = await twinOnB(child.id);
    expect(there.fields.parentThere).toBe(parentThere.id);
    expect(there.fields.many).toEqual([parentThere.id]);
  });
});
