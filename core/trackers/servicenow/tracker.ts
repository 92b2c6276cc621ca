// The ServiceNow connector as a `Tracker`: reads in batches, the polled change feed, one idempotent write, health.
import { randomUUID } from 'node:crypto';
import type { FieldIssue } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type {
  Change,
  ChangePage,
  Entity,
  EntityFields,
  EntityType,
  FieldInfo,
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
import { createChangeFeed } from './change-feed.ts';
import type { ServiceNowClient, ServiceNowRecord } from './client.ts';
import type { ServiceNowConfig } from './config.ts';
import { encodedQuery } from './encoded-query.ts';
import { ServiceNowError } from './errors.ts';
import { checkServiceNowHealth } from './health.ts';
import { createIdempotently } from './idempotent-create.ts';
import { createJournal, type JournalComment } from './journal.ts';
import { createEntityMapper } from './mapping.ts';
import { verifyPush } from './push.ts';
import { checkFields, issueOf, outcomeOfError } from './write-checks.ts';

export interface ServiceNowTrackerDeps {
  config: ServiceNowConfig;
  client: ServiceNowClient;
  log?: Logger;
  now?: () => number;
  /** The push path's secret (push.ts); without it the tracker takes no push. */
  pushSecret?: string;
}

const SYS_ID = /^[0-9a-f]{32}$/;
/** Idempotency keys remembered (an update or delete replayed after a restart is a field set again: no change). */
const KEYS_KEPT = 10_000;
const CAUGHT_UP_KEPT = 64;

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

/**
 * @example const tracker = createServiceNowTracker({ config: parseServiceNowConfig(options, env), client });
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
  const journal = createJournal({
    client,
    fields: { comments: config.fields.incident.comments, workNotes: config.fields.incident.workNotes },
  });
  /** sys_id -> entity type, learned from every read, feed page and write (so a read asks one table). */
  const typeOf = boundedMap<EntityType>(100_000);
  /** Idempotency key -> the sys_id its write touched. */
  const keys = boundedMap<string>(KEYS_KEPT);
  /**
   * Cursors a poll ended at, caught up, and when: asked again within pollMs, they answer without a call.
   * Cleared when a poll is due (the poller's tick, a push, a local write), so every follower's cursor asks once.
   */
  const caughtUp = boundedMap<number>(CAUGHT_UP_KEPT);
  const listeners = new Set<(change?: Change) => void>();
  let lastPollAt: number | null = null;
  let lastPollError: ServiceNowError | null = null;
  let timer: NodeJS.Timeout | undefined;

  const notify = () => {
    for (const l of [...listeners]) l();
  };
  const files = createServiceNowAttachments({
    client,
    async tableOf(id) {
      const type = typeOf.get(id) ?? (await readOne(id))?.type;
      return type ? tableOf(type) : undefined;
    },
    onWrite: () => {
      caughtUp.clear();
      notify();
    },
  });

  async function withComments(pairs: Array<[EntityType, ServiceNowRecord]>): Promise<Entity[]> {
    const entities = pairs.map(([type, record]) => mapper.toEntity(type, record));
    const comments = entities.length
      ? await journal.read(entities.map((e) => e.id))
      : new Map<string, JournalComment[]>();
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
    if (entities.length) await files.fill(entities);
    return entities;
  }

  /** The records of these ids: one `sys_idIN` query per table (known ids ask their own table only). */
  async function readMany(ids: readonly string[]): Promise<Map<string, Entity>> {
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
    return new Map((await withComments(found)).map((e) => [e.id, e]));
  }

  const readOne = async (id: string) => (await readMany([id])).get(id);

  /** Where a write goes: the entity the engine read (`current`), else one read. */
  async function target(id: string, context: WriteContext): Promise<Entity | undefined> {
    if (context.current?.id === id) return context.current;
    return readOne(id);
  }

  const deletedMessage = (id: string) =>
    `The ServiceNow record ${id} was deleted in ServiceNow (or the integration user can no longer see it)`;

  async function create(
    request: Extract<WriteRequest, { op: 'create' }>,
    context: WriteContext,
  ): Promise<WriteOutcome> {
    if (!types.includes(request.type))
      return {
        outcome: 'rejected',
        message: `This ServiceNow tracker does not offer ${request.type} (entityTypes)`,
        issues: [{ path: 'type', message: `must be one of ${types.join(', ')}` }],
      };
    const issues = checkFields(request.fields, true);
    const record = await mapped(request.type, request.fields, issues);
    if (issues.length) return { outcome: 'rejected', message: 'The fields are not valid', issues };
    const table = tableOf(request.type);
    const read = mapper.readOptions(request.type);
    if (context.correlationId) {
      const r = await createIdempotently(client, table, record, context.correlationId, { read });
      const [entity] = await (r.outcome === 'replayed'
        ? withComments([[request.type, r.record]])
        : Promise.resolve([mapper.toEntity(request.type, r.record)]));
      typeOf.set(entity!.id, request.type);
      return { outcome: r.outcome, entity: entity! };
    }
    const entity = mapper.toEntity(request.type, await client.create(table, record, read));
    typeOf.set(entity.id, request.type);
    return { outcome: 'applied', entity };
  }

  /** The record fields of `fields`, each field's refusal an issue of its own. */
  async function mapped(
    type: EntityType,
    fields: Partial<EntityFields>,
    issues: FieldIssue[],
  ): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(fields)) {
      if (value === undefined || issues.some((i) => i.path === `fields.${name}`)) continue;
      try {
        Object.assign(out, await mapper.toRecord(type, { [name]: value }));
      } catch (err) {
        const issue = issueOf(err, name);
        if (!issue) throw err;
        issues.push(issue);
      }
    }
    return out;
  }

  async function change(
    request: Exclude<WriteRequest, { op: 'create' }>,
    context: WriteContext,
  ): Promise<WriteOutcome> {
    const current = await target(request.id, context);
    if (!current) return { outcome: 'not_found', message: deletedMessage(request.id) };
    if (request.expectedVersion !== undefined && request.expectedVersion !== current.version)
      return {
        outcome: 'conflict',
        version: current.version,
        message: `The ServiceNow record is at version ${current.version}, not ${request.expectedVersion}`,
      };
    const table = tableOf(current.type);
    const read = mapper.readOptions(current.type);
    try {
      if (request.op === 'delete') {
        await client.remove(table, current.id);
        return { outcome: 'applied', entity: null };
      }
      if (request.op === 'update') {
        const issues = checkFields(request.fields, false);
        const record = await mapped(current.type, request.fields, issues);
        if (issues.length) return { outcome: 'rejected', message: 'The fields are not valid', issues };
        const written = await client.update(table, current.id, record, read);
        const entity = mapper.toEntity(current.type, written, current.comments);
        return { outcome: 'applied', entity };
      }
      const { body, author, internal } = request.comment;
      const key = context.idempotencyKey ?? `local:${randomUUID()}`;
      const r = await journal.write(table, current.id, { body, internal, key, author }, { read });
      if (r.outcome === 'replayed')
        return { outcome: 'replayed', entity: (await readOne(current.id)) ?? null };
      const [entity] = await withComments([[current.type, r.record!]]);
      return { outcome: 'applied', entity: entity! };
    } catch (err) {
      if (
        err instanceof ServiceNowError &&
        err.code === 'SERVICENOW_NOT_FOUND' &&
        err.message.includes(current.id)
      )
        return { outcome: 'not_found', message: deletedMessage(current.id) };
      throw err;
    }
  }

  async function write(request: WriteRequest, context: WriteContext): Promise<WriteOutcome> {
    const key = context.idempotencyKey;
    const seen = key ? keys.get(key) : undefined;
    if (seen !== undefined) return { outcome: 'replayed', entity: (await readOne(seen)) ?? null };
    let r: WriteOutcome;
    try {
      r =
        request.op === 'create'
          ? await create(request, context)
          : SYS_ID.test(request.id)
            ? await change(request, context)
            : { outcome: 'not_found', message: `No ServiceNow record ${request.id.slice(0, 40)}` };
    } catch (err) {
      return outcomeOfError(err, now);
    }
    if (r.outcome === 'applied' || r.outcome === 'replayed') {
      const id = r.entity?.id ?? (request.op === 'create' ? undefined : request.id);
      if (key && id) keys.set(key, id);
      // A change made here (the admin API's) is one to send: look at the feed at once; any write wakes watchers.
      if (context.origin === 'local') caughtUp.clear();
      notify();
    }
    return r;
  }

  async function poll(cursor: string | null, limit: number): Promise<ChangePage> {
    const tables = types.map(tableOf);
    try {
      const r = await feed.poll(cursor, tables, { limit });
      lastPollAt = now();
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
      lastPollAt = now();
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

  const tracker = {
    id: 'servicenow',
    entityTypes: types,
    async fields(type: EntityType): Promise<FieldInfo[]> {
      const standard: FieldInfo[] = [
        { name: 'summary', type: 'string', standard: true },
        { name: 'description', type: 'string', standard: true },
        { name: 'status', type: 'string', standard: true },
        { name: 'priority', type: 'number', standard: true },
        { name: 'assignee', type: 'string', standard: true },
      ];
      return types.includes(type)
        ? [
            ...standard,
            ...config.customFields.map((name) => ({ name, type: 'string' as const, standard: false })),
          ]
        : [];
    },
    get: readOne,
    getMany: readMany,
    attachments: files as TrackerAttachments,
    async list(query) {
      const listed = query.type ? [query.type] : types;
      const at = query.cursor ? decodeListCursor(query.cursor) : { i: 0, o: 0 };
      const type = listed[at.i];
      if (!type || !types.includes(type)) return { items: [] };
      const f = config.fields[type];
      let q = encodedQuery();
      if (query.q) q = q.where(f.summary, 'LIKE', query.q.replace(/[\r\n]+/g, ' '));
      q = q.orderBy('sys_created_on').orderBy('sys_id');
      const page = await client.list(tableOf(type), {
        ...mapper.readOptions(type),
        query: q,
        limit: query.limit,
        offset: at.o,
      });
      const items = await withComments(page.records.map((r) => [type, r]));
      const next = at.o + page.records.length;
      const full = page.records.length >= query.limit && (page.total ?? Infinity) > next;
      if (full) return { items, nextCursor: encodeListCursor({ i: at.i, o: next }) };
      if (at.i + 1 < listed.length) return { items, nextCursor: encodeListCursor({ i: at.i + 1, o: 0 }) };
      return { items };
    },
    async changes(cursor, limit) {
      const at = cursor === null ? undefined : caughtUp.get(cursor);
      if (cursor !== null && at !== undefined && now() - at < config.pollMs)
        return { changes: [], cursor, more: false };
      const page = await poll(cursor, limit);
      if (!page.more) caughtUp.set(page.cursor, now());
      return page;
    },
    head: () => feed.head(types.map(tableOf)),
    write,
    ...simpleWrites(write),
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
    users: {
      async byEmail(email: string) {
        const e = email.trim();
        if (e === '' || /[\r\n,^]/.test(e)) return undefined;
        const [row] = (
          await client.list(config.tables.user, {
            query: encodedQuery().where('email', '=', e).orWhere('user_name', '=', e),
            fields: [
              'sys_id',
              'user_name',
              'name',
              'email',
              'sys_mod_count',
              'sys_created_on',
              'sys_updated_on',
            ],
            limit: 1,
          })
        ).records;
        return row ? userEntity(row) : undefined;
      },
    },
    health: () => checkServiceNowHealth(client, types.map(tableOf)),
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
    wake() {
      caughtUp.clear();
      notify();
    },
    /** Stops the poller (the Tracker interface has no close: the host ends watchers on stop). */
    close() {
      listeners.clear();
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };

  function userEntity(row: ServiceNowRecord): Entity {
    const v = (k: string) => {
      const x = row[k];
      return x === null || x === undefined ? '' : typeof x === 'object' ? (x.value ?? '') : String(x);
    };
    const at = (k: string) => new Date(`${v(k).replace(' ', 'T')}Z`).toISOString();
    return {
      id: v('sys_id'),
      key: v('user_name') || v('sys_id'),
      type: 'user',
      fields: {
        summary: v('name') || v('user_name'),
        description: '',
        status: '',
        priority: 3,
        assignee: null,
        email: v('email'),
        user_name: v('user_name'),
      },
      comments: [],
      version: Number(v('sys_mod_count')) || 0,
      createdAt: at('sys_created_on'),
      updatedAt: at('sys_updated_on'),
    };
  }

  return { ...tracker, ...controls };
}

export type ServiceNowTracker = ReturnType<typeof createServiceNowTracker>;

interface ListCursor {
  i: number;
  o: number;
}

const encodeListCursor = (c: ListCursor) => Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');

function decodeListCursor(cursor: string): ListCursor {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<ListCursor>;
    if (Number.isInteger(c.i) && Number.isInteger(c.o) && c.i! >= 0 && c.o! >= 0) return c as ListCursor;
  } catch {}
  return { i: Number.MAX_SAFE_INTEGER, o: 0 };
}
