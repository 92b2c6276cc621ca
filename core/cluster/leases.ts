// Which process runs each connection: a registry of live processes (heartbeats) and per-connection leases with a
// fencing token, on the shared PostgreSQL database. On SQLite there is one process and it holds everything.
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../storage/schema.ts';
import type { Logger } from '../log.ts';
import { installFence } from './fence.ts';

/** A process of this node as `GET /api/node` lists it. */
export interface ProcessView {
  id: string;
  url: string;
  startedAt: string;
  lastSeenAt: string;
  /** The connections whose lease it holds. */
  connections: string[];
}

/** Where a connection runs, seen from a process that does not hold it. */
export type Placement =
  | { here: true }
  | { here: false; processId: string; url: string; relayKey: string }
  /** No live process holds it and this one could not take it (the database is unreachable). */
  | { here: false; processId: null };

/**
 * The leases this process holds, kept current by a heartbeat; listeners hear each gain and loss.
 * @example const leases = await createLeases(...); leases.onChange((id, held) => ...); await leases.start(url);
 */
export interface Leases {
  readonly processId: string;
  readonly shared: boolean;
  holds(connectionId: string): boolean;
  /** Takes the lease now when no live process holds it (a new connection, a peer dialing in); else names the holder. */
  place(connectionId: string): Promise<Placement>;
  /** True for the relay key of this process (another process relays a peer's link here). */
  acceptsRelay(key: string): boolean;
  /** Whether another live process reported the connection's link up at its last heartbeat. */
  upElsewhere(connectionId: string): boolean;
  /** Tells the leases which links are up here, for the others' `upElsewhere`. */
  reportLinks(up: () => string[]): void;
  /**
   * Whether this process runs the node-wide background work (notifications, activity samples): the oldest
   * live process. The listener hears each change.
   */
  readonly leader: boolean;
  onLeader(listener: (leader: boolean) => void): () => void;
  onChange(listener: (connectionId: string, held: boolean) => void): () => void;
  processes(): Promise<ProcessView[]>;
  /** Registers the process at its own listen URL and takes its first leases. */
  start(url: string): Promise<void>;
  /** One heartbeat now (tests; a wake-up after a connection was added). */
  tick(): Promise<void>;
  /** Releases every lease and leaves the registry (a clean shutdown hands the connections over at once). */
  stop(): Promise<void>;
}

export interface LeaseTimings {
  /** Heartbeat and renewal period. */
  heartbeatMs: number;
  /** A lease not renewed for this long may be taken; a process unseen this long is dead. */
  leaseMs: number;
  /**
   * A lease taken less than this long ago is not given up to rebalance: a connection taken for a peer that
   * just dialed (pairing under way) stays put while its first exchanges run.
   */
  minHoldMs: number;
  /**
   * How long before a lease's expiry a process that could not renew it (its heartbeat failing or hanging: the
   * database unreachable, a lock, a stalled event loop) lets it go, stopping its link and engine, so they have
   * stopped before another process may take it. Default: `fenceMarginMs()`.
   */
  marginMs?: number;
}

/** A quarter of the lease, at least one heartbeat, at most half the lease. */
export function fenceMarginMs(t: LeaseTimings): number {
  return t.marginMs ?? Math.min(t.leaseMs / 2, Math.max(t.heartbeatMs, t.leaseMs / 4));
}

export const DEFAULT_LEASE_TIMINGS: LeaseTimings = { heartbeatMs: 1000, leaseMs: 5000, minHoldMs: 15_000 };

type Listener = (connectionId: string, held: boolean) => void;

function emitter(log: Logger) {
  const listeners = new Set<Listener>();
  return {
    on(l: Listener) {
      listeners.add(l);
      return () => void listeners.delete(l);
    },
    emit(id: string, held: boolean) {
      for (const l of listeners) {
        try {
          l(id, held);
        } catch (err) {
          log.error({ err, connectionId: id }, 'lease listener failed');
        }
      }
    },
  };
}

/** One process on its own database (SQLite): it holds every connection, always. */
export function soloLeases(db: Db, log: Logger): Leases {
  const processId = randomUUID();
  const startedAt = new Date().toISOString();
  let url = '';
  const events = emitter(log);
  return {
    processId,
    shared: false,
    holds: () => true,
    place: async () => ({ here: true }),
    acceptsRelay: () => false,
    upElsewhere: () => false,
    reportLinks: () => undefined,
    leader: true,
    onLeader: () => () => undefined,
    onChange: events.on,
    async processes() {
      const rows = await db.selectFrom('connections').select('id').orderBy('id').execute();
      return [
        {
          id: processId,
          url,
          startedAt,
          lastSeenAt: new Date().toISOString(),
          connections: rows.map((r) => r.id),
        },
      ];
    },
    async start(listenUrl) {
      url = listenUrl;
    },
    tick: async () => undefined,
    stop: async () => undefined,
  };
}

const DB_NOW = sql<string>`(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/**
 * Leases on a shared PostgreSQL database. Each heartbeat renews the process's row and its leases, then moves
 * toward its fair share (the connections divided among the live processes, rounded up): it takes expired or
 * released leases while below it and releases its newest ones while above it (another process joined), so
 * the connections spread and rebalance without a coordinator. A takeover bumps the token, which every write
 * checks (fence.ts), so the process that had the lease cannot write once it is taken.
 */
export function sharedLeases(db: Db, log: Logger, timings: LeaseTimings = DEFAULT_LEASE_TIMINGS): Leases {
  const processId = randomUUID();
  const relayKey = randomBytes(24).toString('base64url');
  const held = new Map<string, bigint>();
  /** When each lease was taken, by this process's clock. */
  const takenAt = new Map<string, number>();
  /** When this process gave up each lease to rebalance, by its clock: left for another process to take. */
  const givenUp = new Map<string, number>();
  /**
   * Until when, by this process's clock, each lease is safely ours: its last renewal's start plus the lease,
   * less the margin. Past it the lease is let go of here even when no heartbeat has told (one hangs).
   */
  const validUntil = new Map<string, number>();
  const margin = fenceMarginMs(timings);
  const safeFor = (began: number) => began + timings.leaseMs - margin;
  /** Held, and renewed recently enough to act on. */
  const mine = (id: string) => held.has(id) && Date.now() < (validUntil.get(id) ?? 0);
  let watchdog: NodeJS.Timeout | undefined;
  const events = emitter(log);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let started = false;
  /** When this process's row was last renewed (the start of that beat, by this process's clock). */
  let renewedAt = 0;
  let linksUp: () => string[] = () => [];
  let upOthers = new Set<string>();
  let leader = false;
  const leaderListeners = new Set<(leader: boolean) => void>();
  function setLeader(next: boolean) {
    if (next === leader) return;
    leader = next;
    log.info(
      { processId, leader },
      next ? 'this process runs the node-wide work' : 'another process runs the node-wide work',
    );
    for (const l of leaderListeners) {
      try {
        l(next);
      } catch (err) {
        log.error({ err }, 'leader listener failed');
      }
    }
  }

  function lose(id: string) {
    takenAt.delete(id);
    validUntil.delete(id);
    if (!held.delete(id)) return;
    log.info({ connectionId: id, processId }, 'connection lease lost');
    events.emit(id, false);
  }

  /** A lease taken with `token` by a beat or placement that began at `began` (this process's clock). */
  function gain(id: string, token: bigint, began: number) {
    const had = held.has(id);
    givenUp.delete(id);
    held.set(id, token);
    validUntil.set(id, safeFor(began));
    if (had) return;
    takenAt.set(id, Date.now());
    log.info({ connectionId: id, processId, token: token.toString() }, 'connection lease taken');
    events.emit(id, true);
  }

  /**
   * Lets go here of every lease not renewed in time, and of the node-wide work when this process's row was not:
   * their expiry is near and another process may take them then, so this one stops first.
   */
  function letGoOfStale() {
    const now = Date.now();
    const stale = [...held.keys()].filter((id) => now >= (validUntil.get(id) ?? 0));
    if (stale.length > 0) {
      log.warn(
        { processId, connections: stale.length, marginMs: margin },
        'leases not renewed in time: stopping their connections here before they expire',
      );
      for (const id of stale) lose(id);
    }
    if (leader && now >= safeFor(renewedAt)) setLeader(false);
  }

  const removeFence = installFence(db, {
    processId,
    token: (id) => (mine(id) ? held.get(id) : undefined),
    lost: (id) => lose(id),
  });

  async function now(): Promise<number> {
    const r = await sql<{ now: string }>`select ${DB_NOW} as now`.execute(db);
    return Number(r.rows[0]!.now);
  }

  /** Takes the lease if it is free or expired; the token it got, or undefined. */
  async function acquire(id: string, at: number): Promise<bigint | undefined> {
    const expires = at + timings.leaseMs;
    const r = await sql<{
      token: string;
    }>`insert into connection_leases (connection_id, process_id, token, expires_at)
      values (${id}, ${processId}, 1, ${expires})
      on conflict (connection_id) do update
        set process_id = ${processId}, token = connection_leases.token + 1, expires_at = ${expires}
        where connection_leases.expires_at < ${at} or connection_leases.process_id is null
      returning token`.execute(db);
    const token = r.rows[0]?.token;
    return token === undefined ? undefined : BigInt(token);
  }

  /** Frees the lease row this process holds with `token`, so another process can take it at once. */
  async function freeRow(id: string, token: bigint) {
    await db
      .updateTable('connection_leases')
      .set({ process_id: null, expires_at: 0 })
      .where('connection_id', '=', id)
      .where('process_id', '=', processId)
      .where('token', '=', token.toString())
      .execute();
  }

  async function release(ids: string[]) {
    for (const id of ids) {
      const token = held.get(id);
      lose(id);
      if (token !== undefined) await freeRow(id, token);
    }
  }

  async function heartbeat() {
    // What this beat renews and checks: a lease `place` takes meanwhile is not in it (it is newer than the
    // connection list read below, and not in the renewal), so it is not taken for lost.
    const snapshot = new Map(held);
    // Taken before the database's time: a renewal counts from when it was asked for, not from when it answered.
    const began = Date.now();
    const at = await now();
    await db
      .insertInto('node_processes')
      .values({
        id: processId,
        url: processUrl,
        relay_key: relayKey,
        links_up: JSON.stringify(linksUp()),
        started_at: at,
        last_seen_at: at,
      })
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet({ last_seen_at: at, url: processUrl, links_up: JSON.stringify(linksUp()) }),
      )
      .execute();
    const deadBefore = at - timings.leaseMs;
    // Rows of processes long gone are only clutter (their leases expired with them).
    await db
      .deleteFrom('node_processes')
      .where('last_seen_at', '<', at - 60 * timings.leaseMs)
      .execute();
    const live = await db
      .selectFrom('node_processes')
      .select(['id', 'links_up', 'started_at'])
      .where('last_seen_at', '>', deadBefore)
      .orderBy('started_at')
      .orderBy('id')
      .execute();
    upOthers = new Set(
      live.filter((p) => p.id !== processId).flatMap((p) => JSON.parse(p.links_up) as string[]),
    );
    setLeader(live[0]?.id === processId && Date.now() < safeFor(began));
    const connections = new Set((await db.selectFrom('connections').select('id').execute()).map((r) => r.id));
    let late = false;
    // Renew what is held; one not renewed was taken (after a pause longer than the lease) or its connection removed.
    if (snapshot.size > 0) {
      const renewed = await db
        .updateTable('connection_leases')
        .set({ expires_at: at + timings.leaseMs })
        .where('process_id', '=', processId)
        .where('connection_id', 'in', [...snapshot.keys()])
        .returning(['connection_id', 'token'])
        .execute();
      const still = new Map(renewed.map((r) => [r.connection_id, BigInt(r.token)]));
      for (const [id, token] of snapshot) if (held.get(id) === token && still.get(id) !== token) lose(id);
      // Renewed too late to count (this beat hung past the margin) or let go of meanwhile: released at once,
      // so they are taken again (here or elsewhere) now rather than once they expire.
      late = Date.now() >= safeFor(began);
      const release: Array<[string, bigint]> = [];
      for (const [id, token] of still) {
        if (!late && held.get(id) === token) validUntil.set(id, safeFor(began));
        else {
          if (held.get(id) === token) lose(id);
          release.push([id, token]);
        }
      }
      for (const [id, token] of release) await freeRow(id, token);
    }
    // A late beat takes nothing with its stale times (nor runs the node-wide work): the next one goes on.
    if (late || Date.now() >= safeFor(began)) {
      letGoOfStale();
      return;
    }
    renewedAt = began;
    for (const [id, at] of givenUp) if (Date.now() - at >= timings.leaseMs) givenUp.delete(id);
    for (const id of snapshot.keys()) if (!connections.has(id)) lose(id);
    await db
      .deleteFrom('connection_leases')
      .where('connection_id', 'not in', sql<string>`(select id from connections)`)
      .execute();
    const share = Math.ceil(connections.size / Math.max(1, live.length));
    if (held.size > share) {
      const settled = [...held.keys()].filter(
        (id) => Date.now() - (takenAt.get(id) ?? 0) >= timings.minHoldMs,
      );
      const extra = settled.sort().slice(0, held.size - share);
      if (extra.length === 0) return;
      log.info({ processId, released: extra.length, share }, 'releasing connections to other processes');
      for (const id of extra) givenUp.set(id, Date.now());
      await release(extra);
      return;
    }
    if (held.size >= share) return;
    const free = await db
      .selectFrom('connections')
      .leftJoin('connection_leases', 'connection_leases.connection_id', 'connections.id')
      .select('connections.id as id')
      .where((eb) =>
        eb.or([
          eb('connection_leases.connection_id', 'is', null),
          eb('connection_leases.expires_at', '<', at),
          eb('connection_leases.process_id', 'is', null),
        ]),
      )
      .orderBy('connections.id')
      .limit(share - held.size)
      .execute();
    for (const { id } of free) {
      const token = await acquire(id, at);
      if (token !== undefined) gain(id, token, began);
    }
  }

  let processUrl = '';

  /** The live process whose lease on `id` has not expired at `at` (database time), if any. */
  function holderOf(id: string, at: number) {
    return db
      .selectFrom('connection_leases')
      .innerJoin('node_processes', 'node_processes.id', 'connection_leases.process_id')
      .select(['node_processes.id as id', 'node_processes.url as url', 'node_processes.relay_key as key'])
      .where('connection_leases.connection_id', '=', id)
      .where('connection_leases.expires_at', '>', at)
      .executeTakeFirst();
  }

  /** Another live process once it has taken the lease on `id`, waiting up to two heartbeats for one to. */
  async function takerOf(id: string) {
    const deadline = Date.now() + 2 * timings.heartbeatMs;
    while (!stopped) {
      const holder = await holderOf(id, await now());
      if (holder && holder.id !== processId) return holder;
      if (Date.now() >= deadline) return undefined;
      await new Promise((r) => setTimeout(r, Math.max(20, timings.heartbeatMs / 10)));
    }
    return undefined;
  }

  async function placeOnce(id: string): Promise<Placement> {
    if (mine(id)) return { here: true };
    try {
      const began = Date.now();
      const at = await now();
      const holder = await holderOf(id, at);
      if (holder && holder.id !== processId)
        return { here: false, processId: holder.id, url: holder.url, relayKey: holder.key };
      if (holder) {
        // Ours in the table but not yet here: a heartbeat under way took it and records it when done. Or this
        // process let it go, not renewed in time, and it is nobody's until that beat ends or it expires: the
        // wait for the beat is bounded, as it may be the one that hangs.
        await Promise.race([running, new Promise((r) => setTimeout(r, margin).unref())]);
        if (mine(id)) return { here: true };
        if (held.has(id) || running !== undefined) return { here: false, processId: null };
      }
      // Given up here to rebalance a moment ago: the peer, its link ended, redials this process at once, and
      // taking the lease back for it would undo the move and restart the minimum hold, every time (the
      // connection would never move). The process that should take it does at its next beat: the link waits
      // for that (bounded), then is relayed there; failing that, the peer is refused and redials.
      const leftAt = givenUp.get(id);
      if (leftAt !== undefined && Date.now() - leftAt < timings.leaseMs) {
        const taker = await takerOf(id);
        return taker
          ? { here: false, processId: taker.id, url: taker.url, relayKey: taker.key }
          : { here: false, processId: null };
      }
      if (started && !stopped) {
        const token = await acquire(id, at);
        if (token !== undefined) {
          gain(id, token, began);
          return { here: true };
        }
      }
    } catch (err) {
      log.warn({ err, connectionId: id }, 'finding the holder of a connection failed');
    }
    return { here: false, processId: null };
  }

  function tick(): Promise<void> {
    running ??= heartbeat()
      .catch((err: unknown) => {
        log.warn({ err, processId }, 'lease heartbeat failed');
        // Unrenewed near their expiry, they may be another process's soon: stop them here before it starts them.
        letGoOfStale();
      })
      .finally(() => (running = undefined));
    return running;
  }

  function schedule() {
    if (stopped) return;
    timer = setTimeout(() => {
      void tick().finally(schedule);
    }, timings.heartbeatMs);
    timer.unref();
  }

  return {
    processId,
    shared: true,
    holds: mine,
    async place(id) {
      // "Nobody can take it" is mostly a moment (a beat under way took it, an acquire lost to that beat, a lease
      // just given up): decided again for up to two beats before the peer is refused. A refused accept would use up
      // the invitation code.
      const deadline = Date.now() + 2 * timings.heartbeatMs;
      for (;;) {
        const where = await placeOnce(id);
        if (where.here || where.processId !== null || stopped || Date.now() >= deadline) return where;
        await Promise.race([
          running,
          new Promise((r) => setTimeout(r, Math.max(20, timings.heartbeatMs / 10)).unref()),
        ]);
      }
    },
    upElsewhere: (id) => upOthers.has(id),
    reportLinks(up) {
      linksUp = up;
    },
    get leader() {
      return leader;
    },
    onLeader(l) {
      leaderListeners.add(l);
      return () => void leaderListeners.delete(l);
    },
    acceptsRelay(key) {
      const a = Buffer.from(key);
      const b = Buffer.from(relayKey);
      return a.length === b.length && timingSafeEqual(a, b);
    },
    onChange: events.on,
    async processes() {
      const at = await now();
      const rows = await db
        .selectFrom('node_processes')
        .selectAll()
        .where('last_seen_at', '>', at - timings.leaseMs)
        .orderBy('started_at')
        .execute();
      const leases = await db
        .selectFrom('connection_leases')
        .select(['connection_id', 'process_id'])
        .where('expires_at', '>', at)
        .where('process_id', 'is not', null)
        .orderBy('connection_id')
        .execute();
      return rows.map((r) => ({
        id: r.id,
        url: r.url,
        startedAt: new Date(Number(r.started_at)).toISOString(),
        lastSeenAt: new Date(Number(r.last_seen_at)).toISOString(),
        connections: leases.filter((l) => l.process_id === r.id).map((l) => l.connection_id),
      }));
    },
    async start(url) {
      processUrl = url;
      started = true;
      await tick();
      schedule();
      // Apart from the heartbeat, which may be the thing that hangs.
      watchdog = setInterval(letGoOfStale, Math.max(20, Math.min(timings.heartbeatMs, margin) / 2));
      watchdog.unref();
    },
    tick,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (watchdog) clearInterval(watchdog);
      await running;
      setLeader(false);
      try {
        await release([...held.keys()]);
        await db.deleteFrom('node_processes').where('id', '=', processId).execute();
      } catch (err) {
        log.warn({ err, processId }, 'releasing leases at shutdown failed (they expire on their own)');
      }
      removeFence();
    },
  };
}
