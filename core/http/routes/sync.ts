// The admin API of sync: triggers, manual sync and the queue of a connection (docs/admin-api.md); errors, runs and
// an entity's sync live beside it (errors.ts, runs.ts, entity-sync.ts) and are re-exported here for app.ts.
import { Hono } from 'hono';
import { z } from 'zod';
import type { Db } from '../../../storage/schema.ts';
import { notFound } from '../../errors.ts';
import { syncConnection } from '../../sync/connections-view.ts';
import type { SyncEngine } from '../../sync/engine.ts';
import {
  createTrigger,
  deleteTrigger,
  getTrigger,
  listTriggers,
  triggerJson,
  updateTrigger,
} from '../../sync/triggers.ts';
import { ENTITY_TYPES, type Tracker } from '../../trackers/tracker.ts';
import type { AppEnv } from '../app-env.ts';
import { jsonBody, operation, queryOf } from '../contract.ts';
import { listOf, offsetOf, page, paged } from './list-paging.ts';
import { queueItemSchema, queueItems } from './queue.ts';

export { entitySyncOperations, entitySyncRoutes, twinSchema } from './entity-sync.ts';
export { errorOperations, errorRoutes, syncErrorSchema } from './errors.ts';
export { runOperations, runRoutes, runSchema } from './runs.ts';
export { queueItemSchema };

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
    role: 'rules',
    audit: 'trigger.created',
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
    role: 'rules',
    audit: 'sync.started',
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
    role: 'rules',
    audit: 'sync.unlinked',
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
    role: 'rules',
    audit: 'trigger.updated',
  }),
  operation({
    method: 'delete',
    path: '/:id',
    operationId: 'deleteTrigger',
    tag: S,
    summary: 'Delete a trigger',
    responses: { 204: null },
    problems: [404],
    role: 'rules',
    audit: 'trigger.deleted',
  }),
  operation({
    method: 'post',
    path: '/:id/bulk-sync',
    operationId: 'bulkSync',
    tag: S,
    summary: 'Sync everything the trigger matches now, active or not',
    responses: { 202: runRef },
    problems: [404, 409],
    role: 'rules',
    audit: 'sync.started',
  }),
];

async function mustConnection(db: Db, id: string) {
  const conn = await syncConnection(db, id);
  if (!conn) throw notFound('Connection', id);
  return conn;
}

/** A connection's triggers, manual sync and queue, under /api/connections. */
export const connectionSyncRoutes = ({
  engine,
  db,
  tracker,
}: {
  engine: SyncEngine;
  db: Db;
  tracker: Tracker;
}) =>
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
      c.var.audit?.note({ target: `trigger:${row.id}`, detail: { connectionId: conn.id, ...body } });
      return c.json(triggerJson(row), 201);
    })
    .post('/:id/sync', jsonBody(entityIds), async (c) => {
      const body = c.req.valid('json');
      const runId = await engine.syncEntities(c.req.param('id'), body.entityIds);
      c.var.audit?.note({ detail: { runId, kind: 'manual', entities: body.entityIds.length } });
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
      const { items, more } = await queueItems(db, tracker, conn.id, q.direction, q.limit, offset);
      return c.json(paged(items, more, offset));
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
    .post('/:id/bulk-sync', async (c) => {
      const runId = await engine.bulkSync(c.req.param('id'));
      c.var.audit?.note({ detail: { runId, kind: 'bulk' } });
      return c.json({ runId }, 202);
    });
