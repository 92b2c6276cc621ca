// Tandem's figures: two real host processes (bench/tandem-host.ts) paired through the admin API.
import fs from 'node:fs';
import path from 'node:path';
import { type Child, startChild } from './child.ts';
import { runSandboxBench, type SandboxFigure } from './sandbox-bench.ts';
import { type LatencyFigure, latencyFigure, round, sleep } from './stats.ts';

export type Missing = { missing: string };
export interface RateFigure {
  records: number;
  seconds: number;
  perSecond: number;
}
export interface TandemFigures {
  throughput: RateFigure | Missing;
  latency: LatencyFigure | Missing;
  bulk: RateFigure | Missing;
  sandbox: SandboxFigure | Missing;
  idleMemory: { connections: number; rssMb: number; baselineRssMb: number; heapMb: number } | Missing;
  notes: string[];
}

interface Opts {
  records: number;
  rate: number;
  latencySamples: number;
  idleConnections: number;
}

/** The script rules of the run: a status map both ways, the default fields, public comments. */
export const BENCH_RULES = {
  outgoing: `
replica.type = entity.type;
replica.summary = entity.summary;
replica.description = entity.description;
replica.status = entity.status;
replica.priority = entity.priority;
replica.assignee = entity.assignee;
replica.comments = helpers.comments.merge(replica.comments, entity.comments);`,
  incoming: `
const STATUS = { new: 'open', on_hold: 'pending' };
if (firstSync) entity.type = replica.type;
entity.summary = replica.summary;
entity.description = replica.description;
entity.status = STATUS[replica.status] || replica.status;
entity.priority = replica.priority;`,
};

export class HostHandle {
  #seq = 0;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  constructor(
    readonly child: Child<{ url: string; token: string }>,
    readonly name: string,
  ) {
    child.proc.on('message', (raw) => {
      const m = raw as { id: number; result?: unknown; error?: string };
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (m.error) p.reject(new Error(m.error));
      else p.resolve(m.result);
    });
  }
  get url() {
    return this.child.ready.url;
  }
  get token() {
    return this.child.ready.token;
  }
  call<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.#seq;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.proc.send({ id, cmd, ...args });
    });
  }
  api<T>(method: string, route: string, body?: unknown) {
    return apiCall<T>(this, method, route, body);
  }
}

export const describe = (r: { status: number; body: unknown }) =>
  `${r.status} ${JSON.stringify(r.body).slice(0, 200)}`;

interface Conn {
  id: string;
  state: string;
  link?: { up: boolean };
}

/** Anything with a URL and an admin token: a bench host or a fleet host. */
interface Endpoint {
  url: string;
  token: string;
}

async function apiCall<T>(
  h: Endpoint,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${h.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' },
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
}

/** Pairs A -> B through the real invitation flow; answers both connection ids or why it failed. */
export async function pair(
  a: Endpoint,
  b: Endpoint,
  name: string,
): Promise<{ a: string; b: string } | Missing> {
  const created = await apiCall<{ connection: Conn; invitationCode: string }>(a, 'POST', '/api/connections', {
    destinationUrl: b.url,
    mode: 'script',
    localName: 'acme',
    remoteName: 'globex',
    name,
  });
  if (created.status !== 201) return { missing: `POST /api/connections answered ${describe(created)}` };
  const accepted = await apiCall<{ connection: Conn }>(b, 'POST', '/api/invitations/accept', {
    code: created.body.invitationCode,
  });
  if (accepted.status !== 201)
    return { missing: `POST /api/invitations/accept answered ${describe(accepted)}` };
  return { a: created.body.connection.id, b: accepted.body.connection.id };
}

export async function waitActive(h: HostHandle, id: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let state = 'unknown';
  while (Date.now() < deadline) {
    const r = await h.api<Conn>('GET', `/api/connections/${id}`);
    state = r.status === 200 ? r.body.state : `HTTP ${r.status}`;
    if (state === 'active') return state;
    await sleep(100);
  }
  return state;
}

export async function runTandem(
  workDir: string,
  opts: Opts,
  log: (s: string) => void,
): Promise<TandemFigures> {
  const notes: string[] = [];
  const out: TandemFigures = {
    throughput: { missing: 'not run' },
    latency: { missing: 'not run' },
    bulk: { missing: 'not run' },
    sandbox: { missing: 'not run' },
    idleMemory: { missing: 'not run' },
    notes,
  };
  try {
    out.sandbox = await runSandboxBench();
  } catch (err) {
    out.sandbox = { missing: `sandbox bench failed: ${String((err as Error).message ?? err).slice(0, 300)}` };
  }

  const dirs = ['tandem-a', 'tandem-b'].map((d) => path.join(workDir, d));
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  const start = (dir: string, name: string, env: Record<string, string> = {}) =>
    startChild<{ url: string; token: string }>('bench/tandem-host.ts', [dir, name], {
      ipc: true,
      env: {
        ...env,
        ...(process.env.BENCH_PROFILE
          ? {
              TANDEM_RUNNER_CPU_PROF: process.env.BENCH_PROFILE,
              TANDEM_SQL_PROFILE: process.env.BENCH_PROFILE,
            }
          : {}),
      },
      // BENCH_PROFILE=DIR writes a CPU profile of each host process and its rule runner there
      // (open them in Chrome DevTools), and each host's time per SQL statement (sql-PID.txt).
      nodeArgs: [
        '--expose-gc',
        ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []),
      ],
    }).then((c) => new HostHandle(c, name));
  const a = await start(dirs[0]!, 'Acme Corp');
  const b = await start(dirs[1]!, 'Globex Services');
  try {
    // Both are reachable locally: each advertises its listen URL, so either side may dial.
    for (const h of [a, b]) await h.api('PATCH', '/api/node', { publicUrl: h.url });
    await measurePair(a, b, opts, out, log);
  } finally {
    await Promise.all([a.child.stop(), b.child.stop()]);
  }
  // (e) memory of a fresh host with many idle connections (each paired for real, each with its link).
  if (!('missing' in out.idleMemory && out.idleMemory.missing !== 'not run')) {
    log(`tandem: pairing ${opts.idleConnections} idle connections`);
    // Every peer of the fleet dials from 127.0.0.1, as peers behind one reverse proxy would: the
    // per-address handshake limit is raised as docs/operations.md tells such a host to.
    const c = await start(path.join(workDir, 'tandem-c'), 'Idle Host', {
      TANDEM_LINK_HANDSHAKES_PER_SECOND: '500',
    });
    try {
      await c.api('PATCH', '/api/node', { publicUrl: c.url });
      out.idleMemory = await idleMemory(c, workDir, opts.idleConnections, notes, log);
    } finally {
      await c.child.stop();
    }
  }
  return out;
}

/** (a), (b), (c) between two paired hosts; fills `out` (a figure it cannot measure says why). */
async function measurePair(
  a: HostHandle,
  b: HostHandle,
  opts: Opts,
  out: TandemFigures,
  log: (s: string) => void,
): Promise<void> {
  const notes = out.notes;
  const paired = await pair(a, b, 'bench');
  if ('missing' in paired) {
    const why = `pairing is not available: ${paired.missing}`;
    out.throughput = out.latency = out.bulk = out.idleMemory = { missing: why };
    return;
  }
  const states = await Promise.all([waitActive(a, paired.a), waitActive(b, paired.b)]);
  if (states.some((s) => s !== 'active'))
    notes.push(`connection states after pairing: A ${states[0]}, B ${states[1]}`);
  for (const [h, id] of [
    [a, paired.a],
    [b, paired.b],
  ] as const) {
    const r = await h.api('PUT', `/api/connections/${id}/rules`, { ...BENCH_RULES, publish: true });
    if (r.status >= 300)
      notes.push(`${h.name}: PUT rules answered ${describe(r)}; the default script rules ran`);
  }

  // (c) initial bulk sync: entities exist before the trigger; bulk-sync sends them all.
  log(`tandem: loading ${opts.records} entities on A`);
  await a.call('load', { n: opts.records });
  await b.call('reset');
  const t0 = Date.now();
  const trig = await a.api<{ id: string }>('POST', `/api/connections/${paired.a}/triggers`, {
    entityType: 'incident',
    query: 'type = "incident"',
    active: true,
  });
  if (trig.status !== 201 && trig.status !== 200) {
    const why = `triggers are not available: ${describe(trig)}`;
    out.bulk = out.throughput = out.latency = { missing: why };
  } else {
    const bulk = await a.api('POST', `/api/triggers/${trig.body.id}/bulk-sync`);
    if (bulk.status >= 300) notes.push(`bulk-sync answered ${describe(bulk)}`);
    log('tandem: bulk sync');
    const done = await b.call<{ count: number; last: number | null }>('waitApplied', {
      n: opts.records,
      timeoutMs: 120_000,
    });
    out.bulk = rateOf(done, t0, opts.records, 'bulk sync');

    // (a) throughput: every twinned entity changes once, written on A in batches of 100 per commit.
    if ('perSecond' in out.bulk) {
      log('tandem: throughput');
      await b.call('reset');
      const w = await a.call<{ start: number; end: number }>('update', {
        n: opts.records,
        batch: 100,
        tag: 'tp',
      });
      const d2 = await b.call<{ count: number; last: number | null }>('waitApplied', {
        n: opts.records,
        timeoutMs: 120_000,
      });
      out.throughput = rateOf(d2, w.start, opts.records, 'throughput');
      notes.push(
        `(a) the ${opts.records} source writes on A took ${round((w.end - w.start) / 1000, 2)} s of the throughput time (100 per commit).`,
      );

      // (b) latency at a fixed rate: one change per commit, stamped just before it.
      log('tandem: latency');
      await b.call('reset');
      await a.call('emit', { rate: opts.rate, count: opts.latencySamples });
      await b.call('waitApplied', { n: opts.latencySamples, timeoutMs: 30_000 });
      const { latencies } = await b.call<{ latencies: number[] }>('latencies');
      out.latency =
        latencies.length > 0
          ? latencyFigure(latencies, opts.rate)
          : { missing: 'no change reached B during the latency phase' };
      if (latencies.length < opts.latencySamples)
        notes.push(`(b) only ${latencies.length} of ${opts.latencySamples} changes reached B in time.`);
    } else {
      out.throughput = out.latency = { missing: 'the bulk sync did not complete, so nothing is twinned' };
    }
  }
}

function rateOf(
  done: { count: number; last: number | null },
  start: number,
  n: number,
  what: string,
): RateFigure | Missing {
  if (done.count < n || done.last === null)
    return { missing: `${what}: only ${done.count} of ${n} entities reached B within the time limit` };
  const seconds = (done.last - start) / 1000;
  return { records: n, seconds, perSecond: Math.round(n / seconds) };
}

/** Each acceptor takes at most this many invitations at once (the host's accept rate limit). */
const ACCEPTS_PER_HOST = 30;

/** Every connection of a host, page by page (the list is paginated, 200 at most a page). */
async function allConnections(h: HostHandle): Promise<Conn[]> {
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

async function idleMemory(
  host: HostHandle,
  workDir: string,
  n: number,
  notes: string[],
  log: (s: string) => void,
): Promise<TandemFigures['idleMemory']> {
  const before = await host.call<{ rss: number }>('memory');
  // A fresh host (not A of the pair): every one of its n connections is paired with the fleet.
  const others = n;
  const dir = path.join(workDir, 'fleet');
  fs.rmSync(dir, { recursive: true, force: true });
  const fleet = await startChild<{ hosts: Endpoint[] }>('bench/tandem-fleet.ts', [
    dir,
    String(Math.ceil(others / ACCEPTS_PER_HOST)),
  ]);
  try {
    const deadline = Date.now() + 180_000;
    let made = 0;
    const jobs: Array<{ peer: Endpoint; i: number }> = [];
    fleet.ready.hosts.forEach((peer, h) => {
      for (let k = 0; k < ACCEPTS_PER_HOST && jobs.length < others; k++)
        jobs.push({ peer, i: h * ACCEPTS_PER_HOST + k });
    });
    for (let j = 0; j < jobs.length && Date.now() < deadline; j += 10) {
      const results = await Promise.all(
        jobs.slice(j, j + 10).map(({ peer, i }) => pair(host, peer, `idle-${i}`)),
      );
      const failed = results.find((r) => 'missing' in r);
      made += results.filter((r) => !('missing' in r)).length;
      if (failed && 'missing' in failed) {
        notes.push(`(e) pairing stopped after ${made} connections: ${failed.missing}`);
        break;
      }
      if (j % 200 === 0) log(`tandem: ${made} connections`);
    }
    if (made < n) notes.push(`(e) ${made} of ${n} connections were paired within the time limit.`);
    // Let every link finish its handshake and onboarding, then measure with all of them idle.
    let up = 0;
    const settle = Date.now() + 60_000;
    while (Date.now() < settle) {
      up = (await allConnections(host)).filter((c) => c.state === 'active' && c.link?.up !== false).length;
      if (up >= made) break;
      await sleep(1000);
    }
    if (up < made)
      notes.push(`(e) ${up} of ${made} connections were active with their link up when measured.`);
    await sleep(2000);
    const after = await host.call<{ rss: number; heapUsed: number }>('memory');
    const mb = (x: number) => round(x / 1024 ** 2, 1);
    notes.push(
      `(e) measured on a fresh host after a forced GC, ${made} connections (${up} active with the link up); peers: ${fleet.ready.hosts.length} acceptor hosts in one process.`,
    );
    return {
      connections: made,
      rssMb: mb(after.rss),
      baselineRssMb: mb(before.rss),
      heapMb: mb(after.heapUsed),
    };
  } finally {
    await fleet.stop();
  }
}
