// Health checks against the fake: all good, a wrong password, a missing role, a missing table, an instance that is down.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeServiceNow, startFakeServiceNow } from '../../../tests/support/fake-servicenow.ts';
import { createServiceNowClient } from './client.ts';
import { checkServiceNowHealth } from './health.ts';

const PASSWORD = 'pw-Sekr1t-health';
let sn: FakeServiceNow;

beforeEach(async () => {
  sn = await startFakeServiceNow();
  sn.setNow(Date.UTC(2026, 2, 1, 12, 0, 0));
  sn.addUser({ userName: 'tandem', password: PASSWORD, roles: ['itil'] });
});
afterEach(async () => sn.close());

const client = (password = PASSWORD, url = sn.url) =>
  createServiceNowClient({
    instanceUrl: url,
    credentials: { kind: 'basic', user: 'tandem', password },
    now: () => sn.now(),
    sleep: async () => {},
    maxAttempts: 2,
  });

describe('ServiceNow health checks', () => {
  it('all pass on a good set-up, without changing any record', async () => {
    const inc = sn.seed('incident', {});
    const checks = await checkServiceNowHealth(client(), ['incident', 'problem']);
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['ServiceNow reachable', true],
      ['Credentials valid', true],
      ['Tables readable (incident)', true],
      ['Tables readable (problem)', true],
      ['Tables writable (incident)', true],
      ['Tables writable (problem)', true],
    ]);
    expect(sn.record('incident', inc.sys_id!)!.sys_mod_count).toBe('0');
  });

  it('a wrong password fails "Credentials valid" with a fix, and never shows the password', async () => {
    const checks = await checkServiceNowHealth(client('wrong-Sekr1t'), ['incident']);
    expect(checks).toEqual([
      expect.objectContaining({ name: 'ServiceNow reachable', ok: true }),
      {
        name: 'Credentials valid',
        ok: false,
        detail: 'ServiceNow did not accept the credentials',
        fix: expect.stringMatching(/TANDEM_SERVICENOW_PASSWORD/),
      },
    ]);
    expect(JSON.stringify(checks)).not.toMatch(/Sekr1t/);
  });

  it('a missing role fails the table checks with the fix naming the table; a missing table says so', async () => {
    sn.seed('incident', {});
    sn.setAcl('incident', 'write', ['admin']);
    sn.setAcl('problem', 'read', ['admin']);
    const checks = await checkServiceNowHealth(client(), ['incident', 'problem', 'u_nope']);
    const by = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(by['Tables readable (incident)']!.ok).toBe(true);
    expect(by['Tables writable (incident)']).toMatchObject({
      ok: false,
      fix: expect.stringMatching(/lacks the itil role \/ write access to table incident/),
    });
    expect(by['Tables readable (problem)']).toMatchObject({
      ok: false,
      fix: expect.stringMatching(/lacks the itil role \/ read access to table problem/),
    });
    expect(by['Tables writable (problem)']).toMatchObject({
      ok: false,
      detail: 'Not checked: problem cannot be read',
    });
    expect(by['Tables readable (u_nope)']).toMatchObject({
      ok: false,
      detail: 'ServiceNow has no table u_nope',
    });
    expect(by['Credentials valid']!.ok).toBe(true);
  });

  it('an instance that cannot be reached fails "ServiceNow reachable" and does not throw', async () => {
    const url = sn.url;
    await sn.close();
    const checks = await checkServiceNowHealth(client(PASSWORD, url), ['incident']);
    expect(checks).toEqual([
      expect.objectContaining({
        name: 'ServiceNow reachable',
        ok: false,
        fix: expect.stringMatching(/TANDEM_SERVICENOW_URL/),
      }),
      expect.objectContaining({ name: 'Credentials valid', ok: false }),
    ]);
    sn = await startFakeServiceNow();
  });
});
