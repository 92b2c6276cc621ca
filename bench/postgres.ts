// Figure (g): one sending node S with many connections to one receiving host R, measured three ways in one run:
// S as one process on SQLite, as one process on PostgreSQL, and as two processes on one PostgreSQL database
// behind a small TCP balancer. R is the same every time (one bench host on SQLite, fresh for each configuration).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { FanoutCost } from '../tests/support/fanout.ts';
import { startChild } from './child.ts';
import { percentile, round, sleep } from './stats.ts';
import { BENCH_RULES, describe, HostHandle, type Missing, type RateFigure } from './tandem.ts';

export interface PostgresLatency {
  p50: number;
  p95: number;
  samples: number;
  ratePerSecond: number;
}

/** One configuration of S, everything measured on it. */
export interface PostgresConfig {
  name: string;
  database: 'sqlite' | 'postgres';
  processes: number;
  /** Connections paired (and active on both sides) before measuring. */
  connections: number;
  /** Wall time to pair them all (invitation + accept, in parallel batches) and see them active. */
  pairingSeconds: number;
  /** Connections each process of S held when measured (GET /api/node). */
  spread: number[];
  throughput: RateFigure | Missing;
  latency: PostgresLatency | Missing;
  /** Seconds S took after the throughput phase to apply what came back and have its events acknowledged. */
  drainSeconds?: number;
  /** CPU time (user + system) of S's processes (and their children) per synced change, throughput phase. */
  cpuMsPerChange?: number;
  /** The PostgreSQL server's backends serving S's database, CPU per synced change, same phase. */
  pgCpuMsPerChange?: number;
}

/**
 * One change's cost to the sending engine with one connection and beside many idle ones (their triggers match
 * nothing written): in process, its link down, single changes one after another. Statements do not depend on
 * the machine's load; CPU does a little.
 */
export interface FanoutFigure {
  database: 'sqlite' | 'postgres';
  /** Idle connections beside the one the changes concern, in the crowded case. */
  idle: number;
  changes: number;
  one: FanoutCost;
  crowded: FanoutCost;
  /** crowded / one: near 1 when a change costs nothing per connection it does not concern. */
  statementsRatio: number;
  cpuRatio: number;
}

export interface PostgresFigures {
  at: string;
  machine: string;
  connections: number;
  records: number;
  latencySamples: number;
  ratePerSecond: number;
  configs: PostgresConfig[];
  /** Per change, 1 connection vs many (BENCH_G_FANOUT_CHANGES changes each; absent in runs before it existed). */
  fanout?: Array<FanoutFigure | (Missing & { database: 'sqlite' | 'postgres' })>;
  ratios: {
    /** Throughput PG 1 process / SQLite 1 process; above 1: PostgreSQL faster. */
    pgVsSqliteThroughput?: number;
    /** Latency p50 PG 1 process / SQLite 1 process; below 1: PostgreSQL faster. */
    pgVsSqliteLatencyP50?: number;
    pgVsSqliteLatencyP95?: number;
    /** Throughput PG 2 processes / PG 1 process; above 1: the second process helps. */
    twoVsOneThroughput?: number;
    twoVsOneLatencyP50?: number;
    twoVsOneLatencyP95?: number;
    /** S's CPU per change, PG 1 process / SQLite 1 process (S's Node processes only). */
    pgVsSqliteCpu?: number;
    twoVsOneCpu?: number;
  };
  notes: string[];
}

export interface PostgresOptions {
  connections: number;
  records: number;
  latencySamples: number;
  rate: number;
  /** Pairings started at once. */
  pairBatch: number;
  /** The server's maintenance database, for creating and dropping the bench database. */
  adminUrl: string;
}

export const POSTGRES_OPTIONS = (base: { records: number; latencySamples: number; rate: number }) => ({
  connections: Number(process.env.BENCH_G_CONNECTIONS ?? 200),
  records: Number(process.env.BENCH_G_RECORDS ?? base.records),
  latencySamples: Number(process.env.BENCH_G_LATENCY_SAMPLES ?? Math.min(base.latencySamples, 200)),
  // Single changes, well below what S sustains (even two processes on PostgreSQL on 2 shared cores): a
  // rate near the throughput would measure the queue, not a change's way through.
  rate: Number(process.env.BENCH_G_RATE ?? 20),
  pairBatch: Number(process.env.BENCH_G_PAIR_BATCH ?? 10),
  adminUrl: process.env.BENCH_G_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
});

interface Conn {
  id: string;
  state: string;
  link?: { up: boolean };
}

interface NodeView {
  processes?: Array<{ id: string; url: string; connections: string[] }>;
}

async function admin<T>(url: string, run: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** A fresh database on the server, at the server's default settings (synchronous_commit on, as SQLite's FULL). */
async function createDatabase(
  adminUrl: string,
): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `tandem_bench_${randomBytes(6).toString('hex')}`;
  await admin(adminUrl, async (c) => {
    await c.query(`create database ${name}`);
    // BENCH_G_SYNCHRONOUS_COMMIT=off: commits that wait for no WAL flush (this database only), to see what
    // the flushes cost; the recorded figure keeps the default.
    const sync = process.env.BENCH_G_SYNCHRONOUS_COMMIT;
    if (sync === 'off' || sync === 'local')
      await c.query(`alter database ${name} set synchronous_commit = ${sync}`);
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () =>
      admin(adminUrl, async (c) => {
        await c.query(
          'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
          [name],
        );
        await c.query(`drop database if exists ${name}`);
      }),
  };
}

/** A TCP balancer in front of S's processes: new connections go round-robin, the next target if one refuses. */
async function startBalancer(ports: number[]): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let next = 0;
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    const first = next++ % ports.length;
    const tryTarget = (k: number) => {
      if (k >= ports.length) return client.destroy();
      const upstream = net.connect(ports[(first + k) % ports.length]!, '127.0.0.1');
      upstream.once('error', () => tryTarget(k + 1));
      upstream.once('connect', () => {
        upstream.removeAllListeners('error');
        upstream.on('error', () => client.destroy());
        sockets.add(upstream);
        upstream.on('close', () => {
          sockets.delete(upstream);
          client.destroy();
        });
        client.on('close', () => upstream.destroy());
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

/** Invitations one receiving host accepts at once (its accept rate limit allows 30, then one every 2 s). */
const ACCEPTS_PER_RECEIVER = 25;

const TICKS = 100; // USER_HZ on Linux

/** utime + stime of a process and all its live descendants, in ms (0 where /proc cannot be read). */
function treeCpuMs(root: number): number {
  const children = new Map<number, number[]>();
  const own = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command (which may hold spaces) in parentheses.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(rest[1]);
      own.set(Number(entry), ((Number(rest[11]) + Number(rest[12])) * 1000) / TICKS);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    total += own.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

/** CPU ms of the server backends now connected to `dbName`, by pid (a backend that ends meanwhile is lost). */
async function backendCpu(adminUrl: string, dbName: string): Promise<Map<number, number>> {
  const rows = await admin(
    adminUrl,
    async (c) =>
      (await c.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [dbName])).rows,
  );
  return new Map(rows.map((r) => [r.pid, treeCpuMs(r.pid)]));
}

async function allConnections(h: { api: HostHandle['api'] }): Promise<Conn[]> {
  const out: Conn[] = [];
  let cursor: string | undefined;
  do {
    const q = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const r = await h.api<{ items: Conn[]; nextCursor?: string }>('GET', `/api/connections?limit=200${q}`);
    if (r.status !== 200) break;
    out.push(...r.body.items);
    cursor = r.body.nextCursor;
  } while (cursor);
  return out;
}

/** Runs `fn` over `items`, `width` at a time. */
async function inBatches<T, R>(items: T[], width: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width)
    out.push(...(await Promise.all(items.slice(i, i + width).map((t, k) => fn(t, i + k)))));
  return out;
}

/** The admin API of S through a given base URL (a process, or the balancer), with the node's token. */
function endpoint(url: string, token: string) {
  return {
    url,
    token,
    async api<T>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> {
      const res = await fetch(`${url}${route}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // keep the text
      }
      return { status: res.status, body: parsed as T };
    },
  };
}

/**
 * Pairs as `pair` does. On PostgreSQL an accept can be refused with 502 ("No process of this node can take the
 * link now", while S's own heartbeat takes the new connection's lease); that code is then used up (a second
 * accept answers 409 invitation_used), so a retry pairs again with a new invitation, up to 3 times.
 */
async function pairRetrying(
  s: ReturnType<typeof endpoint>,
  r: ReturnType<typeof endpoint>,
  name: string,
  retried: string[],
): Promise<{ a: string; b: string } | Missing> {
  for (let attempt = 0; ; attempt++) {
    const created = await s.api<{ connection: Conn; invitationCode: string }>('POST', '/api/connections', {
      destinationUrl: r.url,
      mode: 'script',
      localName: 'acme',
      remoteName: 'globex',
      name: attempt ? `${name}-retry${attempt}` : name,
    });
    if (created.status !== 201) return { missing: `POST /api/connections answered ${describe(created)}` };
    const accepted = await r.api<{ connection: Conn }>('POST', '/api/invitations/accept', {
      code: created.body.invitationCode,
    });
    if (accepted.status === 201) return { a: created.body.connection.id, b: accepted.body.connection.id };
    if (accepted.status !== 502 || attempt >= 3)
      return { missing: `POST /api/invitations/accept answered ${describe(accepted)}` };
    retried.push(describe(accepted));
  }
}

async function runConfig(
  workDir: string,
  opts: PostgresOptions,
  cfg: { name: string; database: 'sqlite' | 'postgres'; processes: number },
  notes: string[],
  log: (s: string) => void,
): Promise<PostgresConfig> {
  const n = opts.connections;
  const base: PostgresConfig = {
    ...cfg,
    connections: 0,
    pairingSeconds: 0,
    spread: [],
    throughput: { missing: 'not run' },
    latency: { missing: 'not run' },
  };
  const dir = path.join(workDir, `g-${cfg.name}`);
  fs.rmSync(dir, { recursive: true, force: true });
  const db = cfg.database === 'postgres' ? await createDatabase(opts.adminUrl) : undefined;
  const token = `bench-${randomBytes(24).toString('base64url')}`;
  const secretKey = randomBytes(32).toString('base64');
  // Every link of the run dials from 127.0.0.1: the per-address handshake limit is raised, as
  // docs/operations.md tells a host behind one reverse proxy to.
  const common = { TANDEM_LINK_HANDSHAKES_PER_SECOND: '1000' };
  // BENCH_PROFILE=DIR: a CPU profile of each process of S there, and its time per SQL statement (sql-PID.txt).
  const prof = process.env.BENCH_PROFILE;
  const start = (sub: string, name: string, env: Record<string, string>) =>
    startChild<{ url: string; token: string }>('bench/tandem-host.ts', [path.join(dir, sub), name], {
      ipc: true,
      env: { ...common, ...env, ...(prof ? { TANDEM_SQL_PROFILE: prof } : {}) },
      ...(prof ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${prof}`] } : {}),
    }).then((c) => new HostHandle(c, name));
  const senders: HostHandle[] = [];
  let receiver: HostHandle | undefined;
  let receivers: Array<ReturnType<typeof endpoint>> = [];
  let balancer: Awaited<ReturnType<typeof startBalancer>> | undefined;
  try {
    const sEnv = {
      BENCH_ADMIN_TOKEN: token,
      ...(db ? { TANDEM_DATABASE_URL: db.url, TANDEM_SECRET_KEY: secretKey } : {}),
    };
    // The first process creates the schema and the node; the others join it.
    senders.push(await start('s1', 'Sender', sEnv));
    if (cfg.processes > 1)
      senders.push(
        ...(await Promise.all(
          Array.from({ length: cfg.processes - 1 }, (_, k) => start(`s${k + 2}`, 'Sender', sEnv)),
        )),
      );
    // R: enough hosts that none is asked to accept more than its accept rate limit lets through at once.
    const rChild = await startChild<{
      url: string;
      token: string;
      hosts: Array<{ url: string; token: string }>;
    }>('bench/tandem-receivers.ts', [path.join(dir, 'r'), String(Math.ceil(n / ACCEPTS_PER_RECEIVER))], {
      ipc: true,
      env: common,
    });
    receiver = new HostHandle(rChild, 'Receiver');
    receivers = rChild.ready.hosts.map((h) => endpoint(h.url, h.token));
    if (senders.length > 1) balancer = await startBalancer(senders.map((h) => Number(new URL(h.url).port)));
    const s = endpoint(balancer?.url ?? senders[0]!.url, token);
    const node = await s.api('PATCH', '/api/node', { publicUrl: s.url });
    if (node.status !== 200)
      return { ...base, throughput: { missing: `PATCH /api/node: ${describe(node)}` } };

    // Pairing: S invites, R accepts, `pairBatch` at once.
    log(`postgres: ${cfg.name}: pairing ${n} connections`);
    const t0 = Date.now();
    const retried: string[] = [];
    const paired = await inBatches(
      Array.from({ length: n }, (_, i) => i),
      opts.pairBatch,
      (i) => pairRetrying(s, receivers[i % receivers.length]!, `g-${i}`, retried),
    );
    const failed = paired.find((p) => 'missing' in p);
    const pairs = paired
      .map((p, i) => ({ ...p, r: receivers[i % receivers.length]! }))
      .filter((p): p is { a: string; b: string; r: ReturnType<typeof endpoint> } => !('missing' in p));
    if (failed && 'missing' in failed) notes.push(`(g) ${cfg.name}: a pairing failed: ${failed.missing}`);
    if (retried.length)
      notes.push(
        `(g) ${cfg.name}: ${retried.length} accept attempts (of ${n} pairings) were refused with 502 and paired again with a new invitation: ${retried[0]}`,
      );
    const activeBy = Date.now() + 120_000 + n * 500;
    let activeS = 0;
    let activeR = 0;
    while (Date.now() < activeBy) {
      const [cs, ...crs] = await Promise.all([allConnections(s), ...receivers.map(allConnections)]);
      activeS = cs!.filter((c) => c.state === 'active' && c.link?.up !== false).length;
      activeR = crs.flat().filter((c) => c.state === 'active' && c.link?.up !== false).length;
      if (activeS >= pairs.length && activeR >= pairs.length) break;
      await sleep(500);
    }
    base.connections = pairs.length;
    base.pairingSeconds = round((Date.now() - t0) / 1000, 1);
    if (activeS < pairs.length || activeR < pairs.length)
      notes.push(
        `(g) ${cfg.name}: ${activeS} (S) and ${activeR} (R) of ${pairs.length} connections active with the link up when measured.`,
      );
    if (pairs.length === 0) return { ...base, throughput: { missing: 'no connection could be paired' } };

    // Rules on both sides; on S, connection i's trigger matches shard s<i>, so each change goes to one connection.
    log(`postgres: ${cfg.name}: rules and triggers`);
    const problems: string[] = [];
    await inBatches(pairs, 10, async (p, i) => {
      for (const [h, id] of [
        [s, p.a],
        [p.r, p.b],
      ] as const) {
        const r = await h.api('PUT', `/api/connections/${id}/rules`, { ...BENCH_RULES, publish: true });
        if (r.status >= 300) problems.push(`PUT rules: ${describe(r)}`);
      }
      const trig = await s.api('POST', `/api/connections/${p.a}/triggers`, {
        entityType: 'incident',
        query: `shard = "s${i}"`,
        active: true,
      });
      if (trig.status >= 300) problems.push(`POST triggers: ${describe(trig)}`);
    });
    if (problems.length)
      return { ...base, throughput: { missing: `${problems.length} set-up calls failed: ${problems[0]}` } };

    // Several processes: wait until the leases spread the connections (a lease younger than 15 s stays put).
    if (senders.length > 1) {
      log(`postgres: ${cfg.name}: waiting for the connections to spread over ${senders.length} processes`);
      const fair = Math.floor(pairs.length / senders.length);
      const by = Date.now() + 90_000;
      while (Date.now() < by) {
        const v = await s.api<NodeView>('GET', '/api/node');
        base.spread = (v.body.processes ?? []).map((p) => p.connections.length);
        if (base.spread.length === senders.length && base.spread.every((k) => k >= fair)) break;
        await sleep(1000);
      }
      // Links moved to another process redial: let them come back up before measuring.
      const upBy = Date.now() + 60_000;
      while (Date.now() < upBy) {
        const cs = await allConnections(s);
        if (cs.filter((c) => c.state === 'active' && c.link?.up !== false).length >= pairs.length) break;
        await sleep(500);
      }
    } else {
      const v = await s.api<NodeView>('GET', '/api/node');
      base.spread = (v.body.processes ?? []).map((p) => p.connections.length);
    }
    await sleep(2000); // every engine at its feed's head

    // Throughput: M new entities, written through every process of S (each its share), spread over the triggers.
    const m = opts.records;
    log(`postgres: ${cfg.name}: throughput, ${m} entities over ${pairs.length} connections`);
    await receiver.call('reset');
    const cpu0 = senders.map((h) => treeCpuMs(h.child.proc.pid!));
    const pg0 = db ? await backendCpu(opts.adminUrl, db.name) : undefined;
    const share = Math.ceil(m / senders.length);
    const w0 = Date.now();
    // Same shard numbering on every process: record i goes to connection i mod K wherever it is written.
    await Promise.all(
      senders.map((h, k) =>
        h.call('load', { n: Math.min(share, m - k * share), from: k * share, spread: pairs.length }),
      ),
    );
    const done = await receiver.call<{ count: number; last: number | null }>('waitApplied', {
      n: m,
      timeoutMs: 600_000,
      stallMs: 60_000,
    });
    const cpuMs = senders.reduce((t, h, k) => t + treeCpuMs(h.child.proc.pid!) - cpu0[k]!, 0);
    if (db && pg0) {
      const pg1 = await backendCpu(opts.adminUrl, db.name);
      let pgMs = 0;
      for (const [pid, before] of pg0) pgMs += Math.max(0, (pg1.get(pid) ?? before) - before);
      // Backends that started during the phase count whole.
      for (const [pid, after] of pg1) if (!pg0.has(pid)) pgMs += after;
      base.pgCpuMsPerChange = round(pgMs / Math.max(1, done.count), 3);
    }
    base.cpuMsPerChange = round(cpuMs / Math.max(1, done.count), 3);
    base.throughput =
      done.count >= m && done.last !== null
        ? {
            records: m,
            seconds: round((done.last - w0) / 1000, 2),
            perSecond: Math.round((m * 1000) / (done.last - w0)),
          }
        : { missing: `only ${done.count} of ${m} entities reached R within the time limit` };
    if ('missing' in base.throughput) return base;

    // Latency: single updates at a fixed rate through S's first process, each to its connection, end to end.
    // The same number of samples in every configuration: what the first of two processes wrote.
    const count = Math.min(opts.latencySamples, Math.floor(m / 2));
    log(`postgres: ${cfg.name}: latency, ${count} changes at ${opts.rate}/s`);
    // S first receives and applies every reply to the burst (R's twin ids and outcomes, which R sends after
    // applying): the latency figure is a change's way through, not the burst's tail.
    const quiet = await senders[0]!.call<{ quiet: boolean; ms: number }>('quiet', { timeoutMs: 120_000 });
    base.drainSeconds = round(quiet.ms / 1000, 1);
    if (!quiet.quiet)
      notes.push(
        `(g) ${cfg.name}: S still had inbox or unacknowledged outbox events 120 s after the throughput phase.`,
      );
    await sleep(1000);
    await receiver.call('reset');
    await senders[0]!.call('emit', { rate: opts.rate, count });
    await receiver.call('waitApplied', { n: count, timeoutMs: 60_000 });
    const { latencies } = await receiver.call<{ latencies: number[] }>('latencies');
    base.latency = latencies.length
      ? {
          p50: round(percentile(latencies, 50), 1),
          p95: round(percentile(latencies, 95), 1),
          samples: latencies.length,
          ratePerSecond: opts.rate,
        }
      : { missing: 'no change reached R during the latency phase' };
    if (latencies.length < count)
      notes.push(`(g) ${cfg.name}: only ${latencies.length} of ${count} latency samples reached R in time.`);
    return base;
  } finally {
    await Promise.all([...senders, ...(receiver ? [receiver] : [])].map((h) => h.child.stop()));
    await balancer?.close();
    await db?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The fan-out figure on one database: the same changes with no idle connection, then with `idle` of them. */
async function runFanout(
  database: 'sqlite' | 'postgres',
  idle: number,
  changes: number,
  adminUrl: string,
): Promise<FanoutFigure> {
  const measure = async (n: number): Promise<FanoutCost> => {
    const pgDb = database === 'postgres' ? await createDatabase(adminUrl) : undefined;
    try {
      const child = await startChild<FanoutCost | { error: string }>('bench/fanout-child.ts', [
        String(n),
        String(changes),
        ...(pgDb ? [pgDb.url] : []),
      ]);
      await child.stop();
      if ('error' in child.ready) throw new Error(child.ready.error);
      return child.ready;
    } finally {
      await pgDb?.drop();
    }
  };
  const one = await measure(0);
  const crowded = await measure(idle);
  return {
    database,
    idle,
    changes,
    one: { statements: round(one.statements, 1), cpuMs: round(one.cpuMs, 2) },
    crowded: { statements: round(crowded.statements, 1), cpuMs: round(crowded.cpuMs, 2) },
    statementsRatio: round(crowded.statements / one.statements, 2),
    cpuRatio: round(crowded.cpuMs / one.cpuMs, 2),
  };
}

const ratioOf = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 ? round(a / b, 2) : undefined;

export async function runPostgres(
  workDir: string,
  opts: PostgresOptions,
  log: (s: string) => void,
): Promise<PostgresFigures | Missing> {
  try {
    await admin(opts.adminUrl, (c) => c.query('select 1'));
  } catch (err) {
    return { missing: `PostgreSQL is not reachable at ${opts.adminUrl}: ${(err as Error).message}` };
  }
  const notes: string[] = [];
  const configs: PostgresConfig[] = [];
  const load = os.loadavg();
  // The noise-free part first, on a quiet machine: what a change costs beside idle connections.
  const fanout: NonNullable<PostgresFigures['fanout']> = [];
  const fanoutChanges = Number(process.env.BENCH_G_FANOUT_CHANGES ?? 50);
  for (const database of ['sqlite', 'postgres'] as const) {
    log(`postgres: fan-out on ${database}, 1 vs ${opts.connections} connections`);
    try {
      fanout.push(await runFanout(database, opts.connections - 1, fanoutChanges, opts.adminUrl));
    } catch (err) {
      fanout.push({ database, missing: `failed: ${String((err as Error).message ?? err).slice(0, 300)}` });
    }
  }
  // BENCH_G_CONFIGS=sqlite-1p,pg-1p: only those configurations (a quick look; the recorded figure runs all three).
  const chosen = process.env.BENCH_G_CONFIGS?.split(',');
  for (const cfg of [
    { name: 'sqlite-1p', database: 'sqlite', processes: 1 },
    { name: 'pg-1p', database: 'postgres', processes: 1 },
    { name: 'pg-2p', database: 'postgres', processes: 2 },
  ] as const) {
    if (chosen && !chosen.includes(cfg.name)) continue;
    try {
      configs.push(await runConfig(workDir, opts, cfg, notes, log));
    } catch (err) {
      configs.push({
        ...cfg,
        connections: 0,
        pairingSeconds: 0,
        spread: [],
        throughput: { missing: `failed: ${String((err as Error).message ?? err).slice(0, 300)}` },
        latency: { missing: 'not run' },
      });
    }
  }
  const [lite, pg1, pg2] = ['sqlite-1p', 'pg-1p', 'pg-2p'].map((n) => configs.find((c) => c.name === n));
  const rate = (c?: PostgresConfig) =>
    c && 'perSecond' in c.throughput ? c.throughput.perSecond : undefined;
  const lat = (c: PostgresConfig | undefined, k: 'p50' | 'p95') =>
    c && 'p50' in c.latency ? c.latency[k] : undefined;
  notes.push(
    `(g) ${opts.connections} connections from S to the receiving side R, the same in every configuration: ${Math.ceil(opts.connections / ACCEPTS_PER_RECEIVER)} SQLite hosts in one process (a host accepts about 30 invitations at once). ` +
      `Load average when the figure started: ${load.map((l) => l.toFixed(1)).join(' / ')} (1 / 5 / 15 min)${process.env.BENCH_G_LABEL ? `; ${process.env.BENCH_G_LABEL}` : ''}. ` +
      `${opts.records} new entities, each matching the trigger of exactly one connection, written through every process of S (${opts.pairBatch} pairings at once). ` +
      `Latency: single updates at ${opts.rate}/s through S's first process, stamped before the commit, timed when R applied them. ` +
      `PostgreSQL ${process.env.BENCH_G_SYNCHRONOUS_COMMIT ? `with synchronous_commit = ${process.env.BENCH_G_SYNCHRONOUS_COMMIT}` : 'at its default settings, synchronous_commit on'} (SQLite runs with synchronous=FULL), on the same machine as the hosts, which share its 2 cores; ` +
      "S's CPU counts its Node processes and their children, the PostgreSQL column the server backends of S's database.",
  );
  const nice = os.getPriority();
  if (nice > 0)
    notes.push(
      `(g) the bench ran at nice ${nice} beside other work, the PostgreSQL server at its normal priority: every round trip to the server waits for S to be scheduled again, which weighs on PostgreSQL's figures more than on SQLite's (in process).`,
    );
  return {
    at: new Date().toISOString(),
    machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown'}, Node ${process.version}`,
    connections: opts.connections,
    records: opts.records,
    latencySamples: Math.min(opts.latencySamples, Math.floor(opts.records / 2)),
    ratePerSecond: opts.rate,
    configs,
    fanout,
    ratios: {
      pgVsSqliteThroughput: ratioOf(rate(pg1), rate(lite)),
      pgVsSqliteLatencyP50: ratioOf(lat(pg1, 'p50'), lat(lite, 'p50')),
      pgVsSqliteLatencyP95: ratioOf(lat(pg1, 'p95'), lat(lite, 'p95')),
      twoVsOneThroughput: ratioOf(rate(pg2), rate(pg1)),
      twoVsOneLatencyP50: ratioOf(lat(pg2, 'p50'), lat(pg1, 'p50')),
      twoVsOneLatencyP95: ratioOf(lat(pg2, 'p95'), lat(pg1, 'p95')),
      pgVsSqliteCpu: ratioOf(pg1?.cpuMsPerChange, lite?.cpuMsPerChange),
      twoVsOneCpu: ratioOf(pg2?.cpuMsPerChange, pg1?.cpuMsPerChange),
    },
    notes,
  };
}
