// A fake ServiceNow instance with an itil integration user, and the connector's client on its clock.
import { createServiceNowClient, type ServiceNowClient } from '../../core/trackers/servicenow/client.ts';
import { type FakeServiceNow, startFakeServiceNow } from './fake-servicenow.ts';

/** The instant the fake's clock starts at in these tests. */
export const FAKE_T0 = Date.UTC(2026, 2, 1, 12, 0, 0);

/**
 * Starts a fake instance at FAKE_T0 with user `tandem` (role itil) and a Basic-auth client whose
 * waits advance the fake's clock, so no test waits real time.
 * @example beforeEach(async () => ({ sn, client } = await fakeInstanceWithClient()));
 */
export async function fakeInstanceWithClient(): Promise<{ sn: FakeServiceNow; client: ServiceNowClient }> {
  const sn = await startFakeServiceNow();
  sn.setNow(FAKE_T0);
  sn.addUser({ userName: 'tandem', password: 'pw', roles: ['itil'] });
  const client = createServiceNowClient({
    instanceUrl: sn.url,
    credentials: { kind: 'basic', user: 'tandem', password: 'pw' },
    now: () => sn.now(),
    sleep: async (ms) => sn.advance(ms),
  });
  return { sn, client };
}
