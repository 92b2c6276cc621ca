// A ServiceNow host started without credentials (real process against the fake instance): it starts, says what is
// missing, takes credentials entered through the API without a restart, syncs, and never shows them anywhere.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeServiceNow, startFakeServiceNow } from './support/fake-servicenow.ts';
import {
  type HostProcess,
  startHostProcess,
  stopAllHosts,
  tempDir,
  waitFor,
} from './support/host-process.ts';
import { accept, initiate, portOf, waitConn } from './support/pairing-support.ts';
import { bySummary, patchEntity, SYNC_ENV, syncAllIncidents } from './support/sync.ts';

const PASSWORD = 'Sn0w-Console-Secret-8d2e';
const WRONG = 'Wr0ng-Console-Secret-11f3';

let sn: FakeServiceNow;
beforeEach(async () => {
  sn = await startFakeServiceNow();
  sn.addUser({ userName: 'tandem', password: PASSWORD, roles: ['itil'] });
});
afterEach(async () => sn.close());
afterAll(stopAllHosts);

/** The environment of a ServiceNow host with its URL and options, but no credential variable. */
function envWithoutCredentials(): Record<string, string> {
  const config = path.join(tempDir('tandem-sn-config-'), 'servicenow.json');
  fs.writeFileSync(config, JSON.stringify({ entityTypes: ['incident'], overlapMs: 3000 }));
  return {
    ...SYNC_ENV,
    TANDEM_TRACKER: 'servicenow',
    TANDEM_TRACKER_CONFIG: config,
    TANDEM_SERVICENOW_URL: sn.url,
    TANDEM_SERVICENOW_POLL_MS: '1000',
    TANDEM_LOG_LEVEL: 'debug',
  };
}

interface TrackerReport {
  status: string;
  checks: Array<{ name: string; ok: boolean; detail: string; fix?: string }>;
}
interface CredentialsView {
  kind: string;
  live: boolean;
  credentials: Array<{ name: string; set: boolean; source: string | null; stored: boolean }>;
}

/** Every file of the data directory (the database and its WAL included), as text. */
const dataFiles = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .map((f) => fs.readFileSync(path.join(dir, f)).toString('latin1'));

describe('a ServiceNow host started without credentials', () => {
  it('starts down with the fix, takes credentials entered through the API at once, syncs, and never shows them', async () => {
    const env = envWithoutCredentials();
    const [a, b] = await Promise.all([
      startHostProcess({ name: 'ServiceNow', env }),
      startHostProcess({ name: 'Builtin', env: SYNC_ENV }),
    ]);
    const answers: unknown[] = [];
    const api = async <T>(h: HostProcess, method: string, route: string, body?: unknown) => {
      const r = await h.api<T>(method, route, body);
      answers.push(r.body);
      return r;
    };

    const down = await api<TrackerReport>(a, 'GET', '/api/tracker');
    expect(down.body.status).toBe('down');
    expect(down.body.checks).toEqual([
      {
        name: 'Credentials configured',
        ok: false,
        detail: expect.any(String),
        fix: expect.stringMatching(/General settings → Tracker.*TANDEM_SERVICENOW_USER/),
      },
    ]);
    const before = await api<CredentialsView>(a, 'GET', '/api/tracker/credentials');
    expect(before.body).toMatchObject({ kind: 'servicenow', live: true });
    expect(before.body.credentials.map((c) => [c.name, c.set])).toEqual([
      ['TANDEM_SERVICENOW_USER', false],
      ['TANDEM_SERVICENOW_PASSWORD', false],
      ['TANDEM_SERVICENOW_CLIENT_ID', false],
      ['TANDEM_SERVICENOW_CLIENT_SECRET', false],
    ]);

    // Half a pair is taken, as a start would take it: still down, the check names what is missing.
    const half = await api(a, 'PUT', '/api/tracker/credentials', {
      values: { TANDEM_SERVICENOW_USER: 'tandem' },
    });
    expect(half.status).toBe(200);
    const incomplete = await api<TrackerReport>(a, 'GET', '/api/tracker');
    expect(incomplete.body.status).toBe('down');
    expect(incomplete.body.checks).toEqual([
      expect.objectContaining({
        name: 'Credentials configured',
        detail: expect.stringMatching(/TANDEM_SERVICENOW_PASSWORD must be set with TANDEM_SERVICENOW_USER/),
      }),
    ]);

    // A wrong password is taken, and the checks say the instance refused it; the right one makes it ok.
    const wrong = await api(a, 'PUT', '/api/tracker/credentials', {
      values: { TANDEM_SERVICENOW_PASSWORD: WRONG },
    });
    expect(wrong.status).toBe(200);
    const refused = await api<TrackerReport>(a, 'GET', '/api/tracker');
    expect(refused.body.checks.find((c) => c.name === 'Credentials valid')).toMatchObject({ ok: false });
    const right = await api<CredentialsView>(a, 'PUT', '/api/tracker/credentials', {
      values: { TANDEM_SERVICENOW_PASSWORD: PASSWORD },
    });
    expect(right.status).toBe(200);
    expect(right.body.credentials.map((c) => [c.name, c.set, c.source])).toEqual([
      ['TANDEM_SERVICENOW_USER', true, 'console'],
      ['TANDEM_SERVICENOW_PASSWORD', true, 'console'],
      ['TANDEM_SERVICENOW_CLIENT_ID', false, null],
      ['TANDEM_SERVICENOW_CLIENT_SECRET', false, null],
    ]);
    const ok = await api<TrackerReport>(a, 'GET', '/api/tracker');
    expect(ok.body.status).toBe('ok');
    expect(ok.body.checks.every((c) => c.ok)).toBe(true);

    // Syncing works both ways, in the same process.
    expect((await a.api('PATCH', '/api/node', { publicUrl: a.url })).status).toBe(200);
    const { connection, invitationCode } = await initiate(a, null, { mode: 'basic' });
    const bConn = (await accept(b, invitationCode)).body.connection.id;
    await waitConn(a, connection.id, (c) => c.state === 'active' && c.link.up, 20_000);
    await waitConn(b, bConn, (c) => c.state === 'active' && c.link.up, 20_000);
    await syncAllIncidents(a, connection.id);
    await syncAllIncidents(b, bConn);
    const rec = sn.seed('incident', { short_description: 'Entered in the console', priority: '2' });
    const there = (await waitFor(async () => (await bySummary(b)).get('Entered in the console'), 20_000))!;
    await patchEntity(b, there.id, { description: 'Back from the peer' });
    await waitFor(() => sn.record('incident', rec.sys_id!)?.description === 'Back from the peer', 20_000);

    // The audit log names the credentials changed, never a value.
    const audit = await api<{ items: Array<{ action: string; target: string; detail: unknown }> }>(
      a,
      'GET',
      '/api/audit?limit=50',
    );
    const changes = audit.body.items.filter((e) => e.action === 'tracker.credentials_changed');
    expect(changes.map((e) => [e.target, e.detail])).toEqual([
      ['tracker:servicenow', { set: ['TANDEM_SERVICENOW_PASSWORD'], cleared: [] }],
      ['tracker:servicenow', { set: ['TANDEM_SERVICENOW_PASSWORD'], cleared: [] }],
      ['tracker:servicenow', { set: ['TANDEM_SERVICENOW_USER'], cleared: [] }],
    ]);
    const csv = await fetch(`${a.url}/api/audit?format=csv`, {
      headers: { authorization: `Bearer ${a.token}` },
    }).then((r) => r.text());
    answers.push(csv);

    // A restart without the variables starts with the stored credentials.
    await a.stop();
    const firstLogs = a.stdout() + a.stderr();
    const again = await startHostProcess({
      name: 'ServiceNow',
      env,
      dataDir: a.dataDir,
      port: portOf(a),
      token: a.token,
    });
    await waitFor(async () => (await api<TrackerReport>(again, 'GET', '/api/tracker')).body.status === 'ok');
    const stored = await api<CredentialsView>(again, 'GET', '/api/tracker/credentials');
    expect(stored.body.credentials[1]).toMatchObject({ set: true, source: 'console', stored: true });
    const rec2 = sn.seed('incident', { short_description: 'After the restart' });
    await waitFor(async () => (await bySummary(b)).has('After the restart'), 20_000);
    expect(rec2.sys_id).toBeTruthy();
    await again.stop();
    await b.stop();

    const everything = [
      ...answers.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))),
      firstLogs,
      again.stdout(),
      again.stderr(),
      ...dataFiles(a.dataDir),
    ];
    expect(firstLogs).toContain('tracker credentials changed');
    for (const text of everything) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(WRONG);
      expect(text).not.toContain(Buffer.from(`tandem:${PASSWORD}`).toString('base64'));
    }
  }, 120_000);
});
