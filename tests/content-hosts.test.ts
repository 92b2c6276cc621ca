// Content between real host processes (Basic, B dialling A through a TCP proxy): attachments across a cut link,
// one transfer per blob, internal ones kept home, comment edits and deletions, deletions, links between items.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEntity, type Entity, getEntity } from './support/entities.ts';
import { hostHasBlob } from './support/host-blobs.ts';
import { type HostProcess, stopAllHosts, waitFor } from './support/host-process.ts';
import { type SyncPair, syncAllIncidents, syncPair } from './support/sync.ts';
import { TEST_DIALECT } from './support/test-postgres.ts';

interface Attachment {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  internal: boolean;
}
type WithFiles = Entity & { attachments: Attachment[] };

let pair: SyncPair;

beforeAll(async () => {
  pair = await syncPair({ mode: 'basic', proxy: true });
  await syncAllIncidents(pair.a, pair.aConn);
});
afterAll(async () => {
  await pair?.proxy?.close();
  await stopAllHosts();
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function upload(h: HostProcess, entityId: string, bytes: Buffer, name: string, internal = false) {
  const res = await fetch(
    `${h.url}/api/entities/${entityId}/attachments?filename=${encodeURIComponent(name)}${internal ? '&internal=true' : ''}`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/octet-stream' },
      body: bytes as unknown as BodyInit,
    },
  );
  expect(res.status).toBe(201);
  return (await res.json()) as Attachment;
}

async function download(h: HostProcess, attachmentId: string): Promise<Buffer> {
  const res = await fetch(`${h.url}/api/attachments/${attachmentId}/content`, {
    headers: { authorization: `Bearer ${h.token}` },
  });
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

/** B's twin of A's entity, once `pred` holds for it. */
// Files cross slower through PostgreSQL's chunk rows than through SQLite's files on a busy machine.
const TWIN_WAIT_MS = TEST_DIALECT === 'postgres' ? 40_000 : 20_000;

async function twinOnB(aId: string, pred: (e: WithFiles) => boolean = () => true, timeoutMs = TWIN_WAIT_MS) {
  return waitFor(async () => {
    const twins = await pair.a.api<{ items: Array<{ remoteId: string | null }> }>(
      'GET',
      `/api/entities/${aId}/sync`,
    );
    const remote = twins.body.items[0]?.remoteId;
    if (!remote) return undefined;
    const e = (await getEntity(pair.b, remote)) as WithFiles | undefined;
    return e && pred(e) ? e : undefined;
  }, timeoutMs) as Promise<WithFiles>;
}

describe('attachments over the link', () => {
  it('a 50 MB attachment crosses a link cut mid-transfer and arrives intact, resumed rather than started over', async () => {
    const incident = await createEntity(pair.a, { summary: 'big file' });
    await twinOnB(incident.id);
    const bytes = randomBytes(50 * 1024 * 1024);
    const proxy = pair.proxy!;
    const before = proxy.toDialer();
    const file = await upload(pair.a, incident.id, bytes, 'dump.bin');
    expect(file).toMatchObject({ size: bytes.length, sha256: sha(bytes), internal: false });
    // A fifth of it (base64 on the wire) has crossed: cut every socket.
    await waitFor(() => proxy.toDialer() - before > 14 * 1024 * 1024, 20_000, 5);
    expect(proxy.cut()).toBeGreaterThan(0);
    const atCut = proxy.toDialer();
    const there = await twinOnB(incident.id, (e) => e.attachments.length === 1, 30_000);
    const afterCut = proxy.toDialer() - atCut;
    const wholeOnTheWire = (bytes.length * 4) / 3;
    expect(afterCut).toBeGreaterThan(wholeOnTheWire * 0.3); // cut mid-transfer...
    expect(afterCut).toBeLessThan(wholeOnTheWire * 0.85); // ...then the rest, not all of it again
    expect(there.attachments[0]).toMatchObject({
      filename: 'dump.bin',
      size: bytes.length,
      sha256: sha(bytes),
    });
    expect(sha(await download(pair.b, there.attachments[0]!.id))).toBe(sha(bytes));
  }, 60_000);

  it('the same file on two entities crosses once, and an internal attachment stays home', async () => {
    const one = await createEntity(pair.a, { summary: 'same file 1' });
    const two = await createEntity(pair.a, { summary: 'same file 2' });
    await twinOnB(one.id);
    await twinOnB(two.id);
    const bytes = randomBytes(3 * 1024 * 1024);
    const before = pair.proxy!.toDialer();
    await upload(pair.a, one.id, bytes, 'shared.bin');
    await upload(pair.a, two.id, bytes, 'shared-copy.bin');
    await upload(pair.a, two.id, Buffer.from('for our eyes only'), 'notes.txt', true);
    const [b1, b2] = [
      await twinOnB(one.id, (e) => e.attachments.length === 1),
      await twinOnB(two.id, (e) => e.attachments.length === 1),
    ];
    expect(b1.attachments[0]?.sha256).toBe(sha(bytes));
    expect(b2.attachments.map((a) => a.filename)).toEqual(['shared-copy.bin']);
    expect(pair.proxy!.toDialer() - before).toBeLessThan(((bytes.length * 4) / 3) * 1.5);
    // A later change reaches B: the internal attachment still did not.
    await pair.a.api('PATCH', `/api/entities/${two.id}`, { fields: { summary: 'same file 2, later' } });
    const later = await twinOnB(two.id, (e) => e.fields.summary === 'same file 2, later');
    expect(later.attachments.map((a) => a.filename)).toEqual(['shared-copy.bin']);
  }, 60_000);

  it('removing an attachment removes its copy at the partner', async () => {
    const e = await createEntity(pair.a, { summary: 'file to remove' });
    const file = await upload(pair.a, e.id, Buffer.from('short-lived'), 'gone.txt');
    await twinOnB(e.id, (x) => x.attachments.length === 1);
    expect(await hostHasBlob(pair.b.dataDir, file.sha256)).toBe(true);
    const r = await fetch(`${pair.a.url}/api/attachments/${file.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${pair.a.token}` },
    });
    expect(r.status).toBe(204);
    await twinOnB(e.id, (x) => x.attachments.length === 0);
    // The copy's bytes go too, once nothing uses them.
    await waitFor(async () => !(await hostHasBlob(pair.b.dataDir, file.sha256)), 10_000);
  }, 30_000);
});

describe('comments, deletions and links', () => {
  it('a comment edit and a comment deletion reach the twinned comment', async () => {
    const e = await createEntity(pair.a, { summary: 'commented' });
    const withComment = await pair.a.api<Entity>('POST', `/api/entities/${e.id}/comments`, {
      body: 'Frist!',
    });
    const commentId = withComment.body.comments[0]!.id;
    await twinOnB(e.id, (x) => x.comments.some((c) => c.body === 'Frist!'));
    const edited = await pair.a.api('PATCH', `/api/entities/${e.id}/comments/${commentId}`, {
      body: 'First!',
    });
    expect(edited.status).toBe(200);
    const there = await twinOnB(e.id, (x) => x.comments.some((c) => c.body === 'First!'));
    expect(there.comments.map((c) => c.body)).toEqual(['First!']);
    const deleted = await pair.a.api('DELETE', `/api/entities/${e.id}/comments/${commentId}`);
    expect(deleted.status).toBe(200);
    await twinOnB(e.id, (x) => x.comments.length === 0);
  }, 30_000);

  it('an entity deleted on one side is kept, unlinked and marked deleted at partner, on the Basic side', async () => {
    const e = await createEntity(pair.a, { summary: 'to be deleted' });
    const there = await twinOnB(e.id);
    expect((await pair.a.api('DELETE', `/api/entities/${e.id}`)).status).toBe(204);
    const twins = await waitFor(async () => {
      const r = await pair.b.api<{ items: Array<Record<string, unknown>> }>(
        'GET',
        `/api/entities/${there.id}/sync`,
      );
      return r.body.items.some((t) => t.deletedAtPartner === true) ? r.body.items : undefined;
    }, 15_000);
    expect(twins).toEqual([
      expect.objectContaining({ status: 'unlinked', deletedAtPartner: true, remoteId: e.id }),
    ]);
    expect((await getEntity(pair.b, there.id))?.fields.summary).toBe('to be deleted');
  }, 30_000);

  it("an incident sent before its problem arrives linked to the problem's twin", async () => {
    // Only incidents are in scope: the problem goes by hand, after the incident.
    const problem = await createEntity(pair.a, { summary: 'root cause' }, 'problem');
    const incident = await createEntity(pair.a, { summary: 'symptom', problem: problem.id });
    // The incident waits at B for the problem it refers to.
    await waitFor(async () => {
      const q = await pair.b.api<{ items: unknown[] }>(
        'GET',
        `/api/connections/${pair.bConn}/queue?direction=in`,
      );
      return q.body.items.length > 0;
    }, 15_000);
    const sync = await pair.a.api('POST', `/api/connections/${pair.aConn}/sync`, { entityIds: [problem.id] });
    expect(sync.status).toBeLessThan(300);
    const there = await twinOnB(incident.id, (x) => typeof x.fields.problem === 'string');
    const problemThere = await twinOnB(problem.id);
    expect(there.fields.problem).toBe(problemThere.id);
  }, 30_000);
});
