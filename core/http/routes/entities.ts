// The built-in tracker's entities and comments, the fields of a type, and how many entities a query matches now.
import { Hono } from 'hono';
import { z } from 'zod';
import { notFound, TandemError } from '../../errors.ts';
import { knownFields } from '../../rules/known-fields.ts';
import { flatten } from '../../sync/flat.ts';
import { matches, parseQuery } from '../../sync/trigger-query.ts';
import { entityTypeSchema, parseFields } from '../../trackers/builtin/entity-input.ts';
import { ENTITY_TYPES, type Tracker } from '../../trackers/tracker.ts';
import { actorOf } from '../actor.ts';
import type { AppEnv } from '../app-env.ts';
import { jsonBody, operation, queryOf } from '../contract.ts';
import { attachmentSchema } from './attachments.ts';

export const listQuery = z.object({
  type: entityTypeSchema.optional(),
  q: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});

const typeFieldsQuery = z.object({ type: z.enum(ENTITY_TYPES) });

const createBody = z.object({
  type: z.enum(ENTITY_TYPES, { message: `must be one of ${ENTITY_TYPES.join(', ')}` }),
  fields: z.record(z.string(), z.unknown()),
});
const patchBody = z.object({
  fields: z.record(z.string(), z.unknown()),
  // ServiceNow counts from 0 (sys_mod_count): a record never changed is version 0.
  version: z.number().int().min(0).optional(),
});
const commentBody = z.object({
  body: z.string().trim().min(1).max(20_000),
  author: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe("Who wrote it; by default the caller (the signed-in user's email, or `admin-token`)"),
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
  attachments: z
    .array(attachmentSchema)
    .optional()
    .describe('Attachment metadata (trackers that keep attachments)'),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const entityListSchema = z.strictObject({
  items: z.array(entitySchema),
  nextCursor: z.string().optional(),
});

const matchBody = z.object({
  type: z.enum(ENTITY_TYPES, { message: `must be one of ${ENTITY_TYPES.join(', ')}` }),
  query: z.string().max(2000).describe('A trigger query such as `priority <= 2 AND status != "closed"`'),
});
export const matchSchema = z.strictObject({
  count: z.number().int().describe('Entities of the type that match now (of those read: see `complete`)'),
  scanned: z.number().int(),
  complete: z.boolean().describe('False when there were more entities than one look reads'),
  sample: z.array(z.strictObject({ id: z.string(), key: z.string(), summary: z.string() })),
});
/** What a field's pick-list offers: the tracker's values (where it knows them), then the values seen. */
export const fieldChoiceMembers = {
  values: z
    .array(z.union([z.string(), z.number()]))
    .describe(
      "What a pick-list offers: the tracker's values first (`choices`), then other values seen on entities",
    ),
  choices: z
    .array(z.strictObject({ value: z.union([z.string(), z.number()]), label: z.string() }))
    .optional()
    .describe(
      'The values the tracker offers, in its order, with its names for them (ServiceNow states, priorities)',
    ),
  choicesOnly: z
    .boolean()
    .optional()
    .describe('True: the tracker refuses a value outside `choices`; else another value may be typed'),
};
const entityFieldSchema = z.strictObject({
  name: z.string(),
  type: z.enum(['string', 'number', 'boolean', 'json']),
  standard: z.boolean(),
  ...fieldChoiceMembers,
});

const commentEditBody = z.object({ body: z.string().trim().min(1).max(20_000) });

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
    audit: 'entity.created',
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
    audit: 'entity.updated',
  }),
  operation({
    method: 'delete',
    path: '/:id',
    operationId: 'deleteEntity',
    tag: T,
    summary: 'Delete an entity',
    responses: { 204: null },
    problems: [404],
    audit: 'entity.deleted',
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
    audit: 'entity.commented',
  }),
  operation({
    method: 'patch',
    path: '/:id/comments/:commentId',
    operationId: 'editComment',
    tag: T,
    summary: "Edit a comment's text (a sync event like any change)",
    body: commentEditBody,
    responses: { 200: entitySchema },
    problems: [404, 415, 422, 501],
    audit: 'entity.comment_edited',
  }),
  operation({
    method: 'delete',
    path: '/:id/comments/:commentId',
    operationId: 'deleteComment',
    tag: T,
    summary: 'Delete a comment (a sync event like any change)',
    responses: { 200: entitySchema },
    problems: [404, 501],
    audit: 'entity.comment_deleted',
  }),
  operation({
    method: 'post',
    path: '/match',
    operationId: 'matchEntities',
    tag: T,
    summary: 'How many entities a trigger query matches now (a preview; nothing is synced)',
    body: matchBody,
    responses: { 200: matchSchema },
    problems: [415, 422],
    role: 'viewer',
    audit: { none: 'a query: it reads entities, changes nothing' },
  }),
  operation({
    method: 'get',
    path: '/fields',
    operationId: 'typeFields',
    tag: T,
    summary:
      'The fields of a type, with the values the tracker offers and those seen (pick-lists of a new entity)',
    query: typeFieldsQuery,
    responses: { 200: z.strictObject({ items: z.array(entityFieldSchema) }) },
    problems: [422],
  }),
  operation({
    method: 'get',
    path: '/:id/fields',
    operationId: 'entityFields',
    tag: T,
    summary: "The fields of this entity's type, with the values seen on entities of that type (pick-lists)",
    responses: { 200: z.strictObject({ items: z.array(entityFieldSchema) }) },
    problems: [404],
  }),
];

/** At most this many entities are read for one preview. */
const MATCH_LIMIT = 5000;

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
      c.var.audit?.note({ target: `entity:${entity.id}`, detail: { key: entity.key, type: entity.type } });
      return c.json(entity, 201);
    })
    .post('/match', jsonBody(matchBody), async (c) => {
      const body = c.req.valid('json');
      const node = parseQuery(body.query);
      let count = 0;
      let scanned = 0;
      let cursor: string | undefined;
      const sample: { id: string; key: string; summary: string }[] = [];
      do {
        const page = await tracker.list({ type: body.type, limit: 200, ...(cursor ? { cursor } : {}) });
        for (const e of page.items) {
          scanned++;
          if (!matches(node, flatten(e))) continue;
          count++;
          if (sample.length < 10)
            sample.push({ id: e.id, key: e.key, summary: String(e.fields.summary ?? '') });
        }
        cursor = page.nextCursor;
      } while (cursor && scanned < MATCH_LIMIT);
      return c.json({ count, scanned, complete: !cursor, sample });
    })
    .get('/fields', queryOf(typeFieldsQuery), async (c) => {
      return c.json({ items: await knownFields(tracker, [c.req.valid('query').type]) });
    })
    .get('/:id/fields', async (c) => {
      const entity = await tracker.get(c.req.param('id'));
      if (!entity) throw notFound('Entity', c.req.param('id'));
      return c.json({ items: await knownFields(tracker, [entity.type]) });
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
        // Without an author, the comment is the caller's (the user's email, or `admin-token`).
        { body: body.body, author: body.author ?? actorOf(c), internal: body.internal ?? false },
        { origin: 'local' },
      );
      c.var.audit?.note({ target: `entity:${entity.id}`, detail: { key: entity.key, type: entity.type } });
      return c.json(entity, 201);
    })
    .patch('/:id/comments/:commentId', jsonBody(commentEditBody), async (c) => {
      const { body } = c.req.valid('json');
      const entity = await commentEdits(tracker).update(c.req.param('id'), c.req.param('commentId'), body, {
        origin: 'local',
      });
      c.var.audit?.note({
        target: `entity:${entity.id}`,
        detail: { key: entity.key, comment: c.req.param('commentId') },
      });
      return c.json(entity);
    })
    .delete('/:id/comments/:commentId', async (c) => {
      const entity = await commentEdits(tracker).remove(c.req.param('id'), c.req.param('commentId'), {
        origin: 'local',
      });
      c.var.audit?.note({
        target: `entity:${entity.id}`,
        detail: { key: entity.key, comment: c.req.param('commentId') },
      });
      return c.json(entity);
    });

function commentEdits(tracker: Tracker) {
  if (!tracker.commentEdits)
    throw new TandemError(
      'NOT_SUPPORTED',
      501,
      `The ${tracker.id} tracker cannot edit or delete comments (ServiceNow journal entries, for one, are permanent)`,
    );
  return tracker.commentEdits;
}
