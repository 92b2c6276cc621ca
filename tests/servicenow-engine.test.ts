// The sync engine on a ServiceNow tracker (the fake instance): the tables it polls, the calls its writes cost, close.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SyncEvent } from '../core/sync/events.ts';
import { commitInbox } from '../core/sync/inbox.ts';
import { createTrigger } from '../core/sync/triggers.ts';
import { createServiceNowClient } from '../core/trackers/servicenow/client.ts';
import { parseServiceNowConfig } from '../core/trackers/servicenow/config.ts';
import { createServiceNowTracker, type ServiceNowTracker } from '../core/trackers/servicenow/tracker.ts';
import { type FakeServiceNow, startFakeServiceNow } from './support/fake-servicenow.ts';
import { waitFor } from './support/host-process.ts';
import { type InProcessHost, inProcessHost, insertConnection } from './support/in-process.ts';

let sn: FakeServiceNow;
let host: InProcessHost;
let tracker: ServiceNowTracker;

beforeEach(async () => {
  sn = await startFakeServiceNow();
  sn.addUser({ userName: 'tandem', password: 'pw', roles: ['itil'] });
  const env = {
    TANDEM_SERVICENOW_URL: sn.url,
    TANDEM_SERVICENOW_USER: 'tandem',
    TANDEM_SERVICENOW_PASSWORD: 'pw',
  };
  const config = parseServiceNowConfig(
    { entityTypes: ['incident', 'problem'], pollMs: 1000, overlapMs: 2000 },
    env,
  );
  host = await inProcessHost({
    tracker: ({ db, log }) => {
      const client = createServiceNowClient({ instanceUrl: sn.url, credentials: config.credentials });
      tracker = createServiceNowTracker({ config, client, db, log });
      return tracker;
    },
  });
  await insertConnection(host.services.db, 'c1', 'script');
});
afterEach(async () => {
  await host?.close();
  await sn.close();
});

const db = () => host.services.db;
const engine = () => host.services.engine;
const outboxIds = async () =>
  (await db().selectFrom('sync_outbox').select(['entity_id', 'kind']).orderBy('seq').execute())
    .filter((r) => r.kind === 'upsert')
    .map((r) => r.entity_id);
/** Looks at the feed now (the push path's wake-up) and waits for the engine to finish. */
const settle = async () => {
  tracker.wake();
  await engine().settled();
};

let tick = 0;
const upsert = (remoteId: string, summary: string, comment: string): SyncEvent => ({
  kind: 'upsert',
  entityId: remoteId,
  key: null,
  twinId: null,
  replica: {
    type: 'problem',
    summary,
    description: 'from the partner',
    comments: [{ id: `${remoteId}-c1`, author: 'Partner', body: comment, internal: false }],
  },
  clocks: {},
  clock: `${String(Date.now()).padStart(15, '0')}-${String(++tick).padStart(6, '0')}-node-a`,
});

describe('the engine on a ServiceNow tracker', () => {
  it('polls only the tables a trigger needs; a trigger added later starts polling its table from then', async () => {
    await createTrigger(db(), 'c1', { entityType: 'incident', query: 'type = "incident"', active: true });
    await engine().start();
    await engine().settled(); // the connection follows the feed from its head
    // Made three minutes ago by the instance's clock: before any need for problems.
    sn.advance(-180_000);
    const early = sn.seed('problem', { short_description: 'Early problem' });
    sn.advance(180_000);
    const inc = sn.seed('incident', { short_description: 'Incident' });
    await settle();
    expect(await outboxIds()).toEqual([inc.sys_id]);
    expect(sn.calls('GET /api/now/table/problem')).toBe(0);
    expect(sn.calls('GET /api/now/table/incident')).toBeGreaterThan(0);

    await createTrigger(db(), 'c1', { entityType: 'problem', query: 'type = "problem"', active: true });
    engine().wake();
    const late = sn.seed('problem', { short_description: 'Late problem' });
    await waitFor(async () => (await outboxIds()).includes(late.sys_id!), 10_000);
    await settle();
    expect(await outboxIds()).toEqual([inc.sys_id, late.sys_id]);
    expect(await outboxIds()).not.toContain(early.sys_id);
  });

  it("applies a batch of the partner's creates with comments in a few calls, and follows the twins' table", async () => {
    const events = Array.from({ length: 20 }, (_, i) => ({
      seq: i + 1,
      event: upsert(`peer-${i}`, `Problem ${i}`, `Comment ${i}`),
    }));
    await commitInbox(db(), 'c1', events);
    await engine().start();
    await waitFor(
      async () => (await db().selectFrom('sync_inbox').select('seq').execute()).length === 0,
      15_000,
    );
    const problems = sn.records('problem');
    expect(problems.map((p) => p.short_description).sort()).toEqual(
      events.map((e) => String(e.event.kind === 'upsert' && e.event.replica.summary)).sort(),
    );
    expect(problems.every((p) => sn.journal(p.sys_id!).length === 1)).toBe(true);
    // Creates in one batch request, comments in another, their journal read back in one query.
    const routes = sn.callsByRoute();
    expect(routes['POST /api/now/v1/batch']).toBe(2);
    expect(routes['POST /api/now/table/problem'] ?? 0).toBe(0);
    expect(routes['PATCH /api/now/table/problem/{sys_id}'] ?? 0).toBe(0);
    expect(routes['GET /api/now/table/sys_journal_field']).toBeLessThanOrEqual(2);

    // No trigger names problems, but the twins do: an edit in ServiceNow is followed and sent.
    await settle();
    const [first] = problems;
    sn.update('problem', first!.sys_id!, { description: 'edited in ServiceNow' });
    await waitFor(async () => (await outboxIds()).includes(first!.sys_id!), 10_000);
  });

  it('a closed host closes its tracker and calls ServiceNow no more', async () => {
    await createTrigger(db(), 'c1', { entityType: 'incident', query: 'type = "incident"', active: true });
    await engine().start();
    await waitFor(() => sn.calls('GET /api/now/table/incident') >= 2, 10_000);
    const closed = vi.spyOn(tracker, 'close');
    await host.close();
    expect(closed).toHaveBeenCalledOnce();
    const after = sn.requests().length;
    // Two poll periods (1 s) later, nothing more has reached the instance.
    await new Promise((r) => setTimeout(r, 2100));
    expect(sn.requests().length).toBe(after);
    host = await inProcessHost();
  });
});
