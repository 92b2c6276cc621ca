// The built-in tracker's entities and comments.
import { Hono } from 'hono';
import { z } from 'zod';
import { notFound } from '../../errors.ts';
import { entityTypeSchema, parseFields } from '../../trackers/builtin/entity-input.ts';
import { ENTITY_TYPES, type Tracker } from '../../trackers/tracker.ts';
import type { AppEnv } from '../app-env.ts';
import { jsonBody, operation, queryOf } from '../contract.ts';

export const listQuery = z.object({
  type: entityTypeSchema.optional(),
  q: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});

const createBody = z.object({
  type: z.enum(ENTITY_TYPES, { message: `must be one of ${ENTITY_TYPES.join(', ')}` }),
  fields: z.record(z.string(), z.unknown()),
});
const patchBody = z.object({
  fields: z.record(z.string(), z.unknown()),
  version: z.number().int().positive().optional(),
});
const commentBody = z.object({
  body: z.string().trim().min(1).max(20_000),
  author: z.string().trim().min(1).max(200).optional(),
  internal: z.boolean().optional(),
});

export const commentSchema = z.strictObject({
  id: z.string(),
  author: z.string(),
  body: z.string(),
  internal: z.boolean(),
  createdAt: z.string(),
});

/** An entity as every tracker answers it: the standard fields, then any custom JSON fields. */
export const entitySchema = z.strictObject({
  id: z.string(),
  key: z.string(),
  type: entityTypeSchema,
  fields: z
    .object({
      summary: z.string(),
      description: z.string(),
      status: z.string(),
      priority: z.number().int(),
      assignee: z.string().nullable(),
    })
    .partial()
    .catchall(z.unknown()),
  comments: z.array(commentSchema),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const entityListSchema = z.strictObject({
  items: z.array(entitySchema),
  nextCursor: z.string().optional(),
});

const T = 'Entities';
export const entityOperations = [
  operation({
    method: 'get',
    path: '/',
    operationId: 'listEntities',
    tag: T,
    summary: 'List entities',
    query: listQuery,
    responses: { 200: entityListSchema },
    problems: [422],
  }),
  operation({
    method: 'post',
    path: '/',
    operationId: 'createEntity',
    tag: T,
    summary: 'Create an entity',
    body: createBody,
    responses: { 201: entitySchema },
    problems: [422],
  }),
  operation({
    method: 'get',
    path: '/:id',
    operationId: 'getEntity',
    tag: T,
    summary: 'One entity',
    responses: { 200: entitySchema },
    problems: [404],
  }),
  operation({
    method: 'patch',
    path: '/:id',
    operationId: 'updateEntity',
    tag: T,
    summary: 'Change fields',
    body: patchBody,
    responses: { 200: entitySchema },
    problems: [404, 409, 422],
  }),
  operation({
    method: 'delete',
    path: '/:id',
    operationId: 'deleteEntity',
    tag: T,
    summary: 'Delete an entity',
    responses: { 204: null },
    problems: [404],
  }),
  operation({
    method: 'post',
    path: '/:id/comments',
    operationId: 'addComment',
    tag: T,
    summary: 'Add a comment',
    body: commentBody,
    responses: { 201: entitySchema },
    problems: [404, 422],
  }),
];

export const entityRoutes = ({ tracker }: { tracker: Tracker }) =>
  new Hono<AppEnv>()
    .get('/', queryOf(listQuery), async (c) => {
      const q = c.req.valid('query');
      return c.json(await tracker.list(q));
    })
    .post('/', jsonBody(createBody), async (c) => {
      const body = c.req.valid('json');
      const entity = await tracker.create(
        { type: body.type, fields: parseFields(body.fields) },
        { origin: 'local' },
      );
      return c.json(entity, 201);
    })
    .get('/:id', async (c) => {
      const entity = await tracker.get(c.req.param('id'));
      if (!entity) throw notFound('Entity', c.req.param('id'));
      return c.json(entity);
    })
    .patch('/:id', jsonBody(patchBody), async (c) => {
      const body = c.req.valid('json');
      const entity = await tracker.update(c.req.param('id'), parseFields(body.fields), {
        origin: 'local',
        ...(body.version !== undefined ? { expectedVersion: body.version } : {}),
      });
      return c.json(entity);
    })
    .delete('/:id', async (c) => {
      await tracker.delete(c.req.param('id'), { origin: 'local' });
      return c.body(null, 204);
    })
    .post('/:id/comments', jsonBody(commentBody), async (c) => {
      const body = c.req.valid('json');
      const entity = await tracker.addComment(
        c.req.param('id'),
        { body: body.body, author: body.author ?? 'admin', internal: body.internal ?? false },
        { origin: 'local' },
      );
      return c.json(entity, 201);
    });
