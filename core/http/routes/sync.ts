// The admin API of sync: triggers, manual sync, queue, errors, runs and an entity's twins (docs/admin-api.md).
import { Hono } from 'hono';
import { z } from 'zod';
import type { Db } from '../../../storage/schema.ts';
import { notFound, TandemError } from '../../errors.ts';
import { syncConnection } from '../../sync/connections-view.ts';
import { partnerDeletionsOf } from '../../sync/content/mirrored.ts';
import type { SyncEngine } from '../../sync/engine.ts';
import { parseJson } from '../../sync/json.ts';
import { type ReportPart, runReportCsv } from '../../sync/run-report.ts';
import { getRun, listRuns, runItems, runJson } from '../../sync/runs.ts';
import { errorJson, listErrors } from '../../sync/sync-errors.ts';
import {
  createTrigger,
  deleteTrigger,
  getTrigger,
  listTriggers,
  triggerJson,
  updateTrigger,
} from '../../sync/triggers.ts';
import { twinsOfEntity } from '../../sync/twins.ts';
import { ENTITY_TYPES, type Tracker } from '../../trackers/tracker.ts';
import type { AppEnv } from '../app-env.ts';
import { jsonBody, operation, queryOf } from '../contract.ts';

const page = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(40).optional(),
};

function offsetOf(cursor: string | undefined): number {
  if (!cursor) return 0;
  const n = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Number.isInteger(n) || n < 0) throw new TandemError('INVALID_CURSOR', 400, 'The cursor is not valid');
  return n;
}
const cursorAt = (offset: number) => Buffer.from(String(offset)).toString('base64url');

function paged<T>(items: T[], more: boolean, offset: number) {
  return more ? { items, nextCursor: cursorAt(offset + items.length) } : { items };
}

const entityIds = z.object({ entityIds: z.array(z.string().min(1).max(200)).min(1).max(1000) });
const triggerBody = z.object({
  entityType: z.enum(ENTITY_TYPES),
  query: z.string().max(2000).describe('A filter such as `type = "incident" AND priority <= 2`'),
  active: z.boolean().default(true),
});
const triggerPatch = z.object({
  entityType: z.enum(ENTITY_TYPES).optional(),
  query: z.string().max(2000).optional(),
  active: z.boolean().optional(),
});
const queueQuery = z.object({ direction: z.enum(['out', 'in']).default('out'), ...page });
const errorsQuery = z.object({
  connectionId: z.string().max(200).optional(),
  status: z.enum(['open', 'resolved']).optional(),
  ...page,
});
const runsQuery = z.object({ connectionId: z.string().max(200).optional(), ...page });
const reportQuery = z.object({ part: z.enum(['data', 'errors', 'all']).default('all') });

const listOf = <S extends z.ZodType>(item: S) =>
  z.strictObject({ items: z.array(item), nextCursor: z.string().optional() });

export const triggerSchema = z.strictObject({
  id: z.string(),
  connectionId: z.string(),
  entityType: z.enum(ENTITY_TYPES),
  query: z.string(),
  active: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const runRef = z.strictObject({ runId: z.string() });

export const queueItemSchema = z.discriminatedUnion('direction', [
  z.strictObject({
    direction: z.literal('out'),
    seq: z.number().int(),
    kind: z.string(),
    entityId: z.string(),
    bytes: z.number().int(),
    queuedAt: z.string(),
  }),
  z.strictObject({
    direction: z.literal('in'),
    seq: z.number().int(),
    kind: z.string(),
    remoteId: z.string(),
    status: z.enum(['pending', 'failed']),
    errorId: z.string().optional(),
    queuedAt: z.string(),
  }),
]);

export const syncErrorSchema = z.strictObject({
  id: z.string(),
  level: z.enum(['entity', 'connection', 'node']),
  connectionId: z.string().nullable(),
  entityId: z.string().optional(),
  remoteId: z.string().optional(),
  direction: z.enum(['out', 'in']).nullable(),
  message: z.string(),
  script: z.string().optional(),
  scriptLine: z.number().int().optional(),
  eventSeq: z.number().int().optional(),
  occurredAt: z.string(),
  status: z.enum(['open', 'resolved']),
  resolvedAt: z.string().optional(),
});

export const runSchema = z.strictObject({
  id: z.string(),
  connectionId: z.string(),
  kind: z.enum(['bulk', 'manual']),
  triggerId: z.string().optional(),
  status: z.enum(['running', 'finished', 'cancelled', 'failed']),
  processed: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  skipped: z.number().int(),
  errors: z.number().int(),
  warnings: z.number().int(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});

const S = 'Sync';
export const connectionSyncOperations = [
  operation({
    method: 'get',
    path: '/:id/triggers',
    operationId: 'listTriggers',
    tag: S,
    summary: 'Triggers of a connection',
    responses: { 200: z.strictObject({ items: z.array(triggerSchema) }) },
    problems: [404],
  }),
  operation({
    method: 'post',
    path: '/:id/triggers',
    operationId: 'createTrigger',
    tag: S,
    summary: 'Add a trigger',
    body: triggerBody,
    responses: { 201: triggerSchema },
    problems: [404, 415, 422],
  }),
  operation({
    method: 'post',
    path: '/:id/sync',
    operationId: 'syncEntities',
    tag: S,
    summary: 'Sync entities by hand',
    body: entityIds,
    responses: { 202: runRef },
    problems: [404, 409, 415, 422],
  }),
  operation({
    method: 'post',
    path: '/:id/unsync',
    operationId: 'unsyncEntities',
    tag: S,
    summary: 'Unlink twins; entities stay',
    body: entityIds,
    responses: {
      200: z.strictObject({ unsynced: z.number().int().describe('How many twins were unlinked') }),
    },
    problems: [404, 415, 422],
  }),
  operation({
    method: 'get',
    path: '/:id/queue',
    operationId: 'getQueue',
    tag: S,
    summary: 'Events waiting in the outbox or inbox',
    query: queueQuery,
    responses: { 200: listOf(queueItemSchema) },
    problems: [400, 404, 422],
  }),
];

export const triggerOperations = [
  operation({
    method: 'patch',
    path: '/:id',
    operationId: 'updateTrigger',
    tag: S,
    summary: 'Change a trigger',
    body: triggerPatch,
    responses: { 200: triggerSchema },
    problems: [404, 415, 422],
  }),
  operation({
    method: 'delete',
    path: '/:id',
    operationId: 'deleteTrigger',
    tag: S,
    summary: 'Delete a trigger',
    responses: { 204: null },
    problems: [404],
  }),
  operation({
    method: 'post',
    path: '/:id/bulk-sync',
    operationId: 'bulkSync',
    tag: S,
    summary: 'Sync everything the trigger matches now, active or not',
    responses: { 202: runRef },
    problems: [404, 409],
  }),
];

export const errorOperations = [
  operation({
    method: 'get',
    path: '/',
    operationId: 'listErrors',
    tag: 'Errors',
    summary: 'Recorded errors',
    query: errorsQuery,
    responses: { 200: listOf(syncErrorSchema) },
    problems: [400, 422],
  }),
  operation({
    method: 'post',
    path: '/:id/retry',
    operationId: 'retryError',
    tag: 'Errors',
    summary: 'Replay from the failed event',
    responses: { 200: syncErrorSchema },
    problems: [404, 409],
  }),
  operation({
    method: 'post',
    path: '/:id/resolve',
    operationId: 'resolveError',
    tag: 'Errors',
    summary: 'Skip the failed event',
    responses: { 200: syncErrorSchema },
    problems: [404, 409],
  }),
];

export const runOperations = [
  operation({
    method: 'get',
    path: '/',
    operationId: 'listRuns',
    tag: 'Runs',
    summary: 'Sync runs',
    query: runsQuery,
    responses: { 200: listOf(runSchema) },
    problems: [400, 422],
  }),
  operation({
    method: 'get',
    path: '/:id',
    operationId: 'getRun',
    tag: 'Runs',
    summary: 'One run',
    responses: { 200: runSchema },
    problems: [404],
  }),
  operation({
    method: 'get',
    path: '/:id/report.csv',
    operationId: 'getRunReport',
    tag: 'Runs',
    summary: 'The run report as CSV',
    query: reportQuery,
    responses: { 200: 'text/csv' },
    problems: [404, 422],
  }),
];

async function mustConnection(db: Db, id: string) {
  const conn = await syncConnection(db, id);
  if (!conn) throw notFound('Connection', id);
  return conn;
}

/** A connection's triggers, manual sync and queue, under /api/connections. */
export const connectionSyncRoutes = ({ engine, db }: { engine: SyncEngine; db: Db }) =>
  new Hono<AppEnv>()
    .get('/:id/triggers', async (c) => {
      const conn = await mustConnection(db, c.req.param('id'));
      const rows = await listTriggers(db, conn.id);
      return c.json({ items: rows.map(triggerJson) });
    })
    .post('/:id/triggers', jsonBody(triggerBody), async (c) => {
      const conn = await mustConnection(db, c.req.param('id'));
      const body = c.req.valid('json');
      const row = await createTrigger(db, conn.id, body);
      engine.wake();
      return c.json(triggerJson(row), 201);
    })
    .post('/:id/sync', jsonBody(entityIds), async (c) => {
      const body = c.req.valid('json');
      const runId = await engine.syncEntities(c.req.param('id'), body.entityIds);
      return c.json({ runId }, 202);
    })
    .post('/:id/unsync', jsonBody(entityIds), async (c) => {
      const body = c.req.valid('json');
      const unsynced = await engine.unsync(c.req.param('id'), body.entityIds);
      return c.json({ unsynced });
    })
    .get('/:id/queue', queryOf(queueQuery), async (c) => {
      const q = c.req.valid('query');
      const conn = await mustConnection(db, c.req.param('id'));
      const offset = offsetOf(q.cursor);
      if (q.direction === 'out') {
        const rows = await db
          .selectFrom('sync_outbox')
          .select(['seq', 'kind', 'entity_id', 'bytes', 'created_at'])
          .where('connection_id', '=', conn.id)
          .orderBy('seq')
          .limit(q.limit + 1)
          .offset(offset)
          .execute();
        const items = rows.slice(0, q.limit).map((r) => ({
          direction: 'out' as const,
          seq: r.seq,
          kind: r.kind,
          entityId: r.entity_id,
          bytes: r.bytes,
          queuedAt: r.created_at,
        }));
        return c.json(paged(items, rows.length > q.limit, offset));
      }
      const rows = await db
        .selectFrom('sync_inbox')
        .select(['seq', 'kind', 'remote_id', 'status', 'error_id', 'received_at'])
        .where('connection_id', '=', conn.id)
        .orderBy('seq')
        .limit(q.limit + 1)
        .offset(offset)
        .execute();
      const items = rows.slice(0, q.limit).map((r) => ({
        direction: 'in' as const,
        seq: r.seq,
        kind: r.kind,
        remoteId: r.remote_id,
        status: r.status,
        ...(r.error_id ? { errorId: r.error_id } : {}),
        queuedAt: r.received_at,
      }));
      return c.json(paged(items, rows.length > q.limit, offset));
    });

/** A trigger's edits and bulk sync, under /api/triggers. */
export const triggerRoutes = ({ engine, db }: { engine: SyncEngine; db: Db }) =>
  new Hono<AppEnv>()
    .patch('/:id', jsonBody(triggerPatch), async (c) => {
      const body = c.req.valid('json');
      if (!(await getTrigger(db, c.req.param('id')))) throw notFound('Trigger', c.req.param('id'));
      await updateTrigger(db, c.req.param('id'), body);
      engine.wake();
      return c.json(triggerJson((await getTrigger(db, c.req.param('id')))!));
    })
    .delete('/:id', async (c) => {
      if (!(await getTrigger(db, c.req.param('id')))) throw notFound('Trigger', c.req.param('id'));
      await deleteTrigger(db, c.req.param('id'));
      return c.body(null, 204);
    })
    .post('/:id/bulk-sync', async (c) => c.json({ runId: await engine.bulkSync(c.req.param('id')) }, 202));

/** Sync errors (ours and the peer's), under /api/errors. */
export const errorRoutes = ({ engine, db }: { engine: SyncEngine; db: Db }) =>
  new Hono<AppEnv>()
    .get('/', queryOf(errorsQuery), async (c) => {
      const q = c.req.valid('query');
      const offset = offsetOf(q.cursor);
      const { rows, more } = await listErrors(db, { ...q, offset });
      return c.json(paged(rows.map(errorJson), more, offset));
    })
    .post('/:id/retry', async (c) => c.json(errorJson((await engine.retryError(c.req.param('id')))!)))
    .post('/:id/resolve', async (c) => c.json(errorJson((await engine.resolveError(c.req.param('id')))!)));

/** Sync runs and their reports, under /api/runs. */
export const runRoutes = ({ db }: { db: Db }) =>
  new Hono<AppEnv>()
    .get('/', queryOf(runsQuery), async (c) => {
      const q = c.req.valid('query');
      const offset = offsetOf(q.cursor);
      const { rows, more } = await listRuns(db, q.connectionId, q.limit, offset);
      return c.json(paged(rows.map(runJson), more, offset));
    })
    .get('/:id', async (c) => {
      const run = await getRun(db, c.req.param('id'));
      if (!run) throw notFound('Run', c.req.param('id'));
      return c.json(runJson(run));
    })
    .get('/:id/report.csv', queryOf(reportQuery), async (c) => {
      const q = c.req.valid('query');
      const run = await getRun(db, c.req.param('id'));
      if (!run) throw notFound('Run', c.req.param('id'));
      const csv = runReportCsv(run.id, await runItems(db, run.id), q.part as ReportPart);
      return c.body(csv, 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="run-${run.id}-${q.part}.csv"`,
      });
    });

export const twinSchema = z.strictObject({
  connectionId: z.string(),
  remoteId: z.string().nullable(),
  remoteKey: z.string().nullable(),
  lastSyncedAt: z.string().nullable(),
  localReplica: z.unknown(),
  remoteReplica: z.unknown(),
  status: z.enum(['synced', 'pending', 'error_here', 'error_at_peer', 'unlinked']),
  manual: z.boolean(),
  /** The partner deleted its entity: this one was kept, unlinked (status `unlinked`). */
  deletedAtPartner: z.boolean().optional(),
});

export const entitySyncOperations = [
  operation({
    method: 'get',
    path: '/:id/sync',
    operationId: 'entityTwins',
    tag: 'Entities',
    summary: "An entity's twins on every connection",
    responses: { 200: z.strictObject({ items: z.array(twinSchema) }) },
    problems: [404],
  }),
];

/** An entity's twins, under /api/entities. */
export const entitySyncRoutes = ({ db, tracker }: { db: Db; tracker: Tracker }) =>
  new Hono<AppEnv>().get('/:id/sync', async (c) => {
    const id = c.req.param('id');
    const twins = await twinsOfEntity(db, id);
    const deleted = await partnerDeletionsOf(db, id);
    if (twins.length === 0 && !(await tracker.get(id))) throw notFound('Entity', id);
    return c.json({
      items: [
        ...twins.map((t) => ({
          connectionId: t.connection_id,
          remoteId: t.remote_id,
          remoteKey: t.remote_key,
          lastSyncedAt: t.last_synced_at,
          localReplica: parseJson(t.local_replica, null),
          remoteReplica: parseJson(t.remote_replica, null),
          status: t.status,
          manual: t.manual === 1,
          deletedAtPartner: false,
        })),
        ...deleted,
      ],
    });
  });
