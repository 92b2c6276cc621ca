// Admin routes of connections: initiate, list, read, activate/deactivate, delete, health and validate.
import type { Context } from 'hono';
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

export function connectionsOf(c: Context<AppEnv>): ConnectionService {
  const svc = c.var.host.connections;
  if (!svc) throw new TandemError('NOT_AVAILABLE', 503, 'Connections are not available on this host');
  return svc;
}

async function found(c: Context<AppEnv>) {
  const id = c.req.param('id')!;
  const connection = await connectionsOf(c).get(id);
  if (!connection) throw new TandemError('NOT_FOUND', 404, `Connection ${id} was not found`);
  return connection;
}

export const connectionRoutes = new Hono<AppEnv>()
  .post('/', async (c) => {
    const body = await readJson(c, createBody);
    const result = await connectionsOf(c).create({ ...body, destinationUrl: body.destinationUrl || null });
    return c.json({ ...result, invitationFingerprint: codeFingerprint(result.invitationCode) }, 201);
  })
  .get('/', async (c) => c.json(await connectionsOf(c).page(readQuery(c, pageQuery))))
  .get('/:id', async (c) => c.json(await found(c)))
  .post('/:id/activate', async (c) => c.json(await connectionsOf(c).activate(c.req.param('id'))))
  .post('/:id/deactivate', async (c) => c.json(await connectionsOf(c).deactivate(c.req.param('id'))))
  .delete('/:id', async (c) => {
    await connectionsOf(c).remove(c.req.param('id'));
    return c.body(null, 204);
  })
  .get('/:id/health', async (c) => c.json(await connectionsOf(c).health(c.req.param('id'))))
  .post('/:id/validate', async (c) => c.json(await connectionsOf(c).validate(c.req.param('id'))));
