// Two `tandem start` processes on one PostgreSQL database as one node (A) and a peer (B): admin actions whose path
// names no connection (retry all / resolve all errors by filter) work through the process that does not hold the
// connection, with the answer of one process and one audit entry.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type HostProcess,
  startHostProcess,
  stopAllHosts,
  tempDir,
  waitFor,
} from './support/host-process.ts';
import { accept, initiate, waitConn } from './support/pairing-support.ts';
import {
  bySummary,
  COUNTING_INCOMING,
  COUNTING_OUTGOING,
  createEntity,
  openErrors,
  patchEntity,
  publishRules,
  SYNC_ENV,
} from './support/sync.ts';
import { type FreshPostgres, freshPostgres } from './support/test-postgres.ts';

const ENV = { ...SYNC_ENV, TANDEM_LOG_LEVEL: 'warn' };
const token = `test-token-${randomBytes(16).toString('hex')}`;
const secretKey = randomBytes(32).toString('hex');
/** A's outgoing rule fails on every incident whose summary starts with "boom". */
const FAILING_OUTGOING = `if (entity.summary.startsWith('boom')) throw new Error('boom refused');\n${COUNTING_OUTGOING}`;

let fresh: FreshPostgres;
let a1: HostProcess;
let a2: HostProcess;
let b: HostProcess;
let conn: string;

const startA = () =>
  startHostProcess({
    dataDir: tempDir('tandem-a-'),
    token,
    name: 'Alpha',
    env: { ...ENV, TANDEM_DATABASE_URL: fresh.url, TANDEM_SECRET_KEY: secretKey },
  });

/** The process of A holding the connection's lease, and the other one. */
async function holderAndOther(): Promise<{ holder: HostProcess; other: HostProcess }> {
  const r = await a1.api<{ processes: Array<{ url: string; connections: string[] }> }>('GET', '/api/node');
  const url = r.body.processes.find((p) => p.connections.includes(conn))?.url;
  if (!url) throw new Error(`no process holds ${conn}: ${JSON.stringify(r.body.processes)}`);
  return url === a1.url ? { holder: a1, other: a2 } : { holder: a2, other: a1 };
}

async function auditCount(h: HostProcess, action: string): Promise<number> {
  const r = await h.api<{ items: Array<{ action: string }> }>('GET', '/api/audit?limit=200');
  return r.body.items.filter((e) => e.action === action).length;
}

/**
 * An incident synced to the peer, then changed so that the outgoing rule refuses it: its open error, and its twin
 * marked in error (resolving or retrying it writes the twin, which only the holder may).
 */
async function failing(summary: string, connection = conn, priority = 1) {
  const entity = await createEntity(a1, { summary: `fine ${summary}`, priority });
  await waitFor(async () => (await twinOf(a1, entity.id))?.remoteId, 20_000);
  await patchEntity(a1, entity.id, { summary });
  const error = await waitFor(async () =>
    (await openErrors(a1, connection)).find((e) => e.entityId === entity.id),
  );
  return { entity, error: error! };
}

async function twinOf(h: HostProcess, id: string) {
  const r = await h.api<{ items: Array<{ remoteId: string | null; status: string }> }>(
    'GET',
    `/api/entities/${id}/sync`,
  );
  return r.body.items[0];
}

beforeAll(async () => {
  fresh = await freshPostgres();
  [a1, a2, b] = await Promise.all([startA(), startA(), startHostProcess({ name: 'Beta', env: ENV })]);
  // No balancer here: the peer dials a1, which relays the link when a2 holds the connection.
  expect((await a1.api('PATCH', '/api/node', { publicUrl: a1.url })).status).toBe(200);
  const { connection, invitationCode } = await initiate(a1, null, { mode: 'script' });
  const accepted = await accept(b, invitationCode);
  if (accepted.status !== 201) throw new Error(`accept failed: ${JSON.stringify(accepted.body)}`);
  conn = connection.id;
  await waitConn(a1, conn, (c) => c.state === 'active' && c.link.up, 20_000);
  await waitConn(b, accepted.body.connection.id, (c) => c.state === 'active' && c.link.up, 20_000);
  await publishRules(a1, conn, { outgoing: FAILING_OUTGOING });
  await publishRules(b, accepted.body.connection.id, { incoming: COUNTING_INCOMING });
  const t = await a2.api('POST', `/api/connections/${conn}/triggers`, {
    entityType: 'incident',
    query: 'priority = 1',
    active: true,
  });
  expect(t.status).toBe(201);
}, 120_000);

afterAll(async () => {
  await stopAllHosts();
  await fresh?.drop();
});

describe('bulk error actions on a node of two processes', () => {
  it('resolves by filter through the process not holding the connection: one answer, one audit entry', async () => {
    const { entity, error } = await failing('boom resolve');
    const { holder, other } = await holderAndOther();
    const before = await auditCount(holder, 'error.resolved');
    const r = await other.api('POST', '/api/errors/resolve', { q: entity.id });
    expect({ status: r.status, body: r.body }).toEqual({
      status: 200,
      body: { matched: 1, resolved: 1, open: 0, atPeer: 0, more: false },
    });
    const after = await holder.api<{ items: Array<{ id: string; status: string; resolution?: string }> }>(
      'GET',
      `/api/errors?q=${entity.id}`,
    );
    expect(after.body.items).toEqual([expect.objectContaining({ id: error.id, status: 'resolved' })]);
    expect(after.body.items[0]!.resolution).toBe('skipped');
    expect((await twinOf(other, entity.id))?.status).toBe('synced');
    // The process that split the request wrote the one entry; the holder's part wrote none.
    expect(await auditCount(holder, 'error.resolved')).toBe(before + 1);
  });

  it('serves a console write (session cookie, same-origin) through the process not holding the connection', async () => {
    const password = 'a long enough password 1';
    const user = await a1.api('POST', '/api/users', {
      email: 'console@example.com',
      name: 'Console',
      role: 'admin',
      password,
    });
    expect(user.status).toBe(201);
    const { error } = await failing('boom console');
    const { other } = await holderAndOther();
    const signIn = await fetch(`${other.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: other.url },
      body: JSON.stringify({ email: 'console@example.com', password }),
    });
    expect(signIn.status).toBe(201);
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    // What the console sends: its own origin, no token. The holder sees another address than the browser used.
    const write = (path: string, body: unknown) =>
      fetch(`${other.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: other.url, cookie },
        body: JSON.stringify(body),
      });
    const single = await write(`/api/errors/${error.id}/resolve`, {});
    expect({ status: single.status, forwarded: single.headers.get('x-tandem-forwarded') }).toMatchObject({
      status: 200,
      forwarded: expect.stringMatching(/^http/),
    });
    const { entity: second } = await failing('boom console bulk');
    const bulk = await write('/api/errors/resolve', { q: second.id });
    expect({ status: bulk.status, body: await bulk.json() }).toEqual({
      status: 200,
      body: { matched: 1, resolved: 1, open: 0, atPeer: 0, more: false },
    });
  });

  it('retries by filter through the process not holding the connection: the entity reaches the peer', async () => {
    const { entity, error } = await failing('boom retry');
    // The rule is fixed; the error waits for a retry.
    await publishRules(a2, conn, { outgoing: COUNTING_OUTGOING });
    const { other } = await holderAndOther();
    const r = await other.api('POST', '/api/errors/retry', { level: 'entity', q: entity.id });
    expect({ status: r.status, body: r.body }).toEqual({
      status: 200,
      body: { matched: 1, resolved: 1, open: 0, atPeer: 0, more: false },
    });
    expect((await openErrors(a1, conn)).map((e) => e.id)).not.toContain(error.id);
    await waitFor(async () => (await bySummary(b)).has('boom retry'), 20_000);
  });

  it('splits one filter over both processes, each acting on the connections it holds, and sums the answers', async () => {
    // A second connection, dialed by the peer at the process that does not hold the first: that one takes it,
    // so each process holds one (a rebalance would wait for the minimum hold of 15 s).
    const { other } = await holderAndOther();
    expect((await other.api('PATCH', '/api/node', { publicUrl: other.url })).status).toBe(200);
    const { connection, invitationCode } = await initiate(other, null, { mode: 'script' });
    expect((await accept(b, invitationCode)).status).toBe(201);
    const conn2 = connection.id;
    await waitConn(a1, conn2, (c) => c.state === 'active', 20_000);
    await publishRules(a1, conn2, { outgoing: FAILING_OUTGOING });
    const t = await a1.api('POST', `/api/connections/${conn2}/triggers`, {
      entityType: 'incident',
      query: 'priority = 2',
      active: true,
    });
    expect(t.status).toBe(201);
    await publishRules(a1, conn, { outgoing: FAILING_OUTGOING });
    await waitFor(
      async () => {
        const r = await a1.api<{ processes: Array<{ connections: string[] }> }>('GET', '/api/node');
        return r.body.processes.length === 2 && r.body.processes.every((p) => p.connections.length === 1);
      },
      40_000,
      200,
    );
    await failing('boom sum 1');
    await failing('boom sum 2', conn2, 2);
    const r = await a2.api('POST', '/api/errors/resolve', { q: 'boom refused' });
    expect(r.body).toEqual({ matched: 2, resolved: 2, open: 0, atPeer: 0, more: false });
    expect(await openErrors(a1, conn)).toEqual([]);
    expect(await openErrors(a1, conn2)).toEqual([]);
  }, 90_000);

  it('answers 503 process_unreachable while the holder is gone (bulk or forwarded), and works once another process took over', async () => {
    await publishRules(a1, conn, { outgoing: FAILING_OUTGOING });
    const { error } = await failing('boom unreachable');
    const { holder, other } = await holderAndOther();
    await holder.stop('SIGKILL');
    // Its lease runs 5 s more: the holder named is gone. One error's retry, forwarded there, says so too.
    const one = await other.api<{ code: string }>('POST', `/api/errors/${error.id}/retry`);
    expect({ status: one.status, code: one.body.code }).toEqual({ status: 503, code: 'process_unreachable' });
    const refused = await other.api<{ code: string; connectionId: string }>('POST', '/api/errors/resolve', {
      q: 'boom refused',
    });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: 'process_unreachable', connectionId: conn });
    const done = await waitFor(
      async () => {
        const r = await other.api<{ resolved: number }>('POST', '/api/errors/resolve', { q: 'boom refused' });
        return r.status === 200 ? r.body : undefined;
      },
      15_000,
      250,
    );
    expect(done).toMatchObject({ resolved: 1, open: 0 });
    const after = await other.api<{ items: Array<{ id: string; status: string }> }>(
      'GET',
      `/api/errors?connectionId=${conn}&status=open`,
    );
    expect(after.body.items.map((e) => e.id)).not.toContain(error.id);
  }, 60_000);
});
