// The ServiceNow tracker's own promises on the fake: calls per read, outcomes, the version for the echo check, polling.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeServiceNow } from '../../../tests/support/fake-servicenow.ts';
import { startFakeServiceNow } from '../../../tests/support/fake-servicenow.ts';
import { FAKE_T0 } from '../../../tests/support/fake-servicenow-client.ts';
import type { Tracker } from '../tracker.ts';
import { createServiceNowClient } from './client.ts';
import { parseServiceNowConfig } from './config.ts';
import { createServiceNowTracker, type ServiceNowTracker } from './tracker.ts';

let sn: FakeServiceNow;
let tracker: ServiceNowTracker;
let clock: number;

beforeEach(async () => {
  sn = await startFakeServiceNow();
  sn.setNow(FAKE_T0);
  sn.addUser({ userName: 'tandem', password: 'pw', roles: ['itil'] });
  sn.addUser({ userName: 'ann', password: 'x', email: 'ann@example.com', name: 'Ann Lee' });
  const env = {
    TANDEM_SERVICENOW_URL: sn.url,
    TANDEM_SERVICENOW_USER: 'tandem',
    TANDEM_SERVICENOW_PASSWORD: 'pw',
  };
  const config = parseServiceNowConfig({ entityTypes: ['incident', 'problem'], pollMs: 5000 }, env);
  clock = FAKE_T0;
  const client = createServiceNowClient({
    instanceUrl: sn.url,
    credentials: config.credentials,
    sleep: async (ms) => sn.advance(ms),
    now: () => sn.now(),
    maxRateLimitWaitMs: 2000,
  });
  tracker = createServiceNowTracker({ config, client, now: () => clock });
});
afterEach(async () => {
  tracker.close();
  await sn.close();
});

const local = { origin: 'local' as const };

describe('the ServiceNow tracker', () => {
  it('reads a batch in one query per table plus one journal and one attachment query, and one table once the type is known', async () => {
    const a = sn.seed('incident', { short_description: 'A', comments: 'hello' }, 'ann');
    const b = sn.seed('problem', { short_description: 'B' });
    sn.clearRequests();
    const first = await tracker.getMany([a.sys_id!, b.sys_id!, 'not-a-sys-id']);
    expect([...first.keys()].sort()).toEqual([a.sys_id, b.sys_id].sort());
    expect(first.get(a.sys_id!)?.comments.map((c) => [c.author, c.body, c.internal])).toEqual([
      ['ann', 'hello', false],
    ]);
    expect(sn.callsByRoute()).toEqual({
      'GET /api/now/table/incident': 1,
      'GET /api/now/table/problem': 1,
      'GET /api/now/table/sys_journal_field': 1,
      'GET /api/now/attachment': 1,
    });
    sn.clearRequests();
    await tracker.getMany([a.sys_id!]);
    expect(sn.callsByRoute()).toEqual({
      'GET /api/now/table/incident': 1,
      'GET /api/now/table/sys_journal_field': 1,
      'GET /api/now/attachment': 1,
    });
  });

  it("reports each write's version as the record's sys_mod_count after it (the engine's echo check)", async () => {
    const made = await tracker.write({ op: 'create', type: 'incident', fields: { summary: 'Echo' } }, local);
    expect(made.outcome).toBe('applied');
    const id = made.outcome === 'applied' ? made.entity!.id : '';
    const updated = await tracker.write({ op: 'update', id, fields: { status: 'in_progress' } }, local);
    const commented = await tracker.write(
      { op: 'comment', id, comment: { body: 'Seen', author: 'Bo', internal: true } },
      { origin: 'connection:c1', idempotencyKey: 'c1:9' },
    );
    const versions = [made, updated, commented].map((r) =>
      r.outcome === 'applied' ? r.entity?.version : -1,
    );
    expect(versions).toEqual([0, 1, 2]);
    expect(sn.record('incident', id)).toMatchObject({ sys_mod_count: '2', state: '2' });
    expect(sn.journal(id).map((j) => j.value)).toEqual(['Seen\n[tandem:c1:9 by Bo]']);
    const page = await tracker.changes(null, 10);
    expect(page.changes).toEqual([
      { entityId: id, entityType: 'incident', op: 'update', version: 2, at: expect.any(String) },
    ]);
    // The same comment again (a replay after a crash, the key forgotten): the marker is found.
    const again = createServiceNowTracker({
      config: parseServiceNowConfig(
        {},
        { TANDEM_SERVICENOW_URL: sn.url, TANDEM_SERVICENOW_USER: 'tandem', TANDEM_SERVICENOW_PASSWORD: 'pw' },
      ),
      client: createServiceNowClient({
        instanceUrl: sn.url,
        credentials: { kind: 'basic', user: 'tandem', password: 'pw' },
      }),
    });
    const replay = await again.write(
      { op: 'comment', id, comment: { body: 'Seen', author: 'Bo', internal: true } },
      { origin: 'connection:c1', idempotencyKey: 'c1:9' },
    );
    expect(replay.outcome).toBe('replayed');
    expect(sn.journal(id)).toHaveLength(1);
  });

  it('answers not_found for a record deleted in ServiceNow, rejected naming the field, unavailable on a 429 storm', async () => {
    const rec = sn.seed('incident', { short_description: 'Gone soon' });
    const current = await tracker.get(rec.sys_id!);
    sn.remove('incident', rec.sys_id!);
    const gone = await tracker.write(
      { op: 'update', id: rec.sys_id!, fields: { summary: 'x' } },
      { ...local, current: current! },
    );
    expect(gone).toMatchObject({
      outcome: 'not_found',
      message: expect.stringContaining('deleted in ServiceNow'),
    });

    const other = sn.seed('incident', { short_description: 'Here' });
    const bad = await tracker.write(
      { op: 'update', id: other.sys_id!, fields: { status: 'Exploded', assignee: 'nobody@example.com' } },
      local,
    );
    expect(bad.outcome === 'rejected' && bad.issues.map((i) => i.path)).toEqual([
      'fields.status',
      'fields.assignee',
    ]);
    const assigned = await tracker.write(
      { op: 'update', id: other.sys_id!, fields: { assignee: 'ann@example.com' } },
      local,
    );
    expect(assigned).toMatchObject({
      outcome: 'applied',
      entity: { fields: { assignee: 'ann@example.com' } },
    });
    expect((await tracker.users.byEmail('ann@example.com'))?.fields).toMatchObject({ summary: 'Ann Lee' });

    sn.inject({ kind: 'rateLimit', count: Number.POSITIVE_INFINITY, retryAfterSeconds: 30 });
    const limited = await tracker.write({ op: 'update', id: other.sys_id!, fields: { summary: 'y' } }, local);
    expect(limited).toMatchObject({ outcome: 'unavailable', retryAfterMs: expect.any(Number) });
    expect(limited.outcome === 'unavailable' && limited.retryAfterMs).toBeGreaterThanOrEqual(1000);
    expect(tracker.status()).toMatchObject({ url: sn.url, rateLimitedUntil: expect.any(String) });
  });

  it('polls a caught-up cursor at most once per pollMs, unless woken', async () => {
    sn.seed('incident', { short_description: 'One' });
    const head = await tracker.head();
    expect((await tracker.changes(head, 10)).changes).toEqual([]);
    const polls = () => sn.calls('GET /api/now/table/incident') + sn.calls('GET /api/now/table/problem');
    const first = await tracker.changes(head, 10);
    const before = polls();
    sn.seed('incident', { short_description: 'Two' });
    expect((await tracker.changes(first.cursor, 10)).changes).toEqual([]);
    expect(polls()).toBe(before);
    clock += 5000;
    const due = await tracker.changes(first.cursor, 10);
    expect(due.changes).toHaveLength(1);
    sn.seed('incident', { short_description: 'Three' });
    tracker.wake();
    expect((await tracker.changes(due.cursor, 10)).changes).toHaveLength(1);
    expect(tracker.status()).toMatchObject({
      url: sn.url,
      lastPollAt: new Date(clock).toISOString(),
      calls: { total: expect.any(Number) },
    });
  });

  it('reports no poll while it follows no table: nothing was asked of the instance', async () => {
    tracker.follow([]);
    const before = sn.calls('GET /api/now/table/incident') + sn.calls('GET /api/now/table/problem');
    await tracker.changes(await tracker.head(), 10);
    expect(sn.calls('GET /api/now/table/incident') + sn.calls('GET /api/now/table/problem')).toBe(before);
    expect(tracker.status()).toMatchObject({ lastPollAt: null });
    tracker.follow([{ type: 'incident', since: new Date(clock).toISOString() }]);
    await tracker.changes(await tracker.head(), 10);
    expect(tracker.status()).toMatchObject({ lastPollAt: new Date(clock).toISOString() });
  });

  it("offers the table's states (by label, nothing else accepted) and priorities with their labels", async () => {
    // An instance whose incident states were changed: the list is read from sys_choice.
    sn.seed('sys_choice', {
      name: 'incident',
      element: 'state',
      value: '20',
      label: 'Awaiting Vendor',
      inactive: 'false',
      language: 'en',
      sequence: '250',
    });
    const fields = new Map((await tracker.fields('incident')).map((f) => [f.name, f] as const));
    const status = fields.get('status')!;
    expect(status.choicesOnly).toBe(true);
    expect(status.choices?.map((c) => c.value)).toEqual([
      'New',
      'In Progress',
      'On Hold',
      'Awaiting Vendor',
      'Resolved',
      'Closed',
      'Canceled',
    ]);
    expect(fields.get('priority')).toMatchObject({ choicesOnly: true });
    expect(fields.get('priority')?.choices?.[0]).toEqual({ value: 1, label: '1 - Critical' });
    expect(fields.get('summary')?.choices).toBeUndefined();
    expect(await tracker.fields('user')).toEqual([]);
  });
});

describe('a ServiceNow tracker without credentials', () => {
  it('reports them missing with the fix, half a pair as incomplete, and works once they are given', async () => {
    const config = parseServiceNowConfig({ entityTypes: ['incident'] }, { TANDEM_SERVICENOW_URL: sn.url });
    const bare = createServiceNowTracker({
      config,
      client: createServiceNowClient({ instanceUrl: sn.url, credentials: config.credentials }),
    });
    try {
      expect(await bare.health()).toEqual([
        expect.objectContaining({
          name: 'Credentials configured',
          ok: false,
          fix: expect.stringMatching(/General settings → Tracker/),
        }),
      ]);
      sn.clearRequests();
      await expect(bare.list({ limit: 1 })).rejects.toMatchObject({ code: 'SERVICENOW_UNAUTHORIZED' });
      expect(sn.requests()).toEqual([]);
      // Without credentials the choice lists cannot be read: the fields come without them.
      expect((await bare.fields('incident')).find((f) => f.name === 'status')?.choices).toBeUndefined();

      // Half a pair is none yet, as at start: the check names what is missing.
      bare.reconfigure({ TANDEM_SERVICENOW_USER: 'tandem' });
      expect(await bare.health()).toEqual([
        expect.objectContaining({
          name: 'Credentials configured',
          ok: false,
          detail: expect.stringMatching(/incomplete: TANDEM_SERVICENOW_PASSWORD must be set with/),
        }),
      ]);
      bare.reconfigure({ TANDEM_SERVICENOW_USER: 'tandem', TANDEM_SERVICENOW_PASSWORD: 'pw' });
      expect((await bare.health()).every((c) => c.ok)).toBe(true);
      const rec = sn.seed('incident', { short_description: 'Now readable' });
      expect((await bare.get(rec.sys_id!))?.fields.summary).toBe('Now readable');
      bare.reconfigure({});
      await expect(bare.get(rec.sys_id!)).rejects.toMatchObject({ code: 'SERVICENOW_UNAUTHORIZED' });
    } finally {
      bare.close();
    }
  });
});

describe('ServiceNow attachments (the Attachment API)', () => {
  async function* bytes(b: Buffer) {
    yield b.subarray(0, 3);
    yield b.subarray(3);
  }
  const read = async (it: AsyncIterable<Uint8Array>) => {
    const parts: Uint8Array[] = [];
    for await (const p of it) parts.push(p);
    return Buffer.concat(parts);
  };

  it('uploads a file streamed to the record, lists it on the entity, downloads and deletes it', async () => {
    const rec = sn.seed('incident', { short_description: 'With a file' });
    const file = Buffer.from('%PDF-1.7 not really');
    const added = await tracker.attachments.add(
      rec.sys_id!,
      { filename: 'report.pdf', contentType: 'application/pdf', internal: false, content: bytes(file) },
      local,
    );
    expect(added).toMatchObject({
      filename: 'report.pdf',
      contentType: 'application/pdf',
      size: file.length,
      internal: false,
    });
    expect(added.sha256).toMatch(/^[0-9a-f]{64}$/);
    const [stored] = sn.attachments();
    expect(stored).toMatchObject({
      table_name: 'incident',
      table_sys_id: rec.sys_id,
      file_name: 'report.pdf',
    });
    expect(stored!.data.equals(file)).toBe(true);
    expect(sn.requests().some((r) => r.route === 'POST /api/now/attachment/file')).toBe(true);

    expect((await tracker.get(rec.sys_id!))?.attachments).toEqual([added]);
    expect(await tracker.attachments.get(added.id)).toEqual({ entityId: rec.sys_id, attachment: added });
    expect((await read(await tracker.attachments.open(added.id))).equals(file)).toBe(true);
    await tracker.attachments.remove(added.id, local);
    expect(sn.attachments()).toEqual([]);
    expect(await tracker.attachments.list(rec.sys_id!)).toEqual([]);
    await expect(tracker.attachments.remove(added.id, local)).rejects.toMatchObject({
      code: 'SERVICENOW_NOT_FOUND',
    });
  });

  it("a file over the instance's size limit is refused with ServiceNow's message", async () => {
    const rec = sn.seed('incident', { short_description: 'Too big' });
    sn.setMaxAttachmentBytes(4);
    await expect(
      tracker.attachments.add(
        rec.sys_id!,
        {
          filename: 'big.bin',
          contentType: 'application/octet-stream',
          internal: false,
          content: bytes(Buffer.from('0123456789')),
        },
        local,
      ),
    ).rejects.toThrow(/too large/);
    expect(sn.attachments()).toEqual([]);
  });

  it('journal entries cannot be edited or deleted: the tracker says so by having no comment edits', () => {
    expect((tracker as Tracker).commentEdits).toBeUndefined();
  });
});
