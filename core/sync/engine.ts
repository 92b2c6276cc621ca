// The sync engine: follows the change feed, applies the inbox, delivers the outbox, and runs manual/bulk syncs.
import { inChunks } from '../../storage/chunks.ts';
import type { Db } from '../../storage/schema.ts';
import { conflict, notFound } from '../errors.ts';
import type { LinkHub } from '../link/link-hub.ts';
import type { Logger } from '../log.ts';
import type { RuleHostApi, RuleProgram, Sandbox } from '../sandbox/sandbox.ts';
import type { Tracker } from '../trackers/tracker.ts';
import { applyInbox } from './apply.ts';
import { connectionInfo, type SyncConnection, syncConnection, syncConnections } from './connections-view.ts';
import type { RuleSource, SyncContext } from './context.ts';
import { createDelivery, type Delivery, type DeliveryOptions } from './delivery.ts';
import { flatten } from './flat.ts';
import { createHlc } from './hlc.ts';
import { retryInbox } from './inbox.ts';
import { appendOutbox } from './outbox.ts';
import { processOutgoing } from './outgoing.ts';
import { type ReceiveTarget, receiveEvents } from './receive.ts';
import { addRunItems, finishRun, startRun } from './runs.ts';
import { ensureStream, feedHead, streamsById } from './streams.ts';
import { closeConnectionErrors, closeError, getError, recordError } from './sync-errors.ts';
import { getTrigger, triggerMatches } from './triggers.ts';
import { deleteTwin, saveTwin, twinByLocal } from './twins.ts';

/** What the engine needs from the host; link, rules and sandbox come from other modules and may be absent. */
export interface SyncEngineDeps {
  db: Db;
  tracker: Tracker;
  log: Logger;
  nodeId: string;
  link(): LinkHub | undefined;
  rules(): RuleSource | undefined;
  sandbox(): Sandbox | undefined;
  hostApi?: RuleHostApi;
  /** Subscribes to connection lifecycle events (activation, deletion), when the host has them. */
  onConnectionChange?(listener: (e: { type: string; id: string; state: string | null }) => void): () => void;
  /** How often the engine looks for work without being woken (activation, retries). */
  tickMs?: number;
  /** Delivery tuning (window, frame size, ack timeout); defaults suit production. */
  delivery?: Pick<DeliveryOptions, 'windowEvents' | 'windowBytes' | 'frameEvents' | 'ackTimeoutMs'>;
}

const FEED_BATCH = 500;
const RUN_CHUNK = 500;
const IDLE_CURSOR_SAVE_MS = 1000;
const COALESCE_MS = 5;
const HOLD_BASE_MS = 1000;
/** How each kind of engine error begins: each is closed by its own recovery, not by another's. */
const HELD_CAUSE = 'Syncing failed on this connection and is held:';
const RULES_CAUSE = "The connection's rules cannot be used:";
const STEP_CAUSE = 'The sync engine could not run a step:';
const HOLD_MAX_MS = 5 * 60 * 1000;

/**
 * Builds the engine; `start()` wires it to the link and the change feed.
 * @example const engine = createSyncEngine(deps); await engine.start(); await engine.syncEntities(id, [e.id]);
 */
export function createSyncEngine(deps: SyncEngineDeps) {
  const { db, tracker, log } = deps;
  const ctx: SyncContext = {
    db,
    tracker,
    log,
    hlc: createHlc(deps.nodeId),
    nodeId: deps.nodeId,
    sandbox: deps.sandbox,
    rules: deps.rules,
    hostApi: deps.hostApi,
  };
  let delivery: Delivery | undefined;
  const unsubscribe: Array<() => void> = [];
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let dirty = false;
  let running: Promise<void> | undefined;
  let lock: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after every earlier engine step: outgoing, apply and runs never interleave. */
  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = lock.then(fn, fn);
    lock = next.catch(() => undefined);
    return next;
  }

  /**
   * Connections whose part of a step threw: skipped until `until` (backing off to HOLD_MAX_MS), so one
   * connection's failure is that connection's connection-level error and cannot stop the others, nor
   * hold back the shared change feed. A retry of the error, or a later step that succeeds, releases it.
   */
  const held = new Map<string, { until: number; failures: number }>();

  function isHeld(id: string): boolean {
    const h = held.get(id);
    return !!h && h.until > Date.now();
  }

  async function hold(conn: SyncConnection, err: unknown) {
    const failures = (held.get(conn.id)?.failures ?? 0) + 1;
    const waitMs = Math.min(HOLD_MAX_MS, HOLD_BASE_MS * 2 ** Math.min(failures - 1, 20));
    held.set(conn.id, { until: Date.now() + waitMs, failures });
    const reason = err instanceof Error ? err.message : String(err);
    log.error({ err, connectionId: conn.id, failures }, 'sync step failed on a connection; holding it');
    await recordError(db, {
      level: 'connection',
      connectionId: conn.id,
      message: `${HELD_CAUSE} ${reason}. It is tried again in ${Math.round(waitMs / 1000)} s, or now on retry.`,
    }).catch((e: unknown) => log.error({ err: e, connectionId: conn.id }, 'recording a sync error failed'));
  }

  async function released(id: string) {
    if (!held.delete(id)) return;
    await closeConnectionErrors(db, id, 'connection', HELD_CAUSE);
  }

  /** Runs one connection's part of a step; a throw holds that connection instead of ending the step. */
  async function contained(conn: SyncConnection, work: () => Promise<void>) {
    try {
      await work();
    } catch (err) {
      await hold(conn, err);
      return;
    }
    await released(conn.id);
  }

  async function programFor(conn: SyncConnection): Promise<RuleProgram | undefined> {
    const rules = ctx.rules();
    if (!rules || !ctx.sandbox()) {
      await recordError(db, {
        level: 'node',
        connectionId: null,
        message: 'Sync rules cannot run: the rules or sandbox subsystem is not loaded on this host',
      });
      return undefined;
    }
    try {
      const program = await rules.program(conn.id);
      await closeConnectionErrors(db, conn.id, 'connection', RULES_CAUSE);
      return program;
    } catch (err) {
      await recordError(db, {
        level: 'connection',
        connectionId: conn.id,
        message: `${RULES_CAUSE} ${err instanceof Error ? err.message : String(err)}`,
      });
      return undefined;
    }
  }

  /**
   * Feed cursors moved past changes a connection had nothing to send for, written at most once a
   * second: on a receiving host every applied change is such a change, and writing the cursor each
   * step cost a commit each. A cursor lost in a crash only replays changes that send nothing.
   */
  const idleCursors = new Map<string, number>();
  let idleCursorsSavedAt = Date.now();

  async function saveIdleCursors(force = false) {
    if (idleCursors.size === 0 || (!force && Date.now() - idleCursorsSavedAt < IDLE_CURSOR_SAVE_MS)) return;
    const byCursor = new Map<number, string[]>();
    for (const [id, cursor] of idleCursors) byCursor.set(cursor, [...(byCursor.get(cursor) ?? []), id]);
    idleCursors.clear();
    idleCursorsSavedAt = Date.now();
    await db.transaction().execute(async (tx) => {
      for (const [cursor, ids] of byCursor)
        await inChunks(ids, (chunk) =>
          tx
            .updateTable('sync_streams')
            .set({ feed_cursor: cursor })
            .where('connection_id', 'in', chunk)
            .where('feed_cursor', '<', cursor)
            .execute(),
        );
    });
  }

  /** Moves every connection's feed cursor forward, queueing replicas; true when more changes wait. */
  async function followFeed(conns: SyncConnection[], programs: Map<string, RuleProgram | undefined>) {
    if (conns.length === 0) return false;
    const head = await feedHead(db);
    const known = await streamsById(db);
    const cursors: number[] = [];
    for (const c of conns) {
      const stream = known.get(c.id) ?? (await ensureStream(db, c.id, head));
      cursors.push(Math.max(stream.feed_cursor, idleCursors.get(c.id) ?? 0));
    }
    const from = Math.min(...cursors);
    const changes = await tracker.changes(from, FEED_BATCH);
    if (changes.length === 0) return false;
    const last = changes.at(-1)!.seq;
    for (const [i, conn] of conns.entries()) {
      const cursor = cursors[i]!;
      if (cursor >= last) continue;
      const ids = [
        ...new Set(
          changes
            .filter((c) => c.seq > cursor && c.op !== 'delete' && c.origin !== `connection:${conn.id}`)
            .map((c) => c.entityId),
        ),
      ];
      if (ids.length === 0) {
        idleCursors.set(conn.id, last);
        continue;
      }
      await contained(conn, async () => {
        if (!programs.has(conn.id)) programs.set(conn.id, await programFor(conn));
        const program = programs.get(conn.id);
        if (!program) return; // held until the rules work again (an open error says why)
        idleCursors.delete(conn.id); // the outgoing transaction writes the cursor with its events
        await processOutgoing(ctx, ids, {
          program,
          connection: connectionInfo(conn),
          mode: conn.mode,
          cursorTo: last,
        });
      });
    }
    await saveIdleCursors();
    return changes.length === FEED_BATCH;
  }

  async function step(): Promise<boolean> {
    const conns = (await syncConnections(db)).filter((c) => !isHeld(c.id));
    const programs = new Map<string, RuleProgram | undefined>();
    let more = await followFeed(conns, programs);
    // Two queries find the connections with work, so idle connections cost nothing per step.
    const withInbox = new Set(
      (
        await db
          .selectFrom('sync_inbox')
          .select('connection_id')
          .distinct()
          .where('status', '=', 'pending')
          .execute()
      ).map((r) => r.connection_id),
    );
    const streams = await streamsById(db);
    for (const conn of conns) {
      if (conn.state !== 'active') continue; // deactivated: inbound waits in the inbox, outbound in the outbox
      if (withInbox.has(conn.id) && !isHeld(conn.id)) {
        await contained(conn, async () => {
          if (!programs.has(conn.id)) programs.set(conn.id, await programFor(conn));
          const program = programs.get(conn.id);
          if (program && (await applyInbox(ctx, conn, program)) > 0) more = true;
        });
      }
      const stream = streams.get(conn.id);
      if (stream && stream.out_seq > stream.out_acked) void delivery?.pump(conn.id);
    }
    return more;
  }

  let stepFailing = false;
  async function loop() {
    while (dirty && !stopped) {
      dirty = false;
      try {
        if (await exclusive(step)) dirty = true;
        if (stepFailing) {
          stepFailing = false;
          await closeConnectionErrors(db, null, 'node', STEP_CAUSE).catch(() => undefined);
        }
      } catch (err) {
        stepFailing = true;
        // Not one connection's failure (the feed, the database): a node-level error says so.
        log.error({ err }, 'sync step failed');
        await recordError(db, {
          level: 'node',
          connectionId: null,
          message: `${STEP_CAUSE} ${err instanceof Error ? err.message : String(err)}`,
        }).catch(() => undefined);
      }
    }
  }

  function wake() {
    dirty = true;
    if (!running && !stopped) running = loop().finally(() => (running = undefined));
  }

  /**
   * Local writes come in bursts (an import, a bulk edit, a transaction of many rows): waiting a few
   * milliseconds lets one engine step take the burst, instead of a step per write.
   */
  let soon: NodeJS.Timeout | undefined;
  function wakeSoon() {
    soon ??= setTimeout(() => {
      soon = undefined;
      wake();
    }, COALESCE_MS);
  }

  /** Where a received frame can be applied at once: an active connection whose rules work. */
  async function receiveTarget(id: string): Promise<ReceiveTarget | undefined> {
    const conn = await syncConnection(db, id);
    if (conn?.state !== 'active') return undefined; // deactivated: inbound waits in the inbox
    const program = await programFor(conn);
    return program ? { conn, program } : undefined;
  }

  async function forgetConnection(id: string) {
    idleCursors.delete(id);
    await db.transaction().execute(async (tx) => {
      for (const t of [
        'sync_twins',
        'sync_outbox',
        'sync_inbox',
        'sync_streams',
        'sync_triggers',
        'sync_comment_links',
      ] as const)
        await tx.deleteFrom(t).where('connection_id', '=', id).execute();
      await tx
        .updateTable('sync_errors')
        .set({ status: 'resolved', resolved_at: new Date().toISOString() })
        .where('connection_id', '=', id)
        .where('status', '=', 'open')
        .execute();
    });
  }

  async function mustConnection(id: string): Promise<SyncConnection> {
    const conn = await syncConnection(db, id);
    if (!conn) throw notFound('Connection', id);
    return conn;
  }

  /** Starts a run over `ids` in the background and returns its id at once. */
  async function startSyncRun(
    conn: SyncConnection,
    ids: string[],
    kind: 'manual' | 'bulk',
    triggerId: string | null,
  ): Promise<string> {
    const runId = await startRun(db, conn.id, kind, triggerId);
    const work = async () => {
      const program = await exclusive(() => programFor(conn));
      if (!program) {
        const items = ids.map((id) => ({
          entityId: id,
          entityKey: null,
          action: 'error' as const,
          message: 'the rules cannot run',
        }));
        await db.transaction().execute((tx) => addRunItems(tx, runId, items));
        return finishRun(db, runId, 'failed');
      }
      for (let i = 0; i < ids.length && !stopped; i += RUN_CHUNK) {
        await exclusive(async () => {
          await ensureStream(db, conn.id, await feedHead(db));
          await processOutgoing(ctx, ids.slice(i, i + RUN_CHUNK), {
            program,
            connection: connectionInfo(conn),
            mode: conn.mode,
            force: true,
            manual: kind === 'manual',
            runId,
          });
        });
        wake();
      }
      await finishRun(db, runId, stopped ? 'failed' : 'finished');
    };
    void work().catch(async (err: unknown) => {
      log.error({ err, runId }, 'sync run failed');
      await finishRun(db, runId, 'failed').catch(() => undefined);
    });
    return runId;
  }

  return {
    wake,
    get delivery() {
      return delivery;
    },

    async start() {
      const link = deps.link();
      if (link) {
        delivery = createDelivery({
          db,
          link,
          log,
          canSend: async (id) => (await syncConnection(db, id))?.state === 'active',
          onInbox: () => wake(),
          receive: (id, events) =>
            exclusive(async () => receiveEvents(ctx, id, events, await receiveTarget(id))),
          ...deps.delivery,
        });
        unsubscribe.push(delivery.start());
      } else log.warn('sync engine started without a link: nothing will be sent or received');
      unsubscribe.push(tracker.onChange(() => wakeSoon()));
      if (deps.onConnectionChange) {
        unsubscribe.push(
          deps.onConnectionChange((e) => {
            if (e.type === 'deleted')
              void exclusive(() => forgetConnection(e.id)).catch((err: unknown) =>
                log.error({ err }, 'sync cleanup failed'),
              );
            wake();
          }),
        );
      }
      timer = setInterval(wake, deps.tickMs ?? 1000);
      timer.unref();
      wake();
    },

    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      clearTimeout(soon);
      for (const u of unsubscribe.splice(0)) u();
      const closing = delivery?.close();
      await running;
      await lock.catch(() => undefined);
      await closing;
      await saveIdleCursors(true).catch((err: unknown) => log.error({ err }, 'saving feed cursors failed'));
    },

    /** Manual sync: the entities are synced by hand from now on, and sent now. */
    async syncEntities(connectionId: string, ids: string[]): Promise<string> {
      return startSyncRun(await mustConnection(connectionId), [...new Set(ids)], 'manual', null);
    },

    /** Bulk sync: every entity the trigger matches now. */
    async bulkSync(triggerId: string): Promise<string> {
      const trigger = await getTrigger(db, triggerId);
      if (!trigger) throw notFound('Trigger', triggerId);
      const conn = await mustConnection(trigger.connection_id);
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await tracker.list({
          type: trigger.entity_type as never,
          limit: 200,
          ...(cursor ? { cursor } : {}),
        });
        for (const e of page.items) if (triggerMatches(trigger, flatten(e))) ids.push(e.id);
        cursor = page.nextCursor;
      } while (cursor);
      return startSyncRun(conn, ids.reverse(), 'bulk', trigger.id);
    },

    /** Stops syncing the entities on the connection; the peer forgets its twins too. */
    async unsync(connectionId: string, ids: string[]): Promise<number> {
      const conn = await mustConnection(connectionId);
      return exclusive(() =>
        db.transaction().execute(async (tx) => {
          await ensureStream(tx, conn.id, await feedHead(tx));
          let n = 0;
          for (const id of new Set(ids)) {
            const twin = await twinByLocal(tx, conn.id, id);
            if (!twin) continue;
            await deleteTwin(tx, conn.id, id);
            if (twin.local_replica !== null || twin.remote_id !== null)
              await appendOutbox(tx, conn.id, [{ kind: 'unlink', entityId: id, twinId: twin.remote_id }]);
            n++;
          }
          wake();
          return n;
        }),
      );
    },

    /** Replays from the failed event (incoming) or runs the outgoing rule again (outgoing). */
    async retryError(id: string) {
      const err = await getError(db, id);
      if (!err) throw notFound('Error', id);
      if (err.status !== 'open') throw conflict('ERROR_NOT_OPEN', `Error ${id} is already resolved`);
      if (err.level === 'connection' && err.connection_id) held.delete(err.connection_id);
      await exclusive(async () => {
        await db.transaction().execute(async (tx) => {
          if (err.direction === 'in' && err.connection_id && err.event_seq !== null)
            await retryInbox(tx, err.connection_id, err.event_seq);
          await closeError(tx, id);
        });
        if (err.direction === 'out' && err.connection_id && err.entity_id) {
          const conn = await syncConnection(db, err.connection_id);
          const program = conn && (await programFor(conn));
          if (conn && program)
            await processOutgoing(ctx, [err.entity_id], {
              program,
              connection: connectionInfo(conn),
              mode: conn.mode,
              force: true,
            });
        }
      });
      wake();
      return getError(db, id);
    },

    /** Skips the failed event: later events of that entity flow again. */
    async resolveError(id: string) {
      const err = await getError(db, id);
      if (!err) throw notFound('Error', id);
      if (err.status !== 'open') throw conflict('ERROR_NOT_OPEN', `Error ${id} is already resolved`);
      await exclusive(() =>
        db.transaction().execute(async (tx) => {
          if (err.direction === 'in' && err.connection_id && err.event_seq !== null) {
            await tx
              .deleteFrom('sync_inbox')
              .where('connection_id', '=', err.connection_id)
              .where('seq', '=', err.event_seq)
              .execute();
          }
          if (err.connection_id && err.entity_id) {
            const twin = await twinByLocal(tx, err.connection_id, err.entity_id);
            if (twin?.status === 'error')
              await saveTwin(tx, err.connection_id, err.entity_id, {
                status: twin.remote_id ? 'synced' : 'pending',
              });
          }
          await closeError(tx, id);
        }),
      );
      wake();
      return getError(db, id);
    },
  };
}

export type SyncEngine = ReturnType<typeof createSyncEngine>;
