// The built-in tracker: work items on the host's own tables, with a change log written in the same transaction.
// It can join the sync engine's transaction (`transactional`), the fast path no other tracker has.
import { EventEmitter } from 'node:events';
import { nanoid } from 'nanoid';
import { containsText } from '../../../storage/portable-sql.ts';
import { columnsOf, perShape, prepared } from '../../../storage/prepared.ts';
import type { CommentRow, Db, DbExecutor, EntityRow } from '../../../storage/schema.ts';
import type { BlobStore } from '../../blobs/blob-store.ts';
import { createDbBlobStore } from '../../blobs/db-blob-store.ts';
import { notFound, TandemError } from '../../errors.ts';
import { sortableId } from '../../util/sortable-id.ts';
import {
  type Attachment,
  type Change,
  type ChangePage,
  type Comment,
  ENTITY_TYPES,
  type Entity,
  type EntityFields,
  type EntityQuery,
  type EntityType,
  type FieldInfo,
  type NewComment,
  type Origin,
  type Page,
  type Tracker,
  type WriteContext,
  type WriteOutcome,
  type WriteRequest,
} from '../tracker.ts';
import { scanForUser } from '../user-scan.ts';
import { outcomeOfError, VersionConflict } from '../write-outcomes.ts';
import { attachmentsOf, builtinAttachments, builtinCommentEdits, collectBlobs } from './builtin-content.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { customOf, parseFields, STANDARD_FIELDS } from './entity-input.ts';
import { DEFAULT_STATUS, FIRST_KEY_NUMBER, formatKey } from './keys.ts';
import { PRIORITY_CHOICES, statusChoices } from './statuses.ts';

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

/** What a write is told inside the tracker: who, the version it expects, the entity already read. */
interface Opts {
  origin: Origin;
  expectedVersion?: number | undefined;
  /** The entity as the caller read it in the joined transaction (the apply step reads a batch at once). */
  current?: Entity | undefined;
}

/** `blobs` keeps attachment bytes; by default they go in the database (chunk rows). */
export function createBuiltinTracker(db: Db, options: { blobs?: BlobStore } = {}): Tracker {
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const emit = (change: Change) => events.emit('change', change);
  return view(db, db, false, emit, events, options.blobs ?? createDbBlobStore(db));
}

/** The tracker on `exec`: the database, or (joined) a transaction of the caller's that every call runs in. */
function view(
  db: Db,
  exec: DbExecutor,
  joined: boolean,
  emit: (change: Change) => void,
  events: EventEmitter,
  blobs: BlobStore,
): Tracker {
  const inTx = <T>(fn: (tx: DbExecutor) => Promise<T>): Promise<T> =>
    joined ? fn(exec) : db.transaction().execute(fn);

  async function logChange(
    tx: DbExecutor,
    row: Pick<EntityRow, 'id' | 'type' | 'version'>,
    op: Op,
    origin: Origin,
  ): Promise<Change> {
    const at = new Date().toISOString();
    const [inserted] = await insertChange(tx, row.id, row.type, op, row.version, origin, at);
    if (!inserted) throw new Error('the change log gave no sequence number');
    return { entityId: row.id, entityType: row.type as EntityType, op, version: row.version, origin, at };
  }

  async function nextKey(tx: DbExecutor, type: EntityType): Promise<string> {
    // One statement takes the number in the common case; the first entity of a type adds the counter.
    const [taken] = await takeKey(tx, type);
    if (taken) return formatKey(type, taken.next - 1);
    // Another process on the same PostgreSQL database may be adding it at the same moment: the insert then
    // waits for that transaction, does nothing, and the counter it committed hands out the next number.
    const added = await tx
      .insertInto('key_counters')
      .values({ type, next: FIRST_KEY_NUMBER + 1 })
      .onConflict((oc) => oc.column('type').doNothing())
      .returning('next')
      .execute();
    if (added.length > 0) return formatKey(type, FIRST_KEY_NUMBER);
    const [retaken] = await takeKey(tx, type);
    if (!retaken) throw new Error(`no key counter for ${type}`);
    return formatKey(type, retaken.next - 1);
  }

  async function load(tx: DbExecutor, id: string): Promise<Entity | undefined> {
    const [row] = await selectEntity(tx, id);
    if (!row) return undefined;
    const attachments = (await attachmentsOf(tx, [id])).get(id) ?? [];
    return toEntity(row, (await selectComments(tx, id)).map(toComment), attachments);
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
        list.push(toComment(c));
        byEntity.set(c.entity_id, list);
      }
      const files = await attachmentsOf(
        tx,
        rows.map((r) => r.id),
      );
      for (const row of rows) out.set(row.id, toEntity(row, byEntity.get(row.id) ?? [], files.get(row.id)));
    }
    return out;
  }

  async function mustLoad(tx: DbExecutor, id: string): Promise<Entity> {
    const e = await load(tx, id);
    if (!e) throw notFound('Entity', id);
    return e;
  }

  /** An update of standard fields only: one statement writes it and moves the version on. */
  async function updateStandard(id: string, fields: Partial<EntityFields>, opts: Opts): Promise<Entity> {
    const { entity, change } = await inTx(async (tx) => {
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
      const attachments = (await attachmentsOf(tx, [id])).get(id) ?? [];
      return { entity: toEntity(row, (await selectComments(tx, id)).map(toComment), attachments), change };
    });
    emit(change);
    return entity;
  }

  async function create(input: { type: EntityType; fields: Partial<EntityFields> }, opts: Opts) {
    const fields = parseFields(input.fields);
    if (fields.summary === undefined) {
      throw new TandemError('VALIDATION_FAILED', 422, 'The request is not valid', {
        errors: [{ path: 'fields.summary', message: 'is required' }],
      });
    }
    const now = new Date().toISOString();
    const id = nanoid();
    const { entity, change } = await inTx(async (tx) => {
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
  }

  async function update(id: string, patch: Partial<EntityFields>, opts: Opts) {
    const fields = parseFields(patch);
    const given = joined && opts.current?.id === id ? opts.current : undefined;
    if (!given && Object.keys(customOf(fields)).length === 0) return updateStandard(id, fields, opts);
    const { entity, change } = await inTx(async (tx) => {
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
      return { entity: toEntity(row, current.comments, current.attachments), change };
    });
    emit(change);
    return entity;
  }

  async function remove(id: string, opts: Opts) {
    const { change, shas } = await inTx(async (tx) => {
      const current = await mustLoad(tx, id);
      checkVersion(current, opts);
      await tx.deleteFrom('comments').where('entity_id', '=', id).execute();
      await tx.deleteFrom('attachments').where('entity_id', '=', id).execute();
      await tx.deleteFrom('entities').where('id', '=', id).execute();
      const version = current.version + 1;
      const change = await logChange(tx, { id, type: current.type, version }, 'delete', opts.origin);
      return { change, shas: (current.attachments ?? []).flatMap((a) => (a.sha256 ? [a.sha256] : [])) };
    });
    emit(change);
    if (shas.length) {
      if (!joined) await collectBlobs(db, blobs, shas);
      else setTimeout(() => void collectBlobs(db, blobs, shas).catch(() => {}), 2000).unref();
    }
  }

  async function addComment(id: string, comment: NewComment, opts: Opts) {
    const { entity, change } = await inTx(async (tx) => {
      const current = await mustLoad(tx, id);
      checkVersion(current, opts);
      const now = new Date().toISOString();
      await tx
        .insertInto('comments')
        .values({
          // Sorted by time then id: two comments stamped in the same millisecond keep their order.
          id: sortableId(),
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
  }

  /** The write itself, its refusals as outcomes. */
  async function perform(request: WriteRequest, opts: Opts): Promise<WriteOutcome> {
    try {
      switch (request.op) {
        case 'create':
          return { outcome: 'applied', entity: await create(request, opts) };
        case 'update':
          return { outcome: 'applied', entity: await update(request.id, request.fields, opts) };
        case 'comment':
          return { outcome: 'applied', entity: await addComment(request.id, request.comment, opts) };
        case 'delete':
          await remove(request.id, opts);
          return { outcome: 'applied', entity: null };
      }
    } catch (err) {
      return outcomeOfError(err);
    }
  }

  /** Outside a joined transaction: the key and correlation id recorded with the write, in one transaction. */
  function idempotent(request: WriteRequest, context: WriteContext, opts: Opts): Promise<WriteOutcome> {
    const { idempotencyKey: key } = context;
    const correlationId = request.op === 'create' ? context.correlationId : undefined;
    return db.transaction().execute(async (tx) => {
      const inside = view(db, tx, true, emit, events, blobs);
      const remember = (entityId: string | null) =>
        key
          ? tx
              .insertInto('builtin_write_keys')
              .values({ key, entity_id: entityId, created_at: new Date().toISOString() })
              .execute()
          : Promise.resolve();
      if (key) {
        const seen = await tx
          .selectFrom('builtin_write_keys')
          .select('entity_id')
          .where('key', '=', key)
          .executeTakeFirst();
        if (seen)
          return {
            outcome: 'replayed',
            entity: seen.entity_id ? ((await inside.get(seen.entity_id)) ?? null) : null,
          };
      }
      if (correlationId) {
        const found = await tx
          .selectFrom('builtin_correlations')
          .select('entity_id')
          .where('correlation_id', '=', correlationId)
          .executeTakeFirst();
        const entity = found ? await inside.get(found.entity_id) : undefined;
        if (entity) {
          await remember(entity.id);
          return { outcome: 'replayed', entity };
        }
      }
      const r = await inside.write(request, { origin: opts.origin });
      if (r.outcome !== 'applied') return r;
      const entityId = r.entity?.id ?? (request.op === 'create' ? null : request.id);
      await remember(entityId);
      if (correlationId && r.entity)
        await tx
          .insertInto('builtin_correlations')
          .values({ correlation_id: correlationId, entity_id: r.entity.id })
          .onConflict((oc) => oc.column('correlation_id').doUpdateSet({ entity_id: r.entity!.id }))
          .execute();
      return r;
    });
  }

  async function readChanges(after: string | null, limit: number): Promise<ChangePage> {
    const from = after === null ? 0 : seqOf(after);
    const rows = await exec
      .selectFrom('change_log')
      .selectAll()
      .where('seq', '>', from)
      .orderBy('seq')
      .limit(limit + 1)
      .execute();
    const page = rows.slice(0, limit);
    return {
      changes: page.map((r) => ({
        entityId: r.entity_id,
        entityType: r.entity_type as EntityType,
        op: r.op as Op,
        version: r.version,
        origin: r.origin as Origin,
        at: r.at,
      })),
      cursor: String(page.at(-1)?.seq ?? from),
      more: rows.length > limit,
    };
  }

  const tracker: Tracker = {
    id: 'builtin',
    entityTypes: ENTITY_TYPES,

    /** The standard fields; status offers the type's usual statuses (any other is accepted), priority 1-5. */
    async fields(type) {
      return STANDARD_FIELDS.map((name): FieldInfo => {
        if (name === 'priority')
          return { name, type: 'number', standard: true, choices: [...PRIORITY_CHOICES], choicesOnly: true };
        if (name === 'status')
          return { name, type: 'string', standard: true, choices: statusChoices(type), choicesOnly: false };
        return { name, type: 'string', standard: true };
      });
    },

    get: (id) => load(exec, id),
    getMany: (ids) => loadMany(exec, ids),

    async list(query: EntityQuery): Promise<Page<Entity>> {
      let q = exec.selectFrom('entities').selectAll();
      if (query.type) q = q.where('type', '=', query.type);
      if (query.q) {
        const text = query.q;
        q = q.where((eb) =>
          eb.or([
            containsText('summary', text),
            containsText('key', text),
            containsText('description', text),
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
        ? await exec
            .selectFrom('comments')
            .selectAll()
            .where('entity_id', 'in', ids)
            .orderBy('created_at')
            .execute()
        : [];
      const files = await attachmentsOf(exec, ids);
      const items = page.map((r) =>
        toEntity(r, comments.filter((c) => c.entity_id === r.id).map(toComment), files.get(r.id)),
      );
      const last = page.at(-1);
      return rows.length > query.limit && last
        ? { items, nextCursor: encodeCursor({ t: last.created_at, id: last.id }) }
        : { items };
    },

    changes: readChanges,

    async head() {
      const row = await exec
        .selectFrom('change_log')
        .select((eb) => eb.fn.max('seq').as('head'))
        .executeTakeFirst();
      return String(Number(row?.head ?? 0));
    },

    write(request, context) {
      const opts: Opts = {
        origin: context.origin,
        expectedVersion: request.op === 'create' ? undefined : request.expectedVersion,
        current: context.current,
      };
      // Joined, the caller's transaction makes the write once: nothing to record (the hot path).
      const recorded =
        !joined && (context.idempotencyKey || (request.op === 'create' && context.correlationId));
      return recorded ? idempotent(request, context, opts) : perform(request, opts);
    },

    create: (input, opts) => create(input, opts),
    update: (id, fields, opts) => update(id, fields, opts),
    delete: (id, opts) => remove(id, opts),
    addComment: (id, comment, opts) => addComment(id, comment, opts),

    watch(listener) {
      events.on('change', listener);
      return () => events.off('change', listener);
    },

    users: { byEmail: (email) => scanForUser((q) => tracker.list(q), email) },

    transactional: { withTx: (tx) => view(db, tx, true, emit, events, blobs) },
  };
  const content = { exec, joined, root: db, blobs, inTx, mustLoad, checkVersion, logChange, emit };
  tracker.attachments = builtinAttachments(content);
  tracker.commentEdits = builtinCommentEdits(content);
  return tracker;
}

function seqOf(cursor: string): number {
  const n = Number(cursor);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new TandemError('INVALID_CURSOR', 400, 'The cursor is not valid');
  return n;
}

function checkVersion(e: Entity, opts: Opts) {
  if (opts.expectedVersion !== undefined && opts.expectedVersion !== e.version) {
    throw new VersionConflict(
      `Entity ${e.id} is at version ${e.version}, not ${opts.expectedVersion}`,
      e.version,
    );
  }
}

function pickStandard(fields: Partial<EntityFields>) {
  const out: Partial<Pick<EntityRow, 'summary' | 'description' | 'status' | 'priority' | 'assignee'>> = {};
  for (const k of STANDARD_FIELDS) if (fields[k] !== undefined) Object.assign(out, { [k]: fields[k] });
  return out;
}

function toComment(c: CommentRow): Comment {
  return { id: c.id, author: c.author, body: c.body, internal: c.internal === 1, createdAt: c.created_at };
}

function toEntity(row: EntityRow, comments: Comment[], attachments: Attachment[] = []): Entity {
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
    attachments,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
