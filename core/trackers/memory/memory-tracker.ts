// A tracker in memory that cannot join a transaction: the shape of a system we do not own, for tests.
import { nanoid } from 'nanoid';
import { TandemError } from '../../errors.ts';
import { decodeCursor, encodeCursor } from '../builtin/cursor.ts';
import { customOf, parseFields, STANDARD_FIELDS } from '../builtin/entity-input.ts';
import { DEFAULT_STATUS, formatKey } from '../builtin/keys.ts';
import {
  type Change,
  ENTITY_TYPES,
  type Entity,
  type EntityType,
  type Tracker,
  type WriteContext,
  type WriteOutcome,
  type WriteRequest,
} from '../tracker.ts';
import { scanForUser } from '../user-scan.ts';
import { outcomeOfError, simpleWrites, VersionConflict } from '../write-outcomes.ts';

/**
 * Its changes carry no origin (as an external system's would not): the engine's apply journal tells
 * its own writes. Writes are idempotent by key, and a create finds its correlation id.
 * @example const tracker = createMemoryTracker(); await tracker.write(req, { origin: 'local' });
 */
export function createMemoryTracker(): Tracker {
  const entities = new Map<string, Entity>();
  const feed: Change[] = [];
  const keys = new Map<string, string | null>();
  const correlations = new Map<string, string>();
  const counters = new Map<EntityType, number>();
  const listeners = new Set<(change?: Change) => void>();
  let last = 0;

  // Distinct, increasing stamps even within one millisecond (list order and paging rely on them).
  const stamp = () => {
    last = Math.max(Date.now(), last + 1);
    return new Date(last).toISOString();
  };
  const copy = (e: Entity | undefined) => (e ? structuredClone(e) : undefined);

  function record(e: Entity, op: Change['op']) {
    const change: Change = { entityId: e.id, entityType: e.type, op, version: e.version, at: e.updatedAt };
    feed.push(change);
    for (const l of listeners) l(change);
  }

  function mustGet(id: string, expectedVersion: number | undefined): Entity {
    const e = entities.get(id);
    if (!e) throw new TandemError('NOT_FOUND', 404, `Entity ${id} was not found`);
    if (expectedVersion !== undefined && expectedVersion !== e.version)
      throw new VersionConflict(`Entity ${id} is at version ${e.version}, not ${expectedVersion}`, e.version);
    return e;
  }

  function perform(request: WriteRequest): Entity | null {
    const now = stamp();
    switch (request.op) {
      case 'create': {
        if (!entityTypes.includes(request.type))
          throw new TandemError('VALIDATION_FAILED', 422, 'The request is not valid', {
            errors: [{ path: 'type', message: `must be one of ${entityTypes.join(', ')}` }],
          });
        const fields = parseFields(request.fields);
        if (fields.summary === undefined)
          throw new TandemError('VALIDATION_FAILED', 422, 'The request is not valid', {
            errors: [{ path: 'fields.summary', message: 'is required' }],
          });
        const n = (counters.get(request.type) ?? 1000) + 1;
        counters.set(request.type, n);
        const e: Entity = {
          id: nanoid(),
          key: formatKey(request.type, n),
          type: request.type,
          fields: {
            ...customOf(fields),
            summary: fields.summary,
            description: fields.description ?? '',
            status: fields.status ?? DEFAULT_STATUS[request.type],
            priority: fields.priority ?? 3,
            assignee: fields.assignee ?? null,
          },
          comments: [],
          version: 1,
          createdAt: now,
          updatedAt: now,
        };
        entities.set(e.id, e);
        record(e, 'create');
        return e;
      }
      case 'update': {
        const fields = parseFields(request.fields);
        const e = mustGet(request.id, request.expectedVersion);
        const next = { ...e.fields };
        for (const [k, v] of Object.entries(fields)) {
          if (v === undefined) continue;
          if (v === null && !(STANDARD_FIELDS as readonly string[]).includes(k)) delete next[k];
          else next[k] = v;
        }
        const updated: Entity = { ...e, fields: next, version: e.version + 1, updatedAt: now };
        entities.set(e.id, updated);
        record(updated, 'update');
        return updated;
      }
      case 'comment': {
        const e = mustGet(request.id, request.expectedVersion);
        const comment = { id: nanoid(), ...request.comment, createdAt: now };
        const updated: Entity = {
          ...e,
          comments: [...e.comments, comment],
          version: e.version + 1,
          updatedAt: now,
        };
        entities.set(e.id, updated);
        record(updated, 'comment');
        return updated;
      }
      case 'delete': {
        const e = mustGet(request.id, request.expectedVersion);
        entities.delete(e.id);
        record({ ...e, version: e.version + 1, updatedAt: now }, 'delete');
        return null;
      }
    }
  }

  async function write(request: WriteRequest, context: WriteContext): Promise<WriteOutcome> {
    const key = context.idempotencyKey;
    if (key !== undefined && keys.has(key)) {
      const id = keys.get(key);
      return { outcome: 'replayed', entity: id ? (copy(entities.get(id)) ?? null) : null };
    }
    const correlationId = request.op === 'create' ? context.correlationId : undefined;
    const found = correlationId ? entities.get(correlations.get(correlationId) ?? '') : undefined;
    if (found) {
      if (key !== undefined) keys.set(key, found.id);
      return { outcome: 'replayed', entity: copy(found) ?? null };
    }
    let entity: Entity | null;
    try {
      entity = perform(request);
    } catch (err) {
      return outcomeOfError(err);
    }
    if (key !== undefined) keys.set(key, entity?.id ?? (request.op === 'create' ? null : request.id));
    if (correlationId && entity) correlations.set(correlationId, entity.id);
    return { outcome: 'applied', entity: copy(entity ?? undefined) ?? null };
  }

  const entityTypes: readonly EntityType[] = ENTITY_TYPES;

  const tracker: Tracker = {
    id: 'memory',
    entityTypes,
    async fields() {
      return STANDARD_FIELDS.map((name) => ({
        name,
        type: name === 'priority' ? ('number' as const) : ('string' as const),
        standard: true,
      }));
    },
    get: async (id) => copy(entities.get(id)),
    getMany: async (ids) =>
      new Map(ids.flatMap((id) => (entities.has(id) ? [[id, copy(entities.get(id))!] as const] : []))),
    async list(query) {
      const q = query.q?.toLowerCase();
      const from = query.cursor ? decodeCursor(query.cursor) : undefined;
      const all = [...entities.values()]
        .filter((e) => !query.type || e.type === query.type)
        .filter(
          (e) =>
            !q || [e.fields.summary, e.key, e.fields.description].some((s) => s.toLowerCase().includes(q)),
        )
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id))
        .filter((e) => !from || e.createdAt < from.t || (e.createdAt === from.t && e.id < from.id));
      const items = all.slice(0, query.limit).map((e) => copy(e)!);
      const last = items.at(-1);
      return all.length > query.limit && last
        ? { items, nextCursor: encodeCursor({ t: last.createdAt, id: last.id }) }
        : { items };
    },
    async changes(cursor, limit) {
      const from = cursor === null ? 0 : Number(cursor);
      if (!Number.isSafeInteger(from) || from < 0 || from > feed.length)
        throw new TandemError('INVALID_CURSOR', 400, 'The cursor is not valid');
      const changes = feed.slice(from, from + limit).map((c) => ({ ...c }));
      const to = from + changes.length;
      return { changes, cursor: String(to), more: to < feed.length };
    },
    head: async () => String(feed.length),
    write,
    ...simpleWrites((request, opts) => write(request, { origin: opts.origin })),
    watch(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    users: { byEmail: (email) => scanForUser((q) => tracker.list(q), email) },
  };
  return tracker;
}
