// What only PostgreSQL has: real `tandem start` processes on one database started at the same moment
// (migrations once, one node identity and admin token), a different secret key refused, and connections
// the server drops under a running host.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { migrationProvider } from '../storage/migrations/index.ts';
import {
  type HostProcess,
  startHostProcess,
  stopAllHosts,
  tempDir,
  waitFor,
} from './support/host-process.ts';
import { type FreshPostgres, freshPostgres } from './support/test-postgres.ts';

const key = () => randomBytes(32).toString('base64');
const token = () => `test-token-${randomBytes(16).toString('hex')}`;

let fresh: FreshPostgres | undefined;
afterEach(async () => {
  await stopAllHosts();
  await fresh?.drop();
  fresh = undefined;
});
afterAll(() => stopAllHosts());

async function query<R extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

function onDatabase(url: string, secretKey: string, adminToken?: string) {
  return startHostProcess({
    dataDir: tempDir(),
    // An empty TANDEM_ADMIN_TOKEN is unset: the host generates one.
    env: { TANDEM_DATABASE_URL: url, TANDEM_SECRET_KEY: secretKey, TANDEM_ADMIN_TOKEN: adminToken ?? '' },
    ...(adminToken ? { token: adminToken } : {}),
  });
}

describe('processes on one PostgreSQL database', () => {
  it('started at the same moment: both come up, migrations ran once, one node id and one admin token', async () => {
    fresh = await freshPostgres();
    const secret = key();
    const [a, b] = await Promise.all([onDatabase(fresh.url, secret), onDatabase(fresh.url, secret)]);
    const applied = await query<{ name: string }>(
      fresh.url,
      'select name from kysely_migration order by name',
    );
    const all = Object.keys(await migrationProvider.getMigrations()).sort();
    expect(applied.map((r) => r.name)).toEqual(all);
    // Exactly one of them made the admin token, and it opens both.
    const printed = [a, b]
      .map((h) => /Admin token \(shown once, store it safely\): (\S+)/.exec(h.stdout())?.[1])
      .filter((t) => t !== undefined);
    expect(printed).toHaveLength(1);
    const nodes: string[] = [];
    for (const h of [a, b] as HostProcess[]) {
      const res = await fetch(`${h.url}/api/node`, { headers: { authorization: `Bearer ${printed[0]}` } });
      expect(res.status).toBe(200);
      nodes.push(((await res.json()) as { nodeId: string }).nodeId);
    }
    expect(nodes[0]).toBe(nodes[1]);
    const rows = await query<{ node_id: string }>(fresh.url, 'select node_id from node_identity');
    expect(rows.map((r) => r.node_id)).toEqual([nodes[0]]);
  });

  it('keeps the identity across restarts, and refuses a process with another secret key, saying why', async () => {
    fresh = await freshPostgres();
    const secret = key();
    const admin = token();
    const first = await onDatabase(fresh.url, secret, admin);
    const nodeId = (await first.api<{ nodeId: string }>('GET', '/api/node')).body.nodeId;
    await first.stop();
    const again = await onDatabase(fresh.url, secret, admin);
    expect((await again.api<{ nodeId: string }>('GET', '/api/node')).body.nodeId).toBe(nodeId);
    const stranger = onDatabase(fresh.url, key(), admin);
    await expect(stranger).rejects.toThrow(/secret_key_mismatch/);
    await expect(stranger).rejects.toThrow(/same TANDEM_SECRET_KEY/);
    // The one with the right key serves on.
    expect((await again.api('GET', '/api/node')).status).toBe(200);
  });
});

describe('a host whose database connections are dropped', () => {
  it('logs it, does not crash, and serves the next request on a new connection', async () => {
    fresh = await freshPostgres();
    const admin = token();
    const host = await onDatabase(fresh.url, key(), admin);
    expect((await host.api('GET', '/api/connections')).status).toBe(200);
    const name = fresh.name;
    // This host's connections to this database only: the server and every other test go on.
    const killed = await query<{ pid: number }>(
      fresh.url,
      `select pg_terminate_backend(pid) as ok, pid from pg_stat_activity
       where datname = $1 and application_name = 'tandem' and pid <> pg_backend_pid()`,
      [name],
    );
    expect(killed.length).toBeGreaterThan(0);
    await waitFor(() => host.stderr().includes('PostgreSQL connection was lost'));
    expect(host.child.exitCode).toBeNull();
    const after = await host.api<unknown[]>('GET', '/api/connections');
    expect(after.status).toBe(200);
    const created = await host.api<{ id: string }>('POST', '/api/users', {
      email: 'after@example.com',
      name: 'After',
      role: 'viewer',
      password: 'a long enough password 1',
    });
    expect(created.status).toBe(201);
    expect(host.child.exitCode).toBeNull();
  });

  it('answers 503 database_unavailable with Retry-After when the connection under a request is ended, then serves again', async () => {
    fresh = await freshPostgres();
    const admin = token();
    const host = await onDatabase(fresh.url, key(), admin);
    // Another session holds the users table: the host's list of users waits on it, in flight, on one backend.
    const locker = new pg.Client({ connectionString: fresh.url });
    await locker.connect();
    try {
      await locker.query('begin');
      await locker.query('lock table users in access exclusive mode');
      const answer = fetch(`${host.url}/api/users`, { headers: { authorization: `Bearer ${admin}` } });
      const waiting = await waitFor(async () => {
        const rows = await query<{ pid: number }>(
          fresh!.url,
          `select pid from pg_stat_activity
           where datname = $1 and application_name = 'tandem' and wait_event_type = 'Lock'`,
          [fresh!.name],
        );
        return rows[0]?.pid;
      });
      await query(fresh.url, 'select pg_terminate_backend($1)', [waiting]);
      const res = await answer;
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(await res.json()).toMatchObject({ status: 503, code: 'database_unavailable' });
    } finally {
      await locker.query('rollback').catch(() => undefined);
      await locker.end();
    }
    // The pool replaced the ended connection: the same request works now.
    const again = await host.api<{ items: unknown[] }>('GET', '/api/users');
    expect(again.status).toBe(200);
    expect(host.child.exitCode).toBeNull();
  });
});
