// One real Tandem host for the benchmark: `startHost` with every part but the console, plus bench controls over IPC.
// The controls write through the host's own tracker (as an admin's change would) and watch what the
// sync engine applies, so timings need no polling of the HTTP API.
import { randomBytes } from 'node:crypto';
import { resolveConfig } from '../core/config.ts';
import { startHost } from '../core/host.ts';
import { createBuiltinTracker } from '../core/trackers/builtin/builtin-tracker.ts';
import { loadTracker } from '../core/trackers/load.ts';
import type { Change } from '../core/trackers/tracker.ts';
import { AppliedLog } from './applied-log.ts';
import { makeRecord } from './payload.ts';

const [dataDir, name] = process.argv.slice(2);
if (!dataDir || !name) throw new Error('usage: tandem-host.ts DIR NAME');
// Processes that share one PostgreSQL database share one admin token (figure (g)): the parent chooses it.
const token = process.env.BENCH_ADMIN_TOKEN ?? `bench-${randomBytes(24).toString('base64url')}`;
const config = resolveConfig(['--data', dataDir, '--port', '0', '--name', name], {
  ...process.env,
  TANDEM_ADMIN_TOKEN: token,
});
// TANDEM_TRACKER / TANDEM_TRACKER_CONFIG choose another tracker, as for `tandem start` (figure (f): ServiceNow).
const chosen = config.tracker.name === 'builtin' ? undefined : await loadTracker(config.tracker);
const host = await startHost(config, {
  tracker: (ctx) => (chosen ? chosen.build({ ...ctx, env: process.env }) : createBuiltinTracker(ctx.db)),
});
const { tracker, db } = host.parts;

/** Entities written by the sync engine (origin = a connection) since the last reset. */
const applied = new AppliedLog();
tracker.watch?.((ch?: Change) => {
  if (ch && ch.origin !== 'local') applied.record(ch.entityId);
});
let ids: string[] = [];
/** The built-in tracker inside a transaction of ours (its joined view): many writes, one commit. */
const joined = (tx: Parameters<NonNullable<typeof tracker.transactional>['withTx']>[0]) =>
  tracker.transactional!.withTx(tx);

type Msg = { id: number; cmd: string; [k: string]: unknown };
const commands: Record<string, (m: Msg) => Promise<unknown>> = {
  /**
   * Creates n entities (record `from + i` of the payload), each with `comments` public comments; with
   * `spread: K`, record i also gets `shard = "s<i mod K>"`, so K triggers can each match a distinct part.
   */
  async load(m) {
    const n = Number(m.n);
    const from = Number(m.from ?? 0);
    const comments = Number(m.comments ?? 0);
    const spread = Number(m.spread ?? 0);
    ids = [];
    for (let i = 0; i < n; i += 500) {
      await db.transaction().execute(async (tx) => {
        for (let j = i; j < Math.min(n, i + 500); j++) {
          const { id: _id, type: _type, ...fields } = makeRecord(from + j);
          if (spread > 0) fields.shard = `s${(from + j) % spread}`;
          const e = await joined(tx).create({ type: 'incident', fields }, { origin: 'local' });
          for (let c = 0; c < comments; c++)
            await joined(tx).addComment(
              e.id,
              { body: `Comment ${c} on ${fields.summary}`, author: 'agent@acme.example', internal: false },
              { origin: 'local' },
            );
          ids.push(e.id);
        }
      });
    }
    return { count: ids.length };
  },
  reset: async () => applied.reset(),
  /**
   * Resolves once no sync inbox event waits, every outbox event is acknowledged, every twin has the peer's id
   * and every event sent its outcome, or at `timeoutMs`: what came back from a burst is digested, so a latency figure after it measures a change's
   * way and not the burst's tail. On a shared database it looks at every process's connections.
   */
  async quiet(m) {
    const started = Date.now();
    const deadline = started + Number(m.timeoutMs ?? 60_000);
    for (;;) {
      const inbox = await db
        .selectFrom('sync_inbox')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'pending')
        .executeTakeFirst();
      const streams = await db.selectFrom('sync_streams').select(['out_seq', 'out_acked']).execute();
      // The peer's replies: the twin id of each entity it created, the outcome of each event it decided.
      const twinless = await db
        .selectFrom('sync_twins')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('remote_id', 'is', null)
        .executeTakeFirst();
      const undecided = await db
        .selectFrom('sync_event_log')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('direction', '=', 'out')
        .where('outcome', '=', 'pending')
        .executeTakeFirst();
      const waiting =
        Number(inbox?.n ?? 0) +
        streams.filter((s) => s.out_acked < s.out_seq).length +
        Number(twinless?.n ?? 0) +
        Number(undecided?.n ?? 0);
      if (waiting === 0 || Date.now() > deadline) return { quiet: waiting === 0, ms: Date.now() - started };
      await new Promise((r) => setTimeout(r, 100));
    }
  },
  waitApplied: (m) => applied.waitApplied(m),
  /** Updates the first n loaded entities as fast as possible, `batch` per transaction (source group commit). */
  async update(m) {
    const n = Math.min(Number(m.n), ids.length);
    const batch = Number(m.batch ?? 100);
    const tag = String(m.tag);
    const field = String(m.field ?? 'status');
    const start = Date.now();
    for (let i = 0; i < n; i += batch) {
      await db.transaction().execute(async (tx) => {
        for (let j = i; j < Math.min(n, i + batch); j++)
          await joined(tx).update(ids[j]!, { [field]: `${tag}-${j}` }, { origin: 'local' });
      });
      // Writes that arrive by HTTP are separate tasks; a loop of awaits on synchronous SQLite
      // never yields, and would keep the sync engine (timers, IPC, the link) off the host until
      // the last write: give the event loop its turn between commits.
      await new Promise((r) => setImmediate(r));
    }
    return { start, end: Date.now() };
  },
  /** One change at a time at a fixed rate, each stamped with its time just before its commit. */
  async emit(m) {
    const rate = Number(m.rate);
    const count = Math.min(Number(m.count), ids.length);
    const interval = 1000 / rate;
    const begin = performance.now();
    for (let i = 0; i < count; i++) {
      const wait = begin + i * interval - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      // The stamp rides in the summary, which every rule set syncs.
      await tracker.update(ids[i]!, { summary: `live ${i} t0=${Date.now()}` }, { origin: 'local' });
    }
    return { ok: true };
  },
  /** For each entity applied since the reset: apply time minus its stamp (same clock, same machine). */
  latencies: () => applied.latencies(async (id) => (await tracker.get(id))?.fields.summary),
  async memory() {
    global.gc?.();
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed };
  },
};

process.on('message', (raw) => {
  const m = raw as Msg;
  const fn = commands[m.cmd];
  if (!fn) {
    process.send?.({ id: m.id, error: `unknown command ${m.cmd}` });
    return;
  }
  fn(m).then(
    (result) => process.send?.({ id: m.id, result }),
    (err: unknown) => process.send?.({ id: m.id, error: String((err as Error)?.stack ?? err) }),
  );
});
process.on('SIGTERM', () => {
  void host.close().finally(() => process.exit(0));
});
process.stdout.write(`${JSON.stringify({ url: host.url, token })}\n`);
