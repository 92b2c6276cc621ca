// A ServiceNow-backed host (real process, --tracker servicenow) against the fake instance, paired with a built-in host.
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_INCOMING, DEFAULT_OUTGOING } from '../modes/script/defaults.ts';
import { type FakeServiceNow, startFakeServiceNow } from './support/fake-servicenow.ts';
import {
  type HostProcess,
  startHostProcess,
  stopAllHosts,
  tempDir,
  waitFor,
} from './support/host-process.ts';
import { accept, initiate, portOf, waitConn } from './support/pairing-support.ts';
import {
  bySummary,
  createEntity,
  type Entity,
  openErrors,
  patchEntity,
  publishRules,
  queue,
  remoteIdOf,
  SYNC_ENV,
  syncAllIncidents,
} from './support/sync.ts';

const PASSWORD = 'Sn0w-Secret-4f9c1e7a';

let sn: FakeServiceNow;
beforeEach(async () => {
  sn = await startFakeServiceNow();
  sn.addUser({ userName: 'tandem', password: PASSWORD, roles: ['itil'] });
});
afterEach(async () => sn.close());
afterAll(stopAllHosts);

function snEnv(password = PASSWORD): Record<string, string> {
  const config = path.join(tempDir('tandem-sn-config-'), 'servicenow.json');
  fs.writeFileSync(config, JSON.stringify({ entityTypes: ['incident'], overlapMs: 3000 }));
  return {
    ...SYNC_ENV,
    TANDEM_TRACKER: 'servicenow',
    TANDEM_TRACKER_CONFIG: config,
    TANDEM_SERVICENOW_URL: sn.url,
    TANDEM_SERVICENOW_USER: 'tandem',
    TANDEM_SERVICENOW_PASSWORD: password,
    TANDEM_SERVICENOW_POLL_MS: '1000',
  };
}

interface Pair {
  a: HostProcess;
  b: HostProcess;
  aConn: string;
  bConn: string;
}

/** A: on ServiceNow (the public inviter); B: the built-in store. Both follow every incident. */
async function snPair(mode: 'script' | 'basic' | 'visual'): Promise<Pair> {
  const [a, b] = await Promise.all([
    startHostProcess({ name: 'ServiceNow', env: snEnv() }),
    startHostProcess({ name: 'Builtin', env: SYNC_ENV }),
  ]);
  expect((await a.api('PATCH', '/api/node', { publicUrl: a.url })).status).toBe(200);
  const { connection, invitationCode } = await initiate(a, null, { mode });
  const accepted = await accept(b, invitationCode);
  expect(accepted.status).toBe(201);
  const bConn = accepted.body.connection.id;
  await waitConn(a, connection.id, (c) => c.state === 'active' && c.link.up, 20_000);
  await waitConn(b, bConn, (c) => c.state === 'active' && c.link.up, 20_000);
  await syncAllIncidents(a, connection.id);
  await syncAllIncidents(b, bConn);
  return { a, b, aConn: connection.id, bConn };
}

const onB = async (p: Pair, summary: string, ok: (e: Entity) => boolean = () => true, ms = 20_000) =>
  (await waitFor(async () => {
    const e = (await bySummary(p.b)).get(summary);
    return e && ok(e) ? e : undefined;
  }, ms))!;

const snRecords = (summary: string) => sn.records('incident', `short_description=${summary}`);

describe('a ServiceNow-backed host and a built-in peer', () => {
  for (const mode of ['script', 'basic', 'visual'] as const) {
    it(`${mode}: a record created in ServiceNow reaches the peer, and the peer's edit reaches ServiceNow`, async () => {
      const p = await snPair(mode);
      const rec = sn.seed(
        'incident',
        { short_description: `Printer on fire (${mode})`, priority: '2' },
        'ann',
      );
      const there = await onB(p, `Printer on fire (${mode})`);
      expect(there.fields).toMatchObject({ summary: `Printer on fire (${mode})`, priority: 2 });

      await patchEntity(p.b, there.id, { description: 'Edited on the built-in peer' });
      await waitFor(
        () => sn.record('incident', rec.sys_id!)?.description === 'Edited on the built-in peer',
        20_000,
      );
      // One record in ServiceNow, no duplicate created back from the peer.
      expect(snRecords(`Printer on fire (${mode})`)).toHaveLength(1);
      await p.a.stop();
      await p.b.stop();
    }, 90_000);
  }

  it('OAuth (client credentials): a record created in ServiceNow reaches the peer and its edit comes back', async () => {
    sn.addOAuthClient({ clientId: 'tandem-client', clientSecret: 'oauth-Secret-77aa', userName: 'tandem' });
    const env = snEnv();
    delete env.TANDEM_SERVICENOW_USER;
    delete env.TANDEM_SERVICENOW_PASSWORD;
    Object.assign(env, {
      TANDEM_SERVICENOW_CLIENT_ID: 'tandem-client',
      TANDEM_SERVICENOW_CLIENT_SECRET: 'oauth-Secret-77aa',
    });
    const [a, b] = await Promise.all([
      startHostProcess({ name: 'ServiceNow', env }),
      startHostProcess({ name: 'Builtin', env: SYNC_ENV }),
    ]);
    expect((await a.api('PATCH', '/api/node', { publicUrl: a.url })).status).toBe(200);
    const { connection, invitationCode } = await initiate(a, null, { mode: 'basic' });
    const bConn = (await accept(b, invitationCode)).body.connection.id;
    await waitConn(a, connection.id, (c) => c.state === 'active' && c.link.up, 20_000);
    await waitConn(b, bConn, (c) => c.state === 'active' && c.link.up, 20_000);
    await syncAllIncidents(a, connection.id);
    await syncAllIncidents(b, bConn);
    const rec = sn.seed('incident', { short_description: 'Over OAuth' });
    const there = await onB({ a, b, aConn: connection.id, bConn }, 'Over OAuth');
    await patchEntity(b, there.id, { description: 'Back over OAuth' });
    await waitFor(() => sn.record('incident', rec.sys_id!)?.description === 'Back over OAuth', 20_000);
    expect(sn.calls('POST /oauth_token.do')).toBeGreaterThan(0);
    const report = await a.api<{ status: string }>('GET', '/api/tracker');
    expect(report.body.status).toBe('ok');
    for (const text of [a.stderr(), a.stdout(), JSON.stringify(report.body)])
      expect(text).not.toContain('oauth-Secret-77aa');
    await a.stop();
    await b.stop();
  }, 90_000);

  it('a public comment and a work note arrive as public and internal; two records of one second both sync', async () => {
    const p = await snPair('script');
    const internalToo = (s: string) => s.replace(/comments\);/g, 'comments, { internal: true });');
    await publishRules(p.a, p.aConn, { outgoing: internalToo(DEFAULT_OUTGOING) });
    await publishRules(p.b, p.bConn, { incoming: internalToo(DEFAULT_INCOMING) });

    const rec = sn.seed('incident', { short_description: 'Disk full' });
    sn.update('incident', rec.sys_id!, { comments: 'Public hello' }, 'ann');
    sn.update('incident', rec.sys_id!, { work_notes: 'Internal note' }, 'tandem');
    const there = await onB(p, 'Disk full', (e) => e.comments.length === 2);
    expect(there.comments.map((c) => [c.body, c.internal]).sort()).toEqual([
      ['Internal note', true],
      ['Public hello', false],
    ]);

    // Two records stamped in the same second, the second one after a poll already read that second.
    sn.setNow(Math.floor(Date.now() / 1000) * 1000);
    sn.seed('incident', { short_description: 'Same second 1' });
    await onB(p, 'Same second 1');
    sn.seed('incident', { short_description: 'Same second 2' });
    await onB(p, 'Same second 2');
    await p.a.stop();
    await p.b.stop();
  }, 90_000);

  it('a 429 storm loses nothing', async () => {
    const p = await snPair('basic');
    sn.inject({ kind: 'rateLimit', count: 12, retryAfterSeconds: 1 });
    const names = ['Storm 1', 'Storm 2', 'Storm 3'];
    for (const name of names) sn.seed('incident', { short_description: name });
    for (const name of names) await onB(p, name, () => true, 60_000);
    const e = await onB(p, 'Storm 2');
    sn.inject({ kind: 'rateLimit', count: 6, retryAfterSeconds: 1 });
    await patchEntity(p.b, e.id, { description: 'After the storm' });
    await waitFor(() => snRecords('Storm 2')[0]?.description === 'After the storm', 60_000);
    for (const name of names) expect(snRecords(name)).toHaveLength(1);
    const status = await p.a.api<{ calls: { total: number } }>('GET', '/api/tracker');
    expect(status.body.calls.total).toBeGreaterThan(0);
    await p.a.stop();
    await p.b.stop();
  }, 120_000);
});

describe('the push endpoint', () => {
  it('a signed POST /hooks/tracker wakes the poller at once; a wrong signature is refused', async () => {
    const secret = 'push-secret-3c1f9a0d7e';
    const [a, b] = await Promise.all([
      startHostProcess({
        name: 'ServiceNow',
        // Ten minutes between polls: only the push can bring the record over within the test.
        env: { ...snEnv(), TANDEM_SERVICENOW_POLL_MS: '600000', TANDEM_SERVICENOW_PUSH_SECRET: secret },
      }),
      startHostProcess({ name: 'Builtin', env: SYNC_ENV }),
    ]);
    expect((await a.api('PATCH', '/api/node', { publicUrl: a.url })).status).toBe(200);
    const { connection, invitationCode } = await initiate(a, null, { mode: 'basic' });
    const bConn = (await accept(b, invitationCode)).body.connection.id;
    await waitConn(a, connection.id, (c) => c.state === 'active' && c.link.up, 20_000);
    await waitConn(b, bConn, (c) => c.state === 'active' && c.link.up, 20_000);
    await syncAllIncidents(a, connection.id);
    // The feed has read the incident table (and will not ask again for ten minutes). Not `lastPollAt`: a look
    // before the trigger is followed polls no table (no call) and sets it too; the table's first poll may then
    // come after the seed below (it did on PostgreSQL) and bring the record without the push.
    const feedPolls = () =>
      sn
        .requests()
        .filter((r) => r.route === 'GET /api/now/table/incident' && r.query.includes('ORDERBYsys_updated_on'))
        .length;
    await waitFor(() => feedPolls() > 0, 20_000);

    const rec = sn.seed('incident', { short_description: 'Pushed' });
    const body = JSON.stringify({ table: 'incident', sys_id: rec.sys_id });
    const post = (signature: string) =>
      fetch(`${a.url}/hooks/tracker`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-tandem-signature': signature },
        body,
      });
    await new Promise((r) => setTimeout(r, 2500));
    expect((await bySummary(b)).has('Pushed')).toBe(false);
    const polledBeforePush = feedPolls();
    const wrong = createHmac('sha256', 'not-the-secret').update(body).digest('base64');
    expect((await post(`sha256=${wrong}`)).status).toBe(401);
    expect((await post('')).status).toBe(401);
    const signed = createHmac('sha256', secret).update(body).digest('base64');
    expect((await post(`sha256=${signed}`)).status).toBe(202);
    await waitFor(async () => (await bySummary(b)).has('Pushed'), 15_000);
    expect(feedPolls()).toBeGreaterThan(polledBeforePush);
    await a.stop();
    await b.stop();
  }, 90_000);
});

describe('a ServiceNow host killed mid-apply', () => {
  it('kill -9 between the external create and its local record leaves exactly one record in ServiceNow', async () => {
    const p = await snPair('basic');
    // The instance stores the create at once and answers 5 s later: the host is killed in between.
    sn.inject({ kind: 'latency', ms: 5000, path: '/api/now/table/incident', method: 'POST', count: 1 });
    const made = await createEntity(p.b, { summary: 'Created on the peer', priority: 2 });
    await waitFor(() => snRecords('Created on the peer').length === 1, 20_000);
    await p.a.stop('SIGKILL');
    // Killed before its local record: the peer never heard of a twin.
    expect(await remoteIdOf(p.b, made.id)).toBeNull();

    const a = await startHostProcess({
      dataDir: p.a.dataDir,
      port: portOf(p.a),
      token: p.a.token,
      name: 'ServiceNow',
      env: snEnv(),
    });
    const [record] = snRecords('Created on the peer');
    // The pending journal row is replayed: the create finds its correlation id and records the twin.
    await waitFor(async () => (await remoteIdOf(p.b, made.id)) === record!.sys_id, 30_000);
    await waitFor(async () => (await queue(a, p.aConn, 'in')).length === 0, 20_000);
    expect(snRecords('Created on the peer')).toHaveLength(1);
    expect(record!.correlation_id).toBe(made.id);
    expect(await openErrors(a, p.aConn)).toEqual([]);
    // And it goes on syncing into that one record.
    await patchEntity(p.b, made.id, { description: 'After the restart' });
    await waitFor(() => sn.record('incident', record!.sys_id!)?.description === 'After the restart', 20_000);
    expect(snRecords('Created on the peer')).toHaveLength(1);
    await a.stop();
    await p.b.stop();
  }, 120_000);
});

describe('a ServiceNow host with a wrong password', () => {
  it('reports the tracker down or degraded, fails validation of a connection with the fix, and never shows the password', async () => {
    const wrong = 'Wr0ng-Pass-9b1d77c3';
    const a = await startHostProcess({
      name: 'ServiceNow',
      env: { ...snEnv(wrong), TANDEM_LOG_LEVEL: 'debug' },
    });
    const report = await a.api<{
      kind: string;
      url: string;
      status: string;
      checks: Array<{ name: string; ok: boolean; fix?: string }>;
    }>('GET', '/api/tracker');
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ kind: 'servicenow', url: sn.url });
    expect(['down', 'degraded']).toContain(report.body.status);
    const credentials = report.body.checks.find((c) => c.name === 'Credentials valid');
    expect(credentials).toMatchObject({
      ok: false,
      fix: expect.stringContaining('TANDEM_SERVICENOW_PASSWORD'),
    });

    // A connection of this host fails validation with the tracker's fix.
    const b = await startHostProcess({ name: 'Builtin', env: SYNC_ENV });
    expect((await a.api('PATCH', '/api/node', { publicUrl: a.url })).status).toBe(200);
    const { connection, invitationCode } = await initiate(a, null, { mode: 'basic' });
    expect((await accept(b, invitationCode)).status).toBe(201);
    const failed = await waitConn(a, connection.id, (c) => c.state === 'validation_failed', 20_000);
    expect(failed.lastError).toContain('ServiceNow did not accept the credentials');
    const validated = await a.api<{ checks: Array<{ name: string; ok: boolean; fix?: string }> }>(
      'POST',
      `/api/connections/${connection.id}/validate`,
    );
    expect(validated.body.checks.find((c) => c.name === 'tracker_healthy')).toMatchObject({
      ok: false,
      fix: expect.stringContaining('TANDEM_SERVICENOW_PASSWORD'),
    });
    const health = await a.api('GET', `/api/connections/${connection.id}/health`);
    await b.stop();

    const listed = await a.api('GET', '/api/entities?type=incident&limit=10');
    expect(listed.status).toBeGreaterThanOrEqual(400);
    const outputs = [
      JSON.stringify(report.body),
      JSON.stringify(listed.body),
      JSON.stringify(validated.body),
      JSON.stringify(health.body),
      JSON.stringify(failed),
      a.stdout(),
      a.stderr(),
    ];
    await a.stop();
    outputs.push(a.stderr());
    for (const text of outputs) {
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(Buffer.from(`tandem:${wrong}`).toString('base64'));
    }
  }, 60_000);
});

describe('attachments between a ServiceNow-backed host and a built-in peer', () => {
  it("a file attached on the built-in peer lands in ServiceNow through the Attachment API, and one attached in ServiceNow comes back with its record's next change", async () => {
    const p = await snPair('basic');
    const rec = sn.seed('incident', { short_description: 'Attach here' }, 'ann');
    const there = await onB(p, 'Attach here');
    const bytes = Buffer.from('%PDF-1.7 quarterly report');
    const up = await fetch(`${p.b.url}/api/entities/${there.id}/attachments?filename=report.pdf`, {
      method: 'POST',
      headers: { authorization: `Bearer ${p.b.token}`, 'content-type': 'application/pdf' },
      body: bytes as unknown as BodyInit,
    });
    expect(up.status).toBe(201);
    const stored = await waitFor(() => sn.attachments().find((a) => a.table_sys_id === rec.sys_id), 20_000);
    expect(stored).toMatchObject({
      file_name: 'report.pdf',
      content_type: 'application/pdf',
      table_name: 'incident',
    });
    expect(stored!.data.equals(bytes)).toBe(true);

    // An attachment added in ServiceNow (uploaded as a user would), then a change of its record.
    const res = await fetch(
      `${sn.url}/api/now/attachment/file?table_name=incident&table_sys_id=${rec.sys_id}&file_name=photo.png`,
      {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`tandem:${PASSWORD}`).toString('base64')}`,
          'content-type': 'image/png',
        },
        body: Buffer.from('not really a png') as unknown as BodyInit,
      },
    );
    expect(res.status).toBe(201);
    sn.update('incident', rec.sys_id!, { description: 'photo attached' }, 'ann');
    const back = await onB(p, 'Attach here', (e) =>
      ((e as Entity & { attachments?: Array<{ filename: string }> }).attachments ?? []).some(
        (a) => a.filename === 'photo.png',
      ),
    );
    const files = (back as Entity & { attachments: Array<{ filename: string }> }).attachments;
    expect(files.map((a) => a.filename).sort()).toEqual(['photo.png', 'report.pdf']);
    // Nothing echoed: ServiceNow has the two files once each.
    expect(
      sn
        .attachments()
        .map((a) => a.file_name)
        .sort(),
    ).toEqual(['photo.png', 'report.pdf']);
    await p.a.stop();
    await p.b.stop();
  }, 90_000);
});
