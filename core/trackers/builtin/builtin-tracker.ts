// The built-in tracker: work items on the host's own tables, with a change log written in the same transaction.
import { EventEmitter } from 'node:events';
import { nanoid } from 'nanoid';
import { columnsOf, perShape, prepared } from '../../../storage/prepared.ts';
import type { CommentRow, Db, DbExecutor, EntityRow } from '../../../storage/schema.ts';
import { notFound, TandemError } from '../../errors.ts';
import type {
  Change,
  Comment,
  Entity,
  EntityFields,
  EntityQuery,
  EntityType,
  NewComment,
  Origin,
  Page,
  Tracker,
  WriteOptions,
} from '../tracker.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { customOf, parseFields, STANDARD_FIELDS } from './entity-input.ts';
import { DEFAULT_STATUS, FIRST_KEY_NUMBER, formatKey } from './keys.ts';

type Op = Change['op'];

const insertChange = prepared(
  (db, entityId: string, entityType: string, op: Op, version: number, origin: Origin, at: string) =>
    db
      .insertInto('change_log')
      .values({ entity_id: entityId, entity_type: entityType, op, version, origin, at })
      .returning('seq'),
);
const takeKey = prepared((db, type: string) =>
  db
    .updateTable('key_counters')
    .set((eb) => ({ next: eb('next', '+', 1) }))
    .where('type', '=', type)
    .returning('next'),
);
const insertEntity = prepared(
  (
    db,
    id: string,
    key: string,
    type: string,
    summary: string,
    description: string,
    status: string,
    priority: number,
    assignee: string | null,
    custom: string,
    at: string,
  ) =>
    db.insertInto('entities').values({
      id,
      key,
      type,
      summary,
      description,
      status,
      priority,
      assignee,
      custom,
      version: 1,
      created_at: at,
      updated_at: at,
    }),
);
const selectEntity = prepared((db, id: string) => db.selectFrom('entities').selectAll().where('id', '=', id));
const selectComments = prepared((db, entityId: string) =>
  db.selectFrom('comments').selectAll().where('entity_id', '=', entityId).orderBy('created_at').orderBy('id'),
);

type EntitySet = Partial<Omit<EntityRow, 'id' | 'key' | 'type' | 'created_at'>>;
/** One prepared update per set of columns written (few shapes exist). */
const updateOf = perShape((keys: (keyof EntitySet)[]) =>
  prepared((db, id: string, ...values: unknown[]) =>
    db
      .updateTable('entities')
      .set(Object.fromEntries(keys.map((k, i) => [k, values[i]])) as EntitySet)
      .where('id', '=', id)
      .returningAll(),
  ),
);

function updateEntity(tx: DbExecutor, id: string, set: EntitySet): Promise<EntityRow[]> {
  const keys = columnsOf(set);
  return updateOf(keys)(tx, id, ...keys.map((k) => set[k]));
}

type StandardSet = Partial<Pick<EntityRow, 'summary' | 'description' | 'status' | 'priority' | 'assignee'>>;
/** Updates of standard fields only: the statement itself moves the version on (no read first). */
const bumpOf = perShape(
  ({ keys, guarded }: { keys: (keyof StandardSet)[]; guarded: boolean }) =>
    prepared((db, entityId: string, updatedAt: string, version: number, ...values: unknown[]) => {
      let q = db
        .updateTable('entities')
        .set((eb) => ({
          ...(Object.fromEntries(keys.map((k, i) => [k, values[i]])) as StandardSet),
          updated_at: updatedAt,
          version: eb('version', '+', 1),
        }))
        .where('id', '=', entityId);
      if (guarded) q = q.where('version', '=', version);
      return q.returningAll();
    }),
  ({ keys, guarded }) => `${keys.join(',')}|${guarded}`,
);

function bumpEntity(
  tx: DbExecutor,
  id: string,
  set: StandardSet,
  at: string,
  expectedVersion: number | undefined,
): Promise<EntityRow[]> {
  const keys = columnsOf(set);
  const bump = bumpOf({ keys, guarded: expectedVersion !== undefined });
  return bump(tx, id, at, expectedVersion ?? 0, ...keys.map((k) => set[k]));
}

export function createBuiltinTracker(db: Db): Tracker {
  const events = new EventEmitter();
  events.setMaxListeners(0);

  const inTx = <T>(opts: WriteOptions, fn: (tx: DbExecutor) => Promise<T>): Promise<T> =>
    opts.tx ? fn(opts.tx) : db.transaction().execute(fn);

  async function logChange(
    tx: DbExecutor,
    row: Pick<EntityRow, 'id' | 'type' | 'version'>,
    op: Op,
    origin: Origin,
  ) {
    const at = new Date().toISOString();
    const [inserted] = await insertChange(tx, row.id, row.type, op, row.version, origin, at);
    if (!inserted) throw new Error('the change log gave no sequence number');
    const { seq } = inserted;
    return {
      seq,
      entityId: row.id,
      entityType: row.type as EntityType,
      op,
      version: row.version,
      origin,
      at,
    };
  }

  function emit(change: Change) {
    events.emit('change', change);
  }

  async function nextKey(tx: DbExecutor, type: EntityType): Promise<string> {
    // One statement takes the number in the common case; the first entity of a type adds the counter.
    const [taken] = await takeKey(tx, type);
    if (taken) return formatKey(type, taken.next - 1);
    await tx
      .insertInto('key_counters')
      .values({ type, next: FIRST_KEY_NUMBER + 1 })
      .execute();
    return formatKey(type, FIRST_KEY_NUMBER);
  }

  async function load(tx: DbExecutor, id: string): Promise<Entity | undefined> {
    const [row] = await selectEntity(tx, id);
    if (!row) return undefined;
    return toEntity(row, (await selectComments(tx, id)).map(toComment));
  }

  async function loadMany(tx: DbExecutor, ids: readonly string[]): Promise<Map<string, Entity>> {
    const out = new Map<string, Entity>();
    // Chunks keep the parameter count well under every database's limit.
    for (let i = 0; i < ids.length; i += 200) {
      const chunk = ids.slice(i, i + 200);
      const rows = await tx.selectFrom('entities').selectAll().where('id', 'in', chunk).execute();
      if (rows.length === 0) continue;
      const comments = await tx
        .selectFrom('comments')
        .selectAll()
        .where(
          'entity_id',
          'in',
          rows.map((r) => r.id),
        )
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      const byEntity = new Map<string, Comment[]>();
      for (const c of comments) {
        const list = byEntity.get(c.entity_id) ?? [];
        list.push({
          id: c.id,
          author: c.author,
          body: c.body,
          internal: c.internal === 1,
          createdAt: c.created_at,
        });
        byEntity.set(c.entity_id, list);
      }
      for (const row of rows) out.set(row.id, toEntity(row, byEntity.get(row.id) ?? []));
    }
    return out;
  }

  async function mustLoad(tx: DbExecutor, id: string): Promise<Entity> {
    const e = await load(tx, id);
    if (!e) throw notFound('Entity', id);
    return e;
  }

  /** An update of standard fields only: one statement writes it and moves the version on. */
  async function updateStandard(
    id: string,
    fields: Partial<EntityFields>,
    opts: WriteOptions,
  ): Promise<Entity> {
    const { entity, change } = await inTx(opts, async (tx) => {
      const [row] = await bumpEntity(
        tx,
        id,
        pickStandard(fields),
        new Date().toISOString(),
        opts.expectedVersion,
      );
      if (!row) {
        checkVersion(await mustLoad(tx, id), opts); // not found, or moved on
        throw notFound('Entity', id);
      }
      const change = await logChange(tx, row, 'update', opts.origin);
      return { entity: toEntity(row, (await selectComments(tx, id)).map(toComment)), change };
    });
    emit(change);
    return entity;
  }

  function checkVersion(e: Entity, opts: WriteOptions) {
    if (opts.expectedVersion !== undefined && opts.expectedVersion !== e.version) {
      throw new TandemError(
        'VERSION_CONFLICT',
        409,
        `Entity ${e.id} is at version ${e.version}, not ${opts.expectedVersion}`,
      );
    }
  }

  return {
    id: 'builtin',

    get: (id, tx) => load(tx ?? db, id),
    getMany: (ids, tx) => loadMany(tx ?? db, ids),

    async list(query: EntityQuery): Promise<Page<Entity>> {
      let q = db.selectFrom('entities').selectAll();
      if (query.type) q = q.where('type', '=', query.type);
      if (query.q) {
        const like = `%${query.q.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
        q = q.where((eb) =>
          eb.or([
            eb(eb.fn('lower', ['summary']), 'like', like),
            eb(eb.fn('lower', ['key']), 'like', like),
            eb(eb.fn('lower', ['description']), 'like', like),
          ]),
        );
      }
      if (query.cursor) {
        const c = decodeCursor(query.cursor);
        q = q.where((eb) =>
          eb.or([eb('created_at', '<', c.t), eb.and([eb('created_at', '=', c.t), eb('id', '<', c.id)])]),
        );
      }
      const rows = await q
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(query.limit + 1)
        .execute();
      const page = rows.slice(0, query.limit);
      const ids = page.map((r) => r.id);
      const comments = ids.length
        ? await db
            .selectFrom('comments')
            .selectAll()
            .where('entity_id', 'in', ids)
            .orderBy('created_at')
            .execute()
        : [];
      const items = page.map((r) =>
        toEntity(
          r,
          comments
            .filter((c) => c.entity_id === r.id)
            .map((c) => ({
              id: c.id,
              author: c.author,
              body: c.body,
              internal: c.internal === 1,
              createdAt: c.created_at,
            })),
        ),
      );
      const last = page.at(-1);
      return rows.length > query.limit && last
        ? { items, nextCursor: encodeCursor({ t: last.created_at, id: last.id }) }
        : { items };
    },

    async create(input, opts) {
      const fields = parseFields(input.fields);
      if (fields.summary === undefined) {
        throw new TandemError('VALIDATION_FAILED', 422, 'The request is not valid', {
          errors: [{ path: 'fields.summary', message: 'is required' }],
        });
      }
      const now = new Date().toISOString();
      const id = nanoid();
      const { entity, change } = await inTx(opts, async (tx) => {
        const key = await nextKey(tx, input.type);
        const row: EntityRow = {
          id,
          key,
          type: input.type,
          summary: fields.summary!,
          description: fields.description ?? '',
          status: fields.status ?? DEFAULT_STATUS[input.type],
          priority: fields.priority ?? 3,
          assignee: fields.assignee ?? null,
          custom: JSON.stringify(customOf(fields)),
          version: 1,
          created_at: now,
          updated_at: now,
        };
        await insertEntity(
          tx,
          id,
          key,
          row.type,
          row.summary,
          row.description,
          row.status,
          row.priority,
          row.assignee,
          row.custom,
          now,
        );
        const change = await logChange(tx, row, 'create', opts.origin);
        return { entity: toEntity(row, []), change };
      });
      emit(change);
      return entity;
    },

    async update(id, patch, opts) {
      const fields = parseFields(patch);
      const given = opts.tx && opts.current?.id === id ? opts.current : undefined;
      if (!given && Object.keys(customOf(fields)).length === 0) return updateStandard(id, fields, opts);
      const { entity, change } = await inTx(opts, async (tx) => {
        const current = given ?? (await mustLoad(tx, id));
        checkVersion(current, opts);
        const custom = { ...customOf(current.fields), ...customOf(fields) };
        for (const [k, v] of Object.entries(custom)) if (v === null) delete custom[k];
        const set = {
          ...pickStandard(fields),
          custom: JSON.stringify(custom),
          version: current.version + 1,
          updated_at: new Date().toISOString(),
        };
        const [row] = await updateEntity(tx, id, set);
        if (!row) throw notFound('Entity', id);
        const change = await logChange(tx, row, 'update', opts.origin);
        // An update leaves the comments alone: the row it returned and the ones loaded make the entity.
        return { entity: toEntity(row, current.comments), change };
      });
      emit(change);
      return entity;
    },

    async delete(id, opts) {
      const change = await inTx(opts, async (tx) => {
        const current = await mustLoad(tx, id);
        checkVersion(current, opts);
        await tx.deleteFrom('comments').where('entity_id', '=', id).execute();
        await tx.deleteFrom('entities').where('id', '=', id).execute();
        return logChange(tx, { id, type: current.type, version: current.version + 1 }, 'delete', opts.origin);
      });
      emit(change);
    },

    async addComment(id, comment: NewComment, opts) {
      const { entity, change } = await inTx(opts, async (tx) => {
        const current = await mustLoad(tx, id);
        checkVersion(current, opts);
        const now = new Date().toISOString();
        await tx
          .insertInto('comments')
          .values({
            id: nanoid(),
            entity_id: id,
            author: comment.author,
            body: comment.body,
            internal: comment.internal ? 1 : 0,
            created_at: now,
          })
          .execute();
        const version = current.version + 1;
        await tx.updateTable('entities').set({ version, updated_at: now }).where('id', '=', id).execute();
        const change = await logChange(tx, { id, type: current.type, version }, 'comment', opts.origin);
        return { entity: await mustLoad(tx, id), change };
      });
      emit(change);
      return entity;
    },

    async changes(after, limit) {
      const rows = await db
        .selectFrom('change_log')
        .selectAll()
        .where('seq', '>', after)
        .orderBy('seq')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        seq: r.seq,
        entityId: r.entity_id,
        entityType: r.entity_type as EntityType,
        op: r.op as Op,
        version: r.version,
        origin: r.origin as Origin,
        at: r.at,
      }));
    },

    onChange(listener) {
      events.on('change', listener);
      return () => events.off('change', listener);
    },
  };
}

function pickStandard(fields: Partial<EntityFields>) {
  const out: Partial<Pick<EntityRow, 'summary' | 'description' | 'status' | 'priority' | 'assignee'>> = {};
  for (const k of STANDARD_FIELDS) if (fields[k] !== undefined) Object.assign(out, { [k]: fields[k] });
  return out;
}

function toComment(c: CommentRow): Comment {
  return { id: c.id, author: c.author, body: c.body, internal: c.internal === 1, createdAt: c.created_at };
}

function toEntity(row: EntityRow, comments: Comment[]): Entity {
  const custom = row.custom === '{}' ? {} : (JSON.parse(row.custom) as Record<string, unknown>);
  return {
    id: row.id,
    key: row.key,
    type: row.type as EntityType,
    fields: {
      ...custom,
      summary: row.summary,
      description: row.description,
      status: row.status,
      priority: row.priority,
      assignee: row.assignee,
    },
    comments,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
