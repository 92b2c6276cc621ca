// Two `tandem start` processes on one PostgreSQL database as one node (A), behind a small load balancer, and a
// peer host (B) with two connections to it: the connections spread over the processes (a peer link reaching the
// other process is relayed), changes stream both ways, a process killed with SIGKILL has its connections taken
// over within 10 s, the database dropping every connection is survived, and every change arrives exactly once.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type HostProcess,
  startHostProcess,
  stopAllHosts,
  tempDir,
  waitFor,
} from './support/host-process.ts';
import { accept, connection, initiate, waitConn } from './support/pairing-support.ts';
import {
  bySummary,
  COUNTING_INCOMING,
  COUNTING_OUTGOING,
  createEntity,
  type Entity,
  lastQueued,
  patchEntity,
  publishRules,
  SYNC_ENV,
  untilQueued,
  upTo,
} from './support/sync.ts';
import { type FreshPostgres, freshPostgres, PG_URL } from './support/test-postgres.ts';

interface NodeView {
  processes: Array<{ id: string; url: string; connections: string[] }>;
}

/** A TCP balancer in front of A's processes: each new connection goes to the first target that answers. */
async function startBalancer(targets: () => number[]) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    const tryTarget = (i: number) => {
      const ports = targets();
      if (i >= ports.length) return client.destroy();
      const upstream = net.connect(ports[i]!, '127.0.0.1');
      upstream.once('error', () => tryTarget(i + 1));
      upstream.once('connect', () => {
        upstream.removeAllListeners('error');
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        sockets.add(upstream);
        upstream.on('close', () => sockets.delete(upstream));
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    tryTarget(0);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const portOf = (h: HostProcess) => Number(new URL(h.url).port);
const alive = (h: HostProcess) => h.child.exitCode === null && h.child.signalCode === null;
const ENV = { ...SYNC_ENV, TANDEM_LOG_LEVEL: 'warn' };

let fresh: FreshPostgres;
let balancer: Awaited<ReturnType<typeof startBalancer>>;
let a1: HostProcess;
let a2: HostProcess;
let b: HostProcess;
const token = `test-token-${randomBytes(16).toString('hex')}`;
const secretKey = randomBytes(32).toString('hex');
/** A's connections (c1 A->B for priority 1 and B->A for priority 3; c2 A->B for priority 2) and B's. */
let c1: string;
let c2: string;
let b1: string;
let b2: string;

function startA(dataDir = tempDir('tandem-a-')): Promise<HostProcess> {
  return startHostProcess({
    dataDir,
    token,
    name: 'Alpha',
    // A slow tick: a change through the other process must reach the holder by its wake-up, not the tick.
    env: {
      ...ENV,
      TANDEM_SYNC_TICK_MS: '5000',
      TANDEM_DATABASE_URL: fresh.url,
      TANDEM_SECRET_KEY: secretKey,
    },
  });
}

async function processes(h: HostProcess): Promise<NodeView['processes']> {
  const r = await h.api<NodeView>('GET', '/api/node');
  return r.body.processes;
}

const holderOf = async (h: HostProcess, conn: string) =>
  (await processes(h)).find((p) => p.connections.includes(conn))?.url;

async function pairOnce(): Promise<{ mine: string; theirs: string }> {
  const { connection, invitationCode } = await initiate(a1, null, { mode: 'script' });
  const accepted = await accept(b, invitationCode);
  if (accepted.status !== 201) throw new Error(`accept failed: ${JSON.stringify(accepted.body)}`);
  await waitConn(a1, connection.id, (c) => c.state === 'active', 20_000);
  await waitConn(b, accepted.body.connection.id, (c) => c.state === 'active' && c.link.up, 20_000);
  return { mine: connection.id, theirs: accepted.body.connection.id };
}

async function trigger(h: HostProcess, conn: string, priority: number) {
  const r = await h.api('POST', `/api/connections/${conn}/triggers`, {
    entityType: 'incident',
    query: `priority = ${priority}`,
    active: true,
  });
  if (r.status !== 201) throw new Error(`trigger failed: ${r.status} ${JSON.stringify(r.body)}`);
}

/** Received incidents get priority 4, which no trigger sends: nothing echoes back. */
const INCOMING = `entity.priority = 4;\n${COUNTING_INCOMING}`;

beforeAll(async () => {
  fresh = await freshPostgres();
  a1 = await startA();
  // The second process shares the database (node identity, tokens, data); its own data directory.
  a2 = await startA();
  b = await startHostProcess({ name: 'Beta', env: ENV });
  balancer = await startBalancer(() => [a1, a2].filter(alive).map(portOf));
  const node = await a1.api('PATCH', '/api/node', { publicUrl: balancer.url });
  expect(node.status).toBe(200);
  ({ mine: c1, theirs: b1 } = await pairOnce());
  ({ mine: c2, theirs: b2 } = await pairOnce());
  // Rules and triggers set through either process: the admin API of each reaches every connection.
  await publishRules(a1, c1, { outgoing: COUNTING_OUTGOING, incoming: INCOMING });
  await publishRules(a2, c2, { outgoing: COUNTING_OUTGOING, incoming: INCOMING });
  await publishRules(b, b1, { outgoing: COUNTING_OUTGOING, incoming: INCOMING });
  await publishRules(b, b2, { outgoing: COUNTING_OUTGOING, incoming: INCOMING });
  await trigger(a2, c1, 1);
  await trigger(a1, c2, 2);
  await trigger(b, b1, 3);
}, 120_000);

afterAll(async () => {
  await balancer?.close();
  await stopAllHosts();
  await fresh?.drop();
});

/** Writes round `n` of `names` on `h` (round 1 creates them with `priority`). */
async function round(h: HostProcess, ids: string[], names: string[], n: number, priority: number) {
  if (n === 1)
    ids.push(
      ...(await Promise.all(names.map((summary) => createEntity(h, { summary, n, priority })))).map(
        (e) => e.id,
      ),
    );
  else await Promise.all(ids.map((id) => patchEntity(h, id, { n })));
}

/** Waits until `at` has every entity of `names` with `seen` = 1..rounds, then checks no duplicate arrived. */
async function appliedOnce(at: () => HostProcess, names: string[], rounds: number) {
  const all = await waitFor(
    async () => {
      const got = await bySummary(at());
      return names.every((s) => {
        const seen = got.get(s)?.fields.seen as number[] | undefined;
        return seen !== undefined && seen.length >= rounds && seen.at(-1) === rounds;
      })
        ? got
        : undefined;
    },
    60_000,
    200,
  ).catch(async (err: unknown) => {
    const got = await bySummary(at()).catch(() => new Map<string, Entity>());
    throw new Error(
      `${String(err)}; seen: ${JSON.stringify(names.map((s) => [s, got.get(s)?.fields.seen]))}`,
    );
  });
  for (const name of names)
    expect({ name, seen: all!.get(name)!.fields.seen }).toEqual({ name, seen: upTo(rounds) });
}

describe('two processes on one PostgreSQL database as one node', () => {
  it('spreads the connections over both processes and lists them in GET /api/node', async () => {
    const listed = await waitFor(async () => {
      const ps = await processes(a1);
      return ps.length === 2 && ps.every((p) => p.connections.length === 1) ? ps : undefined;
      // A connection taken for a peer that just dialed moves only after the minimum hold (15 s).
    }, 40_000);
    expect(listed!.map((p) => p.url).sort()).toEqual([a1.url, a2.url].sort());
    // Set through a1 after a2 started: a2 read it again when a1 told it.
    expect((await a2.api<{ publicUrl: string }>('GET', '/api/node')).body.publicUrl).toBe(balancer.url);
    expect(listed!.flatMap((p) => p.connections).sort()).toEqual([c1, c2].sort());
    // The peer dialed the balancer, which sends to a1 first: the link of the connection a2 holds is relayed.
    // Each process shows every link up, the ones its sibling runs too (reported at each heartbeat).
    for (const h of [a1, a2]) for (const c of [c1, c2]) await waitConn(h, c, (x) => x.link.up, 10_000);
    const metrics = await fetch(`${a1.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(await metrics.text()).toMatch(/process="[0-9a-f-]{36}"/);
  }, 60_000);

  it('wakes the holding process at once when an entity is written through the other one (LISTEN/NOTIFY)', async () => {
    const holder = (await holderOf(a1, c1)) === a1.url ? a1 : a2;
    const other = holder === a1 ? a2 : a1;
    const started = Date.now();
    const made = await createEntity(other, { summary: 'woken', n: 1, priority: 1 });
    await waitFor(async () => (await lastQueued(holder, made.id))?.n === 1, 5_000, 20);
    // The holder's own tick is 5 s: only the notification brings it this soon.
    expect(Date.now() - started).toBeLessThan(1_000);
    await waitFor(async () => (await bySummary(b)).get('woken')?.fields.seen, 10_000);
  });

  it('a process whose lease renewals hang lets its connection go and the other takes it over; nothing is lost or applied twice', async () => {
    const stuckUrl = await holderOf(a1, c1);
    const stuck = stuckUrl === a1.url ? a1 : a2;
    const other = stuck === a1 ? a2 : a1;
    const stuckId = (await processes(other)).find((p) => p.url === stuckUrl)!.id;
    const fromA = Array.from({ length: 5 }, (_, i) => `hang out ${i}`);
    const fromB = Array.from({ length: 5 }, (_, i) => `hang in ${i}`);
    const ids = { a: [] as string[], b: [] as string[] };
    const ROUNDS = 5;
    const step = async (n: number) => {
      await round(other, ids.a, fromA, n, 1);
      await round(b, ids.b, fromB, n, 3);
      await untilQueued(other, ids.a, n, 30_000);
      await untilQueued(b, ids.b, n, 30_000);
    };
    await step(1);
    // Another session holds the stuck process's registry row: its heartbeat waits on it and renews nothing.
    const blocker = new pg.Client({ connectionString: fresh.url });
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query('select 1 from node_processes where id = $1 for update', [stuckId]);
      // Its lease expires unrenewed and the other process takes c1 over; the stuck one let the peer's link go
      // before (its one database connection waits on the lock: only the peer can tell).
      let downAt: number | undefined;
      let takenAt: number | undefined;
      await waitFor(
        async () => {
          const [there, holder] = await Promise.all([connection(b, b1), holderOf(other, c1)]);
          if (downAt === undefined && !there.link.up) downAt = Date.now();
          if (takenAt === undefined && holder === other.url) takenAt = Date.now();
          return downAt !== undefined && takenAt !== undefined;
        },
        15_000,
        50,
      );
      expect(downAt!).toBeLessThan(takenAt!);
      await step(2);
      await step(3);
    } finally {
      await blocker.query('rollback');
      await blocker.end();
    }
    // Unblocked: the rounds go on, and every change arrives once.
    await step(4);
    await step(5);
    await appliedOnce(() => b, fromA, ROUNDS);
    await appliedOnce(() => other, fromB, ROUNDS);
  }, 150_000);

  it('streams changes both ways; a process killed with SIGKILL has its connections taken over within 10 s; nothing is lost or applied twice', async () => {
    const fromA1 = Array.from({ length: 8 }, (_, i) => `c1 out ${i}`);
    const fromA2 = Array.from({ length: 8 }, (_, i) => `c2 out ${i}`);
    const fromB = Array.from({ length: 8 }, (_, i) => `b in ${i}`);
    const ids = { a1: [] as string[], a2: [] as string[], b: [] as string[] };
    const ROUNDS = 8;
    let survivor = a1;
    for (let n = 1; n <= ROUNDS; n++) {
      await round(survivor, ids.a1, fromA1, n, 1);
      await round(alive(a2) ? a2 : a1, ids.a2, fromA2, n, 2);
      await round(b, ids.b, fromB, n, 3);
      if (n === 4) {
        // Kill the process that holds c1, with changes of this round still streaming.
        const victim = (await holderOf(a1, c1)) === a1.url ? a1 : a2;
        survivor = victim === a1 ? a2 : a1;
        const killedAt = Date.now();
        await victim.stop('SIGKILL');
        await waitFor(
          async () => {
            const ps = await processes(survivor);
            return ps.length === 1 && ps[0]!.connections.length === 2;
          },
          10_000,
          100,
        );
        expect(Date.now() - killedAt).toBeLessThan(10_000);
      }
      // Each round is queued before the next is written, or two rounds of an entity may go as one replica.
      await untilQueued(survivor, ids.a1, n, 30_000);
      await untilQueued(survivor, ids.a2, n, 30_000);
      await untilQueued(b, ids.b, n, 30_000);
    }
    await appliedOnce(() => b, fromA1, ROUNDS);
    await appliedOnce(() => b, fromA2, ROUNDS);
    await appliedOnce(() => survivor, fromB, ROUNDS);
    const atA = await bySummary(survivor);
    expect([...atA.keys()].filter((k) => k.startsWith('b in')).sort()).toEqual([...fromB].sort());
    const atB = await bySummary(b);
    expect([...atB.keys()].filter((k) => k.startsWith('c')).sort()).toEqual([...fromA1, ...fromA2].sort());
  }, 180_000);

  it('goes on after PostgreSQL ends every connection to the database; nothing is lost', async () => {
    const host = [a1, a2].find(alive)!;
    const names = Array.from({ length: 5 }, (_, i) => `after drop ${i}`);
    const ids: string[] = [];
    await round(host, ids, names, 1, 1);
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [
        fresh.name,
      ]);
    } finally {
      await admin.end();
    }
    // Once the API answers again (its pool replaced the ended connections), the rounds go on as before.
    await waitFor(async () => (await host.api('GET', '/api/node')).status === 200, 20_000, 200);
    await untilQueued(host, ids, 1, 30_000);
    for (let n = 2; n <= 4; n++) {
      await round(host, ids, names, n, 1);
      await untilQueued(host, ids, n, 30_000);
    }
    await appliedOnce(() => b, names, 4);
    const ps = await processes(host);
    expect(ps[0]!.connections.sort()).toEqual([c1, c2].sort());
  }, 120_000);
});
