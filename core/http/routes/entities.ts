// The built-in tracker's entities and comments.
import { Hono } from 'hono';
import { z } from 'zod';
import { notFound } from '../../errors.ts';
import { entityTypeSchema, parseFields, parseType } from '../../trackers/builtin/entity-input.ts';
import type { Tracker } from '../../trackers/tracker.ts';
import type { AppEnv } from '../app-env.ts';
import { readJson, readQuery } from '../body.ts';

export const listQuery = z.object({
  type: entityTypeSchema.optional(),
  q: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});

const createBody = z.object({ type: z.unknown(), fields: z.record(z.string(), z.unknown()) });
const patchBody = z.object({
  fields: z.record(z.string(), z.unknown()),
  version: z.number().int().positive().optional(),
});
const commentBody = z.object({
  body: z.string().trim().min(1).max(20_000),
  author: z.string().trim().min(1).max(200).optional(),
  internal: z.boolean().optional(),
});

export const entityRoutes = ({ tracker }: { tracker: Tracker }) =>
  new Hono<AppEnv>()
    .get('/', async (c) => {
      const q = readQuery(c, listQuery);
      return c.json(await tracker.list(q));
    })
    .post('/', async (c) => {
      const body = await readJson(c, createBody);
      const type = parseType(body.type);
      const entity = await tracker.create({ type, fields: parseFields(body.fields) }, { origin: 'local' });
      return c.json(entity, 201);
    })
    .get('/:id', async (c) => {
      const entity = await tracker.get(c.req.param('id'));
      if (!entity) throw notFound('Entity', c.req.param('id'));
      return c.json(entity);
    })
    .patch('/:id', async (c) => {
      const body = await readJson(c, patchBody);
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
    .post('/:id/comments', async (c) => {
      const body = await readJson(c, commentBody);
      const entity = await tracker.addComment(
        c.req.param('id'),
        { body: body.body, author: body.author ?? 'admin', internal: body.internal ?? false },
        { origin: 'local' },
      );
      return c.json(entity, 201);
    });
