// The ServiceNow connector as a `Tracker`: reads in batches, the polled change feed of the tables in use, one idempotent write.
import type { Db } from '../../../storage/schema.ts';
import { TandemError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type {
  Change,
  ChangePage,
  Entity,
  EntityType,
  FieldInfo,
  FollowedType,
  Tracker,
  TrackerAttachments,
  WriteContext,
  WriteOutcome,
  WriteRequest,
} from '../tracker.ts';
import type { TrackerPush } from '../tracker-push.ts';
import type { TrackerReport, TrackerStatus } from '../tracker-report.ts';
import { simpleWrites } from '../write-outcomes.ts';
import { createServiceNowAttachments } from './attachments.ts';
import { batchedWrites } from './batched-writes.ts';
import { createChangeFeed } from './change-feed.ts';
import type { ServiceNowClient, ServiceNowCredentials, ServiceNowRecord } from './client.ts';
import { createGate, mergedLookups } from './coalesce.ts';
import { parseServiceNowCredentials, type ServiceNowConfig } from './config.ts';
import { encodedQuery } from './encoded-query.ts';
import { ServiceNowError } from './errors.ts';
import { checkServiceNowHealth } from './health.ts';
import { createJournal } from './journal.ts';
import { entityList } from './list.ts';
import { createEntityMapper } from './mapping.ts';
import { verifyPush } from './push.ts';
import { userLookup } from './user-lookup.ts';
import { outcomeOfError } from './write-checks.ts';
import { createWriteKeys } from './write-keys.ts';
import { serviceNowWrites } from './writes.ts';

export interface ServiceNowTrackerDeps {
  config: ServiceNowConfig;
  client: ServiceNowClient;
  log?: Logger;
  now?: () => number;
  /** The push path's secret (push.ts); without it the tracker takes no push. */
  pushSecret?: string;
  /** The host database, where idempotency keys of writes outlive a restart (else they are kept in memory). */
  db?: Db;
  /** Creates and updates per Batch API request (batched-writes.ts). */
  batchItems?: number;
}

const SYS_ID = /^[0-9a-f]{32}$/;
const CAUGHT_UP_KEPT = 64;
/**
 * A table that starts being followed is read from a minute before the need began: the host's clock and the
 * instance's may differ by that much without a change being missed (the poll's overlap comes on top).
 */
export const FOLLOW_CLOCK_SKEW_MS = 60_000;

/** A bounded map, oldest entry dropped first. */
function boundedMap<V>(max: number) {
  const m = new Map<string, V>();
  return {
    get: (k: string) => m.get(k),
    set(k: string, v: V) {
      m.delete(k);
      m.set(k, v);
      if (m.size > max) m.delete(m.keys().next().value!);
    },
    clear: () => m.clear(),
  };
}

const sameTables = (a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>) =>
  a.size === b.size && [...a].every(([t, ms]) => b.get(t) === ms);

/**
 * @example const tracker = createServiceNowTracker({ config: parseServiceNowConfig(options, env), client, db });
 * tracker.follow([{ type: 'incident', since: new Date().toISOString() }]);
 * const { changes, cursor } = await tracker.changes(await tracker.head(), 500);
 */
export function createServiceNowTracker(deps: ServiceNowTrackerDeps) {
  const { config, client } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.log;
  const types = config.entityTypes;
  const tableOf = (type: EntityType) => config.tables[type];
  const typeOfTable = new Map(types.map((t) => [config.tables[t], t] as const));
  const mapper = createEntityMapper({ client, config, now });
  const feed = createChangeFeed({ client, overlapMs: config.overlapMs });
  // The engine's journaled events of one step join it: their writes and reads wait for each other (bounded).
  const gate = createGate();
  // Writes made side by side (the engine's journaled events of one step) go as one Batch API request.
  const writer = batchedWrites(client, deps.batchItems, gate);
  const journal = createJournal({
    client: writer,
    fields: { comments: config.fields.incident.comments, workNotes: config.fields.incident.workNotes },
  });
  const readJournal = mergedLookups((ids) => journal.read(ids), gate);
  /** sys_id -> entity type, learned from every read, feed page and write (so a read asks one table). */
  const typeOf = boundedMap<EntityType>(100_000);
  /** Idempotency key -> the sys_id its write touched (in the host database when there is one). */
  const keys = createWriteKeys(deps.db, now);
  /**
   * Cursors a poll ended at, caught up, and when: asked again within pollMs, they answer without a call.
   * Cleared when a poll is due (the poller's tick, a push, a local write), so every follower's cursor asks once.
   */
  const caughtUp = boundedMap<number>(CAUGHT_UP_KEPT);
  /** The tables the engine needs (`follow`), each with where a cursor without it starts; null: every table. */
  let followed: Map<string, number> | null = null;
  const polled = () => (followed ? [...followed.keys()] : types.map(tableOf));
  const listeners = new Set<(change?: Change) => void>();
  let lastPollAt: number | null = null;
  let lastPollError: ServiceNowError | null = null;
  /** Why no credentials are in use though some are set (half a pair), until new ones come. */
  let credentialsIssue = config.credentialsIssue;
  let timer: NodeJS.Timeout | undefined;

  const notify = () => {
    for (const l of [...listeners]) l();
  };
  /** The next look at the feed asks ServiceNow, and followers are woken to look now. */
  const wake = () => {
    caughtUp.clear();
    notify();
  };
  const files = createServiceNowAttachments({
    client,
    async tableOf(id) {
      const type = typeOf.get(id) ?? (await readOne(id))?.type;
      return type ? tableOf(type) : undefined;
    },
    onWrite: wake,
  });

  async function withComments(pairs: Array<[EntityType, ServiceNowRecord]>): Promise<Entity[]> {
    const entities = pairs.map(([type, record]) => mapper.toEntity(type, record));
    const comments = await readJournal(entities.map((e) => e.id));
    for (const e of entities) {
      typeOf.set(e.id, e.type);
      e.comments = (comments.get(e.id) ?? []).map(({ id, author, body, internal, createdAt }) => ({
        id,
        author,
        body,
        internal,
        createdAt,
      }));
    }
    return entities;
  }

  /** Entities as reads give them: with their attachments (one Attachment API query per 100 records). */
  async function withContent(pairs: Array<[EntityType, ServiceNowRecord]>): Promise<Entity[]> {
    const entities = await withComments(pairs);
    if (entities.length) await files.fill(entities);
    return entities;
  }

  /** The records of these ids: one `sys_idIN` query per table (known ids ask their own table only). */
  async function readManyNow(ids: readonly string[]): Promise<Map<string, Entity>> {
    const wanted = [...new Set(ids.filter((id) => SYS_ID.test(id)))];
    const byType = new Map<EntityType, string[]>();
    const unknown: string[] = [];
    for (const id of wanted) {
      const t = typeOf.get(id);
      if (t && types.includes(t)) byType.set(t, [...(byType.get(t) ?? []), id]);
      else unknown.push(id);
    }
    if (unknown.length) for (const t of types) byType.set(t, [...(byType.get(t) ?? []), ...unknown]);
    const found: Array<[EntityType, ServiceNowRecord]> = [];
    await Promise.all(
      [...byType].map(async ([type, list]) => {
        for (let i = 0; i < list.length; i += 100) {
          const records = await client.listAll(tableOf(type), {
            ...mapper.readOptions(type),
            query: encodedQuery().in('sys_id', list.slice(i, i + 100)),
          });
          for (const r of records) found.push([type, r]);
        }
      }),
    );
    return new Map((await withContent(found)).map((e) => [e.id, e]));
  }
  /** Reads made side by side (the engine's events of one step) become one. */
  const readMany = mergedLookups(readManyNow, gate);
  const readOne = async (id: string) => (await readMany([id])).get(id);

  const writes = serviceNowWrites({
    config,
    writer,
    mapper,
    journal,
    readOne,
    withComments,
    learn: (id, type) => typeOf.set(id, type),
  });

  async function write(request: WriteRequest, context: WriteContext): Promise<WriteOutcome> {
    const key = context.idempotencyKey;
    try {
      // A first try's key was never used: no look-up.
      const seen = key && context.firstTry !== true ? await keys.get(key) : undefined;
      if (seen !== undefined) return { outcome: 'replayed', entity: (await readOne(seen)) ?? null };
      const r =
        request.op === 'create'
          ? await writes.create(request, context)
          : SYS_ID.test(request.id)
            ? await writes.change(request, context)
            : ({
                outcome: 'not_found',
                message: `No ServiceNow record ${request.id.slice(0, 40)}`,
              } as const);
      if (r.outcome === 'applied' || r.outcome === 'replayed') {
        const id = r.entity?.id ?? (request.op === 'create' ? undefined : request.id);
        if (key && id) await keys.set(key, id);
        // A change made here (the admin API's) is one to send: look at the feed at once; any write wakes watchers.
        if (context.origin === 'local') caughtUp.clear();
        notify();
      }
      return r;
    } catch (err) {
      return outcomeOfError(err, now);
    }
  }

  async function poll(cursor: string | null, limit: number): Promise<ChangePage> {
    const tables = polled();
    try {
      const r = await feed.poll(
        cursor,
        tables,
        followed ? { limit, starts: followed, dropOthers: true } : { limit },
      );
      // No table followed yet: nothing was asked of the instance, so no poll to report.
      if (tables.length > 0) lastPollAt = now();
      lastPollError = null;
      const changes: Change[] = r.changes.map((c) => {
        const entityType = typeOfTable.get(c.table)!;
        typeOf.set(c.sysId, entityType);
        return {
          entityId: c.sysId,
          entityType,
          op: c.modCount === 0 ? 'create' : 'update',
          version: c.modCount,
          at: c.updatedOn,
        };
      });
      return { changes, cursor: r.cursor, more: r.more };
    } catch (err) {
      if (tables.length > 0) lastPollAt = now();
      if (err instanceof ServiceNowError) {
        lastPollError = err;
        log?.warn({ code: err.code, detail: err.message }, 'ServiceNow poll failed');
      }
      throw err;
    }
  }

  const statusOfPoll = (): TrackerStatus['status'] => {
    const e = lastPollError;
    if (!e) return client.stats().rateLimitedUntil ? 'degraded' : undefined;
    const down =
      e.code === 'SERVICENOW_UNAUTHORIZED' ||
      (e.code === 'SERVICENOW_UNAVAILABLE' && e.details.upstreamStatus === undefined);
    return down ? 'down' : 'degraded';
  };

  const stop = () => {
    listeners.clear();
    if (timer) clearInterval(timer);
    timer = undefined;
  };

  const tracker = {
    id: 'servicenow',
    entityTypes: types,
    /** The mapped fields; status and priority with the table's choices (sys_choice, else the defaults). */
    async fields(type: EntityType): Promise<FieldInfo[]> {
      if (!types.includes(type)) return [];
      const offered = await mapper.fieldChoices(type);
      const picked = (choices: FieldInfo['choices']) => (choices ? { choices, choicesOnly: true } : {});
      return [
        { name: 'summary', type: 'string', standard: true },
        { name: 'description', type: 'string', standard: true },
        { name: 'status', type: 'string', standard: true, ...picked(offered.status) },
        { name: 'priority', type: 'number', standard: true, ...picked(offered.priority) },
        { name: 'assignee', type: 'string', standard: true },
        ...config.customFields.map((name) => ({ name, type: 'string' as const, standard: false })),
      ];
    },
    get: readOne,
    getMany: readMany,
    attachments: files as TrackerAttachments,
    list: entityList({ client, config, mapper, withComments: withContent }),
    async changes(cursor, limit) {
      const at = cursor === null ? undefined : caughtUp.get(cursor);
      if (cursor !== null && at !== undefined && now() - at < config.pollMs)
        return { changes: [], cursor, more: false };
      const page = await poll(cursor, limit);
      if (!page.more) caughtUp.set(page.cursor, now());
      return page;
    },
    head: () => feed.head(polled()),
    write,
    ...simpleWrites(write),
    /** The engine's journaled writes of one step wait for each other (one Batch API request), bounded. */
    joinWrites: () => gate.join(),
    watch(listener) {
      listeners.add(listener);
      // The poller: every pollMs the feed is due and the engine is woken to read it.
      timer ??= setInterval(() => {
        caughtUp.clear();
        notify();
      }, config.pollMs);
      timer.unref();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
    /** Polls only the tables of the types in use; one that starts being followed is read from its need on. */
    follow(needed: readonly FollowedType[]) {
      const next = new Map<string, number>();
      for (const n of needed) {
        const ms = Date.parse(n.since);
        if (!types.includes(n.type) || !Number.isFinite(ms)) continue;
        const table = tableOf(n.type);
        next.set(table, Math.min(next.get(table) ?? Number.POSITIVE_INFINITY, ms - FOLLOW_CLOCK_SKEW_MS));
      }
      if (followed && sameTables(followed, next)) return;
      followed = next;
      caughtUp.clear();
      log?.info({ tables: [...next.keys()] }, 'ServiceNow tables followed');
    },
    /**
     * New credentials (entered in the console, or forgotten there): every call from now on signs with them, and
     * the feed is looked at again at once. Half a pair is taken as none, as at start: the checks say what is missing.
     */
    reconfigure(values: Readonly<Record<string, string | undefined>>) {
      let next: ServiceNowCredentials | null = null;
      try {
        next = parseServiceNowCredentials(values);
        credentialsIssue = undefined;
      } catch (err) {
        if (!(err instanceof TandemError)) throw err;
        credentialsIssue = err.message;
      }
      client.setCredentials(next);
      lastPollError = null;
      log?.info({ auth: next?.kind ?? 'none' }, 'ServiceNow credentials changed');
      wake();
    },
    /** Stops the poller (the host calls it on close). */
    close: stop,
    users: userLookup(client, config.tables.user),
    health: () => checkServiceNowHealth(client, types.map(tableOf), credentialsIssue),
    status(): TrackerStatus {
      const stats = client.stats();
      const status = statusOfPoll();
      return {
        url: client.instanceUrl,
        ...(status ? { status } : {}),
        lastPollAt: lastPollAt === null ? null : new Date(lastPollAt).toISOString(),
        calls: stats.calls,
        rateLimitedUntil: stats.rateLimitedUntil,
      };
    },
  } satisfies Tracker & TrackerReport;

  const controls = {
    /** The Business Rule's signed wake-up (POST /hooks/tracker): a valid signature wakes the poller at once. */
    ...(deps.pushSecret === undefined
      ? {}
      : {
          push: {
            accept(body: string, signature: string | undefined): boolean {
              if (!verifyPush(deps.pushSecret!, body, signature)) return false;
              controls.wake();
              return true;
            },
          } satisfies TrackerPush,
        }),
    /** Wakes the poller at once (the push endpoint): the next look at the feed asks ServiceNow. */
    wake,
  };

  return { ...tracker, ...controls };
}

export type ServiceNowTracker = ReturnType<typeof createServiceNowTracker>;
