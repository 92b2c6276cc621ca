// Admin routes of connections: initiate, list, read, edit, the pending invitation, activate/deactivate, delete, health and validate.
import { Hono } from 'hono';
import { z } from 'zod';
import type { ConnectionService } from '../../connections/connection-service.ts';
import { CONNECTION_STATES } from '../../connections/lifecycle.ts';
import { TandemError } from '../../errors.ts';
import { codeFingerprint, MAX_EXPIRES_HOURS } from '../../invitations/invitation-code.ts';
import type { AppEnv } from '../app-env.ts';
import { jsonBody, operation, queryOf } from '../contract.ts';
import { MODES } from './public.ts';

const shortName = z.string().trim().min(1).max(100);

const createBody = z.strictObject({
  destinationUrl: z
    .string()
    .trim()
    .max(2000)
    .nullable()
    .describe('The other host, or null: "I don\'t have a URL"'),
  mode: z.enum(MODES),
  localName: shortName,
  remoteName: shortName,
  name: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe(
      'Unique on this host (409 `connection_name_taken`); omitted: localName_to_remoteName, `_2`... when taken',
    ),
  description: z.string().max(2000).optional(),
  expiresInHours: z.number().positive().max(MAX_EXPIRES_HOURS).optional(),
});

const patchBody = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe('Unique on this host (409 `connection_name_taken`)'),
  description: z.string().max(2000).optional(),
});

const invitationSchema = z.strictObject({
  code: z.string().describe('A bearer secret until used: never log it'),
  fingerprint: z.string().describe("The code's short, non-secret fingerprint"),
  id: z.string(),
  expiresAt: z.string(),
  expired: z.boolean(),
});

const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(100),
  cursor: z.string().max(500).optional(),
});

const linkStatus = z.enum(['not_onboarded', 'up', 'slow', 'down']).nullable();
const nullableString = z.string().nullable();

/** The `connection` of API.md, as every connection route answers it. */
export const connectionSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  mode: z.enum(MODES),
  state: z.enum(CONNECTION_STATES),
  outbound: linkStatus,
  inbound: linkStatus,
  localName: z.string(),
  remoteName: z.string(),
  role: z.enum(['inviter', 'acceptor']),
  peer: z.strictObject({
    nodeId: nullableString,
    url: nullableString,
    name: nullableString,
    fingerprint: nullableString,
  }),
  link: z.strictObject({
    up: z.boolean(),
    since: nullableString,
    rttMs: z.number().nullable(),
    dials: z.boolean(),
  }),
  onboarding: z
    .strictObject({ message: z.string(), at: z.string() })
    .nullable()
    .describe(
      '"Provider onboarding started", "Syncing settings to complete onboarding", "Onboarding complete"',
    ),
  lastError: nullableString,
  invitation: z.strictObject({ id: z.string(), expiresAt: z.string(), usedAt: nullableString }),
  createdAt: z.string(),
  updatedAt: z.string(),
  counts: z.strictObject({
    queuedOut: z.number().int(),
    queuedIn: z.number().int(),
    errors: z.number().int(),
    twins: z.number().int(),
  }),
});

export const healthSchema = z.strictObject({
  state: z.enum(CONNECTION_STATES),
  checks: z.array(
    z.strictObject({ name: z.string(), ok: z.boolean(), detail: z.string(), fix: z.string().optional() }),
  ),
});

const createdSchema = z.strictObject({
  connection: connectionSchema,
  invitationCode: z.string().describe('A bearer secret until used'),
  invitationFingerprint: z.string().describe('A short, non-secret fingerprint of the code'),
});
const connectionList = z.strictObject({
  items: z.array(connectionSchema),
  nextCursor: z.string().optional(),
});

const T = 'Connections';
export const connectionOperations = [
  operation({
    method: 'post',
    path: '/',
    operationId: 'initiateConnection',
    tag: T,
    summary: 'Initiate a connection and get its invitation code',
    body: createBody,
    responses: { 201: createdSchema },
    problems: [409, 415, 422, 502],
    audit: 'connection.initiated',
  }),
  operation({
    method: 'get',
    path: '/',
    operationId: 'listConnections',
    tag: T,
    summary: 'All connections, newest first',
    query: pageQuery,
    responses: { 200: connectionList },
    problems: [400, 422],
  }),
  operation({
    method: 'get',
    path: '/:id',
    operationId: 'getConnection',
    tag: T,
    summary: 'One connection',
    responses: { 200: connectionSchema },
    problems: [404],
  }),
  operation({
    method: 'patch',
    path: '/:id',
    operationId: 'updateConnection',
    tag: T,
    summary: "Rename or re-describe a connection (this side's name only)",
    body: patchBody,
    responses: { 200: connectionSchema },
    problems: [400, 404, 409, 415, 422],
    audit: 'connection.renamed',
  }),
  operation({
    method: 'get',
    path: '/:id/invitation',
    operationId: 'getInvitation',
    tag: T,
    summary: 'The invitation code of a pending connection, shown again',
    description: '409 `connection_not_pending` once the code was used, and on the accepting host.',
    responses: { 200: invitationSchema },
    problems: [404, 409],
    // The code is a bearer secret until used: viewers read everything but secrets.
    role: 'admin',
  }),
  operation({
    method: 'post',
    path: '/:id/invitation',
    operationId: 'renewInvitation',
    tag: T,
    summary: 'A new invitation code for a pending connection; the old one stops working',
    description: 'Accepting the old code is refused with `invitation_replaced`.',
    responses: { 200: invitationSchema },
    problems: [404, 409],
    audit: 'invitation.regenerated',
  }),
  operation({
    method: 'post',
    path: '/:id/activate',
    operationId: 'activateConnection',
    tag: T,
    summary: 'Resume; queued changes are applied',
    responses: { 200: connectionSchema },
    problems: [404, 409],
    audit: 'connection.activated',
  }),
  operation({
    method: 'post',
    path: '/:id/deactivate',
    operationId: 'deactivateConnection',
    tag: T,
    summary: 'Pause; changes keep queueing',
    responses: { 200: connectionSchema },
    problems: [404, 409],
    audit: 'connection.deactivated',
  }),
  operation({
    method: 'delete',
    path: '/:id',
    operationId: 'deleteConnection',
    tag: T,
    summary: 'Delete; twins are unlinked, entity data stays on both sides',
    responses: { 204: null },
    problems: [404],
    audit: 'connection.deleted',
  }),
  operation({
    method: 'get',
    path: '/:id/health',
    operationId: 'getHealth',
    tag: T,
    summary: 'Health checks',
    responses: { 200: healthSchema },
    problems: [404],
  }),
  operation({
    method: 'post',
    path: '/:id/validate',
    operationId: 'validateConnection',
    tag: T,
    summary: 'Run the health checks again',
    responses: { 200: healthSchema },
    problems: [404, 409],
    audit: 'connection.validated',
  }),
];

export const connectionRoutes = ({ connections }: { connections: ConnectionService }) =>
  new Hono<AppEnv>()
    .post('/', jsonBody(createBody), async (c) => {
      const body = c.req.valid('json');
      const result = await connections.create({ ...body, destinationUrl: body.destinationUrl || null });
      const invitationFingerprint = codeFingerprint(result.invitationCode);
      const target = `connection:${result.connection.id}`;
      c.var.audit?.note({
        target,
        detail: {
          name: result.connection.name,
          mode: result.connection.mode,
          destinationUrl: body.destinationUrl,
        },
      });
      // The fingerprint only: the code is a bearer secret until it is used.
      c.var.audit?.also({
        action: 'invitation.issued',
        target,
        detail: { fingerprint: invitationFingerprint },
      });
      return c.json({ ...result, invitationFingerprint }, 201);
    })
    .get('/', queryOf(pageQuery), async (c) => c.json(await connections.page(c.req.valid('query'))))
    .get('/:id', async (c) => {
      const id = c.req.param('id');
      const connection = await connections.get(id);
      if (!connection) throw new TandemError('NOT_FOUND', 404, `Connection ${id} was not found`);
      return c.json(connection);
    })
    .patch('/:id', jsonBody(patchBody), async (c) =>
      c.json(await connections.update(c.req.param('id'), c.req.valid('json'))),
    )
    .get('/:id/invitation', async (c) => c.json(await connections.invitation(c.req.param('id'))))
    .post('/:id/invitation', async (c) => {
      const invitation = await connections.renewInvitation(c.req.param('id'));
      c.var.audit?.note({ detail: { fingerprint: invitation.fingerprint, expiresAt: invitation.expiresAt } });
      return c.json(invitation);
    })
    .post('/:id/activate', async (c) => {
      const connection = await connections.activate(c.req.param('id'));
      c.var.audit?.note({ detail: { name: connection.name } });
      return c.json(connection);
    })
    .post('/:id/deactivate', async (c) => {
      const connection = await connections.deactivate(c.req.param('id'));
      c.var.audit?.note({ detail: { name: connection.name } });
      return c.json(connection);
    })
    .delete('/:id', async (c) => {
      const gone = await connections.get(c.req.param('id'));
      await connections.remove(c.req.param('id'));
      c.var.audit?.note({ detail: gone ? { name: gone.name, peer: gone.peer.name } : {} });
      return c.body(null, 204);
    })
    .get('/:id/health', async (c) => c.json(await connections.health(c.req.param('id'))))
    .post('/:id/validate', async (c) => c.json(await connections.validate(c.req.param('id'))));
