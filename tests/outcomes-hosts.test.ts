// Outcomes seen from both sides between real host processes: a bulk run failing at the peer, retry and resolve there,
// retry all / resolve all by filter, cancel, and a run that survives a restart of the sending host.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, stopAllHosts, waitFor } from './support/host-process.ts';
import { createEntity, publishRules, restart, type SyncPair, syncPair } from './support/sync.ts';

interface Run {
  id: string;
  status: string;
  total: number;
  processed: number;
  pending: number;
  created: number;
  updated: number;
  skipped: number;
  errors: number;
  finishedAt: string | null;
}
interface ErrorView {
  id: string;
  side: string;
  entityId?: string;
  entityKey: string | null;
  remoteKey: string | null;
  attempts: number;
  status: string;
  resolvedBy?: string;
  resolution?: string;
  message: string;
}
interface TwinView {
  entityId: string;
  status: string;
}
interface Bulk {
  matched: number;
  resolved: number;
  open: number;
  atPeer: number;
}

/** B's incoming rule throws on a replica whose summary starts with `poison`. */
const POISONED = `if (String(replica.summary).startsWith('poison')) throw new Error('refused ' + replica.summary);
entity.type = replica.type || 'incident';
entity.summary = replica.summary;
`;
const FIXED = POISONED.replace("if (String(replica.summary).startsWith('poison')) ", '// ');

let p: SyncPair;

beforeAll(async () => {
  p = await syncPair();
  await publishRules(p.b, p.bConn, { incoming: POISONED });
});
afterAll(async () => {
  await stopAllHosts();
});

async function ok<T>(h: HostProcess, method: string, route: string, body?: unknown): Promise<T> {
  const r = await h.api<T>(method, route, body);
  if (r.status >= 300) throw new Error(`${method} ${route}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Creates incidents named `names` on `h`, forty at a time. */
async function incidents(h: HostProcess, names: string[]) {
  const out = [];
  for (let i = 0; i < names.length; i += 40)
    out.push(...(await Promise.all(names.slice(i, i + 40).map((summary) => createEntity(h, { summary })))));
  return out;
}

const run = (h: HostProcess, id: string) => ok<Run>(h, 'GET', `/api/runs/${id}`);
const untilOver = (h: HostProcess, id: string, timeoutMs = 60_000) =>
  waitFor(async () => {
    const r = await run(h, id);
    return r.finishedAt ? r : undefined;
  }, timeoutMs) as Promise<Run>;

async function errors(h: HostProcess, query: string) {
  return (await ok<{ items: ErrorView[] }>(h, 'GET', `/api/errors?limit=200&${query}`)).items;
}

async function twins(h: HostProcess, conn: string) {
  return (await ok<{ items: TwinView[] }>(h, 'GET', `/api/connections/${conn}/twins?limit=1000`)).items;
}

/** A bulk sync of everything an inactive trigger on `prefix*` summaries matches. */
async function bulk(prefix: string) {
  const trigger = await ok<{ id: string }>(p.a, 'POST', `/api/connections/${p.aConn}/triggers`, {
    entityType: 'incident',
    query: `summary ~ "${prefix}"`,
    active: false,
  });
  return (await ok<{ runId: string }>(p.a, 'POST', `/api/triggers/${trigger.id}/bulk-sync`)).runId;
}

describe('a bulk sync of 400 incidents whose incoming rule throws on 10 at the peer', () => {
  it('tells the same story on both sides, and follows a fix and retry at the peer', async () => {
    const names = Array.from({ length: 400 }, (_, i) => (i % 40 === 7 ? `poison bulk ${i}` : `bulk ${i}`));
    const made = await incidents(p.a, names);
    const poisoned = new Set(made.filter((e) => e.fields.summary.startsWith('poison')).map((e) => e.id));
    expect(poisoned.size).toBe(10);

    const runId = await bulk('bulk');
    const over = await untilOver(p.a, runId);
    // The sender counts what the peer did: 390 created there, 10 failed there.
    expect(over).toMatchObject({
      status: 'finished',
      total: 400,
      processed: 400,
      pending: 0,
      created: 390,
      errors: 10,
    });
    const atB = await errors(p.b, `connectionId=${p.bConn}&status=open`);
    expect(atB).toHaveLength(10);
    const bConn = await ok<{ counts: { twins: number } }>(p.b, 'GET', `/api/connections/${p.bConn}`);
    expect(bConn.counts.twins).toBe(390);

    // The sender lists the peer's errors as its own to see, on its entities, and says so on their twins.
    const atPeer = await errors(p.a, `connectionId=${p.aConn}&side=peer&status=open`);
    expect(new Set(atPeer.map((e) => e.entityId))).toEqual(poisoned);
    for (const e of atPeer) {
      expect(e).toMatchObject({ side: 'peer', attempts: 1, status: 'open' });
      expect(e.entityKey).toMatch(/^INC/);
      expect(e.message).toContain('refused poison bulk');
    }
    const statuses = await twins(p.a, p.aConn);
    expect(
      statuses
        .filter((t) => t.status === 'error_at_peer')
        .map((t) => t.entityId)
        .sort(),
    ).toEqual([...poisoned].sort());
    expect(statuses.filter((t) => t.status !== 'error_at_peer').every((t) => t.status === 'synced')).toBe(
      true,
    );
    const csv = await fetch(`${p.a.url}/api/runs/${runId}/report.csv?part=errors`, {
      headers: { authorization: `Bearer ${p.a.token}` },
    }).then((r) => r.text());
    expect(csv.trim().split('\r\n')).toHaveLength(11);
    expect(csv).toContain('refused poison bulk 7');

    // Fixed and retried at the peer: the sender's views agree again.
    await publishRules(p.b, p.bConn, { incoming: FIXED });
    const retried = await ok<Bulk>(p.b, 'POST', '/api/errors/retry', { connectionId: p.bConn });
    expect(retried).toMatchObject({ matched: 10, resolved: 10, open: 0 });
    await waitFor(async () => (await run(p.a, runId)).created === 400, 20_000);
    expect(await run(p.a, runId)).toMatchObject({ status: 'finished', created: 400, errors: 0, pending: 0 });
    expect(await errors(p.a, `connectionId=${p.aConn}&side=peer&status=open`)).toEqual([]);
    const resolved = await errors(p.a, `connectionId=${p.aConn}&side=peer&status=resolved`);
    expect(resolved).toHaveLength(10);
    for (const e of resolved)
      expect(e).toMatchObject({ resolvedBy: 'partner: admin-token', resolution: 'retried' });
    await waitFor(async () => (await twins(p.a, p.aConn)).every((t) => t.status === 'synced'), 20_000);
    await publishRules(p.b, p.bConn, { incoming: POISONED });
  });
});

describe('retry all and resolve all at the peer, by filter', () => {
  it('a failed retry counts attempts on the same errors; resolve all skips only what the filter names', async () => {
    const names = [
      ...Array.from({ length: 4 }, (_, i) => `poison-red ${i}`),
      ...Array.from({ length: 4 }, (_, i) => `poison-blue ${i}`),
    ];
    const made = await incidents(p.a, names);
    const runId = await bulk('poison-');
    await waitFor(async () => (await run(p.a, runId)).errors === 8, 30_000);

    // Not fixed: a retry of the blue ones fails again, on the same errors, one more attempt each.
    const before = await errors(p.b, `connectionId=${p.bConn}&status=open&q=blue`);
    expect(before).toHaveLength(4);
    const again = await ok<Bulk>(p.b, 'POST', '/api/errors/retry', { connectionId: p.bConn, q: 'BLUE' });
    expect(again).toMatchObject({ matched: 4, resolved: 0, open: 4, atPeer: 0 });
    const after = await errors(p.b, `connectionId=${p.bConn}&status=open&q=blue`);
    expect(after.map((e) => [e.id, e.attempts]).sort()).toEqual(before.map((e) => [e.id, 2]).sort());
    await waitFor(async () => {
      const seen = await errors(p.a, `connectionId=${p.aConn}&side=peer&status=open&q=blue`);
      return seen.length === 4 && seen.every((e) => e.attempts === 2);
    }, 20_000);
    // Here the partner's errors are read-only: retry all leaves them, a retry of one is refused.
    const here = await ok<Bulk>(p.a, 'POST', '/api/errors/retry', { connectionId: p.aConn, q: 'poison-' });
    expect(here).toMatchObject({ atPeer: 8, resolved: 0 });
    const [one] = await errors(p.a, `connectionId=${p.aConn}&side=peer&status=open&q=red`);
    const refused = await p.a.api<{ code: string }>('POST', `/api/errors/${one!.id}/retry`);
    expect(refused).toMatchObject({ status: 409, body: { code: 'error_at_peer' } });

    // Resolve all for blue skips those; a fix and retry all applies the red ones.
    const skipped = await ok<Bulk>(p.b, 'POST', '/api/errors/resolve', { connectionId: p.bConn, q: 'blue' });
    expect(skipped).toMatchObject({ matched: 4, resolved: 4 });
    await publishRules(p.b, p.bConn, { incoming: FIXED });
    expect(await ok<Bulk>(p.b, 'POST', '/api/errors/retry', { level: 'entity' })).toMatchObject({
      matched: 4,
      resolved: 4,
    });
    await waitFor(async () => (await run(p.a, runId)).errors === 0, 20_000);
    expect(await run(p.a, runId)).toMatchObject({ created: 4, skipped: 4, errors: 0, pending: 0 });
    const resolved = await errors(p.a, `connectionId=${p.aConn}&side=peer&status=resolved&q=poison-`);
    const how = new Map(resolved.map((e) => [e.entityId, e.resolution]));
    for (const e of made)
      expect(how.get(e.id)).toBe(e.fields.summary.includes('blue') ? 'skipped' : 'retried');
    await publishRules(p.b, p.bConn, { incoming: POISONED });
  });
});

describe('a running run', () => {
  it('is cancelled while its events wait on a paused connection, and ends once they have their outcomes', async () => {
    await ok(p.b, 'POST', `/api/connections/${p.bConn}/deactivate`);
    await waitFor(
      async () =>
        (await ok<{ state: string }>(p.a, 'GET', `/api/connections/${p.aConn}`)).state === 'deactivated',
    );
    await incidents(p.a, ['paused 1', 'paused 2', 'paused 3']);
    const runId = await bulk('paused');
    await waitFor(async () => (await run(p.a, runId)).pending === 3, 20_000);
    const cancelled = await ok<Run>(p.a, 'POST', `/api/runs/${runId}/cancel`);
    expect(cancelled).toMatchObject({ status: 'cancelled', finishedAt: null, pending: 3 });
    const node = await ok<{ items: Run[] }>(p.a, 'GET', '/api/runs?status=cancelled');
    expect(node.items.map((r) => r.id)).toContain(runId);

    await ok(p.b, 'POST', `/api/connections/${p.bConn}/activate`);
    const over = await untilOver(p.a, runId, 30_000);
    expect(over).toMatchObject({ status: 'cancelled', created: 3, pending: 0, processed: 3 });
  });
});

describe('a restart of the sending host', () => {
  it('leaves a run where it was; it goes on and finishes with counts the peer agrees with', async () => {
    // 20 ms of outgoing rule per entity: the run's first chunk takes seconds, so the kill lands in it.
    const rules = await ok<{ published: { outgoing: string } }>(
      p.a,
      'GET',
      `/api/connections/${p.aConn}/rules`,
    );
    await publishRules(p.a, p.aConn, {
      outgoing: `if (String(entity.summary).startsWith('restart')) { const until = Date.now() + 20; while (Date.now() < until); }\n${rules.published.outgoing}`,
    });
    const names = Array.from({ length: 300 }, (_, i) => `restart ${i}`);
    await incidents(p.a, names);
    const runId = await bulk('restart');
    await p.a.stop('SIGKILL');
    p.a = await restart(p.a, 'Alpha');
    // Nothing of it was queued before the kill: the restarted host queues it all from the run's own state.
    expect(await run(p.a, runId)).toMatchObject({ status: 'running', total: 300, processed: 0, pending: 0 });
    const over = await untilOver(p.a, runId, 90_000);
    expect(over, JSON.stringify(over)).toMatchObject({
      status: 'finished',
      total: 300,
      processed: 300,
      created: 300,
      errors: 0,
    });
    const atB = await ok<{ items: unknown[] }>(p.b, 'POST', '/api/entities/match', {
      type: 'incident',
      query: 'summary ~ "restart"',
    });
    expect(atB).toMatchObject({ count: 300 });
  });
});
