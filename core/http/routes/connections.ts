// Admin routes of connections: initiate, list, read, activate/deactivate, delete, health and validate.
import { Hono } from 'hono';
import { z } from 'zod';
import type { ConnectionService } from '../../connections/connection-service.ts';
import { TandemError } from '../../errors.ts';
import { codeFingerprint, MAX_EXPIRES_HOURS } from '../../invitations/invitation-code.ts';
import type { AppEnv } from '../app-env.ts';
import { readJson, readQuery } from '../body.ts';
import { MODES } from './public.ts';

const shortName = z.string().trim().min(1).max(100);

const createBody = z
  .object({
    destinationUrl: z.string().trim().max(2000).nullable().optional(),
    mode: z.enum(MODES),
    localName: shortName,
    remoteName: shortName,
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).optional(),
    expiresInHours: z.number().positive().max(MAX_EXPIRES_HOURS).optional(),
  })
  .strict();

const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(100),
  cursor: z.string().max(500).optional(),
});

export const connectionRoutes = ({ connections }: { connections: ConnectionService }) =>
  new Hono<AppEnv>()
    .post('/', async (c) => {
      const body = await readJson(c, createBody);
      const result = await connections.create({ ...body, destinationUrl: body.destinationUrl || null });
      return c.json({ ...result, invitationFingerprint: codeFingerprint(result.invitationCode) }, 201);
    })
    .get('/', async (c) => c.json(await connections.page(readQuery(c, pageQuery))))
    .get('/:id', async (c) => {
      const id = c.req.param('id');
      const connection = await connections.get(id);
      if (!connection) throw new TandemError('NOT_FOUND', 404, `Connection ${id} was not found`);
      return c.json(connection);
    })
    .post('/:id/activate', async (c) => c.json(await connections.activate(c.req.param('id'))))
    .post('/:id/deactivate', async (c) => c.json(await connections.deactivate(c.req.param('id'))))
    .delete('/:id', async (c) => {
      await connections.remove(c.req.param('id'));
      return c.body(null, 204);
    })
    .get('/:id/health', async (c) => c.json(await connections.health(c.req.param('id'))))
    .post('/:id/validate', async (c) => c.json(await connections.validate(c.req.param('id'))));
