// The polling change feed against the fake's clock: same-second changes, repeated updates, overlap, resumption, own writes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeServiceNow } from '../../../tests/support/fake-servicenow.ts';
import { FAKE_T0, fakeInstanceWithClient } from '../../../tests/support/fake-servicenow-client.ts';
import {
  type ChangeFeed,
  createChangeFeed,
  createRecentWrites,
  decodeCursor,
  isOwnWrite,
  startCursor,
} from './change-feed.ts';
import type { ServiceNowClient } from './client.ts';
import { storedValue } from './schemas.ts';

const T0 = FAKE_T0;
let sn: FakeServiceNow;
let client: ServiceNowClient;
let feed: ChangeFeed;

beforeEach(async () => {
  ({ sn, client } = await fakeInstanceWithClient());
  feed = createChangeFeed({
    client,
    overlapMs: 5000,
    readOptions: () => ({ fields: ['number', 'short_description'] }),
  });
});
afterEach(async () => sn.close());

const versions = (r: { changes: { sysId: string; modCount: number }[] }) =>
  r.changes.map((c) => `${c.sysId}:${c.modCount}`);

describe('ServiceNow change feed', () => {
  it('reports two records changed in the same second, across two polls, each once', async () => {
    const a = sn.seed('incident', { short_description: 'a' });
    const first = await feed.poll(null, ['incident']);
    expect(versions(first)).toEqual([`${a.sys_id}:0`]);
    expect(first.changes[0]).toMatchObject({ table: 'incident', updatedOn: '2026-03-01T12:00:00.000Z' });
    expect(storedValue(first.changes[0]!.record.short_description)).toBe('a');
    sn.advance(400); // still 12:00:00
    const b = sn.seed('incident', { short_description: 'b' });
    const second = await feed.poll(first.cursor, ['incident']);
    expect(versions(second)).toEqual([`${b.sys_id}:0`]);
    expect(second.read).toBe(2);
    expect((await feed.poll(second.cursor, ['incident'])).changes).toEqual([]);
  });

  it('reports both versions of a record updated twice, once each', async () => {
    const a = sn.seed('incident', { short_description: 'a' });
    let r = await feed.poll(null, ['incident']);
    sn.update('incident', a.sys_id!, { short_description: 'a1' });
    r = await feed.poll(r.cursor, ['incident']);
    expect(versions(r)).toEqual([`${a.sys_id}:1`]);
    sn.advance(1000);
    sn.update('incident', a.sys_id!, { short_description: 'a2' });
    r = await feed.poll(r.cursor, ['incident']);
    expect(versions(r)).toEqual([`${a.sys_id}:2`]);
    expect(storedValue(r.changes[0]!.record.short_description)).toBe('a2');
    expect((await feed.poll(r.cursor, ['incident'])).changes).toEqual([]);
  });

  it('re-reads the overlap but never re-reports it, and catches a change committed late inside it', async () => {
    const ids = [1, 2, 3].map((i) => {
      sn.advance(1000);
      return sn.seed('incident', { short_description: `r${i}` }).sys_id!;
    });
    let r = await feed.poll(null, ['incident']);
    expect(r.changes.map((c) => c.sysId)).toEqual(ids);
    sn.advance(2000);
    r = await feed.poll(r.cursor, ['incident']);
    expect(r).toMatchObject({ changes: [], read: 3 });
    // A transaction stamped 3 s before the newest change commits only now: inside the overlap, so seen.
    sn.setNow(T0 + 1000);
    const late = sn.seed('incident', { short_description: 'late' }).sys_id!;
    sn.setNow(T0 + 6000);
    r = await feed.poll(r.cursor, ['incident']);
    expect(r.changes.map((c) => c.sysId)).toEqual([late]);
    // The cursor keeps only the versions inside the overlap window.
    sn.advance(20_000);
    const c = sn.seed('incident', {}).sys_id!;
    r = await feed.poll(r.cursor, ['incident']);
    expect(r.changes.map((x) => x.sysId)).toEqual([c]);
    expect(decodeCursor(r.cursor).incident!.seen.map(([id]) => id)).toEqual([c]);
  });

  it('pages by (sys_updated_on, sys_id) with the documented query, and resumes from a cursor after a limit', async () => {
    const paged = createChangeFeed({ client, overlapMs: 5000, pageSize: 2 });
    const ids = Array.from({ length: 5 }, () => sn.seed('incident', {}).sys_id!);
    const part = await paged.poll(null, ['incident'], { limit: 2 });
    expect(part.more).toBe(true);
    expect(part.changes).toHaveLength(2);
    sn.advance(1000);
    ids.push(sn.seed('incident', {}).sys_id!);
    const rest = await paged.poll(part.cursor, ['incident']);
    expect(rest.more).toBe(false);
    expect([...part.changes, ...rest.changes].map((c) => c.sysId)).toEqual([
      ...ids.slice(0, 5).sort(),
      ids[5],
    ]);
    const queries = sn
      .requests()
      .filter((q) => q.route === 'GET /api/now/table/incident')
      .map((q) => q.path);
    expect(queries.length).toBeGreaterThan(2);
    expect(sn.invalidQueryParts()).toEqual([]);
  });

  it('an interrupted poll throws and a poll from the same cursor reports everything once', async () => {
    const inc = sn.seed('incident', {}).sys_id!;
    const prb = sn.seed('problem', {}).sys_id!;
    sn.inject({ kind: 'error', status: 400, path: '/api/now/table/problem' });
    await expect(feed.poll(null, ['incident', 'problem'])).rejects.toMatchObject({
      code: 'SERVICENOW_REJECTED',
    });
    const r = await feed.poll(null, ['incident', 'problem']);
    expect(r.changes.map((c) => [c.table, c.sysId])).toEqual([
      ['incident', inc],
      ['problem', prb],
    ]);
  });

  it('polls only the tables asked for and keeps the others in the cursor', async () => {
    sn.seed('incident', {});
    sn.seed('problem', {});
    const r = await feed.poll(startCursor(['problem'], T0 - 60_000), ['incident']);
    expect(r.changes.map((c) => c.table)).toEqual(['incident']);
    expect(sn.calls('GET /api/now/table/problem')).toBe(0);
    expect(Object.keys(decodeCursor(r.cursor)).sort()).toEqual(['incident', 'problem']);
    expect((await feed.poll(r.cursor, ['problem'])).changes.map((c) => c.table)).toEqual(['problem']);
    expect((await feed.poll(startCursor(['incident'], T0 + 6000), ['incident'])).changes).toEqual([]);
    expect(() => decodeCursor('not-a-cursor')).toThrow(/not one this connector made/);
  });

  it('starts a table the cursor has no position for at the time given, and can drop the tables not asked', async () => {
    sn.seed('problem', { short_description: 'before' });
    sn.advance(60_000);
    sn.seed('problem', { short_description: 'after' });
    const inc = sn.seed('incident', {});
    const first = await feed.poll(null, ['incident']);
    expect(first.changes.map((c) => c.sysId)).toEqual([inc.sys_id]);
    // The problem table becomes needed 30 s before the second record: only that one is read.
    const starts = new Map([['problem', T0 + 30_000]]);
    const r = await feed.poll(first.cursor, ['problem'], { starts, dropOthers: true });
    expect(r.changes.map((c) => storedValue(c.record.short_description))).toEqual(['after']);
    expect(Object.keys(decodeCursor(r.cursor))).toEqual(['problem']);
    // A table with nothing since its start keeps that start as its position.
    const empty = await feed.poll(null, ['change_request'], { starts: new Map([['change_request', T0]]) });
    expect(decodeCursor(empty.cursor).change_request).toEqual({ t: '2026-03-01 12:00:00', seen: [] });
  });

  it("lets the caller tell the connector's own writes (sys_id + sys_mod_count) from others'", async () => {
    const recent = createRecentWrites(2);
    const a = sn.seed('incident', {});
    let r = await feed.poll(null, ['incident']);
    const ours = await client.update('incident', a.sys_id!, { short_description: 'by tandem' });
    recent.add(storedValue(ours.sys_id), Number(storedValue(ours.sys_mod_count)));
    sn.advance(1000);
    sn.update('incident', a.sys_id!, { short_description: 'by a person' });
    r = await feed.poll(r.cursor, ['incident']);
    expect(r.changes.map((c) => isOwnWrite(c, recent))).toEqual([false]);
    expect(r.changes[0]!.modCount).toBe(2);
    // Two updates before one poll: only the latest version is there to read.
    expect(isOwnWrite({ sysId: a.sys_id!, modCount: 1 }, recent)).toBe(true);
    recent.add('x', 1);
    recent.add('y', 1);
    expect(recent.size).toBe(2);
    expect(isOwnWrite({ sysId: a.sys_id!, modCount: 1 }, recent)).toBe(false);
  });
});
