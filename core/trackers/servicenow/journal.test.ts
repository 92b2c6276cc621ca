// Journal comments against the fake: batch reads, public vs internal, our marker recognised and stripped, no double writes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeServiceNow } from '../../../tests/support/fake-servicenow.ts';
import { FAKE_T0, fakeInstanceWithClient } from '../../../tests/support/fake-servicenow-client.ts';
import type { ServiceNowClient } from './client.ts';
import { createJournal, readMarker, withMarker } from './journal.ts';

const _T0 = FAKE_T0;
let sn: FakeServiceNow;
let client: ServiceNowClient;

beforeEach(async () => {
  ({ sn, client } = await fakeInstanceWithClient());
});
afterEach(async () => sn.close());

describe('ServiceNow journal', () => {
  it('reads comments and work notes of a batch of records in one query, oldest first', async () => {
    const a = sn.seed('incident', { comments: 'first public' }, 'ann');
    sn.advance(1000);
    sn.update('incident', a.sys_id!, { work_notes: 'internal note' }, 'bob');
    const b = sn.seed('incident', { comments: 'on b' });
    const c = sn.seed('incident', {});
    sn.clearRequests();
    const journal = createJournal({ client });
    const byRecord = await journal.read([a.sys_id!, b.sys_id!, c.sys_id!]);
    expect(sn.calls('GET /api/now/table/sys_journal_field')).toBe(1);
    expect(byRecord.get(a.sys_id!)).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
        recordId: a.sys_id,
        author: 'ann',
        body: 'first public',
        internal: false,
        createdAt: '2026-03-01T12:00:00.000Z',
        tandemKey: null,
      },
      expect.objectContaining({
        author: 'bob',
        body: 'internal note',
        internal: true,
        createdAt: '2026-03-01T12:00:01.000Z',
      }),
    ]);
    expect(byRecord.get(b.sys_id!)!.map((x) => x.body)).toEqual(['on b']);
    expect(byRecord.get(c.sys_id!)).toEqual([]);
    const small = createJournal({ client, batchSize: 2 });
    sn.clearRequests();
    await small.read([a.sys_id!, b.sys_id!, c.sys_id!]);
    expect(sn.calls('GET /api/now/table/sys_journal_field')).toBe(2);
  });

  it('writes with a trailing marker, reads it back stripped and recognised as ours; a replay writes nothing', async () => {
    const inc = sn.seed('incident', {});
    const journal = createJournal({ client });
    const first = await journal.write('incident', inc.sys_id!, {
      body: 'Patched\nthe disk',
      internal: true,
      key: 'c1:42',
    });
    expect(first).toMatchObject({ outcome: 'applied', modCount: 1, record: { sys_mod_count: '1' } });
    expect(sn.journal(inc.sys_id!).map((j) => [j.element, j.value])).toEqual([
      ['work_notes', 'Patched\nthe disk\n[tandem:c1:42]'],
    ]);
    const replay = await journal.write('incident', inc.sys_id!, {
      body: 'Patched\nthe disk',
      internal: true,
      key: 'c1:42',
    });
    expect(replay).toEqual({ outcome: 'replayed' });
    expect(sn.journal(inc.sys_id!)).toHaveLength(1);
    sn.advance(1000); // entries of one second come in sys_id order, as on an instance
    sn.update('incident', inc.sys_id!, { comments: 'a reply from a person [tandem:c1:42] quoted' }, 'ann');
    const read = (await journal.read([inc.sys_id!])).get(inc.sys_id!)!;
    expect(read.map((c) => [c.body, c.internal, c.tandemKey, c.author])).toEqual([
      ['Patched\nthe disk', true, 'c1:42', 'tandem'],
      ['a reply from a person [tandem:c1:42] quoted', false, null, 'ann'],
    ]);
  });

  it('a write whose answer is lost is found, not written twice', async () => {
    const inc = sn.seed('incident', {});
    const journal = createJournal({ client });
    sn.inject({ kind: 'dropAfter', method: 'PATCH' });
    const r = await journal.write(
      'incident',
      inc.sys_id!,
      { body: 'hello', internal: false, key: 'k-1' },
      { checkFirst: false },
    );
    expect(r).toEqual({ outcome: 'applied' });
    expect(sn.journal(inc.sys_id!).map((j) => j.value)).toEqual(['hello\n[tandem:k-1]']);
    expect(sn.calls('PATCH /api/now/table/incident')).toBe(1);
    // A drop before the instance got it: looked for, not found, written once.
    sn.inject({ kind: 'drop', method: 'PATCH' });
    await journal.write(
      'incident',
      inc.sys_id!,
      { body: 'again', internal: false, key: 'k-2' },
      { checkFirst: false },
    );
    expect(sn.journal(inc.sys_id!).map((j) => j.value)).toEqual([
      'hello\n[tandem:k-1]',
      'again\n[tandem:k-2]',
    ]);
  });

  it('marks and reads the marker; keys outside the alphabet are refused', () => {
    expect(withMarker('x', 'a.b:c_d-1')).toBe('x\n[tandem:a.b:c_d-1]');
    expect(withMarker('x\n[tandem:old]', 'new')).toBe('x\n[tandem:new]');
    expect(readMarker('x\n[tandem:k]\n')).toEqual({ body: 'x', key: 'k', author: null });
    expect(readMarker('plain')).toEqual({ body: 'plain', key: null, author: null });
    // The peer's author rides in the marker (ServiceNow stamps the integration user), on one line.
    expect(withMarker('x', 'k', 'Ann [ops]\nLee')).toBe('x\n[tandem:k by Ann ops Lee]');
    expect(readMarker('x\n[tandem:k by Ann ops Lee]')).toEqual({
      body: 'x',
      key: 'k',
      author: 'Ann ops Lee',
    });
    expect(() => withMarker('x', 'has space')).toThrow(/idempotency key/);
  });
});
