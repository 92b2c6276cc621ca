// Idempotent creates against the fake: a replay finds the record, a create whose answer is lost leaves exactly one.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeServiceNow } from '../../../tests/support/fake-servicenow.ts';
import { fakeInstanceWithClient } from '../../../tests/support/fake-servicenow-client.ts';
import type { ServiceNowClient } from './client.ts';
import { createIdempotently, findByCorrelation } from './idempotent-create.ts';
import { storedValue } from './schemas.ts';

let sn: FakeServiceNow;
let client: ServiceNowClient;

beforeEach(async () => {
  ({ sn, client } = await fakeInstanceWithClient());
});
afterEach(async () => sn.close());

describe('ServiceNow idempotent create', () => {
  it('creates with correlation_id and correlation_display, and a replay returns the same record', async () => {
    sn.seed('incident', { correlation_id: 'other-peer-id' });
    const first = await createIdempotently(client, 'incident', { short_description: 'Disk' }, 'peer-rec-1');
    expect(first.outcome).toBe('applied');
    expect(first.record).toMatchObject({ correlation_id: 'peer-rec-1', correlation_display: 'Tandem' });
    const again = await createIdempotently(client, 'incident', { short_description: 'Disk' }, 'peer-rec-1', {
      read: { fields: ['number'] },
    });
    expect(again.outcome).toBe('replayed');
    expect(storedValue(again.record.sys_id)).toBe(storedValue(first.record.sys_id));
    expect(again.record.number).toBe('INC0010002');
    expect(sn.records('incident', 'correlation_id=peer-rec-1')).toHaveLength(1);
  });

  it('a create interrupted after the instance wrote it leaves exactly one record', async () => {
    sn.inject({ kind: 'dropAfter', path: '/api/now/table/incident', method: 'POST' });
    const r = await createIdempotently(
      client,
      'incident',
      { short_description: 'Lost answer' },
      'peer-rec-2',
      {
        checkFirst: false,
      },
    );
    expect(r.outcome).toBe('applied');
    expect(sn.records('incident', 'correlation_id=peer-rec-2')).toHaveLength(1);
    expect(sn.calls('POST /api/now/table/incident')).toBe(1);
    // A host that died before recording the twin replays: still one.
    expect((await createIdempotently(client, 'incident', {}, 'peer-rec-2')).outcome).toBe('replayed');
    expect(sn.records('incident', 'correlation_id=peer-rec-2')).toHaveLength(1);
  });

  it('a create lost before the instance got it is looked for, then made once', async () => {
    sn.inject({ kind: 'drop', path: '/api/now/table/incident', method: 'POST' });
    const r = await createIdempotently(client, 'incident', {}, 'peer-rec-3');
    expect(r.outcome).toBe('applied');
    expect(sn.records('incident', 'correlation_id=peer-rec-3')).toHaveLength(1);
    expect(sn.calls('POST /api/now/table/incident')).toBe(2);
  });

  it('refuses a table without correlation_id rather than matching every row', async () => {
    sn.seed('cmdb_ci', { name: 'db-1' });
    await expect(findByCorrelation(client, 'cmdb_ci', 'x')).rejects.toMatchObject({
      code: 'SERVICENOW_REJECTED',
      message: expect.stringMatching(/no correlation_id field/),
    });
  });
});
