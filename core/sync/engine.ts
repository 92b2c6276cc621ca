// The sync engine: follows the change feed, applies the inbox, delivers the outbox, and runs manual/bulk syncs.
import type { Db } from '../../storage/schema.ts';
import type { BlobStore } from '../blobs/blob-store.ts';
import type { LinkHub } from '../link/link-hub.ts';
import type { Logger } from '../log.ts';
import type { RuleHostApi, Sandbox } from '../sandbox/sandbox.ts';
import type { Tracker } from '../trackers/tracker.ts';
import { type Clock, realClock } from './clock.ts';
import { syncConnection } from './connections-view.ts';
import { createContentSync } from './content/content-sync.ts';
import type { RuleSource, SyncContext } from './context.ts';
import { createDelivery, type Delivery, type DeliveryOptions } from './delivery.ts';
import { createErrorActions } from './engine/error-actions.ts';
import { createFeed } from './engine/feed.ts';
import { createFollowedTypes } from './engine/followed-types.ts';
import { forgetConnection } from './engine/forget.ts';
import { createHolds } from './engine/holds.ts';
import { createManualSync } from './engine/manual.ts';
import { createPrograms } from './engine/programs.ts';
import { createScheduler } from './engine/scheduler.ts';
import { createSettled } from './engine/settled.ts';
import { createStep } from './engine/step.ts';
import { createHlc } from './hlc.ts';
import { takePeerOutcomes } from './peer-outcomes.ts';
import { receiveEvents } from './receive.ts';

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
  /**
   * Whether this process runs the connection (it holds its lease, core/cluster/leases.ts); every connection
   * when absent. Steps, runs and attachment transfers leave the others to the process that holds them.
   */
  holds?(connectionId: string): boolean;
  /** How often the engine looks for work without being woken (activation, retries). */
  tickMs?: number;
  /** Delivery tuning (window, frame size, ack timeout); defaults suit production. */
  delivery?: Pick<
    DeliveryOptions,
    'windowEvents' | 'windowBytes' | 'frameEvents' | 'ackTimeoutMs' | 'windowOutcomes'
  >;
  /** Entities a manual or bulk run queues per chunk (500 by default). */
  runChunk?: number;
  /** Time for backoff, coalescing, the tick, idle cursor saves and delivery; the real clock by default. */
  clock?: Clock;
  /** Attachment bytes: with a blob store, attachments cross the link (core/sync/content/). */
  content?: {
    blobs: BlobStore;
    maxAttachmentBytes: number;
    referenceWaitMs: number;
    /** Backoff after the n-th failed transfer of an attachment (1 s doubling to 60 s by default). */
    backoffMs?(attempt: number): number;
  };
}

/**
 * Builds the engine from its parts (`engine/`): the scheduler runs steps (feed, inbox, outbox) one at a time
 * beside the admin's work (manual and bulk runs, unsync, error retry and resolve); holds contain a
 * connection whose step throws; `start()` wires it to the link and the change feed.
 * @example const engine = createSyncEngine(deps); await engine.start(); await engine.syncEntities(id, [e.id]);
 */
export function createSyncEngine(deps: SyncEngineDeps) {
  const { db, tracker, log } = deps;
  const clock = deps.clock ?? realClock;
  const holds = deps.holds ?? (() => true);
  const ctx: SyncContext = {
    db,
    tracker,
    log,
    hlc: createHlc(deps.nodeId, () => clock.now()),
    nodeId: deps.nodeId,
    sandbox: deps.sandbox,
    rules: deps.rules,
    hostApi: deps.hostApi,
  };
  let delivery: Delivery | undefined;
  let content: ReturnType<typeof createContentSync> | undefined;
  const unsubscribe: Array<() => void> = [];
  const heldInError = createHolds({ db, log, clock });
  const programs = createPrograms(ctx);
  const feed = createFeed({ ctx, clock, holds: heldInError });
  const step = createStep({
    ctx,
    feed,
    holds: heldInError,
    runs: holds,
    programs,
    pump: (id) => void delivery?.pump(id),
    pumpOutcomes: (id, decided) => void delivery?.pumpOutcomes(id, decided),
  });
  // A tracker that can follow only the types in use is told them before a step reads its feed.
  const followed = createFollowedTypes({ db, tracker, clock, log });
  const scheduler = createScheduler({
    db,
    log,
    clock,
    step: async () => {
      await followed.refresh();
      return step();
    },
  });
  const { exclusive } = scheduler;
  /** A step now; triggers and connections may have changed (the admin API wakes the engine after such changes). */
  const wake = () => {
    followed.changed();
    scheduler.wake();
  };
  const manual = createManualSync({
    ctx,
    programs,
    scheduler,
    clock,
    runs: holds,
    ...(deps.runChunk ? { chunk: deps.runChunk } : {}),
  });
  const errors = createErrorActions({ ctx, programs, holds: heldInError, scheduler });
  const settled = createSettled({
    db,
    tracker,
    clock,
    scheduler,
    feed,
    holds: heldInError,
    programs,
    link: () => (delivery ? deps.link() : undefined),
    deliveryBusy: () => delivery?.busy ?? false,
    outcomesAcknowledged: (id) => delivery?.outcomesAcknowledged(id),
  });

  /** Commits a received frame: applied at once on an active connection whose rules work, else to the inbox. */
  async function receive(id: string, events: Parameters<typeof receiveEvents>[2]) {
    const conn = await syncConnection(db, id);
    const program = conn?.state === 'active' ? await programs.of(conn) : undefined; // deactivated: inbound waits
    return receiveEvents(ctx, id, events, conn && program ? { conn, program } : undefined);
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
          clock,
          canSend: async (id) => (await syncConnection(db, id))?.state === 'active',
          onInbox: () => {
            scheduler.wake();
            content?.wake();
          },
          receive: (id, events) => exclusive(() => receive(id, events)),
          takeOutcomes: (id, outcomes) => exclusive(() => takePeerOutcomes(db, id, outcomes)),
          ...deps.delivery,
        });
        unsubscribe.push(delivery.start());
        if (deps.content) {
          content = createContentSync({
            db,
            tracker,
            link,
            log,
            clock,
            ...deps.content,
            runs: holds,
            tickMs: deps.tickMs ?? 1000,
          });
          unsubscribe.push(content.start());
        }
      } else log.warn('sync engine started without a link: nothing will be sent or received');
      // Without push the scheduler's tick polls the feed.
      if (tracker.watch) unsubscribe.push(tracker.watch(() => scheduler.wakeSoon()));
      if (deps.onConnectionChange) {
        unsubscribe.push(
          deps.onConnectionChange((e) => {
            if (e.type === 'deleted')
              void exclusive(async () => {
                feed.forget(e.id);
                await forgetConnection(db, e.id);
              }).catch((err: unknown) => log.error({ err }, 'sync cleanup failed'));
            wake();
          }),
        );
      }
      scheduler.start(deps.tickMs ?? 1000);
      await manual
        .resume()
        .catch((err: unknown) => log.error({ err }, 'taking up unfinished sync runs failed'));
    },

    async stop() {
      scheduler.halt();
      manual.stop();
      for (const u of unsubscribe.splice(0)) u();
      const closing = delivery?.close();
      await content?.stop();
      await scheduler.drain();
      await closing;
      await feed
        .saveIdleCursors(true)
        .catch((err: unknown) => log.error({ err }, 'saving feed cursors failed'));
    },

    /**
     * Resolves once the engine has nothing left to do: no step running or due, the feed read to its head,
     * no inbox event waiting to be applied and every outbox event acknowledged (see `engine/settled.ts`).
     */
    settled,

    /**
     * This process took the connection over (its lease): a step now, and the runs it had under way elsewhere
     * go on here from where their queue stands.
     */
    async adopt(connectionId: string) {
      wake();
      await manual
        .resume()
        .catch((err: unknown) =>
          log.error({ err, connectionId }, 'taking up sync runs of a connection failed'),
        );
    },

    syncEntities: manual.syncEntities,
    bulkSync: manual.bulkSync,
    unsync: manual.unsync,
    cancelRun: manual.cancelRun,
    retryError: errors.retryError,
    resolveError: errors.resolveError,
    retryErrors: errors.retryErrors,
    resolveErrors: errors.resolveErrors,
  };
}

export type SyncEngine = ReturnType<typeof createSyncEngine>;
