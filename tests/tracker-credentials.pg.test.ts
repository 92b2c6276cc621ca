// Two ServiceNow `tandem start` processes on one PostgreSQL database as one node: tracker credentials saved through
// one process reach the other's tracker at once (LISTEN/NOTIFY), not at its fallback timer (15 s).

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeServiceNow, startFakeServiceNow } from './support/fake-servicenow.ts';
import {
  type HostProcess,
  startHostProcess,
  stopAllHosts,
  tempDir,
  waitFor,
} from './support/host-process.ts';
import { type FreshPostgres, freshPostgres } from './support/test-postgres.ts';

const PASSWORD = 'Sn0w-Node-Secret-5a1e';
const WRONG = 'Wr0ng-Node-Secret-77b0';
/** Well below the 15 s of the fallback timer: only a notification brings the change this soon. */
const AT_ONCE_MS = 5_000;

let sn: FakeServiceNow;
let fresh: FreshPostgres;
let a1: HostProcess;
let a2: HostProcess;

interface TrackerReport {
  status: string;
  checks: Array<{ name: string; ok: boolean }>;
}

const status = async (h: HostProcess) => (await h.api<TrackerReport>('GET', '/api/tracker')).body;

beforeAll(async () => {
  sn = await startFakeServiceNow();
  sn.addUser({ userName: 'tandem', password: PASSWORD, roles: ['itil'] });
  fresh = await freshPostgres();
  const config = path.join(tempDir('tandem-sn-config-'), 'servicenow.json');
  fs.writeFileSync(config, JSON.stringify({ entityTypes: ['incident'] }));
  const token = `test-token-${randomBytes(16).toString('hex')}`;
  const env = {
    TANDEM_TRACKER: 'servicenow',
    TANDEM_TRACKER_CONFIG: config,
    TANDEM_SERVICENOW_URL: sn.url,
    TANDEM_DATABASE_URL: fresh.url,
    TANDEM_SECRET_KEY: randomBytes(32).toString('hex'),
  };
  [a1, a2] = await Promise.all([startHostProcess({ token, env }), startHostProcess({ token, env })]);
}, 90_000);

afterAll(async () => {
  await stopAllHosts();
  await fresh?.drop();
  await sn?.close();
});

describe('tracker credentials on a node of two processes', () => {
  it('saved through one process, are used by the tracker of the other at once; a change back too', async () => {
    expect((await status(a2)).status).toBe('down');
    const put = await a1.api('PUT', '/api/tracker/credentials', {
      values: { TANDEM_SERVICENOW_USER: 'tandem', TANDEM_SERVICENOW_PASSWORD: PASSWORD },
    });
    expect(put.status).toBe(200);
    expect((await status(a1)).status).toBe('ok');
    await waitFor(async () => (await status(a2)).status === 'ok', AT_ONCE_MS, 100);

    // Changed through the other process: the first one's tracker follows.
    const wrong = await a2.api('PUT', '/api/tracker/credentials', {
      values: { TANDEM_SERVICENOW_PASSWORD: WRONG },
    });
    expect(wrong.status).toBe(200);
    await waitFor(
      async () => (await status(a1)).checks.find((c) => c.name === 'Credentials valid')?.ok === false,
      AT_ONCE_MS,
      100,
    );
  });
});
